"""Central schema: three indexes for the centre's monthly statistics (issue 11).

Revision ID: c0016
Revises: c0015
Create Date: 2026-12-07

What changes (indexes, and a repair of ratings stored before c0005; no table, function or grant):
- ix_ratings_centre_rated on yc.ratings (centre_code, rated_at): the report reads the period's ratings of
  its centres by the ratings' own centre (a rating's centre is its case's: yc.apply_rating checks it since
  c0005) instead of joining every rating of the period to the centres' cases.
- Before c0005, yc.apply_rating checked only that the case existed and stored the rating with the rating
  window's centre: such a rating of another centre's case would now count in the wrong centre. The upgrade
  sets every rating's centre_code to its case's (the rating window stays in window_no); from c0005 on no
  write can make them differ again (a case never changes centre).
- ix_case_summary_consultation, partial on yc.case_summary (centre_code, received_day) WHERE outcome =
  'consultation': the few cases with the old outcome 咨询 (the consultations table's period rows read them, and
  the ratings of those cases are left out of the satisfaction figures by an anti join on them).
- ix_case_summary_pickup, partial on yc.case_summary (centre_code) WHERE the case is accepted and decided but
  not yet handed over: the loop's "awaiting pick-up" count, all periods, as an index-only count.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c0016"
down_revision: str | Sequence[str] | None = "c0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_ratings_centre_rated", "yc.ratings (centre_code, rated_at)"),
    ("ix_case_summary_consultation",
     "yc.case_summary (centre_code, received_day) WHERE outcome = 'consultation'"),
    ("ix_case_summary_pickup",
     "yc.case_summary (centre_code) WHERE outcome = 'accepted' AND status IN ('approved', 'denied', 'result_ready')"),
)


def upgrade() -> None:
    op.execute("UPDATE yc.ratings r SET centre_code = c.centre_code FROM yc.cases c "
               "WHERE c.case_no = r.case_no AND r.centre_code IS DISTINCT FROM c.centre_code")
    for name, on in INDEXES:
        op.execute(f"CREATE INDEX {name} ON {on}")


def downgrade() -> None:
    for name, _on in reversed(INDEXES):
        op.execute(f"DROP INDEX yc.{name}")
