"""per-case summary tables for the statistics, kept by triggers

case_summary: one row per case (consultations apart) with what the statistics derive from the case, its
history events and its decision: received / accept / decided / delivered days, promised and statutory dates,
the clock shift, visits, the first-visit notice flag, whether the worklist counts it for overdue (clock not
paused, deadline not pending), and the grouping columns (centre, window, matter, catalogue version, applicant
kind, clerk, outcome, status, 节假日办理). Working days are NOT stored: they need the window calendar, and the
report counts them at report time through its temporary working-day ordinal table.

case_gaps: the materials of a case that were ever missing or defective in a version this window queued
(src 'o', from each `case.upsert` payload of the outbox) or are so now (src 'm', the current case_materials
row; removed when that row changes), so that the report never parses outbox payloads.

Both are kept by SQLite triggers on the tables the services write (cases, case_events, case_materials,
outbox): nothing can forget them, bulk inserts fill them too. A later migration that rebuilds one of these
tables (batch mode) drops its triggers and must create them again (tests/db check they exist at head).

Revision ID: 0013_case_summary
Revises: 0012_office_clock

"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0013_case_summary'
down_revision: Union[str, Sequence[str], None] = '0012_office_clock'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DECIDED = "'approved', 'denied', 'result_ready', 'delivered'"
CLOSED = "'withdrawn', 'voided'"
GAP_STATES = "'missing', 'defective'"

SUMMARY_TABLE = """
CREATE TABLE case_summary (
  case_no TEXT NOT NULL,
  centre_code TEXT NOT NULL, window_no TEXT NOT NULL,
  matter_code TEXT NOT NULL, matter_name TEXT NOT NULL, catalogue_version TEXT NOT NULL,
  applicant_kind TEXT NOT NULL, clerk_login TEXT NOT NULL, clerk_name TEXT NOT NULL,
  outcome TEXT NOT NULL, status TEXT NOT NULL, holiday INTEGER NOT NULL,
  received_day TEXT NOT NULL, accept_day TEXT, decided_day TEXT, delivered_day TEXT,
  promised_date TEXT, statutory_date TEXT, shift INTEGER NOT NULL,
  first_notice INTEGER NOT NULL, visits INTEGER NOT NULL, due_counted INTEGER NOT NULL, decided INTEGER NOT NULL,
  PRIMARY KEY (received_day, centre_code, window_no, matter_code, catalogue_version, applicant_kind, clerk_login,
               outcome, status, holiday, first_notice, visits, decided, case_no)
) WITHOUT ROWID"""

COLUMNS = ("case_no, centre_code, window_no, matter_code, matter_name, catalogue_version, applicant_kind, "
           "clerk_login, clerk_name, outcome, status, holiday, received_day, accept_day, decided_day, "
           "delivered_day, promised_date, statutory_date, shift, first_notice, visits, due_counted, decided")


def _events(where: str) -> str:
    """The per-case aggregate of the history events (as the report's former `ev` CTE)."""
    return f"""(SELECT e.case_no,
    MAX(CASE WHEN e.event = 'notice' THEN 1 ELSE 0 END) AS first_notice,
    SUM(CASE WHEN e.event IN ('supplemented', 'gap.supplied') THEN 1
             WHEN e.event = 'delivered' AND e.detail LIKE '%"how": "window"%' THEN 1 ELSE 0 END) AS extra_visits,
    MIN(CASE WHEN e.event IN ('decision.approved', 'decision.denied') THEN substr(e.at, 1, 10) END) AS ev_decided,
    MIN(CASE WHEN e.event = 'delivered' THEN substr(e.at, 1, 10) END) AS delivered_day
  FROM case_events e {where} GROUP BY e.case_no)"""


DECIDED_DAY = f"""CASE WHEN c.status IN ({CLOSED}) THEN NULL
       WHEN c.outcome = 'completed' THEN substr(COALESCE(c.complete_at, c.received_day), 1, 10)
       WHEN c.outcome = 'accepted' AND c.status IN ({DECIDED}) THEN COALESCE(
         substr(json_extract(NULLIF(c.decision_json, ''), '$.decided_at'), 1, 10), ev.ev_decided, ev.delivered_day)
  END"""


def summary_select(case_no: str | None) -> str:
    """The summary rows of one case (`case_no`: an SQL expression, NEW.case_no in a trigger) or of all."""
    ev_where = "" if case_no is None else f"WHERE e.case_no = {case_no}"
    where = "c.outcome != 'consultation'" + ("" if case_no is None else f" AND c.case_no = {case_no}")
    return f"""SELECT c.case_no, c.centre_code, c.window_no, c.matter_code, c.matter_name, c.catalogue_version,
  c.applicant_kind, c.clerk_login, c.clerk_name, c.outcome, c.status, CASE WHEN c.holiday THEN 1 ELSE 0 END,
  substr(c.received_day, 1, 10),
  substr(COALESCE(c.complete_at, c.received_day), 1, 10),
  {DECIDED_DAY},
  CASE WHEN c.status IN ({CLOSED}) THEN NULL ELSE ev.delivered_day END,
  substr(c.promised_date, 1, 10), substr(c.statutory_date, 1, 10), c.clock_shift_days,
  COALESCE(ev.first_notice, 0), 1 + COALESCE(ev.extra_visits, 0),
  CASE WHEN c.paused_since IS NULL AND NOT c.deadline_pending THEN 1 ELSE 0 END,
  ({DECIDED_DAY}) IS NOT NULL
FROM cases c LEFT JOIN {_events(ev_where)} ev ON ev.case_no = c.case_no
WHERE {where}"""


def _forget(key: str) -> str:
    return f"DELETE FROM case_summary WHERE case_no = {key};\n"


def _refresh(key: str) -> str:
    return _forget(key) + f"INSERT INTO case_summary ({COLUMNS}) {summary_select(key)};\n"


def _gap_select(src: str) -> str:
    return (f"SELECT NEW.ref, json_extract(j.value, '$.code'), json_extract(j.value, '$.state'), '{src}' "
            f"FROM json_each(NEW.payload, '$.materials') j "
            f"WHERE json_extract(j.value, '$.state') IN ({GAP_STATES}) AND json_extract(j.value, '$.code') IS NOT NULL")


TRIGGERS = {
    "cs_cases_ins": f"AFTER INSERT ON cases BEGIN\n{_refresh('NEW.case_no')}END",
    "cs_cases_upd": f"AFTER UPDATE ON cases BEGIN\n{_forget('OLD.case_no')}{_refresh('NEW.case_no')}END",
    "cs_cases_del": "AFTER DELETE ON cases BEGIN\nDELETE FROM case_summary WHERE case_no = OLD.case_no;\n"
                    "DELETE FROM case_gaps WHERE case_no = OLD.case_no;\nEND",
    "cs_events_ins": f"AFTER INSERT ON case_events BEGIN\n{_refresh('NEW.case_no')}END",
    "cs_events_upd": (f"AFTER UPDATE ON case_events BEGIN\n{_refresh('OLD.case_no')}"
                      f"{_refresh('NEW.case_no')}END"),
    "cs_events_del": f"AFTER DELETE ON case_events BEGIN\n{_refresh('OLD.case_no')}END",
    "cg_outbox_ins": ("AFTER INSERT ON outbox WHEN NEW.kind = 'case.upsert' AND json_valid(NEW.payload) BEGIN\n"
                      f"INSERT OR IGNORE INTO case_gaps (case_no, code, state, src) {_gap_select('o')};\nEND"),
    "cg_materials_ins": (f"AFTER INSERT ON case_materials WHEN NEW.state IN ({GAP_STATES}) BEGIN\n"
                         "INSERT OR IGNORE INTO case_gaps (case_no, code, state, src) "
                         "VALUES (NEW.case_no, NEW.code, NEW.state, 'm');\nEND"),
    "cg_materials_upd": ("AFTER UPDATE ON case_materials BEGIN\n"
                         "DELETE FROM case_gaps WHERE case_no = OLD.case_no AND code = OLD.code AND src = 'm';\n"
                         "INSERT OR IGNORE INTO case_gaps (case_no, code, state, src) "
                         f"SELECT NEW.case_no, NEW.code, NEW.state, 'm' WHERE NEW.state IN ({GAP_STATES});\nEND"),
    "cg_materials_del": ("AFTER DELETE ON case_materials BEGIN\n"
                         "DELETE FROM case_gaps WHERE case_no = OLD.case_no AND code = OLD.code AND src = 'm';\nEND"),
}

# The table is clustered by received day and then by what the figures of the received cases group by (its
# primary key): a period's intakes are one range of it, read in the order of their groups (no sort). The
# decided and the delivered cases of a period are read from indexes that hold every column those figures
# need, in the order of their groups; the cases of the ratings and of the material gaps from the case index.
INDEXES = {
    "ix_case_summary_case": "case_summary (case_no, centre_code, window_no, status, matter_code, matter_name)",
    "ix_case_summary_decided": ("case_summary (decided_day, centre_code, window_no, matter_code, outcome, "
                                "accept_day, promised_date, statutory_date, shift, matter_name) "
                                "WHERE decided_day IS NOT NULL"),
    "ix_case_summary_delivered": ("case_summary (delivered_day, centre_code, window_no, accept_day, shift) "
                                  "WHERE delivered_day IS NOT NULL"),
    # the overdue-now and near-due-now lists: undecided accepted cases with a promised date
    "ix_case_summary_due": ("case_summary (promised_date) WHERE outcome = 'accepted' "
                            "AND status IN ('received', 'signed', 'in_review') AND promised_date IS NOT NULL"),
    # the consultations recorded as cases (the old outcome 咨询), which the report reads from cases itself
    "ix_cases_consultation": "cases (centre_code, window_no) WHERE outcome = 'consultation'",
    # results waiting for pick-up
    "ix_case_summary_pickup": ("case_summary (centre_code, window_no) WHERE outcome = 'accepted' "
                               "AND status IN ('approved', 'denied', 'result_ready')"),
}


def upgrade() -> None:
    """Upgrade schema."""
    op.execute(SUMMARY_TABLE)
    op.execute("CREATE TABLE case_gaps (case_no TEXT NOT NULL, code TEXT NOT NULL, state TEXT NOT NULL, "
               "src TEXT NOT NULL, PRIMARY KEY (case_no, code, state, src)) WITHOUT ROWID")
    # backfill, then the triggers keep both
    op.execute(f"INSERT INTO case_summary ({COLUMNS}) {summary_select(None)}")
    op.execute("INSERT OR IGNORE INTO case_gaps (case_no, code, state, src) "
               "SELECT o.ref, json_extract(j.value, '$.code'), json_extract(j.value, '$.state'), 'o' "
               "FROM outbox o, json_each(o.payload, '$.materials') j "
               f"WHERE o.kind = 'case.upsert' AND json_valid(o.payload) AND json_extract(j.value, '$.state') IN "
               f"({GAP_STATES}) AND json_extract(j.value, '$.code') IS NOT NULL")
    op.execute("INSERT OR IGNORE INTO case_gaps (case_no, code, state, src) "
               f"SELECT case_no, code, state, 'm' FROM case_materials WHERE state IN ({GAP_STATES})")
    for name, body in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {body}")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    """Downgrade schema."""
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP INDEX IF EXISTS ix_cases_consultation")
    op.execute("DROP TABLE IF EXISTS case_gaps")
    op.execute("DROP TABLE IF EXISTS case_summary")
