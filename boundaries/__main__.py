"""`python -m boundaries`."""

from boundaries.cli.main import main

raise SystemExit(main())
