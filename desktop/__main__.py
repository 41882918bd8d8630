"""`python -m desktop` runs the same command line as `yichuang`."""

from desktop.cli import main

raise SystemExit(main())
