"""A synchronous hot standby of a throwaway PostgreSQL (tests/support/postgres.py), and the failover verbs.

`make_replicated(primary)` lets the primary stream to a standby (a `hostssl replication` line, scram);
`TempStandby(primary).start()` copies it with `pg_basebackup -R` (standby.signal, primary_conninfo over
verified TLS), starts it on its own port as a hot standby, and makes it the primary's synchronous standby
(`synchronous_standby_names`, `synchronous_commit = on`): a commit the primary acknowledged is on the
standby too. `immediate_stop(primary)` is a crash that keeps the data directory; `standby.promote()` is
`pg_ctl promote`. The standby serves TLS with a certificate of the primary's CA (copied by the base
backup), so a window that pins that CA reaches either.

Test code only."""

from __future__ import annotations

import os
import signal
import tempfile
import time
import weakref
from pathlib import Path

import psycopg

from tests.support.postgres import TempPostgres, _cleanup, _free_port

__all__ = ["STANDBY_NAME", "TempStandby", "immediate_stop", "make_replicated", "pause", "postmaster_pid"]

STANDBY_NAME = "yc_standby"


def _sql(pg: TempPostgres, *statements: str) -> None:
    with psycopg.connect(pg.admin_dsn, autocommit=True, connect_timeout=10) as con:
        for stmt in statements:
            con.execute(stmt)


def make_replicated(primary: TempPostgres) -> None:
    """Let `primary` stream WAL to a standby over TLS (the superuser replicates: a test cluster)."""
    assert primary.datadir is not None
    hba = Path(primary.datadir, "pg_hba.conf")
    host = "hostssl" if primary.ssl else "host"
    with open(hba, "a") as f:
        f.write(f"{host} replication {primary.superuser} 127.0.0.1/32 scram-sha-256\n")
    _sql(primary, "ALTER SYSTEM SET synchronous_commit = 'on'", "ALTER SYSTEM SET wal_keep_size = '256MB'",
         "SELECT pg_reload_conf()")


def immediate_stop(pg: TempPostgres) -> None:
    """`pg_ctl stop -m immediate`: the server dies like a crash; its directory stays."""
    assert pg.datadir is not None
    pg._run("pg_ctl", "stop", "-D", pg.datadir, "-m", "immediate", "-w", "-t", "30")


def postmaster_pid(pg: TempPostgres) -> int:
    assert pg.datadir is not None
    return int(Path(pg.datadir, "postmaster.pid").read_text().split()[0])


class pause:  # noqa: N801 - used as a statement: `with pause(pg): ...`
    """SIGSTOP the postmaster (a hung server: connections are accepted by the kernel, never answered);
    SIGCONT on leaving, whatever happened."""

    def __init__(self, pg: TempPostgres) -> None:
        self.pid = postmaster_pid(pg)

    def __enter__(self) -> pause:
        os.kill(self.pid, signal.SIGSTOP)
        return self

    def __exit__(self, *exc: object) -> None:
        os.kill(self.pid, signal.SIGCONT)


class TempStandby(TempPostgres):
    """A hot standby of `primary` (same superuser and password, same CA), synchronous once started."""

    def __init__(self, primary: TempPostgres, *, synchronous: bool = True) -> None:
        super().__init__(bindir=primary.bindir, ssl=primary.ssl, ca=primary.ca)
        self.primary = primary
        self.password = primary.password
        self.synchronous = synchronous

    def _conninfo(self) -> str:
        parts = [f"host={self.primary.host}", f"port={self.primary.port}", f"user={self.superuser}",
                 f"password={self.password}", f"application_name={STANDBY_NAME}"]
        if self.ssl:
            parts += ["sslmode=verify-full", f"sslrootcert={self.ca_file}"]
        return " ".join(parts)

    def start(self) -> TempStandby:
        if self.tmpdir is not None:
            raise RuntimeError("TempStandby already started")
        t0 = time.perf_counter()
        self.tmpdir = tempfile.mkdtemp(prefix="yc-pg-standby-")
        os.chmod(self.tmpdir, 0o700)
        self._chown(self.tmpdir)
        self.datadir = os.path.join(self.tmpdir, "data")
        self._finalizer = weakref.finalize(self, _cleanup, self._cmd("pg_ctl"), self.datadir, self.tmpdir, self._env)
        if self.ssl:
            assert self.ca is not None
            self.ca_file = self.ca.write(os.path.join(self.tmpdir, "root.crt"))
        env = dict(self._env, PGPASSWORD=self.password)
        saved, self._env = self._env, env
        try:
            args = ["-D", self.datadir, "-d", self._conninfo(), "-R", "-X", "stream", "-c", "fast", "--no-sync"]
            self._run("pg_basebackup", *args, timeout=120)
        finally:
            self._env = saved
        with open(os.path.join(self.datadir, "postgresql.auto.conf"), "a") as f:
            f.write(f"primary_conninfo = '{self._conninfo()}'\n")
            f.write(f"unix_socket_directories = '{self.tmpdir}'\nhot_standby = on\n")
        logfile = os.path.join(self.tmpdir, "postgres.log")
        self.port = _free_port()
        self._run("pg_ctl", "start", "-D", self.datadir, "-l", logfile, "-w", "-t", "60", "-o", f"-p {self.port}")
        if self.synchronous:
            _sql(self.primary, f"ALTER SYSTEM SET synchronous_standby_names = '{STANDBY_NAME}'",
                 "SELECT pg_reload_conf()")
            self.wait_streaming(sync=True)
        self.startup_seconds = time.perf_counter() - t0
        return self

    def wait_streaming(self, *, sync: bool, seconds: float = 30) -> None:
        """Until the primary reports this standby streaming (and synchronous when `sync`)."""
        deadline = time.monotonic() + seconds
        state = None
        while time.monotonic() < deadline:
            with psycopg.connect(self.primary.admin_dsn, autocommit=True, connect_timeout=10) as con:
                row = con.execute("SELECT state, sync_state FROM pg_stat_replication WHERE application_name = %s",
                                  (STANDBY_NAME,)).fetchone()
            state = row
            if row and row[0] == "streaming" and (not sync or row[1] == "sync"):
                return
            time.sleep(0.1)
        raise RuntimeError(f"the standby is not streaming{' synchronously' if sync else ''}: {state}")

    def promote(self) -> None:
        """`pg_ctl promote -w`: the standby becomes a primary that accepts writes."""
        assert self.datadir is not None
        self._run("pg_ctl", "promote", "-D", self.datadir, "-w", "-t", "60")
