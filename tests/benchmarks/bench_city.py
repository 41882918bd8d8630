"""City load generator (issue 17, by hand): N simulated windows syncing with one central PostgreSQL.

    .venv/bin/python tests/benchmarks/bench_city.py --windows N --minutes M [--sync-every S]
        [--via direct|pooler|shared] [--workers W] [--json]

It starts its own throwaway PostgreSQL 15 (TLS, SCRAM; and PgBouncer with `--via pooler`, configured by the
product's `pooler-config` code), migrates the central schema, provisions N window logins through the
product's `add_windows` (add-window for many, one transaction), binds each window to a machine and key the
way a new window does (sync.handshake + sync.bind_window), then drives the N windows with W worker threads
through the real sync transport (db.central.client.CentralClient), without a local store. One sync is what
the client's round does: handshake with the machine's identity, push of 1-5 chained operations of the real
kinds and payloads (a new case, a later version of one, a rating, a consultation, an audit record), then
the pulls of every stream (paging until a short page) from the window's own cursors.

Arrivals: first a morning burst (every window syncs once, at a random moment in the first 60 s), then each
window syncs again after a random 0.5-1.5 x --sync-every. `--via direct` is a short connection per sync
straight to PostgreSQL (option (a) of docs/scaling.md); `--via pooler` a persistent client connection to
PgBouncer in transaction mode (option (c)), opened by the window's first sync; `--via shared` the same to the
pooler's shared entry (central c0020: one pool of warm server connections logged in as yc_gateway, each call
signed with the window's key; a window binds through the per-login entry by itself). Latency is measured from
the moment a sync was due to its end (waiting for a worker included). When time is up the generator
stops, pushes whatever ops are still unsent (drain, untimed), and compares every op made with what the
centre holds (yc.ops, yc.chain, yc.cases). Then the floor: plain single-row INSERT transactions with the
same number of workers through the same path (each worker a window login on a persistent connection).

Prints one JSON object last: {"windows", "minutes", "syncs", "ops", "ops_per_s", "sync_p50_ms",
"sync_p99_ms", "burst_p99_ms", "max_server_connections", "errors", "lost", "duplicated",
"floor_ops_per_s", ...} plus the phases (where a sync's time goes), the machine and the date.
Loopback only; bounded in count (N windows) and time (--minutes plus set-up and drain)."""

from __future__ import annotations

import argparse
import heapq
import json
import queue
import random
import secrets
import statistics
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the repository root: `tests` is a package

from db.central import CentralClient, admin_connect, freeze_op, init_central, publish_catalogue
from db.central.admin import add_windows
from db.central.errors import CentralError
from desktop.core.sync import PROTOCOL, PULL_LIMITS, STREAMS
from tests.benchmarks.bench_sync import machine
from tests.support.central_ops import CATALOGUE_MATTER, CATALOGUE_VERSION, Chain, case_payload
from tests.support.postgres import TempPostgres

WINDOWS_PER_CENTRE = 14  # ~3,000 comprehensive windows over ~215 centres (docs/scaling.md)
BURST_S = 60.0
SH = timezone(timedelta(hours=8))


def now_iso() -> str:
    return datetime.now(SH).isoformat(timespec="seconds")


