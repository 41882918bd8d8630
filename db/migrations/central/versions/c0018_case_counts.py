"""Central schema: the statistics' groups counted by the writers (issue 11).

Revision ID: c0018
Revises: c0017
Create Date: 2026-12-07

The centre's report grouped the period's yc.case_summary rows at every report: at a million cases a month
1.5 s of its 2.6 s statement (a scan of the month and a 14-column hash aggregate, then the decided and the
delivered parts). These tables hold those groups, counted as the summary rows come and go:

- yc.case_counts_received: per centre, window, catalogue version, matter, applicant kind, clerk login, the
  name the intake step carried, outcome, the status's class (withdrawn, voided or '*': all the received
  figures read), 节假日办理, received day, first-visit notice, visits, decided or not;
- yc.case_counts_decided: per centre, catalogue version, matter, outcome, decided and accept days, promised
  and statutory dates, the clock's pause and resume days (what the working-day figures need);
- yc.case_counts_delivered: per centre, accept and delivered days, pause and resume days.

Cases with the old outcome 咨询 are not counted (no figure reads them). Each row also names its `writer`
(session_user: the window's, the department's or the administrator's login; 'backfill' for the rows the
upgrade made): a statement adds its changes to its own login's rows, so two logins never wait on, or
deadlock over, one count row. (The sync functions and the office's decisions already take one advisory
lock per centre, so those two never run at once; the split keeps any other writer, an administrator's
SQL included, off their rows.) A group's count is the sum over its writers, which the report takes
(GROUP BY the key, HAVING sum <> 0); a writer's row may be negative (it moved a case another login
counted). A row that reaches 0 stays: every group a case ever passed through leaves one, so the tables
grow with the versions pushed, not only with the cases; `DELETE FROM yc.case_counts_... WHERE n = 0` is
safe at any time (docs/operations.md).

TRUNCATE of yc.case_summary (owner or superuser only) fires no trigger: the counts would stay; empty them
with it. The upgrade locks yc.case_summary against writers until it commits (SHARE ROW EXCLUSIVE), so that
no write falls between the backfill and the triggers. The status class is the report's
(centralsql.STATUS_CLASS, over sqlparts.CLOSED_STATUSES; a test holds them equal).

Kept by statement-level triggers on yc.case_summary (INSERT, UPDATE, DELETE; transition tables), which
c0013's triggers keep from yc.cases and yc.case_steps in the writer's own transaction: the counts move
with the summary rows, in one set-based statement per table. The functions are SECURITY DEFINER owned by
yc_admin, as c0013's; the tables are under row-level security like yc.case_summary, no grant to a window,
office or reporting role. Backfilled from every summary row.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop

revision: str = "c0018"
down_revision: str | Sequence[str] | None = "c0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CLASS = "CASE WHEN {r}.status IN ('withdrawn','voided') THEN {r}.status ELSE '*' END"

# table -> ([(column, type, its value from a summary row {r})], the day column, which rows it counts)
TABLES = {
    "case_counts_received": ([
        ("centre_code", "text NOT NULL", "{r}.centre_code"), ("window_no", "text NOT NULL", "{r}.window_no"),
        ("catalogue_version", "text", "{r}.catalogue_version"), ("matter_code", "text NOT NULL", "{r}.matter_code"),
        ("applicant_kind", "text", "{r}.applicant_kind"), ("clerk_login", "text", "{r}.clerk_login"),
        ("first_actor", "text", "{r}.first_actor"), ("outcome", "text NOT NULL", "{r}.outcome"),
        ("status", "text NOT NULL", STATUS_CLASS), ("holiday", "int NOT NULL", "{r}.holiday"),
        ("received_day", "text NOT NULL", "{r}.received_day"), ("first_notice", "int NOT NULL", "{r}.first_notice"),
        ("visits", "int NOT NULL", "{r}.visits"), ("decided", "boolean NOT NULL", "({r}.decided_day IS NOT NULL)"),
    ], "received_day", "true"),
    "case_counts_decided": ([
        ("centre_code", "text NOT NULL", "{r}.centre_code"), ("catalogue_version", "text", "{r}.catalogue_version"),
        ("matter_code", "text NOT NULL", "{r}.matter_code"), ("outcome", "text NOT NULL", "{r}.outcome"),
        ("decided_day", "text NOT NULL", "{r}.decided_day"), ("accept_day", "text", "{r}.accept_day"),
        ("promised_date", "text", "{r}.promised_date"), ("statutory_date", "text", "{r}.statutory_date"),
        ("pause_days", "text[]", "{r}.pause_days"), ("resume_days", "text[]", "{r}.resume_days"),
    ], "decided_day", "{r}.decided_day IS NOT NULL"),
    "case_counts_delivered": ([
        ("centre_code", "text NOT NULL", "{r}.centre_code"), ("accept_day", "text", "{r}.accept_day"),
        ("delivered_day", "text NOT NULL", "{r}.delivered_day"), ("pause_days", "text[]", "{r}.pause_days"),
        ("resume_days", "text[]", "{r}.resume_days"),
    ], "delivered_day", "{r}.delivered_day IS NOT NULL"),
}


def _names(table: str) -> str:
    return ", ".join(c for c, _, _ in TABLES[table][0])


def _values(table: str, r: str) -> str:
    return ", ".join(v.format(r=r) for _, _, v in TABLES[table][0])


def _where(table: str, r: str) -> str:
    return f"{r}.outcome <> 'consultation' AND {TABLES[table][2].format(r=r)}"


def _apply(table: str, sources: tuple[tuple[str, int], ...]) -> str:
    """Add each source's rows (+1 new_rows, -1 old_rows) to this login's counts, in key order (so that two
    statements of one login lock its rows in one order). A row left at 0 stays: deleting it would cost every
    write a search for such rows (or an index on n, which would take the counts' updates off HOT)."""
    names = _names(table)
    named = ", ".join(f"{v.format(r='r')} AS {c}" for c, _, v in TABLES[table][0])
    parts = " UNION ALL ".join(f"SELECT {named}, {d} AS d FROM {src} r WHERE {_where(table, 'r')}"
                               for src, d in sources)
    return f"""
    INSERT INTO yc.{table} AS t (writer, {names}, n)
    SELECT session_user, {names}, pg_catalog.sum(d)::int FROM ({parts}) x
     GROUP BY {names} HAVING pg_catalog.sum(d) <> 0 ORDER BY {names}
    ON CONFLICT (writer, {names}) DO UPDATE SET n = t.n + EXCLUDED.n;"""


def _fn(name: str, sources: tuple[tuple[str, int], ...]) -> SqlFunction:
    body = "".join(_apply(t, sources) for t in TABLES)
    return SqlFunction(f"yc.{name}()", f"""
CREATE OR REPLACE FUNCTION yc.{name}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- runs inside c0013's summary triggers, whoever the writer (a window, a department, an administrator)
{body}
    RETURN NULL;
END $$
""", owner="yc_admin")


ON_NEW = _fn("case_counts_on_new", (("new_rows", 1),))
ON_OLD = _fn("case_counts_on_old", (("old_rows", -1),))
ON_BOTH = _fn("case_counts_on_both", (("new_rows", 1), ("old_rows", -1)))
FUNCTIONS = (ON_NEW, ON_OLD, ON_BOTH)
TRIGGERS = (("tg_case_summary_counts_insert", "INSERT", "NEW TABLE AS new_rows", ON_NEW),
            ("tg_case_summary_counts_update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", ON_BOTH),
            ("tg_case_summary_counts_delete", "DELETE", "OLD TABLE AS old_rows", ON_OLD))


def upgrade() -> None:
    # writers wait from here to the end of the migration's transaction: a write committed while the tables
    # were filled would be in neither the backfill nor the triggers (reads go on)
    op.execute("LOCK TABLE yc.case_summary IN SHARE ROW EXCLUSIVE MODE")
    for table, (cols, day, _) in TABLES.items():
        body = ", ".join(f"{c} {t}" for c, t, _ in cols)
        op.execute(f"CREATE TABLE yc.{table} (writer text NOT NULL, {body}, n int NOT NULL)")
        op.execute(f"CREATE UNIQUE INDEX ux_{table} ON yc.{table} (writer, {_names(table)}) NULLS NOT DISTINCT")
        op.execute(f"CREATE INDEX ix_{table}_day ON yc.{table} (centre_code, {day})")
        op.execute(f"ALTER TABLE yc.{table} OWNER TO yc_owner")
        op.execute(f"ALTER TABLE yc.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE yc.{table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY centre_isolation ON yc.{table} "
                   "USING (centre_code = current_setting('yc.centre', true)) "
                   "WITH CHECK (centre_code = current_setting('yc.centre', true))")
        # yc_admin reads (the statistics) and, as the owner of the trigger functions, writes through them
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON yc.{table} TO yc_admin")
        # backfill (the migration runs as a superuser: row security does not apply)
        op.execute(f"INSERT INTO yc.{table} (writer, {_names(table)}, n) SELECT 'backfill', {_values(table, 's')}, "
                   f"count(*)::int FROM yc.case_summary s WHERE {_where(table, 's')} GROUP BY {_values(table, 's')}")
        op.execute(f"ANALYZE yc.{table}")
    for fn in FUNCTIONS:
        create(fn)
    for name, event, referencing, fn in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON yc.case_summary REFERENCING {referencing} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {fn.signature}")


def downgrade() -> None:
    for name, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON yc.case_summary")
    for fn in FUNCTIONS:
        drop(fn)
    for table in TABLES:
        op.execute(f"DROP TABLE yc.{table}")
