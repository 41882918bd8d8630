"""SQL pieces of the local statistics: the working-day ordinals of the window calendar and the case rows.

Working days between two dates are a difference of ordinals: `cal(day, ord)` numbers every day of the
calendar's published years with the count of working days up to and including it, so the working days in
(a, b] are ord(b) - ord(a), as WorkdayCalendar.workdays_between counts them. A day outside the published
years has no row: its figures are NULL and left out (counted as not timed), never guessed.
"""

from __future__ import annotations

from datetime import date, timedelta

from desktop.core.workdays import WorkdayCalendar

DECIDED_STATUSES = ("approved", "denied", "result_ready", "delivered")
CLOSED_STATUSES = ("withdrawn", "voided")
VISIT_EVENTS = ("supplemented", "gap.supplied")  # each a visit of the applicant after the first


def ordinals(cal: WorkdayCalendar) -> list[tuple[date, int]]:
    """(day, working days from the first published 1 January up to and including day), every day."""
    out: list[tuple[date, int]] = []
    n = 0
    for year in sorted(cal.years):
        day = date(year, 1, 1)
        while day.year == year:
            if cal.is_workday(day):
                n += 1
            out.append((day, n))
            day += timedelta(days=1)
    return out


def cal_cte(cal: WorkdayCalendar) -> str:
    """`cal(day, ord)` as a CTE body of literal rows (dates and integers the code made: nothing quoted from
    input). Years need not be contiguous: the count simply goes on."""
    rows = ordinals(cal)
    if not rows:
        return "cal(day, ord) AS (SELECT NULL, NULL WHERE 0)"
    return "cal(day, ord) AS (VALUES " + ",".join(f"('{d.isoformat()}',{n})" for d, n in rows) + ")"


def scope_sql(alias: str, window: bool) -> str:
    return f"{alias}.centre_code = :centre" + (f" AND {alias}.window_no = :win" if window else "")


