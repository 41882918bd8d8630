"""The statistics of a period for one or several centres of a district, from the central PostgreSQL: the same
figures, tables and files as a window's centre scope (local.py), computed as the window computes them: the
period's summary rows grouped once with their count n (`cr`, centralsql.groups_sql), the shared table
queries weighed by n (sqlparts.weighted), the case-level queries over the summary rows (overdue now: `cs`;
pick-up, material gaps) or over the ratings by their own centre. The CSV streams the case rows (centralsql.case_rows_sql).

Read-only: one REPEATABLE READ, READ ONLY transaction (a consistent snapshot; allowed on a hot standby),
no temporary tables, nothing written. Reached with an administrator's URL (yc_admin or a superuser: the
tables are under row-level security by centre, which yc_admin bypasses)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from desktop.core.clock import SHANGHAI
from desktop.core.errors import BadInput, YichuangError
from desktop.core.stats import batch, local
from desktop.core.stats import centralsql as csql
from desktop.core.stats import tables as tbl
from desktop.core.stats.figures import Loop, Satisfaction, StatsReport, Table
from desktop.core.stats.sqlparts import READS_GROUPS, UNDECIDED_SQL, csv_sql, weighted
from desktop.core.workdays import WorkdayCalendar
from desktop.core.worklist import NEAR_DUE_WORKDAYS

CENTRE_CODE = re.compile(r"^[0-9]{6,12}$")

CAVEATS = (
    "统计取自中心数据库：窗口尚未同步到中心的办件、咨询和评价不在其中。",
    "中心数据库不记录结果的送达方式：办结件平均跑动次数不含到窗口领取结果的一次（窗口统计计入）。",
    "中心数据库不记录差评的整改责任人和整改期限。",
)


class _Query:
    """tables.py's query interface (all / one / here) over the central case rows."""

    def __init__(self, conn, head: str, params: dict[str, Any]):
        self.conn, self.head, self.params, self.here = conn, head, params, ""

    def all(self, body: str, **extra) -> list[tuple]:
        return [tuple(r) for r in self.conn.execute(text(self.head + "\n" + body), {**self.params, **extra})]

    def one(self, body: str, **extra) -> tuple:
        return tuple(0 if v is None else v for v in self.all(body, **extra)[0])


class _Weighed:
    """Another query interface's, with every query over `cr` (the groups of centralsql.groups_sql) weighed by
    the groups' n (sqlparts.weighted, the window's own)."""

    here = ""

    def __init__(self, q):
        self.q = q

    def all(self, body: str, **extra) -> list[tuple]:
        return self.q.all(weighted(body) if READS_GROUPS.search(body) else body, **extra)

    def one(self, body: str, **extra) -> tuple:
        return self.q.one(weighted(body) if READS_GROUPS.search(body) else body, **extra)


def check_centres(centres) -> tuple[str, ...]:
    out: list[str] = []
    for c in centres or ():
        c = (c or "").strip()
        if not CENTRE_CODE.match(c):
            raise BadInput("E_CENTRE_CODE", f"中心代码“{c}”应为 6 至 12 位数字（行政区划代码）", field="centre")
        if c not in out:
            out.append(c)
    if not out:
        raise BadInput("E_CENTRE_CODE", "请用 --centre 指定至少一个中心", field="centre")
    return tuple(out)


def calendars(conn, centres: tuple[str, ...]) -> dict[str, WorkdayCalendar]:
    """Each centre's calendar as its windows have it: per year, the later publication of the city-wide ('*')
    and the centre's own arrangement (a window keeps the last one it pulled)."""
    years = conn.execute(text("SELECT scope, year, published_at FROM yc.calendar_years WHERE scope = '*' "
                              "OR scope = ANY(:c)"), {"c": list(centres)}).all()
    days = conn.execute(text("SELECT scope, day, kind FROM yc.calendar_days WHERE scope = '*' OR scope = ANY(:c)"),
                        {"c": list(centres)}).all()
    out = {}
    for centre in centres:
        chosen: dict[int, tuple[datetime, str]] = {}
        for scope, year, at in years:
            if scope in ("*", centre) and (year not in chosen or (at, scope != "*") > (chosen[year][0],
                                                                                      chosen[year][1] != "*")):
                chosen[year] = (at, scope)
        overrides = {d: kind for scope, d, kind in days if d.year in chosen and chosen[d.year][1] == scope}
        out[centre] = WorkdayCalendar(years=set(chosen), overrides=overrides)
    return out


