"""Central schema v3: a rating per visit, and the windows' audit records.

- DOMAIN.md: "one rating per visit, tied to the case number". An applicant who rated the intake may rate
  again when the result is handed over. yc.ratings gains `occasion` ('intake' | 'handover'), its key
  becomes (case_no, occasion), and the rating apply takes the occasion from the payload ('intake' when an
  older window leaves it out).
- Issue 4: an audit record (a supervisor's override, a dead-letter resolution, a catalogue import) is an
  outbox operation like any change: sync.push accepts "audit.recorded" into yc.audit (RLS by centre).
  The push function is c0002's, with that one branch added (derived from c0002's text, not copied).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "c0003"
down_revision: str | Sequence[str] | None = "c0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REJECT = "USING ERRCODE = 'YC100'"

APPLY_RATING = f"""
CREATE OR REPLACE FUNCTION yc.apply_rating(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_occasion text := coalesce(p->>'occasion', 'intake');
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' {_REJECT};
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre THEN
        RAISE EXCEPTION 'centre mismatch' {_REJECT};
    END IF;
    IF v_occasion NOT IN ('intake', 'handover') THEN
        RAISE EXCEPTION 'occasion must be intake or handover' {_REJECT};
    END IF;
    PERFORM 1 FROM yc.cases WHERE case_no = p->>'case_no';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown case' {_REJECT};
    END IF;
    IF (p->>'overall')::int IS NULL OR (p->>'overall')::int NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'overall must be 1..5' {_REJECT};
    END IF;
    INSERT INTO yc.ratings (case_no, occasion, centre_code, window_no, overall, efficiency, service, attitude,
                            comment, rated_at)
    VALUES (p->>'case_no', v_occasion, p_centre, coalesce(p->>'window_no', p_window), (p->>'overall')::int,
            (p->>'efficiency')::int, (p->>'service')::int, (p->>'attitude')::int,
            coalesce(p->>'comment', ''), (p->>'rated_at')::timestamptz)
    ON CONFLICT (case_no, occasion) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'visit already rated' {_REJECT};
    END IF;
    RETURN jsonb_build_object('case_no', p->>'case_no', 'occasion', v_occasion, 'overall', (p->>'overall')::int);
END $$
"""

APPLY_AUDIT = f"""
CREATE FUNCTION yc.apply_audit(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' {_REJECT};
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre THEN
        RAISE EXCEPTION 'centre mismatch' {_REJECT};
    END IF;
    IF coalesce(p->>'action', '') = '' OR coalesce(p->>'actor', '') = '' THEN
        RAISE EXCEPTION 'audit record needs actor and action' {_REJECT};
    END IF;
    INSERT INTO yc.audit (centre_code, window_no, at, actor, action, ref, detail)
    VALUES (p_centre, coalesce(p->>'window_no', p_window), (p->>'at')::timestamptz, p->>'actor',
            p->>'action', coalesce(p->>'ref', ''), coalesce(p->>'detail', ''))
    RETURNING id INTO v_id;
    RETURN jsonb_build_object('audit_id', v_id);
END $$
"""

_AUDIT_BRANCH = (
    "            ELSIF v_kind = 'audit.recorded' THEN\n"
    "                v_result := yc.apply_audit(v_text::jsonb, v.centre_code, v.window_no);\n"
)
_UNKNOWN = "            ELSE\n                RAISE EXCEPTION 'unknown kind'"


def _push_sql(with_audit: bool) -> str:
    sql = next(x for x in _c0002().FUNCTIONS_SQL if "FUNCTION sync.push(" in x)
    if with_audit:
        assert sql.count(_UNKNOWN) == 1, "c0002's sync.push changed shape"
        sql = sql.replace(_UNKNOWN, _AUDIT_BRANCH + _UNKNOWN)
    return sql


_PK_NAME = """
SELECT conname FROM pg_constraint
 WHERE conrelid = 'yc.ratings'::regclass AND contype = 'p'
"""


def _drop_pk() -> None:
    op.execute(f"""
DO $$
DECLARE v text;
BEGIN
    {_PK_NAME.strip()} INTO v;
    EXECUTE format('ALTER TABLE yc.ratings DROP CONSTRAINT %I', v);
END $$""")


def upgrade() -> None:
    op.execute("ALTER TABLE yc.ratings ADD COLUMN occasion text NOT NULL DEFAULT 'intake'")
    op.execute("ALTER TABLE yc.ratings ADD CONSTRAINT ck_ratings_occasion CHECK (occasion IN ('intake', 'handover'))")
    _drop_pk()
    op.execute("ALTER TABLE yc.ratings ADD CONSTRAINT pk_ratings PRIMARY KEY (case_no, occasion)")
    op.execute(APPLY_RATING)

    op.execute("""
CREATE TABLE yc.audit (
    id bigserial CONSTRAINT pk_audit PRIMARY KEY,
    centre_code text NOT NULL REFERENCES yc.centres (code),
    window_no text NOT NULL,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    ref text NOT NULL DEFAULT '',
    detail text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL DEFAULT now()
)""")
    op.execute("CREATE INDEX ix_audit_centre_at ON yc.audit (centre_code, at)")
    op.execute("ALTER TABLE yc.audit OWNER TO yc_owner")
    op.execute("ALTER SEQUENCE yc.audit_id_seq OWNER TO yc_owner")
    op.execute("ALTER TABLE yc.audit ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE yc.audit FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY centre_isolation ON yc.audit "
               "USING (centre_code = current_setting('yc.centre', true)) "
               "WITH CHECK (centre_code = current_setting('yc.centre', true))")
    op.execute("GRANT SELECT ON yc.audit TO yc_admin")
    op.execute(APPLY_AUDIT)
    op.execute("ALTER FUNCTION yc.apply_audit(jsonb, text, text) OWNER TO yc_owner")
    op.execute("REVOKE ALL ON FUNCTION yc.apply_audit(jsonb, text, text) FROM PUBLIC")
    op.execute(_push_sql(with_audit=True))


def _c0002():
    path = Path(__file__).with_name("c0002_more_ops_blobs_streams.py")
    spec = importlib.util.spec_from_file_location("yc_central_c0002", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    op.execute(_push_sql(with_audit=False))
    op.execute("DROP FUNCTION yc.apply_audit(jsonb, text, text)")
    op.execute("DROP TABLE yc.audit")
    op.execute("DELETE FROM yc.ratings WHERE occasion <> 'intake'")
    _drop_pk()
    op.execute("ALTER TABLE yc.ratings ADD CONSTRAINT pk_ratings PRIMARY KEY (case_no)")
    op.execute("ALTER TABLE yc.ratings DROP CONSTRAINT ck_ratings_occasion")
    op.execute("ALTER TABLE yc.ratings DROP COLUMN occasion")
    old = next(sql for sql in _c0002().FUNCTIONS_SQL if "yc.apply_rating(" in sql)
    op.execute(old.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
