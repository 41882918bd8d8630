"""The case rows of the central PostgreSQL (yc.cases, yc.case_steps, the published catalogues and calendars)
in the same shape as the window's (sqlparts.case_rows_sql), so that the figures and tables computed over `cr`
are the same SQL at the window and at the centre.

Read-only and without temporary objects (it must run on a hot standby): the working-day ordinals of each
centre's calendar are literal VALUES rows, the catalogue is read from the published JSON texts.

Where the centre keeps something differently from a window:
- days are Shanghai days of the stored instants; a window step counts at the window's clock (client_at);
- the decision day is the centre's decided_at; the clock shift is the working days between each
  clock.paused step and the clock.resumed step after it (what the window adds up at resume);
- the clerk's name is the one the intake step carried (the centre keeps no window user's name otherwise);
- a delivery at the window is not a visit here: the centre does not record how a result was delivered."""

from __future__ import annotations

import json
from datetime import date

from desktop.core.stats.sqlparts import (
    CLOSED_STATUSES,
    DECIDED_STATUSES,
    VISIT_EVENTS,
    ordinals,
    period_flags,
)
from desktop.core.workdays import WorkdayCalendar

TZ = "Asia/Shanghai"


def day(expr: str) -> str:
    """The Shanghai day of a timestamptz expression, as ISO text (the form every cr day column has)."""
    return f"to_char(({expr}) AT TIME ZONE '{TZ}', 'YYYY-MM-DD')"


def _date_of(param: str) -> str:
    """An ISO day parameter as a date the planner folds into a constant: make_date and the casts of text to int
    are immutable, where CAST(:f AS date) (date_in, stable: it reads DateStyle) is evaluated once per row."""
    return f"make_date(substr(:{param}, 1, 4)::int, substr(:{param}, 6, 2)::int, substr(:{param}, 9, 2)::int)"


def within(expr: str) -> str:
    """A timestamptz expression whose Shanghai day is in [:f, :t] (what `day(expr) BETWEEN :f AND :t` says), as
    a range of two constant instants: the planner estimates it (it guessed 0.5 % of the rows for the day text)
    and an index on the expression serves it."""
    return (f"{expr} >= ({_date_of('f')}::timestamp AT TIME ZONE '{TZ}') "
            f"AND {expr} < (({_date_of('t')} + 1)::timestamp AT TIME ZONE '{TZ}')")


def cal_cte(calendars: dict[str, WorkdayCalendar]) -> str:
    """`cal(centre, day, ord)`: literal rows, one calendar per centre (codes and dates the code checked)."""
    rows = [f"('{centre}','{d.isoformat()}',{n})" for centre, cal in sorted(calendars.items())
            for d, n in ordinals(cal)]
    if not rows:
        return "cal(centre, day, ord) AS (SELECT NULL::text, NULL::text, NULL::int WHERE false)"
    return "cal(centre, day, ord) AS (VALUES " + ",".join(rows) + ")"


def ords(calendars: dict[str, WorkdayCalendar]) -> str:
    """The working-day ordinals as ONE flat jsonb constant {"centre/day": ord}: `(ORDS ->> centre/day)::int` is
    the ord the `cal` join finds, or NULL where it finds no row (a day outside the published years, a
    malformed day), looked up in the constant instead of joined (a join on literal rows the planner cannot
    estimate spilled the case rows to disk). Codes and dates the code checked; nothing quoted from input."""
    doc = json.dumps({f"{centre}/{d.isoformat()}": n for centre, cal in sorted(calendars.items())
                      for d, n in ordinals(cal)},
                     separators=(",", ": "))  # ": " so that no ":name" reads as a bind parameter
    return f"'{doc}'::jsonb"


def horizon_cte(horizons: dict[str, date]) -> str:
    """`hz(centre, horizon)`: the last day that is still 'near due' at each centre."""
    if not horizons:
        return "hz(centre, horizon) AS (SELECT NULL::text, NULL::text WHERE false)"
    return "hz(centre, horizon) AS (VALUES " + ",".join(
        f"('{c}','{d.isoformat()}')" for c, d in sorted(horizons.items())) + ")"


def _list(values) -> str:
    return ",".join(f"'{v}'" for v in values)


