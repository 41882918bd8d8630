"""Central schema v1: yc tables, RLS by centre, the sync API functions, admin and reporting.

Revision ID: c0001
Revises:
Create Date: 2025-01-01

Security model (ARCHITECTURE decision 2):
- `yc_owner` (NOLOGIN, not superuser) owns schema yc, its tables, and the SECURITY DEFINER sync
  functions. RLS is ENABLEd and FORCEd, so even code running as yc_owner only sees rows whose
  centre_code equals the transaction setting `yc.centre`, which the sync functions set from the
  caller's session_user (yc.windows) and nothing else.
- `yc_window` (NOLOGIN group): USAGE on schema sync and EXECUTE on the three sync functions. Window
  login roles (`yc_w_<centre>_<window>`) are members; they have no table privilege at all.
- `yc_admin` (NOLOGIN, BYPASSRLS) owns the admin functions and the reporting view.
- `yc_reporting` (NOLOGIN): SELECT on reporting.cases only.
Roles are cluster-wide, so they are created only when missing (several databases in one cluster).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "c0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROTOCOL = 1  # the sync protocol this schema speaks
MIN_PROTOCOL = 1  # oldest client protocol still accepted

ROLES = {
    "yc_owner": "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
    "yc_admin": "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE BYPASSRLS",
    "yc_window": "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
    "yc_reporting": "NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
}

RLS_TABLES = ("cases", "documents", "ops", "changes")

_FN = "SET search_path = pg_catalog, yc, pg_temp"

FUNCTIONS_SQL = [
    # ---- internal helpers (owned by yc_owner; EXECUTE revoked from PUBLIC) ----------------------
    # They are SECURITY INVOKER and carry no SET search_path (a SET clause costs a GUC save/restore
    # per call, ~40 us, which dominated a 500-op push): they run only inside the SECURITY DEFINER
    # functions below, which pin search_path, and they schema-qualify every table anyway.
    """
CREATE FUNCTION yc.caller_window(OUT centre_code text, OUT window_no text)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT w.centre_code, w.window_no INTO centre_code, window_no
      FROM yc.windows w WHERE w.role_name = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION '登录角色 % 未登记为窗口', session_user USING ERRCODE = 'YC002';
    END IF;
    -- Every policy compares against this; is_local => it ends with the transaction.
    PERFORM set_config('yc.centre', centre_code, true);
END $$
""",
    # Ordering of yc.changes.seq: a change for (stream, centre) is only ever inserted while this
    # transaction-level advisory lock is held, and seq is drawn from the sequence *after* taking it.
    # The lock is released only after the commit is visible (ProcArrayEndTransaction precedes lock
    # release), so for one (stream, centre) seq order == commit order: when a reader's snapshot
    # shows seq N, every smaller seq of that stream and centre is already committed or rolled back.
    # Readers only ever read their own centre, so a checkpoint "last seq seen" never skips a row.
    # Gaps (rolled-back transactions, other centres) are harmless.
    """
CREATE FUNCTION yc.lock_stream(p_stream text, p_centre text) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext('yc.changes'), hashtext(p_stream || '/' || p_centre))
$$
""",
    """
CREATE FUNCTION yc.append_change(p_stream text, p_centre text, p_key text, p_data jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
BEGIN
    -- Same key as yc.lock_stream (inlined: this runs once per change). Re-entrant: callers
    -- normally hold it already; taking it again here keeps the invariant local to the insert.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('yc.changes'),
                                             pg_catalog.hashtext(p_stream || '/' || p_centre));
    INSERT INTO yc.changes (seq, stream, centre_code, key, data)
    VALUES (nextval('yc.changes_seq'), p_stream, p_centre, p_key, p_data)
    RETURNING seq INTO v_seq;
    RETURN v_seq;
END $$
""",
    """