def _horizons(cals: dict[str, WorkdayCalendar], today: date) -> dict[str, date]:
    out = {}
    for centre, cal in cals.items():
        horizon = today
        for _ in range(NEAR_DUE_WORKDAYS):
            nxt = cal.try_add_workdays(horizon, 1)
            if nxt is None:
                break
            horizon = nxt
        out[centre] = horizon
    return out


def _due_now(q: _Query, horizons: dict[str, date], today: date) -> tuple[list[tuple], list[tuple], int, int]:
    """As local._due_now: undecided accepted cases past the promised date (red), due within 2 working days
    (yellow); neither a paused clock nor a 待定 date (no statutory date where the matter has one). The first
    tables.DUE_LISTED of each list, and how many each has."""
    head = f"""
, {csql.horizon_cte(horizons)}
SELECT {{what}}
FROM cs c JOIN hz ON hz.centre = c.centre_code
WHERE c.outcome = 'accepted' AND c.status IN ('received', 'signed', 'in_review') AND c.promised_date IS NOT NULL
  AND NOT c.paused AND (c.stat_days IS NULL OR c.statutory_date IS NOT NULL) AND {{cond}}"""
    return tbl.due_now(q, head, "c.case_no, c.matter_name, c.promised_date, c.clerk_name, c.window_no",
                       "c.promised_date, c.case_no", "c.promised_date < :today",
                       "c.promised_date BETWEEN :today AND hz.horizon", today=today.isoformat())


# The period's ratings of the centres' cases. A rating's centre_code IS its case's centre: yc.apply_rating
# (c0005 on) stores a rating only for `yc.cases WHERE case_no = .. AND centre_code = p_centre`, with
# centre_code = p_centre, and a case never changes centre (case.upsert refuses it). So the ratings are
# filtered by their own centre and period (ix_ratings_centre_rated, c0016); what the join with the centres'
# summary rows excluded besides is the ratings of cases with the old outcome 咨询 (not cases of the figures):
# excluded by an anti join against the centres' consultation rows (few; ix_case_summary_consultation).
RATED = f"""FROM yc.ratings r WHERE r.centre_code = ANY(:centres) AND {csql.within('r.rated_at')}
  AND NOT EXISTS (SELECT 1 FROM yc.case_summary k WHERE k.case_no = r.case_no AND k.centre_code = ANY(:centres)
                  AND k.outcome = 'consultation')"""
# the former reading's: the ratings joined to its case rows (`cx`, every non-咨询 case of the centres)
LEGACY_RATED = f"FROM yc.ratings r JOIN cx ON cx.case_no = r.case_no WHERE {csql.within('r.rated_at')}"


def _satisfaction(q: _Query, legacy: bool = False) -> Satisfaction:
    stars: dict[int, int] = {}
    occasions: dict[str, int] = {}
    rated = LEGACY_RATED if legacy else RATED
    for overall, occasion, n in q.all(f"SELECT r.overall, r.occasion, count(*) {rated} GROUP BY 1, 2"):
        stars[overall] = stars.get(overall, 0) + n
        occasions[occasion] = occasions.get(occasion, 0) + n
    return Satisfaction(by_stars=tuple((s, int(stars.get(s, 0))) for s in (5, 4, 3, 2, 1)),
                        by_occasion=tuple((o, int(occasions.get(o, 0))) for o in ("intake", "handover")))


BATCHES = f"FROM yc.transfers WHERE centre_code = ANY(:centres) AND {csql.within('created_at')}"


def _loop(q: _Query, legacy: bool = False) -> Loop:
    states = dict(q.all(f"SELECT state, count(*) {BATCHES} GROUP BY state"))
    # the centres' accepted cases decided and not handed over, any period (an index-only count, c0016)
    (pickup,) = q.one("SELECT count(*) FROM yc.case_summary s WHERE s.centre_code = ANY(:centres) "
                      "AND s.outcome = 'accepted' AND s.status IN ('approved', 'denied', 'result_ready')"
                      if not legacy else "SELECT count(*) FROM cs WHERE outcome = 'accepted' "
                      "AND status IN ('approved', 'denied', 'result_ready')")
    return Loop(waiting=states.get("waiting", 0), sent=states.get("sent", 0), signed=states.get("signed", 0),
                returned=states.get("returned", 0), awaiting_pickup=pickup)


