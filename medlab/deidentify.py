"""DICOM de-identification after the ideas of DICOM PS3.15 Annex E (teaching subset).

The Basic Application Level Confidentiality Profile of DICOM PS3.15 Annex E lists, for
every attribute that can identify a person, an action code (Table E.1-1a): **D** replace by
a dummy value, **Z** replace by an empty or dummy value, **X** remove, **K** keep, **C**
clean (replace by values of similar meaning that identify no one), **U** replace a UID by
another, consistently; and combined codes. **Z/D** never removes: the attribute is emptied,
or given a dummy value if it is Type 1 (required, non-empty). **X/Z**, **X/D**, **X/Z/D**
and **X/Z/U*** remove the attribute unless the object's definition (IOD) requires it; then
it is emptied (Type 2), given a dummy value (Type 1), or has the UIDs it contains replaced
(X/Z/U*). Institution Name, for example, is X/Z/D. A full implementation looks each
attribute's type up in the IOD; this teaching subset removes (X) where the code starts with
X, which can leave a file that lacks an attribute its IOD requires. Options modify the
profile; this module applies

- the basic actions for the attributes in :data:`RULES` (names, IDs, addresses,
  institution, device, free-text descriptions, UIDs);
- the *Retain Longitudinal Temporal Information with Modified Dates* option: every date
  (VR DA, and the date part of DT) is shifted by the same number of days, so intervals
  between examinations survive; the birth date is emptied; times (TM) are kept;
- the *Retain Patient Characteristics* option: sex, age, size and weight are kept (they
  matter for research; an age over 89 is itself identifying under HIPAA);
- removal of all private (vendor) attributes, which may hold anything.

UIDs are replaced by :func:`remap_uid`: a keyed hash (HMAC-SHA-256 with a secret key,
called ``salt`` in this module's signatures) written as a version-8 UUID under the root
``2.25``. It records ``PatientIdentityRemoved = "YES"``, ``DeidentificationMethod`` and
``LongitudinalTemporalInformationModified``.

.. warning::
   This is a teaching implementation of a subset of the profile. A conformant
   de-identifier also records the profile and the options applied as codes in
   (0012,0064) De-identification Method Code Sequence (e.g. 113100 Basic Application
   Confidentiality Profile, 113107 Retain Longitudinal Temporal Information Modified
   Dates Option), rewrites the File Meta Information and handles times; this module
   does not (it only replaces the Media Storage SOP Instance UID in the file meta).
   Pixels are not examined: text burned into the image (``BurnedInAnnotation``), faces in
   head scans and identifying shapes need other tools. For real data use a maintained
   tool (e.g. the RSNA Clinical Trial Processor, ``deid``, ``dicognito``) and a review.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import hmac
import html
import uuid
from typing import Any

__all__ = [
    "METHOD",
    "RULES",
    "deidentify",
    "diff_html",
    "identifying_elements",
    "leaks",
    "remap_uid",
    "shift_date",
]

#: keyword → action (X remove, Z empty/dummy, U new UID), after PS3.15 Table E.1-1; the
#: combined codes of the table that start with X (X/Z, X/D, X/Z/D) are applied as X.
RULES: dict[str, str] = {
    # the patient
    "PatientName": "Z",
    "PatientID": "Z",
    "IssuerOfPatientID": "X",
    "OtherPatientIDs": "X",
    "OtherPatientIDsSequence": "X",
    "OtherPatientNames": "X",
    "PatientBirthName": "X",
    "PatientBirthDate": "Z",
    "PatientBirthTime": "X",
    "PatientAddress": "X",
    "PatientTelephoneNumbers": "X",
    "PatientMotherBirthName": "X",
    "MedicalRecordLocator": "X",
    "EthnicGroup": "X",
    "Occupation": "X",
    "MilitaryRank": "X",
    "AdditionalPatientHistory": "X",
    "PatientComments": "X",
    "ResponsiblePerson": "X",
    # the people and places around the examination
    "ReferringPhysicianName": "Z",
    "ReferringPhysicianAddress": "X",
    "PerformingPhysicianName": "X",
    "NameOfPhysiciansReadingStudy": "X",
    "PhysiciansOfRecord": "X",
    "RequestingPhysician": "X",
    "OperatorsName": "X",
    "InstitutionName": "X",
    "InstitutionAddress": "X",
    "InstitutionalDepartmentName": "X",
    "StationName": "X",
    "DeviceSerialNumber": "X",
    "AccessionNumber": "Z",
    "StudyID": "Z",
    # free text may hold anything
    "StudyDescription": "X",
    "SeriesDescription": "X",
    "ImageComments": "X",
    "RequestedProcedureDescription": "X",
    "PerformedProcedureStepDescription": "X",
    "ContentCreatorName": "X",
    # unique identifiers: replaced consistently, so series and studies stay linked
    "StudyInstanceUID": "U",
    "SeriesInstanceUID": "U",
    "SOPInstanceUID": "U",
    "MediaStorageSOPInstanceUID": "U",
    "FrameOfReferenceUID": "U",
    "InstanceCreatorUID": "U",
    "ReferencedSOPInstanceUID": "U",
    "IrradiationEventUID": "U",
    "SynchronizationFrameOfReferenceUID": "U",
}

_DUMMY = {"PatientName": "pseudonym", "PatientID": "pseudonym"}

#: recorded in DeidentificationMethod (a LO value: at most 64 characters)
METHOD = "PS3.15 E basic subset (MedLab); dates shifted; characteristics kept"[:64]


def _check_salt(salt: Any) -> str:
    if not isinstance(salt, str) or len(salt) < 8:
        raise ValueError(
            "salt (the secret HMAC key) must be a string of at least 8 characters (without a "
            f"secret key, anyone could recompute the mapping from known UIDs), got {salt!r}"
        )
    return salt


def _uuid8(digest: bytes) -> uuid.UUID:
    """A version-8 UUID (RFC 9562: custom) from the first 16 bytes of ``digest``.

    Python's :class:`uuid.UUID` sets the version only for 1 to 5 before Python 3.14, so
    the bits are set here: version 8 in bits 76-79, the variant ``10`` in bits 62-63.
    """
    bits = int.from_bytes(digest[:16], "big")
    bits = (bits & ~(0xF << 76)) | (0x8 << 76)
    bits = (bits & ~(0x3 << 62)) | (0x2 << 62)
    return uuid.UUID(int=bits)


def remap_uid(uid: str, salt: str, uid_map: dict[str, str] | None = None) -> str:
    """A new UID for ``uid``: the same input and key always give the same output.

    The new UID is ``2.25.<decimal integer>``, the root for UIDs derived from a UUID (ISO/IEC
    9834-8, DICOM PS3.5 B.2): the integer is a UUID's 128 bits, so it must *be* a UUID,
    variant and version bits included. Here the other 122 bits come from
    HMAC-SHA-256(key, uid), a keyed hash: different inputs practically never collide, and
    without the secret key nobody can recompute the mapping from UIDs they know. The
    UUID is stamped **version 8** (RFC 9562's version for custom, e.g. hash-derived, UUIDs):
    it is deterministic, so version 4 (random) would be a false label, and version 5 is an
    unkeyed SHA-1 of a namespace and a name.

    Parameters
    ----------
    uid : str
        The original UID.
    salt : str
        The secret key of the HMAC (not a salt in the password-hashing sense: it must stay
        secret), at least 8 characters, the same for every file of a project.
    uid_map : dict, optional
        Filled in with ``{uid: new_uid}`` (a record for the data custodian).

    Returns
    -------
    str
        A valid UID of at most 44 characters (``2.25.`` and at most 39 digits).

    Examples
    --------
    >>> new = remap_uid("1.2.3.4", "project-secret")
    >>> new.startswith("2.25."), uuid.UUID(int=int(new[5:])).version
    (True, 8)
    """
    _check_salt(salt)
    text = str(uid).strip()
    if not text:
        raise ValueError("uid must be a non-empty UID string, got an empty value")
    digest = hmac.new(salt.encode(), text.encode(), hashlib.sha256).digest()
    new = "2.25." + str(_uuid8(digest).int)
    if uid_map is not None:
        uid_map[text] = new
    return new


def shift_date(value: str, days: int) -> str:
    """Shift a DICOM date (DA ``YYYYMMDD``) or the date part of a datetime (DT) by ``days``.

    Empty values stay empty. Calendar arithmetic (month lengths, leap years) is done by
    :mod:`datetime`, never on the digits.

    Raises
    ------
    ValueError
        If ``value`` does not start with a valid ``YYYYMMDD`` date.
    """
    text = str(value).strip()
    if not text:
        return text
    try:
        date = _dt.datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        raise ValueError(f"expected a DICOM date YYYYMMDD, got {value!r}") from None
    return (date + _dt.timedelta(days=int(days))).strftime("%Y%m%d") + text[8:]


def _value_text(elem: Any) -> str:
    if elem.VR == "SQ":
        return f"<sequence of {len(elem.value)} item(s)>"
    if isinstance(elem.value, (bytes, bytearray)):
        return f"<{len(elem.value)} bytes>"
    return "" if elem.value is None else str(elem.value)


def _walk(ds: Any):
    """Every element of a dataset, its file meta and nested sequences."""
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        yield from meta.iterall()
    yield from ds.iterall()


def identifying_elements(ds: Any) -> list[dict[str, str]]:
    """The non-empty elements of ``ds`` that can identify a person, with the action due.

    Covers the keywords of :data:`RULES`, every date (DA, DT), and private attributes.
    Each entry: ``tag`` ("(0010,0010)"), ``keyword``, ``value`` (as text), ``action``
    ("remove", "empty", "pseudonym", "new UID", "shift date", "remove (private)").
    """
    names = {"X": "remove", "Z": "empty", "U": "new UID"}
    found = []
    for elem in _walk(ds):
        if (
            elem.tag == 0x7FE00010
            or elem.value in (None, "", b"")
            or (elem.VR == "SQ" and len(elem.value) == 0)
        ):
            continue
        keyword = elem.keyword or ""
        if elem.tag.is_private:
            action = "remove (private)"
        elif keyword in _DUMMY:
            action = "pseudonym"
        elif keyword in RULES:
            action = names[RULES[keyword]]
        elif elem.VR in ("DA", "DT"):
            action = "shift date"
        else:
            continue
        found.append(
            {
                "tag": str(elem.tag),
                "keyword": keyword or "(private)",
                "value": _value_text(elem),
                "action": action,
            }
        )
    return found


def deidentify(
    ds: Any,
    *,
    salt: str,
    pseudonym: str = "ANONYMOUS",
    date_shift_days: int = 0,
    uid_map: dict[str, str] | None = None,
) -> Any:
    """A de-identified copy of a pydicom ``Dataset`` (the input is not changed).

    Parameters
    ----------
    ds : pydicom.Dataset
    salt : str
        The secret HMAC key for :func:`remap_uid`; keep it the same for all files of a
        project so that UIDs stay consistent (a study's series keep pointing to the same
        study), and keep it secret.
    pseudonym : str
        Replaces PatientName and PatientID (e.g. a study subject code).
    date_shift_days : int
        Days added to every date (choose one random offset per patient and keep it
        secret); 0 keeps the dates. Shifted dates do not meet HIPAA's Safe Harbor
        method, which keeps only the year.
    uid_map : dict, optional
        Filled in with the old → new UIDs.

    Returns
    -------
    pydicom.Dataset
        The copy, with ``PatientIdentityRemoved`` "YES" and ``DeidentificationMethod`` set.
    """
    _check_salt(salt)
    if not hasattr(ds, "iterall"):
        raise TypeError(f"deidentify expects a pydicom Dataset, got {type(ds).__name__}")
    out = copy.deepcopy(ds)
    out.remove_private_tags()
    for dataset in [out, *(_nested(out))]:
        _apply(dataset, salt, pseudonym, int(date_shift_days), uid_map)
    meta = getattr(out, "file_meta", None)
    if meta is not None and "MediaStorageSOPInstanceUID" in meta:
        meta.MediaStorageSOPInstanceUID = remap_uid(meta.MediaStorageSOPInstanceUID, salt, uid_map)
    out.PatientIdentityRemoved = "YES"
    out.DeidentificationMethod = METHOD
    if date_shift_days:
        out.LongitudinalTemporalInformationModified = "MODIFIED"
    return out


def _nested(ds: Any) -> list[Any]:
    items = []
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value:
                items.append(item)
                items.extend(_nested(item))
    return items


def _apply(ds: Any, salt: str, pseudonym: str, days: int, uid_map: dict | None) -> None:
    for elem in list(ds):
        keyword = elem.keyword
        action = RULES.get(keyword)
        if action == "X":
            del ds[elem.tag]
        elif action == "Z":
            elem.value = pseudonym if keyword in _DUMMY else ""
        elif action == "U" and elem.value:
            if elem.VM > 1:
                elem.value = [remap_uid(u, salt, uid_map) for u in elem.value]
            else:
                elem.value = remap_uid(elem.value, salt, uid_map)
        elif elem.VR in ("DA", "DT") and elem.value:
            if elem.VM > 1:
                elem.value = [shift_date(v, days) for v in elem.value]
            else:
                elem.value = shift_date(elem.value, days)


def leaks(original: Any, deidentified: Any) -> list[tuple[str, str]]:
    """Identifying values of ``original`` that still appear anywhere in ``deidentified``.

    Every textual value :func:`identifying_elements` lists for the original (at least 3
    characters, not a plain number; dates and UIDs included) is searched for as a
    substring of every element of the de-identified dataset, nested ones, byte values and
    the file meta included.

    Returns
    -------
    list of (value, keyword)
        Each value found and the keyword of the element it was found in, sorted. An empty
        list is evidence, not proof: free text or pixels may still identify. A hit may be
        harmless (an institution named like the manufacturer): inspect each one.
    """
    wanted = {
        e["value"]
        for e in identifying_elements(original)
        if len(e["value"]) >= 3 and not e["value"].startswith("<") and not _is_number(e["value"])
    }
    hits = set()
    for elem in _walk(deidentified):
        if elem.tag == 0x7FE00010 or elem.VR == "SQ":
            continue
        if isinstance(elem.value, (bytes, bytearray)):
            text = elem.value.decode("latin-1")
        else:
            text = _value_text(elem)
        for v in wanted:
            if v in text:
                hits.add((v, elem.keyword or str(elem.tag)))
    return sorted(hits)


def _is_number(text: str) -> bool:
    """Plain numbers (vendor parameters such as "1.000000") identify no one by themselves."""
    try:
        float(text)
    except ValueError:
        return False
    return not (len(text) == 8 and text.isdigit())  # a YYYYMMDD date is not "a number"


def diff_html(before: Any, after: Any) -> str:
    """An HTML table of the identifying elements of ``before`` and what became of them."""
    after_values = {str(e.tag): _value_text(e) for e in _walk(after)}
    rows = []
    for e in identifying_elements(before):
        new = after_values.get(e["tag"])
        shown = "<i>removed</i>" if new is None else (html.escape(new) or "<i>empty</i>")
        rows.append(
            f"<tr><td>{e['tag']}</td><td>{html.escape(e['keyword'])}</td>"
            f"<td>{html.escape(e['value'][:48])}</td><td>{shown[:60]}</td>"
            f"<td>{e['action']}</td></tr>"
        )
    head = "<tr><th>tag</th><th>keyword</th><th>before</th><th>after</th><th>action</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"
