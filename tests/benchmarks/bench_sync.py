"""Sync benchmark (by hand): push 10,000 queued cases vs a raw psycopg executemany upsert, pull 10,000
status updates, the peak resident memory of a process pushing 100,000 queued cases, and what TLS costs:
the same push and a connection set-up against a centre with TLS (verify-full, channel binding: how the
window connects) and one without (ssl=off, a plain connection), in the same run.

    .venv/bin/python tests/benchmarks/bench_sync.py [--cases 10000] [--memory-cases 100000] [--no-tls-compare]

Prints one JSON object; the figures go into docs/performance.md ("## Sync (issue 4)", "## TLS (issue 8)",
"### Push speed": push.server_ms is the time inside sync.push and yc.push_fast, and their calls: a batch that
left the fast path shows apply_case_upsert calls). The push figures alone, as issue 13 measured them:

    .venv/bin/python tests/benchmarks/bench_sync.py --memory-cases 0 --no-tls-compare

The window greets the centre as sync_round does (it binds its key, and each op carries its place in the
chain); --unbound pushes after a bare handshake, as the figures before 2026-12-07's fifth session did.
`ack_floor` is the least any push could take that commits the rows today's push commits (see FLOOR_TABLES),
and `ack_floor.best_push_vs_raw` the highest push / raw rate such a push could reach, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the repository root: `tests` is a package
os.environ.setdefault("YICHUANG_SECRET_STORE", "file")

from db.central import CentralClient, add_window, admin_connect, init_central
from db.central.client import _PUSH_DUMPS, CHAIN_FIELDS
from desktop.core import sync
from desktop.core.catalogue import storage
from desktop.core.chain import window_key
from desktop.core.services import Services, init_store
from desktop.core.sync.round import _greet as greet
from tests.support.central_ops import publish_store_catalogues
from tests.support.faultkit import child_env, queue_cases
from tests.support.postgres import TempPostgres

CENTRE, WINDOW = "310104", "01"
MEMORY_WINDOW = "02"
DATA = ROOT / "tests" / "data" / "catalogue_test.json"


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "ram_gb": mem_gb, "python": platform.python_version(),
            "date": datetime.now().strftime("%Y-%m-%d %H:%M"), "load": os.getloadavg()[0]}


def new_home(base: Path, name: str, window_no: str = WINDOW) -> Services:
    home = base / name
    init_store(home, centre_code=CENTRE, window_no=window_no, demo=True)
    svc = Services(home)
    # provisioning, like init --demo: nothing queued before the cases the benchmark pushes
    storage.import_catalogue(svc.store, DATA.read_text(encoding="utf-8"), actor=None)
    return svc


RAW_TABLE = """
CREATE TABLE public.bench_raw (
    case_no text PRIMARY KEY, centre_code text NOT NULL, window_no text NOT NULL, matter_code text NOT NULL,
    catalogue_version text, outcome text NOT NULL, status text NOT NULL, received_at timestamptz NOT NULL,
    promised_date date, statutory_date date, applicant_name text, applicant_kind text, payload jsonb NOT NULL,
    version int NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())
"""
RAW_UPSERT = """
INSERT INTO public.bench_raw AS c (case_no, centre_code, window_no, matter_code, catalogue_version, outcome,
    status, received_at, promised_date, statutory_date, applicant_name, applicant_kind, payload, version)
