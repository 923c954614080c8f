"""Fuzz the ``medlab.io`` readers with corrupted copies of real files.

Every case is a seed file (real: pydicom's and nibabel's own test files; synthetic: small
pictures written with Pillow and NRRD volumes written with pynrrd) damaged by one seeded
mutation: truncated, bits flipped, a range zeroed, random bytes spliced in, replaced by random
bytes, or one header field rewritten (a DICOM element's VR, length or value; a NIfTI header
field; a PNG/JPEG size field; a NRRD header line). ``series`` cases give
:func:`~medlab.io.read_dicom_series` a folder of three slices, one damaged. Each case must either
return a valid :class:`~medlab.io.MedicalImage` (float32 array of the shape the header
declares, finite spacing ≥ 0) or raise :class:`~medlab.errors.ImageReadError` whose
message names the file, and print nothing to stdout/stderr.

Run ``python tests/benchmarks/fuzz_readers.py --cases 3000`` (the default): prints a table of
outcomes by reader and exception type and exits 1 if any library exception escaped, a
returned image was invalid, an error did not name its file, or anything was printed.
``tests/test_io_fuzz.py`` runs the same fuzzer on a few hundred cases in CI.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import gzip
import io
import logging
import math
import os
import struct
import sys
import tempfile
import time
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

READERS = ("dicom", "nifti", "image", "series", "nrrd")
READER_WEIGHTS = (0.37, 0.33, 0.13, 0.09, 0.08)
MUTATIONS = ("truncate", "bitflip", "zero", "splice", "random", "header")

DICOM_SEEDS = (
    "CT_small.dcm",  # Explicit VR Little Endian, CT (HU)
    "MR_small.dcm",  # Explicit VR Little Endian, MR
    "MR_small_implicit.dcm",  # Implicit VR Little Endian
    "MR_small_bigendian.dcm",  # Explicit VR Big Endian
    "MR_small_RLE.dcm",  # RLE Lossless (encapsulated pixel data)
    "SC_rgb_small_odd.dcm",  # colour, odd-sized
)
NIFTI_SEEDS = (
    "anatomical.nii",  # NIfTI-1, 3D
    "functional.nii",  # NIfTI-1, 4D
    "example_nifti2.nii.gz",  # NIfTI-2, gzipped
    "standard.nii.gz",  # NIfTI-1, gzipped, tiny
)
# DICOM elements a corrupted header most often gets wrong, and that the reader depends on.
IMPORTANT_TAGS = (
    0x00280010,  # Rows
    0x00280011,  # Columns
    0x00280100,  # BitsAllocated
    0x00280101,  # BitsStored
    0x00280102,  # HighBit
    0x00280103,  # PixelRepresentation
    0x00280002,  # SamplesPerPixel
    0x00280004,  # PhotometricInterpretation
    0x00280006,  # PlanarConfiguration
    0x00280008,  # NumberOfFrames
    0x00280030,  # PixelSpacing
    0x00180050,  # SliceThickness
    0x00281052,  # RescaleIntercept
    0x00281053,  # RescaleSlope
    0x00200032,  # ImagePositionPatient
    0x00200037,  # ImageOrientationPatient
    0x00200013,  # InstanceNumber
    0x00080060,  # Modality
    0x7FE00010,  # PixelData
)
LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
TEXT_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UI"}
BAD_TEXT = (
    b"abc", b"1.2.3", b"nan", b"NaN", b"inf", b"-inf", b"1e999", b"-1e999", b"1e-400", b"-",
    b"+", b"0", b"-0", b"\\", b"1\\", b"\\\\\\", b"1\\2\\3\\4\\5\\6\\7", b"\xff\xfe\x00",
    b"99999999999999999999", b"-2147483649", b"0.0\\0.0", b"-1\\-1", b" ", b"",
)  # fmt: skip
EDGE_INTS = (
    0, 1, -1, 2, 3, 7, 8, 9, 12, 15, 16, 17,
    32, 33, 64, 99, 255, 256, 1000, 32767, -32768, 65535, 2**31 - 1, -(2**31),
)  # fmt: skip
EDGE_FLOATS = (
    0.0, -0.0, 1.0, -1.0, 1e-30, 1e30, 3.4e38, -3.4e38, math.nan, math.inf, -math.inf, 0.5, 1e10,
)  # fmt: skip


# --------------------------------------------------------------------------- seeds


@dataclass(frozen=True)
class SeedFile:
    """A real, valid file the mutations start from."""

    reader: str
    name: str
    data: bytes

    @property
    def suffix(self) -> str:
        return ".nii.gz" if self.name.endswith(".nii.gz") else Path(self.name).suffix


@functools.cache
def seed_files() -> tuple[SeedFile, ...]:
    """The seed files: pydicom's and nibabel's test files, four Pillow pictures, two NRRDs."""
    import nibabel
    from PIL import Image
    from pydicom.data import get_testdata_file

    seeds = [SeedFile("dicom", n, Path(get_testdata_file(n)).read_bytes()) for n in DICOM_SEEDS]
    nib_data = Path(nibabel.__file__).parent / "tests" / "data"
    seeds += [SeedFile("nifti", n, (nib_data / n).read_bytes()) for n in NIFTI_SEEDS]
    rng = np.random.default_rng(2024)
    pictures = {
        "gray8.png": (rng.integers(0, 256, (24, 32), dtype=np.uint8), "PNG"),
        "gray16.png": (rng.integers(0, 65536, (20, 16), dtype=np.uint16), "PNG"),
        "rgb.png": (rng.integers(0, 256, (16, 16, 3), dtype=np.uint8), "PNG"),
        "rgb.jpg": (rng.integers(0, 256, (32, 24, 3), dtype=np.uint8), "JPEG"),
    }
    for name, (array, fmt) in pictures.items():
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, format=fmt)
        seeds.append(SeedFile("image", name, buffer.getvalue()))
    return tuple(seeds) + _nrrd_seeds()


def _nrrd_seeds() -> tuple[SeedFile, ...]:
    """Small NRRD volumes written by pynrrd (synthetic voxels, the header 3D Slicer writes)."""
    import nrrd

    volumes = {
        "lps_gzip.nrrd": ("gzip", "left-posterior-superior", np.int16, np.diag([0.5, 0.7, 2.5])),
        "ras_raw.nrrd": ("raw", "right-anterior-superior", np.float32, -np.eye(3)[[1, 0, 2]]),
    }
    seeds = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (encoding, space, dtype, directions) in volumes.items():
            data = np.arange(6 * 5 * 4).reshape(6, 5, 4).astype(dtype)
            header = {
                "space": space,
                "space directions": directions,
                "space origin": np.array([-10.0, 20.0, 30.0]),
                "encoding": encoding,
            }
            nrrd.write(str(Path(tmp) / name), data, header)
            seeds.append(SeedFile("nrrd", name, (Path(tmp) / name).read_bytes()))
    return tuple(seeds)


@functools.cache
def _dicom_elements(name: str) -> tuple[tuple[int, str, int, int, bool, bool], ...]:
    """(tag, VR, length, value offset, implicit VR, little endian) of the top-level elements."""
    import pydicom
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file(name))
    out = []
    for tag in ds.keys():
        raw = ds.get_item(tag)
        if getattr(raw, "is_raw", False) and raw.value_tell is not None:
            vr = raw.VR or ""
            out.append(
                (int(tag), vr, raw.length, raw.value_tell, raw.is_implicit_VR, raw.is_little_endian)
            )
    return tuple(out)


# --------------------------------------------------------------------------- mutations


def _position(rng: np.random.Generator, size: int) -> int:
    """A byte offset, half the time inside the first KiB (where the headers are)."""
    if size <= 1:
        return 0
    if rng.random() < 0.5:
        return int(rng.integers(0, min(size, 1024)))
    return int(rng.integers(0, size))


def truncate(rng: np.random.Generator, data: bytes) -> bytes:
    return data[: _position(rng, len(data))] or data[:1]


def bitflip(rng: np.random.Generator, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 17))):
        pos = _position(rng, len(out))
        out[pos] ^= 1 << int(rng.integers(0, 8))
    return bytes(out)


def zero(rng: np.random.Generator, data: bytes) -> bytes:
    out = bytearray(data)
    start = _position(rng, len(out))
    length = int(rng.integers(1, 257))
    out[start : start + length] = bytes(len(out[start : start + length]))
    return bytes(out)


def splice(rng: np.random.Generator, data: bytes) -> bytes:
    """Insert or overwrite a chunk of random bytes, or of bytes copied from elsewhere."""
    start = _position(rng, len(data))
    length = int(rng.integers(1, 129))
    if rng.random() < 0.5:
        chunk = rng.bytes(length)
    else:
        src = int(rng.integers(0, len(data)))
        chunk = data[src : src + length]
    end = start if rng.random() < 0.5 else start + len(chunk)  # insert or overwrite
    return data[:start] + chunk + data[end:]


def random_file(rng: np.random.Generator, seed: SeedFile) -> bytes:
    """Random bytes, half the time behind the format's magic so the parser goes further."""
    body = rng.bytes(int(rng.integers(1, 4097)))
    if rng.random() < 0.5:
        return body
    if seed.reader in ("dicom", "series"):
        return bytes(128) + b"DICM" + body
    if seed.reader == "nifti":
        header = bytearray(rng.bytes(352))
        header[0:4] = struct.pack("<i", 348)
        header[344:348] = b"n+1\x00"
        return bytes(header) + body
    if seed.reader == "nrrd":
        return b"NRRD0004\n" + body
    return b"\x89PNG\r\n\x1a\n" + body


