"""The ``medlab`` command.

::

    medlab lab [--workspace DIR] [--no-browser] [-- JUPYTERLAB ARGS]
    medlab datasets list
    medlab datasets info NAME
    medlab datasets fetch NAME [--size N] [--path FILE]
    medlab env
    medlab --version
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from medlab._version import __version__
from medlab.errors import MedlabError

__all__ = ["main"]


def _cmd_lab(args: argparse.Namespace) -> int:
    from medlab.course.lab import run_lab

    workspace = Path(args.workspace).expanduser() if args.workspace else None
    return run_lab(workspace=workspace, open_browser=not args.no_browser, lab_args=args.lab_args)


def _cmd_datasets_list(args: argparse.Namespace) -> int:
    from medlab import datasets

    cards = datasets.list()
    width = max(len(c.name) for c in cards)
    print(f"{'name':<{width}}  {'kind':<9}  title")
    for card in cards:
        kind = card.kind
        if kind == "download":
            kind = "cached" if datasets.available(card.name) else "download"
        tag = " [SYNTHETIC]" if card.synthetic and "SYNTHETIC" not in card.title else ""
        label = f"{card.title}{tag}"
        print(f"{card.name:<{width}}  {kind:<9}  {label}")
    return 0


def _cmd_datasets_info(args: argparse.Namespace) -> int:
    from medlab import datasets

    print(datasets.info(args.name).summary())
    return 0


def _cmd_datasets_fetch(args: argparse.Namespace) -> int:
    from medlab import datasets

    options = {}
    if args.size is not None:
        options["size"] = args.size
    if args.path is not None:
        options["path"] = args.path
    paths = datasets.fetch(args.name, **options)
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

    lab = sub.add_parser("lab", help="copy the lessons into your workspace and open JupyterLab")
    lab.add_argument("--workspace", help="folder for your copy of the lessons (default ~/medlab)")
    lab.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    lab.add_argument("lab_args", nargs=argparse.REMAINDER, help="extra JupyterLab arguments")
    lab.set_defaults(func=_cmd_lab)

    ds = sub.add_parser("datasets", help="list, describe and fetch datasets")
    ds_sub = ds.add_subparsers(dest="datasets_command", metavar="ACTION")
    ds_list = ds_sub.add_parser("list", help="all datasets, and whether they work offline")
    ds_list.set_defaults(func=_cmd_datasets_list)
    ds_info = ds_sub.add_parser("info", help="a dataset's card: source, licence, citation ...")
    ds_info.add_argument("name")
    ds_info.set_defaults(func=_cmd_datasets_info)
    ds_fetch = ds_sub.add_parser("fetch", help="download (or import) a dataset into the cache")
    ds_fetch.add_argument("name")
    ds_fetch.add_argument("--size", type=int, help="MedMNIST image size (28, 64, 128 or 224)")
    ds_fetch.add_argument("--path", help="a file you downloaded yourself, to verify and import")
    ds_fetch.set_defaults(func=_cmd_datasets_fetch)
    ds.set_defaults(func=lambda a: (ds.print_help(), 0)[1])

    env = sub.add_parser("env", help="describe this installation")
    env.set_defaults(func=_cmd_env)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``medlab`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    if getattr(args, "lab_args", None) and args.lab_args[0] == "--":
        args.lab_args = args.lab_args[1:]
    try:
        return int(args.func(args) or 0)
    except MedlabError as exc:
        print(f"medlab: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
