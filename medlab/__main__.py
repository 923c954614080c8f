"""``python -m medlab``: the ``medlab`` command (:func:`medlab.cli.main`)."""

from medlab.cli import main

raise SystemExit(main())
