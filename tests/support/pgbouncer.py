"""A throwaway PgBouncer in front of the throwaway PostgreSQL (tests/support/postgres.py), as a centre runs it.

Its configuration is the product's own: `db.central.pooler.pooler_config` (what `yichuang central
pooler-config` writes) for one central database: transaction pooling, one pool per window login, logins
looked up through pooler.lookup, TLS to the windows with a certificate the suite's CA signed (the CA the
windows already pin) and TLS to PostgreSQL verified against the same CA. As root it runs as the
`postgres` system user via runuser (PgBouncer refuses to run as root), like the server.

Test code only."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Self

from tests.support.postgres import _free_port

if TYPE_CHECKING:
    from tests.support.postgres import TempPostgres

__all__ = ["PgBouncerNotFound", "TempPgBouncer", "find_pgbouncer"]

_SERVICE_USER = "postgres"


def _open_files_to_hard_limit() -> None:
    """The pooler's soft open-file limit raised to the hard one (one descriptor per client and server
    connection: a centre's thousands of windows need more than the usual 1,024)."""
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class PgBouncerNotFound(RuntimeError):
    """No pgbouncer executable (Debian: apt-get install pgbouncer; scripts/setup --test does it)."""


def find_pgbouncer() -> str:
    for candidate in (os.environ.get("YICHUANG_PGBOUNCER"), shutil.which("pgbouncer"), "/usr/sbin/pgbouncer"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise PgBouncerNotFound("pgbouncer not found: install it (Debian: apt-get install pgbouncer, or "
                            "scripts/setup --test) or set YICHUANG_PGBOUNCER")


class TempPgBouncer:
    """PgBouncer for the database at `admin_url` (a superuser URL of a migrated central database on `pg`).

    `host`/`port` is where windows dial; `config` is what pooler_config returned; `log()` the pooler's log."""

    def __init__(self, pg: TempPostgres, admin_url: str) -> None:
        self.exe = find_pgbouncer()
        self.pg = pg
        self.admin_url = admin_url
        self.host = "127.0.0.1"
        self.port = 0
        self.dir: Path | None = None
        self.config: dict[str, str] = {}
        self.proc: subprocess.Popen[bytes] | None = None
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0

    def start(self) -> TempPgBouncer:
        from db.central.pooler import pooler_config

        assert self.pg.ca is not None and self.pg.ca_file is not None, "the pooler needs the TLS centre"
        self.dir = Path(tempfile.mkdtemp(prefix="yc-pgb-"))
        cert_pem, key_pem = self.pg.ca.issue_server(("127.0.0.1", "localhost"))
        (self.dir / "in.crt").write_bytes(cert_pem)
        (self.dir / "in.key").write_bytes(key_pem)
        last = ""
        for _ in range(5):  # the free port may be taken between probing and binding
            self.port = _free_port()
            self.config = pooler_config(self.admin_url, self.dir, cert_file=self.dir / "in.crt",
                                        key_file=self.dir / "in.key", server_ca_file=self.pg.ca_file,
                                        listen_host=self.host, listen_port=self.port)
            for name in ("in.crt", "in.key"):
                (self.dir / name).unlink(missing_ok=True)
            self._chown_all()
            cmd = [self.exe, self.config["ini"]]
            if self._as_root:
                # setpriv keeps this process's limits; runuser's PAM session would put the open-file limit
                # back to 1,024, which a pooler holding thousands of windows' connections runs out of
                cmd = (["setpriv", f"--reuid={_SERVICE_USER}", f"--regid={_SERVICE_USER}", "--init-groups", "--", *cmd]
                       if shutil.which("setpriv") else ["runuser", "-u", _SERVICE_USER, "--", *cmd])
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         preexec_fn=_open_files_to_hard_limit)
            if self._wait_listening(10):
                return self
            last = self.log()
            self._kill()
            (self.dir / "in.crt").write_bytes(cert_pem)
            (self.dir / "in.key").write_bytes(key_pem)
        raise RuntimeError(f"could not start pgbouncer:\n{last}")

    def _chown_all(self) -> None:
        if not self._as_root:
            return
        import pwd

        pw = pwd.getpwnam(_SERVICE_USER)
        assert self.dir is not None
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        for path in self.dir.iterdir():
            os.chown(path, pw.pw_uid, pw.pw_gid)

    def _wait_listening(self, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: PgBouncer exits at once (runuser passes it on)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def log(self) -> str:
        path = self.dir / "pgbouncer.log" if self.dir else None
        return path.read_text(errors="replace")[-4000:] if path and path.exists() else ""

    def window_url(self, direct_url: str) -> str:
        """A window URL for the pooler made from its direct one the way a technician does it: only host,
        port and channel_binding=prefer change."""
        from urllib.parse import urlsplit, urlunsplit

        u = urlsplit(direct_url)
        userinfo = u.netloc.rsplit("@", 1)[0]
        query = u.query.replace("channel_binding=require", "").strip("&")
        query = (query + "&" if query else "") + "channel_binding=prefer"
        return urlunsplit((u.scheme, f"{userinfo}@{self.host}:{self.port}", u.path, query, ""))

    def shared_url(self, direct_url: str) -> str:
        """The same window's URL for the pooler's shared entry (DB_shared, central c0020): what
        `central add-window --shared` prints."""
        from urllib.parse import urlsplit, urlunsplit

        from db.central.pooler import SHARED_SUFFIX

        u = urlsplit(self.window_url(direct_url))
        return urlunsplit((u.scheme, u.netloc, u.path + SHARED_SUFFIX, u.query, ""))

    def stop(self) -> None:
        self._kill()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
