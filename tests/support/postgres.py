"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temp dir, start, stop, delete.

By default it runs as a centre must: `ssl = on` with a server certificate from a test CA the suite makes
itself (tests/support/tls.py), and a pg_hba.conf that accepts TCP connections only over TLS (`hostssl`)
and authenticates every role with scram-sha-256. `TempPostgres(ssl=False)` starts a centre without TLS
(what a window must refuse); `TempPostgres(ca=other_ca)` one whose certificate another CA signed.

Test code only (it moved here from db/pgtest.py so that it no longer ships in the wheel or the frozen build).
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Self
from urllib.parse import quote

if TYPE_CHECKING:
    from tests.support.tls import TestCA

__all__ = ["PostgresNotFound", "TempPostgres", "find_pg_bin"]

# Only used when neither YICHUANG_PG_BIN nor `pg_config --bindir` gives a directory (Debian layout).
_DEBIAN_PG_GLOB = "/usr/lib/postgresql/*/bin"
_SERVICE_USER = "postgres"


class PostgresNotFound(RuntimeError):
    """No usable PostgreSQL server binaries (initdb, pg_ctl) were found."""


def _has_server_binaries(bindir: str | os.PathLike[str]) -> bool:
    return all(os.access(Path(bindir, exe), os.X_OK) for exe in ("initdb", "pg_ctl", "postgres"))