CREATE FUNCTION yc.apply_case_upsert(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_case text := p->>'case_no';
    v_version int;
    v_inserted boolean;
    v_status text;
    v_outcome text;
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' USING ERRCODE = 'YC100';
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre OR p->>'window_no' IS DISTINCT FROM p_window THEN
        RAISE EXCEPTION 'centre mismatch' USING ERRCODE = 'YC100';
    END IF;
    IF coalesce(v_case, '') = '' THEN
        RAISE EXCEPTION 'missing case_no' USING ERRCODE = 'YC100';
    END IF;
    v_version := (p->>'version')::int;
    IF v_version IS NULL THEN
        RAISE EXCEPTION 'missing version' USING ERRCODE = 'YC100';
    END IF;
    INSERT INTO yc.cases AS c (case_no, centre_code, window_no, matter_code, catalogue_version, outcome,
                               status, received_at, promised_date, statutory_date, applicant_name,
                               applicant_kind, payload, version, updated_at)
    VALUES (v_case, p_centre, p_window, p->>'matter_code', p->>'catalogue_version', p->>'outcome',
            'received', (p->>'received_at')::timestamptz, (p->>'promised_date')::date,
            (p->>'statutory_date')::date, p->'applicant'->>'name', p->'applicant'->>'kind',
            p, v_version, now())
    ON CONFLICT (case_no) DO UPDATE
       SET window_no = excluded.window_no,
           matter_code = excluded.matter_code,
           catalogue_version = excluded.catalogue_version,
           outcome = excluded.outcome,
           received_at = excluded.received_at,
           promised_date = excluded.promised_date,
           statutory_date = excluded.statutory_date,
           applicant_name = excluded.applicant_name,
           applicant_kind = excluded.applicant_kind,
           payload = excluded.payload,
           version = excluded.version,
           updated_at = now()
     WHERE c.version < excluded.version
    RETURNING (c.xmax = 0), c.status, c.outcome INTO v_inserted, v_status, v_outcome;
    IF NOT FOUND THEN
        -- Either the stored version is newer or equal (a no-op, reported as such), or the row is
        -- another centre's: RLS hides it from this SELECT (and raised above had the WHERE matched).
        SELECT c.version INTO v_version FROM yc.cases c WHERE c.case_no = v_case;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'case_no belongs to another centre' USING ERRCODE = 'YC100';
        END IF;
        RETURN jsonb_build_object('case_no', v_case, 'action', 'stale', 'version', v_version);
    END IF;
    PERFORM yc.append_change('case_status', p_centre, v_case,
        jsonb_build_object('case_no', v_case, 'status', v_status, 'outcome', v_outcome));
    RETURN jsonb_build_object('case_no', v_case,
                              'action', CASE WHEN v_inserted THEN 'inserted' ELSE 'updated' END,
                              'version', v_version);
EXCEPTION
    WHEN insufficient_privilege THEN  -- RLS: the case number exists at another centre
        RAISE EXCEPTION 'case_no belongs to another centre' USING ERRCODE = 'YC100';
END $$
""",
    """
CREATE FUNCTION yc.apply_document_printed(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' USING ERRCODE = 'YC100';
    END IF;
    PERFORM 1 FROM yc.cases WHERE case_no = p->>'case_no' AND centre_code = p_centre;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown case' USING ERRCODE = 'YC100';
    END IF;
    INSERT INTO yc.documents (case_no, centre_code, kind, sha256, printed_at, reprint)
    VALUES (p->>'case_no', p_centre, p->>'kind', p->>'sha256', (p->>'printed_at')::timestamptz,
            coalesce((p->>'reprint')::int, 0))
    RETURNING id INTO v_id;
    RETURN jsonb_build_object('document_id', v_id);
END $$
""",
    # ---- the sync API: the only thing a window role may execute -------------------------------
    f"""
CREATE FUNCTION sync.handshake(p_protocol int) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER {_FN} AS $$
DECLARE
    v record;
BEGIN
    IF p_protocol IS NULL OR p_protocol < {MIN_PROTOCOL} THEN
        RAISE EXCEPTION '客户端版本过旧，请升级' USING ERRCODE = 'YC001',
            DETAIL = format('client protocol %s, server accepts %s..%s', p_protocol,
                            {MIN_PROTOCOL}, {PROTOCOL});
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    RETURN jsonb_build_object(
        'protocol', {PROTOCOL},
        'min_protocol', {MIN_PROTOCOL},
        'schema', (SELECT version_num FROM public.alembic_version LIMIT 1),
        'server_time', now(),
        'centre_code', v.centre_code,
        'centre_name', (SELECT name FROM yc.centres WHERE code = v.centre_code),
        'window_no', v.window_no);
END $$
""",
    f"""
CREATE FUNCTION sync.push(p_ops jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER {_FN} AS $$
DECLARE
    v record;
    v_op jsonb;
    v_id uuid;
    v_id_text text;
    v_kind text;
    v_text text;
    v_sha text;
    v_prev_sha text;
    v_prev_result jsonb;
    v_result jsonb;
    v_constraint text;
    v_out jsonb[] := '{{}}';
BEGIN
    IF jsonb_typeof(p_ops) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'p_ops must be a JSON array' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    -- Take the stream lock before touching any row: one lock order for every writer of a centre.
    PERFORM yc.lock_stream('case_status', v.centre_code);
    FOR v_op IN SELECT e.value FROM jsonb_array_elements(p_ops) WITH ORDINALITY AS e(value, n)
                ORDER BY e.n LOOP
        v_id_text := v_op->>'op_id';
        v_kind := v_op->>'kind';
        v_text := v_op->>'payload';
        v_sha := lower(v_op->>'sha256');
        IF v_id_text IS NULL
           OR v_id_text !~* '^[0-9a-f]{{8}}-?[0-9a-f]{{4}}-?[0-9a-f]{{4}}-?[0-9a-f]{{4}}-?[0-9a-f]{{12}}$'
           OR v_kind IS NULL OR v_text IS NULL OR v_sha IS NULL
           OR jsonb_typeof(v_op->'payload') <> 'string' THEN
            v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                 'reason', 'malformed op');
            CONTINUE;
        END IF;
        v_id := v_id_text::uuid;
        v_id_text := v_id::text;
        IF encode(sha256(convert_to(v_text, 'UTF8')), 'hex') <> v_sha THEN
            v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                 'reason', 'hash mismatch');
            CONTINUE;
        END IF;
        SELECT o.sha256, o.result INTO v_prev_sha, v_prev_result FROM yc.ops o WHERE o.op_id = v_id;
        IF FOUND THEN
            IF v_prev_sha = v_sha THEN
                v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'duplicate',
                                                     'result', v_prev_result);
            ELSE
                v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                    'reason', 'conflict: same op_id, different payload');
            END IF;
            CONTINUE;
        END IF;
        BEGIN  -- one sub-transaction per op: a bad op is rolled back alone
            IF v_kind = 'case.upsert' THEN
                v_result := yc.apply_case_upsert(v_text::jsonb, v.centre_code, v.window_no);
            ELSIF v_kind = 'document.printed' THEN
                v_result := yc.apply_document_printed(v_text::jsonb, v.centre_code, v.window_no);
            ELSE
                RAISE EXCEPTION 'unknown kind' USING ERRCODE = 'YC100';
            END IF;
            INSERT INTO yc.ops (op_id, centre_code, window_no, kind, sha256, result)
            VALUES (v_id, v.centre_code, v.window_no, v_kind, v_sha, v_result);
            v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'applied',
                                                 'result', v_result);
        EXCEPTION
            WHEN serialization_failure OR deadlock_detected THEN
                RAISE;  -- transient: the client retries the whole batch
            WHEN SQLSTATE 'YC100' THEN
                v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                     'reason', SQLERRM);
            WHEN unique_violation THEN
                GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
                -- The same op_id committed concurrently by another session: report it as stored.
                SELECT o.sha256, o.result INTO v_prev_sha, v_prev_result
                  FROM yc.ops o WHERE o.op_id = v_id;
                IF v_constraint = 'pk_ops' AND FOUND AND v_prev_sha = v_sha THEN
                    v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'duplicate',
                                                         'result', v_prev_result);
                ELSIF v_constraint = 'pk_ops' THEN
                    v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                        'reason', 'conflict: same op_id, different payload');
                ELSE
                    v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                         'reason', 'invalid payload: ' || SQLERRM);
                END IF;
            WHEN OTHERS THEN
                v_out := v_out || jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                     'reason', 'invalid payload: ' || SQLERRM);
        END;
    END LOOP;
    RETURN to_jsonb(v_out);
