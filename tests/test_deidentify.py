"""medlab.deidentify on pydicom's sample files, against datetime and pydicom's own checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import uuid

import pydicom
import pytest
from pydicom.data import get_testdata_file

from medlab import deidentify as de

SALT = "test-secret-salt"


@pytest.fixture
def ct():
    return pydicom.dcmread(get_testdata_file("CT_small.dcm"))


def test_shift_date_agrees_with_datetime():
    assert de.shift_date("20200131", 1) == "20200201"
    assert de.shift_date("20200228", 1) == "20200229"  # leap year
    assert de.shift_date("20210228", 1) == "20210301"
    assert de.shift_date("20040119", -365) == (dt.date(2004, 1, 19) - dt.timedelta(365)).strftime(
        "%Y%m%d"
    )
    assert de.shift_date("20040119101500.5", 10) == "20040129101500.5"  # DT keeps its time
    assert de.shift_date("", 10) == ""
    with pytest.raises(ValueError, match="YYYYMMDD"):
        de.shift_date("2004-01-19", 1)


def test_remap_uid_is_consistent_valid_and_salted():
    uid = "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322"
    a = de.remap_uid(uid, SALT)
    assert a == de.remap_uid(uid, SALT)
    assert a != de.remap_uid(uid + "1", SALT)
    assert a != de.remap_uid(uid, SALT + "x")
    assert pydicom.uid.UID(a).is_valid and a.startswith("2.25.") and len(a) <= 64
    assert uid not in a
    mapping = {}
    de.remap_uid(uid, SALT, mapping)
    assert mapping == {uid: a}
    with pytest.raises(ValueError, match="salt"):
        de.remap_uid(uid, "short")
    with pytest.raises(ValueError, match="non-empty"):
        de.remap_uid("", SALT)


def _is_uuid_derived(uid: str) -> bool:
    """A 2.25 UID is the decimal value of a UUID: 128 bits, RFC 4122 variant, a version."""
    number = int(uid.removeprefix("2.25."))
    if not uid.startswith("2.25.") or number >= 2**128:
        return False
    as_uuid = uuid.UUID(int=number)
    return as_uuid.variant == uuid.RFC_4122 and as_uuid.version in range(1, 9)


def _version_8(first_16_bytes: bytes) -> uuid.UUID:
    """RFC 9562's layout, byte by byte: version 8 in the high nibble of octet 6, variant
    bits 10 at the top of octet 8; the other 122 bits are the given bytes."""
    octets = bytearray(first_16_bytes)
    octets[6] = (octets[6] & 0x0F) | 0x80
    octets[8] = (octets[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(octets))


def test_remap_uid_is_a_uuid_from_a_keyed_hash():
    uids = [f"1.2.840.113619.2.55.3.{k}" for k in range(50)]
    for uid in uids:
        new = de.remap_uid(uid, SALT)
        assert _is_uuid_derived(new), new
        # deterministic, so not version 4 (random): version 8, RFC 9562's custom UUID
        assert uuid.UUID(int=int(new[5:])).version == 8
        # the UUID's bits come from HMAC-SHA-256(key, uid), not from a hash of key + uid
        keyed = hmac.new(SALT.encode(), uid.encode(), hashlib.sha256).digest()[:16]
        assert new == f"2.25.{_version_8(keyed).int}"
        assert len(new) <= 44 and pydicom.uid.UID(new).is_valid
    # the former construction, a truncated salted SHA-256, is mostly no UUID at all
    truncated = [
        int.from_bytes(hashlib.sha256((SALT + u).encode()).digest()[:16], "big") for u in uids
    ]
    assert sum(not _is_uuid_derived(f"2.25.{n}") for n in truncated) > 30


def test_deidentify_removes_replaces_and_keeps(ct):
    original_name = str(ct.PatientName)
    out = de.deidentify(ct, salt=SALT, pseudonym="SUBJ-7", date_shift_days=-100)
    assert str(ct.PatientName) == original_name  # the input is untouched
    assert str(out.PatientName) == "SUBJ-7" and out.PatientID == "SUBJ-7"
    for keyword in (
        "InstitutionName",
        "StationName",
        "OtherPatientIDsSequence",
        "StudyDescription",
        "ImageComments",
    ):
        assert keyword not in out, keyword
    assert out.PatientBirthDate == "" and out.AccessionNumber == ""
    assert not any(elem.tag.is_private for elem in out.iterall())
    assert out.PatientSex == ct.PatientSex and out.Modality == "CT"  # kept
    assert (out.pixel_array == ct.pixel_array).all()
    assert out.PatientIdentityRemoved == "YES" and len(out.DeidentificationMethod) <= 64
    assert out.LongitudinalTemporalInformationModified == "MODIFIED"

    # dates move together: the interval between study and series survives
    def days(ds, kw):
        return dt.datetime.strptime(ds[kw].value, "%Y%m%d").date()

    assert days(ct, "StudyDate") - days(out, "StudyDate") == dt.timedelta(100)
    assert days(out, "StudyDate") - days(out, "SeriesDate") == days(ct, "StudyDate") - days(
        ct, "SeriesDate"
    )
    assert out.StudyTime == ct.StudyTime
    assert de.leaks(ct, out) == []
    # still a valid DICOM file
    buf = io.BytesIO()
    out.save_as(buf, enforce_file_format=True)
    again = pydicom.dcmread(io.BytesIO(buf.getvalue()))
    assert again.SOPInstanceUID == out.SOPInstanceUID == out.file_meta.MediaStorageSOPInstanceUID


def test_uids_stay_consistent_across_files_of_one_study(ct):
    second = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    second.SOPInstanceUID = ct.SOPInstanceUID + ".2"
    mapping = {}
    a = de.deidentify(ct, salt=SALT, uid_map=mapping)
    b = de.deidentify(second, salt=SALT, uid_map=mapping)
    assert a.StudyInstanceUID == b.StudyInstanceUID != ct.StudyInstanceUID
    assert a.SOPInstanceUID != b.SOPInstanceUID
    assert mapping[ct.StudyInstanceUID] == a.StudyInstanceUID
    other = de.deidentify(ct, salt=SALT + "other")
    assert other.StudyInstanceUID != a.StudyInstanceUID


def test_leaks_finds_a_planted_identifier_and_where(ct):
    planted = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    out = de.deidentify(planted, salt=SALT)
    out.ContrastBolusAgent = f"given to {planted.PatientName}"  # a kept free-text field
    assert (str(planted.PatientName), "ContrastBolusAgent") in de.leaks(planted, out)
    assert len(de.leaks(ct, ct)) > 10


def test_identifying_elements_and_diff_table(ct):
    found = {e["keyword"]: e["action"] for e in de.identifying_elements(ct)}
    assert found["PatientName"] == "pseudonym"
    assert found["InstitutionName"] == "remove"
    assert found["StudyInstanceUID"] == "new UID"
    assert found["SeriesDate"] == "shift date"
    assert found["(private)"] == "remove (private)"
    assert "PatientSex" not in found and "Rows" not in found
    out = de.deidentify(ct, salt=SALT)
    table = de.diff_html(ct, out)
    assert table.count("<tr>") == len(de.identifying_elements(ct)) + 1
    assert "JFK IMAGING CENTER" in table and "<i>removed</i>" in table


def test_bad_input():
    with pytest.raises(TypeError, match="pydicom Dataset"):
        de.deidentify({"PatientName": "x"}, salt=SALT)
    with pytest.raises(ValueError, match="salt"):
        de.deidentify(pydicom.Dataset(), salt="")
