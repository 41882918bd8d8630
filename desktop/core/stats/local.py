"""The statistics of a period from a window's local store, for this window or for its whole centre (the cases
every window of the centre synced: the `cases` stream brings them here).

Every figure is an SQL aggregate over the per-case summary rows the writers keep (migration 0013, grouped
once per report: sqlparts.summary_groups_sql); Python only assembles the grouped rows (a histogram of working
days for the percentiles, a row per matter, clerk or day). legacy=True: the former case rows of
sqlparts.case_rows_sql, derived from the events and the outbox at report time (for the tests and the
benchmark)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from desktop.core import workcalendar
from desktop.core.errors import BadInput
from desktop.core.roles import require
from desktop.core.stats import tables as tbl
from desktop.core.stats.figures import (
    Efficiency,
    Loop,
    Revisits,
    Satisfaction,
    StatsReport,
    Volumes,
    mean,
    p90,
)
from desktop.core.stats.sqlparts import (
    CAL_TABLE,
    EARLY_SQL,
    HOLIDAY_SQL,
    ON_TIME_SQL,
    ON_TIME_STATUTORY_SQL,
    SUMMARY_DUE_SQL,
    SUMMARY_MISSING_SQL,
    SUMMARY_RATINGS_SQL,
    UNDECIDED_SQL,
    VOLUME_SQL,
    case_rows_sql,
    csv_sql,
    n_of,
    ordinals,
    scope_sql,
    summary_groups_sql,
    summary_rows_sql,
)
from desktop.core.stats.sqlparts import (
    weighted as _weighted,
)
from desktop.core.store import Store
from desktop.core.types import Clerk
from desktop.core.worklist import NEAR_DUE_WORKDAYS

MAX_DAYS = 3660  # a report covers at most ten years


def check_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    start, end = start or today, end or start or today
    if end < start:
        raise BadInput("E_PERIOD", f"统计期间的结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}",
                       field="to")
    if (end - start).days >= MAX_DAYS:
        raise BadInput("E_PERIOD", "统计期间过长（最多十年）", field="to")
    return start, end


def check_scope(scope: str) -> str:
    if scope not in ("window", "centre"):
        raise BadInput("E_SCOPE", "统计范围应为 window（本窗口）或 centre（全中心）", field="scope")
    return scope


class _Query:
    """The case rows of one scope and period, and the queries over them.

    The rows come from the per-case summary the writers keep (case_summary, migration 0013): the working-day
    ordinals go into a temporary table `cal` and the period's summary rows, GROUPED with their count n
    (sqlparts.summary_groups_sql: received, decided, delivered in the period), into a temporary table `cr`,
    in this reader's own connection (SQLite's temporary database, in memory; nothing is written to the
    store, and the reader's rollback drops both). A query over `cr` is weighed by n (_weighted); what is
    "now" (overdue, pick-up) or joined from the period's ratings and material gaps reads `self.cases`, every
    summary row of the scope. legacy=True keeps the first form (the
    literal calendar and the `cr` CTE over the events and the outbox, recomputed by every query): the tests
    and the benchmark compare the two."""

    def __init__(self, s, cal, *, centre: str, here: str, window_no: str | None, start: date, end: date,
                 materialize: bool = True, legacy: bool = False):
        self.s = s
        self.here = here  # this window's number
        self.legacy = legacy
        self.grouped = False  # `cr` holds groups of case rows with their count n (summary_groups_sql)
        # t_next: the day after the period, for a range of a timestamp column an index can read
        self.params: dict[str, Any] = {"centre": centre, "f": start.isoformat(), "t": end.isoformat(),
                                       "t_next": (end + timedelta(days=1)).isoformat()}
        window = window_no is not None
        self.scope = scope_sql("g", window)  # over a count table of 0014 as `g`
        if window:
            self.params["win"] = window_no
        # every case of the scope (overdue now, pick-up, the cases of the period's ratings), and "due now"
        self.cases, self.due = "cr", DUE_SQL
        # the case (as `cr`) of a row `{a}` of another table that names it (a 差评), joined from that row: the
        # summary form probes the case index once per row (CROSS JOIN keeps SQLite from scanning every case
        # of the scope and probing the other table instead)
        self.case_join = "JOIN cr ON cr.case_no = {a}.case_no"
        if legacy:
            self.head = case_rows_sql(cal, window=window)
            return
        self.cases = f"(SELECT * FROM case_summary cs WHERE {scope_sql('cs', window)})"
        self.case_join = "CROSS JOIN case_summary cr ON cr.case_no = {a}.case_no AND " + scope_sql("cr", window)
        self.due = SUMMARY_DUE_SQL
        self.drop()
        s.execute(text(CAL_TABLE))
        days = [{"d": d.isoformat(), "n": n} for d, n in ordinals(cal)]
        if days:
            s.execute(text("INSERT INTO temp.cal (day, ord) VALUES (:d, :n)"), days)
        if not materialize:  # the CSV: every summary row of the scope, streamed
            self.head = summary_rows_sql(window=window)
            return
        s.execute(text(f"CREATE TEMP TABLE cr AS {summary_groups_sql(window=window)}"), self.params)
        self.head = "WITH _rows AS (SELECT 1)"  # a body may add CTEs of its own (", gaps AS (...)")
        self.grouped = True

    def drop(self) -> None:
        self.s.execute(text("DROP TABLE IF EXISTS temp.cr"))
        self.s.execute(text("DROP TABLE IF EXISTS temp.cal"))

    def all(self, body: str, **extra) -> list[tuple]:
        if self.grouped and re.search(r"\bFROM cr\b", body):
            body = _weighted(body)
        return [tuple(r) for r in self.s.execute(text(self.head + "\n" + body), {**self.params, **extra})]

    def one(self, body: str, **extra) -> tuple:
        return tuple(0 if v is None else v for v in self.all(body, **extra)[0])


def volumes(q: _Query, consultations: int) -> Volumes:
    received, accepted, completed, notices, refused, withdrawn, voided = q.one(
        f"SELECT {VOLUME_SQL} FROM cr WHERE in_received")
    pending_sql = n_of("outcome = 'notice' AND status NOT IN ('withdrawn', 'voided')")
    pending, holiday = q.one(f"SELECT {pending_sql}, {n_of(HOLIDAY_SQL)} FROM cr WHERE in_received")
    return Volumes(received=received, accepted=accepted, completed=completed, notices=notices,
                   pending_notice=pending, refused=refused, withdrawn=withdrawn, voided=voided,
                   consultations=consultations, holiday=holiday)


def efficiency(q: _Query, overdue: int, near: int) -> Efficiency:
    decided, spot, early, in_time, p_known, p_ok, s_known, s_ok = q.one(f"""