CAT = """cat AS (
  SELECT k.version, k.published_at, e->>'code' AS code, e->>'name' AS name, coalesce(e->>'mode', '') AS mode,
    coalesce(e->>'department', '') AS department, e->'materials' AS materials, e->>'statutory_days' AS stat_days
  FROM yc.catalogues k CROSS JOIN LATERAL jsonb_array_elements(
    CASE WHEN jsonb_typeof(k.text::jsonb->'matters') = 'array' THEN k.text::jsonb->'matters' ELSE '[]'::jsonb END) e
  WHERE jsonb_typeof(e) = 'object'
)"""

CR = f"""cr AS (
  SELECT c1.*,
    kd.ord - ka.ord - c1.shift AS wd_decision,
    kp.ord - ka.ord - c1.shift AS wd_promised,
    kv.ord - ka.ord - c1.shift AS wd_delivery,
    {period_flags('c1')}
  FROM c1
  LEFT JOIN cal ka ON ka.centre = c1.centre_code AND ka.day = c1.accept_day
  LEFT JOIN cal kd ON kd.centre = c1.centre_code AND kd.day = c1.decided_day
  LEFT JOIN cal kp ON kp.centre = c1.centre_code AND kp.day = c1.promised_date
  LEFT JOIN cal kv ON kv.centre = c1.centre_code AND kv.day = c1.delivered_day
)"""


def case_rows_sql(calendars: dict[str, WorkdayCalendar], *, multi: bool) -> str:
    """The CTEs `cal`, `cat`, `c1` and `cr` over the centres :centres (a text array), from yc.case_summary
    (c0013: one row per case, kept by the writers' triggers) and only the rows a figure of [:f, :t] can
    read: received, decided or delivered in the period, accepted and still open or waiting for pick-up
    (overdue / near due now, the loop), or rated in the period. What needs a calendar (working days, the
    clock shift between each pause and its resumption) or a name (matter, clerk, centre) is joined here.

    cr has every column of the window's cr (see sqlparts.case_rows_sql) plus centre_code, centre_name and
    stat_days (the matter's statutory days). With several centres a window is named CENTRE/NN."""
    window = "c.centre_code || '/' || c.window_no" if multi else "c.window_no"
    def ord_of(centre: str, day_col: str) -> str:
        return f"(o.j ->> ({centre} || '/' || {day_col}))::int"

    return f"""
WITH {CAT},
ords AS (SELECT {ords(calendars)} AS j),
c1 AS (
  SELECT c.case_no, c.centre_code, coalesce(cn.name, c.centre_code) AS centre_name, c.matter_code,
    coalesce(m.name, c.matter_code) AS matter_name, coalesce(m.mode, '') AS mode,
    coalesce(m.department, '') AS department, c.applicant_kind,
    coalesce(c.clerk_login, '') AS clerk_login,
    coalesce(c.first_actor, u.name, c.clerk_login, '') AS clerk_name,
    {window} AS window_no, c.outcome, c.status, c.holiday, c.received_day, c.accept_day, c.decided_day,
    c.delivered_day, c.promised_date, c.statutory_date,
    CASE WHEN c.resume_days IS NULL THEN 0 ELSE coalesce((
      SELECT SUM({ord_of("c.centre_code", "z.rd")} - {ord_of("c.centre_code", "z.pd")})::int
      FROM unnest(c.pause_days, c.resume_days) AS z(pd, rd)), 0) END AS shift,
    c.first_notice, c.visits, m.stat_days, c.paused,
    {ord_of("c.centre_code", "c.accept_day")} AS o_accept, {ord_of("c.centre_code", "c.decided_day")} AS o_decided,
    {ord_of("c.centre_code", "c.promised_date")} AS o_promised,
    {ord_of("c.centre_code", "c.delivered_day")} AS o_delivered
  FROM yc.case_summary c CROSS JOIN ords o
  LEFT JOIN cat m ON m.version = c.catalogue_version AND m.code = c.matter_code
  LEFT JOIN yc.users u ON u.login = c.clerk_login
  LEFT JOIN yc.centres cn ON cn.code = c.centre_code
  WHERE c.centre_code = ANY(:centres) AND c.outcome <> 'consultation' AND (
    c.received_day BETWEEN :f AND :t OR c.decided_day BETWEEN :f AND :t OR c.delivered_day BETWEEN :f AND :t
    OR (c.outcome = 'accepted' AND c.status IN ('received', 'signed', 'in_review', 'approved', 'denied',
                                                 'result_ready'))
    OR c.case_no IN (SELECT r.case_no FROM yc.ratings r WHERE r.centre_code = ANY(:centres)
                     AND {day('r.rated_at')} BETWEEN :f AND :t))
),
cr AS (
  SELECT c1.*,
    c1.o_decided - c1.o_accept - c1.shift AS wd_decision,
    c1.o_promised - c1.o_accept - c1.shift AS wd_promised,
    c1.o_delivered - c1.o_accept - c1.shift AS wd_delivery,
    {period_flags('c1')}
  FROM c1
)"""


