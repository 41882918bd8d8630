"""Entry point of the frozen (PyInstaller) build: the same command line as `yichuang`."""

import sys

from desktop.cli import main

if __name__ == "__main__":
    # A double-clicked frozen client with no arguments opens the window.
    raise SystemExit(main(sys.argv[1:] or ["gui"]))
