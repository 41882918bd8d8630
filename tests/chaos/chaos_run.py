"""The chaos run (issue 17): real window processes take intakes and sync while a seeded nemesis breaks things.

    .venv/bin/python tests/chaos/chaos_run.py --windows 8 --seconds 300 --seed S [--json]

A primary PostgreSQL with a synchronous hot standby (tests/support/standby.py), the migrated central
database, N windows of one centre, each a real window process (tests/chaos/window_child.py: the CLI's
`intake` and `sync` over its own encrypted SQLite store) whose URL lists two hosts (libpq multi-host,
target_session_attrs=read-write), each through the window's own TCP proxy to a server slot. Every 5-15 s
the nemesis (random.Random(seed)) does one of:
  kill9      kill -9 a window process while it syncs (it is started again)
  link       black-hole a window's link (both proxies) for 5-15 s
  pg_crash   immediate stop of the primary, restart 2-6 s later
  pg_pause   SIGSTOP every process of the primary's cluster for 20 s
  failover   immediate stop of the primary, promote the standby, rebuild the old slot as the new standby
  skew       a window's clock +-10 minutes for 10-20 s (libfaketime; left out when it is not installed)
  disk       a window's disk full (RLIMIT_FSIZE 0 on its process) for 5-15 s
Then it heals everything, stops new intakes, lets the windows sync until every outbox is empty, and checks:
every case a window's store holds is at the centre exactly once (and nothing more of that window's is
there), every op a window marked acknowledged is in the centre's chain, the centre's chain check passes,
drained within 60 s of healing. Prints one JSON object last: {"seed", "seconds", "windows", "cases",
"lost", "duplicated", "drained_s", "faults": {kind: count}, ...}. Loopback only."""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("YICHUANG_SECRET_STORE", "file")

from db.central import add_window, admin_connect, init_central, verify_central  # noqa: E402
from tests.support import nemesis  # noqa: E402
from tests.support.factories import residence_permit_intake  # noqa: E402
from tests.support.faultkit import child_env  # noqa: E402
from tests.support.postgres import TempPostgres  # noqa: E402
from tests.support.standby import TempStandby, make_replicated  # noqa: E402

CENTRE = "310104"
DB = "yc_central"
WINDOW_KINDS = ("kill9", "link", "skew", "disk")
SERVER_KINDS = ("pg_crash", "pg_pause", "failover")


