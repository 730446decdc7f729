"""`python -m boundaries`."""

from .cli import main

raise SystemExit(main())