def _dicom_header_field(rng: np.random.Generator, seed: SeedFile, data: bytes) -> bytes:
    """Rewrite the VR, the length or the value of one top-level DICOM element."""
    elements = _dicom_elements(seed.name)
    if not elements:
        return bitflip(rng, data)
    important = [e for e in elements if e[0] in IMPORTANT_TAGS]
    pool = important if important and rng.random() < 0.7 else list(elements)
    tag, vr, length, tell, implicit, little = pool[int(rng.integers(0, len(pool)))]
    endian = "<" if little else ">"
    long_form = implicit or vr in LONG_VRS
    len_at, len_size = (tell - 4, 4) if long_form else (tell - 2, 2)
    choice = (
        rng.choice(["vr", "length", "value"]) if not implicit else rng.choice(["length", "value"])
    )
    out = bytearray(data)
    if choice == "vr":
        vr_at = tell - (8 if long_form else 4)
        if rng.random() < 0.5:
            new_vr = bytes(rng.integers(65, 91, 2, dtype=np.uint8))  # two capital letters
        else:
            new_vr = rng.bytes(2)
        out[vr_at : vr_at + 2] = new_vr
        return bytes(out)
    if choice == "length":
        limit = 2**16 if len_size == 2 else 2**32
        candidates = [
            0,
            1,
            length + 1,
            max(length - 1, 0),
            length * 2,
            limit - 1,
            int(rng.integers(0, limit)),
        ]
        new_len = candidates[int(rng.integers(0, len(candidates)))] % limit
        out[len_at : len_at + len_size] = struct.pack(
            endian + ("H" if len_size == 2 else "I"), new_len
        )
        return bytes(out)
    # a new value, with the length field rewritten to match (the file grows or shrinks)
    if vr in TEXT_VRS or (tag == 0x7FE00010 and rng.random() < 0.2):
        value = BAD_TEXT[int(rng.integers(0, len(BAD_TEXT)))]
    elif vr in ("US", "SS"):
        value = struct.pack(endian + "H", int(rng.choice(EDGE_INTS)) % 2**16)
    elif vr in ("UL", "SL"):
        value = struct.pack(endian + "I", int(rng.choice(EDGE_INTS)) % 2**32)
    elif vr in ("FL", "FD"):
        value = struct.pack(endian + ("f" if vr == "FL" else "d"), float(rng.choice(EDGE_FLOATS)))
    else:
        value = rng.bytes(int(rng.integers(0, max(length, 1) + 1)))
    if len(value) % 2:
        value += b" " if vr in TEXT_VRS else b"\x00"
    if len(value) >= 2**16 and len_size == 2:
        value = value[: 2**16 - 2]
    out[len_at : len_at + len_size] = struct.pack(
        endian + ("H" if len_size == 2 else "I"), len(value)
    )
    end = tell + (length if length != 0xFFFFFFFF else 0)
    return bytes(out[:tell]) + value + bytes(out[end:])


