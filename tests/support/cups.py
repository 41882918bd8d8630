"""A private CUPS for printing tests: our own cupsd on a unix socket with the cups-pdf virtual printer.

`private_cups()` starts it (callers check `find_cupsd()` first), adds the CUPS-PDF queue and stops it on
exit; `print_through_queue` sends a PDF and waits for what cups-pdf wrote; `dark_pixels` measures ink.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PRINTER = "CUPS-PDF"
PPD_FILE = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
PPD_MODEL = "lsb/usr/cups-pdf/CUPS-PDF_opt.ppd"
START_TIMEOUT = 20.0
JOB_TIMEOUT = 60.0


@dataclass
class PrivateCups:
    """A cupsd of our own listening on a unix socket in `root`, with the CUPS-PDF queue added."""

    root: Path
    socket: Path
    process: subprocess.Popen

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run a CUPS client command (lp, lpstat, lpadmin) against this server."""
        cmd = [args[0], "-h", str(self.socket), *args[1:]]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
        if check and out.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr}\n{self.log_tail()}"
            )
        return out

    def log_tail(self, lines: int = 40) -> str:
        log = self.root / "log" / "error_log"
        if not log.exists():
            return "(no cupsd error_log)"
        return "cupsd error_log:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _write_config(root: Path, socket: Path) -> tuple[Path, Path]:
    for sub in ("spool", "cache", "state", "log", "ppd", "tmp"):
        (root / sub).mkdir(mode=0o755, exist_ok=True)
    # filters run as the unprivileged user (lp) and write their temporary files here
    os.chmod(root / "tmp", 0o1777)
    conf = root / "cupsd.conf"
    conf.write_text(
        f"""Listen {socket}
LogLevel debug
WebInterface No
Browsing No
DefaultAuthType None
MaxJobs 100
PreserveJobHistory Yes
<Location />
  Order allow,deny
  Allow all
</Location>
<Location /admin>
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""
    )
    user = "lp" if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
    files = root / "cups-files.conf"
    files.write_text(
        f"""ServerRoot {root}
RequestRoot {root}/spool
CacheDir {root}/cache
StateDir {root}/state
TempDir {root}/tmp
AccessLog {root}/log/access_log
ErrorLog {root}/log/error_log
PageLog {root}/log/page_log
Printcap {root}/printcap
ServerBin /usr/lib/cups
DataDir /usr/share/cups
User {user}
SystemGroup root lpadmin
"""
    )
    return conf, files


def find_cupsd() -> str | None:
    return shutil.which("cupsd") or next(
        (p for p in ("/usr/sbin/cupsd", "/sbin/cupsd") if os.access(p, os.X_OK)), None
    )


@contextlib.contextmanager
def private_cups() -> Iterator[PrivateCups]:
    """Start cupsd with a private configuration, add the cups-pdf virtual printer, stop cupsd on exit."""
    cupsd = find_cupsd()
    if cupsd is None:
        raise FileNotFoundError("cupsd not installed (Debian package cups)")
    # not pytest's tmp_path: it is 0700, and the filters (run as lp) must reach the temp dir
    root = Path(tempfile.mkdtemp(prefix="yichuang-cups-"))
    os.chmod(root, 0o755)
    socket = root / "cups.sock"
    conf, files = _write_config(root, socket)
    log = open(root / "cupsd.out", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [cupsd, "-f", "-c", str(conf), "-s", str(files)], stdout=log, stderr=subprocess.STDOUT
    )
    server = PrivateCups(root, socket, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not socket.exists():
            if process.poll() is not None:
                raise AssertionError(
                    f"cupsd exited with {process.returncode}: {(root / 'cupsd.out').read_text()}\n"
                    + server.log_tail()
                )
            if time.monotonic() > deadline:
                raise AssertionError("cupsd did not open its socket in time\n" + server.log_tail())
            time.sleep(0.1)
        ppd = ["-P", str(PPD_FILE)] if PPD_FILE.exists() else ["-m", PPD_MODEL]
        server.run("lpadmin", "-p", PRINTER, "-v", "cups-pdf:/", "-E", *ppd)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def output_dirs() -> list[Path]:
    """Where cups-pdf writes (its Out directive, by default the job user's ~/PDF; anonymous jobs go to
    /var/spool/cups-pdf/ANONYMOUS)."""
    homes = {Path(pwd.getpwuid(os.getuid()).pw_dir), Path.home()}
    return [h / "PDF" for h in homes] + [Path("/var/spool/cups-pdf/ANONYMOUS")]


def wait_for_output(server: PrivateCups, job_id: str, token: str) -> Path:
    """Wait (bounded) until the job has left the queue and its PDF has landed; returns the PDF."""
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        pending = server.run("lpstat", "-W", "not-completed", "-o", PRINTER, check=False).stdout
        if job_id not in pending:
            hits = [p for d in output_dirs() if d.is_dir() for p in d.glob(f"*{token}*.pdf")]
            if hits:
                return hits[0]
            done = server.run("lpstat", "-W", "completed", "-l", "-o", PRINTER, check=False).stdout
            if job_id not in done:  # neither pending nor completed: it was stopped, cancelled or aborted
                raise AssertionError(f"job {job_id} did not complete\n{server.log_tail()}")
        time.sleep(0.3)
    raise AssertionError(
        f"no PDF for job {job_id} within {JOB_TIMEOUT:.0f} s in {[str(d) for d in output_dirs()]}\n"
        + server.log_tail()
    )


def dark_pixels(pdf: Path, workdir: Path) -> list[tuple[int, float]]:
    """(dark pixel count, dark share) of every page rasterised at 50 dpi (dark: grey < 128)."""
    from PIL import Image

    prefix = workdir / f"{pdf.stem}-raster"
    subprocess.run(["pdftoppm", "-r", "50", "-gray", "-png", str(pdf), str(prefix)], check=True, timeout=60)
    pages = []
    for png in sorted(workdir.glob(f"{prefix.name}*.png")):
        with Image.open(png) as im:
            grey = im.convert("L")
            dark = sum(grey.histogram()[:128])
            pages.append((dark, dark / (grey.width * grey.height)))
    return pages


def print_through_queue(server: PrivateCups, pdf: Path) -> Path:
    """lp the file to CUPS-PDF with a unique title; returns the PDF cups-pdf wrote."""
    token = f"yichuang-{uuid.uuid4().hex[:12]}"
    out = server.run("lp", "-d", PRINTER, "-t", token, str(pdf))
    # "request id is CUPS-PDF-3 (1 file(s))"
    job_id = next(w for w in out.stdout.split() if w.startswith(f"{PRINTER}-"))
    return wait_for_output(server, job_id, token)
