"""SQL pieces of the local statistics: the working-day ordinals of the window calendar and the case rows.

Working days between two dates are a difference of ordinals: `cal(day, ord)` numbers every day of the
calendar's published years with the count of working days up to and including it, so the working days in
(a, b] are ord(b) - ord(a), as WorkdayCalendar.workdays_between counts them. A day outside the published
years has no row: its figures are NULL and left out (counted as not timed), never guessed.
"""

from __future__ import annotations

import re
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


def period_flags(alias: str) -> str:
    """in_received, in_decided and in_delivered of the case row `alias` for the period [:f, :t]: which
    figures of the period the row counts in."""
    return (f"({alias}.received_day BETWEEN :f AND :t) AS in_received,\n"
            f"    ({alias}.decided_day IS NOT NULL AND {alias}.decided_day BETWEEN :f AND :t) AS in_decided,\n"
            f"    ({alias}.delivered_day IS NOT NULL AND {alias}.delivered_day BETWEEN :f AND :t) AS in_delivered")


def scope_sql(alias: str, window: bool) -> str:
    return f"{alias}.centre_code = :centre" + (f" AND {alias}.window_no = :win" if window else "")


CAL_TABLE = "CREATE TEMP TABLE cal (day TEXT PRIMARY KEY, ord INTEGER NOT NULL) WITHOUT ROWID"


def case_rows_sql(cal: WorkdayCalendar | None, *, window: bool) -> str:
    """The CTEs `cal`, `ev` and `cr`: one row per case of the scope with what every figure needs. With
    cal None, `cal` is not a CTE but the temporary table CAL_TABLE, filled from ordinals() by the caller.

    cr columns: case_no, matter_code, matter_name, mode, department, applicant_kind, clerk_login, clerk_name,
    window_no, outcome, status, received_day, accept_day, decided_day, delivered_day, promised_date,
    statutory_date, first_notice, visits, wd_decision, wd_promised, wd_delivery, in_received, in_decided,
    in_delivered, holiday (1: 节假日办理, taken on a non-working day). Days are ISO text (the store's own form)."""
    decided = ",".join(f"'{s}'" for s in DECIDED_STATUSES)
    closed = ",".join(f"'{s}'" for s in CLOSED_STATUSES)
    visits = ",".join(f"'{s}'" for s in VISIT_EVENTS)
    head = "WITH " if cal is None else f"WITH {cal_cte(cal)},\n"
    if cal is None:  # each matter's mode and department read once, not from its JSON once per case
        head += ("mt AS MATERIALIZED (SELECT version, code, json_extract(data, '$.mode') AS mode, "
                 "json_extract(data, '$.department') AS department FROM matters),\n")
        matters, matter_cols = "mt", "COALESCE(m.mode, '') AS mode, COALESCE(m.department, '') AS department"
    else:  # the former form (legacy, for the benchmark)
        matters, matter_cols = "matters", ("COALESCE(json_extract(m.data, '$.mode'), '') AS mode, "
                                           "COALESCE(json_extract(m.data, '$.department'), '') AS department")
    return head + f"""ev AS (
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
  SELECT c.case_no, c.matter_code, c.matter_name, c.catalogue_version,
    {matter_cols},
    c.applicant_kind, c.clerk_login, c.clerk_name, c.window_no, c.outcome, c.status,
    CASE WHEN c.holiday THEN 1 ELSE 0 END AS holiday,
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
  LEFT JOIN {matters} m ON m.version = c.catalogue_version AND m.code = c.matter_code
  WHERE {scope_sql('c', window)} AND c.outcome != 'consultation'
),
cr AS (
  SELECT c1.*,
    kd.ord - ka.ord - c1.shift AS wd_decision,
    kp.ord - ka.ord - c1.shift AS wd_promised,
    kv.ord - ka.ord - c1.shift AS wd_delivery,
    {period_flags('c1')}
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


#: 节假日办理 among the rows of cr received in the period: taken on a non-working day, neither withdrawn nor voided
HOLIDAY_SQL = "(holiday = 1 AND status NOT IN (" + ",".join(f"'{s}'" for s in CLOSED_STATUSES) + "))"

UNDECIDED_SQL = ("outcome = 'accepted' AND status IN ('received', 'signed', 'in_review') "
                 "AND promised_date IS NOT NULL")


def csv_sql(due: str, horizon: str, source: str = "cr") -> str:
    """The CSV's case rows (local.CSV_COLUMNS): every case received, decided or delivered in the period, and
    every case overdue or near due now (`due`: undecided and counted on the worklist; `horizon`: the last
    near-due day; :today), with the 当前提示 the report's due table gives it."""
    now = (f"CASE WHEN {due} AND promised_date < :today THEN '红色：已逾期' "
           f"WHEN {due} AND promised_date BETWEEN :today AND {horizon} THEN '黄色：临近到期' ELSE '' END")
    return f"""
SELECT case_no, window_no, matter_code, matter_name, mode, department, applicant_kind, clerk_name, outcome, status,
  received_day, accept_day, decided_day, delivered_day, promised_date, statutory_date, first_notice, visits,
  wd_decision, wd_promised, wd_delivery,
  CASE WHEN decided_day IS NULL THEN NULL ELSE {ON_TIME_SQL} END,
  CASE WHEN decided_day IS NULL THEN NULL ELSE {ON_TIME_STATUTORY_SQL} END,
  CASE WHEN decided_day IS NULL THEN NULL ELSE {EARLY_SQL} END,
  in_received, in_decided, in_delivered, {now}
FROM {source} WHERE in_received OR in_decided OR in_delivered OR ({due} AND promised_date <= {horizon})
ORDER BY case_no"""