VALUES (%s, %s, %s, %s, %s, %s, 'received', %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (case_no) DO UPDATE SET payload = excluded.payload, version = excluded.version,
    updated_at = now() WHERE c.version < excluded.version
"""


def raw_rate(admin_url: str, services: Services) -> tuple[float, int]:
    """Seconds for a raw psycopg executemany upsert of the same case rows into a plain table."""
    from psycopg.types.json import Jsonb
    from sqlalchemy import select

    from db.local.models import OutboxOp

    with services.Session() as s:
        payloads = [json.loads(p) for p in s.scalars(select(OutboxOp.payload).where(OutboxOp.kind == "case.upsert"))]
    rows = [(p["case_no"], p["centre_code"], p["window_no"], p["matter_code"], p["catalogue_version"], p["outcome"],
             p["received_at"], p["promised_date"], p["statutory_date"], p["applicant"]["name"], p["applicant"]["kind"],
             Jsonb(p), p["version"]) for p in payloads]
    with admin_connect(admin_url) as conn:
        conn.execute(RAW_TABLE)
        conn.commit()
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            cur.executemany(RAW_UPSERT, rows)
        conn.commit()
        return time.perf_counter() - t0, len(rows)


# The acknowledgement's floor (issue 13): what any push must do, whatever its implementation, for the
# window's acknowledgement to mean what it means today (the case, its first step, its summary row, its two
# change rows, the op row and the chain row committed with it), measured on the same rows in the same run:
#   check  the batches exactly as the window sent them, parsed, each payload's SHA-256 compared and its jsonb
#          made, nothing written (no catalogue, chain MAC or ownership check: those cost more, not less);
#   rows   the rows the push wrote, copied inside the server into tables with only their primary keys (no
#          secondary index, trigger, foreign key or row security) in one transaction: no transfer, no parse.
# check + rows is a lower bound on a push's time; raw / (check + rows) bounds the push / raw rate from above.
FLOOR_TABLES = ("cases", "case_steps", "case_summary", "changes", "ops", "chain", "case_material_gaps")
FLOOR_CHECK = """
WITH e AS MATERIALIZED (
    SELECT e.n, e.value->>'op_id' AS op_id, lower(e.value->>'sha256') AS sha, e.value->>'payload' AS text
      FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS e(value, n)
     WHERE jsonb_typeof(e.value->'payload') = 'string'),
j AS MATERIALIZED (
    SELECT e.op_id::uuid AS op_id, e.text::jsonb AS p FROM e
     WHERE encode(sha256(convert_to(e.text, 'UTF8')), 'hex') = e.sha)
SELECT count(*), count(*) FILTER (WHERE jsonb_typeof(j.p) = 'object') FROM j
"""


class RecordingClient(CentralClient):
    """The window's client, keeping each push batch as it was sent (for the floor's check step)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.batches: list[list[dict]] = []

    def push(self, ops):
        self.batches.append([{"op_id": str(op["op_id"]), "kind": op["kind"], "payload": op["payload"],
                              "sha256": op["sha256"], **{k: op[k] for k in CHAIN_FIELDS if op.get(k) is not None}}
                             for op in ops])
        return super().push(ops)


def _copy_rows(conn, like: str) -> tuple[float, dict[str, int], dict[str, float]]:
    """Every row the push wrote (the centre held nothing else before it), copied inside the server into
    tables made with LIKE ... `like` plus the primary key, in one transaction: seconds, rows, ms per table."""
    conn.execute("CREATE SCHEMA bench_floor")
    for table in FLOOR_TABLES:
        pk = conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                          "WHERE conrelid = %s::regclass AND contype = 'p'", (f"yc.{table}",)).fetchone()[0]
        extra = "" if "INDEXES" in like else f", {pk}"
        conn.execute(f"CREATE TABLE bench_floor.{table} (LIKE yc.{table} {like}{extra})")
    conn.commit()
    counts, each = {}, {}
    t0 = time.perf_counter()
    for table in FLOOR_TABLES:
        t1 = time.perf_counter()
        counts[table] = conn.execute(f"INSERT INTO bench_floor.{table} SELECT * FROM yc.{table}").rowcount
        each[table] = time.perf_counter() - t1
    t1 = time.perf_counter()
    conn.commit()
    each["commit"] = time.perf_counter() - t1
    seconds = time.perf_counter() - t0
    conn.execute("DROP SCHEMA bench_floor CASCADE")
    conn.commit()
    return seconds, counts, {t: round(x * 1000, 1) for t, x in each.items() if counts.get(t, 1)}


def ack_floor(admin_url: str, batches: list[list[dict]], cases: int) -> dict:
    """The acknowledgement's floor (see FLOOR_TABLES): seconds for `check`, for `rows` into tables with
    only their primary keys, and for `rows_indexed` into tables with every index the centre's tables have
    (the ones the pulls and the statistics read by; still no trigger, foreign key or row security)."""
    from psycopg.types.json import Jsonb

    with admin_connect(admin_url) as conn:
        t0 = time.perf_counter()
        checked = 0
        for batch in batches:
            n, objects = conn.execute(FLOOR_CHECK, (Jsonb(batch, dumps=_PUSH_DUMPS),)).fetchone()
            assert n == objects == len(batch), (n, objects, len(batch))
            checked += n
        check_s = time.perf_counter() - t0
        conn.commit()
        assert checked == cases, checked
        rows_s, counts, rows_ms = _copy_rows(conn, "INCLUDING DEFAULTS")
        indexed_s, _counts, indexed_ms = _copy_rows(conn, "INCLUDING DEFAULTS INCLUDING INDEXES")
    return {"check_seconds": round(check_s, 3), "rows_seconds": round(rows_s, 3),
            "rows_indexed_seconds": round(indexed_s, 3), "rows": {t: n for t, n in counts.items() if n},
            "rows_ms": rows_ms, "rows_indexed_ms": indexed_ms}