NIFTI_FIELDS = (
    "sizeof_hdr", "dim_info", "dim", "intent_code", "datatype", "bitpix", "slice_start",
    "pixdim", "vox_offset", "scl_slope", "scl_inter", "slice_end", "slice_code", "xyzt_units",
    "qform_code", "sform_code", "quatern_b", "quatern_c", "quatern_d", "qoffset_x", "srow_x",
    "srow_y", "srow_z", "magic",
)  # fmt: skip


def _nifti_header_field(rng: np.random.Generator, raw: bytes) -> bytes:
    """Rewrite one field of an (uncompressed) NIfTI-1/2 header with an edge value."""
    from nibabel import nifti1, nifti2

    (size_le,) = struct.unpack("<i", raw[:4])
    (size_be,) = struct.unpack(">i", raw[:4])
    endian = "<" if size_le in (348, 540) else ">"
    dtype = nifti2.header_dtype if 540 in (size_le, size_be) else nifti1.header_dtype
    if len(raw) < dtype.itemsize:
        return bitflip(rng, raw)
    dtype = dtype.newbyteorder(endian)
    header = np.frombuffer(raw[: dtype.itemsize], dtype=dtype).copy()
    name = NIFTI_FIELDS[int(rng.integers(0, len(NIFTI_FIELDS)))]
    current = header[name]
    kind = current.dtype.base.kind
    if name == "magic":
        header[name] = rng.bytes(4) if rng.random() < 0.5 else b"n+2\x00"
    elif current.dtype.shape:  # an array field: change one entry
        index = int(rng.integers(0, current.dtype.shape[0]))
        value = rng.choice(EDGE_INTS) if kind in "iu" else rng.choice(EDGE_FLOATS)
        info = np.iinfo(current.dtype.base) if kind in "iu" else None
        if info is not None:
            value = int(np.clip(value, info.min, info.max))
        with np.errstate(over="ignore", invalid="ignore"):
            header[name][0, index] = value
    elif kind in "iu":
        info = np.iinfo(current.dtype)
        header[name] = int(np.clip(rng.choice(EDGE_INTS), info.min, info.max))
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            header[name] = rng.choice(EDGE_FLOATS)
    return header.tobytes() + raw[dtype.itemsize :]


