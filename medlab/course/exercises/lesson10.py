"""Exercises of lesson 10 (challenges): UID remapping, date shifting, calibration error."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

import numpy as np

from medlab.course.exercises import ExerciseDef, Item
from medlab.course.exercises._functions import call_safely, require_function

__all__ = ["EXERCISES"]

_UIDS = [
    "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322",
    "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322",
    "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322",  # the same study again
    "1.2.840.113619.2.55.3.604688119.969.1268071029.320",
    "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12323",  # differs in the last digit
]
_UID_RE = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")


def check_uid_remap(answer: Any) -> list[Item]:
    """``new_uid(uid, salt)``: consistent, distinct, valid, salted, not revealing."""
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
        out.append(got)
    if out[0] != out[2]:
        return [
            *items,
            Item(False, "the same UID must always get the same new UID (files of one study "
                        "must stay linked)"),
        ]
    if len(set(out)) != 4:
        return [*items, Item(False, "different UIDs must get different new UIDs")]
    items.append(Item(True, "consistent: the same UID gets the same new UID, others differ"))
    for old, new in zip(_UIDS, out, strict=True):
        if not _UID_RE.match(new) or len(new) > 64:
            return [
                *items,
                Item(False, f"{new!r} is not a valid UID: digits and dots only, no leading "
                            "zeros in a component, at most 64 characters"),
            ]
        if old in new or old.split(".")[-1] in new.split("."):
            return [*items, Item(False, "the new UID still contains (part of) the original one")]
    items.append(Item(True, "valid DICOM UIDs that do not contain the originals"))
    other, error = call_safely(answer, "new_uid", _UIDS[0], "another-secret-2")
    if error:
        return [*items, error]
    if other == out[0]:
        return [
            *items,
            Item(False, "the salt does not change the result: anyone could hash known UIDs and "
                        "recognise them"),
        ]
    items.append(Item(True, "the secret salt changes the mapping"))
    return items


def check_date_shift(answer: Any) -> list[Item]:
    """``shift_da(value, days)``: calendar arithmetic on DICOM DA strings."""
    items = require_function(answer, "shift_da")
    if not items[0].ok:
        return items
    cases = [("20040119", -30), ("20200131", 1), ("20200228", 1), ("20211231", 1),
             ("19970430", -1461)]
    for value, days in cases:
        got, error = call_safely(answer, "shift_da", value, days)
        if error:
            return [*items, error]
        want = (_dt.datetime.strptime(value, "%Y%m%d") + _dt.timedelta(days=days)).strftime(
            "%Y%m%d"
        )
        if got == want:
            continue
        if not isinstance(got, str):
            msg = f"return a DICOM date string YYYYMMDD, got {type(got).__name__}"
        elif got == str(int(value) + days):
            msg = (f"{value} shifted by {days} day(s) gave {got}: adding to the digits is not "
                   "calendar arithmetic (month ends, leap years)")
        elif len(got) != 8 or not got.isdigit():
            msg = f"return the date as 8 digits YYYYMMDD, got {got!r}"
        else:
            msg = f"{value} shifted by {days} day(s) should not give {got}"
        return [*items, Item(False, msg)]
    items.append(Item(True, "shifted dates are right across month ends, leap years and years"))
    return items


def _ece(y, p, n_bins):
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in range(n_bins):
        sel = bins == b
        if sel.any():
            total += sel.mean() * abs(y[sel].mean() - p[sel].mean())
    return total


def check_ece(answer: Any) -> list[Item]:
    """``expected_calibration_error(y_true, prob, n_bins)`` with equal-width bins."""
    items = require_function(answer, "expected_calibration_error")
    if not items[0].ok:
        return items
    rng = np.random.default_rng(10)
    cases = []
    for n, bias in [(500, 0.0), (300, 0.25), (200, -0.2)]:
        p = np.clip(rng.beta(1.2, 1.2, n) + bias, 0.0, 1.0)
        y = (rng.random(n) < np.clip(p - bias, 0, 1)).astype(int)
        cases.append((y, p, 10))
    cases.append((cases[0][0], cases[0][1], 5))
    for y, p, n_bins in cases:
        got, error = call_safely(answer, "expected_calibration_error", y, p, n_bins)
        if error:
            return [*items, error]
        try:
            value = float(got)
        except (TypeError, ValueError):
            return [*items, Item(False, f"return one number, got {got!r}")]
        want = _ece(y, p, n_bins)
        if np.isclose(value, want, atol=1e-9):
            continue
        bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
        gaps = [abs(y[bins == b].mean() - p[bins == b].mean())
                for b in range(n_bins) if np.any(bins == b)]
        if np.isclose(value, np.mean(gaps)):
            msg = "weight each bin's gap by the fraction of samples in it, not equally"
        elif np.isclose(value, abs(y.mean() - p.mean())):
            msg = "that is the overall gap (one bin); compare within each confidence bin"
        elif np.isclose(value, _ece(y, p, 10)) and n_bins != 10:
            msg = "use the n_bins argument for the number of bins"
        else:
            msg = f"{value:.4g} is not the ECE of a test set of {len(y)} predictions"
        return [*items, Item(False, msg)]
    items.append(Item(True, "the ECE is right on calibrated, over- and under-confident sets"))
    return items


EXERCISES = (
    ExerciseDef(
        id="10.uid_remap",
        title="A consistent UID remapping",
        checker=check_uid_remap,
        hints=(
            "A hash function gives the same output for the same input and different outputs "
            "for different inputs; mixing in a secret salt stops others recomputing it.",
            "hashlib.sha256((salt + uid).encode()).digest() gives 32 bytes; "
            "int.from_bytes(...) turns bytes into an integer.",
            "A UID under the root 2.25 is '2.25.' followed by a decimal integer of at most 128 "
            "bits: use the first 16 bytes of the hash.",
        ),
        solution=(
            "def new_uid(uid, salt):\n"
            "    digest = hashlib.sha256((salt + uid).encode()).digest()[:16]\n"
            "    return \"2.25.\" + str(int.from_bytes(digest, \"big\"))\n"
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
            "    date = datetime.datetime.strptime(value, \"%Y%m%d\")\n"
            "    return (date + datetime.timedelta(days=days)).strftime(\"%Y%m%d\")\n"
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