class Window:
    """One simulated window: its login, machine, key, chain, outbox and pull cursors."""

    def __init__(self, centre: str, window_no: str, url: str, ca: Path) -> None:
        self.centre, self.window_no, self.url, self.ca = centre, window_no, url, ca
        self.key = secrets.token_bytes(32)
        self.machine_id = uuid.uuid4().hex
        self.chain = Chain(self.key)
        self.serial = 0
        self.outbox: list[dict] = []  # chained ops not yet acknowledged (the window's outbox)
        self.made: list[dict] = []  # every op this window made
        self.acked: set[str] = set()  # op ids the centre answered applied or duplicate
        self.cases: dict[str, dict] = {}  # case_no -> its last payload made
        self.unrated: list[str] = []  # cases whose applicant has not rated the visit yet
        self.cursors = dict.fromkeys(STREAMS, 0)
        self.client: CentralClient | None = None
        self.synced = 0

    def identity(self) -> dict:
        import hashlib

        return {"machine_id": self.machine_id, "key_sha256": hashlib.sha256(self.key).hexdigest(),
                "client_time": now_iso()}

    def new_client(self) -> CentralClient:
        return CentralClient(self.url, ca_cert=self.ca, window_key=(self.centre, self.window_no, self.key))

    def make_ops(self, rng: random.Random) -> None:
        """1-5 operations, as a clerk's work between two syncs leaves them in the outbox."""
        for _ in range(rng.randint(1, 5)):
            r = rng.random()
            if r < 0.6 or not self.cases:
                self.serial += 1
                p = case_payload(self.centre, self.window_no, self.serial, received_at=now_iso())
                self.cases[p["case_no"]] = p
                self.unrated.append(p["case_no"])
                op = freeze_op("case.upsert", p)
            elif r < 0.75:
                last = self.cases[rng.choice(list(self.cases))]
                p = {**last, "version": last["version"] + 1, "note": f"补正 v{last['version'] + 1}"}
                self.cases[p["case_no"]] = p
                op = freeze_op("case.upsert", p)
            elif r < 0.85 and self.unrated:
                op = freeze_op("rating.recorded", {
                    "case_no": self.unrated.pop(), "centre_code": self.centre, "window_no": self.window_no,
                    "overall": rng.randint(1, 5), "rated_at": now_iso(), "comment": "很好"})
            elif r < 0.95:
                op = freeze_op("consultation.recorded", {
                    "id": str(uuid.uuid4()), "centre_code": self.centre, "window_no": self.window_no,
                    "asked_at": now_iso(), "asker_name": "李四", "question": "办理居住证要带什么？",
                    "answer": "身份证和居住登记回执", "matter_code": "SH-HJ-001", "clerk_login": "zhangsan"})
            else:
                op = freeze_op("audit.recorded", {"centre_code": self.centre, "window_no": self.window_no,
                                                  "at": now_iso(), "actor": "zhangsan", "action": "login"})
            op = self.chain(op)
            self.outbox.append(op)
            self.made.append(op)


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: list[float] = []
        self.burst: list[float] = []
        self.phases: dict[str, list[float]] = defaultdict(list)
        self.errors = Counter()
        self.ops = 0
        self.syncs = 0


args_pull_all = True  # --pulls seven: one sync.pull per stream, as before central c0015


def sync_once(w: Window, *, persistent: bool, stats: Stats, timed: bool = True) -> None:
    """One sync round of window `w` (handshake, push, pulls); raises CentralError (ops stay queued)."""
    phases: dict[str, float] = {}
    client = w.client if persistent and w.client is not None else w.new_client()
    w.client = client if persistent else None
    try:
        t = time.perf_counter()
        client._connection()  # the log-in (TCP, TLS, SCRAM; a no-op on an open persistent connection)
        phases["connect"] = time.perf_counter() - t
        t = time.perf_counter()
        answer = client.handshake(PROTOCOL, w.identity())
        if not answer.get("bound"):
            client.bind_window(w.machine_id, w.key.hex())
        phases["handshake"] = time.perf_counter() - t
        t = time.perf_counter()
        pushed = 0
        if w.outbox:
            answers = client.push(w.outbox)
            bad = [a for a in answers if a["status"] not in ("applied", "duplicate")]
            if bad:
                with stats.lock:
                    stats.errors[f"rejected: {bad[0].get('reason')}"] += len(bad)
            pushed = len(w.outbox)
            w.acked.update(a["op_id"] for a in answers if a["status"] in ("applied", "duplicate"))
            w.outbox = []
        phases["push"] = time.perf_counter() - t
        t = time.perf_counter()
        # as desktop.core.sync.round.pull_streams: every stream's first page in one call (sync.pull_all),
        # a stream whose page was full paged on with sync.pull
        first = client.pull_all(dict(w.cursors), PULL_LIMITS) if args_pull_all else {}
        for name in STREAMS:
            limit = PULL_LIMITS[name]
            for _page in range(50):
                page = first.pop(name, None) or client.pull(name, w.cursors[name], limit)
                w.cursors[name] = page["last_seq"]
                if len(page["rows"]) < limit:
                    break
        phases["pulls"] = time.perf_counter() - t
    except CentralError:
        client.close()
        w.client = None
        raise
    finally:
        if not persistent:
            client.close()
    w.synced += 1
    if timed:
        with stats.lock:
            stats.ops += pushed
            stats.syncs += 1
            for k, v in phases.items():
                stats.phases[k].append(v)


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_pool(workers: int, jobs: list, fn) -> list[Exception]:
    """fn(job) for every job on `workers` threads; returns the exceptions."""
    q: queue.Queue = queue.Queue()
    for j in jobs:
        q.put(j)
    errors: list[Exception] = []

    def work() -> None:
        while True:
            try:
                j = q.get_nowait()
            except queue.Empty:
                return
            try:
                fn(j)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                errors.append(exc)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