def _picture_header_field(rng: np.random.Generator, data: bytes) -> bytes:
    """Rewrite the size, depth or colour type of a PNG (IHDR) or a JPEG (SOF0)."""
    out = bytearray(data)
    if data.startswith(b"\x89PNG"):
        field_at = int(rng.choice([16, 20, 24, 25]))  # width, height, bit depth, colour type
        if field_at < 24:
            out[field_at : field_at + 4] = struct.pack(">I", int(rng.choice(EDGE_INTS)) % 2**32)
        else:
            out[field_at] = int(rng.choice(EDGE_INTS)) % 256
        if rng.random() < 0.8:  # keep the chunk's CRC right so the decoder looks at the value
            out[29:33] = struct.pack(">I", zlib.crc32(bytes(out[12:29])))
        return bytes(out)
    sof = data.find(b"\xff\xc0")
    if sof < 0:
        return bitflip(rng, data)
    field_at = sof + int(rng.choice([4, 5, 7, 9]))  # precision, height, width, components
    if field_at in (sof + 5, sof + 7):
        out[field_at : field_at + 2] = struct.pack(">H", int(rng.choice(EDGE_INTS)) % 2**16)
    else:
        out[field_at] = int(rng.choice(EDGE_INTS)) % 256
    return bytes(out)


