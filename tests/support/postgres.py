"""A throwaway PostgreSQL cluster for tests and benchmarks: initdb into a temp dir, start, stop, delete.

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
from typing import Self

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
    password; host (TCP) connections use scram-sha-256 for every role, local socket connections are
    trusted (the socket lives in a 0700 directory). When running as root, initdb and postgres run as
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
    ) -> None:
        self.bindir = Path(bindir) if bindir else find_pg_bin()
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
            "--auth-local=trust",
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
        }
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
        """Superuser URL over TCP; SQLAlchemy form ("postgresql+psycopg://") unless driver=False."""
        scheme = "postgresql+psycopg" if driver else "postgresql"
        return f"{scheme}://{self.superuser}:{self.password}@{self.host}:{self.port}/{dbname}"

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
