"""Central schema: what was missing, kept (the statistics' "where people come twice").

Revision ID: c0012
Revises: c0011
Create Date: 2026-12-06

What changes:
- yc.case_material_gaps (case_no, code, state, centre_code, first_version, first_at): every material a case
  ever had as missing or defective, once per (case, code, state), filled by a trigger on yc.cases whenever a
  version is stored. The `cases` stream keeps only each case's newest snapshot since c0008, so the materials
  missing at a first visit (and supplied at the next) were no longer visible at the centre; the central
  statistics read this table instead. Row-level security as yc.case_steps; yc_admin may read it.
- Backfill from the stored payloads and whatever `cases` snapshots are still in yc.changes (history that
  c0008 compacted away before this revision is lost: the statistics of those cases count what is left).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop

revision: str = "c0012"
down_revision: str | Sequence[str] | None = "c0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GAPS = """
    SELECT j->>'code' AS code, j->>'state' AS state
      FROM pg_catalog.jsonb_array_elements(
               CASE WHEN pg_catalog.jsonb_typeof(@P@->'materials') = 'array' THEN @P@->'materials'
                    ELSE '[]'::jsonb END) AS j
     WHERE j->>'state' IN ('missing', 'defective') AND coalesce(j->>'code', '') <> ''"""

RECORD_GAPS = SqlFunction("yc.record_material_gaps()", r"""
CREATE OR REPLACE FUNCTION yc.record_material_gaps() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- runs inside the sync functions (as yc_owner, with the centre set) and inside admin SQL
    INSERT INTO yc.case_material_gaps (case_no, code, state, centre_code, first_version)
    SELECT NEW.case_no, g.code, g.state, NEW.centre_code, NEW.version
      FROM (""" + _GAPS.replace("@P@", "NEW.payload") + r""") g
    ON CONFLICT (case_no, code, state) DO NOTHING;
    RETURN NULL;
END $$
""", owner="yc_owner")


def upgrade() -> None:
    op.execute("""
CREATE TABLE yc.case_material_gaps (
    case_no text NOT NULL CONSTRAINT fk_case_material_gaps_case_no_cases REFERENCES yc.cases (case_no),
    code text NOT NULL,
    state text NOT NULL,
    centre_code text NOT NULL,
    first_version int NOT NULL,
    first_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_case_material_gaps PRIMARY KEY (case_no, code, state),
    CONSTRAINT ck_case_material_gaps_state CHECK (state IN ('missing', 'defective'))
)""")
    op.execute("CREATE INDEX ix_case_material_gaps_centre ON yc.case_material_gaps (centre_code)")
    op.execute("ALTER TABLE yc.case_material_gaps OWNER TO yc_owner")
    op.execute("ALTER TABLE yc.case_material_gaps ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE yc.case_material_gaps FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY centre_isolation ON yc.case_material_gaps "
               "USING (centre_code = current_setting('yc.centre', true)) "
               "WITH CHECK (centre_code = current_setting('yc.centre', true))")
    op.execute("GRANT SELECT ON yc.case_material_gaps TO yc_admin")
    create(RECORD_GAPS)
    op.execute("CREATE TRIGGER tg_cases_material_gaps AFTER INSERT OR UPDATE OF payload ON yc.cases "
               "FOR EACH ROW EXECUTE FUNCTION yc.record_material_gaps()")
    # backfill (the migration runs as a superuser: row security does not apply)
    op.execute("""
INSERT INTO yc.case_material_gaps (case_no, code, state, centre_code, first_version)
SELECT k.case_no, g.code, g.state, k.centre_code, min(v.version)
  FROM yc.cases k
  CROSS JOIN LATERAL (SELECT k.payload AS p, k.version
                      UNION ALL
                      SELECT ch.data->'payload', coalesce((ch.data->>'version')::int, k.version)
                        FROM yc.changes ch
                       WHERE ch.stream = 'cases' AND ch.key = k.case_no AND ch.centre_code = k.centre_code) v
  CROSS JOIN LATERAL (""" + _GAPS.replace("@P@", "v.p") + """) g
 GROUP BY k.case_no, g.code, g.state, k.centre_code
ON CONFLICT DO NOTHING""")


def downgrade() -> None:
    op.execute("DROP TRIGGER tg_cases_material_gaps ON yc.cases")
    drop(RECORD_GAPS)
    op.execute("DROP TABLE yc.case_material_gaps")