def _shift(alias: str) -> str:
    """The clock shift of a summary row (or of a group of them): the working days between each clock pause and
    the resumption after it, through the `ords` constant (`o.j`)."""
    def ord_of(day_col: str) -> str:
        return f"(o.j ->> ({alias}.centre_code || '/' || {day_col}))::int"

    return (f"CASE WHEN {alias}.resume_days IS NULL THEN 0 ELSE coalesce((SELECT SUM({ord_of('z.rd')} - "
            f"{ord_of('z.pd')})::int FROM unnest({alias}.pause_days, {alias}.resume_days) AS z(pd, rd)), 0) END")


#: What the figures of the received cases read of a case's status: closed (withdrawn, voided: each by name)
#: or not. The received groups carry this class as `status`, '*' for every status not closed (as `decided_day`
#: carries '*' for decided): 107k groups instead of 154k for the synthetic month of a million
#: cases; test_stats_central_groups checks that no query over `cr` reads
#: another status.
STATUS_CLASS = f"CASE WHEN s.status IN ({_list(CLOSED_STATUSES)}) THEN s.status ELSE '*' END"
#: the key of yc.case_counts_received (c0018), whose `status` is STATUS_CLASS and `decided` whether decided
COUNTED_RECEIVED = ("s.centre_code, s.window_no, s.catalogue_version, s.matter_code, s.applicant_kind, s.clerk_login, "
                    "s.first_actor, s.outcome, s.status, s.holiday, s.received_day, s.first_notice, s.visits, "
                    "s.decided")

#: the summary rows every figure may read: the centres', consultations apart
SCOPE = "s.centre_code = ANY(:centres) AND s.outcome <> 'consultation'"