NRRD_FIELDS = (
    "type",
    "dimension",
    "sizes",
    "space",
    "space directions",
    "space origin",
    "encoding",
    "endian",
)
NRRD_VALUES = (
    "nan", "inf", "-1", "0", "abc", "none", "1e309", "99999999999", "(1,2)", "(nan,0,0)",
    "(0,0,0) (0,0,0) (0,0,0)", "(1,0,0) (0,1,0)", "6 5", "6 5 4 3", "int64", "block", "big", "",
)  # fmt: skip


def _nrrd_header_field(rng: np.random.Generator, data: bytes) -> bytes:
    """Give one NRRD header line an odd value (the header is text up to an empty line)."""
    end = data.find(b"\n\n")
    if end < 0:
        return bitflip(rng, data)
    lines = data[:end].decode("latin-1").split("\n")
    named = [i for i, line in enumerate(lines) if line.split(":")[0] in NRRD_FIELDS]
    if not named:
        return bitflip(rng, data)
    i = named[int(rng.integers(0, len(named)))]
    lines[i] = lines[i].split(":")[0] + ": " + NRRD_VALUES[int(rng.integers(0, len(NRRD_VALUES)))]
    return "\n".join(lines).encode("latin-1") + data[end:]


def header_field(rng: np.random.Generator, seed: SeedFile, data: bytes) -> bytes:
    if seed.reader == "nifti":
        return _nifti_header_field(rng, data)
    if seed.reader == "image":
        return _picture_header_field(rng, data)
    if seed.reader == "nrrd":
        return _nrrd_header_field(rng, data)
    return _dicom_header_field(rng, seed, data)