class ConnectionSampler(threading.Thread):
    """The most client backends PostgreSQL had at once (sampled every 0.25 s, its own session excluded)."""

    def __init__(self, admin_dsn: str) -> None:
        super().__init__(daemon=True)
        self.admin_dsn, self.max = admin_dsn, 0
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_dsn, autocommit=True) as con:
            while not self.stop.is_set():
                n = con.execute("SELECT count(*) - 1 FROM pg_stat_activity WHERE backend_type = 'client backend'"
                                ).fetchone()[0]
                self.max = max(self.max, n)
                self.stop.wait(0.25)


def drive(windows: list[Window], args: argparse.Namespace, stats: Stats, rng: random.Random) -> float:
    """The timed run: the burst, then random arrivals around --sync-every, until --minutes are up."""
    persistent = args.via in ("pooler", "shared")
    t0 = time.monotonic()
    end = t0 + args.minutes * 60
    burst = min(BURST_S, args.minutes * 60)
    heap = [(t0 + rng.uniform(0, burst), i, True) for i in range(len(windows))]
    heapq.heapify(heap)
    hlock = threading.Lock()
    ready: queue.Queue = queue.Queue()
    busy: set[int] = set()

    profiles: list = getattr(args, "profiles", [])

    def worker() -> None:
        wrng = random.Random(rng.random())
        prof = None
        if args.cprofile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
        while True:
            item = ready.get()
            if item is None:
                if prof is not None:
                    prof.disable()
                    with hlock:
                        profiles.append(prof)
                return
            due, i, first = item
            w = windows[i]
            w.make_ops(wrng)
            try:
                sync_once(w, persistent=persistent, stats=stats)
                ms = (time.monotonic() - due) * 1000
                with stats.lock:
                    stats.latency.append(ms)
                    if first:
                        stats.burst.append(ms)
            except CentralError as exc:
                with stats.lock:
                    stats.errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
            with hlock:
                busy.discard(i)
                nxt = time.monotonic() + wrng.uniform(0.5, 1.5) * args.sync_every
                if nxt < end:
                    heapq.heappush(heap, (nxt, i, False))

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.workers)]
    for t in threads:
        t.start()
    while True:
        now = time.monotonic()
        with hlock:
            while heap and heap[0][0] <= now:
                due, i, first = heapq.heappop(heap)
                if due < end:
                    busy.add(i)
                    ready.put((due, i, first))
            nxt = heap[0][0] if heap else None
        if now >= end and ready.empty():
            break
        time.sleep(min(0.02, max(0.0, (nxt or now + 0.02) - now)))
    for _ in threads:
        ready.put(None)
    for t in threads:
        t.join()
    return time.monotonic() - t0


def check(admin_dsn: str, windows: list[Window]) -> tuple[int, int, dict]:
    """lost: ops the centre acknowledged (applied or duplicate) and does not hold (yc.ops and the chain);
    duplicated: an op held more than once, or a chain longer than the ops the window made; unsent: ops
    never acknowledged by the end (still in a window's outbox); and the cases' versions."""
    made = {op["op_id"] for w in windows for op in w.made}
    acked = {op_id for w in windows for op_id in w.acked}
    with admin_connect(admin_dsn) as con:
        held = Counter(str(r[0]) for r in con.execute("SELECT op_id FROM yc.ops"))
        chained = Counter(str(r[0]) for r in con.execute("SELECT op_id FROM yc.chain"))
        chain_len = dict(((c, n), s) for c, n, s in con.execute(
            "SELECT centre_code, window_no, count(*) FROM yc.chain GROUP BY 1, 2"))
        versions = dict(con.execute("SELECT case_no, version FROM yc.cases").fetchall())
    lost = sum(1 for op_id in acked if held[op_id] == 0 or chained[op_id] == 0)
    duplicated = sum(n - 1 for n in held.values() if n > 1) + sum(n - 1 for n in chained.values() if n > 1)
    duplicated += sum(max(0, chain_len.get((w.centre, w.window_no), 0) - len(w.made)) for w in windows)
    stale = sum(1 for w in windows for c, p in w.cases.items() if versions.get(c) != p["version"])
    return lost, duplicated, {"cases_made": sum(len(w.cases) for w in windows), "cases_wrong_version": stale,
                              "ops_made": len(made), "ops_held": len(held), "unsent": len(made - acked)}


