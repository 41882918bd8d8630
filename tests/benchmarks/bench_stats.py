"""Benchmark: the statistics of a month for a whole centre from a window's local store (issue 11), run by hand:

    PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_stats.py [--cases 100000] [--runs 3] [--before-runs 1]

A demo store gets a synthetic November 2026 written straight into its tables (every case received on a
working day of the month; matters of the demo catalogue; outcomes 当场办结 / 受理 / 一次性告知 (most come back
for 补正) / 不予受理, a few withdrawn and voided; decisions after 1..promised+3 working days, half delivered at
the window; ratings for 30 %; every case version's `case.upsert` payload in the outbox, as a window keeps
them until they are purged), in bulk (executemany on the raw connection, one transaction): the triggers of
local migration 0013 fill the per-case summary tables as they would for the services. Then, in a child
process (its VmHWM is the report's peak RSS), each run: the figures and tables (centre scope), the A4 PDF,
the XLSX, the CSV, and the raw floor: one `SELECT matter_code, count(*) … GROUP BY matter_code` over the same
month's cases (and over their summary rows). --before-runs N also measures the legacy reading (the `cr`
CTE over events and outbox, every listed case in the PDF) in the first N runs and checks both give the same
report; use 0 for a million cases (the legacy reading takes many minutes there). --keep DIR keeps the store."""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text

from db.local.models import Case, CaseEvent, CaseMaterialRow, OutboxOp, Rating
from desktop.core import workcalendar
from desktop.core.bootstrap import init_store
from desktop.core.services import Services
from desktop.core.stats import export, local
from desktop.core.stats import pdf as pdf_out
from desktop.core.stats.figures import StatsReport
from tests.support.clock import MovableClock

MONTH = (date(2026, 11, 1), date(2026, 11, 30))
CLERKS = [(f"clerk{i:02d}", name) for i, name in enumerate(
    ["张敏", "李强", "王芳", "刘洋", "陈静", "杨磊", "赵丽", "黄伟"], 1)]


def _iso(t: datetime) -> str:
    return t.isoformat() + "+08:00"


def _sql(v):
    """A value as SQLAlchemy's SQLite types store it (the product reads these rows through them)."""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, date):
        return v.isoformat()
    return int(v) if isinstance(v, bool) else v


