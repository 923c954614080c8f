"""The course runtime: lesson catalog, exercise checks, hints, progress, learner notebooks.

Lessons call three functions::

    from medlab.course import check, hint, solution

    check("00.hounsfield", hu)   # immediate feedback; records progress when it passes
    hint("00.hounsfield")        # the next hint, one more each call
    solution("00.hounsfield")    # the reference solution, folded until clicked

``check`` never raises on a wrong answer: it reports what is right and what is not
(shape, type, value range), never the solution.

Lesson metadata schema
----------------------
Every notebook in ``lessons/`` named ``NN_topic.ipynb`` carries notebook-level
metadata under the key ``"medlab"``; this is the single source of truth for the
catalog (the side panel, ``medlab lessons`` and the server read it)::

    {
      "medlab": {
        "id": "00_welcome",            # required, equals the file stem
        "number": 0,                   # required, int >= 0, the order in the course
        "title": "Welcome and tour",   # required, sentence case
        "minutes": 10,                 # required, estimated minutes (int > 0)
        "objectives": ["...", "..."],  # required, "you will learn" bullets (strings)
        "prerequisites": ["..."],      # optional, strings
        "exercises": [                 # required (may be empty), in notebook order
          {"id": "00.hounsfield", "title": "Raw pixels to Hounsfield units"}
        ]
      }
    }

Exercise ids are ``"NN.name"`` (``NN`` the lesson number, ``name`` in
``[a-z0-9_]``). Each id is defined in Python in ``medlab/course/exercises/lessonNN.py``
(checker, hints, solution text); see :mod:`medlab.course.exercises`.

Solution regions and learner versions
-------------------------------------
Inside code cells of the source notebooks, the learner's part is marked::

    ### BEGIN SOLUTION
    hu = raw * ds.RescaleSlope + ds.RescaleIntercept
    ### END SOLUTION
    check("00.hounsfield", hu)

The learner build (:func:`medlab.course.learner.make_learner_notebook`) replaces each
region by::

    # YOUR CODE HERE: replace the next line with your own code.
    from medlab.course import fallback; fallback("00.hounsfield")

:func:`fallback` runs the exercise's reference solution in the notebook's namespace
and says so, so a learner notebook runs top to bottom before any exercise is solved;
a ``check`` right after a fallback reports "not attempted yet" and records nothing.
The exercise id is taken from ``### BEGIN SOLUTION <id>`` if given, else from the
``check("<id>", ...)`` call in the same cell. A region indented inside a function body
becomes ``raise NotImplementedError`` instead (``check`` reports that as "not
implemented yet"). The region's code must equal the exercise's ``solution`` text
(a test compares them), so the fallback and the notebook never disagree.

Progress
--------
Passed exercises are stored per user in ``<jupyter data dir>/medlab/progress.json``
(``MEDLAB_PROGRESS_DIR`` overrides the folder), written atomically under a file lock;
see :mod:`medlab.course.progress`.
"""

from __future__ import annotations

from medlab.course.catalog import Exercise, Lesson, load_catalog, read_lesson
from medlab.course.checks import CheckResult, check, evaluate, fallback, hint, solution
from medlab.course.progress import ProgressStore, default_store

__all__ = [
    "CheckResult",
    "Exercise",
    "Lesson",
    "ProgressStore",
    "check",
    "default_store",
    "evaluate",
    "fallback",
    "hint",
    "load_catalog",
    "read_lesson",
    "solution",
]
