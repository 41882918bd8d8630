"""Central schema: one summary row per case, kept by its writers (the statistics read it, issue 11).

Revision ID: c0013
Revises: c0012
Create Date: 2026-12-07

What changes:
- yc.case_summary: per case what the central report's per-case rows derive from yc.cases and yc.case_steps
  (received / accept / decision / delivery days as the report's ISO day texts, centre, window, matter,
  catalogue version, applicant kind, clerk login and the name the first window step carried, outcome, status,
  holiday intake, promised and statutory dates, the first-visit notice flag, visits, paused now, and each
  clock pause's (paused day, resumed day) pair). What depends on a calendar (working days, the clock shift)
  or on a catalogue / user / centre name is NOT stored: the report joins it at read time, through the
  calendars and catalogues it already loads, so a calendar published later changes no stored row.
- Kept by statement-level triggers on yc.cases (INSERT, UPDATE, DELETE) and yc.case_steps (INSERT, UPDATE,
  DELETE), in the writer's own transaction: the rows of every touched case are recomputed whole from the
  tables (yc.refresh_case_summary), so a correction, a withdrawal, a void, a continuation at another window,
  a department decision or a hand-over leave the same row a fresh computation would. A statement touching
  a million cases recomputes them in one set-based statement (transition tables), not a million calls.
  Ratings, transfers, consultations and the material gaps are read as they are (small, per period).
- The trigger function is SECURITY DEFINER owned by yc_admin (BYPASSRLS): it runs alike inside the sync
  functions (yc_owner, one centre set) and in the administrator's SQL. Before recomputing rows for step
  changes it locks the cases' rows (FOR NO KEY UPDATE, in case-number order) so that two writers of one
  case cannot leave the older reading behind.
- Row-level security as yc.case_steps (centre_isolation, FORCEd); yc_admin reads. No grant to any window,
  office or reporting role: a window login can neither read nor change a summary row.
- Indexes: (centre_code, received_day), (centre_code, decided_day), (centre_code, delivered_day) and a partial
  index of the accepted cases still open or waiting for pick-up (what overdue / near due now and the loop read).
- Backfilled from every stored case.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop

revision: str = "c0013"
down_revision: str | Sequence[str] | None = "c0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = "Asia/Shanghai"


def _day(expr: str) -> str:
    return f"pg_catalog.to_char(({expr}) AT TIME ZONE '{TZ}', 'YYYY-MM-DD')"


COLUMNS = ("centre_code", "window_no", "matter_code", "catalogue_version", "applicant_kind", "clerk_login",
           "first_actor", "outcome", "status", "holiday", "received_day", "accept_day", "decided_day",
           "delivered_day", "promised_date", "statutory_date", "first_notice", "visits", "paused", "pause_days",
           "resume_days")

# the rows of the cases in @IDS@ (a subquery of case numbers), as centralsql's former c1 derived them
_ROWS = f"""
SELECT c.case_no, c.centre_code, c.window_no, c.matter_code, c.catalogue_version, c.applicant_kind,
    c.payload->>'clerk_login', st.first_actor, c.outcome, c.status,
    CASE WHEN c.payload->>'holiday' = 'true' THEN 1 ELSE 0 END,
    {_day('c.received_at')},
    coalesce(pg_catalog.substr(c.payload->>'complete_at', 1, 10), {_day('c.received_at')}),
    CASE WHEN c.status IN ('withdrawn', 'voided') THEN NULL
         WHEN c.outcome = 'completed' THEN coalesce(pg_catalog.substr(c.payload->>'complete_at', 1, 10),
                                                    {_day('c.received_at')})
         WHEN c.outcome = 'accepted' AND c.status IN ('approved', 'denied', 'result_ready', 'delivered')
           THEN coalesce({_day("(c.decision->>'decided_at')::timestamptz")}, st.ev_decided, st.delivered_day)
    END,
    CASE WHEN c.status IN ('withdrawn', 'voided') THEN NULL ELSE st.delivered_day END,
    pg_catalog.to_char(c.promised_date, 'YYYY-MM-DD'),
    pg_catalog.to_char(c.statutory_date, 'YYYY-MM-DD'),
    coalesce(st.first_notice, 0), 1 + coalesce(st.extra_visits, 0),
    coalesce(c.payload->>'paused_since', '') <> '',
    pz.pause_days, pz.resume_days
  FROM yc.cases c
  LEFT JOIN LATERAL (
    SELECT MAX(CASE WHEN s.event = 'notice' THEN 1 ELSE 0 END) AS first_notice,
      SUM(CASE WHEN s.event IN ('supplemented', 'gap.supplied') THEN 1 ELSE 0 END)::int AS extra_visits,
      MIN(CASE WHEN s.event IN ('decision.approved', 'decision.denied') THEN {_day('s.at')} END) AS ev_decided,
      MIN(CASE WHEN s.event = 'delivered' THEN {_day('coalesce(s.client_at, s.at)')} END) AS delivered_day,
      (pg_catalog.array_agg(s.actor_name ORDER BY s.id)
         FILTER (WHERE s.actor_name <> '' AND s.window_no IS NOT NULL))[1] AS first_actor
      FROM yc.case_steps s WHERE s.case_no = c.case_no AND s.centre_code = c.centre_code) st ON true
  LEFT JOIN LATERAL (
    SELECT pg_catalog.array_agg({_day('coalesce(p.client_at, p.at)')} ORDER BY r.id) AS pause_days,
      pg_catalog.array_agg({_day('coalesce(r.client_at, r.at)')} ORDER BY r.id) AS resume_days
      FROM yc.case_steps r
      CROSS JOIN LATERAL (SELECT p.client_at, p.at FROM yc.case_steps p
                           WHERE p.case_no = r.case_no AND p.event = 'clock.paused' AND p.id < r.id
                           ORDER BY p.id DESC LIMIT 1) p
     WHERE r.case_no = c.case_no AND r.event = 'clock.resumed' AND r.centre_code = c.centre_code) pz ON true
 WHERE c.case_no IN (@IDS@)"""

_UPSERT = ("INSERT INTO yc.case_summary AS t (case_no, " + ", ".join(COLUMNS) + ")" + _ROWS
           + "\nON CONFLICT (case_no) DO UPDATE SET (" + ", ".join(COLUMNS) + ", refreshed_at) = ("
           + ", ".join(f"EXCLUDED.{c}" for c in COLUMNS) + ", pg_catalog.now())")

_REFRESH = f"""
    IF TG_TABLE_NAME = 'case_steps' THEN
        -- two writers of one case: the second waits here, then reads what the first committed
        PERFORM 1 FROM yc.cases WHERE case_no IN (@IDS@) ORDER BY case_no FOR NO KEY UPDATE;
    END IF;
    DELETE FROM yc.case_summary t WHERE t.case_no IN (@IDS@)
       AND NOT EXISTS (SELECT 1 FROM yc.cases c WHERE c.case_no = t.case_no);
    {_UPSERT};"""

# One function per transition table (a trigger function cannot name a transition table its trigger lacks
# and be planned); each gathers the touched case numbers and refreshes them.


def _fn(name: str, source: str) -> SqlFunction:
    body = _REFRESH.replace("@IDS@", f"SELECT DISTINCT case_no FROM {source}")
    return SqlFunction(f"yc.{name}()", f"""