def floor_rate(admin_dsn: str, windows: list[Window], workers: int, seconds: float) -> float:
    """Plain single-row INSERT transactions, `workers` at once through the same path as the windows
    (each worker one window's login on one persistent connection)."""

    with admin_connect(admin_dsn, autocommit=True) as con:
        con.execute("CREATE TABLE IF NOT EXISTS public.bench_floor (id bigserial PRIMARY KEY, who text, "
                    "at timestamptz DEFAULT now())")
        # the shared entry's server login too (benchmark table only: the floor through the same path)
        con.execute("GRANT INSERT ON public.bench_floor TO yc_window, yc_gateway")
        con.execute("GRANT USAGE ON SEQUENCE public.bench_floor_id_seq TO yc_window, yc_gateway")
    count = [0] * workers
    stop = time.monotonic() + seconds

    def one(k: int) -> None:
        c = windows[k % len(windows)].new_client()
        conn = c._connection()
        n = 0
        while time.monotonic() < stop:
            conn.execute("INSERT INTO public.bench_floor (who) VALUES (%s)", (str(k),))
            conn.commit()
            n += 1
        count[k] = n
        c.close()

    t = time.monotonic()
    run_pool(workers, list(range(workers)), one)
    return sum(count) / (time.monotonic() - t)


def profile_start(pg: TempPostgres, admin_dsn: str, pgb) -> tuple:
    """track_functions = 'all' (a reload), then the first readings of CPU and per-function time."""
    from tests.benchmarks.city_profile import CpuMeter, function_snapshot, postmaster_pid

    with admin_connect(admin_dsn, autocommit=True) as con:
        con.execute("ALTER SYSTEM SET track_functions = 'all'")
        con.execute("SELECT pg_reload_conf()")
        time.sleep(0.5)
        fn0 = function_snapshot(con)
    assert pg.datadir is not None
    meter = CpuMeter(postmaster_pid(pg.datadir), pgb.proc.pid if pgb is not None and pgb.proc else None)
    meter.start()
    return meter, fn0