#: the gaps of the period's received, not voided cases per (matter, catalogue version, material, state): a
#: gap row is unique per (case_no, code, state) (its key) and a case has one matter and version, so count(*)
#: counts each case once per material and state (no DISTINCT, no sort)
GAP_GROUPS = """
gv AS (
  SELECT s.matter_code, s.catalogue_version, g.code, g.state, count(*) AS n
  FROM yc.case_material_gaps g JOIN yc.case_summary s ON s.case_no = g.case_no
  WHERE g.centre_code = ANY(:centres) AND s.centre_code = ANY(:centres) AND s.outcome <> 'consultation'
    AND s.received_day BETWEEN :f AND :t AND s.status <> 'voided'
  GROUP BY s.matter_code, s.catalogue_version, g.code, g.state
)"""
LEGACY_GAP_GROUPS = """
gaps AS (
  SELECT g.case_no, g.code, g.state FROM yc.case_material_gaps g WHERE g.centre_code = ANY(:centres)
),
gv AS (
  SELECT cx.matter_code, cx.catalogue_version, g.code, g.state, count(DISTINCT g.case_no) AS n
  FROM gaps g JOIN cx ON cx.case_no = g.case_no AND cx.received_day BETWEEN :f AND :t AND cx.status <> 'voided'
  GROUP BY cx.matter_code, cx.catalogue_version, g.code, g.state
)"""


def _missing(q: _Query, legacy: bool = False) -> Table:
    """As tables._missing, from every version of the case the centre stored (yc.case_material_gaps, kept by a
    trigger since c0012): a material missing or defective in any version counts once per case. Counted per
    catalogue version first (a case has one), the catalogue's names joined to those few groups only."""
    rows = q.all(f"""
,{LEGACY_GAP_GROUPS if legacy else GAP_GROUPS}
SELECT gv.matter_code, MAX(coalesce(m.name, gv.matter_code)), gv.code, MAX(mt->>'name'), gv.state,
  MAX(mt->>'standard'), SUM(gv.n)::bigint
FROM gv LEFT JOIN cat m ON m.version = gv.catalogue_version AND m.code = gv.matter_code
LEFT JOIN LATERAL (SELECT x FROM jsonb_array_elements(CASE WHEN jsonb_typeof(m.materials) = 'array'
                   THEN m.materials ELSE '[]'::jsonb END) x WHERE x->>'code' = gv.code LIMIT 1) mm(mt) ON true
GROUP BY gv.matter_code, gv.code, gv.state
ORDER BY 7 DESC, 1, 3, 5 LIMIT 30""")
    return tbl.missing_table(rows)


def _bad_ratings(q: _Query, legacy: bool = False) -> Table:
    rated = LEGACY_RATED if legacy else RATED
    rows = q.all(f"""SELECT r.case_no, r.occasion, r.overall, r.comment, NULL, NULL {rated} AND r.overall <= 2
ORDER BY r.rated_at, r.case_no""")
    occasions = {"intake": "受理", "handover": "结果领取"}
    body = tuple((c, occasions.get(o, o), f"{s} 星", cm or "—", "—", "中心库无整改记录")
                 for c, o, s, cm, _owner, _due in rows)
    return Table("bad_ratings", "差评及整改", ("办件编号", "评价场合", "评价", "评价意见", "整改责任人", "整改状态"), body,
                 note="整改责任人和整改期限记录在受理窗口：请查看该窗口的统计。")


def _returned(q: _Query) -> Table:
    rows = q.all(f"""SELECT batch_no, department, {csql.day('created_at')}, {csql.day('closed_at')}, return_reason
{BATCHES} AND state = 'returned' ORDER BY batch_no""")
    return Table("returned", "退回的流转批次", ("批次号", "部门", "创建日期", "退回日期", "退回原因"),
                 tuple(tuple(r) for r in rows))