def server_ms(admin_url: str) -> dict[str, float]:
    """Milliseconds spent inside sync.push and yc.push_fast (pg_stat_user_functions, track_functions = pl:
    the window's connection is closed by now, so its counts are flushed)."""
    time.sleep(0.5)
    with admin_connect(admin_url) as conn:
        rows = conn.execute("SELECT schemaname || '.' || funcname, calls, total_time FROM pg_stat_user_functions "
                            "WHERE funcname IN ('push', 'push_fast', 'apply_case_upsert')").fetchall()
    return {name: round(total, 1) for name, _calls, total in rows} | {
        f"{name} calls": calls for name, calls, _total in rows}


# The child's own peak is VmHWM in /proc/self/status. getrusage's ru_maxrss is not: Linux carries the
# parent's high-water mark across fork+exec (exec_mmap keeps the old mm's peak in signal->maxrss), so a
# child started by this benchmark, which holds 100,000 queued cases' worth of objects, "peaks" at the
# parent's size (213 MB in the figure) whatever it does itself. Both are printed.
MEMORY_CHILD = """
import resource, sys, time
from pathlib import Path
from db.central import CentralClient
from desktop.core import sync
from desktop.core.chain import window_key
from desktop.core.sync.round import _greet as greet
from desktop.core.services import Services
svc = Services(Path(sys.argv[1]))
t0 = time.perf_counter()
with CentralClient(sys.argv[2]) as client:
    r = sync.push_outbox(svc, client)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(r.pushed, time.perf_counter() - t0, hwm, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def _own_rss_kb() -> int:
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS:"))


class PlainClient(CentralClient):
    """The window's client with TLS switched off: the baseline for what TLS costs (benchmark only; the
    product has no such switch)."""

    def _connect_params(self) -> dict:
        params = super()._connect_params()
        params.update(sslmode="disable", channel_binding="disable")
        params.pop("sslrootcert", None)
        return params


def _median_connect_ms(make_client, n: int = 20) -> float:
    """Median wall time of opening a connection and one handshake call (a new client each time)."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        with make_client() as client:
            client.handshake(sync.PROTOCOL)
        times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 1)