def profile_stop(meter, fn0: dict, admin_dsn: str, profiles: list, syncs: int) -> dict:
    """CPU seconds per group and per round, the server's top functions by self time, the generator's
    top Python functions (cProfile over every worker thread, by internal time)."""
    import io
    import pstats

    from tests.benchmarks.city_profile import function_snapshot, function_times

    cpu = meter.stop()
    time.sleep(1.5)  # backends flush their function statistics at exit / when idle
    with admin_connect(admin_dsn, autocommit=True) as con:
        fns = function_times(fn0, function_snapshot(con))
    per_round = {k: round(v / max(1, syncs) * 1000, 1) for k, v in cpu.items()
                 if k in ("generator", "postgres", "pgbouncer")}
    top: list = []
    if profiles:
        buf = io.StringIO()
        st = pstats.Stats(profiles[0], stream=buf)
        for p in profiles[1:]:
            st.add(p)
        rows = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:15]  # by internal (own) time
        top = [{"fn": f"{Path(k[0]).name}:{k[1]}:{k[2]}", "calls": v[1], "own_s": round(v[2], 2),
                "cum_s": round(v[3], 2)} for k, v in rows]
    return {"cpu_s": cpu, "cpu_ms_per_round": per_round, "server_functions": fns, "generator_top": top}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--windows", type=int, default=300)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--sync-every", type=float, default=30.0)
    ap.add_argument("--via", choices=("direct", "pooler", "shared"), default="direct")
    ap.add_argument("--workers", type=int, default=32, help="syncs at once (the generator's thread pool)")
    ap.add_argument("--floor-seconds", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--json", action="store_true", help="only the JSON object")
    ap.add_argument("--pulls", choices=("all", "seven"), default="all",
                    help="all: one sync.pull_all a round (central c0015, what the window does); seven: one "
                         "sync.pull per stream (before c0015)")
    ap.add_argument("--profile", action="store_true",
                    help="where the CPU goes: CPU seconds of generator, PostgreSQL and PgBouncer, server time per "
                         "function (track_functions)")
    ap.add_argument("--cprofile", action="store_true",
                    help="with --profile: also the generator's worker threads under cProfile (costs generator CPU)")
    args = ap.parse_args()
    if not (1 <= args.windows <= 99 * 9000 and 0 < args.minutes <= 60 and 1 <= args.workers <= 90):
        ap.error("windows 1..891000, minutes (0, 60], workers 1..90")
    rng = random.Random(args.seed)
    global args_pull_all
    args_pull_all = args.pulls == "all"
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    info = machine()
    pgb = None
    with TempPostgres(shared_buffers="128MB", max_connections=100) as pg:
        try:
            t = time.monotonic()
            admin_url = pg.create_database("yc_city")
            init_central(admin_url)
            admin_dsn = admin_url.replace("postgresql+psycopg://", "postgresql://")
            publish_catalogue(admin_url, json.dumps({"version": CATALOGUE_VERSION, "matters": [CATALOGUE_MATTER]},
                                                ensure_ascii=False))
            hosts: list[str] = []
            if args.via in ("pooler", "shared"):
                from tests.support.pgbouncer import TempPgBouncer

                pgb = TempPgBouncer(pg, admin_url).start()
                hosts = [f"{pgb.host}:{pgb.port}"]
            wanted = [(f"31{c:04d}", f"{n:02d}") for c in range((args.windows + WINDOWS_PER_CENTRE - 1)
                                                                 // WINDOWS_PER_CENTRE)
                      for n in range(1, WINDOWS_PER_CENTRE + 1)][: args.windows]
            urls = []
            for k in range(0, len(wanted), 500):
                urls += add_windows(admin_url, wanted[k:k + 500], hosts=hosts, pooled=args.via == "pooler",
                                    shared=args.via == "shared")
            assert pg.ca_file is not None
            windows = [Window(c, n, u, pg.ca_file) for (c, n), u in zip(wanted, urls, strict=True)]
            provision_s = time.monotonic() - t
            say(f"provisioned {len(windows)} windows in {provision_s:.1f} s")
            t = time.monotonic()
            setup_stats = Stats()
            errs = run_pool(min(args.workers, 16), windows,
                            lambda w: sync_once(w, persistent=False, stats=setup_stats, timed=False))
            if errs:
                raise RuntimeError(f"binding failed for {len(errs)} windows: {errs[0]}")
            bind_s = time.monotonic() - t
            say(f"bound {len(windows)} windows in {bind_s:.1f} s; running {args.minutes} min via {args.via}")
            stats = Stats()
            sampler = ConnectionSampler(pg.admin_dsn)
            sampler.start()
            args.profiles = []
            meter, fn0 = None, {}
            if args.profile:
                meter, fn0 = profile_start(pg, admin_dsn, pgb)
            elapsed = drive(windows, args, stats, rng)
            if meter is not None:
                profile = profile_stop(meter, fn0, admin_dsn, args.profiles, stats.syncs)
            sampler.stop.set()
            sampler.join()
            # drain: whatever is still queued (a sync that failed) is pushed now, untimed, as a window
            # retries: up to 10 rounds
            drain_errors: list[Exception] = []
            for _ in range(10):
                todo = [w for w in windows if w.outbox]
                if not todo:
                    break
                drain_errors = run_pool(8, todo, lambda w: sync_once(w, persistent=False, stats=stats, timed=False))
                time.sleep(1)
            for w in windows:
                if w.client is not None:
                    w.client.close()
                    w.client = None
            lost, duplicated, detail = check(admin_dsn, windows)
            say(f"run {elapsed:.0f} s, {stats.syncs} syncs; floor ...")
            floor = floor_rate(admin_dsn, windows, args.workers, args.floor_seconds)
        finally:
            if pgb is not None:
                pgb.stop()
    phases = {k: {"p50_ms": round(statistics.median(v) * 1000, 1), "p99_ms": round(pct(v, 99) * 1000, 1),
                  "mean_ms": round(statistics.fmean(v) * 1000, 2)} for k, v in stats.phases.items() if v}
    result = {
        "windows": args.windows, "minutes": args.minutes, "syncs": stats.syncs, "ops": stats.ops,
        "ops_per_s": round(stats.ops / elapsed, 1),
        "sync_p50_ms": round(pct(stats.latency, 50), 1), "sync_p99_ms": round(pct(stats.latency, 99), 1),
        "burst_p99_ms": round(pct(stats.burst, 99), 1), "max_server_connections": sampler.max,
        "errors": sum(stats.errors.values()) + len(drain_errors), "lost": lost, "duplicated": duplicated,
        "floor_ops_per_s": round(floor, 1),
        "via": args.via, "pulls": args.pulls, "workers": args.workers, "sync_every_s": args.sync_every,
        "syncs_per_s": round(stats.syncs / elapsed, 1), "offered_syncs_per_s": round(args.windows / args.sync_every, 1),
        "phases": phases, "error_kinds": dict(stats.errors.most_common(5)), "check": detail,
        "provision_s": round(provision_s, 1), "bind_s": round(bind_s, 1), "machine": info,
    }
    if args.profile:
        result["profile"] = profile
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