def case_rows_sql(cal: WorkdayCalendar, *, window: bool) -> str:
    """The CTEs `cal`, `ev` and `cr`: one row per case of the scope with what every figure needs.

    cr columns: case_no, matter_code, matter_name, mode, department, applicant_kind, clerk_login, clerk_name,
    window_no, outcome, status, received_day, accept_day, decided_day, delivered_day, promised_date,
    statutory_date, first_notice, visits, wd_decision, wd_promised, wd_delivery, in_received, in_decided,
    in_delivered. Days are ISO text (the store's own form)."""
    decided = ",".join(f"'{s}'" for s in DECIDED_STATUSES)
    closed = ",".join(f"'{s}'" for s in CLOSED_STATUSES)
    visits = ",".join(f"'{s}'" for s in VISIT_EVENTS)
    return f"""
WITH {cal_cte(cal)},
ev AS (
  SELECT e.case_no,
    MAX(CASE WHEN e.event = 'notice' THEN 1 ELSE 0 END) AS first_notice,
    SUM(CASE WHEN e.event IN ({visits}) THEN 1
             WHEN e.event = 'delivered' AND e.detail LIKE '%"how": "window"%' THEN 1 ELSE 0 END) AS extra_visits,
    MIN(CASE WHEN e.event IN ('decision.approved', 'decision.denied') THEN substr(e.at, 1, 10) END) AS ev_decided,
    MIN(CASE WHEN e.event = 'delivered' THEN substr(e.at, 1, 10) END) AS delivered_day
  FROM case_events e JOIN cases c0 ON c0.case_no = e.case_no
  WHERE {scope_sql('c0', window)}
  GROUP BY e.case_no
),
c1 AS (
  SELECT c.case_no, c.matter_code, c.matter_name,
    COALESCE(json_extract(m.data, '$.mode'), '') AS mode,
    COALESCE(json_extract(m.data, '$.department'), '') AS department,
    c.applicant_kind, c.clerk_login, c.clerk_name, c.window_no, c.outcome, c.status,
    substr(c.received_day, 1, 10) AS received_day,
    substr(COALESCE(c.complete_at, c.received_day), 1, 10) AS accept_day,
    CASE WHEN c.status IN ({closed}) THEN NULL
         WHEN c.outcome = 'completed' THEN substr(COALESCE(c.complete_at, c.received_day), 1, 10)
         WHEN c.outcome = 'accepted' AND c.status IN ({decided}) THEN COALESCE(
           substr(json_extract(NULLIF(c.decision_json, ''), '$.decided_at'), 1, 10), ev.ev_decided, ev.delivered_day)
    END AS decided_day,
    CASE WHEN c.status IN ({closed}) THEN NULL ELSE ev.delivered_day END AS delivered_day,
    substr(c.promised_date, 1, 10) AS promised_date, substr(c.statutory_date, 1, 10) AS statutory_date,
    c.clock_shift_days AS shift,
    COALESCE(ev.first_notice, 0) AS first_notice,
    1 + COALESCE(ev.extra_visits, 0) AS visits
  FROM cases c
  LEFT JOIN ev ON ev.case_no = c.case_no
  LEFT JOIN matters m ON m.version = c.catalogue_version AND m.code = c.matter_code
  WHERE {scope_sql('c', window)} AND c.outcome != 'consultation'
),
cr AS (
  SELECT c1.*,
    kd.ord - ka.ord - c1.shift AS wd_decision,
    kp.ord - ka.ord - c1.shift AS wd_promised,
    kv.ord - ka.ord - c1.shift AS wd_delivery,
    (c1.received_day BETWEEN :f AND :t) AS in_received,
    (c1.decided_day IS NOT NULL AND c1.decided_day BETWEEN :f AND :t) AS in_decided,
    (c1.delivered_day IS NOT NULL AND c1.delivered_day BETWEEN :f AND :t) AS in_delivered
  FROM c1
  LEFT JOIN cal ka ON ka.day = c1.accept_day
  LEFT JOIN cal kd ON kd.day = c1.decided_day
  LEFT JOIN cal kp ON kp.day = c1.promised_date
  LEFT JOIN cal kv ON kv.day = c1.delivered_day
)"""


# the volume columns of every table (over rows of cr received in the period)
VOLUME_COLUMNS = ("收件", "受理", "当场办结", "一次性告知", "不予受理", "撤回", "作废")
VOLUME_SQL = f"""count(*),
  SUM(CASE WHEN status NOT IN ({",".join(f"'{s}'" for s in CLOSED_STATUSES)}) AND outcome = 'accepted' THEN 1 ELSE 0 END),
  SUM(CASE WHEN status NOT IN ({",".join(f"'{s}'" for s in CLOSED_STATUSES)}) AND outcome = 'completed' THEN 1 ELSE 0 END),
  SUM(CASE WHEN status != 'voided' AND first_notice = 1 THEN 1 ELSE 0 END),
  SUM(CASE WHEN status NOT IN ({",".join(f"'{s}'" for s in CLOSED_STATUSES)}) AND outcome = 'refused' THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 'withdrawn' THEN 1 ELSE 0 END),
  SUM(CASE WHEN status = 'voided' THEN 1 ELSE 0 END)"""

# on time, early (提前办结: at most 70 % of the promised working days), over rows of cr decided in the period
EARLY_SQL = ("(outcome = 'accepted' AND wd_decision IS NOT NULL AND wd_promised > 0 "
             "AND wd_decision * 10 <= wd_promised * 7)")
ON_TIME_SQL = "(promised_date IS NOT NULL AND decided_day <= promised_date)"
ON_TIME_STATUTORY_SQL = "(statutory_date IS NOT NULL AND decided_day <= statutory_date)"


def n_of(cond: str) -> str:
    """How many rows meet `cond`: the same SQL in SQLite and PostgreSQL (which cannot SUM a boolean)."""
    return f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"
