"""Dataset cards: the TOML files in ``datasets/`` parsed into frozen records.

The cards are the single source of every dataset's metadata (source, licence,
citation, files and checksums). They are data only: which Python function turns a
card's files into arrays is written in :mod:`medlab.datasets._loaders`, and how the
files are found or fetched in :mod:`medlab.datasets._fetch`.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from medlab._resources import cards_dir
from medlab.errors import UnknownDatasetError

__all__ = [
    "KINDS",
    "ArchiveRef",
    "DataFile",
    "DatasetCard",
    "get_card",
    "read_card",
    "registry",
]

#: Where a dataset's files come from (one fetcher each in :mod:`medlab.datasets._fetch`):
#: ``bundled`` inside an installed Python package; ``synthetic`` generated, no files;
#: ``download`` fetched once from a URL; ``package`` inside a package archive fetched
#: once from the package registry by name and exact version.
KINDS = ("bundled", "synthetic", "download", "package")

_REQUIRED = (
    "name",
    "title",
    "kind",
    "synthetic",
    "description",
    "source",
    "licence",
    "citation",
    "modality",
    "task",
)
_OPTIONAL = (
    "shape",
    "dtype",
    "units",
    "url",
    "homepage",
    "options",
    "labels",
    "files",
    "keys",
    "archive",
    "cache_folder",
)


@dataclass(frozen=True)
class DataFile:
    """One file a dataset is made of.

    Attributes
    ----------
    name : str
        File name (for downloads: the name in the cache and in the URL).
    md5, sha256 : str or None
        Checksum (hex) of a file that is downloaded or extracted into the cache;
        ``None`` for files that come inside an installed package.
    size : int or None
        Image size variant the file holds (MedMNIST ``28``, ``64`` ...).
    package : str or None
        For bundled files, the installed Python package holding the file.
    path : str or None
        For bundled files, the path inside that package; for ``package`` datasets,
        the path of the member inside the archive.
    """

    name: str
    md5: str | None = None
    sha256: str | None = None
    size: int | None = None
    package: str | None = None
    path: str | None = None


@dataclass(frozen=True)
class ArchiveRef:
    """A package archive on the package registry, named by distribution and exact version.

    Attributes
    ----------
    distribution : str
        The distribution name, e.g. ``"pyradiomics-bhklab"``.
    version : str
        The exact version, e.g. ``"3.1.4"``.
    filename : str
        The archive's file name (a source distribution ``.tar.gz`` or a wheel ``.whl``).
    sha256 : str
        SHA-256 of the archive, as the registry publishes it.
    """

    distribution: str
    version: str
    filename: str
    sha256: str

    @property
    def requirement(self) -> str:
        """``"name==version"``, what the package installer is asked for."""
        return f"{self.distribution}=={self.version}"

    @property
    def is_wheel(self) -> bool:
        """Whether the archive is a wheel (else a source distribution)."""
        return self.filename.endswith(".whl")


@dataclass(frozen=True)
class DatasetCard:
    """Everything known about one dataset, read from ``datasets/<name>.toml``.

    Attributes
    ----------
    name : str
        The registry name, e.g. ``"mni152"``.
    title, description : str
        One-line title and a longer description.
    kind : {"bundled", "synthetic", "download", "package"}
        Where the data comes from: files inside installed packages, a generator
        in MedLab, a download cached in :func:`medlab.datasets.cache_dir`, or
        files inside a registry package archive, extracted into that cache.
    synthetic : bool
        ``True`` for generated data that depicts no real patient.
    source, licence, citation, modality, task : str
        Provenance and purpose.
    shape, dtype, units : str
        Free-text notes on the arrays the loader returns.
    keys : mapping of str to str
        The keys of the returned :class:`~medlab.datasets.Dataset` and what each holds.
    options : mapping of str to str
        Keyword options of :func:`medlab.datasets.load` and their meaning.
    labels : mapping of int to str
        Class names for classification data.
    files : tuple of DataFile
        The files (with MD5 for downloads).
    url : str
        URL template for downloads; ``{filename}`` is replaced by a file name.
    archive : ArchiveRef or None
        For ``package`` datasets, the archive holding the files.
    cache_folder : str
        Sub-folder of the cache holding the files (default: the dataset's name;
        datasets sharing files share a folder).
    """

    name: str
    title: str
    kind: str
    synthetic: bool
    description: str
    source: str
    licence: str
    citation: str
    modality: str
    task: str
    shape: str = ""
    dtype: str = ""
    units: str = ""
    url: str = ""
    homepage: str = ""
    keys: Mapping[str, str] = field(default_factory=dict, hash=False)
    options: Mapping[str, str] = field(default_factory=dict, hash=False)
    labels: Mapping[int, str] = field(default_factory=dict, hash=False)
    files: tuple[DataFile, ...] = ()
    archive: ArchiveRef | None = None
    cache_folder: str = ""

    @property
    def sizes(self) -> list[int]:
        """The image sizes offered as separate files (MedMNIST), smallest first."""
        return sorted({f.size for f in self.files if f.size is not None})

    def file(self, size: int | None = None) -> DataFile:
        """The file for image size ``size`` (downloads with several sizes)."""
        for f in self.files:
            if f.size == size:
                return f
        sizes = [f.size for f in self.files]
        raise ValueError(f"dataset {self.name!r} has no size {size!r}; available sizes: {sizes}")

    def files_for(self, size: int | None = None) -> tuple[DataFile, ...]:
        """The files :func:`medlab.datasets.load` needs for image size ``size``.

        Datasets offered in several sizes (MedMNIST) keep one file per size and
        default to the smallest; all other datasets need all their files.
        """
        if not self.sizes:
            if size is not None:
                raise ValueError(f"dataset {self.name!r} has no size variants (size={size!r})")
            return self.files
        return (self.file(self.sizes[0] if size is None else size),)

    def url_for(self, filename: str) -> str:
        """The download URL of ``filename``."""
        if not self.url:
            raise ValueError(f"dataset {self.name!r} is not downloadable (kind={self.kind!r})")
        return self.url.format(filename=filename)

    def summary(self) -> str:
        """A multi-line plain-text description (used by ``medlab datasets info``)."""
        kind = "SYNTHETIC (generated, no real patient)" if self.synthetic else "real data"
        lines = [
            f"{self.name}: {self.title}",
            f"  kind:      {self.kind}, {kind}",
            f"  modality:  {self.modality}",
            f"  task:      {self.task}",
            f"  source:    {self.source}",
            f"  licence:   {self.licence}",
            f"  citation:  {self.citation}",
        ]
        if self.homepage:
            lines.append(f"  homepage:  {self.homepage}")
        for label, text in (("shape", self.shape), ("dtype", self.dtype), ("units", self.units)):
            if text:
                lines.append(f"  {label + ':':<10} {text}")
        lines += ["", _indent(self.description.strip(), "  ")]
        if self.keys:
            lines += ["", "  keys:"] + [f"    {k}: {v}" for k, v in self.keys.items()]
        if self.labels:
            lines += ["", "  labels:"] + [f"    {k}: {v}" for k, v in self.labels.items()]
        if self.options:
            lines += ["", "  options of load():"]
            lines += [f"    {k}: {v}" for k, v in self.options.items()]
        if self.files:
            lines += ["", "  files:"]
            for f in self.files:
                extra = []
                if f.size is not None:
                    extra.append(f"size={f.size}")
                if f.md5:
                    extra.append(f"md5={f.md5}")
                if f.sha256:
                    extra.append(f"sha256={f.sha256}")
                if f.package:
                    extra.append(f"in package {f.package}")
                lines.append(f"    {f.name}" + (f" ({', '.join(extra)})" if extra else ""))
        if self.archive:
            lines.append(
                f"  archive:   {self.archive.filename} ({self.archive.requirement}, "
                f"sha256={self.archive.sha256})"
            )
        if self.url:
            lines.append(f"  url:       {self.url}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_markdown_(self) -> str:
        flag = " — **SYNTHETIC**" if self.synthetic else ""
        rows = [
            f"### `{self.name}`: {self.title}{flag}",
            "",
            self.description.strip(),
            "",
            "| | |",
            "|---|---|",
            f"| kind | {self.kind} |",
            f"| modality | {self.modality} |",
            f"| task | {self.task} |",
            f"| source | {self.source} |",
            f"| licence | {self.licence} |",
            f"| citation | {self.citation} |",
        ]
        for label, text in (("shape", self.shape), ("dtype", self.dtype), ("units", self.units)):
            if text:
                rows.append(f"| {label} | {text} |")
        return "\n".join(rows)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def read_card(path: str | Path) -> DatasetCard:
    """Parse and validate one card file.

    Raises
    ------
    ValueError
        If the file is not valid TOML, lacks a required key, has an unknown
        key, or its values are inconsistent (the message names the file).
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"dataset card {str(path)!r} is not valid TOML: {exc}") from exc
    missing = [k for k in _REQUIRED if k not in raw]
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL))
    if missing or unknown:
        raise ValueError(
            f"dataset card {str(path)!r}: missing keys {missing}, unknown keys {unknown}"
        )
    if raw["name"] != path.stem:
        raise ValueError(
            f"dataset card {str(path)!r}: name {raw['name']!r} must equal the file name"
        )
    if raw["kind"] not in KINDS:
        raise ValueError(
            f"dataset card {str(path)!r}: kind must be one of {KINDS}, got {raw['kind']!r}"
        )
    if not isinstance(raw["synthetic"], bool) or raw["synthetic"] != (raw["kind"] == "synthetic"):
        raise ValueError(
            f"dataset card {str(path)!r}: synthetic must be true exactly when kind is "
            f"'synthetic', got synthetic={raw['synthetic']!r}, kind={raw['kind']!r}"
        )
    file_keys = {f.name for f in dataclasses.fields(DataFile)}
    for entry in raw.get("files", []):
        if "name" not in entry or set(entry) - file_keys:
            raise ValueError(
                f"dataset card {str(path)!r}: each [[files]] entry needs a name and may only "
                f"have the keys {sorted(file_keys)}, got {sorted(entry)}"
            )
    files = tuple(DataFile(**f) for f in raw.pop("files", []))
    archive = _read_archive(path, raw.pop("archive", None))
    kind = raw["kind"]
    if kind == "download" and (not raw.get("url") or not all(f.md5 for f in files)):
        raise ValueError(
            f"dataset card {str(path)!r}: downloadable datasets need a url and an md5 per file"
        )
    if kind == "bundled" and not all(f.package and f.path for f in files):
        raise ValueError(
            f"dataset card {str(path)!r}: bundled files need the package and the path inside it"
        )
    if kind == "package" and (
        archive is None or not files or not all(f.path and f.sha256 for f in files)
    ):
        raise ValueError(
            f"dataset card {str(path)!r}: package datasets need an [archive] table and a path "
            "(inside the archive) and a sha256 per file"
        )
    if kind != "package" and archive is not None:
        raise ValueError(f"dataset card {str(path)!r}: only package datasets have an [archive]")
    labels = {int(k): str(v) for k, v in raw.pop("labels", {}).items()}
    keys = MappingProxyType(dict(raw.pop("keys", {})))
    options = MappingProxyType(dict(raw.pop("options", {})))
    raw.setdefault("cache_folder", archive_folder(archive) if archive else raw["name"])
    return DatasetCard(
        files=files,
        archive=archive,
        labels=MappingProxyType(labels),
        keys=keys,
        options=options,
        **raw,
    )