def tls_compare(base: Path, tls_pg: TempPostgres, cases: int, reps: int = 3) -> dict:
    """Push `cases` queued cases over TLS (verify-full + channel binding) and over a plain connection to a
    centre without TLS, same machine, same run, `reps` times each, alternating (the machine is shared: a
    burst of other work hits both); plus the median connection set-up of each. Between repetitions the
    window's outbox is set pending again and the centre's tables emptied."""
    from sqlalchemy import text

    with TempPostgres(shared_buffers="128MB", ssl=False) as plain_pg:
        setups = {}
        for label, pg, client_cls in (("tls", tls_pg, CentralClient), ("plain", plain_pg, PlainClient)):
            url = pg.create_database("bench_tls_cmp")
            init_central(url)
            wurl = add_window(url, CENTRE, WINDOW) + pg.tls_query.replace("?sslmode=verify-full", "")
            svc = new_home(base, f"cmp-{label}")
            queue_cases(svc, cases)
            setups[label] = (url, wurl, pg.ca_file, client_cls, svc)
        pushes: dict[str, list[float]] = {"tls": [], "plain": []}
        for rep in range(reps):
            for label in (("tls", "plain") if rep % 2 == 0 else ("plain", "tls")):
                url, wurl, ca, client_cls, svc = setups[label]
                if rep:
                    with svc.Session.begin() as s:
                        s.execute(text("UPDATE outbox SET state = 'pending', acked_at = NULL"))
                    with admin_connect(url, autocommit=True) as conn:
                        conn.execute("TRUNCATE yc.cases, yc.ops, yc.changes, yc.documents CASCADE")
                with client_cls(wurl, ca_cert=ca) as client:
                    client.handshake(sync.PROTOCOL)
                    t0 = time.perf_counter()
                    pushed = sync.push_outbox(svc, client)
                    pushes[label].append(time.perf_counter() - t0)
                assert pushed.pushed == cases, pushed
        result: dict = {}
        for label, (_, wurl, ca, client_cls, svc) in setups.items():
            svc.close()
            med = statistics.median(pushes[label])
            result[label] = {"push_seconds": [round(x, 3) for x in pushes[label]], "push_median": round(med, 3),
                             "per_second_median": round(cases / med),
                             "connect_ms_median": _median_connect_ms(lambda c=client_cls, u=wurl, a=ca: c(u, ca_cert=a))}
    result["push_tls_over_plain"] = round(result["tls"]["push_median"] / result["plain"]["push_median"], 2)
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--memory-cases", type=int, default=100_000)
    ap.add_argument("--no-tls-compare", action="store_true", help="skip the push with and without TLS")
    ap.add_argument("--unbound", action="store_true",
                    help="push as a window that never bound its key (no chain check): the earlier figures' setting")
    args = ap.parse_args()
    out: dict = {"machine": machine()}
    with TempPostgres(shared_buffers="128MB") as pg, tempfile.TemporaryDirectory(prefix="yc-bench-") as tmp:
        base = Path(tmp)
        url = pg.create_database("bench")
        init_central(url)
        # the window's URL as add-window prints it, with the CA it pins (libpq's sslrootcert)
        wurl = add_window(url, CENTRE, WINDOW) + pg.tls_query.replace("?sslmode=verify-full", "")
        svc = new_home(base, "w")
        publish_store_catalogues(url, svc)  # the centre accepts cases only under versions it published
        with admin_connect(url, autocommit=True) as conn:  # the server's own time, per PL/pgSQL function
            conn.execute("ALTER DATABASE bench SET track_functions = 'pl'")
        t0 = time.perf_counter()
        queue_cases(svc, args.cases)
        out["queue_seconds"] = round(time.perf_counter() - t0, 2)

        with RecordingClient(wurl, window_key=window_key(svc.store)) as client:
            if args.unbound:  # the figures before 2026-12-07 evening: no chain check, no chain rows
                client.handshake(sync.PROTOCOL)
            else:  # as sync_round greets: the window binds its key, and every op then extends its chain
                greet(svc.store, client)
            t0 = time.perf_counter()
            result = sync.push_outbox(svc, client)
            push_s = time.perf_counter() - t0
        assert result.pushed == args.cases, result
        raw_s, raw_n = raw_rate(url, svc)
        floor = ack_floor(url, client.batches, args.cases)
        out["push"] = {"cases": args.cases, "seconds": round(push_s, 3), "per_second": round(args.cases / push_s),
                       "batch": sync.PUSH_BATCH}
        out["push"]["server_ms"] = server_ms(url)
        out["raw_executemany"] = {"rows": raw_n, "seconds": round(raw_s, 3), "per_second": round(raw_n / raw_s)}
        out["push_vs_raw"] = round((args.cases / push_s) / (raw_n / raw_s), 2)
        floor_s = floor["check_seconds"] + floor["rows_seconds"]
        indexed_s = floor["check_seconds"] + floor["rows_indexed_seconds"]
        out["ack_floor"] = floor | {"seconds": round(floor_s, 3), "best_push_vs_raw": round(raw_s / floor_s, 2),
                                    "indexed_seconds": round(indexed_s, 3),
                                    "best_indexed_push_vs_raw": round(raw_s / indexed_s, 2)}

        with CentralClient(wurl) as client:
            sync.pull_streams(svc, client, ["case_status"])  # our own 'received' echoes
            with admin_connect(url) as conn:
                case_nos = [r[0] for r in conn.execute("select case_no from yc.cases")]
                conn.execute("update yc.cases set status = 'signed'")  # the department signed for them (c0006)
                with conn.cursor() as cur:
                    cur.executemany("select admin.decide_case(%s, 'approved', '准予许可')", [(c,) for c in case_nos])
                conn.commit()
            t0 = time.perf_counter()
            pulled = sync.pull_streams(svc, client, ["case_status"])
            pull_s = time.perf_counter() - t0
        out["pull"] = {"changes": pulled, "seconds": round(pull_s, 3), "per_second": round(pulled / pull_s)}
        svc.close()

        if args.memory_cases:
            # A window of its own: window 01's chain at the centre already holds the 10,000 ops pushed above,
            # so a second store numbered 01 would have every op refused as not extending that chain (the
            # run before this change "pushed" 0 of 100,000). Like the child, it pushes without a handshake.
            mem_url = add_window(url, CENTRE, MEMORY_WINDOW) + pg.tls_query.replace("?sslmode=verify-full", "")
            mem = new_home(base, "m", MEMORY_WINDOW)
            t0 = time.perf_counter()
            queue_cases(mem, args.memory_cases, chunk=5000)
            queued_s = time.perf_counter() - t0
            mem.close()
            proc = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(base / "m"), mem_url], env=child_env(),
                                  capture_output=True, text=True, cwd=str(ROOT), check=True)
            pushed, seconds, hwm_kb, maxrss_kb = proc.stdout.split()
            assert int(pushed) == args.memory_cases, proc.stdout
            out["memory"] = {"cases": int(pushed), "queue_seconds": round(queued_s, 1),
                             "push_seconds": round(float(seconds), 1),
                             "peak_rss_mb": round(int(hwm_kb) / 1024, 1),  # VmHWM: the child's own peak
                             "ru_maxrss_mb": round(int(maxrss_kb) / 1024, 1),  # inherits the parent's peak
                             "parent_rss_mb": round(_own_rss_kb() / 1024, 1)}
        if not args.no_tls_compare:
            out["tls_compare"] = tls_compare(base, pg, args.cases)
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
