"""The GUI's own log never takes the window down (a finding of the chaos run, docs/faults.md): a log file that
cannot be opened, or a disk that fills while the window runs, leaves the window logging to standard error.

Each case runs the GUI's start-up logging in a child process (it configures the root logger once per
process, which pytest's own log capture would otherwise pre-empt)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import logging, resource, sys
from pathlib import Path
limit = int(sys.argv[2])
if limit >= 0:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # past it every write fails (EFBIG), as on a full disk
from desktop.ui.app import _setup_logging
_setup_logging(Path(sys.argv[1]))
log = logging.getLogger("yichuang.ui")
for n in range(200):
    log.info("line %d of the window's work, long enough to fill a small limit quickly %s", n, "x" * 80)
log.warning("still here")
print("ok")
"""


def _run(home: Path, fsize_limit: int = -1) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-c", CHILD, str(home), str(fsize_limit)], capture_output=True,
                          text=True, env=env, timeout=120, cwd=ROOT)


def test_the_window_logs_to_its_data_folder(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    out = _run(home)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    text = (home / "logs" / "gui.log").read_text(encoding="utf-8")
    assert "line 199 of the window's work" in text and "WARNING yichuang.ui still here" in text


def test_a_log_file_that_cannot_be_opened_does_not_stop_the_window(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "logs").write_text("a file where the log folder should be", encoding="utf-8")
    out = _run(home)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    assert "cannot open the log file" in out.stderr and "still here" in out.stderr
    assert (home / "logs").read_text(encoding="utf-8") == "a file where the log folder should be"


def test_a_disk_that_fills_while_the_window_logs_does_not_stop_it(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    out = _run(home, fsize_limit=4096)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
    assert "Logging error" in out.stderr  # logging reports the failed writes on standard error and goes on
    assert os.path.getsize(home / "logs" / "gui.log") <= 4096