def groups_sql(calendars: dict[str, WorkdayCalendar], *, multi: bool) -> str:
    """The CTEs `cat`, `ords`, `cr` and `cs` over the centres :centres (a text array), for the figures (the
    CSV's case rows are case_rows_sql).

    `cr` (computed once: PostgreSQL materializes a CTE that several subqueries read) is the period's
    yc.case_summary rows as GROUPS with their count `n`, read from the counts the writers keep (c0018: per
    writer login, summed here; a group of none left out), as sqlparts.summary_groups_sql reads a window's
    (local 0014): one group per combination of what the figures of the
    received cases read (centre, window, matter and catalogue version, applicant kind, clerk and the name the
    intake step carried, outcome, the status's class (STATUS_CLASS), holiday, day, first-visit notice,
    visits, decided or not), then per
    (centre, matter and catalogue version, outcome, decided day, accept day, promised and statutory dates,
    clock pauses) for the decided ones, then per (centre, accept day, delivered day, clock pauses) for the
    delivered ones. The working days and the names are joined per group, after grouping. Each group carries
    in_received / in_decided / in_delivered as a case row of case_rows_sql's `cr` and the columns those
    figures read (the others NULL): a query over it weighs every row by n (sqlparts.weighted).

    `cs` (NOT MATERIALIZED: each query's conditions reach yc.case_summary's indexes) is every summary row of
    the centres (the matter's name and statutory days looked up in `catj`, one jsonb constant of the
    catalogues, not joined: the planner cannot estimate `cat` and looped over it per case) with the columns the case-level queries read (overdue / near due now): case_no, centre_code, catalogue_version, matter_code, matter_name,
    clerk_name, window_no, outcome, status, received_day, promised_date, statutory_date, paused, stat_days."""
    window = "g.centre_code || '/' || g.window_no" if multi else "g.window_no"
    window_s = "s.centre_code || '/' || s.window_no" if multi else "s.window_no"

    def ord_of(day_col: str) -> str:
        return f"(o.j ->> (g.centre_code || '/' || {day_col}))::int"

    decided = ("s.centre_code, s.catalogue_version, s.matter_code, s.outcome, s.decided_day, s.accept_day, "
               "s.promised_date, s.statutory_date, s.pause_days, s.resume_days")
    delivered = "s.centre_code, s.accept_day, s.delivered_day, s.pause_days, s.resume_days"
    return f"""
WITH {CAT},
ords AS (SELECT {ords(calendars)} AS j),
cr AS (
  SELECT g.matter_code, coalesce(m.name, g.matter_code) AS matter_name, coalesce(m.mode, '') AS mode,
    coalesce(m.department, '') AS department, g.applicant_kind, coalesce(g.clerk_login, '') AS clerk_login,
    coalesce(g.first_actor, u.name, g.clerk_login, '') AS clerk_name, {window} AS window_no, g.centre_code,
    coalesce(cn.name, g.centre_code) AS centre_name, g.outcome, g.status, g.holiday, g.received_day,
    CASE WHEN g.decided THEN '*' END AS decided_day, NULL::text AS promised_date, NULL::text AS statutory_date,
    g.first_notice, g.visits, NULL::int AS wd_decision, NULL::int AS wd_promised, NULL::int AS wd_delivery,
    true AS in_received, false AS in_decided, false AS in_delivered, g.n
  FROM (SELECT {COUNTED_RECEIVED}, SUM(s.n)::int AS n FROM yc.case_counts_received s
        WHERE {SCOPE} AND s.received_day BETWEEN :f AND :t GROUP BY {COUNTED_RECEIVED} HAVING SUM(s.n) <> 0) g
  LEFT JOIN cat m ON m.version = g.catalogue_version AND m.code = g.matter_code
  LEFT JOIN yc.users u ON u.login = g.clerk_login
  LEFT JOIN yc.centres cn ON cn.code = g.centre_code
  UNION ALL
  SELECT g.matter_code, coalesce(m.name, g.matter_code), NULL, NULL, NULL, NULL, NULL, NULL, g.centre_code, NULL,
    g.outcome, NULL, NULL, NULL, g.decided_day, g.promised_date, g.statutory_date, NULL, NULL,
    {ord_of('g.decided_day')} - {ord_of('g.accept_day')} - sh.shift,
    {ord_of('g.promised_date')} - {ord_of('g.accept_day')} - sh.shift, NULL, false, true, false, g.n
  FROM (SELECT {decided}, SUM(s.n)::int AS n FROM yc.case_counts_decided s
        WHERE {SCOPE} AND s.decided_day BETWEEN :f AND :t GROUP BY {decided} HAVING SUM(s.n) <> 0) g
  CROSS JOIN ords o CROSS JOIN LATERAL (SELECT {_shift('g')} AS shift) sh
  LEFT JOIN cat m ON m.version = g.catalogue_version AND m.code = g.matter_code
  UNION ALL
  SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, g.centre_code, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
    NULL, NULL, NULL, NULL, NULL, {ord_of('g.delivered_day')} - {ord_of('g.accept_day')} - sh.shift,
    false, false, true, g.n
  FROM (SELECT {delivered}, SUM(s.n)::int AS n FROM yc.case_counts_delivered s
        WHERE s.centre_code = ANY(:centres) AND s.delivered_day BETWEEN :f AND :t GROUP BY {delivered}
        HAVING SUM(s.n) <> 0) g
  CROSS JOIN ords o CROSS JOIN LATERAL (SELECT {_shift('g')} AS shift) sh
),
catj AS (SELECT coalesce(jsonb_object_agg(version || '/' || code, jsonb_build_object('name', name, 'stat_days',
  stat_days)), '{{}}') AS j FROM cat WHERE version IS NOT NULL AND code IS NOT NULL),
cs AS NOT MATERIALIZED (
  SELECT s.case_no, s.centre_code, s.catalogue_version, s.matter_code,
    coalesce(cj.j -> (s.catalogue_version || '/' || s.matter_code) ->> 'name', s.matter_code) AS matter_name,
    coalesce(s.first_actor, u.name, s.clerk_login, '') AS clerk_name, {window_s} AS window_no, s.outcome,
    s.status, s.received_day, s.promised_date, s.statutory_date, s.paused,
    cj.j -> (s.catalogue_version || '/' || s.matter_code) ->> 'stat_days' AS stat_days
  FROM yc.case_summary s CROSS JOIN catj cj
  LEFT JOIN yc.users u ON u.login = s.clerk_login
  WHERE {SCOPE}
)"""