END $$
""",
    f"""
CREATE FUNCTION sync.pull(p_stream text, p_after bigint, p_limit int) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER {_FN} AS $$
DECLARE
    v record;
    v_rows jsonb;
    v_last bigint;
BEGIN
    SELECT * INTO v FROM yc.caller_window();
    SELECT coalesce(jsonb_agg(jsonb_build_object('seq', s.seq, 'key', s.key, 'data', s.data)
                              ORDER BY s.seq), '[]'::jsonb),
           max(s.seq)
      INTO v_rows, v_last
      FROM (SELECT c.seq, c.key, c.data FROM yc.changes c
             WHERE c.stream = p_stream AND c.centre_code = v.centre_code
               AND c.seq > coalesce(p_after, 0)
             ORDER BY c.seq
             LIMIT least(greatest(coalesce(p_limit, 1000), 1), 10000)) s;
    RETURN jsonb_build_object('rows', v_rows, 'last_seq', coalesce(v_last, p_after, 0));
END $$
""",
    # ---- back office ---------------------------------------------------------------------------
    f"""
CREATE FUNCTION admin.set_case_status(p_case_no text, p_status text, p_note text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER {_FN} AS $$
DECLARE
    v_centre text;
    v_outcome text;
    v_seq bigint;
BEGIN
    IF coalesce(p_status, '') = '' THEN
        RAISE EXCEPTION '办件状态不能为空' USING ERRCODE = '22023';
    END IF;
    SELECT centre_code INTO v_centre FROM yc.cases WHERE case_no = p_case_no;
    IF NOT FOUND THEN
        RAISE EXCEPTION '办件 % 不存在', p_case_no USING ERRCODE = 'P0002';
    END IF;
    PERFORM yc.lock_stream('case_status', v_centre);  -- same lock order as sync.push
    UPDATE yc.cases SET status = p_status, updated_at = now()
     WHERE case_no = p_case_no RETURNING outcome INTO v_outcome;
    v_seq := yc.append_change('case_status', v_centre, p_case_no,
        jsonb_build_object('case_no', p_case_no, 'status', p_status, 'outcome', v_outcome,
                           'note', p_note));
    RETURN jsonb_build_object('case_no', p_case_no, 'status', p_status, 'seq', v_seq);
END $$
""",
]

OWNED_BY_YC_OWNER = [
    "yc.caller_window(OUT text, OUT text)",
    "yc.lock_stream(text, text)",
    "yc.append_change(text, text, text, jsonb)",
    "yc.apply_case_upsert(jsonb, text, text)",
    "yc.apply_document_printed(jsonb, text, text)",
    "sync.handshake(int)",
    "sync.push(jsonb)",
    "sync.pull(text, bigint, int)",
]
SYNC_API = ["sync.handshake(int)", "sync.push(jsonb)", "sync.pull(text, bigint, int)"]
ADMIN_API = ["admin.set_case_status(text, text, text)"]


def _create_roles() -> None:
    for name, attrs in ROLES.items():
        op.execute(
            f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{name}') THEN
        CREATE ROLE {name} {attrs};
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- created concurrently by a migration of another database in this cluster
END $$"""
        )
    # Re-assert the attributes that matter for security, whatever an older cluster had.
    op.execute("ALTER ROLE yc_owner NOLOGIN NOSUPERUSER NOBYPASSRLS")
    op.execute("ALTER ROLE yc_window NOLOGIN NOSUPERUSER NOBYPASSRLS")


