"""Central schema v2: consultations, transfers, ratings, attachments and blobs up; catalogue, calendar, users down.

Revision ID: c0002
Revises: c0001
Create Date: 2025-01-02

What changes (ARCHITECTURE decisions 2 and 3):
- sync.push accepts "consultation.recorded", "transfer.upsert", "rating.recorded" and
  "attachment.linked" besides "case.upsert" and "document.printed", with the same idempotency rules.
  A batch whose ops are all new case.upsert / document.printed inserts takes a set-based fast path
  inside one sub-transaction; anything unusual rolls that back and falls to the per-op loop, so the
  answers are exactly those of the loop.
- sync.put_blobs stores uploaded contents once by SHA-256 (verified) and records which centre holds
  each one; "attachment.linked" is rejected with "blob missing" unless this centre uploaded the blob.
- Down streams "catalogue", "calendar" and "users", published by admin.publish_catalogue,
  admin.publish_calendar and admin.upsert_user. Rows are global (centre_code '*', read by every centre)
  or centre-scoped. Ordering: every writer of such a stream, whatever the scope, takes one advisory lock
  per stream before drawing its seq, so seq order == commit order for every reader (who reads its centre
  plus '*'). case_status keeps its per-centre lock (it has no global rows).
- The handshake says protocol 2 (new kinds and streams); protocol 1 clients are still accepted.
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "c0002"
down_revision: str | Sequence[str] | None = "c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PROTOCOL = 2
MIN_PROTOCOL = 1

NEW_RLS_TABLES = ("consultations", "transfers", "transfer_items", "ratings", "blob_owners", "case_attachments")
ADMIN_TABLES = ("catalogues", "calendar_years", "calendar_days", "users")

WINDOW_STATUSES = "('delivered')"  # statuses a window sets itself (SQL list)
_FN = "SET search_path = pg_catalog, yc, pg_temp"
_REJECT = "USING ERRCODE = 'YC100'"

# The lock key of a stream: per centre for case_status, one per stream otherwise (global rows exist).
_LOCK_KEY = "hashtext(p_stream || '/' || CASE WHEN p_stream = 'case_status' THEN p_centre ELSE '*' END)"

FUNCTIONS_SQL = [
    f"""
CREATE OR REPLACE FUNCTION yc.lock_stream(p_stream text, p_centre text) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(hashtext('yc.changes'), {_LOCK_KEY})
$$
""",
    f"""
CREATE OR REPLACE FUNCTION yc.append_change(p_stream text, p_centre text, p_key text, p_data jsonb)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('yc.changes'), {_LOCK_KEY});
    INSERT INTO yc.changes (seq, stream, centre_code, key, data)
    VALUES (nextval('yc.changes_seq'), p_stream, p_centre, p_key, p_data)
    RETURNING seq INTO v_seq;
    RETURN v_seq;
END $$
""",
    # A window owns some statuses (the result was handed over at the window): an upsert carrying one
    # sets it centrally too, so the status that comes back down agrees with the window.
    f"""