def summary_rows_sql(*, window: bool) -> str:
    """The CTEs `mt` and `cr` over the per-case summary that the writers keep (local migration
    0013_case_summary: triggers on cases, case_events, case_materials and the outbox), with the temporary
    table CAL_TABLE for the working days: the same columns as case_rows_sql's `cr`, then due_counted (1: the
    worklist counts the case for overdue: clock not paused, deadline not pending). What the CSV streams."""
    return f"""WITH mt AS MATERIALIZED (SELECT version, code, json_extract(data, '$.mode') AS mode,
  json_extract(data, '$.department') AS department FROM matters),
cr AS (
  SELECT s.case_no, s.matter_code, s.matter_name, COALESCE(m.mode, '') AS mode,
    COALESCE(m.department, '') AS department, s.applicant_kind, s.clerk_login, s.clerk_name, s.window_no,
    s.outcome, s.status, s.holiday, s.received_day, s.accept_day, s.decided_day, s.delivered_day,
    s.promised_date, s.statutory_date, s.shift, s.first_notice, s.visits,
    kd.ord - ka.ord - s.shift AS wd_decision,
    kp.ord - ka.ord - s.shift AS wd_promised,
    kv.ord - ka.ord - s.shift AS wd_delivery,
    {period_flags('s')},
    s.due_counted
  FROM case_summary s
  LEFT JOIN mt m ON m.version = s.catalogue_version AND m.code = s.matter_code
  LEFT JOIN cal ka ON ka.day = s.accept_day
  LEFT JOIN cal kd ON kd.day = s.decided_day
  LEFT JOIN cal kp ON kp.day = s.promised_date
  LEFT JOIN cal kv ON kv.day = s.delivered_day
  WHERE {scope_sql('s', window)}
)"""


def summary_groups_sql(*, window: bool) -> str:
    """The period's summary rows as GROUPS with their count `n`, read from the counts the writers keep (local
    migration 0014_case_counts: triggers on case_summary): one group per combination of what the figures of
    the received cases read (matter, catalogue version and name, applicant kind, clerk and name, window,
    outcome, status, holiday, day, first-visit notice, visits, decided or not), then per (matter and name,
    outcome, decided day, accept day, promised and statutory dates, clock shift) for the decided ones, then per
    (accept day, shift) for the delivered ones. Each group carries in_received / in_decided / in_delivered like
    a case row of `cr` and the columns those figures read (the others NULL); a query over it weighs every row
    by n (weighted). Each part is one range of its table's primary key: a month of a million cases is some
    fifty thousand rows read, not a million grouped."""
    scope = scope_sql("g", window)
    return f"""WITH mt AS MATERIALIZED (SELECT version, code, json_extract(data, '$.mode') AS mode,
  json_extract(data, '$.department') AS department FROM matters)
SELECT g.matter_code AS matter_code, g.matter_name AS matter_name, COALESCE(m.mode, '') AS mode,
  COALESCE(m.department, '') AS department, g.applicant_kind AS applicant_kind, g.clerk_login AS clerk_login,
  g.clerk_name AS clerk_name, g.window_no AS window_no, g.outcome AS outcome, g.status AS status,
  g.holiday AS holiday, g.received_day AS received_day,
  CASE WHEN g.decided THEN '*' END AS decided_day, NULL AS delivered_day,
  NULL AS promised_date, NULL AS statutory_date, g.first_notice AS first_notice, g.visits AS visits,
  NULL AS wd_decision, NULL AS wd_promised, NULL AS wd_delivery, 1 AS in_received, 0 AS in_decided,
  0 AS in_delivered, g.n AS n
FROM case_counts_received g
LEFT JOIN mt m ON m.version = g.catalogue_version AND m.code = g.matter_code
WHERE g.received_day BETWEEN :f AND :t AND {scope}
UNION ALL
SELECT g.matter_code, g.matter_name, NULL, NULL, NULL, NULL, NULL, NULL, g.outcome, NULL, NULL, NULL,
  g.decided_day, NULL, NULLIF(g.promised_date, ''), NULLIF(g.statutory_date, ''), NULL, NULL,
  kd.ord - ka.ord - g.shift, kp.ord - ka.ord - g.shift, NULL, 0, 1, 0, g.n
FROM case_counts_decided g
LEFT JOIN cal ka ON ka.day = g.accept_day LEFT JOIN cal kd ON kd.day = g.decided_day
LEFT JOIN cal kp ON kp.day = g.promised_date
WHERE g.decided_day BETWEEN :f AND :t AND {scope}
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, kv.ord - ka.ord - g.shift, 0, 0, 1, g.n
FROM case_counts_delivered g
LEFT JOIN cal ka ON ka.day = g.accept_day LEFT JOIN cal kv ON kv.day = g.delivered_day
WHERE g.delivered_day BETWEEN :f AND :t AND {scope}"""


