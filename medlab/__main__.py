from medlab.cli import main

raise SystemExit(main())
