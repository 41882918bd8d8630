"""Benchmark: a month's statistics of one centre from the central PostgreSQL (issue 11), run by hand:

    PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_stats_central.py --cases 1000000 [--runs 3] [--legacy]

It starts its own throwaway PostgreSQL 15 (tests/support/postgres.py; shared_buffers 256MB unless told),
migrates a database to head, registers centre 310104 with 8 windows, publishes a catalogue of 40 matters
and the 2026/2027 calendar, and generates N cases received on the working days of November 2026, server-side
(INSERT … SELECT over generate_series, setseed for repeatability) into the tables the sync functions write:
yc.cases (payload with the clerk, complete_at, materials), yc.case_steps (intake step with the clerk's name,
notice, 补正 return, decision, delivery, a few clock pauses), yc.ratings (30 %), yc.transfers and
yc.consultations; the c0012 and c0013 triggers fill yc.case_material_gaps and yc.case_summary as they do
for a window's push. Outcomes: 当场办结 for on-the-spot matters, otherwise ~80 % 受理, 15 % 一次性告知 (60 %
of them back for 补正 within 1..5 working days), 4 % 不予受理; 80 % of accepted cases decided after
1..promised+3 working days (if within the month), half of those delivered 1..3 working days later; 2 %
withdrawn or voided. Matters are skewed (a few take most cases), clerks 3 per window. Less realistic than
life: one payload shape, no corrections (one version per case), no history before the month.

Each run is a fresh process (its VmHWM is the report's alone): central.report(…, pdf=…) for the month, the
product's code end to end (connect, calendars, the one read-only statement, the PDF). Beside it, in the same
run: the raw floor, one `SELECT count(*) FROM yc.cases … GROUP BY matter_code` over the same month's cases,
and the same over yc.case_summary. --legacy adds one run of the former reading (yc.cases and the steps'
whole history, a statement per query)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

CENTRE = "310104"
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
TODAY = date(2026, 12, 1)
VERSION = "2026.B"
HOLIDAYS_2026 = ["2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
                 "2026-02-20", "2026-04-06", "2026-05-01", "2026-05-04", "2026-05-05", "2026-06-19",
                 "2026-09-25", "2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]
MODES = ("immediate", "commitment", "delegated", "joint")
DEPARTMENTS = ("区公安分局", "区民政局", "区人社局", "区市场监管局", "区卫健委")


def catalogue() -> dict:
    matters = []
    for i in range(40):
        spot = i % 5 == 0
        matters.append({
            "code": f"B-{i:03d}", "name": f"事项{i:02d}", "department": DEPARTMENTS[i % len(DEPARTMENTS)],
            "mode": MODES[i % len(MODES)], "applicant_kinds": ["person"], "on_the_spot": spot,
            "statutory_days": None if spot else 20, "promised_days": 0 if spot else 3 + i % 8,
            "commitment_allowed": False, "keywords": [],
            "materials": [{"code": f"M{k}", "name": f"材料{k}", "required": True, "form": "original", "copies": 1,
                           "e_licence": False, "standard": f"标准{k}", "kind": "other"} for k in range(1, 4)]})
    return {"version": VERSION, "matters": matters}


def workdays() -> list[date]:
    """Working days from 2026-01-01 to 2027-03-31 (weekdays less the 2026 holidays; 2027 plain weekdays)."""
    out, d, off = [], date(2026, 1, 1), {date.fromisoformat(h) for h in HOLIDAYS_2026}
    while d <= date(2027, 3, 31):
        if d.weekday() < 5 and d not in off:
            out.append(d)
        d += timedelta(days=1)
    return out


GENERATE = """
SELECT setseed(0.11);
CREATE TEMP TABLE bd AS SELECT (row_number() OVER (ORDER BY d))::int - 1 AS i, d FROM unnest(%(days)s::date[]) d;
CREATE TEMP TABLE bm AS SELECT (row_number() OVER ())::int - 1 AS i, m->>'code' AS code,
  (m->>'on_the_spot')::boolean AS spot, (m->>'promised_days')::int AS promised,
  (m->>'statutory_days')::int AS statutory FROM jsonb_array_elements(%(matters)s::jsonb) m;