def find_pg_bin() -> Path:
    """Directory holding initdb/pg_ctl/postgres.

    Order: env YICHUANG_PG_BIN, then `pg_config --bindir`, then the newest /usr/lib/postgresql/*/bin.
    Raises PostgresNotFound with a message saying what to install.
    """
    env = os.environ.get("YICHUANG_PG_BIN")
    if env:
        if _has_server_binaries(env):
            return Path(env)
        raise PostgresNotFound(f"YICHUANG_PG_BIN={env} does not contain initdb, pg_ctl and postgres")
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], check=False, capture_output=True, text=True, timeout=10
            )
            bindir = out.stdout.strip()
            if out.returncode == 0 and bindir and _has_server_binaries(bindir):
                return Path(bindir)
        except (OSError, subprocess.SubprocessError):
            pass

    def version_key(path: str) -> tuple[int, ...]:
        ver = Path(path).parent.name
        return tuple(int(x) for x in re.findall(r"\d+", ver)) or (0,)

    for candidate in sorted(glob.glob(_DEBIAN_PG_GLOB), key=version_key, reverse=True):
        if _has_server_binaries(candidate):
            return Path(candidate)
    raise PostgresNotFound(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: install them "
        "(Debian: apt-get install postgresql) or set YICHUANG_PG_BIN to their directory"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cleanup(pg_ctl: list[str], datadir: str, tmpdir: str, env: dict[str, str]) -> None:
    """Stop the server (if it runs) and remove the temp dir. Safe to call twice."""
    if os.path.exists(os.path.join(datadir, "postmaster.pid")):
        subprocess.run(
            [*pg_ctl, "stop", "-D", datadir, "-m", "immediate", "-w", "-t", "30"],
            check=False,
            capture_output=True,
            cwd=tmpdir,
            env=env,
            timeout=60,
        )
    shutil.rmtree(tmpdir, ignore_errors=True)


class TempPostgres:
    """A private PostgreSQL cluster on 127.0.0.1:<free port> plus a unix socket in its temp dir.

    Use as a context manager (or call start()/stop()). The superuser is `postgres` with a generated
    password; every connection, TCP or local socket, uses scram-sha-256 for every role. With ssl (the
    default) TCP connections must use TLS (`hostssl` only); `ca` signs the server certificate (a new
    TestCA when not given), and `ca_file` is that CA's certificate, which the URLs pin
    (sslmode=verify-full). Without ssl, TCP connections are plain (`host`). When running as root, initdb and postgres run as
    the `postgres` system user via `runuser`, in a temp dir chowned to it; otherwise as the current user.
    Durability is off (fsync=off): never put data you care about here.
    """

    superuser = "postgres"

    def __init__(
        self,
        *,
        bindir: str | os.PathLike[str] | None = None,
        shared_buffers: str = "32MB",
        max_connections: int = 100,
        ssl: bool = True,
        ca: TestCA | None = None,
    ) -> None:
        self.bindir = Path(bindir) if bindir else find_pg_bin()
        self.ssl = ssl
        if ssl and ca is None:
            from tests.support.tls import TestCA

            ca = TestCA()
        self.ca = ca if ssl else None
        self.ca_file: Path | None = None
        self.shared_buffers = shared_buffers
        self.max_connections = max_connections
        self.password = secrets.token_urlsafe(24)
        self.host = "127.0.0.1"
        self.port: int = 0
        self.tmpdir: str | None = None
        self.datadir: str | None = None
        self.startup_seconds: float | None = None
        self._finalizer: weakref.finalize | None = None
        self._as_root = hasattr(os, "geteuid") and os.geteuid() == 0
        self._env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self._env["LC_ALL"] = "C.UTF-8" if "C.UTF-8" in _locales() else "C"

    # -- commands ----------------------------------------------------------------------------
    def _cmd(self, exe: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / exe), *args]
        if self._as_root:
            return ["runuser", "-u", _SERVICE_USER, "--", *cmd]
        return cmd

    def _run(self, exe: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            self._cmd(exe, *args),
            check=False,
            capture_output=True,
            text=True,
            cwd=self.tmpdir,
            env=self._env,
            timeout=timeout,
        )
        if proc.returncode != 0:
            log = ""
            logfile = Path(self.tmpdir or ".", "postgres.log")
            if logfile.exists():
                log = logfile.read_text(errors="replace")[-4000:]
            raise RuntimeError(
                f"{exe} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}".strip()
            )
        return proc

    def _chown(self, path: str) -> None:
        if self._as_root:
            import pwd  # POSIX only, and only needed as root

            pw = pwd.getpwnam(_SERVICE_USER)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    # -- life cycle --------------------------------------------------------------------------
    def start(self) -> TempPostgres:
        """initdb + start; returns self once the server accepts connections (a second or two)."""
        if self.tmpdir is not None:
            raise RuntimeError("TempPostgres already started")
        t0 = time.perf_counter()
        if self._as_root:
            import pwd

            try:
                pwd.getpwnam(_SERVICE_USER)
            except KeyError:
                raise PostgresNotFound(
                    "running as root but there is no 'postgres' system user to run initdb/postgres as"
                ) from None
        self.tmpdir = tempfile.mkdtemp(prefix="yc-pg-")
        os.chmod(self.tmpdir, 0o700)
        self._chown(self.tmpdir)
        self.datadir = os.path.join(self.tmpdir, "data")
        self._finalizer = weakref.finalize(
            self, _cleanup, self._cmd("pg_ctl"), self.datadir, self.tmpdir, self._env
        )
        pwfile = os.path.join(self.tmpdir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        self._chown(pwfile)
        self._run(
            "initdb",
            "-D",
            self.datadir,
            "-U",
            self.superuser,
            "--pwfile",
            pwfile,
            "-E",
            "UTF8",
            "--locale",
            self._env["LC_ALL"],
            "--auth-local=scram-sha-256",
            "--auth-host=scram-sha-256",
            "--no-sync",
            "--no-instructions",
        )
        os.unlink(pwfile)
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.tmpdir}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": self.shared_buffers,
            "max_connections": str(self.max_connections),
            "password_encryption": "'scram-sha-256'",
            "max_wal_size": "'1GB'",
            "log_min_messages": "warning",
            "lc_messages": "'C'",
            "timezone": "'Asia/Shanghai'",
            "ssl": "off",
        }
        if self.ssl:
            conf.update(self._write_tls_files())
        self._write_hba()
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as f:
            f.write("\n# yichuang TempPostgres\n")
            f.writelines(f"{key} = {value}\n" for key, value in conf.items())
        logfile = os.path.join(self.tmpdir, "postgres.log")
        last_error: Exception | None = None
        for _ in range(5):  # the free port may be taken between probing and binding
            self.port = _free_port()
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "-D",
                    self.datadir,
                    "-l",
                    logfile,
                    "-w",
                    "-t",
                    "30",
                    "-o",
                    f"-p {self.port}",
                )
                break
            except RuntimeError as exc:
                last_error = exc
        else:
            raise RuntimeError(f"could not start PostgreSQL: {last_error}")
        self.startup_seconds = time.perf_counter() - t0
        return self

    def _write_tls_files(self) -> dict[str, str]:
        """The server certificate and key (0600, owned by the server's user) in the data directory and the
        CA certificate beside it (for the URLs); returns the settings that turn TLS on."""
        assert self.ca is not None and self.datadir is not None and self.tmpdir is not None
        cert_pem, key_pem = self.ca.issue_server(("127.0.0.1", "localhost"))
        cert = os.path.join(self.datadir, "server.crt")
        key = os.path.join(self.datadir, "server.key")
        for path, data in ((cert, cert_pem), (key, key_pem)):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            self._chown(path)
        self.ca_file = self.ca.write(os.path.join(self.tmpdir, "root.crt"))
        return {"ssl": "on", "ssl_cert_file": "'server.crt'", "ssl_key_file": "'server.key'",
                "ssl_min_protocol_version": "'TLSv1.2'"}

    def _write_hba(self) -> None:
        """Only what a centre should accept: scram-sha-256 for every role; over TCP, TLS only when ssl."""
        assert self.datadir is not None
        host = "hostssl" if self.ssl else "host"
        lines = [
            "# yichuang TempPostgres: scram-sha-256 for every role" + (", TCP over TLS only" if self.ssl else ""),
            "local all all scram-sha-256",
            f"{host} all all 127.0.0.1/32 scram-sha-256",
            f"{host} all all ::1/128 scram-sha-256",
        ]
        path = os.path.join(self.datadir, "pg_hba.conf")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        self._chown(path)

    def stop(self) -> None:
        """Stop the server immediately and delete its directory."""
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    def url(self, dbname: str = "postgres", *, driver: bool = True) -> str:
        """Superuser URL over TCP; SQLAlchemy form ("postgresql+psycopg://") unless driver=False. With ssl
        it pins the CA: "?sslmode=verify-full&sslrootcert=<ca_file>"."""
        scheme = "postgresql+psycopg" if driver else "postgresql"
        return f"{scheme}://{self.superuser}:{self.password}@{self.host}:{self.port}/{dbname}{self.tls_query}"

    @property
    def tls_query(self) -> str:
        """The URL query that makes a client verify this server against its CA ("" without ssl)."""
        if not self.ssl or self.ca_file is None:
            return ""
        return f"?sslmode=verify-full&sslrootcert={quote(str(self.ca_file), safe='/')}"

    @property
    def admin_url(self) -> str:
        """SQLAlchemy URL of the superuser on the `postgres` database."""
        return self.url()

    @property
    def admin_dsn(self) -> str:
        """libpq URL of the superuser on the `postgres` database (for psycopg directly)."""
        return self.url(driver=False)

    @property
    def socket_dir(self) -> str:
        assert self.tmpdir is not None
        return self.tmpdir

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """CREATE DATABASE (optionally from a template); returns its SQLAlchemy superuser URL."""
        import psycopg
        from psycopg import sql

        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            stmt = sql.SQL("{} TEMPLATE {} STRATEGY FILE_COPY").format(stmt, sql.Identifier(template))
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(stmt)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """DROP DATABASE ... WITH (FORCE), disconnecting any session still on it."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _locales() -> set[str]:
    try:
        out = subprocess.run(["locale", "-a"], check=False, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return set()
    names = set(out.split())
    return names | {n.replace("utf8", "UTF-8") for n in names}