def _centre_names(conn, centres: tuple[str, ...]) -> dict[str, str]:
    names = dict(conn.execute(text("SELECT code, name FROM yc.centres WHERE code = ANY(:c)"),
                              {"c": list(centres)}).all())
    unknown = [c for c in centres if c not in names]
    if unknown:
        raise BadInput("E_CENTRE_UNKNOWN", f"中心数据库中没有中心 {'、'.join(unknown)}", field="centre")
    return names


def _connect(admin_url: str):
    from db.central.client import _sqlalchemy_url

    try:
        return create_engine(_sqlalchemy_url(admin_url), poolclass=NullPool)
    except (ValueError, ImportError) as e:
        raise BadInput("E_CENTRAL_URL", f"中心数据库地址无效：{e}", field="url") from e


def _reading(engine):
    """A connection in a read-only, repeatable-read transaction (one snapshot for every figure)."""
    from sqlalchemy.exc import OperationalError

    try:
        conn = engine.connect()
    except OperationalError as e:
        raise YichuangError("E_CENTRAL", f"无法连接中心数据库：{str(e.orig).strip()}") from e
    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    # The calendar is literal rows the planner cannot estimate: a merge join on it rescans it per case
    # (seconds at 20,000 cases); hash joins on it are linear. Work memory for the case rows' one pass.
    # SET LOCAL is allowed in a read-only transaction and on a hot standby, and ends with it.
    conn.execute(text("SET LOCAL enable_mergejoin = off"))
    conn.execute(text("SET LOCAL work_mem = '64MB'"))
    conn.execute(text("SET LOCAL jit = off"))  # compiling the one statement's ~600 expressions took 20 s
    sees_all = conn.execute(text("SELECT rolsuper OR rolbypassrls FROM pg_catalog.pg_roles "
                                 "WHERE rolname = current_user")).scalar()
    if not sees_all:  # row-level security would hide every centre's cases: an empty report is a wrong one
        conn.close()
        raise YichuangError("E_CENTRAL_ROLE", "此登录受行级安全限制，看不到各中心的办件：统计须用中心管理员的地址"
                            "（yc_admin 类登录，具有 BYPASSRLS 属性）")
    return conn


def _figures(q, horizons: dict[str, date], today: date, start: date, end: date, multi: bool, legacy: bool = False):
    consult = q.all(csql.consultations_sql(multi=multi, legacy=legacy))
    volumes = local.volumes(q, sum(int(r[-1]) for r in consult))
    overdue, near, n_overdue, n_near = _due_now(q, horizons, today)
    efficiency = local.efficiency(q, n_overdue, n_near)
    dims = [tbl.dimension(q, consult, *d) for d in tbl.DIMENSIONS if d[0] != "by_window"]
    if multi:
        dims.append(tbl.dimension(q, consult, "by_centre", "按中心", "centre_code", "centre_name", 8, 9, None))
    dims.append(tbl.dimension(q, consult, *next(d for d in tbl.DIMENSIONS if d[0] == "by_window")))
    report_tables = (*dims, tbl.holiday_table(q), tbl.timeliness(q), tbl.trend(q, consult, start, end),
                     _missing(q, legacy), _bad_ratings(q, legacy), _returned(q),
                     tbl.due_table(overdue, near, n_overdue, n_near))
    return volumes, efficiency, report_tables, _satisfaction(q, legacy), _loop(q, legacy), local.revisits(q)


#: the former reading's case rows as `cs` and `cx` (see centralsql.groups_sql)
LEGACY_CS = (",\ncs AS (SELECT cr.*, k.catalogue_version FROM cr JOIN yc.cases k ON k.case_no = cr.case_no),\n"
             "cx AS (SELECT * FROM cs)")