CREATE TEMP TABLE g AS
WITH r AS (
  SELECT n, 1 + (n %% 8) AS w, floor(40 * power(random(), 2))::int AS mi, %(first)s + floor(random() * %(ndays)s)::int AS di,
    random() AS ro, random() AS rb, random() AS rd, random() AS rv, random() AS rc, floor(random() * 480)::int AS minute,
    1 + floor(random() * 5)::int AS back, floor(random() * 1000)::int AS took_r, 1 + floor(random() * 3)::int AS gone
  FROM generate_series(1, %(n)s) n
), o AS (
  SELECT r.*, m.code, m.spot, m.promised, m.statutory,
    CASE WHEN m.spot AND ro < 0.9 THEN 'completed' WHEN ro < 0.80 THEN 'accepted' WHEN ro < 0.95 THEN 'notice'
         ELSE 'refused' END AS first_outcome
  FROM r JOIN bm m ON m.i = r.mi
), o2 AS (
  SELECT o.*, (o.first_outcome = 'notice' AND o.rb < 0.6 AND o.di + o.back <= %(last)s) AS returned,
    CASE WHEN o.first_outcome = 'notice' AND o.rb < 0.6 AND o.di + o.back <= %(last)s
         THEN CASE WHEN o.spot THEN 'completed' ELSE 'accepted' END ELSE o.first_outcome END AS outcome,
    CASE WHEN o.first_outcome = 'notice' AND o.rb < 0.6 AND o.di + o.back <= %(last)s THEN o.di + o.back
         ELSE o.di END AS ai
  FROM o
), o3 AS (
  SELECT o2.*, o2.ai + 1 + (o2.took_r %% (greatest(o2.promised, 1) + 3)) AS deci FROM o2
)
SELECT n, %(centre)s::text || lpad(w::text, 2, '0') || '2611' || lpad(n::text, 7, '0') AS case_no,
  lpad(w::text, 2, '0') AS window_no, 'clerk' || w || '_' || (n %% 3) AS clerk, code, outcome, first_outcome,
  returned, spot, promised, statutory,
  (dr.d + make_interval(hours => 9, mins => minute)) AT TIME ZONE 'Asia/Shanghai' AS received_at,
  (da.d + make_interval(hours => 9, mins => minute)) AT TIME ZONE 'Asia/Shanghai' AS accepted_at,
  CASE WHEN outcome = 'accepted' THEN dp.d END AS promised_date,
  CASE WHEN outcome = 'accepted' AND statutory IS NOT NULL THEN ds.d END AS statutory_date,
  CASE WHEN outcome = 'accepted' AND rd < 0.8 AND deci <= %(last)s
       THEN (dd.d + time '15:00') AT TIME ZONE 'Asia/Shanghai' END AS decided_at,
  CASE WHEN outcome = 'accepted' AND rd < 0.8 AND deci <= %(last)s AND rv < 0.5 AND deci + gone <= %(last)s
       THEN (dg.d + time '10:00') AT TIME ZONE 'Asia/Shanghai' END AS delivered_at,
  rd < 0.8 * 0.92 AS approve, rc
FROM o3
JOIN bd dr ON dr.i = o3.di JOIN bd da ON da.i = o3.ai
LEFT JOIN bd dp ON dp.i = o3.ai + greatest(o3.promised, 1)
LEFT JOIN bd ds ON ds.i = o3.ai + o3.statutory
LEFT JOIN bd dd ON dd.i = o3.deci
LEFT JOIN bd dg ON dg.i = o3.deci + o3.gone;
ANALYZE g;
INSERT INTO yc.cases (case_no, centre_code, window_no, matter_code, catalogue_version, outcome, status, received_at,
                      promised_date, statutory_date, applicant_name, applicant_kind, payload, version, decision,
                      last_window_no, updated_at)
