"""Central schema v4: sync.push dispatches through a table of operation kinds; protocol 3.

Revision ID: c0004
Revises: c0003
Create Date: 2025-01-04

- yc.op_kinds (kind, apply_fn, introduced) is the centre's registry of operation kinds, the twin of the
  window's desktop/core/outbox/kinds.py (a test holds the two equal). Each kind has one apply function
  yc.apply_…(p jsonb, p_centre text, p_window text) RETURNS jsonb, SECURITY INVOKER, run only inside
  sync.push. Adding a kind is one revision that creates its apply function and inserts its row.
- sync.push reads the table once per call and runs each op's apply function; the set-based fast path
  for batches of new case.upsert / document.printed ops (yc.push_fast) is kept as it was.
- sync.handshake says protocol max(introduced) (3: c0003 added "audit.recorded" and the rating per
  visit without raising it) and still accepts protocol 1 clients.
- Functions are replaceable objects (db.central.replaceable): this module defines its functions whole;
  the definitions it replaces are kept by the database for the downgrade, never re-read from c0003.
Security is as before: SECURITY DEFINER with a pinned search_path, windows may only EXECUTE sync.*,
RLS per centre; the dispatch table belongs to yc_owner and no window can read or change it.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, ensure_history, replace, restore

revision: str = "c0004"
down_revision: str | Sequence[str] | None = "c0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIN_PROTOCOL = 1  # oldest client protocol still accepted
STREAMS_PROTOCOL = 2  # the protocol of the newest down stream (catalogue, calendar, users)

OP_KINDS = [  # kind, apply function, protocol that introduced it
    ("case.upsert", "yc.apply_case_upsert(jsonb, text, text)", 1),
    ("document.printed", "yc.apply_document_printed(jsonb, text, text)", 1),
    ("consultation.recorded", "yc.apply_consultation(jsonb, text, text)", 2),
    ("transfer.upsert", "yc.apply_transfer_upsert(jsonb, text, text)", 2),
    ("rating.recorded", "yc.apply_rating(jsonb, text, text)", 2),
    ("attachment.linked", "yc.apply_attachment_linked(jsonb, text, text)", 2),
    ("audit.recorded", "yc.apply_audit(jsonb, text, text)", 3),
]

HANDSHAKE = SqlFunction(
    "sync.handshake(int)",
    """
CREATE OR REPLACE FUNCTION sync.handshake(p_protocol int) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, yc, pg_temp AS $$
DECLARE
    v record;
    v_protocol int;
BEGIN
    SELECT greatest(@STREAMS_PROTOCOL@, max(k.introduced)) INTO v_protocol FROM yc.op_kinds k;
    IF p_protocol IS NULL OR p_protocol < @MIN_PROTOCOL@ THEN
        RAISE EXCEPTION '客户端版本过旧，请升级' USING ERRCODE = 'YC001',
            DETAIL = format('client protocol %s, server accepts %s..%s', p_protocol,
                            @MIN_PROTOCOL@, v_protocol);
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    RETURN jsonb_build_object(
        'protocol', v_protocol,
        'min_protocol', @MIN_PROTOCOL@,
        'schema', (SELECT version_num FROM public.alembic_version LIMIT 1),
        'server_time', now(),
        'centre_code', v.centre_code,
        'centre_name', (SELECT name FROM yc.centres WHERE code = v.centre_code),
        'window_no', v.window_no);
END $$
""".replace("@MIN_PROTOCOL@", str(MIN_PROTOCOL)).replace("@STREAMS_PROTOCOL@", str(STREAMS_PROTOCOL)),
)

PUSH = SqlFunction(
    "sync.push(jsonb)",
    r"""
CREATE OR REPLACE FUNCTION sync.push(p_ops jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, yc, pg_temp AS $$
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
    v_fast jsonb;
    v_calls jsonb;
    v_call text;
    v_out jsonb[] := '{}';
BEGIN
    IF jsonb_typeof(p_ops) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'p_ops must be a JSON array' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    -- Take the stream lock before touching any row: one lock order for every writer of a centre.
    PERFORM yc.lock_stream('case_status', v.centre_code);
    IF jsonb_array_length(p_ops) > 1 THEN
        BEGIN  -- one sub-transaction for the whole batch; any doubt rolls it back
            v_fast := yc.push_fast(p_ops, v.centre_code, v.window_no);
            RETURN v_fast;
        EXCEPTION
            WHEN serialization_failure OR deadlock_detected THEN
                RAISE;
            WHEN OTHERS THEN
                NULL;  -- fall through to the per-op loop, which gives every op its exact answer
        END;
    END IF;
    -- The dispatch table, read once per call: kind -> the statement that runs its apply function.
    SELECT coalesce(jsonb_object_agg(k.kind, format('SELECT %I.%I($1, $2, $3)', n.nspname, p.proname)),
                    '{}'::jsonb)
      INTO v_calls
      FROM yc.op_kinds k
      JOIN pg_catalog.pg_proc p ON p.oid = k.apply_fn
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace;
    FOR v_op IN SELECT e.value FROM jsonb_array_elements(p_ops) WITH ORDINALITY AS e(value, n)
                ORDER BY e.n LOOP
        v_id_text := v_op->>'op_id';
        v_kind := v_op->>'kind';
        v_text := v_op->>'payload';
        v_sha := lower(v_op->>'sha256');
        IF v_id_text IS NULL
           OR v_id_text !~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$'
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
            v_call := v_calls->>v_kind;
            IF v_call IS NULL THEN
                RAISE EXCEPTION 'unknown kind' USING ERRCODE = 'YC100';
            END IF;
            EXECUTE v_call INTO v_result USING v_text::jsonb, v.centre_code, v.window_no;
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
)

REPLACED = (HANDSHAKE, PUSH)


def upgrade() -> None:
    ensure_history()
    op.execute("""
CREATE TABLE yc.op_kinds (
    kind text CONSTRAINT pk_op_kinds PRIMARY KEY,
    apply_fn regprocedure NOT NULL,
    introduced int NOT NULL,
    CONSTRAINT ck_op_kinds_kind CHECK (kind ~ '^[a-z_]+\\.[a-z_]+$'),
    CONSTRAINT ck_op_kinds_introduced CHECK (introduced >= 1)
)""")
    op.execute("ALTER TABLE yc.op_kinds OWNER TO yc_owner")
    op.execute("GRANT SELECT ON yc.op_kinds TO yc_admin")
    values = ", ".join(f"('{kind}', '{fn}'::regprocedure, {introduced})" for kind, fn, introduced in OP_KINDS)
    op.execute(f"INSERT INTO yc.op_kinds (kind, apply_fn, introduced) VALUES {values}")
    for fn in REPLACED:
        replace(fn, revision=revision)


def downgrade() -> None:
    for fn in REPLACED:
        restore(fn, revision=revision)
    op.execute("DROP TABLE yc.op_kinds")
    op.execute("DROP TABLE yc.function_history")