SELECT count(*), {n_of("outcome = 'completed'")}, {n_of(EARLY_SQL)},
  {n_of(f"outcome = 'accepted' AND {ON_TIME_SQL} AND NOT {EARLY_SQL}")},
  {n_of("promised_date IS NOT NULL")}, {n_of(ON_TIME_SQL)},
  {n_of("statutory_date IS NOT NULL")}, {n_of(ON_TIME_STATUTORY_SQL)}
FROM cr WHERE in_decided""")
    to_decision = q.all("SELECT wd_decision, count(*) FROM cr WHERE in_decided AND wd_decision IS NOT NULL "
                        "GROUP BY wd_decision")
    to_delivery = q.all("SELECT wd_delivery, count(*) FROM cr WHERE in_delivered AND wd_delivery IS NOT NULL "
                        "GROUP BY wd_delivery")
    return Efficiency(
        decided=decided, spot=spot, early=early, in_time=in_time, promised_known=p_known,
        on_time_promised=p_ok, statutory_known=s_known, on_time_statutory=s_ok,
        timed=sum(n for _, n in to_decision), mean_days_decision=mean(to_decision),
        p90_days_decision=p90(to_decision), delivered=sum(n for _, n in to_delivery),
        mean_days_delivery=mean(to_delivery), p90_days_delivery=p90(to_delivery),
        overdue_now=overdue, near_due_now=near)


def _due_now(q: _Query, cal, today: date) -> tuple[list[tuple], list[tuple], int, int]:
    """Undecided accepted cases past their promised date (red) and due within 2 working days (yellow),
    with the worklist's colours; a paused clock or a 待定 date is neither (grey on the worklist). Unlike the
    worklist, a case signed for or in review at the department is still undecided here. The first
    tables.DUE_LISTED of each list, and how many each has."""
    return tbl.due_now(q, f"SELECT {{what}} FROM {q.cases} cr WHERE {q.due} AND {{cond}}",
                       "case_no, matter_name, promised_date, clerk_name, window_no", "promised_date, case_no",
                       "promised_date < :today", "promised_date BETWEEN :today AND :horizon",
                       today=today.isoformat(), horizon=_horizon(cal, today).isoformat())


DUE_SQL = (f"{UNDECIDED_SQL} AND EXISTS (SELECT 1 FROM cases k WHERE k.case_no = cr.case_no "
           "AND k.paused_since IS NULL AND NOT k.deadline_pending)")


def _horizon(cal, today: date) -> date:
    """The last day that is still near due (NEAR_DUE_WORKDAYS working days on, as far as the calendar goes)."""
    horizon = today
    for _ in range(NEAR_DUE_WORKDAYS):
        nxt = cal.try_add_workdays(horizon, 1)
        if nxt is None:
            break
        horizon = nxt
    return horizon


def revisits(q: _Query) -> Revisits:
    first, notice, finished, visits = q.one(f"""
