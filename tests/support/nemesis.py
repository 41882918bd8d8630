"""The chaos run's tools: a TCP proxy that can black-hole a window's link, the PostgreSQL faults (crash and
restart, SIGSTOP of the whole cluster, failover to the standby and the old primary rebuilt as the new
standby), and the window faults (kill -9, clock skew through libfaketime, a full disk through
RLIMIT_FSIZE). Loopback only; test code."""

from __future__ import annotations

import os
import resource
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from tests.support.faultkit import hang_up
from tests.support.postgres import TempPostgres
from tests.support.standby import TempStandby, immediate_stop, postmaster_pid

FAKETIME_LIBS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1",
                 "/usr/local/lib/faketime/libfaketime.so.1")


def find_libfaketime() -> str | None:
    for path in (os.environ.get("YICHUANG_LIBFAKETIME"), *FAKETIME_LIBS):
        if path and os.path.exists(path):
            return path
    return None


class LinkProxy:
    """127.0.0.1:port → 127.0.0.1:target() (the target read at each new connection: a slot that follows
    failover). `blackhole()` stops forwarding: new connections are accepted and never answered, bytes on
    open ones are swallowed (a link that went silent); `heal()` resets the connections that were cut and
    forwards again."""

    def __init__(self, target: Callable[[], int]) -> None:
        self.target = target
        self.cut = threading.Event()
        self.lock = threading.Lock()
        self.open: set[socket.socket] = set()
        self.victims: set[socket.socket] = set()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self.lock:
                self.open.add(client)
                if self.cut.is_set():
                    self.victims.add(client)  # accepted, never answered
                    continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target()), timeout=5)
                upstream.settimeout(None)
            except OSError:
                self._close(client)
                continue
            with self.lock:
                self.open.add(upstream)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if self.cut.is_set():
                    with self.lock:
                        self.victims.update((src, dst))
                    continue  # swallowed
                dst.sendall(data)
        except OSError:
            pass
        finally:
            if not self.cut.is_set():
                self._close(src)
                self._close(dst)

    def _close(self, sock: socket.socket, *, reset: bool = False) -> None:
        hang_up(sock, reset=reset)
        with self.lock:
            self.open.discard(sock)

    def blackhole(self) -> None:
        self.cut.set()

    def heal(self) -> None:
        with self.lock:
            victims, self.victims = list(self.victims), set()
        self.cut.clear()
        for sock in victims:
            self._close(sock, reset=True)

    def close(self) -> None:
        self._stop.set()
        self.heal()
        self._server.close()
        with self.lock:
            socks = list(self.open)
        for sock in socks:
            self._close(sock)


# ---- PostgreSQL -------------------------------------------------------------------------------------
def restart(pg: TempPostgres) -> None:
    """pg_ctl start on the same data directory and port (after an immediate stop)."""
    assert pg.datadir is not None and pg.tmpdir is not None
    pg._run("pg_ctl", "start", "-D", pg.datadir, "-l", os.path.join(pg.tmpdir, "postgres.log"), "-w", "-t", "60",
            "-o", f"-p {pg.port}", timeout=90)


def cluster_pids(pg: TempPostgres) -> list[int]:
    """The postmaster and every process it forked (backends, WAL sender, checkpointer...)."""
    root = postmaster_pid(pg)
    pids = [root]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == root:
            pids.append(int(stat.parent.name))
    return pids


def signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def fail_over(primary: TempPostgres, standby: TempStandby) -> TempStandby:
    """Crash the primary, promote the standby, rebuild the old primary's slot as the new primary's
    synchronous standby (a fresh base backup). Returns the new standby."""
    immediate_stop(primary)
    standby.promote()
    primary.stop()
    return TempStandby(standby).start()


# ---- windows ----------------------------------------------------------------------------------------
def full_disk(pid: int, on: bool) -> None:
    """RLIMIT_FSIZE 0 on a running process (no file may grow: EFBIG, as on a full disk), or lifted."""
    limit = 0 if on else resource.RLIM_INFINITY
    try:
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    except (ProcessLookupError, PermissionError):
        pass


def kill9(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
