"""per-day case counts for the statistics, kept by triggers on case_summary

The report of a period grouped the period's case_summary rows at every report (a million cases a month:
one second of the report's three). These tables hold those groups, counted as the summary rows come and go:

- case_counts_received: per received day and every column the figures of the received cases read
  (centre, window, matter, catalogue version and matter name, applicant kind, clerk and clerk name,
  outcome, status, 节假日办理, first-visit notice, visits, decided or not), with the count n;
- case_counts_decided: per decided day, centre, window, matter and matter name, outcome, accept day,
  promised and statutory dates and clock shift (what the on-time, early and working-day figures read);
- case_counts_delivered: per delivered day, centre, window, accept day and clock shift.

A NULL day is stored as '' (a primary key holds no NULL; no stored day is ever ''): readers turn it back
with NULLIF. The names are part of the key, so that MAX(name) over the counted rows is MAX(name) over the
cases. A row whose count reaches 0 is deleted. The triggers are on case_summary itself, which the triggers
of 0013 keep (a refresh deletes a case's row and inserts it again): whatever changes a case changes its
counts in the same transaction.

Two more are kept from both sides of a join the report made per row (a million probes at a million cases):
- gap_counts: per received day, centre, window, matter (code, catalogue version, name), voided or not, and
  material code and state, how many cases had that material missing or defective (a case once, whether
  case_gaps has it from the outbox, from case_materials or both); kept by triggers on case_gaps (the first
  or the last row of a case's material and state) and on case_summary (the case's row);
- rating_counts: per rated day, centre, window, overall stars and occasion, the ratings of cases that have
  a summary row (consultations have none); kept by triggers on ratings and on case_summary.
And the overdue / near-due counts read an index that holds due_counted (ix_case_summary_due, replaced).

A write must not use the REPLACE conflict resolution (INSERT OR REPLACE, REPLACE INTO) on case_summary,
case_gaps or ratings: with recursive_triggers off (SQLite's default, and the store's), the row REPLACE
deletes fires no DELETE trigger and its count would stay. No writer does (tests/db checks the sources).

Revision ID: 0014_case_counts
Revises: 0013_case_summary

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0014_case_counts'
down_revision: Union[str, Sequence[str], None] = '0013_case_summary'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# (table, [(column, its value from a case_summary row `{r}`, its type)], condition on `{r}` for a row to count)
TABLES = {
    "case_counts_received": ([
        ("received_day", "{r}.received_day", "TEXT"), ("centre_code", "{r}.centre_code", "TEXT"),
        ("window_no", "{r}.window_no", "TEXT"), ("matter_code", "{r}.matter_code", "TEXT"),
        ("catalogue_version", "{r}.catalogue_version", "TEXT"), ("matter_name", "{r}.matter_name", "TEXT"),
        ("applicant_kind", "{r}.applicant_kind", "TEXT"), ("clerk_login", "{r}.clerk_login", "TEXT"),
        ("clerk_name", "{r}.clerk_name", "TEXT"), ("outcome", "{r}.outcome", "TEXT"),
        ("status", "{r}.status", "TEXT"), ("holiday", "{r}.holiday", "INTEGER"),
        ("first_notice", "{r}.first_notice", "INTEGER"), ("visits", "{r}.visits", "INTEGER"),
        ("decided", "{r}.decided", "INTEGER"),
    ], None),
    "case_counts_decided": ([
        ("decided_day", "{r}.decided_day", "TEXT"), ("centre_code", "{r}.centre_code", "TEXT"),
        ("window_no", "{r}.window_no", "TEXT"), ("matter_code", "{r}.matter_code", "TEXT"),
        ("matter_name", "{r}.matter_name", "TEXT"), ("outcome", "{r}.outcome", "TEXT"),
        ("accept_day", "COALESCE({r}.accept_day, '')", "TEXT"),
        ("promised_date", "COALESCE({r}.promised_date, '')", "TEXT"),
        ("statutory_date", "COALESCE({r}.statutory_date, '')", "TEXT"), ("shift", "{r}.shift", "INTEGER"),
    ], "{r}.decided_day IS NOT NULL"),
    "case_counts_delivered": ([
        ("delivered_day", "{r}.delivered_day", "TEXT"), ("centre_code", "{r}.centre_code", "TEXT"),
        ("window_no", "{r}.window_no", "TEXT"), ("accept_day", "COALESCE({r}.accept_day, '')", "TEXT"),
        ("shift", "{r}.shift", "INTEGER"),
    ], "{r}.delivered_day IS NOT NULL"),
}


def _create(table: str) -> str:
    cols, _ = TABLES[table]
    body = ", ".join(f"{c} {t} NOT NULL" for c, _, t in cols)
    key = ", ".join(c for c, _, _ in cols)
    return f"CREATE TABLE {table} ({body}, n INTEGER NOT NULL, PRIMARY KEY ({key})) WITHOUT ROWID"


def _plus(table: str, key: str, select: str) -> str:
    """One more in the group (key) of each row `select` gives (its values, then 1). The SELECT must end with
    a WHERE: it ends the SELECT before ON CONFLICT."""
    return f"INSERT INTO {table} ({key}, n) {select}\n  ON CONFLICT ({key}) DO UPDATE SET n = n + 1;\n"


def _minus(table: str, key: str, values: str, where: str = "") -> str:
    """One fewer in the group (key) = (values) [FROM ... ] where `where`; a group of none is deleted."""
    match = f"({key}) = (SELECT {values} WHERE {where})" if where else f"({key}) = ({values})"
    return (f"UPDATE {table} SET n = n - 1 WHERE {match};\n"
            f"DELETE FROM {table} WHERE n <= 0 AND {match};\n")


def _count(table: str, r: str) -> str:
    """One more case row `r` (NEW) in its group."""
    cols, cond = TABLES[table]
    values = ", ".join(v.format(r=r) for _, v, _ in cols)
    return _plus(table, ", ".join(c for c, _, _ in cols), f"SELECT {values}, 1 WHERE {(cond or 'true').format(r=r)}")


def _uncount(table: str, r: str) -> str:
    """One case row `r` (OLD) fewer in its group."""
    cols, cond = TABLES[table]
    return _minus(table, ", ".join(c for c, _, _ in cols), ", ".join(v.format(r=r) for _, v, _ in cols),
                  cond.format(r=r) if cond else "")


TRIGGERS = {
    "cc_summary_ins": "AFTER INSERT ON case_summary BEGIN\n" + "".join(_count(t, "NEW") for t in TABLES) + "END",
    "cc_summary_del": "AFTER DELETE ON case_summary BEGIN\n" + "".join(_uncount(t, "OLD") for t in TABLES) + "END",
    "cc_summary_upd": ("AFTER UPDATE ON case_summary BEGIN\n" + "".join(_uncount(t, "OLD") for t in TABLES)
                       + "".join(_count(t, "NEW") for t in TABLES) + "END"),
}


# the group of case_summary row `{r}` in gap_counts, before the material's code and state
GAP_CASE = ("{r}.received_day, {r}.centre_code, {r}.window_no, {r}.matter_code, {r}.catalogue_version, "
            "{r}.matter_name, CASE WHEN {r}.status = 'voided' THEN 1 ELSE 0 END")
GAP_KEY = "received_day, centre_code, window_no, matter_code, catalogue_version, matter_name, voided, code, state"
GAP_TABLE = ("CREATE TABLE gap_counts (received_day TEXT NOT NULL, centre_code TEXT NOT NULL, window_no TEXT NOT NULL, "
             "matter_code TEXT NOT NULL, catalogue_version TEXT NOT NULL, matter_name TEXT NOT NULL, "
             "voided INTEGER NOT NULL, code TEXT NOT NULL, state TEXT NOT NULL, n INTEGER NOT NULL, "
             f"PRIMARY KEY ({GAP_KEY})) WITHOUT ROWID")
RATING_KEY = "rated_day, centre_code, window_no, overall, occasion"
RATING_TABLE = ("CREATE TABLE rating_counts (rated_day TEXT NOT NULL, centre_code TEXT NOT NULL, "
                "window_no TEXT NOT NULL, overall INTEGER NOT NULL, occasion TEXT NOT NULL, n INTEGER NOT NULL, "
                f"PRIMARY KEY ({RATING_KEY})) WITHOUT ROWID")


def _gap_case_plus(r: str) -> str:
    """The case row r (NEW) counted for each distinct material and state of its gaps."""
    return _plus("gap_counts", GAP_KEY, f"SELECT {GAP_CASE.format(r=r)}, g.code, g.state, 1 FROM "
                    f"(SELECT DISTINCT code, state FROM case_gaps WHERE case_no = {r}.case_no) g WHERE true")


def _gap_case_minus(r: str) -> str:
    case_key = GAP_KEY.removesuffix(", code, state")
    return (f"UPDATE gap_counts SET n = n - 1 WHERE ({case_key}) = ({GAP_CASE.format(r=r)}) "
            f"AND (code, state) IN (SELECT code, state FROM case_gaps WHERE case_no = {r}.case_no);\n"
            f"DELETE FROM gap_counts WHERE n <= 0 AND ({case_key}) = ({GAP_CASE.format(r=r)});\n")


def _only_src(r: str) -> str:
    """No other row of case_gaps says the same material and state of the case of r (OLD or NEW)."""
    return (f"NOT EXISTS (SELECT 1 FROM case_gaps x WHERE x.case_no = {r}.case_no AND x.code = {r}.code "
            f"AND x.state = {r}.state AND x.src != {r}.src)")


def _gap_row_plus(r: str) -> str:
    return _plus("gap_counts", GAP_KEY, f"SELECT {GAP_CASE.format(r='s')}, {r}.code, {r}.state, 1 FROM case_summary s "
                    f"WHERE s.case_no = {r}.case_no AND {_only_src(r)}")


def _gap_row_minus(r: str) -> str:
    return _minus("gap_counts", GAP_KEY, f"{GAP_CASE.format(r='s')}, {r}.code, {r}.state FROM case_summary s",
                  f"s.case_no = {r}.case_no AND {_only_src(r)}")


def _rating_row_plus(r: str) -> str:
    return _plus("rating_counts", RATING_KEY, f"SELECT substr({r}.rated_at, 1, 10), s.centre_code, s.window_no, "
                  f"{r}.overall, {r}.occasion, 1 FROM case_summary s WHERE s.case_no = {r}.case_no")


def _rating_row_minus(r: str) -> str:
    return _minus("rating_counts", RATING_KEY, f"substr({r}.rated_at, 1, 10), s.centre_code, s.window_no, "
                  f"{r}.overall, {r}.occasion FROM case_summary s", f"s.case_no = {r}.case_no")


def _rating_case_plus(r: str) -> str:
    return _plus("rating_counts", RATING_KEY, f"SELECT substr(x.rated_at, 1, 10), {r}.centre_code, {r}.window_no, "
                  f"x.overall, x.occasion, 1 FROM ratings x WHERE x.case_no = {r}.case_no")


def _rating_case_minus(r: str) -> str:
    # one rating per (case, occasion): each of the case's ratings is its own group member
    return (f"UPDATE rating_counts SET n = n - (SELECT count(*) FROM ratings x WHERE x.case_no = {r}.case_no "
            f"AND substr(x.rated_at, 1, 10) = rating_counts.rated_day AND x.overall = rating_counts.overall "
            f"AND x.occasion = rating_counts.occasion) WHERE centre_code = {r}.centre_code AND window_no = {r}.window_no "
            f"AND (rated_day, overall, occasion) IN (SELECT substr(x.rated_at, 1, 10), x.overall, x.occasion "
            f"FROM ratings x WHERE x.case_no = {r}.case_no);\n"
            f"DELETE FROM rating_counts WHERE n <= 0 AND centre_code = {r}.centre_code AND window_no = {r}.window_no "
            f"AND (rated_day, overall, occasion) IN (SELECT substr(x.rated_at, 1, 10), x.overall, x.occasion "
            f"FROM ratings x WHERE x.case_no = {r}.case_no);\n")


TRIGGERS.update({
    "gc_summary_ins": f"AFTER INSERT ON case_summary BEGIN\n{_gap_case_plus('NEW')}{_rating_case_plus('NEW')}END",
    "gc_summary_del": f"AFTER DELETE ON case_summary BEGIN\n{_gap_case_minus('OLD')}{_rating_case_minus('OLD')}END",
    "gc_summary_upd": (f"AFTER UPDATE ON case_summary BEGIN\n{_gap_case_minus('OLD')}{_rating_case_minus('OLD')}"
                       f"{_gap_case_plus('NEW')}{_rating_case_plus('NEW')}END"),
    "gc_gaps_ins": f"AFTER INSERT ON case_gaps BEGIN\n{_gap_row_plus('NEW')}END",
    "gc_gaps_del": f"AFTER DELETE ON case_gaps BEGIN\n{_gap_row_minus('OLD')}END",
    # a change of src alone changes no count (and the OLD test would find the row itself as "another")
    "gc_gaps_upd": ("AFTER UPDATE ON case_gaps WHEN (OLD.case_no, OLD.code, OLD.state) IS NOT "
                    f"(NEW.case_no, NEW.code, NEW.state) BEGIN\n{_gap_row_minus('OLD')}{_gap_row_plus('NEW')}END"),
    "rc_ratings_ins": f"AFTER INSERT ON ratings BEGIN\n{_rating_row_plus('NEW')}END",
    "rc_ratings_del": f"AFTER DELETE ON ratings BEGIN\n{_rating_row_minus('OLD')}END",
    "rc_ratings_upd": f"AFTER UPDATE ON ratings BEGIN\n{_rating_row_minus('OLD')}{_rating_row_plus('NEW')}END",
})

DUE_WHERE = ("WHERE outcome = 'accepted' AND status IN ('received', 'signed', 'in_review') "
             "AND promised_date IS NOT NULL")


def backfill(table: str) -> str:
    cols, cond = TABLES[table]
    names = ", ".join(c for c, _, _ in cols)
    values = ", ".join(v.format(r="s") for _, v, _ in cols)
    where = f" WHERE {cond.format(r='s')}" if cond else ""
    return f"INSERT INTO {table} ({names}, n) SELECT {values}, count(*) FROM case_summary s{where} GROUP BY {values}"


def upgrade() -> None:
    """Upgrade schema."""
    for table in TABLES:
        op.execute(_create(table))
        op.execute(backfill(table))
    op.execute(GAP_TABLE)
    op.execute(f"INSERT INTO gap_counts ({GAP_KEY}, n) SELECT {GAP_CASE.format(r='s')}, g.code, g.state, count(*) "
               "FROM (SELECT DISTINCT case_no, code, state FROM case_gaps) g JOIN case_summary s ON s.case_no = g.case_no "
               f"GROUP BY {GAP_CASE.format(r='s')}, g.code, g.state")
    op.execute(RATING_TABLE)
    op.execute(f"INSERT INTO rating_counts ({RATING_KEY}, n) SELECT substr(r.rated_at, 1, 10), s.centre_code, "
               "s.window_no, r.overall, r.occasion, count(*) FROM ratings r JOIN case_summary s ON s.case_no = r.case_no "
               "GROUP BY 1, 2, 3, 4, 5")
    op.execute("DROP INDEX ix_case_summary_due")
    op.execute(f"CREATE INDEX ix_case_summary_due ON case_summary (promised_date, due_counted) {DUE_WHERE}")
    op.execute("CREATE INDEX ix_ratings_bad ON ratings (rated_at) WHERE overall <= 2")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    """Downgrade schema."""
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP INDEX IF EXISTS ix_ratings_bad")
    op.execute("DROP INDEX IF EXISTS ix_case_summary_due")
    op.execute(f"CREATE INDEX ix_case_summary_due ON case_summary (promised_date) {DUE_WHERE}")
    for table in (*TABLES, "gap_counts", "rating_counts"):
        op.execute(f"DROP TABLE IF EXISTS {table}")
