"""Where a one-case push's time goes at the centre, function by function, on a new connection per push and on
one open connection (issue 17's "cheaper first calls", issue 13's one-case pushes; figures in
docs/scaling.md and docs/performance.md). By hand, not in the default run:

    .venv/bin/python tests/benchmarks/bench_push_functions.py [--n 300] [--json]

A throwaway PostgreSQL 15 (TLS as a centre runs it) with the central schema, one bound window, and
`track_functions = 'all'`. The window pushes --n new cases one per push on a new connection each time
(log-in, push, close), then --n on one open connection, then --n on new connections again. For each pass:
the client's wall time per push and, per function, its calls, total and self time per push (milliseconds,
pg_stat_user_functions: wall time inside the function, so it includes waiting for the CPU)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from db.central import CentralClient, admin_connect, init_central, publish_catalogue  # noqa: E402
from db.central.admin import add_windows  # noqa: E402
from desktop.core.sync import PROTOCOL  # noqa: E402
from tests.benchmarks.bench_sync import machine  # noqa: E402
from tests.support.central_ops import CATALOGUE_MATTER, CATALOGUE_VERSION, Chain, case_op  # noqa: E402
from tests.support.postgres import TempPostgres  # noqa: E402

CENTRE, WINDOW = "310001", "01"
HELLO = {"machine_id": f"{1:032x}", "key_sha256": "", "client_time": ""}


def functions_per_push(admin_url: str, n: int) -> dict:
    """pg_stat_user_functions per push since the last reset, then reset."""
    time.sleep(0.8)  # the backends' last statistics reach the collector
    with admin_connect(admin_url) as conn:
        rows = conn.execute("SELECT schemaname || '.' || funcname, calls, total_time, self_time "
                            "FROM pg_stat_user_functions ORDER BY self_time DESC").fetchall()
        conn.execute("SELECT pg_stat_reset()")
        conn.commit()
    return {name: {"calls": round(calls / n, 2), "total_ms": round(total / n, 3), "self_ms": round(own / n, 3)}
            for name, calls, total, own in rows if calls}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out: dict = {"machine": machine(), "n": args.n, "passes": []}
    with TempPostgres(shared_buffers="128MB") as pg:
        admin_url = pg.create_database("yc_push_functions")
        init_central(admin_url)
        publish_catalogue(admin_url, json.dumps({"version": CATALOGUE_VERSION, "matters": [CATALOGUE_MATTER]},
                                                ensure_ascii=False))
        [url] = add_windows(admin_url, [(CENTRE, WINDOW)])
        with CentralClient(url, ca_cert=pg.ca_file) as c:
            c.handshake(PROTOCOL, HELLO)
            c.bind_window(HELLO["machine_id"], f"{1:064x}")
        chain = Chain(bytes.fromhex(f"{1:064x}"))
        with psycopg.connect(pg.admin_dsn, autocommit=True) as su:
            su.execute("ALTER SYSTEM SET track_functions = 'all'")
            su.execute("SELECT pg_reload_conf()")
        functions_per_push(admin_url, 1)  # the set-up's calls out
        serial = 0
        for mode in ("new connection", "open connection", "new connection"):
            warm = CentralClient(url, ca_cert=pg.ca_file) if mode == "open connection" else None
            if warm is not None:
                warm.handshake(PROTOCOL, HELLO)
            t = time.perf_counter()
            for _ in range(args.n):
                serial += 1
                client = warm or CentralClient(url, ca_cert=pg.ca_file)
                try:
                    answer = client.push([chain(case_op(CENTRE, WINDOW, serial))])[0]
                    assert answer["status"] == "applied", answer
                finally:
                    if warm is None:
                        client.close()
            wall = (time.perf_counter() - t) / args.n * 1000
            if warm is not None:
                warm.close()
            row = {"mode": mode, "wall_ms_per_push": round(wall, 2),
                   "functions": functions_per_push(admin_url, args.n)}
            out["passes"].append(row)
            if not args.json:
                print(f"{mode}: {row['wall_ms_per_push']} ms a push", file=sys.stderr)
                for name, f in row["functions"].items():
                    print(f"  {name:40s} {f['calls']:5.2f} calls  {f['total_ms']:7.3f} ms total  "
                          f"{f['self_ms']:7.3f} ms self", file=sys.stderr)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