CREATE OR REPLACE FUNCTION yc.apply_case_upsert(p jsonb, p_centre text, p_window text) RETURNS jsonb
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
            CASE WHEN p->>'status' IN {WINDOW_STATUSES} THEN p->>'status' ELSE 'received' END,
            (p->>'received_at')::timestamptz, (p->>'promised_date')::date,
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
           status = CASE WHEN p->>'status' IN {WINDOW_STATUSES} THEN p->>'status' ELSE c.status END,
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
    # ---- new op kinds -------------------------------------------------------------------------
    f"""
CREATE FUNCTION yc.apply_consultation(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' {_REJECT};
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre OR p->>'window_no' IS DISTINCT FROM p_window THEN
        RAISE EXCEPTION 'centre mismatch' {_REJECT};
    END IF;
    INSERT INTO yc.consultations (id, centre_code, window_no, asked_at, asker_name, asker_phone,
                                  matter_code, question, answer, answered_by, clerk_login)
    VALUES ((p->>'id')::uuid, p_centre, p_window, (p->>'asked_at')::timestamptz, p->>'asker_name',
            coalesce(p->>'asker_phone', ''), coalesce(p->>'matter_code', ''), p->>'question',
            p->>'answer', coalesce(p->>'answered_by', ''), coalesce(p->>'clerk_login', ''));
    RETURN jsonb_build_object('consultation_id', p->>'id');
EXCEPTION
    WHEN unique_violation THEN
        RAISE EXCEPTION 'consultation already recorded' {_REJECT};
END $$
""",
    f"""
CREATE FUNCTION yc.apply_transfer_upsert(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_batch text := p->>'batch_no';
    v_version int;
    v_inserted boolean;
    v_cases text[];
    v_missing text;
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' {_REJECT};
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre OR p->>'window_no' IS DISTINCT FROM p_window THEN
        RAISE EXCEPTION 'centre mismatch' {_REJECT};
    END IF;
    IF coalesce(v_batch, '') = '' THEN
        RAISE EXCEPTION 'missing batch_no' {_REJECT};
    END IF;
    v_version := (p->>'version')::int;
    IF v_version IS NULL THEN
        RAISE EXCEPTION 'missing version' {_REJECT};
    END IF;
    IF jsonb_typeof(p->'case_nos') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'case_nos must be an array' {_REJECT};
    END IF;
    SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{{}}') INTO v_cases
      FROM jsonb_array_elements_text(p->'case_nos') AS x;
    -- RLS shows this centre's cases only: a case of another centre is "unknown" here.
    SELECT x INTO v_missing FROM unnest(v_cases) AS x
     WHERE NOT EXISTS (SELECT 1 FROM yc.cases c WHERE c.case_no = x) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown case: %', v_missing {_REJECT};
    END IF;
    INSERT INTO yc.transfers AS t (batch_no, centre_code, window_no, department, channel, tracking_no,
                                   state, return_reason, created_at, sent_at, closed_at, version,
                                   updated_at)
    VALUES (v_batch, p_centre, p_window, p->>'department', p->>'channel',
            coalesce(p->>'tracking_no', ''), p->>'state', coalesce(p->>'return_reason', ''),
            (p->>'created_at')::timestamptz, (p->>'sent_at')::timestamptz,
            (p->>'closed_at')::timestamptz, v_version, now())
    ON CONFLICT (batch_no) DO UPDATE
       SET window_no = excluded.window_no,
           department = excluded.department,
           channel = excluded.channel,
           tracking_no = excluded.tracking_no,
           state = excluded.state,
           return_reason = excluded.return_reason,
           created_at = excluded.created_at,
           sent_at = excluded.sent_at,
           closed_at = excluded.closed_at,
           version = excluded.version,
           updated_at = now()
     WHERE t.version < excluded.version
    RETURNING (t.xmax = 0) INTO v_inserted;
    IF NOT FOUND THEN
        SELECT t.version INTO v_version FROM yc.transfers t WHERE t.batch_no = v_batch;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'batch_no belongs to another centre' {_REJECT};
        END IF;
        RETURN jsonb_build_object('batch_no', v_batch, 'action', 'stale', 'version', v_version);
    END IF;
    DELETE FROM yc.transfer_items WHERE batch_no = v_batch;
    INSERT INTO yc.transfer_items (batch_no, case_no, centre_code)
    SELECT v_batch, x, p_centre FROM unnest(v_cases) AS x;
    RETURN jsonb_build_object('batch_no', v_batch,
                              'action', CASE WHEN v_inserted THEN 'inserted' ELSE 'updated' END,
                              'version', v_version);
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'batch_no belongs to another centre' {_REJECT};
END $$
""",
    f"""
CREATE FUNCTION yc.apply_rating(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' {_REJECT};
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre THEN
        RAISE EXCEPTION 'centre mismatch' {_REJECT};
    END IF;
    PERFORM 1 FROM yc.cases WHERE case_no = p->>'case_no';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown case' {_REJECT};
    END IF;
    IF (p->>'overall')::int IS NULL OR (p->>'overall')::int NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'overall must be 1..5' {_REJECT};
    END IF;
    INSERT INTO yc.ratings (case_no, centre_code, window_no, overall, efficiency, service, attitude,
                            comment, rated_at)
    VALUES (p->>'case_no', p_centre, coalesce(p->>'window_no', p_window), (p->>'overall')::int,
            (p->>'efficiency')::int, (p->>'service')::int, (p->>'attitude')::int,
            coalesce(p->>'comment', ''), (p->>'rated_at')::timestamptz)
    ON CONFLICT (case_no) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'case already rated' {_REJECT};
    END IF;
    RETURN jsonb_build_object('case_no', p->>'case_no', 'overall', (p->>'overall')::int);
END $$
""",
    f"""
CREATE FUNCTION yc.apply_attachment_linked(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_sha text := lower(p->>'sha256');
BEGIN
    IF jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' {_REJECT};
    END IF;
    IF coalesce(p->>'material_code', '') = '' THEN
        RAISE EXCEPTION 'missing material_code' {_REJECT};
    END IF;
    PERFORM 1 FROM yc.cases WHERE case_no = p->>'case_no';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown case' {_REJECT};
    END IF;
    -- blob_owners is under RLS: only a blob this centre uploaded itself counts.
    PERFORM 1 FROM yc.blob_owners WHERE sha256 = v_sha;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'blob missing' {_REJECT};
    END IF;
    INSERT INTO yc.case_attachments AS a (case_no, material_code, sha256, centre_code, filename, mime,
                                          size, linked_at)
    VALUES (p->>'case_no', p->>'material_code', v_sha, p_centre, coalesce(p->>'filename', ''),
            coalesce(p->>'mime', ''), (p->>'size')::bigint, now())
    ON CONFLICT (case_no, material_code, sha256) DO UPDATE
       SET filename = excluded.filename, mime = excluded.mime, size = excluded.size;
    RETURN jsonb_build_object('case_no', p->>'case_no', 'material_code', p->>'material_code',
                              'sha256', v_sha);
END $$
""",
    # ---- set-based fast path: all ops new, all kinds simple inserts --------------------------
    # Index probes whatever the (possibly stale) statistics say: planned as a scan of a "33-row"
    # yc.ops that really holds millions, one check would cost a full scan per batch.
    """
CREATE FUNCTION yc.known_ops(p_ids uuid[]) RETURNS boolean
LANGUAGE sql STABLE SET enable_seqscan = off AS $$
    SELECT EXISTS (SELECT 1 FROM yc.ops WHERE op_id = ANY (p_ids))
$$
""",
    """
CREATE FUNCTION yc.known_cases(p_case_nos text[]) RETURNS int
LANGUAGE sql STABLE SET enable_seqscan = off AS $$
    SELECT count(*)::int FROM yc.cases WHERE case_no = ANY (p_case_nos)
$$
""",
    # Raises (YC199, or whatever a cast or constraint raises) when the batch does not qualify; the
    # caller's sub-transaction then rolls back everything it wrote and runs the per-op loop. Its work
    # table lives in pg_temp (PUBLIC has TEMP by default; without it every batch takes the loop).
    f"""
CREATE FUNCTION yc.push_fast(p_ops jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_n int;
    v_ids uuid[];
    v_distinct_ids int;
    v_cases int;
    v_distinct_cases int;
    v_inserted int;
    v_bad boolean;
    v_orphans text[];
    v_out jsonb;
BEGIN
    CREATE TEMP TABLE IF NOT EXISTS pg_temp.yc_fast (
        n int, op_id uuid, kind text, sha text, p jsonb, case_no text, doc_id bigint) ON COMMIT DROP;
    TRUNCATE pg_temp.yc_fast;
    WITH e AS MATERIALIZED (  -- each payload parsed once
        SELECT e.n, e.value->>'op_id' AS op_id, e.value->>'kind' AS kind, lower(e.value->>'sha256') AS sha,
               e.value->>'payload' AS text
          FROM jsonb_array_elements(p_ops) WITH ORDINALITY AS e(value, n)
         WHERE e.value->>'kind' IN ('case.upsert', 'document.printed')
           AND jsonb_typeof(e.value->'payload') = 'string'),
    j AS MATERIALIZED (
        SELECT e.n, e.op_id::uuid AS op_id, e.kind, e.sha, e.text::jsonb AS p FROM e
         WHERE encode(sha256(convert_to(e.text, 'UTF8')), 'hex') = e.sha)
    INSERT INTO pg_temp.yc_fast (n, op_id, kind, sha, p, case_no)
    SELECT j.n, j.op_id, j.kind, j.sha, j.p, j.p->>'case_no' FROM j;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n <> jsonb_array_length(p_ops) THEN
        RAISE EXCEPTION 'not for the fast path' USING ERRCODE = 'YC199';
    END IF;
    SELECT array_agg(f.op_id), count(DISTINCT f.op_id),
           count(*) FILTER (WHERE f.kind = 'case.upsert'),
           count(DISTINCT f.case_no) FILTER (WHERE f.kind = 'case.upsert'),
           bool_or(jsonb_typeof(f.p) <> 'object' OR coalesce(f.case_no, '') = ''
                   OR (f.kind = 'case.upsert' AND (f.p->>'centre_code' IS DISTINCT FROM p_centre
                       OR f.p->>'window_no' IS DISTINCT FROM p_window OR f.p->>'version' IS NULL)))
      INTO v_ids, v_distinct_ids, v_cases, v_distinct_cases, v_bad
      FROM pg_temp.yc_fast f;
    -- documents whose case is not earlier in this batch must find it here already
    SELECT array_agg(DISTINCT d.case_no) INTO v_orphans
      FROM (SELECT f.case_no, f.kind, f.n,
                   min(f.n) FILTER (WHERE f.kind = 'case.upsert') OVER (PARTITION BY f.case_no) AS first_case
              FROM pg_temp.yc_fast f) d
     WHERE d.kind = 'document.printed' AND (d.first_case IS NULL OR d.first_case > d.n);
    IF v_bad OR v_distinct_ids <> v_n OR v_distinct_cases <> v_cases
       OR yc.known_ops(v_ids)  -- an op id seen before
       OR (v_orphans IS NOT NULL AND yc.known_cases(v_orphans) <> cardinality(v_orphans))
    THEN
        RAISE EXCEPTION 'not for the fast path' USING ERRCODE = 'YC199';
    END IF;
    INSERT INTO yc.cases (case_no, centre_code, window_no, matter_code, catalogue_version, outcome,
                          status, received_at, promised_date, statutory_date, applicant_name,
                          applicant_kind, payload, version, updated_at)
    SELECT f.case_no, p_centre, p_window, f.p->>'matter_code', f.p->>'catalogue_version',
           f.p->>'outcome',
           CASE WHEN f.p->>'status' IN {WINDOW_STATUSES} THEN f.p->>'status' ELSE 'received' END,
           (f.p->>'received_at')::timestamptz,
           (f.p->>'promised_date')::date, (f.p->>'statutory_date')::date,
           f.p->'applicant'->>'name', f.p->'applicant'->>'kind', f.p, (f.p->>'version')::int, now()
      FROM pg_temp.yc_fast f WHERE f.kind = 'case.upsert' ORDER BY f.n
    ON CONFLICT (case_no) DO NOTHING;
    GET DIAGNOSTICS v_inserted = ROW_COUNT;
    IF v_inserted <> v_cases THEN  -- a case number seen before (at any centre)
        RAISE EXCEPTION 'a case exists already' USING ERRCODE = 'YC199';
    END IF;
    UPDATE pg_temp.yc_fast SET doc_id = nextval(pg_get_serial_sequence('yc.documents', 'id'))
     WHERE kind = 'document.printed';
    INSERT INTO yc.documents (id, case_no, centre_code, kind, sha256, printed_at, reprint)
    SELECT f.doc_id, f.case_no, p_centre, f.p->>'kind', f.p->>'sha256',
           (f.p->>'printed_at')::timestamptz, coalesce((f.p->>'reprint')::int, 0)
      FROM pg_temp.yc_fast f WHERE f.kind = 'document.printed' ORDER BY f.n;
    -- the stream lock is held by the caller (sync.push takes it first)
    INSERT INTO yc.changes (seq, stream, centre_code, key, data)
    SELECT nextval('yc.changes_seq'), 'case_status', p_centre, s.case_no,
           jsonb_build_object('case_no', s.case_no, 'status', s.status, 'outcome', s.outcome)
      FROM (SELECT f.case_no, f.p->>'outcome' AS outcome,
                   CASE WHEN f.p->>'status' IN {WINDOW_STATUSES} THEN f.p->>'status'
                        ELSE 'received' END AS status
              FROM pg_temp.yc_fast f
             WHERE f.kind = 'case.upsert' ORDER BY f.n) s;
    INSERT INTO yc.ops (op_id, centre_code, window_no, kind, sha256, result)
    SELECT f.op_id, p_centre, p_window, f.kind, f.sha,
           CASE WHEN f.kind = 'case.upsert'
                THEN jsonb_build_object('case_no', f.case_no, 'action', 'inserted',
                                        'version', (f.p->>'version')::int)
                ELSE jsonb_build_object('document_id', f.doc_id) END
      FROM pg_temp.yc_fast f ORDER BY f.n;
    SELECT jsonb_agg(jsonb_build_object('op_id', f.op_id::text, 'status', 'applied',
               'result', CASE WHEN f.kind = 'case.upsert'
                              THEN jsonb_build_object('case_no', f.case_no, 'action', 'inserted',
                                                      'version', (f.p->>'version')::int)
                              ELSE jsonb_build_object('document_id', f.doc_id) END) ORDER BY f.n)
      INTO v_out FROM pg_temp.yc_fast f;
    RETURN v_out;
END $$
""",
    # ---- the sync API --------------------------------------------------------------------------
    f"""
CREATE OR REPLACE FUNCTION sync.handshake(p_protocol int) RETURNS jsonb
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
CREATE OR REPLACE FUNCTION sync.push(p_ops jsonb) RETURNS jsonb
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
    v_fast jsonb;
    v_out jsonb[] := '{{}}';
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
            ELSIF v_kind = 'consultation.recorded' THEN
                v_result := yc.apply_consultation(v_text::jsonb, v.centre_code, v.window_no);
            ELSIF v_kind = 'transfer.upsert' THEN
                v_result := yc.apply_transfer_upsert(v_text::jsonb, v.centre_code, v.window_no);
            ELSIF v_kind = 'rating.recorded' THEN
                v_result := yc.apply_rating(v_text::jsonb, v.centre_code, v.window_no);
            ELSIF v_kind = 'attachment.linked' THEN
                v_result := yc.apply_attachment_linked(v_text::jsonb, v.centre_code, v.window_no);
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
CREATE FUNCTION sync.put_blobs(p_blobs jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER {_FN} AS $$
DECLARE
    v record;
    v_blob jsonb;
    v_sha text;
    v_data bytea;
    v_out text[] := '{{}}';
BEGIN
    IF jsonb_typeof(p_blobs) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'p_blobs must be a JSON array' USING ERRCODE = '22023';
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    FOR v_blob IN SELECT e.value FROM jsonb_array_elements(p_blobs) AS e(value) LOOP
        v_sha := lower(v_blob->>'sha256');
        IF v_sha IS NULL OR v_sha !~ '^[0-9a-f]{{64}}$' OR jsonb_typeof(v_blob->'data') <> 'string' THEN
            CONTINUE;
        END IF;
        -- The content itself is always required and checked, even when the blob is present: holding
        -- a hash alone does not let a centre link someone else's scan.
        v_data := decode(regexp_replace(v_blob->>'data', '\\s', '', 'g'), 'base64');
        IF encode(sha256(v_data), 'hex') <> v_sha THEN
            CONTINUE;
        END IF;
        INSERT INTO yc.blobs (sha256, data, size) VALUES (v_sha, v_data, length(v_data))
        ON CONFLICT (sha256) DO NOTHING;
        INSERT INTO yc.blob_owners (sha256, centre_code) VALUES (v_sha, v.centre_code)
        ON CONFLICT (sha256, centre_code) DO NOTHING;
        v_out := v_out || v_sha;
    END LOOP;
    RETURN to_jsonb(v_out);
END $$
""",
    f"""
CREATE OR REPLACE FUNCTION sync.pull(p_stream text, p_after bigint, p_limit int) RETURNS jsonb
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
             WHERE c.stream = p_stream AND c.centre_code IN (v.centre_code, '*')
               AND c.seq > coalesce(p_after, 0)
             ORDER BY c.seq
             LIMIT least(greatest(coalesce(p_limit, 1000), 1), 10000)) s;
    RETURN jsonb_build_object('rows', v_rows, 'last_seq', coalesce(v_last, p_after, 0));
END $$
""",
    # ---- back office: what comes down --------------------------------------------------------
    f"""
CREATE FUNCTION admin.publish_catalogue(p_text text, p_centre text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER {_FN} AS $$
DECLARE
    v_doc jsonb;
    v_version text;
    v_sha text;
    v_prev text;
    v_scope text := coalesce(p_centre, '*');
    v_seq bigint;
BEGIN
    BEGIN
        v_doc := p_text::jsonb;
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION '事项目录不是有效的 JSON' USING ERRCODE = '22023';
    END;
    v_version := v_doc->>'version';
    IF coalesce(v_version, '') = '' THEN
        RAISE EXCEPTION '事项目录缺少版本号 version' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(v_doc->'matters') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION '事项目录缺少事项列表 matters' USING ERRCODE = '22023';
    END IF;
    IF v_scope <> '*' AND NOT EXISTS (SELECT 1 FROM yc.centres WHERE code = v_scope) THEN
        RAISE EXCEPTION '中心 % 不存在', v_scope USING ERRCODE = '22023';
    END IF;
    v_sha := encode(sha256(convert_to(p_text, 'UTF8')), 'hex');
    PERFORM yc.lock_stream('catalogue', v_scope);
    SELECT sha256 INTO v_prev FROM yc.catalogues WHERE version = v_version;
    IF FOUND AND v_prev <> v_sha THEN
        RAISE EXCEPTION '目录版本 % 已发布但内容不同：修改目录须使用新的版本号', v_version
            USING ERRCODE = '22023';
    ELSIF NOT FOUND THEN
        INSERT INTO yc.catalogues (version, text, sha256) VALUES (v_version, p_text, v_sha);
    END IF;
    v_seq := yc.append_change('catalogue', v_scope, v_version,
        jsonb_build_object('version', v_version, 'text', p_text, 'sha256', v_sha));
    RETURN jsonb_build_object('version', v_version, 'scope', v_scope, 'seq', v_seq);
END $$
""",
    f"""
CREATE FUNCTION admin.publish_calendar(p_data jsonb, p_centre text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER {_FN} AS $$
DECLARE
    v_scope text := coalesce(p_centre, '*');
    v_years int[];
    v_days jsonb;
    v_bad jsonb;
    v_seq bigint;
BEGIN
    IF jsonb_typeof(p_data->'years') IS DISTINCT FROM 'array' OR jsonb_array_length(p_data->'years') = 0
       OR jsonb_typeof(p_data->'days') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION '日历数据应为 {{"years": [年份…], "days": [{{"date", "kind", "name"}}…]}}'
            USING ERRCODE = '22023';
    END IF;
    IF v_scope <> '*' AND NOT EXISTS (SELECT 1 FROM yc.centres WHERE code = v_scope) THEN
        RAISE EXCEPTION '中心 % 不存在', v_scope USING ERRCODE = '22023';
    END IF;
    SELECT array_agg(DISTINCT y::int ORDER BY y::int) INTO v_years
      FROM jsonb_array_elements_text(p_data->'years') AS y;
    SELECT d INTO v_bad FROM jsonb_array_elements(p_data->'days') AS d
     WHERE d->>'kind' IS NULL OR d->>'kind' NOT IN ('holiday', 'workday')
        OR NOT (extract(year FROM (d->>'date')::date)::int = ANY (v_years))
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '日历中的日期 % 无效（类型应为 holiday 或 workday，年份须在 years 之中）',
            v_bad->>'date' USING ERRCODE = '22023';
    END IF;
    SELECT coalesce(jsonb_agg(jsonb_build_object('date', (d->>'date')::date, 'kind', d->>'kind',
                                                 'name', coalesce(d->>'name', ''))
                              ORDER BY (d->>'date')::date), '[]'::jsonb)
      INTO v_days FROM jsonb_array_elements(p_data->'days') AS d;
    PERFORM yc.lock_stream('calendar', v_scope);
    DELETE FROM yc.calendar_days
     WHERE scope = v_scope AND extract(year FROM day)::int = ANY (v_years);
    INSERT INTO yc.calendar_days (scope, day, kind, name)
    SELECT v_scope, (d->>'date')::date, d->>'kind', d->>'name' FROM jsonb_array_elements(v_days) AS d;
    INSERT INTO yc.calendar_years (scope, year, source)
    SELECT v_scope, y, coalesce(p_data->>'source', 'central') FROM unnest(v_years) AS y
    ON CONFLICT (scope, year) DO UPDATE SET source = excluded.source, published_at = now();
    v_seq := yc.append_change('calendar', v_scope, array_to_string(v_years, ','),
        jsonb_build_object('years', to_jsonb(v_years), 'days', v_days,
                           'source', coalesce(p_data->>'source', 'central')));
    RETURN jsonb_build_object('years', to_jsonb(v_years), 'scope', v_scope, 'seq', v_seq);
END $$
""",
    f"""
CREATE FUNCTION admin.upsert_user(p_data jsonb) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER {_FN} AS $$
DECLARE
    v_login text := p_data->>'login';
    v_scope text := coalesce(nullif(p_data->>'centre_code', ''), '*');
    v_prev text;
    v_row jsonb;
    v_seq bigint;
BEGIN
    IF coalesce(v_login, '') = '' OR coalesce(p_data->>'name', '') = '' THEN
        RAISE EXCEPTION '用户须有工号 login 和姓名 name' USING ERRCODE = '22023';
    END IF;
    IF coalesce(p_data->>'role', 'clerk') NOT IN ('clerk', 'supervisor', 'admin', 'backoffice') THEN
        RAISE EXCEPTION '角色“%”无效', p_data->>'role' USING ERRCODE = '22023';
    END IF;
    IF v_scope <> '*' AND NOT EXISTS (SELECT 1 FROM yc.centres WHERE code = v_scope) THEN
        RAISE EXCEPTION '中心 % 不存在', v_scope USING ERRCODE = '22023';
    END IF;
    PERFORM yc.lock_stream('users', v_scope);
    SELECT scope INTO v_prev FROM yc.users WHERE login = v_login FOR UPDATE;
    IF NOT FOUND AND coalesce(p_data->>'password_hash', '') = '' THEN
        RAISE EXCEPTION '新用户须有密码散列 password_hash' USING ERRCODE = '22023';
    END IF;
    INSERT INTO yc.users AS u (login, scope, name, staff_no, role, password_hash, active, updated_at)
    VALUES (v_login, v_scope, p_data->>'name', coalesce(p_data->>'staff_no', ''),
            coalesce(p_data->>'role', 'clerk'), coalesce(p_data->>'password_hash', ''),
            coalesce((p_data->>'active')::boolean, true), now())
    ON CONFLICT (login) DO UPDATE
       SET scope = excluded.scope, name = excluded.name, staff_no = excluded.staff_no,
           role = excluded.role,
           password_hash = coalesce(nullif(excluded.password_hash, ''), u.password_hash),
           active = excluded.active, updated_at = now()
    RETURNING jsonb_build_object('login', u.login, 'name', u.name, 'staff_no', u.staff_no,
                                 'role', u.role, 'password_hash', u.password_hash,
                                 'active', u.active) INTO v_row;
    IF FOUND AND v_prev IS NOT NULL AND v_prev <> v_scope THEN
        -- moved: the old scope's windows see the login deactivated first (same stream lock, so in order)
        PERFORM yc.append_change('users', v_prev, v_login,
            v_row || jsonb_build_object('active', false));
    END IF;
    v_seq := yc.append_change('users', v_scope, v_login, v_row);
    RETURN jsonb_build_object('login', v_login, 'scope', v_scope, 'seq', v_seq);
END $$
""",
    f"""
CREATE FUNCTION admin.decide_case(p_case_no text, p_status text, p_note text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql SECURITY DEFINER {_FN} AS $$
    SELECT admin.set_case_status(p_case_no, p_status, p_note)
$$
""",
]