def _create_tables() -> None:
    ts = sa.TIMESTAMP(timezone=True)
    op.create_table(
        "centres",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        schema="yc",
    )
    op.create_table(
        "windows",
        sa.Column("centre_code", sa.Text, sa.ForeignKey("yc.centres.code"), primary_key=True),
        sa.Column("window_no", sa.Text, primary_key=True),
        sa.Column("role_name", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", ts, nullable=False, server_default=sa.func.now()),
        schema="yc",
    )
    op.create_table(
        "cases",
        sa.Column("case_no", sa.Text, primary_key=True),
        sa.Column("centre_code", sa.Text, sa.ForeignKey("yc.centres.code"), nullable=False),
        sa.Column("window_no", sa.Text, nullable=False),
        sa.Column("matter_code", sa.Text, nullable=False),
        sa.Column("catalogue_version", sa.Text),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="received"),
        sa.Column("received_at", ts, nullable=False),
        sa.Column("promised_date", sa.Date),
        sa.Column("statutory_date", sa.Date),
        sa.Column("applicant_name", sa.Text),
        sa.Column("applicant_kind", sa.Text),
        sa.Column("payload", pg.JSONB, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", ts, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("applicant_kind IN ('person', 'enterprise')", name="applicant_kind"),
        schema="yc",
    )
    op.create_index(
        op.f("ix_cases_centre_code_received_at"), "cases", ["centre_code", "received_at"], schema="yc"
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.BigInteger, sa.Identity(always=False), primary_key=True),
        sa.Column("case_no", sa.Text, sa.ForeignKey("yc.cases.case_no"), nullable=False),
        sa.Column("centre_code", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text),
        sa.Column("printed_at", ts),
        sa.Column("reprint", sa.Integer, nullable=False, server_default="0"),
        schema="yc",
    )
    op.create_index(op.f("ix_documents_case_no"), "documents", ["case_no"], schema="yc")
    op.create_table(
        "ops",
        sa.Column("op_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("centre_code", sa.Text, nullable=False),
        sa.Column("window_no", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("result", pg.JSONB),
        sa.Column("applied_at", ts, nullable=False, server_default=sa.func.now()),
        schema="yc",
    )
    op.execute("CREATE SEQUENCE yc.changes_seq AS bigint")
    op.create_table(
        "changes",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("stream", sa.Text, nullable=False),
        sa.Column("centre_code", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("data", pg.JSONB, nullable=False),
        sa.Column("created_at", ts, nullable=False, server_default=sa.func.now()),
        schema="yc",
    )
    op.create_index(
        op.f("ix_changes_stream_centre_code_seq"), "changes", ["stream", "centre_code", "seq"], schema="yc"
    )


def upgrade() -> None:
    _create_roles()
    op.execute("CREATE SCHEMA yc AUTHORIZATION yc_owner")
    op.execute("CREATE SCHEMA sync AUTHORIZATION yc_owner")
    op.execute("CREATE SCHEMA admin AUTHORIZATION yc_admin")
    op.execute("CREATE SCHEMA reporting AUTHORIZATION yc_admin")
    for schema in ("yc", "sync", "admin", "reporting"):
        op.execute(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
    _create_tables()
    for table in ("centres", "windows", *RLS_TABLES):
        op.execute(f"ALTER TABLE yc.{table} OWNER TO yc_owner")
    op.execute("ALTER SEQUENCE yc.changes_seq OWNER TO yc_owner")
    for table in RLS_TABLES:
        op.execute(f"ALTER TABLE yc.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE yc.{table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY centre_isolation ON yc.{table} "
            "USING (centre_code = current_setting('yc.centre', true)) "
            "WITH CHECK (centre_code = current_setting('yc.centre', true))"
        )
    # The owner reads the schema revision for the handshake.
    op.execute("GRANT SELECT ON public.alembic_version TO yc_owner")
    # yc_admin (BYPASSRLS) works across centres for the back office and the reporting view.
    op.execute("GRANT USAGE ON SCHEMA yc TO yc_admin")
    op.execute("GRANT SELECT ON ALL TABLES IN SCHEMA yc TO yc_admin")
    op.execute("GRANT INSERT, UPDATE ON yc.cases, yc.changes, yc.centres, yc.windows TO yc_admin")
    op.execute("GRANT USAGE ON SEQUENCE yc.changes_seq TO yc_admin")

    for stmt in FUNCTIONS_SQL:
        op.execute(stmt)
    for fn in OWNED_BY_YC_OWNER:
        op.execute(f"ALTER FUNCTION {fn} OWNER TO yc_owner")
    for fn in ADMIN_API:
        op.execute(f"ALTER FUNCTION {fn} OWNER TO yc_admin")
    for schema in ("yc", "sync", "admin"):
        op.execute(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {schema} FROM PUBLIC")
    op.execute(
        "GRANT EXECUTE ON FUNCTION yc.lock_stream(text, text), "
        "yc.append_change(text, text, text, jsonb) TO yc_admin"
    )
    op.execute("GRANT USAGE ON SCHEMA sync TO yc_window")
    op.execute(f"GRANT EXECUTE ON FUNCTION {', '.join(SYNC_API)} TO yc_window")

    op.execute(
        "CREATE VIEW reporting.cases WITH (security_barrier) AS "
        "SELECT case_no, centre_code, window_no AS window_code, matter_code, outcome, received_at "
        "FROM yc.cases"
    )
    op.execute("ALTER VIEW reporting.cases OWNER TO yc_admin")
    op.execute("GRANT USAGE ON SCHEMA reporting TO yc_reporting")
    op.execute("GRANT SELECT ON reporting.cases TO yc_reporting")


def downgrade() -> None:
    for schema in ("reporting", "admin", "sync", "yc"):
        op.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    op.execute("REVOKE ALL ON public.alembic_version FROM yc_owner")
    # Cluster roles (yc_owner, yc_admin, yc_window, yc_reporting, window logins) stay: other
    # databases in the cluster may use them.