SELECT count(*), SUM(first_notice), {n_of("decided_day IS NOT NULL")},
  SUM(CASE WHEN decided_day IS NOT NULL THEN visits ELSE 0 END)
FROM cr WHERE in_received AND status != 'voided'""")
    return Revisits(first_visits=first, first_notice=notice, finished=finished, visits=visits)


def _satisfaction(q: _Query) -> Satisfaction:
    if q.legacy:
        sql = ("SELECT r.overall, r.occasion, count(*) FROM ratings r JOIN cr ON cr.case_no = r.case_no "
               "WHERE substr(r.rated_at, 1, 10) BETWEEN :f AND :t GROUP BY 1, 2")
    else:
        sql = SUMMARY_RATINGS_SQL.format(scope=q.scope)
    stars: dict[int, int] = {}
    occasions: dict[str, int] = {}
    for overall, occasion, n in q.all(sql):
        stars[overall] = stars.get(overall, 0) + n
        occasions[occasion] = occasions.get(occasion, 0) + n
    return Satisfaction(by_stars=tuple((s, int(stars.get(s, 0))) for s in (5, 4, 3, 2, 1)),
                        by_occasion=tuple((o, int(occasions.get(o, 0))) for o in ("intake", "handover")))


def _loop(q: _Query) -> Loop:
    states = dict(q.all("SELECT state, count(*) FROM transfer_batches "
                        "WHERE substr(created_at, 1, 10) BETWEEN :f AND :t GROUP BY state"))
    (pickup,) = q.one(f"SELECT count(*) FROM {q.cases} cr WHERE outcome = 'accepted' "
                      "AND status IN ('approved', 'denied', 'result_ready')")
    return Loop(waiting=states.get("waiting", 0), sent=states.get("sent", 0), signed=states.get("signed", 0),
                returned=states.get("returned", 0), awaiting_pickup=pickup)


def _tables(q: _Query, consult, *, start: date, end: date, due: tuple, today: date, centre_scope: bool) -> tuple:
    """tables.build_tables, with the materials and the 差评 read from what the writers keep; `due`: the
    lists and counts of _due_now."""
    if q.legacy:
        return tbl.build_tables(q, consult, start=start, end=end, due=due, today=today, centre_scope=centre_scope)
    out = [tbl.dimension(q, consult, *d) for d in tbl.DIMENSIONS if centre_scope or d[0] != "by_window"]
    out += [tbl.holiday_table(q), tbl.timeliness(q), tbl.trend(q, consult, start, end),
            tbl.missing_table(q.all(SUMMARY_MISSING_SQL.format(scope=q.scope))),
            tbl._bad_ratings(q, today, join=q.case_join.format(a="r")),
            tbl._returned(q), tbl.due_table(*due)]
    return tuple(out)


CENTRE_CAVEATS = (
    "全中心范围取自本窗口同步到的办件：以最近一次同步为准。",
    "咨询登记、好差评和材料流转批次只有本窗口记录的部分（中心不向窗口下发其他窗口的记录）。",
)


def compute(store: Store, *, start: date, end: date, scope: str = "window", legacy: bool = False) -> StatsReport:
    """The figures of [start, end] for this window or its centre (see figures.py for the populations);
    legacy: the former queries (see _Query), for the benchmark only."""
    check_scope(scope)
    today = store.clock().date()
    start, end = check_period(start, end, today)
    w = store.window()
    cal = workcalendar.calendar(store)
    window_no = w.window_no if scope == "window" else None
    with store.Reader() as s:
        q = _Query(s, cal, centre=w.centre_code, here=w.window_no, window_no=window_no, start=start, end=end,
                   legacy=legacy)
        consult = tbl.consultation_rows(q, window=scope == "window")
        vol = volumes(q, sum(r[-1] for r in consult))
        overdue, near, n_overdue, n_near = _due_now(q, cal, today)
        eff = efficiency(q, n_overdue, n_near)
        report_tables = _tables(q, consult, start=start, end=end, due=(overdue, near, n_overdue, n_near),
                                today=today, centre_scope=scope == "centre")
        satisfaction = _satisfaction(q)
        loop = _loop(q)
        rev = revisits(q)
        q.drop()
    try:
        working_days = cal.workdays_between(start - timedelta(days=1), end)
    except Exception:  # a year without a published calendar
        working_days = None
    return StatsReport(
        centre_code=w.centre_code, centre_name=w.centre_name, scope=scope,
        window_no=w.window_no if scope == "window" else "", centres=(w.centre_code,),
        period_from=start, period_to=end, generated_at=store.clock(), working_days=working_days,
        volumes=vol, efficiency=eff, revisits=rev,
        satisfaction=satisfaction, loop=loop, tables=report_tables,
        caveats=CENTRE_CAVEATS if scope == "centre" else ())


def statistics(store: Store, *, start: date, end: date, scope: str, actor: Clerk) -> StatsReport:
    """compute(), for a supervisor only (report_print)."""
    require(actor, "report_print")
    return compute(store, start=start, end=end, scope=scope)


CSV_COLUMNS = ("办件编号", "窗口", "事项编码", "事项名称", "办理类型", "部门", "申请人类型", "收件人员", "办件结果",
               "办件状态", "收件日期", "受理日期", "办结日期", "送达日期", "承诺办结日期", "法定办结日期",
               "首次即一次性告知", "跑动次数", "受理至办结工作日", "承诺工作日", "受理至送达工作日", "按承诺时限办结",
               "按法定时限办结", "提前办结", "本期收件", "本期办结", "本期送达", "当前提示")


def case_rows(store: Store, *, start: date, end: date, scope: str = "window",
              legacy: bool = False) -> Iterator[tuple]:
    """The case-level rows behind the figures (every case received, decided or delivered in the period, and
    every case overdue or near due now, the full list the PDF cuts short), streamed in case-number order:
    what the CSV holds."""
    check_scope(scope)
    start, end = check_period(start, end, store.clock().date())
    w = store.window()
    cal = workcalendar.calendar(store)
    with store.Reader() as s:
        q = _Query(s, cal, centre=w.centre_code, here=w.window_no, window_no=w.window_no if scope == "window" else None,
                   start=start, end=end, materialize=False, legacy=legacy)
        today = store.clock().date()
        sql = text(q.head + csv_sql(q.due, ":horizon"))
        params = {**q.params, "today": today.isoformat(), "horizon": _horizon(cal, today).isoformat()}
        for row in s.execute(sql, params):
            yield tuple(row)
        q.drop()