def mutate(rng: np.random.Generator, seed: SeedFile, mutation: str) -> bytes:
    """Apply one mutation. Gzipped NIfTI seeds are damaged inside the stream half the time
    (and always for header mutations) and recompressed, so the parser sees the damage."""
    gzipped = seed.name.endswith(".gz")
    inner = gzipped and (mutation == "header" or rng.random() < 0.5)
    data = gzip.decompress(seed.data) if inner else seed.data
    if mutation == "truncate":
        data = truncate(rng, data)
    elif mutation == "bitflip":
        data = bitflip(rng, data)
    elif mutation == "zero":
        data = zero(rng, data)
    elif mutation == "splice":
        data = splice(rng, data)
    elif mutation == "random":
        return random_file(rng, seed)
    else:
        data = header_field(rng, seed, data)
    return gzip.compress(data, mtime=0) if inner else data


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One fuzz case: a reader and the bytes of the file(s) it is given."""

    index: int
    reader: str
    seed: str
    mutation: str
    files: tuple[tuple[str, bytes], ...]  # (file name, content); several for a series


def make_cases(count: int, seed: int = 0) -> Iterator[Case]:
    """``count`` reproducible cases (the same ``seed`` gives the same bytes)."""
    rng = np.random.default_rng(seed)
    seeds = seed_files()
    by_reader = {
        r: [s for s in seeds if s.reader == r] for r in ("dicom", "nifti", "image", "nrrd")
    }
    by_reader["series"] = [
        s for s in by_reader["dicom"] if s.name in ("CT_small.dcm", "MR_small.dcm")
    ]
    for index in range(count):
        reader = str(rng.choice(READERS, p=READER_WEIGHTS))
        source = by_reader[reader][int(rng.integers(0, len(by_reader[reader])))]
        mutation = str(rng.choice(MUTATIONS))
        stem = source.name.split(".")[0]
        name = f"case{index:05d}_{stem}_{mutation}{source.suffix}"
        damaged = mutate(rng, source, mutation)
        if reader == "series":  # three slices, one of them damaged
            slices = [source.data, source.data, source.data]
            slices[int(rng.integers(0, 3))] = damaged
            files = tuple((f"slice{i}_{name}", data) for i, data in enumerate(slices))
        else:
            files = ((name, damaged),)
        yield Case(index, reader, source.name, mutation, files)


# --------------------------------------------------------------------------- running


@dataclass
class Outcome:
    """What one case did: ``ok``, ``typed`` (an ImageReadError naming the file) or a failure:
    ``untyped`` (another exception escaped), ``unnamed`` (a typed error not naming the file),
    ``invalid`` (an image returned that does not match its header) or ``printed``."""

    case: Case
    status: str
    error_type: str = ""
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    printed: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status not in ("ok", "typed")


def _expected_shape(reader: str, paths: list[Path]) -> tuple[int, ...]:
    """The shape the header of the file(s) declares, read independently of medlab."""
    if reader in ("dicom", "series"):
        import pydicom

        shapes = []
        for path in paths:
            ds = pydicom.dcmread(path)
            frames = int(ds.get("NumberOfFrames", 1) or 1)
            samples = int(ds.get("SamplesPerPixel", 1) or 1)
            shape = ((frames,) if frames > 1 else ()) + (int(ds.Rows), int(ds.Columns))
            shapes.append(shape + ((samples,) if samples > 1 else ()))
        return shapes[0] if reader == "dicom" else (len(paths), *shapes[0])
    if reader == "nifti":
        import nibabel

        logger = logging.getLogger("nibabel.global")
        silence = logging.Filter("nothing")  # lets no record through
        logger.addFilter(silence)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return tuple(int(n) for n in nibabel.load(paths[0]).shape)
        finally:
            logger.removeFilter(silence)
    if reader == "nrrd":  # read_nrrd reorders the axes to (z, y, x): compare the sizes
        import nrrd

        return tuple(sorted(int(n) for n in nrrd.read_header(str(paths[0]))["sizes"]))
    from PIL import Image

    with Image.open(paths[0]) as im:
        width, height = im.size
        grey = im.mode in ("L", "I;16", "I", "F")  # read_image gives every other mode as RGB
    return (height, width) + (() if grey else (3,))


def check_image(image: object, reader: str, paths: list[Path]) -> str:
    """Why a returned image is not valid, or ``""`` when it is."""
    from medlab.io import MedicalImage

    if not isinstance(image, MedicalImage):
        return f"returned {type(image).__name__}, not a MedicalImage"
    array = image.array
    if not isinstance(array, np.ndarray) or array.dtype != np.float32:
        return f"array is {getattr(array, 'dtype', type(array))}, not float32"
    spacing = np.asarray(image.spacing, dtype=float)
    # 0 is allowed: some real radiographs give PixelSpacing 0/0 for "not known"
    if spacing.size == 0 or not np.all(np.isfinite(spacing)) or np.any(spacing < 0):
        return f"spacing {image.spacing} is not finite and ≥ 0"
    if reader in ("dicom", "series") and not np.all(np.isfinite(array)):
        return "DICOM array holds NaN or infinite values"
    try:
        expected = _expected_shape(reader, paths)
    except Exception as exc:  # the reader accepted a file its own library cannot read
        return f"accepted a file whose header cannot be read ({type(exc).__name__}: {exc})"
    shape = tuple(sorted(array.shape)) if reader == "nrrd" else tuple(array.shape)
    if shape != expected:
        return f"array shape {array.shape} differs from the header's {expected}"
    return ""


@contextlib.contextmanager
def _captured_output() -> Iterator[io.StringIO]:
    """Capture what reaches file descriptors 1 and 2 (Python and C code alike)."""
    sink = io.StringIO()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        os.dup2(tmp.fileno(), 2)
        try:
            yield sink
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            tmp.seek(0)
            sink.write(tmp.read().decode("utf-8", "replace"))


def run_case(case: Case, folder: Path, *, capture: bool = True) -> Outcome:
    """Write the case's file(s) under ``folder`` and read them with the medlab reader."""
    from medlab.errors import ImageReadError
    from medlab.io import read_dicom, read_dicom_series, read_image, read_nifti, read_nrrd

    where = folder / f"case{case.index:05d}"
    where.mkdir()
    paths = []
    for name, data in case.files:
        (where / name).write_bytes(data)
        paths.append(where / name)
    target = paths[0]
    call = {
        "dicom": lambda: read_dicom(target),
        "nifti": lambda: read_nifti(target),
        "image": lambda: read_image(target),
        "series": lambda: read_dicom_series(where),
        "nrrd": lambda: read_nrrd(target),
    }[case.reader]
    outcome = Outcome(case, "ok")
    output = contextlib.nullcontext(io.StringIO()) if not capture else _captured_output()
    start = time.perf_counter()
    with output as printed, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            image = call()
        except ImageReadError as exc:
            names = [p.name for p in paths] if case.reader == "series" else [target.name]
            named = any(n in str(exc) for n in names) or where.name in str(exc)
            outcome.status = "typed" if named else "unnamed"
            outcome.error_type, outcome.message = type(exc).__name__, str(exc)
            image = None
        except Exception as exc:  # what the fuzzer is looking for
            outcome.status = "untyped"
            outcome.error_type, outcome.message = type(exc).__name__, str(exc)
            image = None
    outcome.seconds = time.perf_counter() - start
    outcome.printed = printed.getvalue()
    outcome.warnings = [f"{w.category.__name__}: {w.message}" for w in caught]
    if image is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            problem = check_image(image, case.reader, paths)
        if problem:
            outcome.status, outcome.message = "invalid", problem
    if outcome.printed and not outcome.failed:
        outcome.status = "printed"
    return outcome