def archive_folder(archive: ArchiveRef) -> str:
    """The cache sub-folder of the files extracted from ``archive`` (shared by its cards)."""
    return f"{archive.distribution}-{archive.version}"


def _read_archive(path: Path, raw: Any) -> ArchiveRef | None:
    if raw is None:
        return None
    keys = {f.name for f in dataclasses.fields(ArchiveRef)}
    if not isinstance(raw, dict) or set(raw) != keys:
        found = sorted(raw) if isinstance(raw, dict) else raw
        raise ValueError(
            f"dataset card {str(path)!r}: [archive] needs exactly the keys {sorted(keys)}, "
            f"got {found}"
        )
    return ArchiveRef(**{k: str(v) for k, v in raw.items()})


@functools.lru_cache(maxsize=1)
def registry() -> Mapping[str, DatasetCard]:
    """All cards found in :func:`medlab._resources.cards_dir`, keyed by name."""
    cards = {}
    for path in sorted(cards_dir().glob("*.toml")):
        card = read_card(path)
        cards[card.name] = card
    return MappingProxyType(cards)


def get_card(name: str) -> DatasetCard:
    """The card of dataset ``name``.

    Raises
    ------
    UnknownDatasetError
        If there is no such dataset; the message lists the valid names and the
        closest match.
    """
    cards = registry()
    if not isinstance(name, str):
        raise TypeError(f"dataset name must be a string, got {type(name).__name__}")
    if name in cards:
        return cards[name]
    close = difflib.get_close_matches(name.lower(), cards, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownDatasetError(
        f"unknown dataset {name!r}.{hint} Available datasets: {', '.join(sorted(cards))}"
    )
