"""Exercises of lesson 10 (challenges): UID remapping, date shifting, calibration error."""

from __future__ import annotations

import datetime as _dt
import re
import uuid
from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._declarative import Converted, FunctionCheck, Mistake, Number
from medlab.course.exercises._learner import call_safely, plain_text, require_function

__all__ = ["EXERCISES"]

_UIDS = [
    "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322",
    "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322",
    "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322",  # the same study again
    "1.2.840.113619.2.55.3.604688119.969.1268071029.320",
    "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12323",  # differs in the last digit
]
_UID_RE = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")


def _is_uuid_number(digits: str) -> bool:
    """The decimal digits after 2.25. are a UUID: < 2**128, RFC 4122 variant, a version."""
    number = int(digits)
    if number >= 2**128:
        return False
    as_uuid = uuid.UUID(int=number)
    return as_uuid.variant == uuid.RFC_4122 and as_uuid.version in range(1, 9)


def check_uid_remap(answer: Any) -> list[Item]:
    """``new_uid(uid, key)``: consistent, distinct, valid, keyed, not revealing.

    Bespoke rather than a :class:`FunctionCheck`: there is no one right answer to compare
    with, only properties of the mapping as a whole (same in, same out; keyed; valid).
    """
    items = require_function(answer, "new_uid")
    if not items[0].ok:
        return items
    out = []
    for uid in _UIDS:
        got, error = call_safely(answer, "new_uid", uid, "project-secret-1")
        if error:
            return [*items, error]
        if not isinstance(got, str):
            kind = type(got).__name__
            return [*items, Item(False, f"return the new UID as a string, got {kind}")]
        out.append(plain_text(got))
    if out[0] != out[2]:
        return [
            *items,
            Item(
                False,
                "the same UID must always get the same new UID (files of one study "
                "must stay linked)",
            ),
        ]
    if len(set(out)) != 4:
        return [*items, Item(False, "different UIDs must get different new UIDs")]
    items.append(Item(True, "consistent: the same UID gets the same new UID, others differ"))
    for old, new in zip(_UIDS, out, strict=True):
        if not _UID_RE.match(new) or len(new) > 64:
            return [
                *items,
                Item(
                    False,
                    f"{new!r} is not a valid UID: digits and dots only, no leading "
                    "zeros in a component, at most 64 characters",
                ),
            ]
        if old in new or old.split(".")[-1] in new.split("."):
            return [*items, Item(False, "the new UID still contains (part of) the original one")]
        if new.startswith("2.25.") and not _is_uuid_number(new[5:]):
            return [
                *items,
                Item(
                    False,
                    f"{new[:20]}… uses the root 2.25, which is for UUIDs: the number "
                    "must be a UUID's 128 bits with its version and variant bits set "
                    "(ISO/IEC 9834-8, RFC 9562), not any 128-bit hash: set bits 76-79 "
                    "to 8 (the version) and bits 62-63 to binary 10 (the variant)",
                ),
            ]
        if new.startswith("2.25.") and uuid.UUID(int=int(new[5:])).version == 4:
            return [
                *items,
                Item(
                    False,
                    "version 4 means a random UUID, but yours is computed from the UID "
                    "(the same UID always gives the same one): a deterministic, "
                    "hash-derived UUID is version 8 (RFC 9562, custom); set bits 76-79 "
                    "to 8",
                ),
            ]
    items.append(Item(True, "valid DICOM UIDs that do not contain the originals"))
    other, error = call_safely(answer, "new_uid", _UIDS[0], "another-secret-2")
    if error:
        return [*items, error]
    if isinstance(other, str) and plain_text(other) == out[0]:
        return [
            *items,
            Item(
                False,
                "the result does not depend on the secret key: anyone could hash known "
                "UIDs and recognise them (a public salt would not help either: the key "
                "must stay secret)",
            ),
        ]
    items.append(Item(True, "the secret key changes the mapping"))
    return items


def _shifted(value: str, days: int) -> str:
    date = _dt.datetime.strptime(value, "%Y%m%d") + _dt.timedelta(days=days)
    return date.strftime("%Y%m%d")


# shift_da(value, days): calendar arithmetic on DICOM DA strings
check_date_shift = FunctionCheck(
    "shift_da",
    cases=[
        ("20040119", -30),
        ("20200131", 1),
        ("20200228", 1),
        ("20211231", 1),
        ("19970430", -1461),
    ],
    reference=_shifted,
    returns=Converted(plain_text, "a DICOM date string YYYYMMDD"),
    close=lambda got, want: got == want,
    mistakes=(
        Mistake(
            lambda got, want, value, days: (
                f"{value} shifted by {days} day(s) gave {got}: "
                "adding to the digits is not calendar arithmetic (month ends, leap years)"
            ),
            like=lambda value, days: str(int(value) + days),
        ),
        Mistake(
            lambda got, *_: f"return the date as 8 digits YYYYMMDD, got {got!r}",
            when=lambda got, *_: len(got) != 8 or not got.isdigit(),
        ),
    ),
    otherwise=lambda got, want, value, days: (
        f"{value} shifted by {days} day(s) should not give {got}"
    ),
    passed="shifted dates are right across month ends, leap years and years",
)