def run(count: int, seed: int = 0, *, capture: bool = True) -> list[Outcome]:
    """Run ``count`` cases in a temporary folder and return their outcomes."""
    with tempfile.TemporaryDirectory(prefix="medlab-fuzz-") as tmp:
        return [run_case(c, Path(tmp), capture=capture) for c in make_cases(count, seed)]


# --------------------------------------------------------------------------- report


def report(outcomes: list[Outcome], seconds: float) -> str:
    """A plain-text table of outcomes by reader and by exception type."""
    lines = [f"{'reader':8} {'cases':>6} {'ok':>6} {'typed':>6} {'failed':>6}"]
    for reader in READERS:
        mine = [o for o in outcomes if o.case.reader == reader]
        counts = collections.Counter(o.status for o in mine)
        failed = sum(o.failed for o in mine)
        lines.append(
            f"{reader:8} {len(mine):6d} {counts['ok']:6d} {counts['typed']:6d} {failed:6d}"
        )
    counts = collections.Counter(o.status for o in outcomes)
    failed = sum(o.failed for o in outcomes)
    lines.append(f"{'all':8} {len(outcomes):6d} {counts['ok']:6d} {counts['typed']:6d} {failed:6d}")
    lines.append("")
    lines.append("by outcome and exception type:")
    by_type = collections.Counter((o.status, o.error_type) for o in outcomes)
    for (status, error), n in sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {status:8} {error or '-':28} {n:6d}")
    warned = collections.Counter(w.split(":")[0] for o in outcomes for w in o.warnings)
    if warned:
        lines.append(
            "warnings shown to the caller: "
            + ", ".join(f"{k} {v}" for k, v in warned.most_common())
        )
    lines.append("")
    for o in [o for o in outcomes if o.failed][:20]:
        lines.append(
            f"FAILED {o.status} case {o.case.index} {o.case.reader} {o.case.seed} "
            f"{o.case.mutation}: {o.error_type} {o.message[:160]!r} "
            f"{'printed ' + repr(o.printed[:120]) if o.printed else ''}"
        )
    times = [o.seconds for o in outcomes]
    lines.append(
        f"{len(outcomes)} cases in {seconds:.1f} s (median {1000 * np.median(times):.1f} ms, "
        f"slowest {1000 * max(times):.0f} ms); returned OK {counts['ok']}, "
        f"typed errors {counts['typed']}, failures {failed} "
        f"(untyped {counts['untyped']}, unnamed {counts['unnamed']}, "
        f"invalid {counts['invalid']}, printed {counts['printed']})"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=3000, help="number of cases (3000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument(
        "--no-capture", action="store_true", help="let output through (to debug one case)"
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    outcomes = run(args.cases, args.seed, capture=not args.no_capture)
    print(
        "medlab.io fuzz (seeds: real pydicom and nibabel test files, synthetic pictures and "
        "NRRD volumes; synthetic damage)"
    )
    print(report(outcomes, time.perf_counter() - start))
    return 1 if any(o.failed for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