def legacy_case_rows_sql(calendars: dict[str, WorkdayCalendar], *, multi: bool) -> str:
    """The former reading (before c0013, kept for the comparison tests and the benchmark): the CTEs `cal`,
    `cat`, `st`, `sh`, `c1` and `cr` over the centres :centres (a text array), derived from yc.cases and the
    whole history of yc.case_steps at every report.

    cr has every column of the window's cr (see sqlparts.case_rows_sql) plus centre_code, centre_name and
    stat_days (the matter's statutory days). With several centres a window is named CENTRE/NN."""
    decided, closed, visits = _list(DECIDED_STATUSES), _list(CLOSED_STATUSES), _list(VISIT_EVENTS)
    window = "c.centre_code || '/' || c.window_no" if multi else "c.window_no"
    step_day = day("coalesce(s.client_at, s.at)")
    return f"""
WITH {cal_cte(calendars)},
{CAT},
st AS (
  SELECT s.case_no,
    MAX(CASE WHEN s.event = 'notice' THEN 1 ELSE 0 END) AS first_notice,
    SUM(CASE WHEN s.event IN ({visits}) THEN 1 ELSE 0 END)::int AS extra_visits,
    MIN(CASE WHEN s.event IN ('decision.approved', 'decision.denied') THEN {day('s.at')} END) AS ev_decided,
    MIN(CASE WHEN s.event = 'delivered' THEN {step_day} END) AS delivered_day,
    (array_agg(s.actor_name ORDER BY s.id) FILTER (WHERE s.actor_name <> '' AND s.window_no IS NOT NULL))[1]
      AS first_actor
  FROM yc.case_steps s WHERE s.centre_code = ANY(:centres)
  GROUP BY s.case_no
),
sh AS (
  SELECT r.case_no, SUM(kr.ord - kp.ord)::int AS shift
  FROM yc.case_steps r
  CROSS JOIN LATERAL (SELECT p.client_at, p.at FROM yc.case_steps p
                       WHERE p.case_no = r.case_no AND p.event = 'clock.paused' AND p.id < r.id
                       ORDER BY p.id DESC LIMIT 1) p
  JOIN cal kr ON kr.centre = r.centre_code AND kr.day = {day('coalesce(r.client_at, r.at)')}
  JOIN cal kp ON kp.centre = r.centre_code AND kp.day = {day('coalesce(p.client_at, p.at)')}
  WHERE r.event = 'clock.resumed' AND r.centre_code = ANY(:centres)
  GROUP BY r.case_no
),
c1 AS (
  SELECT c.case_no, c.centre_code, coalesce(cn.name, c.centre_code) AS centre_name, c.matter_code,
    coalesce(m.name, c.matter_code) AS matter_name, coalesce(m.mode, '') AS mode,
    coalesce(m.department, '') AS department, c.applicant_kind,
    coalesce(c.payload->>'clerk_login', '') AS clerk_login,
    coalesce(st.first_actor, u.name, c.payload->>'clerk_login', '') AS clerk_name,
    {window} AS window_no, c.outcome, c.status,
    CASE WHEN c.payload->>'holiday' = 'true' THEN 1 ELSE 0 END AS holiday,
    {day('c.received_at')} AS received_day,
    coalesce(substr(c.payload->>'complete_at', 1, 10), {day('c.received_at')}) AS accept_day,
    CASE WHEN c.status IN ({closed}) THEN NULL
         WHEN c.outcome = 'completed' THEN coalesce(substr(c.payload->>'complete_at', 1, 10), {day('c.received_at')})
         WHEN c.outcome = 'accepted' AND c.status IN ({decided}) THEN coalesce(
           {day("(c.decision->>'decided_at')::timestamptz")}, st.ev_decided, st.delivered_day)
    END AS decided_day,
    CASE WHEN c.status IN ({closed}) THEN NULL ELSE st.delivered_day END AS delivered_day,
    to_char(c.promised_date, 'YYYY-MM-DD') AS promised_date,
    to_char(c.statutory_date, 'YYYY-MM-DD') AS statutory_date,
    coalesce(sh.shift, 0) AS shift,
    coalesce(st.first_notice, 0) AS first_notice,
    1 + coalesce(st.extra_visits, 0) AS visits,
    m.stat_days,
    coalesce(c.payload->>'paused_since', '') <> '' AS paused
  FROM yc.cases c
  LEFT JOIN st ON st.case_no = c.case_no
  LEFT JOIN sh ON sh.case_no = c.case_no
  LEFT JOIN cat m ON m.version = c.catalogue_version AND m.code = c.matter_code
  LEFT JOIN yc.users u ON u.login = c.payload->>'clerk_login'
  LEFT JOIN yc.centres cn ON cn.code = c.centre_code
  WHERE c.centre_code = ANY(:centres) AND c.outcome <> 'consultation'
),
{CR}"""