def _ece_cases() -> list[tuple[np.ndarray, np.ndarray, int]]:
    rng = np.random.default_rng(10)
    cases = []
    for n, bias in [(500, 0.0), (300, 0.25), (200, -0.2)]:
        p = np.clip(rng.beta(1.2, 1.2, n) + bias, 0.0, 1.0)
        y = (rng.random(n) < np.clip(p - bias, 0, 1)).astype(int)
        cases.append((y, p, 10))
    cases.append((cases[0][0], cases[0][1], 5))
    return cases


def _bin_gaps(y: np.ndarray, p: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """(share of the samples, |mean(y) − mean(p)|) of each non-empty equal-width bin."""
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    kept = [b for b in range(n_bins) if np.any(bins == b)]
    shares = np.array([np.mean(bins == b) for b in kept])
    gaps = np.array([abs(y[bins == b].mean() - p[bins == b].mean()) for b in kept])
    return shares, gaps


def _ece(y: np.ndarray, p: np.ndarray, n_bins: int) -> float:
    shares, gaps = _bin_gaps(y, p, n_bins)
    return float(np.sum(shares * gaps))


# expected_calibration_error(y_true, prob, n_bins) with equal-width bins
check_ece = FunctionCheck(
    "expected_calibration_error",
    cases=_ece_cases,
    reference=_ece,
    returns=Number("the calibration error"),
    close=lambda got, want: bool(np.isclose(got, want, atol=1e-9)),
    mistakes=(
        Mistake(
            "weight each bin's gap by the fraction of samples in it, not equally",
            like=lambda y, p, n_bins: float(np.mean(_bin_gaps(y, p, n_bins)[1])),
        ),
        Mistake(
            "that is the overall gap (one bin); compare within each confidence bin",
            like=lambda y, p, n_bins: abs(y.mean() - p.mean()),
        ),
        Mistake(
            "use the n_bins argument for the number of bins",
            like=lambda y, p, n_bins: _ece(y, p, 10),
        ),
    ),
    otherwise=lambda got, want, y, p, n_bins: (
        f"{got:.4g} is not the ECE of a test set of {len(y)} predictions"
    ),
    passed="the ECE is right on calibrated, over- and under-confident sets",
)


EXERCISES = (
    ExerciseDef(
        id="10.uid_remap",
        title="A consistent UID remapping",
        checker=check_uid_remap,
        hints=(
            "A keyed hash (HMAC) gives the same output for the same input and key, different "
            "outputs for different inputs, and cannot be recomputed without the secret key.",
            "hmac.new(key.encode(), uid.encode(), hashlib.sha256).digest() gives 32 bytes; "
            "int.from_bytes(digest[:16], 'big') makes a 128-bit integer of the first 16.",
            "A UID under the root 2.25 is '2.25.' followed by a UUID written as one decimal "
            "integer. Stamp the version and the variant into the 128 bits: "
            "bits = (bits & ~(0xF << 76)) | (0x8 << 76) sets version 8 (a custom, "
            "deterministic UUID; 4 would claim it is random), and "
            "bits = (bits & ~(0x3 << 62)) | (0x2 << 62) sets the variant bits to 10.",
        ),
        solution=(
            "def new_uid(uid, key):\n"
            "    digest = hmac.new(key.encode(), uid.encode(), hashlib.sha256).digest()\n"
            '    bits = int.from_bytes(digest[:16], "big")\n'
            "    bits = (bits & ~(0xF << 76)) | (0x8 << 76)  # version 8: custom (RFC 9562)\n"
            "    bits = (bits & ~(0x3 << 62)) | (0x2 << 62)  # variant: binary 10\n"
            '    return "2.25." + str(bits)\n'
        ),
    ),
    ExerciseDef(
        id="10.date_shift",
        title="Shifting a DICOM date",
        checker=check_date_shift,
        hints=(
            "A DICOM date (VR DA) is a string YYYYMMDD; 20200131 + 1 is not a date.",
            "datetime.datetime.strptime(value, '%Y%m%d') parses it; datetime.timedelta(days=n) "
            "shifts it.",
            "Format the result back with .strftime('%Y%m%d').",
        ),
        solution=(
            "def shift_da(value, days):\n"
            '    date = datetime.datetime.strptime(value, "%Y%m%d")\n'
            '    return (date + datetime.timedelta(days=days)).strftime("%Y%m%d")\n'
        ),
    ),
    ExerciseDef(
        id="10.ece",
        title="Expected calibration error",
        checker=check_ece,
        hints=(
            "Group the predictions into n_bins equal-width bins of predicted probability "
            "([0, 0.1), [0.1, 0.2), ... for 10 bins; a probability of exactly 1 goes in the "
            "last bin).",
            "In each bin compare the observed frequency of positives, mean(y), with the mean "
            "predicted probability, mean(p).",
            "ECE = Σ over non-empty bins of (samples in bin / all samples) × |mean(y) − mean(p)|.",
        ),
        solution=(
            "def expected_calibration_error(y_true, prob, n_bins=10):\n"
            "    y_true, prob = np.asarray(y_true), np.asarray(prob)\n"
            "    bins = np.minimum((prob * n_bins).astype(int), n_bins - 1)\n"
            "    ece = 0.0\n"
            "    for b in range(n_bins):\n"
            "        in_bin = bins == b\n"
            "        if in_bin.any():\n"
            "            gap = abs(y_true[in_bin].mean() - prob[in_bin].mean())\n"
            "            ece += in_bin.mean() * gap\n"
            "    return ece\n"
        ),
    ),
)