class WindowProc:
    """A window process and what it reports (tests/chaos/window_child.py)."""

    def __init__(self, base: Path, i: int, intake: Path, faketime: str | None) -> None:
        self.window_no = f"{i:02d}"
        self.home = base / f"w{self.window_no}"
        self.intake = intake
        self.clock_file = base / f"clock{self.window_no}.rc"
        self.clock_file.write_text("+0\n")
        self.env = child_env()
        if faketime:
            self.env.update(LD_PRELOAD=faketime, FAKETIME_TIMESTAMP_FILE=str(self.clock_file),
                            FAKETIME_CACHE_DURATION="1")  # monotonic faked too: with
            # DONT_FAKE_MONOTONIC libfaketime 0.9.10 makes Python's time.sleep fail with EINVAL
        self.proc: subprocess.Popen | None = None
        self.state = "starting"
        self.lock = threading.Lock()
        self.events: list[tuple[float, str]] = []
        self.sync_seconds: list[float] = []
        self.sync_started: float | None = None
        self.codes = Counter()
        self.url = self.ca = ""

    def start(self, *, fresh: bool) -> None:
        args = [sys.executable, "-m", "tests.chaos.window_child", str(self.home), CENTRE, self.window_no,
                str(self.intake)] + (["--fresh"] if fresh else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=self.env, cwd=str(ROOT))
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        threading.Thread(target=self._log, args=(self.proc,), daemon=True).start()
        if not fresh:
            self.go()

    def go(self) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(f"{self.url}\t{self.ca}\n".encode())
        self.proc.stdin.flush()

    def _log(self, proc: subprocess.Popen) -> None:
        assert proc.stderr is not None
        with open(self.home.parent / f"{self.home.name}.log", "ab") as log:
            for raw in proc.stderr:
                log.write(raw)

    def _read(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").strip()
            now = time.monotonic()
            with self.lock:
                self.events.append((now, line))
                if line == "S":
                    self.state = "sync"
                    self.sync_started = now
                elif line.startswith("s "):
                    # the round's length on this process's clock: the window's own monotonic clock is
                    # faked by libfaketime too, so a skew during the round would count as its length
                    _, code, _secs, _queue = line.split()
                    self.state = "idle"
                    if self.sync_started is not None:
                        self.sync_seconds.append(round(now - self.sync_started, 2))
                    self.sync_started = None
                    self.codes[f"sync {code}"] += 1
                elif line.startswith("I "):
                    self.codes[f"intake {line.split()[1]}"] += 1
                elif line in ("READY", "GO"):
                    self.state = line.lower()

    def wait_for(self, state: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.state == state:
                return True
            time.sleep(0.05)
        return False

    def drained_since(self, t: float) -> bool:
        """A sync that started after `t` ended with exit 0 and an empty outbox."""
        with self.lock:
            started = False
            for at, line in self.events:
                if at < t:
                    continue
                if line == "S":
                    started = True
                elif started and line.startswith("s "):
                    _, code, _secs, queue = line.split()
                    if code == "0" and queue == "0":
                        return True
        return False

    def kill(self) -> None:
        if self.proc is not None:
            nemesis.kill9(self.proc.pid)
            self.proc.wait(30)


class Cluster:
    """Two server slots, A and B: the primary and its synchronous standby, whichever is which."""

    def __init__(self) -> None:
        self.primary = TempPostgres(shared_buffers="64MB").start()
        make_replicated(self.primary)
        self.admin_url = self.primary.create_database(DB)
        init_central(self.admin_url)
        self.standby: TempPostgres = TempStandby(self.primary).start()
        self.slots = {"A": self.primary, "B": self.standby}
        self.lock = threading.Lock()

    def port(self, slot: str) -> int:
        return self.slots[slot].port

    def url(self) -> str:
        return self.primary.url(DB)

    def fail_over(self) -> None:
        old_slot = next(s for s, pg in self.slots.items() if pg is self.primary)
        new_standby = nemesis.fail_over(self.primary, self.standby)  # type: ignore[arg-type]
        self.primary, self.standby = self.standby, new_standby
        self.slots[old_slot] = new_standby

    def stop(self) -> None:
        for pg in (self.standby, self.primary):
            pg.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description="the chaos run (issue 17)")
    ap.add_argument("--windows", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="only the JSON object")
    ap.add_argument("--keep", action="store_true", help="keep the windows' folders (named on stderr)")
    ap.add_argument("--kinds", default="", help="only these fault kinds (comma-separated), to study one")
    args = ap.parse_args()
    if not (1 <= args.windows <= 20 and 10 <= args.seconds <= 3600):
        ap.error("windows 1..20, seconds 10..3600")
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    rng = random.Random(args.seed)
    faketime = nemesis.find_libfaketime()
    kinds = [k for k in WINDOW_KINDS if k != "skew" or faketime] + list(SERVER_KINDS)
    if args.kinds:
        kinds = [k for k in kinds if k in args.kinds.split(",")]
        if not kinds:
            ap.error(f"--kinds: none of {args.kinds} is available")
    base = Path(tempfile.mkdtemp(prefix="yc-chaos-"))
    intake = base / "intake.json"
    intake.write_text(json.dumps(residence_permit_intake(), ensure_ascii=False), encoding="utf-8")
    t_setup = time.monotonic()
    windows = [WindowProc(base, i + 1, intake, faketime) for i in range(args.windows)]
    for w in windows:  # the windows make their stores while the servers start
        w.start(fresh=True)
    proxies: dict[str, list[nemesis.LinkProxy]] = {}
    faults: Counter = Counter()
    exits: Counter = Counter()
    server_thread: threading.Thread | None = None
    cluster: Cluster | None = None
    try:
        cluster = Cluster()
        for w in windows:
            if not w.wait_for("ready", 180):
                raise RuntimeError(f"window {w.window_no} did not start: {(base / (w.home.name + '.log')).read_text()[-2000:]}")
        from desktop.core.services import Services
        from tests.support.central_ops import publish_store_catalogues

        for w in windows:
            proxies[w.window_no] = [nemesis.LinkProxy(lambda s=slot: cluster.port(s)) for slot in ("A", "B")]
            w.url = add_window(cluster.admin_url, CENTRE, w.window_no,
                               hosts=[f"127.0.0.1:{p.port}" for p in proxies[w.window_no]])
            assert cluster.primary.ca_file is not None
            w.ca = str(cluster.primary.ca_file)
        publish_store_catalogues(cluster.admin_url, Services(windows[0].home))
        for w in windows:
            w.go()
        for w in windows:
            if not w.wait_for("go", 120):
                raise RuntimeError(f"window {w.window_no} never reached the centre")
        setup_s = time.monotonic() - t_setup
        say(f"set up in {setup_s:.0f} s; chaos for {args.seconds:.0f} s, seed {args.seed}")

        healers: list[threading.Timer] = []
        disk_full: set[str] = set()

        def later(seconds: float, fn) -> None:
            t = threading.Timer(seconds, fn)
            t.daemon = True
            healers.append(t)
            t.start()

        def server_fault(kind: str, pause_s: float) -> None:
            with cluster.lock:
                try:
                    if kind == "pg_crash":
                        from tests.support.standby import immediate_stop

                        immediate_stop(cluster.primary)
                        time.sleep(pause_s)
                        nemesis.restart(cluster.primary)
                    elif kind == "pg_pause":
                        pids = nemesis.cluster_pids(cluster.primary)
                        nemesis.signal_all(pids, signal.SIGSTOP)
                        time.sleep(20)
                        nemesis.signal_all(pids, signal.SIGCONT)
                    elif kind == "failover":
                        cluster.fail_over()
                except Exception as exc:  # noqa: BLE001 - reported in the JSON
                    faults[f"{kind} failed: {type(exc).__name__}: {str(exc)[:120]}"] += 1

        end = time.monotonic() + args.seconds
        while True:
            wait = rng.uniform(5, 15)
            if time.monotonic() + wait >= end:
                time.sleep(max(0.0, end - time.monotonic()))
                break
            time.sleep(wait)
            kind = rng.choice(kinds)
            w = rng.choice(windows)
            pause_s = rng.uniform(2, 6)
            if kind in SERVER_KINDS:
                if server_thread is not None and server_thread.is_alive():
                    kind = "link"  # one server fault at a time
                else:
                    server_thread = threading.Thread(target=server_fault, args=(kind, pause_s), daemon=True)
                    server_thread.start()
            if kind == "kill9":
                w.wait_for("sync", 5)
                w.kill()
                disk_full.discard(w.window_no)
                w.start(fresh=False)
            elif kind == "link":
                for p in proxies[w.window_no]:
                    p.blackhole()
                later(rng.uniform(5, 15), lambda ps=proxies[w.window_no]: [p.heal() for p in ps])
            elif kind == "skew":
                w.clock_file.write_text(rng.choice(("+10m", "-10m")) + "\n")
                later(rng.uniform(10, 20), lambda f=w.clock_file: f.write_text("+0\n"))
            elif kind == "disk":
                assert w.proc is not None
                nemesis.full_disk(w.proc.pid, True)
                disk_full.add(w.window_no)
                later(rng.uniform(5, 15), lambda pid=w.proc.pid: nemesis.full_disk(pid, False))
            faults[kind] += 1
            for other in windows:  # a window process that exited by itself is counted and started again
                if other.proc is not None and other.proc.poll() is not None:
                    exits[f"window exit {other.proc.returncode}"] += 1
                    other.start(fresh=False)
            say(f"{time.monotonic() - end + args.seconds:6.1f} s  {kind} {w.window_no if kind in WINDOW_KINDS else ''}")

        # heal everything
        for t in healers:
            t.cancel()
        if server_thread is not None:
            server_thread.join(120)
        for ps in proxies.values():
            for p in ps:
                p.heal()
        for w in windows:
            w.clock_file.write_text("+0\n")
            if w.proc is not None:
                nemesis.full_disk(w.proc.pid, False)
            if w.proc is None or w.proc.poll() is not None:
                w.start(fresh=False)
        t_heal = time.monotonic()
        for w in windows:
            (w.home / "drain").touch()
        pending = set(range(len(windows)))
        while pending and time.monotonic() - t_heal < 180:
            pending = {i for i in pending if not windows[i].drained_since(t_heal)}
            time.sleep(0.2)
        drained_s = round(time.monotonic() - t_heal, 1) if not pending else None
        for w in windows:
            (w.home / "stop").touch()
        for w in windows:
            try:
                if w.proc is not None:
                    w.proc.wait(60)
            except subprocess.TimeoutExpired:
                w.kill()
        result = check(cluster, windows)
    finally:
        for ps in proxies.values():
            for p in ps:
                p.close()
        for w in windows:
            if w.proc is not None and w.proc.poll() is None:
                w.kill()
        if cluster is not None:
            cluster.stop()
    syncs = [s for w in windows for s in w.sync_seconds]
    codes = sum((w.codes for w in windows), Counter())
    out = {"seed": args.seed, "seconds": args.seconds, "windows": args.windows, **result, "drained_s": drained_s,
           "faults": dict(faults), "setup_s": round(setup_s, 1), "max_sync_s": max(syncs, default=0.0),
           "steps": dict(codes), "window_exits": dict(exits),
           "libfaketime": bool(faketime)}
    print(json.dumps(out, ensure_ascii=False))
    if args.keep:
        say(f"kept {base}")
    else:
        import shutil

        shutil.rmtree(base, ignore_errors=True)


def check(cluster: Cluster, windows: list[WindowProc]) -> dict:
    from sqlalchemy import select

    from db.local.models import Case, OutboxOp
    from desktop.core.services import Services

    lost = duplicated = cases = 0
    unacked = 0
    with admin_connect(cluster.url()) as con:
        for w in windows:
            with Services(w.home).Reader() as s:
                # the window's own cases (the cases stream brings the centre's other windows' too)
                local = set(s.scalars(select(Case.case_no).where(Case.window_no == w.window_no)))
                acked = set(s.scalars(select(OutboxOp.op_id).where(OutboxOp.state.in_(("applied", "duplicate")))))
                unacked += len(list(s.scalars(select(OutboxOp.op_id).where(OutboxOp.state == "pending"))))
            central = Counter(r[0] for r in con.execute(
                "SELECT case_no FROM yc.cases WHERE centre_code = %s AND window_no = %s", (CENTRE, w.window_no)))
            chain = Counter(str(r[0]) for r in con.execute(
                "SELECT op_id FROM yc.chain WHERE centre_code = %s AND window_no = %s", (CENTRE, w.window_no)))
            same_payload = con.execute(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM yc.chain WHERE centre_code = %s "
                "AND window_no = %s AND kind = 'case.upsert' GROUP BY sha256) t", (CENTRE, w.window_no)).fetchone()[0]
            cases += len(local)
            lost += len(local - set(central)) + len(acked - set(chain))
            duplicated += sum(n - 1 for n in central.values() if n > 1) + len(set(central) - local)
            duplicated += sum(n - 1 for n in chain.values() if n > 1) + int(same_payload)
    verified = verify_central(cluster.url(), CENTRE)
    return {"cases": cases, "lost": lost, "duplicated": duplicated, "unsent": unacked,
            "chains_ok": bool(verified.get("ok")), "chain_problems": len(verified.get("problems", []))}


if __name__ == "__main__":
    main()