def consultations_sql(*, multi: bool, legacy: bool = False) -> str:
    """Consultations of the period, grouped as tables.consultation_rows groups them, with the centre's code
    and name after the day (count last): yc.consultations and any case with the old outcome 咨询 (from
    yc.case_summary by its received day; legacy: from yc.cases, as before c0013). The consultations are
    grouped before the catalogue's names are joined (a matter's names follow from its code: the same rows)."""
    window_k = "k.centre_code || '/' || k.window_no" if multi else "k.window_no"
    window_c = "c.centre_code || '/' || c.window_no" if multi else "c.window_no"
    sql = f"""
, cur AS (SELECT DISTINCT ON (code) code, name, mode, department FROM cat ORDER BY code, published_at DESC)
SELECT k.matter_code, coalesce(m.name, ''), k.clerk_login, k.answered, coalesce(m.mode, ''),
  coalesce(m.department, ''), k.window_no, k.d, k.centre_code, coalesce(cn.name, k.centre_code), k.n
FROM (SELECT k.matter_code, k.clerk_login,
        coalesce(nullif(regexp_replace(k.answered_by, '（[^（）]*）$', ''), ''), k.clerk_login) AS answered,
        {window_k} AS window_no, {day('k.asked_at')} AS d, k.centre_code, count(*) AS n
      FROM yc.consultations k WHERE k.centre_code = ANY(:centres) AND {day('k.asked_at')} BETWEEN :f AND :t
      GROUP BY 1, 2, 3, 4, 5, 6) k
LEFT JOIN cur m ON m.code = k.matter_code LEFT JOIN yc.centres cn ON cn.code = k.centre_code
UNION ALL
SELECT c.matter_code, coalesce(m.name, ''), coalesce(c.payload->>'clerk_login', ''), coalesce(c.payload->>'clerk_login', ''),
  coalesce(m.mode, ''), coalesce(m.department, ''), {window_c}, {day('c.received_at')}, c.centre_code,
  coalesce(cn.name, c.centre_code), count(*)
FROM yc.cases c LEFT JOIN cat m ON m.version = c.catalogue_version AND m.code = c.matter_code
LEFT JOIN yc.centres cn ON cn.code = c.centre_code
WHERE c.centre_code = ANY(:centres) AND c.outcome = 'consultation' AND {day('c.received_at')} BETWEEN :f AND :t
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10"""
    if legacy:
        return sql
    return sql.replace(f"{day('k.asked_at')} BETWEEN :f AND :t", within("k.asked_at")).replace("coalesce(c.payload->>'clerk_login', '')", "coalesce(c.clerk_login, '')").replace(
        f"{day('c.received_at')}", "c.received_day").replace("FROM yc.cases c", "FROM yc.case_summary c")