SELECT case_no, %(centre)s::text, window_no, code, %(version)s::text, outcome,
  CASE WHEN rc < 0.01 AND outcome <> 'notice' THEN 'withdrawn' WHEN rc < 0.02 AND outcome <> 'notice' THEN 'voided'
       WHEN delivered_at IS NOT NULL THEN 'delivered' WHEN decided_at IS NOT NULL AND approve THEN 'approved'
       WHEN decided_at IS NOT NULL THEN 'denied' WHEN outcome = 'accepted' AND rc < 0.5 THEN 'signed'
       ELSE 'received' END,
  received_at, promised_date, statutory_date, '申请人', 'person',
  jsonb_build_object('case_no', case_no, 'matter_code', code, 'outcome', outcome, 'clerk_login', clerk,
    'received_at', received_at, 'centre_code', %(centre)s::text, 'window_no', window_no, 'version', 1,
    'complete_at', CASE WHEN returned THEN to_char(accepted_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS') END,
    'materials', CASE WHEN first_outcome = 'notice'
                      THEN jsonb_build_array(jsonb_build_object('code', 'M' || (1 + n %% 3), 'state',
                             CASE WHEN n %% 4 = 0 THEN 'defective' ELSE 'missing' END, 'copies', 1))
                      ELSE '[]'::jsonb END),
  1, CASE WHEN decided_at IS NOT NULL THEN jsonb_build_object('decision', CASE WHEN approve THEN 'approve' ELSE 'deny' END,
       'decided_at', to_char(decided_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"')) END,
  window_no, received_at
FROM g;
INSERT INTO yc.case_steps (case_no, centre_code, version, event, window_no, department, actor_login, actor_name, at,
                           client_at)
SELECT case_no, %(centre)s::text, 1, event, w, dept, login, name, at, at FROM (
  SELECT case_no, 'case.received' AS event, window_no AS w, NULL AS dept, clerk AS login, '收件员' || clerk AS name,
         received_at AS at FROM g
  UNION ALL SELECT case_no, 'notice', window_no, NULL, clerk, '收件员' || clerk, received_at FROM g
   WHERE first_outcome = 'notice'
  UNION ALL SELECT case_no, 'supplemented', window_no, NULL, clerk, '收件员' || clerk, accepted_at FROM g WHERE returned
  UNION ALL SELECT case_no, CASE WHEN approve THEN 'decision.approved' ELSE 'decision.denied' END, NULL, '区公安分局',
         'dept', '审批人', decided_at FROM g WHERE decided_at IS NOT NULL
  UNION ALL SELECT case_no, 'delivered', window_no, NULL, clerk, '收件员' || clerk, delivered_at FROM g
   WHERE delivered_at IS NOT NULL
  UNION ALL SELECT case_no, 'clock.paused', window_no, NULL, clerk, '收件员' || clerk, accepted_at + interval '1 day'
    FROM g WHERE outcome = 'accepted' AND n %% 100 = 7
  UNION ALL SELECT case_no, 'clock.resumed', window_no, NULL, clerk, '收件员' || clerk, accepted_at + interval '3 days'
    FROM g WHERE outcome = 'accepted' AND n %% 100 = 7
) s ORDER BY at;
INSERT INTO yc.ratings (case_no, occasion, centre_code, window_no, overall, efficiency, service, attitude, comment,
                        rated_at)
SELECT case_no, 'intake', %(centre)s::text, window_no,
  CASE WHEN rc < 0.7 THEN 5 WHEN rc < 0.9 THEN 4 WHEN rc < 0.96 THEN 3 WHEN rc < 0.99 THEN 2 ELSE 1 END, 5, 5, 5,
  CASE WHEN rc >= 0.96 THEN '等候时间长' ELSE '' END, received_at + interval '10 minutes'
FROM g WHERE n %% 10 < 3;
INSERT INTO yc.consultations (id, centre_code, window_no, asked_at, asker_name, asker_phone, matter_code, question,
                              answer, answered_by, clerk_login)
SELECT gen_random_uuid(), %(centre)s::text, window_no, received_at + interval '5 minutes', '咨询人', '', code, '问题', '答复',
  '收件员' || clerk, clerk FROM g WHERE n %% 20 = 0;
INSERT INTO yc.transfers (batch_no, centre_code, window_no, department, channel, tracking_no, state, return_reason,
                          created_at, sent_at, closed_at, version, updated_at)
SELECT 'LZ' || %(centre)s::text || lpad(k::text, 6, '0'), %(centre)s::text, '01', '区公安分局', 'online', '',
  (ARRAY['waiting', 'sent', 'signed', 'returned'])[1 + k %% 4], CASE WHEN k %% 4 = 3 THEN '材料不全' ELSE '' END,
  timestamptz '2026-11-02 16:00+08' + (k %% 28) * interval '1 day', NULL, NULL, 1, now()
FROM generate_series(1, greatest(%(n)s / 200, 1)) k;
DROP TABLE g, bd, bm;
"""


def _setup(admin_url: str, n: int) -> dict:
    from db.central import add_window, admin_connect, init_central, publish_calendar, publish_catalogue

    init_central(admin_url)
    for w in range(1, 9):
        add_window(admin_url, CENTRE, f"{w:02d}", centre_name="徐汇区行政服务中心")
    cat = catalogue()
    publish_catalogue(admin_url, json.dumps(cat, ensure_ascii=False))
    publish_calendar(admin_url, {"years": [2026, 2027], "days": [
        {"date": d, "kind": "holiday", "name": "节假日"} for d in HOLIDAYS_2026]})
    days = workdays()
    first = next(i for i, d in enumerate(days) if d >= MONTH[0])
    last = max(i for i, d in enumerate(days) if d <= MONTH[1])
    t0 = time.perf_counter()
    with admin_connect(admin_url) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        params = {"days": days, "matters": json.dumps(cat["matters"], ensure_ascii=False), "first": first, "ndays": last - first + 1, "last": last, "n": n,
                                "centre": CENTRE, "version": VERSION}
        for statement in GENERATE.split(";\n"):
            if statement.strip():
                conn.execute(statement, params)
        conn.commit()
    generated = time.perf_counter() - t0
    with admin_connect(admin_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        counts = {t: conn.execute(f"SELECT count(*) FROM yc.{t}").fetchone()[0]
                  for t in ("cases", "case_steps", "case_summary", "case_material_gaps", "ratings", "consultations",
                            "transfers")}
        size = conn.execute("SELECT pg_size_pretty(pg_total_relation_size('yc.case_summary'))").fetchone()[0]
    return {"generate_s": round(generated, 1), "rows": counts, "summary_size": size}


FLOOR = {
    "cases": ("SELECT matter_code, count(*) FROM yc.cases WHERE centre_code = %s AND received_at >= %s::timestamptz "
              "AND received_at < %s::timestamptz GROUP BY matter_code"),
    "summary": ("SELECT matter_code, count(*) FROM yc.case_summary WHERE centre_code = %s AND received_day >= %s "
                "AND received_day < %s GROUP BY matter_code"),
}


def _floor(admin_url: str) -> dict:
    from db.central import admin_connect

    out = {}
    with admin_connect(admin_url) as conn:
        for name, sql in FLOOR.items():
            lo, hi = f"{MONTH[0].isoformat()}", f"{(MONTH[1] + timedelta(days=1)).isoformat()}"
            if name == "cases":
                lo, hi = lo + " 00:00+08", hi + " 00:00+08"
            t0 = time.perf_counter()
            rows = conn.execute(sql, (CENTRE, lo, hi)).fetchall()
            out[name] = {"s": round(time.perf_counter() - t0, 3), "cases": sum(r[1] for r in rows)}
    return out


def _vmhwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(admin_url: str, out: Path, legacy: bool) -> None:
    """One report, in this fresh process: the seconds to PDF and this process's peak RSS, as JSON."""
    from desktop.core.stats import central
    from desktop.core.stats import pdf as pdf_out

    t0 = time.perf_counter()
    if legacy:
        rep = central.compute(admin_url, centres=[CENTRE], start=MONTH[0], end=MONTH[1], today=TODAY, legacy=True)
        t1 = time.perf_counter()
        out.write_bytes(pdf_out.render(rep, prepared_by="基准测试"))
    else:
        rep = central.report(admin_url, centres=[CENTRE], start=MONTH[0], end=MONTH[1], today=TODAY,
                             prepared_by="基准测试", pdf=out)
        t1 = None
    total = time.perf_counter() - t0
    print(json.dumps({"seconds": round(total, 3), "compute_s": None if t1 is None else round(t1 - t0, 3),
                      "received": rep.volumes.received, "decided": rep.efficiency.decided,
                      "pdf_bytes": out.stat().st_size, "vmhwm_mb": round(_vmhwm_mb(), 1)}))


def _run_child(admin_url: str, out: Path, legacy: bool) -> dict:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.run([sys.executable, __file__, "--child", admin_url, "--out", str(out)]
                          + (["--legacy"] if legacy else []), capture_output=True, text=True, env=env, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--legacy", action="store_true", help="also time the former reading once")
    ap.add_argument("--shared-buffers", default="256MB")
    ap.add_argument("--hold", action="store_true",
                    help="after the runs, keep the database up (its URL printed) until interrupted, to profile")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, Path(args.out), args.legacy)
        return

    from tests.support.postgres import TempPostgres

    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} cores={os.cpu_count()} load={os.getloadavg()}", flush=True)
    with TempPostgres(shared_buffers=args.shared_buffers, ssl=False) as pg, \
            tempfile.TemporaryDirectory(prefix="yc-bench-") as tmp:
        admin_url = pg.create_database("yc_bench_stats")
        setup = _setup(admin_url, args.cases)
        print(json.dumps(setup, ensure_ascii=False), flush=True)
        for run in range(1, args.runs + 1):
            got = _run_child(admin_url, Path(tmp) / f"m{run}.pdf", legacy=False)
            got["floor"] = _floor(admin_url)
            got["load"] = [round(x, 2) for x in os.getloadavg()]
            print(f"run {run}: " + json.dumps(got, ensure_ascii=False), flush=True)
        if args.legacy:
            got = _run_child(admin_url, Path(tmp) / "legacy.pdf", legacy=True)
            print("legacy: " + json.dumps(got, ensure_ascii=False), flush=True)
        if args.hold:
            print(f"holding: {admin_url}", flush=True)
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            try:
                signal.pause()
            except KeyboardInterrupt:
                pass


if __name__ == "__main__":
    main()