def compute(admin_url: str, *, centres, start: date, end: date, today: date | None = None,
            now: datetime | None = None, legacy: bool = False) -> StatsReport:
    """The figures of [start, end] over the cases of `centres` (figures.py gives the populations); `today`
    is the day 'now' means for overdue and near due (default: today in Shanghai). The groups and the case
    rows come from yc.case_summary (c0013) and every query runs in one statement (batch.py); legacy: the
    former reading,
    the case rows derived from yc.cases and yc.case_steps and one statement per query (for the comparison
    tests and the benchmark)."""
    centres = check_centres(centres)
    now = now or datetime.now(SHANGHAI).replace(tzinfo=None)
    today = today or now.date()
    start, end = local.check_period(start, end, today)
    multi = len(centres) > 1
    engine = _connect(admin_url)
    try:
        with _reading(engine) as conn:
            names = _centre_names(conn, centres)
            cals = calendars(conn, centres)
            # legacy: the former case rows, `cs` the same rows; else the period's groups `cr` and the case rows `cs`
            head = (csql.legacy_case_rows_sql(cals, multi=multi) + LEGACY_CS if legacy
                    else csql.groups_sql(cals, multi=multi))
            params = {"centres": list(centres), "f": start.isoformat(), "t": end.isoformat()}
            horizons = _horizons(cals, today)
            if legacy:
                figures = _figures(_Query(conn, head, params), horizons, today, start, end, multi, legacy=True)
            else:
                recorder = batch.Recorder()
                _figures(_Weighed(recorder), horizons, today, start, end, multi)
                figures = _figures(_Weighed(batch.Prefetched(conn, head, params, recorder.noted)), horizons, today,
                                   start, end, multi)
            volumes, efficiency, report_tables, satisfaction, loop, revisits = figures
            conn.rollback()
    finally:
        engine.dispose()
    first = cals[centres[0]]
    try:
        working_days = first.workdays_between(start - timedelta(days=1), end)
    except Exception:  # a year without a published calendar
        working_days = None
    return StatsReport(
        centre_code=centres[0] if not multi else "", centre_name="、".join(names[c] for c in centres),
        scope="centres" if multi else "centre", window_no="", centres=centres, period_from=start,
        period_to=end, generated_at=now, working_days=working_days, volumes=volumes, efficiency=efficiency,
        revisits=revisits, satisfaction=satisfaction, loop=loop, tables=report_tables, caveats=CAVEATS)


DUE_SQL = f"{UNDECIDED_SQL} AND NOT paused AND (stat_days IS NULL OR statutory_date IS NOT NULL)"


def case_rows(admin_url: str, *, centres, start: date, end: date, today: date | None = None,
              legacy: bool = False):
    """The case-level rows behind the figures and every case overdue or near due now (local.CSV_COLUMNS),
    streamed in case-number order (legacy: from the former reading, see compute)."""
    today = today or datetime.now(SHANGHAI).date()
    centres = check_centres(centres)
    engine = _connect(admin_url)
    try:
        with _reading(engine) as conn:
            cals = calendars(conn, centres)
            rows_sql = csql.legacy_case_rows_sql if legacy else csql.case_rows_sql
            head = rows_sql(cals, multi=len(centres) > 1) + f"\n, {csql.horizon_cte(_horizons(cals, today))}"
            params = {"centres": list(centres), "f": start.isoformat(), "t": end.isoformat(),
                      "today": today.isoformat()}
            sql = csv_sql(DUE_SQL, "hz.horizon", source="cr LEFT JOIN hz ON hz.centre = cr.centre_code")
            for row in conn.execution_options(stream_results=True, yield_per=2000).execute(text(head + sql), params):
                yield tuple(row)
            conn.rollback()
    finally:
        engine.dispose()


def report(admin_url: str, *, centres, start: date, end: date, today: date | None = None, prepared_by: str = "",
           pdf=None, xlsx=None, csv=None) -> StatsReport:
    """compute(), written as PDF / XLSX / CSV where asked (each whole or not at all)."""
    from desktop.core.stats import export
    from desktop.core.stats import pdf as pdf_out

    rep = compute(admin_url, centres=centres, start=start, end=end, today=today)
    for target, write in ((pdf, lambda p: p.write_bytes(pdf_out.render(rep, prepared_by=prepared_by))),
                          (xlsx, lambda p: export.write_xlsx(rep, p)),
                          (csv, lambda p: export.write_csv(local.CSV_COLUMNS, case_rows(
                              admin_url, centres=rep.centres, start=rep.period_from, end=rep.period_to,
                              today=today or rep.generated_at.date()), p))):
        if target is not None:
            export.atomically(target, write)
    return rep
