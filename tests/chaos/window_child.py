"""One window of the chaos run: a real window process driven through the CLI (desktop.cli.main, in one
Python process so that each step does not pay the imports again).

    python -m tests.chaos.window_child HOME CENTRE WINDOW INTAKE_FILE [--fresh]

With --fresh it first makes the window (`init --demo`, `catalogue import` of the test catalogue) and
prints READY. It then waits for a line on stdin (the central URL and the CA file, tab-separated), runs
`sync --central URL --ca-cert CA` until it succeeds, and loops: an intake (`intake FILE --clerk demo`)
unless HOME/drain exists, then a `sync`. It reports on stdout, one line per step:
"I rc" (intake), "S" (a sync starts), "s rc seconds queue" (a sync ended; queue = operations still
unsent). Stops when HOME/stop exists. Its stderr is a pipe the chaos run copies to HOME.log (a log file
on the window's full disk would make the error message itself fail)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import time
from pathlib import Path

from desktop.cli import main

TEST_CATALOGUE = Path(__file__).resolve().parents[1] / "data" / "catalogue_test.json"


def say(line: str) -> None:
    os.write(1, (line + "\n").encode())


def cli(home: str, *args: str, password: str | None = None) -> tuple[int, str]:
    if password is not None:
        os.environ["YICHUANG_PASSWORD"] = password
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = main(["--home", home, *args])
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
        except Exception as exc:  # noqa: BLE001 - a crash is a result the run reports
            print(f"CRASH {type(exc).__name__}: {exc}", file=sys.stderr)
            code = 99
    return code, out.getvalue()


def queue_length(home: str) -> int:
    code, out = cli(home, "status")
    try:
        return int(json.loads(out)["queue_length"]) if code == 0 else -1
    except (ValueError, KeyError, TypeError):
        return -1


def run() -> None:
    home, centre, window_no, intake = sys.argv[1:5]
    fresh = "--fresh" in sys.argv[5:]
    if fresh:
        assert cli(home, "init", "--centre", centre, "--window", window_no, "--demo")[0] == 0
        assert cli(home, "catalogue", "import", str(TEST_CATALOGUE), "--clerk", "admin", password="admin1234")[0] == 0
        say("READY")
    url, ca = sys.stdin.readline().rstrip("\n").split("\t")
    if fresh:
        while cli(home, "sync", "--central", url, "--ca-cert", ca)[0] != 0:
            time.sleep(0.5)
    say("GO")
    stop, drain = Path(home, "stop"), Path(home, "drain")
    while not stop.exists():
        if not drain.exists():
            code, _ = cli(home, "intake", intake, "--clerk", "demo", password="demo1234")
            say(f"I {code}")
        say("S")
        t = time.monotonic()
        code, _ = cli(home, "sync")
        say(f"s {code} {time.monotonic() - t:.2f} {queue_length(home)}")
        time.sleep(0.2)


if __name__ == "__main__":
    run()
