"""Central schema: the push's fast path, faster (issue 13, "Push speed" in docs/performance.md).

Revision ID: c0014
Revises: c0012
Create Date: 2026-12-07

What changes: yc.push_fast only, redefined whole from its current body (c0008's), keeping every check it
makes (the forged department step words, the matter in its catalogue version, the published catalogue, the
case number's centre and window, the chain, known ops and cases; anything unusual still raises YC199 and
sync.push answers op by op through apply_case_upsert, which keeps the next-version and base_window_no
rules). What it saves per batch (docs/performance.md, "Push speed": on the 2-core test machine the time
inside the function was not measurably lower, 1.20 s against 1.23 s for 10,000 cases):
- the published-catalogue check runs once per distinct catalogue version of the batch, not once per case;
- each new case's two change rows (`case_status`, `cases`) come from one lookup of the case and its step,
  the snapshot written inline instead of a call per case to yc.case_snapshot (a SQL function PostgreSQL
  does not inline: a function call and an executor start per case); for a new case it is what yc.case_snapshot gives
  (tests/sync/test_push_speed.py compares them). Joins of the batch with itself are avoided: PostgreSQL
  plans a PL/pgSQL array's unnest as one row, and a nested loop over 1,000 rows twice is quadratic;
- the document ids are drawn only when the batch has documents.
The function is a replaceable object (db/central/replaceable.py): the downgrade puts c0008's body back.
"""

from __future__ import annotations

from collections.abc import Sequence

from db.central.replaceable import SqlFunction, replace, restore

revision: str = "c0014"
down_revision: str | Sequence[str] | None = "c0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# the values c0008 wrote into this function (unchanged)
MAX_PAYLOAD = 256 * 1024
CLOCK_TOLERANCE_S = 300
# the department's step words: a window may not record them
_RESERVED = r"'^(review|decision|transfer)\.'"


def _sql(text: str) -> str:
    for key, value in {"@MAX_PAYLOAD@": str(MAX_PAYLOAD), "@TOLERANCE@": str(CLOCK_TOLERANCE_S),
                       "@RESERVED@": _RESERVED}.items():
        text = text.replace(key, value)
    assert "@" not in text.replace("@@", ""), "an unreplaced placeholder"
    return text


