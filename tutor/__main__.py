"""Entry point for `python -m tutor`."""

from tutor.cli import main

raise SystemExit(main())