def generate(svc: Services, n: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    store = svc.store
    cal = workcalendar.calendar(store)
    w = store.window()
    with store.Reader() as s:
        matters = [json.loads(d) for (d,) in s.execute(text(
            "SELECT data FROM matters WHERE version = (SELECT version FROM catalogue_versions WHERE is_current)"))]
        version = s.execute(text("SELECT version FROM catalogue_versions WHERE is_current")).scalar()
    weights = [rnd.uniform(0.2, 5.0) for _ in matters]
    days = [MONTH[0] + timedelta(days=i) for i in range(30) if cal.is_workday(MONTH[0] + timedelta(days=i))]
    cases, events, ratings, mats, outbox = [], [], [], [], []
    serial: dict[date, int] = {}

    def op(case_no: str, at: datetime, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True)
        outbox.append({"op_id": str(uuid.UUID(int=rnd.getrandbits(128))), "kind": "case.upsert", "ref": case_no,
                       "payload": body, "sha256": "0" * 64, "created_at": at, "state": "applied", "attempts": 1,
                       "last_error": "", "result": ""})

    totals = [0, 0, 0, 0]

    raw = store.engine.raw_connection()  # one transaction, bulk executemany; the triggers fill the summaries
    con = raw.driver_connection
    con.execute("PRAGMA cache_size = -400000")  # 400 MB of page cache: one big transaction spills less to the WAL
    con.execute("BEGIN")

    def flush() -> None:
        for table, rows in ((Case, cases), (CaseEvent, events), (CaseMaterialRow, mats), (Rating, ratings),
                            (OutboxOp, outbox)):
            if rows:
                keys = list(rows[0])
                con.executemany(f"INSERT INTO {table.__tablename__} ({', '.join(keys)}) VALUES "
                                f"({', '.join('?' * len(keys))})", [tuple(map(_sql, (r[k] for k in keys)))
                                                                    for r in rows])
        for i, rows in enumerate((cases, events, ratings, outbox)):
            totals[i] += len(rows)
        for rows in (cases, events, mats, ratings, outbox):
            rows.clear()

    for _ in range(n):
        if len(cases) >= 20_000:  # in chunks: a million cases would not fit in memory at once
            flush()
        m = rnd.choices(matters, weights)[0]
        day = rnd.choice(days)
        serial[day] = serial.get(day, 0) + 1
        case_no = f"{w.centre_code}{w.window_no}{day:%y%m%d}{serial[day]:05d}"
        at = datetime.combine(day, datetime.min.time()) + timedelta(minutes=rnd.randint(9 * 60, 17 * 60))
        login, name = rnd.choice(CLERKS)
        r = rnd.random()
        outcome = ("completed" if r < 0.9 else "notice") if m["on_the_spot"] else (
            "accepted" if r < 0.8 else "notice" if r < 0.94 else "refused")
        status, complete_at, decision = "received", at if outcome == "completed" else None, ""
        ev = [(at, outcome, "")]
        missing = None
        if outcome == "notice":
            missing = rnd.choice(m["materials"])
            if rnd.random() < 0.6:  # back for 补正
                back = cal.add_workdays(day, rnd.randint(1, 5))
                if back <= MONTH[1]:
                    complete_at = datetime.combine(back, at.time())
                    outcome = "completed" if m["on_the_spot"] else "accepted"
                    ev.append((complete_at, "supplemented", ""))
        promised = statutory = None
        if outcome == "accepted":
            start = (complete_at or at).date()
            promised = cal.try_add_workdays(start, max(1, m["promised_days"] or 1))  # None: 待定 (next year)
            statutory = cal.try_add_workdays(start, m["statutory_days"]) if m.get("statutory_days") else None
            took = rnd.randint(1, (m["promised_days"] or 1) + 3)
            decided = cal.add_workdays(start, took)
            if rnd.random() < 0.8 and decided <= MONTH[1]:
                status = "approved" if rnd.random() < 0.92 else "denied"
                stamp = datetime.combine(decided, datetime.min.time()) + timedelta(hours=15)
                decision = json.dumps({"decision": "approve" if status == "approved" else "deny",
                                       "decided_at": _iso(stamp)}, ensure_ascii=False)
                ev.append((stamp, f"decision.{status}", ""))
                gone = cal.add_workdays(decided, rnd.randint(1, 3))
                if rnd.random() < 0.5 and gone <= MONTH[1]:
                    status = "delivered"
                    ev.append((datetime.combine(gone, at.time()), "delivered", '{"how": "window"}'))
        elif outcome == "completed":
            complete_at = complete_at or at
        if outcome != "notice" and rnd.random() < 0.02:
            status = rnd.choice(("withdrawn", "voided"))
        cases.append({
            "case_no": case_no, "matter_code": m["code"], "matter_name": m["name"], "catalogue_version": version,
            "calendar_version": "", "outcome": outcome, "status": status,
            "applicant_kind": m["applicant_kinds"][0], "applicant_name": "申请人", "applicant_id_no": "",
            "applicant_json": "{}", "agent_json": None, "note": "", "warnings_json": "[]", "received_at": at,
            "received_day": day, "complete_at": complete_at, "promised_date": promised, "statutory_date": statutory,
            "supply_due": None, "clerk_login": login, "clerk_name": name, "centre_code": w.centre_code,
            "window_no": w.window_no, "version": len(ev), "updated_at": ev[-1][0], "refusal_reason": "",
            "apply_instead": "", "result_note": "", "paused_since": None, "extended_days": 0, "clock_shift_days": 0,
            "deadline_pending": outcome == "accepted" and promised is None, "decision_json": decision, "last_window_no": w.window_no})
        for when, what, detail in ev:
            events.append({"case_no": case_no, "at": when, "actor": login, "event": what, "detail": detail,
                           "window_no": w.window_no})
        materials = [{"code": x["code"], "state": "missing" if missing and x["code"] == missing["code"]
                      and outcome == "notice" else "received", "copies": 1, "form": "original"}
                     for x in m["materials"]]
        op(case_no, at, {"case_no": case_no, "matter_code": m["code"], "outcome": outcome, "version": 1,
                         "received_at": _iso(at), "materials": [
                             {**x, "state": "missing"} if missing and x["code"] == missing["code"] else x
                             for x in materials]})
        for k in range(2, len(ev) + 1):
            op(case_no, ev[k - 1][0], {"case_no": case_no, "matter_code": m["code"], "outcome": outcome,
                                       "version": k, "received_at": _iso(at), "materials": materials})
        if missing and outcome == "notice":
            mats.append({"case_no": case_no, "code": missing["code"], "ordinal": 0, "name": missing["name"],
                         "required": True, "form": "original", "copies": 1, "state": "missing",
                         "standard": missing.get("standard", ""), "e_licence_ref": "", "reason": "", "gap_due": None})
        if rnd.random() < 0.3:
            ratings.append({"case_no": case_no, "occasion": "intake", "overall": rnd.choices(
                [5, 4, 3, 2, 1], [70, 20, 6, 3, 1])[0], "comment": "", "rated_at": at + timedelta(minutes=10),
                "rectify_owner": "", "rectify_due": None})
    flush()
    t = time.perf_counter()
    con.execute("COMMIT")
    raw.close()
    print(f"commit {time.perf_counter() - t:.1f} s")
    print(f"generated {totals[0]} cases, {totals[1]} events, {totals[2]} ratings, {totals[3]} outbox ops")


def peak_mb() -> float:
    """This process's peak resident memory: VmHWM (ru_maxrss would carry the generator's peak across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(svc: Services, boss, tmp: str, run: int, legacy: bool) -> StatsReport:
    """One report of the month: before (legacy: the cr CTE in every query, every listed case in the PDF)
    or after (the case rows built once per report, lists capped in the PDF)."""
    t0 = time.perf_counter()
    local.require(boss, "report_print")
    rep = local.compute(svc.store, start=MONTH[0], end=MONTH[1], scope="centre", legacy=legacy)
    t1 = time.perf_counter()
    limit = pdf_out.LIST_LIMIT
    pdf_out.LIST_LIMIT = 10**9 if legacy else limit
    try:
        (Path(tmp) / "m.pdf").write_bytes(pdf_out.render(rep, prepared_by=boss.name))
    finally:
        pdf_out.LIST_LIMIT = limit
    t2 = time.perf_counter()
    export.write_xlsx(rep, Path(tmp) / "m.xlsx")
    t3 = time.perf_counter()
    export.write_csv(local.CSV_COLUMNS, local.case_rows(svc.store, start=MONTH[0], end=MONTH[1], scope="centre"),
                     Path(tmp) / "m.csv")
    t4 = time.perf_counter()
    with svc.store.Reader() as s:
        s.execute(text("SELECT matter_code, count(*) FROM cases WHERE centre_code = :c AND "
                       "received_day BETWEEN :f AND :t GROUP BY matter_code"),
                  {"c": "310104", "f": MONTH[0].isoformat(), "t": MONTH[1].isoformat()}).all()
    t5 = time.perf_counter()
    with svc.store.Reader() as s:  # the same floor over the summary rows the report reads
        s.execute(text("SELECT matter_code, count(*) FROM case_summary WHERE centre_code = :c AND "
                       "received_day BETWEEN :f AND :t GROUP BY matter_code"),
                  {"c": "310104", "f": MONTH[0].isoformat(), "t": MONTH[1].isoformat()}).all()
    t6 = time.perf_counter()
    print(f"run {run} {'before' if legacy else 'after '}: figures+tables {t1 - t0:.2f} s, PDF {t2 - t1:.2f} s "
          f"({len(rep.tables)} tables, {(Path(tmp) / 'm.pdf').stat().st_size // 1024} KiB), XLSX {t3 - t2:.2f} s, "
          f"CSV {t4 - t3:.2f} s; to PDF {t2 - t0:.2f} s; raw GROUP BY floor {t5 - t4:.3f} s "
          f"(cases) / {t6 - t5:.3f} s (case_summary); received "
          f"{rep.volumes.received}, decided {rep.efficiency.decided}, overdue {rep.efficiency.overdue_now}; "
          f"peak RSS so far {peak_mb():.0f} MB", flush=True)
    return rep


def measure(home: Path, runs: int, before_runs: int) -> None:
    """The reports, in a process of their own: its peak RSS is the report's, not the generator's."""
    svc = Services(home, clock=MovableClock(datetime(2026, 12, 1, 9, 0)))
    boss = svc.login(login="super", password="super1234")
    print(f"measuring process opened: peak RSS {peak_mb():.0f} MB", flush=True)
    seen = None
    for run in range(1, runs + 1):
        for legacy in ((True, False) if run <= before_runs else (False,)):
            rep = replace(_measure(svc, boss, str(home.parent), run, legacy), generated_at=None)
            if seen is not None and rep != seen:
                raise SystemExit("the figures differ between runs (before and after must be identical)")
            seen = rep
    svc.close()
    print(f"peak RSS of the measuring process {peak_mb():.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before-runs", type=int, default=1, help="runs that also measure the former queries")
    ap.add_argument("--keep", type=Path, help="generate the store in this (empty) folder and keep it")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child process: a generated home
    args = ap.parse_args()
    if args.measure:
        measure(args.measure, args.runs, args.before_runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        home = (args.keep or Path(tmp)) / "home"
        clock = MovableClock(datetime(2026, 12, 1, 9, 0))
        init_store(home, centre_code="310104", window_no="01", centre_name="徐汇区行政服务中心", demo=True,
                   clock=clock)
        svc = Services(home, clock=clock)
        t = time.perf_counter()
        generate(svc, args.cases)
        print(f"generation and insert: {time.perf_counter() - t:.1f} s; generator's peak RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB", flush=True)
        svc.close()
        subprocess.run([sys.executable, __file__, "--measure", str(home), "--runs", str(args.runs),
                        "--before-runs", str(args.before_runs)], check=True)


if __name__ == "__main__":
    main()