PUSH_FAST = SqlFunction("yc.push_fast(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.push_fast(p_ops jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_rows yc.fast_op[];
    v_n int;
    v_ids uuid[];
    v_distinct_ids int;
    v_cases int;
    v_distinct_cases int;
    v_inserted int;
    v_bad boolean;
    v_unpublished boolean;
    v_docs boolean;
    v_orphans text[];
    v_key bytea;
    v_head_seq bigint;
    v_head_mac text;
    v_chain_ok boolean;
    v_out jsonb;
BEGIN
    SELECT w.chain_seq, w.chain_mac, k.window_key INTO v_head_seq, v_head_mac, v_key
      FROM yc.windows w
      LEFT JOIN yc.window_keys k ON k.centre_code = w.centre_code AND k.window_no = w.window_no
                                AND k.retired_at IS NULL
     WHERE w.centre_code = p_centre AND w.window_no = p_window;
    v_rows := ARRAY(
        WITH e AS MATERIALIZED (
            SELECT e.n::int AS n, e.value->>'op_id' AS op_id, e.value->>'kind' AS kind,
                   pg_catalog.lower(e.value->>'sha256') AS sha, e.value->>'payload' AS text,
                   e.value->>'chain_seq' AS cseq, pg_catalog.lower(e.value->>'chain_prev') AS cprev,
                   pg_catalog.lower(e.value->>'chain_mac') AS cmac
              FROM pg_catalog.jsonb_array_elements(p_ops) WITH ORDINALITY AS e(value, n)
             WHERE e.value->>'kind' IN ('case.upsert', 'document.printed')
               AND pg_catalog.jsonb_typeof(e.value->'payload') = 'string'
               AND pg_catalog.octet_length(e.value->>'payload') <= @MAX_PAYLOAD@),
        j AS MATERIALIZED (
            SELECT e.*, e.text::jsonb AS p FROM e
             WHERE pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(e.text, 'UTF8')), 'hex') = e.sha)
        SELECT ROW(j.n, j.op_id::uuid, j.kind, j.sha, j.p, j.p->>'case_no', NULL::bigint,
                   j.cseq::bigint, j.cprev, j.cmac)::yc.fast_op
          FROM j ORDER BY j.n);
    v_n := coalesce(pg_catalog.array_length(v_rows, 1), 0);
    IF v_n <> pg_catalog.jsonb_array_length(p_ops) THEN
        RAISE EXCEPTION 'not for the fast path' USING ERRCODE = 'YC199';
    END IF;
    SELECT array_agg(f.op_id), count(DISTINCT f.op_id),
           count(*) FILTER (WHERE f.kind = 'case.upsert'),
           count(DISTINCT f.case_no) FILTER (WHERE f.kind = 'case.upsert'),
           bool_or(pg_catalog.jsonb_typeof(f.p) <> 'object' OR coalesce(f.case_no, '') = ''
                   OR (f.kind = 'case.upsert' AND (f.p->>'centre_code' IS DISTINCT FROM p_centre
                       OR f.p->>'window_no' IS DISTINCT FROM p_window OR f.p->>'version' IS NULL
                       OR pg_catalog.jsonb_typeof(f.p->'step') NOT IN ('object', 'null')
                       OR pg_catalog.lower(pg_catalog.btrim(coalesce(f.p->'step'->>'event', ''))) ~ @RESERVED@
                       OR NOT EXISTS (SELECT 1 FROM yc.catalogue_matters m
                                       WHERE m.version = f.p->>'catalogue_version' AND m.code = f.p->>'matter_code')
                       OR (f.p->>'status' = 'delivered' AND f.p->>'outcome' IS DISTINCT FROM 'completed')
                       OR NOT yc.case_no_belongs(f.case_no, p_centre, p_window))))
      INTO v_ids, v_distinct_ids, v_cases, v_distinct_cases, v_bad
      FROM unnest(v_rows) f;
    -- c0014: the published-catalogue check once per distinct version of the batch's cases (c0008: per case)
    SELECT coalesce(bool_or(NOT yc.catalogue_published(v.version, p_centre)), false) INTO v_unpublished
      FROM (SELECT DISTINCT f.p->>'catalogue_version' AS version FROM unnest(v_rows) f
             WHERE f.kind = 'case.upsert') v;
    IF v_key IS NOT NULL THEN  -- a bound window: every op extends the head, in batch order
        SELECT bool_and(c.cseq = v_head_seq + c.rn AND c.cprev = c.expected_prev
                        AND c.cmac = yc.chain_mac(v_key, c.cseq, c.cprev, c.op_id::text, c.kind, c.sha))
          INTO v_chain_ok
          FROM (SELECT f.*, pg_catalog.row_number() OVER (ORDER BY f.n) AS rn,
                       coalesce(pg_catalog.lag(f.cmac) OVER (ORDER BY f.n), v_head_mac) AS expected_prev
                  FROM unnest(v_rows) f) c;
        IF NOT coalesce(v_chain_ok, false)
           OR EXISTS (SELECT 1 FROM yc.chain ch WHERE ch.op_id = ANY (v_ids)) THEN
            RAISE EXCEPTION 'not for the fast path' USING ERRCODE = 'YC199';
        END IF;
    END IF;
    SELECT array_agg(DISTINCT d.case_no) INTO v_orphans
      FROM (SELECT f.case_no, f.kind, f.n,
                   min(f.n) FILTER (WHERE f.kind = 'case.upsert') OVER (PARTITION BY f.case_no) AS first_case
              FROM unnest(v_rows) f) d
     WHERE d.kind = 'document.printed' AND (d.first_case IS NULL OR d.first_case > d.n);
    IF v_bad OR v_unpublished OR v_distinct_ids <> v_n OR v_distinct_cases <> v_cases
       OR yc.known_ops(v_ids)
       OR (v_orphans IS NOT NULL AND yc.known_cases(v_orphans) <> pg_catalog.cardinality(v_orphans))
    THEN
        RAISE EXCEPTION 'not for the fast path' USING ERRCODE = 'YC199';
    END IF;
    INSERT INTO yc.cases (case_no, centre_code, window_no, matter_code, catalogue_version, outcome,
                          status, received_at, promised_date, statutory_date, applicant_name,
                          applicant_kind, payload, version, updated_at, centre_received_at, clock_skew_s,
                          clock_flag, department, last_window_no)
    SELECT f.case_no, p_centre, p_window, f.p->>'matter_code', f.p->>'catalogue_version', f.p->>'outcome',
           CASE WHEN f.p->>'status' IN ('delivered', 'withdrawn', 'voided') THEN f.p->>'status' ELSE 'received' END,
           f.received_at, (f.p->>'promised_date')::date, (f.p->>'statutory_date')::date,
           f.p->'applicant'->>'name', f.p->'applicant'->>'kind', f.p, (f.p->>'version')::int,
           pg_catalog.now(), pg_catalog.now(), f.skew, abs(f.skew) > @TOLERANCE@, m.department, p_window
      FROM (SELECT g.*, (g.p->>'received_at')::timestamptz AS received_at,
                   pg_catalog.round(extract(epoch FROM (g.p->>'received_at')::timestamptz - pg_catalog.now()))::int
                       AS skew
              FROM unnest(v_rows) g WHERE g.kind = 'case.upsert') f
      LEFT JOIN yc.catalogue_matters m ON m.version = f.p->>'catalogue_version' AND m.code = f.p->>'matter_code'
     ORDER BY f.n
    ON CONFLICT (case_no) DO NOTHING;
    GET DIAGNOSTICS v_inserted = ROW_COUNT;
    IF v_inserted <> v_cases THEN  -- a case number seen before (at any centre)
        RAISE EXCEPTION 'a case exists already' USING ERRCODE = 'YC199';
    END IF;
    INSERT INTO yc.case_steps (case_no, centre_code, version, event, window_no, department, actor_login,
                               actor_name, client_at, detail)
    SELECT f.case_no, p_centre, (f.p->>'version')::int,
           pg_catalog.left(coalesce(nullif(f.p->'step'->>'event', ''), 'case.received'), 64), p_window, NULL,
           coalesce(f.p->'step'->>'clerk_login', f.p->>'clerk_login', ''), coalesce(f.p->'step'->>'clerk_name', ''),
           (f.p->'step'->>'at')::timestamptz,
           pg_catalog.jsonb_build_object('status', c.status, 'backup_for', coalesce(f.p->'step'->>'backup_for', ''))
      FROM unnest(v_rows) f JOIN yc.cases c ON c.case_no = f.case_no
     WHERE f.kind = 'case.upsert' ORDER BY f.n;
    SELECT bool_or(f.kind = 'document.printed') INTO v_docs FROM unnest(v_rows) f;
    IF v_docs THEN  -- c0014: the document ids only when the batch has documents
        v_rows := ARRAY(
            SELECT ROW(f.n, f.op_id, f.kind, f.sha, f.p, f.case_no,
                       CASE WHEN f.kind = 'document.printed'
                            THEN pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('yc.documents', 'id')) END,
                       f.cseq, f.cprev, f.cmac)::yc.fast_op
              FROM unnest(v_rows) f ORDER BY f.n);
        INSERT INTO yc.documents (id, case_no, centre_code, kind, sha256, printed_at, reprint)
        SELECT f.doc_id, f.case_no, p_centre, f.p->>'kind', f.p->>'sha256',
               (f.p->>'printed_at')::timestamptz, coalesce((f.p->>'reprint')::int, 0)
          FROM unnest(v_rows) f WHERE f.kind = 'document.printed' ORDER BY f.n;
    END IF;
    -- the centre's stream lock is held by the caller (sync.push takes it first)
    -- c0014: each new case's two change rows from one lookup of the case and of its step, the `cases`
    -- snapshot written inline instead of a call per case to yc.case_snapshot (a SQL function PostgreSQL
    -- does not inline: a call and an executor start per case). For a case inserted just above it is exactly what
    -- yc.case_snapshot returns: the one step written above (case_steps references yc.cases, so no other),
    -- no transfer batch (transfer_items references yc.cases too), the decision and status as stored.
    INSERT INTO yc.changes (seq, stream, centre_code, key, data)
    SELECT pg_catalog.nextval('yc.changes_seq'), v.stream, p_centre, f.case_no, v.data
      FROM unnest(v_rows) f
      JOIN yc.cases c ON c.case_no = f.case_no
      JOIN yc.case_steps s ON s.case_no = f.case_no
     CROSS JOIN LATERAL (VALUES
           (1, 'case_status',
            pg_catalog.jsonb_build_object('case_no', f.case_no, 'status', c.status, 'outcome', c.outcome)),
           (2, 'cases',
            pg_catalog.jsonb_build_object(
                'case_no', c.case_no, 'version', c.version, 'payload', c.payload, 'status', c.status,
                'decision', c.decision,
                'steps', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                    'event', s.event, 'window_no', s.window_no, 'department', s.department,
                    'actor_name', s.actor_name, 'at', s.at)),
                'batch_no', NULL::text, 'last_window_no', c.last_window_no))) AS v(k, stream, data)
     WHERE f.kind = 'case.upsert'
     ORDER BY f.n, v.k;
    INSERT INTO yc.ops (op_id, centre_code, window_no, kind, sha256, result)
    SELECT f.op_id, p_centre, p_window, f.kind, f.sha,
           CASE WHEN f.kind = 'case.upsert'
                THEN pg_catalog.jsonb_build_object('case_no', f.case_no, 'action', 'inserted',
                                                   'version', (f.p->>'version')::int)
                ELSE pg_catalog.jsonb_build_object('document_id', f.doc_id) END
      FROM unnest(v_rows) f ORDER BY f.n;
    IF v_key IS NOT NULL THEN
        INSERT INTO yc.chain (centre_code, window_no, seq, prev, mac, op_id, kind, sha256)
        SELECT p_centre, p_window, f.cseq, f.cprev, f.cmac, f.op_id, f.kind, f.sha FROM unnest(v_rows) f;
        UPDATE yc.windows w SET chain_seq = l.cseq, chain_mac = l.cmac
          FROM (SELECT f.cseq, f.cmac FROM unnest(v_rows) f ORDER BY f.n DESC LIMIT 1) l
         WHERE w.centre_code = p_centre AND w.window_no = p_window;
    END IF;
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('op_id', f.op_id::text, 'status', 'applied',
               'result', CASE WHEN f.kind = 'case.upsert'
                              THEN pg_catalog.jsonb_build_object('case_no', f.case_no, 'action', 'inserted',
                                                                 'version', (f.p->>'version')::int)
                              ELSE pg_catalog.jsonb_build_object('document_id', f.doc_id) END) ORDER BY f.n)
      INTO v_out FROM unnest(v_rows) f;
    RETURN v_out;
END $$
"""))

REPLACED = (PUSH_FAST,)


def upgrade() -> None:
    for fn in REPLACED:
        replace(fn, revision=revision)


def downgrade() -> None:
    for fn in reversed(REPLACED):
        restore(fn, revision=revision)
