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


def _count(table: str, r: str) -> str:
    """One more case row `r` (NEW) in its group."""
    cols, cond = TABLES[table]
    names = ", ".join(c for c, _, _ in cols)
    values = ", ".join(v.format(r=r) for _, v, _ in cols)
    where = f" WHERE {cond.format(r=r)}" if cond else " WHERE true"  # the WHERE ends the SELECT before ON CONFLICT
    return (f"INSERT INTO {table} ({names}, n) SELECT {values}, 1{where}\n"
            f"  ON CONFLICT ({names}) DO UPDATE SET n = n + 1;\n")


def _uncount(table: str, r: str) -> str:
    """One case row `r` (OLD) fewer in its group; a group of none is deleted."""
    cols, cond = TABLES[table]
    match = " AND ".join(f"{c} = {v.format(r=r)}" for c, v, _ in cols)
    if cond:
        match = f"{cond.format(r=r)} AND {match}"
    return (f"UPDATE {table} SET n = n - 1 WHERE {match};\n"
            f"DELETE FROM {table} WHERE n <= 0 AND {match};\n")


TRIGGERS = {
    "cc_summary_ins": "AFTER INSERT ON case_summary BEGIN\n" + "".join(_count(t, "NEW") for t in TABLES) + "END",
    "cc_summary_del": "AFTER DELETE ON case_summary BEGIN\n" + "".join(_uncount(t, "OLD") for t in TABLES) + "END",
    "cc_summary_upd": ("AFTER UPDATE ON case_summary BEGIN\n" + "".join(_uncount(t, "OLD") for t in TABLES)
                       + "".join(_count(t, "NEW") for t in TABLES) + "END"),
}


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
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def downgrade() -> None:
    """Downgrade schema."""
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