OWNED_BY_YC_OWNER = [
    "yc.apply_consultation(jsonb, text, text)",
    "yc.apply_transfer_upsert(jsonb, text, text)",
    "yc.apply_rating(jsonb, text, text)",
    "yc.apply_attachment_linked(jsonb, text, text)",
    "yc.push_fast(jsonb, text, text)",
    "yc.known_ops(uuid[])",
    "yc.known_cases(text[])",
    "sync.put_blobs(jsonb)",
]
ADMIN_API = [
    "admin.publish_catalogue(text, text)",
    "admin.publish_calendar(jsonb, text)",
    "admin.upsert_user(jsonb)",
    "admin.decide_case(text, text, text)",
]


def _create_tables() -> None:
    ts = sa.TIMESTAMP(timezone=True)
    op.create_table(
        "consultations",
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("centre_code", sa.Text, sa.ForeignKey("yc.centres.code"), nullable=False),
        sa.Column("window_no", sa.Text, nullable=False),
        sa.Column("asked_at", ts, nullable=False),
        sa.Column("asker_name", sa.Text, nullable=False),
        sa.Column("asker_phone", sa.Text, nullable=False, server_default=""),
        sa.Column("matter_code", sa.Text, nullable=False, server_default=""),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("answered_by", sa.Text, nullable=False, server_default=""),
        sa.Column("clerk_login", sa.Text, nullable=False, server_default=""),
        schema="yc",
    )
    op.create_index(
        op.f("ix_consultations_centre_code_asked_at"), "consultations", ["centre_code", "asked_at"], schema="yc"
    )
    op.create_table(
        "transfers",
        sa.Column("batch_no", sa.Text, primary_key=True),
        sa.Column("centre_code", sa.Text, sa.ForeignKey("yc.centres.code"), nullable=False),
        sa.Column("window_no", sa.Text, nullable=False),
        sa.Column("department", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("tracking_no", sa.Text, nullable=False, server_default=""),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("return_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("sent_at", ts),
        sa.Column("closed_at", ts),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", ts, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("channel IN ('online', 'express')", name="channel"),
        sa.CheckConstraint("state IN ('waiting', 'sent', 'signed', 'returned')", name="state"),
        schema="yc",
    )
    op.create_table(
        "transfer_items",
        sa.Column(
            "batch_no", sa.Text, sa.ForeignKey("yc.transfers.batch_no", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("case_no", sa.Text, sa.ForeignKey("yc.cases.case_no"), primary_key=True),
        sa.Column("centre_code", sa.Text, nullable=False),
        schema="yc",
    )
    op.create_index(op.f("ix_transfer_items_case_no"), "transfer_items", ["case_no"], schema="yc")
    stars = "{0} IS NULL OR {0} BETWEEN 1 AND 5"
    op.create_table(
        "ratings",
        sa.Column("case_no", sa.Text, sa.ForeignKey("yc.cases.case_no"), primary_key=True),
        sa.Column("centre_code", sa.Text, nullable=False),
        sa.Column("window_no", sa.Text, nullable=False),
        sa.Column("overall", sa.SmallInteger, nullable=False),
        sa.Column("efficiency", sa.SmallInteger),
        sa.Column("service", sa.SmallInteger),
        sa.Column("attitude", sa.SmallInteger),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("rated_at", ts, nullable=False),
        sa.CheckConstraint("overall BETWEEN 1 AND 5", name="overall"),
        sa.CheckConstraint(stars.format("efficiency"), name="efficiency"),
        sa.CheckConstraint(stars.format("service"), name="service"),
        sa.CheckConstraint(stars.format("attitude"), name="attitude"),
        schema="yc",
    )
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.Text, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", ts, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256"),
        schema="yc",
    )
    # scans are already compressed (JPEG, PDF): store them out of line without trying again
    op.execute("ALTER TABLE yc.blobs ALTER COLUMN data SET STORAGE EXTERNAL")
    op.create_table(
        "blob_owners",
        sa.Column("sha256", sa.Text, sa.ForeignKey("yc.blobs.sha256"), primary_key=True),
        sa.Column("centre_code", sa.Text, primary_key=True),
        schema="yc",
    )
    op.create_table(
        "case_attachments",
        sa.Column("case_no", sa.Text, sa.ForeignKey("yc.cases.case_no"), primary_key=True),
        sa.Column("material_code", sa.Text, primary_key=True),
        sa.Column("sha256", sa.Text, sa.ForeignKey("yc.blobs.sha256"), primary_key=True),
        sa.Column("centre_code", sa.Text, nullable=False),
        sa.Column("filename", sa.Text, nullable=False, server_default=""),
        sa.Column("mime", sa.Text, nullable=False, server_default=""),
        sa.Column("size", sa.BigInteger),
        sa.Column("linked_at", ts, nullable=False, server_default=sa.func.now()),
        schema="yc",
    )
    op.create_table(
        "catalogues",
        sa.Column("version", sa.Text, primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("published_at", ts, nullable=False, server_default=sa.func.now()),
        schema="yc",
    )
    op.create_table(
        "calendar_years",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("published_at", ts, nullable=False, server_default=sa.func.now()),
        schema="yc",
    )
    op.create_table(
        "calendar_days",
        sa.Column("scope", sa.Text, primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),
        schema="yc",
    )
    op.create_table(
        "users",
        sa.Column("login", sa.Text, primary_key=True),
        sa.Column("scope", sa.Text, nullable=False),  # '*' (every centre) or a centre code
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("staff_no", sa.Text, nullable=False, server_default=""),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("updated_at", ts, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("role IN ('clerk', 'supervisor', 'admin', 'backoffice')", name="role"),
        schema="yc",
    )


_CHANGES_POLICY_V1 = (
    "CREATE POLICY centre_isolation ON yc.changes "
    "USING (centre_code = current_setting('yc.centre', true)) "
    "WITH CHECK (centre_code = current_setting('yc.centre', true))"
)


def upgrade() -> None:
    _create_tables()
    tables = (*NEW_RLS_TABLES, *ADMIN_TABLES, "blobs")
    for table in tables:
        op.execute(f"ALTER TABLE yc.{table} OWNER TO yc_owner")
    for table in NEW_RLS_TABLES:
        op.execute(f"ALTER TABLE yc.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE yc.{table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY centre_isolation ON yc.{table} "
            "USING (centre_code = current_setting('yc.centre', true)) "
            "WITH CHECK (centre_code = current_setting('yc.centre', true))"
        )
    # A centre reads its own change rows and the global ones ('*'); it writes only its own.
    op.execute("DROP POLICY centre_isolation ON yc.changes")
    op.execute(
        "CREATE POLICY centre_isolation ON yc.changes "
        "USING (centre_code IN (current_setting('yc.centre', true), '*')) "
        "WITH CHECK (centre_code = current_setting('yc.centre', true))"
    )
    op.execute(f"GRANT SELECT ON {', '.join('yc.' + t for t in tables)} TO yc_admin")
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON {', '.join('yc.' + t for t in ADMIN_TABLES)} TO yc_admin")

    for stmt in FUNCTIONS_SQL:
        op.execute(stmt)
    for fn in OWNED_BY_YC_OWNER:
        op.execute(f"ALTER FUNCTION {fn} OWNER TO yc_owner")
    for fn in ADMIN_API:
        op.execute(f"ALTER FUNCTION {fn} OWNER TO yc_admin")
    for schema in ("yc", "sync", "admin"):
        op.execute(f"REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {schema} FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION sync.put_blobs(jsonb) TO yc_window")


def _c0001():
    path = Path(__file__).with_name("c0001_central_schema.py")
    spec = importlib.util.spec_from_file_location("yc_central_c0001", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    for fn in (*ADMIN_API, *OWNED_BY_YC_OWNER):
        op.execute(f"DROP FUNCTION {fn}")
    v1 = _c0001()
    # bring back the v1 bodies of the functions this revision replaced (owner and grants are kept)
    for stmt in v1.FUNCTIONS_SQL:
        head = stmt.strip().splitlines()[0]
        if any(name in head for name in ("yc.lock_stream(", "yc.append_change(", "sync.handshake(",
                                          "yc.apply_case_upsert(",
                                          "sync.push(", "sync.pull(")):
            op.execute(stmt.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.execute("DROP POLICY centre_isolation ON yc.changes")
    op.execute(_CHANGES_POLICY_V1)
    op.execute("DELETE FROM yc.changes WHERE stream IN ('catalogue', 'calendar', 'users') OR centre_code = '*'")
    for table in ("case_attachments", "blob_owners", "blobs", "ratings", "transfer_items", "transfers",
                  "consultations", *ADMIN_TABLES):
        op.drop_table(table, schema="yc")