CREATE OR REPLACE FUNCTION yc.{name}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- runs inside the sync functions (yc_owner, one centre) and in the administrator's SQL alike
{body}
    RETURN NULL;
END $$
""", owner="yc_admin")


ON_NEW = _fn("case_summary_on_new", "new_rows")
ON_OLD = _fn("case_summary_on_old", "old_rows")
ON_BOTH = _fn("case_summary_on_both",
              "(SELECT case_no FROM new_rows UNION SELECT case_no FROM old_rows) AS touched")
FUNCTIONS = (ON_NEW, ON_OLD, ON_BOTH)

TRIGGERS = tuple(
    (f"tg_{table}_summary_{event.lower()}", table, event, referencing, fn)
    for table in ("cases", "case_steps")
    for event, referencing, fn in (("INSERT", "NEW TABLE AS new_rows", ON_NEW),
                                   ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", ON_BOTH),
                                   ("DELETE", "OLD TABLE AS old_rows", ON_OLD)))


def upgrade() -> None:
    op.execute("""
CREATE TABLE yc.case_summary (
    case_no text CONSTRAINT pk_case_summary PRIMARY KEY,
    centre_code text NOT NULL,
    window_no text NOT NULL,
    matter_code text NOT NULL,
    catalogue_version text,
    applicant_kind text,
    clerk_login text,
    first_actor text,
    outcome text NOT NULL,
    status text NOT NULL,
    holiday int NOT NULL,
    received_day text NOT NULL,
    accept_day text,
    decided_day text,
    delivered_day text,
    promised_date text,
    statutory_date text,
    first_notice int NOT NULL,
    visits int NOT NULL,
    paused boolean NOT NULL,
    pause_days text[],
    resume_days text[],
    refreshed_at timestamptz NOT NULL DEFAULT now()
)""")
    op.execute("CREATE INDEX ix_case_summary_centre_received ON yc.case_summary (centre_code, received_day)")
    op.execute("CREATE INDEX ix_case_summary_centre_decided ON yc.case_summary (centre_code, decided_day) "
               "WHERE decided_day IS NOT NULL")
    op.execute("CREATE INDEX ix_case_summary_centre_delivered ON yc.case_summary (centre_code, delivered_day) "
               "WHERE delivered_day IS NOT NULL")
    op.execute("CREATE INDEX ix_case_summary_open ON yc.case_summary (centre_code, promised_date) "
               "WHERE outcome = 'accepted' AND status IN ('received', 'signed', 'in_review', 'approved', "
               "'denied', 'result_ready')")
    op.execute("ALTER TABLE yc.case_summary OWNER TO yc_owner")
    op.execute("ALTER TABLE yc.case_summary ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE yc.case_summary FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY centre_isolation ON yc.case_summary "
               "USING (centre_code = current_setting('yc.centre', true)) "
               "WITH CHECK (centre_code = current_setting('yc.centre', true))")
    # yc_admin reads (the statistics) and, as the owner of the trigger functions, writes through them
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON yc.case_summary TO yc_admin")
    for fn in FUNCTIONS:
        create(fn)
    for name, table, event, referencing, fn in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON yc.{table} REFERENCING {referencing} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {fn.signature}")
    # backfill (the migration runs as a superuser: row security does not apply)
    op.execute("INSERT INTO yc.case_summary (case_no, " + ", ".join(COLUMNS) + ")"
               + _ROWS.replace("@IDS@", "SELECT case_no FROM yc.cases"))
    op.execute("ANALYZE yc.case_summary")


def downgrade() -> None:
    for name, table, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON yc.{table}")
    for fn in FUNCTIONS:
        drop(fn)
    op.execute("DROP TABLE yc.case_summary")