#: undecided and counted on the worklist, over case_summary rows (the legacy form is local.DUE_SQL)
SUMMARY_DUE_SQL = f"{UNDECIDED_SQL} AND due_counted = 1"

#: the materials most often missing or defective (tables._missing) over `gv` (matter_code, matter_name,
#: catalogue_version, code, state, n: the cases per catalogue version), with the material's name and standard
#: from the matter's catalogue version (what each case's checklist copied at intake; the centre reads the same)
MISSING_NAMED_SQL = """
SELECT gv.matter_code, MAX(gv.matter_name), gv.code, MAX(json_extract(j.value, '$.name')), gv.state,
  MAX(json_extract(j.value, '$.standard')), SUM(gv.n)
FROM gv LEFT JOIN matters m ON m.version = gv.catalogue_version AND m.code = gv.matter_code
LEFT JOIN json_each(m.data, '$.materials') j ON json_extract(j.value, '$.code') = gv.code
GROUP BY gv.matter_code, gv.code, gv.state
ORDER BY 7 DESC, 1, 3, 5 LIMIT 30"""

#: the same from the counts the writers keep (local migration 0014: gap_counts)
SUMMARY_MISSING_SQL = """
, gv AS (SELECT g.matter_code, MAX(g.matter_name) AS matter_name, g.catalogue_version, g.code, g.state, SUM(g.n) AS n
  FROM gap_counts g WHERE g.received_day BETWEEN :f AND :t AND {scope} AND g.voided = 0
  GROUP BY g.matter_code, g.catalogue_version, g.code, g.state)""" + MISSING_NAMED_SQL

#: 好差评 of the period per stars and occasion, from the counts the writers keep (0014: rating_counts)
SUMMARY_RATINGS_SQL = """SELECT g.overall, g.occasion, SUM(g.n) FROM rating_counts g
WHERE g.rated_day BETWEEN :f AND :t AND {scope} GROUP BY 1, 2"""


_WEIGHTS = (("count(*)", "SUM(n)"), ("THEN 1 ELSE 0 END", "THEN n ELSE 0 END"),
            ("SUM(first_notice)", "SUM(first_notice * n)"), ("THEN visits ELSE 0 END", "THEN visits * n ELSE 0 END"))

#: a query over the groups of case rows (`cr` as summary_groups_sql or centralsql.groups_sql build it)
READS_GROUPS = re.compile(r"\bFROM cr\b")


def weighted(body: str) -> str:
    """A query over case rows made a query over groups of them (summary_groups_sql at a window,
    centralsql.groups_sql at the centre): every count and every sum of a case's value weighed by the group's
    n. Refuses (a programming error, caught by the tests that compare with the legacy reading) a body with an
    aggregate it cannot weigh."""
    for plain, weighed in _WEIGHTS:
        body = body.replace(plain, weighed)
    sums = re.findall(r"SUM\((n\)|first_notice \* n\)|CASE WHEN)", body)
    thens = re.findall(r"THEN (visits \* n|n|[^\s]+)", body)
    if (re.search(r"\b(count|avg|total|group_concat|min)\(", body, re.I) or len(sums) != body.count("SUM(")
            or any(t not in ("n", "visits * n") for t in thens)):
        raise RuntimeError(f"a statistics query the case groups cannot answer: {body}")
    return body
