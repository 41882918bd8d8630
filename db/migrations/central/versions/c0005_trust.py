"""Central schema v5 (trust): a window login can do no more than its window; protocol 4.

Revision ID: c0005
Revises: c0004
Create Date: 2025-01-05

What changes (issue 8, ARCHITECTURE decision 7):
- No caller-reachable object inside a SECURITY DEFINER function: yc.push_fast keeps its batch in a
  PL/pgSQL array of the composite type yc.fast_op instead of a pg_temp table (a window could create
  that table first, with a trigger that then ran as yc_owner). TEMPORARY on the database and EXECUTE on
  the advisory-lock functions are revoked from PUBLIC (yc_owner and yc_admin keep the latter), so a
  window can neither plant temp objects nor hold a stream lock that stalls other centres or publishing.
  Sync and admin functions wait at most 10 s for a lock (lock_timeout).
- Case numbers belong to the window that made them: a case.upsert whose number does not start with the
  caller's centre and window, or that updates a case first pushed by another window, is rejected; a stale
  or colliding version is rejected with a reason (never "applied/stale"). Transfers likewise. Audit and
  rating records take the window from the login, never from the payload.
- A case under a catalogue version never published for its centre (or for every centre) is rejected.
- The centre stamps its own receive time on a case; a case whose received_at is more than 5 minutes off
  the centre's clock at push is flagged (clock_flag, clock_skew_s), not lost.
- One live install per window: sync.handshake(int, jsonb) carries the machine id; an unbound window
  answers "bound": false and the client binds itself once with sync.bind_window (trust on first use
  after add-window); a second machine is refused until admin.retire_window. sync.restore_state() gives a
  replacement PC the last case serial per day and the chain head.
- The chain of operations: a bound window's ops carry chain_seq / chain_prev / chain_mac
  (HMAC-SHA256 with the window key over "seq|prev|op_id|kind|sha256"); the centre keeps every chained op
  (yc.chain), the head (yc.windows) and the key (yc.window_keys, owner only), and rejects an op that
  does not extend the head. admin.verify_chains re-checks every chain and the daily serials for gaps.
- Size caps: at most @MAX_BATCH@ ops per push, @MAX_PAYLOAD@ bytes per payload, @MAX_BLOB@ bytes per blob.
- The users stream gives a window its own centre's users and the city-wide administrators; any other
  city-wide user comes down only as {"login", "active": false}, without a name or a password hash.
Functions are replaceable objects: each is defined whole here; what it replaces is kept by the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop, replace, restore

revision: str = "c0005"
down_revision: str | Sequence[str] | None = "c0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIN_PROTOCOL = 1  # an unbound window may still speak protocol 1..3; a bound one needs CHAIN_PROTOCOL
CHAIN_PROTOCOL = 4  # the window binding and the chain of operations
STREAMS_PROTOCOL = 2
MAX_BATCH = 2000  # ops per sync.push call (the window sends 1000)
MAX_PUSH_BYTES = 64 * 1024 * 1024  # one sync.push call in all (2000 ops of the largest payload would be 512 MB)
MAX_PAYLOAD = 256 * 1024  # bytes of one op's payload text
MAX_BLOB = 32 * 1024 * 1024  # bytes of one blob
MAX_BLOB_CALL = 96 * 1024 * 1024  # bytes of base64 text per sync.put_blobs call
CLOCK_TOLERANCE_S = 300  # a case's received_at further than this from the centre's clock is flagged
ZERO_MAC = "0" * 64

_FN = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s'"
_REJECT = "USING ERRCODE = 'YC100'"


def _sql(text: str) -> str:
    for key, value in {
        "@FN@": _FN, "@REJECT@": _REJECT, "@MIN_PROTOCOL@": str(MIN_PROTOCOL),
        "@CHAIN_PROTOCOL@": str(CHAIN_PROTOCOL), "@STREAMS_PROTOCOL@": str(STREAMS_PROTOCOL),
        "@MAX_BATCH@": str(MAX_BATCH), "@MAX_PAYLOAD@": str(MAX_PAYLOAD), "@MAX_BLOB@": str(MAX_BLOB),
        "@MAX_BLOB_CALL@": str(MAX_BLOB_CALL), "@MAX_PUSH_BYTES@": str(MAX_PUSH_BYTES), "@TOLERANCE@": str(CLOCK_TOLERANCE_S), "@ZERO@": ZERO_MAC,
    }.items():
        text = text.replace(key, value)
    return text


# ---- helpers (SECURITY INVOKER, owned by yc_owner, run only inside the definer functions) ------------
CASE_NO_BELONGS = SqlFunction("yc.case_no_belongs(text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.case_no_belongs(p_case text, p_centre text, p_window text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    -- centre + window + YYMMDD + 4-digit serial (+ check character): the window's own numbering
    SELECT CASE
        WHEN p_case IS NULL OR p_centre IS NULL OR p_window IS NULL
          OR pg_catalog.left(p_case, pg_catalog.length(p_centre || p_window)) <> p_centre || p_window
          OR pg_catalog.substr(p_case, pg_catalog.length(p_centre || p_window) + 1) !~ '^[0-9]{10}[0-9X]?$'
        THEN false
        ELSE pg_catalog.substr(p_case, pg_catalog.length(p_centre || p_window) + 3, 2)::int BETWEEN 1 AND 12
         AND pg_catalog.substr(p_case, pg_catalog.length(p_centre || p_window) + 5, 2)::int BETWEEN 1 AND 31
    END
$$
"""))

CATALOGUE_PUBLISHED = SqlFunction("yc.catalogue_published(text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.catalogue_published(p_version text, p_centre text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM yc.changes c
                    WHERE c.stream = 'catalogue' AND c.key = p_version AND c.centre_code IN (p_centre, '*'))
$$
"""))

CHAIN_MAC = SqlFunction("yc.chain_mac(bytea, bigint, text, text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.chain_mac(p_key bytea, p_seq bigint, p_prev text, p_op_id text, p_kind text,
                                        p_sha text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT pg_catalog.encode(yc_crypto.hmac(pg_catalog.convert_to(
               p_seq::text || '|' || p_prev || '|' || p_op_id || '|' || p_kind || '|' || p_sha, 'UTF8'),
               p_key, 'sha256'), 'hex')
$$
"""))

APPLY_CASE_UPSERT = SqlFunction("yc.apply_case_upsert(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.apply_case_upsert(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_case text := p->>'case_no';
    v_version int;
    v_owner text;
    v_stored int;
    v_received timestamptz;
    v_first_received timestamptz;
    v_skew int;
    v_status text;
    v_outcome text;
    v_inserted boolean := false;
BEGIN
    IF pg_catalog.jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' @REJECT@;
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre OR p->>'window_no' IS DISTINCT FROM p_window THEN
        RAISE EXCEPTION 'centre mismatch: this login is window %/%', p_centre, p_window @REJECT@;
    END IF;
    IF coalesce(v_case, '') = '' THEN
        RAISE EXCEPTION 'missing case_no' @REJECT@;
    END IF;
    IF NOT yc.case_no_belongs(v_case, p_centre, p_window) THEN
        RAISE EXCEPTION 'case_no % is not a number of window %/%', v_case, p_centre, p_window @REJECT@;
    END IF;
    v_version := (p->>'version')::int;
    IF v_version IS NULL OR v_version < 1 THEN
        RAISE EXCEPTION 'missing version' @REJECT@;
    END IF;
    IF NOT yc.catalogue_published(p->>'catalogue_version', p_centre) THEN
        RAISE EXCEPTION 'catalogue version % was never published for centre %',
            coalesce(p->>'catalogue_version', '(none)'), p_centre @REJECT@;
    END IF;
    v_received := (p->>'received_at')::timestamptz;
    SELECT c.window_no, c.version, c.received_at INTO v_owner, v_stored, v_first_received
      FROM yc.cases c WHERE c.case_no = v_case FOR UPDATE;
    IF FOUND THEN
        IF v_owner IS DISTINCT FROM p_window THEN
            RAISE EXCEPTION 'case % was first pushed by window %, not %', v_case, v_owner, p_window @REJECT@;
        END IF;
        IF v_received IS DISTINCT FROM v_first_received THEN  -- the clock flag was judged on the first push
            RAISE EXCEPTION 'received_at of case % cannot change (%, this op carries %)', v_case,
                v_first_received, v_received @REJECT@;
        END IF;
        IF v_stored >= v_version THEN
            RAISE EXCEPTION 'stale version: the centre has version % of case %, this op carries %',
                v_stored, v_case, v_version @REJECT@;
        END IF;
        UPDATE yc.cases AS c
           SET matter_code = p->>'matter_code', catalogue_version = p->>'catalogue_version',
               outcome = p->>'outcome', received_at = v_received,
               promised_date = (p->>'promised_date')::date, statutory_date = (p->>'statutory_date')::date,
               applicant_name = p->'applicant'->>'name', applicant_kind = p->'applicant'->>'kind',
               payload = p, version = v_version,
               status = CASE WHEN p->>'status' IN ('delivered') THEN p->>'status' ELSE c.status END,
               updated_at = pg_catalog.now()
         WHERE c.case_no = v_case
        RETURNING c.status, c.outcome INTO v_status, v_outcome;
    ELSE
        v_skew := pg_catalog.round(extract(epoch FROM v_received - pg_catalog.now()))::int;
        INSERT INTO yc.cases AS c (case_no, centre_code, window_no, matter_code, catalogue_version, outcome,
                                   status, received_at, promised_date, statutory_date, applicant_name,
                                   applicant_kind, payload, version, updated_at, centre_received_at,
                                   clock_skew_s, clock_flag)
        VALUES (v_case, p_centre, p_window, p->>'matter_code', p->>'catalogue_version', p->>'outcome',
                CASE WHEN p->>'status' IN ('delivered') THEN p->>'status' ELSE 'received' END,
                v_received, (p->>'promised_date')::date, (p->>'statutory_date')::date,
                p->'applicant'->>'name', p->'applicant'->>'kind', p, v_version, pg_catalog.now(),
                pg_catalog.now(), v_skew, abs(v_skew) > @TOLERANCE@)
        RETURNING c.status, c.outcome INTO v_status, v_outcome;
        v_inserted := true;
    END IF;
    PERFORM yc.append_change('case_status', p_centre, v_case,
        pg_catalog.jsonb_build_object('case_no', v_case, 'status', v_status, 'outcome', v_outcome));
    RETURN pg_catalog.jsonb_build_object('case_no', v_case,
                                         'action', CASE WHEN v_inserted THEN 'inserted' ELSE 'updated' END,
                                         'version', v_version);
EXCEPTION
    WHEN insufficient_privilege OR unique_violation THEN  -- the number exists at another centre
        RAISE EXCEPTION 'case_no % belongs to another centre', v_case @REJECT@;
END $$
"""))

APPLY_TRANSFER_UPSERT = SqlFunction("yc.apply_transfer_upsert(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.apply_transfer_upsert(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_batch text := p->>'batch_no';
    v_version int;
    v_owner text;
    v_stored int;
    v_cases text[];
    v_missing text;
    v_inserted boolean := false;
BEGIN
    IF pg_catalog.jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' @REJECT@;
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre OR p->>'window_no' IS DISTINCT FROM p_window THEN
        RAISE EXCEPTION 'centre mismatch: this login is window %/%', p_centre, p_window @REJECT@;
    END IF;
    IF coalesce(v_batch, '') = '' THEN
        RAISE EXCEPTION 'missing batch_no' @REJECT@;
    END IF;
    -- a batch number is the window's own (LZ + centre + window + YYMMDD + serial): no squatting
    IF pg_catalog.left(v_batch, 2 + pg_catalog.length(p_centre)) IS DISTINCT FROM 'LZ' || p_centre THEN
        RAISE EXCEPTION 'batch_no % belongs to another centre', v_batch @REJECT@;
    END IF;
    IF pg_catalog.left(v_batch, 2 + pg_catalog.length(p_centre || p_window))
       IS DISTINCT FROM 'LZ' || p_centre || p_window THEN
        RAISE EXCEPTION 'batch_no % belongs to another window', v_batch @REJECT@;
    END IF;
    v_version := (p->>'version')::int;
    IF v_version IS NULL THEN
        RAISE EXCEPTION 'missing version' @REJECT@;
    END IF;
    IF pg_catalog.jsonb_typeof(p->'case_nos') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'case_nos must be an array' @REJECT@;
    END IF;
    SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') INTO v_cases
      FROM pg_catalog.jsonb_array_elements_text(p->'case_nos') AS x;
    SELECT x INTO v_missing FROM unnest(v_cases) AS x
     WHERE NOT EXISTS (SELECT 1 FROM yc.cases c
                        WHERE c.case_no = x AND c.centre_code = p_centre AND c.window_no = p_window) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'unknown case: %', v_missing @REJECT@;
    END IF;
    SELECT t.window_no, t.version INTO v_owner, v_stored FROM yc.transfers t WHERE t.batch_no = v_batch FOR UPDATE;
    IF FOUND THEN
        IF v_owner IS DISTINCT FROM p_window THEN
            RAISE EXCEPTION 'batch % was first pushed by window %, not %', v_batch, v_owner, p_window @REJECT@;
        END IF;
        IF v_stored >= v_version THEN
            RAISE EXCEPTION 'stale version: the centre has version % of batch %, this op carries %',
                v_stored, v_batch, v_version @REJECT@;
        END IF;
        UPDATE yc.transfers AS t
           SET department = p->>'department', channel = p->>'channel',
               tracking_no = coalesce(p->>'tracking_no', ''), state = p->>'state',
               return_reason = coalesce(p->>'return_reason', ''), created_at = (p->>'created_at')::timestamptz,
               sent_at = (p->>'sent_at')::timestamptz, closed_at = (p->>'closed_at')::timestamptz,
               version = v_version, updated_at = pg_catalog.now()
         WHERE t.batch_no = v_batch;
    ELSE
        INSERT INTO yc.transfers (batch_no, centre_code, window_no, department, channel, tracking_no, state,
                                  return_reason, created_at, sent_at, closed_at, version, updated_at)
        VALUES (v_batch, p_centre, p_window, p->>'department', p->>'channel', coalesce(p->>'tracking_no', ''),
                p->>'state', coalesce(p->>'return_reason', ''), (p->>'created_at')::timestamptz,
                (p->>'sent_at')::timestamptz, (p->>'closed_at')::timestamptz, v_version, pg_catalog.now());
        v_inserted := true;
    END IF;
    DELETE FROM yc.transfer_items WHERE batch_no = v_batch;
    INSERT INTO yc.transfer_items (batch_no, case_no, centre_code)
    SELECT v_batch, x, p_centre FROM unnest(v_cases) AS x;
    RETURN pg_catalog.jsonb_build_object('batch_no', v_batch,
                                         'action', CASE WHEN v_inserted THEN 'inserted' ELSE 'updated' END,
                                         'version', v_version);
EXCEPTION
    WHEN insufficient_privilege OR unique_violation THEN
        RAISE EXCEPTION 'batch_no % belongs to another centre', v_batch @REJECT@;
END $$
"""))

APPLY_CONSULTATION = SqlFunction("yc.apply_consultation(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.apply_consultation(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
BEGIN
    IF pg_catalog.jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' @REJECT@;
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre OR p->>'window_no' IS DISTINCT FROM p_window THEN
        RAISE EXCEPTION 'centre mismatch: this login is window %/%', p_centre, p_window @REJECT@;
    END IF;
    INSERT INTO yc.consultations (id, centre_code, window_no, asked_at, asker_name, asker_phone,
                                  matter_code, question, answer, answered_by, clerk_login)
    VALUES ((p->>'id')::uuid, p_centre, p_window, (p->>'asked_at')::timestamptz, p->>'asker_name',
            coalesce(p->>'asker_phone', ''), coalesce(p->>'matter_code', ''), p->>'question',
            p->>'answer', coalesce(p->>'answered_by', ''), coalesce(p->>'clerk_login', ''));
    RETURN pg_catalog.jsonb_build_object('consultation_id', p->>'id');
EXCEPTION
    WHEN unique_violation THEN
        RAISE EXCEPTION 'consultation already recorded' @REJECT@;
END $$
"""))

APPLY_RATING = SqlFunction("yc.apply_rating(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.apply_rating(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_occasion text := coalesce(p->>'occasion', 'intake');
BEGIN
    IF pg_catalog.jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' @REJECT@;
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre
       OR coalesce(p->>'window_no', p_window) IS DISTINCT FROM p_window THEN
        RAISE EXCEPTION 'centre mismatch: this login is window %/%', p_centre, p_window @REJECT@;
    END IF;
    IF v_occasion NOT IN ('intake', 'handover') THEN
        RAISE EXCEPTION 'occasion must be intake or handover' @REJECT@;
    END IF;
    PERFORM 1 FROM yc.cases WHERE case_no = p->>'case_no' AND centre_code = p_centre AND window_no = p_window;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown case' @REJECT@;
    END IF;
    IF (p->>'overall')::int IS NULL OR (p->>'overall')::int NOT BETWEEN 1 AND 5 THEN
        RAISE EXCEPTION 'overall must be 1..5' @REJECT@;
    END IF;
    INSERT INTO yc.ratings (case_no, occasion, centre_code, window_no, overall, efficiency, service, attitude,
                            comment, rated_at)
    VALUES (p->>'case_no', v_occasion, p_centre, p_window, (p->>'overall')::int,
            (p->>'efficiency')::int, (p->>'service')::int, (p->>'attitude')::int,
            coalesce(p->>'comment', ''), (p->>'rated_at')::timestamptz)
    ON CONFLICT (case_no, occasion) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'visit already rated' @REJECT@;
    END IF;
    RETURN pg_catalog.jsonb_build_object('case_no', p->>'case_no', 'occasion', v_occasion,
                                         'overall', (p->>'overall')::int);
END $$
"""))

APPLY_AUDIT = SqlFunction("yc.apply_audit(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.apply_audit(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    IF pg_catalog.jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' @REJECT@;
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre
       OR coalesce(p->>'window_no', p_window) IS DISTINCT FROM p_window THEN
        RAISE EXCEPTION 'centre mismatch: this login is window %/%', p_centre, p_window @REJECT@;
    END IF;
    IF coalesce(p->>'action', '') = '' OR coalesce(p->>'actor', '') = '' THEN
        RAISE EXCEPTION 'audit record needs actor and action' @REJECT@;
    END IF;
    INSERT INTO yc.audit (centre_code, window_no, at, actor, action, ref, detail)
    VALUES (p_centre, p_window, (p->>'at')::timestamptz, p->>'actor',
            p->>'action', coalesce(p->>'ref', ''), coalesce(p->>'detail', ''))
    RETURNING id INTO v_id;
    RETURN pg_catalog.jsonb_build_object('audit_id', v_id);
END $$
"""))

# The set-based path for a batch of new case.upsert / document.printed ops. Its batch lives in a local
# array of yc.fast_op (nothing a caller can create is touched). Raises (YC199, or whatever a cast or a
# constraint raises) when the batch does not qualify; sync.push then rolls it back and runs the loop,
# which gives every op its exact answer. The chain of a bound window is checked set-based too.
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
                       OR NOT yc.case_no_belongs(f.case_no, p_centre, p_window)
                       OR NOT yc.catalogue_published(f.p->>'catalogue_version', p_centre))))
      INTO v_ids, v_distinct_ids, v_cases, v_distinct_cases, v_bad
      FROM unnest(v_rows) f;
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
    IF v_bad OR v_distinct_ids <> v_n OR v_distinct_cases <> v_cases
       OR yc.known_ops(v_ids)
       OR (v_orphans IS NOT NULL AND yc.known_cases(v_orphans) <> pg_catalog.cardinality(v_orphans))
    THEN
        RAISE EXCEPTION 'not for the fast path' USING ERRCODE = 'YC199';
    END IF;
    INSERT INTO yc.cases (case_no, centre_code, window_no, matter_code, catalogue_version, outcome,
                          status, received_at, promised_date, statutory_date, applicant_name,
                          applicant_kind, payload, version, updated_at, centre_received_at, clock_skew_s,
                          clock_flag)
    SELECT f.case_no, p_centre, p_window, f.p->>'matter_code', f.p->>'catalogue_version', f.p->>'outcome',
           CASE WHEN f.p->>'status' IN ('delivered') THEN f.p->>'status' ELSE 'received' END,
           f.received_at, (f.p->>'promised_date')::date, (f.p->>'statutory_date')::date,
           f.p->'applicant'->>'name', f.p->'applicant'->>'kind', f.p, (f.p->>'version')::int,
           pg_catalog.now(), pg_catalog.now(), f.skew, abs(f.skew) > @TOLERANCE@
      FROM (SELECT g.*, (g.p->>'received_at')::timestamptz AS received_at,
                   pg_catalog.round(extract(epoch FROM (g.p->>'received_at')::timestamptz - pg_catalog.now()))::int
                       AS skew
              FROM unnest(v_rows) g WHERE g.kind = 'case.upsert') f
     ORDER BY f.n
    ON CONFLICT (case_no) DO NOTHING;
    GET DIAGNOSTICS v_inserted = ROW_COUNT;
    IF v_inserted <> v_cases THEN  -- a case number seen before (at any centre)
        RAISE EXCEPTION 'a case exists already' USING ERRCODE = 'YC199';
    END IF;
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
    -- the stream lock is held by the caller (sync.push takes it first)
    INSERT INTO yc.changes (seq, stream, centre_code, key, data)
    SELECT pg_catalog.nextval('yc.changes_seq'), 'case_status', p_centre, s.case_no,
           pg_catalog.jsonb_build_object('case_no', s.case_no, 'status', s.status, 'outcome', s.outcome)
      FROM (SELECT f.case_no, f.n, f.p->>'outcome' AS outcome,
                   CASE WHEN f.p->>'status' IN ('delivered') THEN f.p->>'status' ELSE 'received' END AS status
              FROM unnest(v_rows) f WHERE f.kind = 'case.upsert') s
     ORDER BY s.n;
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

PUSH = SqlFunction("sync.push(jsonb)", _sql(r"""
CREATE OR REPLACE FUNCTION sync.push(p_ops jsonb) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
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
    v_key bytea;
    v_head_seq bigint;
    v_head_mac text;
    v_cseq text;
    v_cprev text;
    v_cmac text;
    v_chained_sha text;
    v_out jsonb[] := '{}';
BEGIN
    IF pg_catalog.jsonb_typeof(p_ops) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'p_ops must be a JSON array' USING ERRCODE = '22023';
    END IF;
    IF pg_catalog.octet_length(p_ops::text) > @MAX_PUSH_BYTES@ THEN
        RAISE EXCEPTION 'push too large: at most @MAX_PUSH_BYTES@ bytes per call' USING ERRCODE = '22023';
    END IF;
    IF pg_catalog.jsonb_array_length(p_ops) > @MAX_BATCH@ THEN
        RAISE EXCEPTION '一次上传的操作过多：% 条（上限 @MAX_BATCH@ 条）', pg_catalog.jsonb_array_length(p_ops)
            USING ERRCODE = 'YC004';
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    -- Take the stream lock before touching any row: one lock order for every writer of a centre.
    PERFORM yc.lock_stream('case_status', v.centre_code);
    -- The window's chain head and key (a bound window); the row lock makes one push per window at a time.
    SELECT w.chain_seq, w.chain_mac INTO v_head_seq, v_head_mac
      FROM yc.windows w WHERE w.centre_code = v.centre_code AND w.window_no = v.window_no FOR UPDATE;
    SELECT k.window_key INTO v_key FROM yc.window_keys k
     WHERE k.centre_code = v.centre_code AND k.window_no = v.window_no AND k.retired_at IS NULL;
    IF pg_catalog.jsonb_array_length(p_ops) > 1 THEN
        BEGIN  -- one sub-transaction for the whole batch; any doubt rolls it back
            v_fast := yc.push_fast(p_ops, v.centre_code, v.window_no);
            RETURN v_fast;
        EXCEPTION
            WHEN serialization_failure OR deadlock_detected OR lock_not_available THEN
                RAISE;
            WHEN OTHERS THEN
                NULL;  -- fall through to the per-op loop, which gives every op its exact answer
        END;
    END IF;
    SELECT coalesce(pg_catalog.jsonb_object_agg(k.kind, pg_catalog.format('SELECT %I.%I($1, $2, $3)',
                                                                          n.nspname, p.proname)), '{}'::jsonb)
      INTO v_calls
      FROM yc.op_kinds k
      JOIN pg_catalog.pg_proc p ON p.oid = k.apply_fn
      JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace;
    FOR v_op IN SELECT e.value FROM pg_catalog.jsonb_array_elements(p_ops) WITH ORDINALITY AS e(value, n)
                ORDER BY e.n LOOP
        v_id_text := v_op->>'op_id';
        v_kind := v_op->>'kind';
        v_text := v_op->>'payload';
        v_sha := pg_catalog.lower(v_op->>'sha256');
        IF v_id_text IS NULL
           OR v_id_text !~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$'
           OR v_kind IS NULL OR v_text IS NULL OR v_sha IS NULL
           OR pg_catalog.jsonb_typeof(v_op->'payload') <> 'string' THEN
            v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                            'reason', 'malformed op');
            CONTINUE;
        END IF;
        v_id := v_id_text::uuid;
        v_id_text := v_id::text;
        IF pg_catalog.octet_length(v_text) > @MAX_PAYLOAD@ THEN
            v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                'reason', pg_catalog.format('payload too large: %s bytes (at most @MAX_PAYLOAD@)',
                                            pg_catalog.octet_length(v_text)));
            CONTINUE;
        END IF;
        IF pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(v_text, 'UTF8')), 'hex') <> v_sha THEN
            v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                            'reason', 'hash mismatch');
            CONTINUE;
        END IF;
        SELECT o.sha256, o.result INTO v_prev_sha, v_prev_result FROM yc.ops o WHERE o.op_id = v_id;
        IF FOUND THEN
            IF v_prev_sha = v_sha THEN
                v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'duplicate',
                                                                'result', v_prev_result);
            ELSE
                v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                    'reason', 'conflict: same op_id, different payload');
            END IF;
            CONTINUE;
        END IF;
        IF v_key IS NOT NULL THEN  -- a bound window: the op must extend the chain (or hold its place already)
            SELECT ch.sha256 INTO v_chained_sha FROM yc.chain ch WHERE ch.op_id = v_id;
            IF FOUND THEN  -- chained earlier and rejected then: judged afresh, its place is kept
                IF v_chained_sha <> v_sha THEN
                    v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                        'reason', 'conflict: same op_id, different payload');
                    CONTINUE;
                END IF;
            ELSE
                v_cseq := v_op->>'chain_seq';
                v_cprev := pg_catalog.lower(v_op->>'chain_prev');
                v_cmac := pg_catalog.lower(v_op->>'chain_mac');
                IF v_cseq IS NULL OR v_cseq !~ '^[0-9]{1,18}$' OR v_cprev IS NULL OR v_cmac IS NULL THEN
                    v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                        'reason', 'chain: an unchained op from a bound window');
                    CONTINUE;
                END IF;
                IF v_cseq::bigint <> v_head_seq + 1 OR v_cprev <> v_head_mac THEN
                    v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                        'reason', pg_catalog.format(
                            'chain: op %s does not extend the head %s of window %s/%s', v_cseq, v_head_seq,
                            v.centre_code, v.window_no));
                    CONTINUE;
                END IF;
                IF v_cmac IS DISTINCT FROM yc.chain_mac(v_key, v_cseq::bigint, v_cprev, v_id_text, v_kind, v_sha) THEN
                    v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                        'reason', pg_catalog.format('chain: op %s is not authenticated by the window key', v_cseq));
                    CONTINUE;
                END IF;
                INSERT INTO yc.chain (centre_code, window_no, seq, prev, mac, op_id, kind, sha256)
                VALUES (v.centre_code, v.window_no, v_cseq::bigint, v_cprev, v_cmac, v_id, v_kind, v_sha);
                v_head_seq := v_cseq::bigint;
                v_head_mac := v_cmac;
                UPDATE yc.windows SET chain_seq = v_head_seq, chain_mac = v_head_mac
                 WHERE centre_code = v.centre_code AND window_no = v.window_no;
            END IF;
        END IF;
        BEGIN  -- one sub-transaction per op: a bad op is rolled back alone (its chain place stays)
            v_call := v_calls->>v_kind;
            IF v_call IS NULL THEN
                RAISE EXCEPTION 'unknown kind' USING ERRCODE = 'YC100';
            END IF;
            EXECUTE v_call INTO v_result USING v_text::jsonb, v.centre_code, v.window_no;
            INSERT INTO yc.ops (op_id, centre_code, window_no, kind, sha256, result)
            VALUES (v_id, v.centre_code, v.window_no, v_kind, v_sha, v_result);
            v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'applied',
                                                            'result', v_result);
        EXCEPTION
            WHEN serialization_failure OR deadlock_detected OR lock_not_available THEN
                RAISE;  -- transient: the client retries the whole batch
            WHEN SQLSTATE 'YC100' THEN
                v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                                'reason', SQLERRM);
            WHEN unique_violation THEN
                GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
                SELECT o.sha256, o.result INTO v_prev_sha, v_prev_result
                  FROM yc.ops o WHERE o.op_id = v_id;
                IF v_constraint = 'pk_ops' AND FOUND AND v_prev_sha = v_sha THEN
                    v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'duplicate',
                                                                    'result', v_prev_result);
                ELSIF v_constraint = 'pk_ops' THEN
                    v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                        'reason', 'conflict: same op_id, different payload');
                ELSE
                    v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                                    'reason', 'invalid payload: ' || SQLERRM);
                END IF;
            WHEN OTHERS THEN
                v_out := v_out || pg_catalog.jsonb_build_object('op_id', v_id_text, 'status', 'rejected',
                                                                'reason', 'invalid payload: ' || SQLERRM);
        END;
    END LOOP;
    RETURN pg_catalog.to_jsonb(v_out);
END $$
"""))

PUT_BLOBS = SqlFunction("sync.put_blobs(jsonb)", _sql(r"""
CREATE OR REPLACE FUNCTION sync.put_blobs(p_blobs jsonb) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_blob jsonb;
    v_sha text;
    v_data bytea;
    v_out text[] := '{}';
BEGIN
    IF pg_catalog.jsonb_typeof(p_blobs) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'p_blobs must be a JSON array' USING ERRCODE = '22023';
    END IF;
    IF pg_catalog.octet_length(p_blobs::text) > @MAX_BLOB_CALL@ THEN
        RAISE EXCEPTION '一次上传的扫描件过大（上限 @MAX_BLOB_CALL@ 字节）' USING ERRCODE = 'YC004';
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    FOR v_blob IN SELECT e.value FROM pg_catalog.jsonb_array_elements(p_blobs) AS e(value) LOOP
        v_sha := pg_catalog.lower(v_blob->>'sha256');
        IF v_sha IS NULL OR v_sha !~ '^[0-9a-f]{64}$' OR pg_catalog.jsonb_typeof(v_blob->'data') <> 'string' THEN
            CONTINUE;
        END IF;
        v_data := pg_catalog.decode(pg_catalog.regexp_replace(v_blob->>'data', '\s', '', 'g'), 'base64');
        IF pg_catalog.length(v_data) > @MAX_BLOB@ THEN
            RAISE EXCEPTION '扫描件 % 过大：% 字节（上限 @MAX_BLOB@ 字节）', v_sha, pg_catalog.length(v_data)
                USING ERRCODE = 'YC004';
        END IF;
        IF pg_catalog.encode(pg_catalog.sha256(v_data), 'hex') <> v_sha THEN
            CONTINUE;
        END IF;
        INSERT INTO yc.blobs (sha256, data, size) VALUES (v_sha, v_data, pg_catalog.length(v_data))
        ON CONFLICT (sha256) DO NOTHING;
        INSERT INTO yc.blob_owners (sha256, centre_code) VALUES (v_sha, v.centre_code)
        ON CONFLICT (sha256, centre_code) DO NOTHING;
        v_out := v_out || v_sha;
    END LOOP;
    RETURN pg_catalog.to_jsonb(v_out);
END $$
"""))

PULL = SqlFunction("sync.pull(text, bigint, int)", _sql(r"""
CREATE OR REPLACE FUNCTION sync.pull(p_stream text, p_after bigint, p_limit int) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_rows jsonb;
    v_last bigint;
BEGIN
    SELECT * INTO v FROM yc.caller_window();
    -- users: the centre's own, and city-wide administrators; another city-wide user comes down only as
    -- "not active here" (no name, no password hash), so a demoted administrator is switched off too.
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('seq', s.seq, 'key', s.key,
               'data', CASE WHEN s.stream = 'users' AND s.centre_code = '*'
                                 AND s.data->>'role' IS DISTINCT FROM 'admin'
                            THEN pg_catalog.jsonb_build_object('login', s.key, 'active', false)
                            ELSE s.data END) ORDER BY s.seq), '[]'::jsonb),
           max(s.seq)
      INTO v_rows, v_last
      FROM (SELECT c.seq, c.stream, c.centre_code, c.key, c.data FROM yc.changes c
             WHERE c.stream = p_stream AND c.centre_code IN (v.centre_code, '*')
               AND c.seq > coalesce(p_after, 0)
             ORDER BY c.seq
             LIMIT least(greatest(coalesce(p_limit, 1000), 1), 10000)) s;
    RETURN pg_catalog.jsonb_build_object('rows', v_rows, 'last_seq', coalesce(v_last, p_after, 0));
END $$
"""))

_PROTOCOL_NOW = (
    "SELECT greatest(@CHAIN_PROTOCOL@, @STREAMS_PROTOCOL@, max(k.introduced)) INTO v_protocol FROM yc.op_kinds k;"
)

HANDSHAKE_V1 = SqlFunction("sync.handshake(int)", _sql(r"""
CREATE OR REPLACE FUNCTION sync.handshake(p_protocol int) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_protocol int;
BEGIN
    @PROTOCOL_NOW@
    IF p_protocol IS NULL OR p_protocol < @MIN_PROTOCOL@ THEN
        RAISE EXCEPTION '客户端版本过旧，请升级' USING ERRCODE = 'YC001',
            DETAIL = pg_catalog.format('client protocol %s, server accepts %s..%s', p_protocol,
                                       @MIN_PROTOCOL@, v_protocol);
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    IF EXISTS (SELECT 1 FROM yc.windows w WHERE w.centre_code = v.centre_code AND w.window_no = v.window_no
                                               AND w.machine_id IS NOT NULL) THEN
        -- a bound window speaks protocol @CHAIN_PROTOCOL@ (its ops are chained): an older client is refused
        RAISE EXCEPTION '客户端版本过旧，请升级' USING ERRCODE = 'YC001',
            DETAIL = pg_catalog.format('client protocol %s, server accepts %s..%s', p_protocol,
                                       @MIN_PROTOCOL@, v_protocol);
    END IF;
    RETURN pg_catalog.jsonb_build_object(
        'protocol', v_protocol,
        'min_protocol', @MIN_PROTOCOL@,
        'schema', (SELECT version_num FROM public.alembic_version LIMIT 1),
        'server_time', pg_catalog.now(),
        'centre_code', v.centre_code,
        'centre_name', (SELECT name FROM yc.centres WHERE code = v.centre_code),
        'window_no', v.window_no);
END $$
""".replace("@PROTOCOL_NOW@", _PROTOCOL_NOW)))

HANDSHAKE = SqlFunction("sync.handshake(int, jsonb)", _sql(r"""
CREATE OR REPLACE FUNCTION sync.handshake(p_protocol int, p_client jsonb) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_protocol int;
    v_machine text;
    v_head_seq bigint;
    v_head_mac text;
    v_key bytea;
    v_client_time timestamptz;
BEGIN
    @PROTOCOL_NOW@
    IF p_protocol IS NULL OR p_protocol < @MIN_PROTOCOL@ THEN
        RAISE EXCEPTION '客户端版本过旧，请升级' USING ERRCODE = 'YC001',
            DETAIL = pg_catalog.format('client protocol %s, server accepts %s..%s', p_protocol,
                                       @MIN_PROTOCOL@, v_protocol);
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    SELECT w.machine_id, w.chain_seq, w.chain_mac INTO v_machine, v_head_seq, v_head_mac
      FROM yc.windows w WHERE w.centre_code = v.centre_code AND w.window_no = v.window_no FOR UPDATE;
    IF v_machine IS NOT NULL AND v_machine IS DISTINCT FROM p_client->>'machine_id' THEN
        RAISE EXCEPTION '本窗口（% / %）已在另一台电脑上启用：同一窗口只能在一台电脑上使用。如确需更换电脑，请管理员先停用旧电脑（yichuang central retire-window），再在新电脑上用 yichuang init --restore-from-central 恢复',
            v.centre_code, v.window_no USING ERRCODE = 'YC003';
    END IF;
    IF v_machine IS NOT NULL THEN
        SELECT k.window_key INTO v_key FROM yc.window_keys k
         WHERE k.centre_code = v.centre_code AND k.window_no = v.window_no AND k.retired_at IS NULL;
        IF coalesce(p_client->>'key_sha256', '') <> ''
           AND pg_catalog.lower(p_client->>'key_sha256') <> pg_catalog.encode(pg_catalog.sha256(v_key), 'hex') THEN
            RAISE EXCEPTION '本窗口的密钥与中心登记的不符（% / %）：请管理员停用后重新启用本窗口', v.centre_code, v.window_no
                USING ERRCODE = 'YC003';
        END IF;
    END IF;
    BEGIN
        v_client_time := (p_client->>'client_time')::timestamptz;
    EXCEPTION WHEN OTHERS THEN
        v_client_time := NULL;
    END;
    UPDATE yc.windows
       SET last_seen_at = pg_catalog.now(),
           clock_skew_s = pg_catalog.round(extract(epoch FROM v_client_time - pg_catalog.now()))::int
     WHERE centre_code = v.centre_code AND window_no = v.window_no;
    RETURN pg_catalog.jsonb_build_object(
        'protocol', v_protocol,
        'min_protocol', @MIN_PROTOCOL@,
        'schema', (SELECT version_num FROM public.alembic_version LIMIT 1),
        'server_time', pg_catalog.now(),
        'centre_code', v.centre_code,
        'centre_name', (SELECT name FROM yc.centres WHERE code = v.centre_code),
        'window_no', v.window_no,
        'bound', v_machine IS NOT NULL,
        'chain_head', pg_catalog.jsonb_build_object('seq', v_head_seq, 'mac', v_head_mac));
END $$
""".replace("@PROTOCOL_NOW@", _PROTOCOL_NOW)))

BIND_WINDOW = SqlFunction("sync.bind_window(text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION sync.bind_window(p_machine_id text, p_window_key text) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_machine text;
    v_head_seq bigint;
    v_head_mac text;
    v_key bytea;
    v_stored bytea;
BEGIN
    IF p_machine_id IS NULL OR p_machine_id !~ '^[0-9a-f]{32}$' THEN
        RAISE EXCEPTION '电脑标识 machine_id 无效' USING ERRCODE = '22023';
    END IF;
    IF p_window_key IS NULL OR p_window_key !~ '^[0-9a-fA-F]{64}$' THEN
        RAISE EXCEPTION '窗口密钥 window_key 无效（应为 32 字节的十六进制）' USING ERRCODE = '22023';
    END IF;
    v_key := pg_catalog.decode(p_window_key, 'hex');
    SELECT * INTO v FROM yc.caller_window();
    SELECT w.machine_id, w.chain_seq, w.chain_mac INTO v_machine, v_head_seq, v_head_mac
      FROM yc.windows w WHERE w.centre_code = v.centre_code AND w.window_no = v.window_no FOR UPDATE;
    IF v_machine IS NOT NULL THEN
        SELECT k.window_key INTO v_stored FROM yc.window_keys k
         WHERE k.centre_code = v.centre_code AND k.window_no = v.window_no AND k.retired_at IS NULL;
        IF v_machine = p_machine_id AND v_stored = v_key THEN  -- the same machine binding again: a no-op
            RETURN pg_catalog.jsonb_build_object('bound', true,
                'chain_head', pg_catalog.jsonb_build_object('seq', v_head_seq, 'mac', v_head_mac));
        END IF;
        RAISE EXCEPTION '本窗口（% / %）已在另一台电脑上启用：同一窗口只能在一台电脑上使用。如确需更换电脑，请管理员先停用旧电脑（yichuang central retire-window），再在新电脑上用 yichuang init --restore-from-central 恢复',
            v.centre_code, v.window_no USING ERRCODE = 'YC003';
    END IF;
    UPDATE yc.windows SET machine_id = p_machine_id, bound_at = pg_catalog.now()
     WHERE centre_code = v.centre_code AND window_no = v.window_no;
    INSERT INTO yc.window_keys (centre_code, window_no, from_seq, window_key, machine_id)
    VALUES (v.centre_code, v.window_no, v_head_seq + 1, v_key, p_machine_id);
    PERFORM pg_catalog.set_config('yc.centre', v.centre_code, true);
    INSERT INTO yc.audit (centre_code, window_no, at, actor, action, ref, detail)
    VALUES (v.centre_code, v.window_no, pg_catalog.now(), session_user, 'window.bound', p_machine_id,
            pg_catalog.format('chain continues after %s', v_head_seq));
    RETURN pg_catalog.jsonb_build_object('bound', true,
        'chain_head', pg_catalog.jsonb_build_object('seq', v_head_seq, 'mac', v_head_mac));
END $$
"""))

RESTORE_STATE = SqlFunction("sync.restore_state()", _sql(r"""
CREATE OR REPLACE FUNCTION sync.restore_state() RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_prefix text;
    v_serials jsonb;
    v_head jsonb;
BEGIN
    SELECT * INTO v FROM yc.caller_window();
    v_prefix := v.centre_code || v.window_no;
    SELECT coalesce(pg_catalog.jsonb_object_agg(d.day, d.last_serial), '{}'::jsonb) INTO v_serials
      FROM (SELECT pg_catalog.substr(c.case_no, pg_catalog.length(v_prefix) + 1, 6) AS day,
                   max(pg_catalog.substr(c.case_no, pg_catalog.length(v_prefix) + 7, 4)::int) AS last_serial
              FROM yc.cases c
             WHERE c.centre_code = v.centre_code AND c.window_no = v.window_no
               AND yc.case_no_belongs(c.case_no, v.centre_code, v.window_no)
             GROUP BY 1) d;
    SELECT pg_catalog.jsonb_build_object('seq', w.chain_seq, 'mac', w.chain_mac) INTO v_head
      FROM yc.windows w WHERE w.centre_code = v.centre_code AND w.window_no = v.window_no;
    RETURN pg_catalog.jsonb_build_object('centre_code', v.centre_code, 'window_no', v.window_no,
                                         'last_serials', v_serials, 'chain_head', v_head);
END $$
"""))

# ---- administrators --------------------------------------------------------------------------------
RETIRE_WINDOW = SqlFunction("admin.retire_window(text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION admin.retire_window(p_centre text, p_window text, p_actor text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v_machine text;
    v_head bigint;
BEGIN
    SELECT w.machine_id, w.chain_seq INTO v_machine, v_head FROM yc.windows w
     WHERE w.centre_code = p_centre AND w.window_no = p_window FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '窗口 % / % 未登记', p_centre, p_window USING ERRCODE = 'P0002';
    END IF;
    UPDATE yc.windows SET machine_id = NULL, bound_at = NULL
     WHERE centre_code = p_centre AND window_no = p_window;
    UPDATE yc.window_keys SET retired_at = pg_catalog.now()
     WHERE centre_code = p_centre AND window_no = p_window AND retired_at IS NULL;
    PERFORM pg_catalog.set_config('yc.centre', p_centre, true);
    INSERT INTO yc.audit (centre_code, window_no, at, actor, action, ref, detail)
    VALUES (p_centre, p_window, pg_catalog.now(), coalesce(nullif(p_actor, ''), session_user),
            'window.retired', coalesce(v_machine, ''), pg_catalog.format('chain head %s', v_head));
    RETURN pg_catalog.jsonb_build_object('centre_code', p_centre, 'window_no', p_window,
                                         'retired_machine', v_machine, 'chain_head', v_head);
END $$
"""), owner="yc_owner", execute_to=("yc_admin",))

# Every window's chain (gapless seq from 1, each prev the mac before, each mac authenticated with the key
# in force at that seq), its head, and its daily case serials (1..max, no gap). Read-only.
VERIFY_CHAINS = SqlFunction("admin.verify_chains(text)", _sql(r"""
CREATE OR REPLACE FUNCTION admin.verify_chains(p_centre text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    w record;
    c record;
    v_expect_seq bigint;
    v_expect_prev text;
    v_key bytea;
    v_problems jsonb := '[]'::jsonb;
    v_gaps jsonb := '[]'::jsonb;
    v_flags jsonb := '[]'::jsonb;
    v_windows int := 0;
    v_broken boolean;
    v_prefix text;
BEGIN
    FOR w IN SELECT * FROM yc.windows x WHERE p_centre IS NULL OR x.centre_code = p_centre
             ORDER BY x.centre_code, x.window_no LOOP
        v_windows := v_windows + 1;
        PERFORM pg_catalog.set_config('yc.centre', w.centre_code, true);
        v_expect_seq := 1;
        v_expect_prev := '@ZERO@';
        v_broken := false;
        FOR c IN SELECT * FROM yc.chain ch WHERE ch.centre_code = w.centre_code AND ch.window_no = w.window_no
                 ORDER BY ch.seq LOOP
            SELECT k.window_key INTO v_key FROM yc.window_keys k
             WHERE k.centre_code = w.centre_code AND k.window_no = w.window_no AND k.from_seq <= c.seq
             ORDER BY k.from_seq DESC, k.id DESC LIMIT 1;
            IF c.seq <> v_expect_seq THEN
                v_problems := v_problems || pg_catalog.jsonb_build_object('centre_code', w.centre_code,
                    'window_no', w.window_no, 'seq', v_expect_seq, 'op_id', NULL,
                    'problem', pg_catalog.format('record %s missing (next is %s)', v_expect_seq, c.seq));
                v_broken := true;
            ELSIF c.prev <> v_expect_prev THEN
                v_problems := v_problems || pg_catalog.jsonb_build_object('centre_code', w.centre_code,
                    'window_no', w.window_no, 'seq', c.seq, 'op_id', c.op_id,
                    'problem', 'prev does not match the record before');
                v_broken := true;
            ELSIF v_key IS NULL OR c.mac IS DISTINCT FROM yc.chain_mac(v_key, c.seq, c.prev, c.op_id::text, c.kind, c.sha256) THEN
                v_problems := v_problems || pg_catalog.jsonb_build_object('centre_code', w.centre_code,
                    'window_no', w.window_no, 'seq', c.seq, 'op_id', c.op_id,
                    'problem', 'mac is not authenticated by the window key');
                v_broken := true;
            END IF;
            EXIT WHEN v_broken;
            v_expect_seq := c.seq + 1;
            v_expect_prev := c.mac;
        END LOOP;
        IF NOT v_broken AND (w.chain_seq <> v_expect_seq - 1 OR w.chain_mac <> v_expect_prev) THEN
            v_problems := v_problems || pg_catalog.jsonb_build_object('centre_code', w.centre_code,
                'window_no', w.window_no, 'seq', w.chain_seq, 'op_id', NULL,
                'problem', pg_catalog.format('head %s does not match the last record %s', w.chain_seq,
                                             v_expect_seq - 1));
        END IF;
        v_prefix := w.centre_code || w.window_no;
        SELECT v_gaps || coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'centre_code', w.centre_code, 'window_no', w.window_no, 'day', g.day,
                   'missing', g.missing) ORDER BY g.day), '[]'::jsonb)
          INTO v_gaps
          FROM (SELECT s.day, pg_catalog.array_agg(n ORDER BY n) AS missing
                  FROM (SELECT pg_catalog.substr(x.case_no, pg_catalog.length(v_prefix) + 1, 6) AS day,
                               pg_catalog.array_agg(pg_catalog.substr(x.case_no, pg_catalog.length(v_prefix) + 7, 4)::int)
                                   AS serials
                          FROM yc.cases x
                         WHERE x.centre_code = w.centre_code AND x.window_no = w.window_no
                           AND yc.case_no_belongs(x.case_no, w.centre_code, w.window_no)
                         GROUP BY 1) s,
                       LATERAL pg_catalog.generate_series(1, (SELECT max(m) FROM unnest(s.serials) m)) AS n
                 WHERE NOT (n = ANY (s.serials))
                 GROUP BY s.day) g;
        SELECT v_flags || coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'centre_code', w.centre_code, 'window_no', w.window_no, 'case_no', x.case_no,
                   'clock_skew_s', x.clock_skew_s) ORDER BY x.case_no), '[]'::jsonb)
          INTO v_flags
          FROM yc.cases x WHERE x.centre_code = w.centre_code AND x.window_no = w.window_no AND x.clock_flag;
    END LOOP;
    RETURN pg_catalog.jsonb_build_object('windows', v_windows, 'problems', v_problems, 'gaps', v_gaps,
                                         'clock_flags', v_flags,
                                         'ok', pg_catalog.jsonb_array_length(v_problems) = 0
                                               AND pg_catalog.jsonb_array_length(v_gaps) = 0);
END $$
"""), owner="yc_owner", execute_to=("yc_admin",))

NEW_HELPERS = (CASE_NO_BELONGS, CATALOGUE_PUBLISHED, CHAIN_MAC)
NEW_API = (HANDSHAKE, BIND_WINDOW, RESTORE_STATE)
NEW_ADMIN = (RETIRE_WINDOW, VERIFY_CHAINS)
REPLACED = (APPLY_CASE_UPSERT, APPLY_TRANSFER_UPSERT, APPLY_CONSULTATION, APPLY_RATING, APPLY_AUDIT, PUSH_FAST, PUSH, PUT_BLOBS,
            PULL, HANDSHAKE_V1)
# Functions that keep their bodies but wait at most 10 s for a lock (a window cannot stall them).
BOUNDED_ADMIN = ("admin.publish_catalogue(text, text)", "admin.publish_calendar(jsonb, text)",
                 "admin.upsert_user(jsonb)", "admin.decide_case(text, text, text)",
                 "admin.set_case_status(text, text, text)")

_ADVISORY = """
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'pg_catalog'::regnamespace
                AND (p.proname LIKE 'pg\\_advisory%' OR p.proname LIKE 'pg\\_try\\_advisory%') LOOP
        EXECUTE format('@VERB@ EXECUTE ON FUNCTION %s @PREP@ PUBLIC', f);
    END LOOP;
END $$"""


def _advisory(grant_to_public: bool) -> None:
    verb, prep = ("GRANT", "TO") if grant_to_public else ("REVOKE", "FROM")
    if not grant_to_public:
        op.execute(_ADVISORY.replace("@VERB@", "GRANT").replace("@PREP@", "TO").replace(
            " PUBLIC'", " yc_owner, yc_admin'"))
    op.execute(_ADVISORY.replace("@VERB@", verb).replace("@PREP@", prep))


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS yc_crypto")
    op.execute("REVOKE ALL ON SCHEMA yc_crypto FROM PUBLIC")
    op.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA yc_crypto")
    op.execute("GRANT USAGE ON SCHEMA yc_crypto TO yc_owner")
    # a window plants nothing: no temp objects, no advisory locks (the sync code locks as yc_owner)
    op.execute("DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()); END $$")
    _advisory(grant_to_public=False)

    op.execute(f"""
ALTER TABLE yc.windows
    ADD COLUMN machine_id text,
    ADD COLUMN bound_at timestamptz,
    ADD COLUMN chain_seq bigint NOT NULL DEFAULT 0,
    ADD COLUMN chain_mac text NOT NULL DEFAULT '{ZERO_MAC}',
    ADD COLUMN last_seen_at timestamptz,
    ADD COLUMN clock_skew_s int""")
    op.execute("""
CREATE TABLE yc.window_keys (
    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_window_keys PRIMARY KEY,
    centre_code text NOT NULL,
    window_no text NOT NULL,
    from_seq bigint NOT NULL,
    window_key bytea NOT NULL,
    machine_id text NOT NULL,
    bound_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    CONSTRAINT fk_window_keys_windows FOREIGN KEY (centre_code, window_no)
        REFERENCES yc.windows (centre_code, window_no),
    CONSTRAINT ck_window_keys_key CHECK (length(window_key) = 32)
)""")
    op.execute("CREATE UNIQUE INDEX ux_window_keys_live ON yc.window_keys (centre_code, window_no) "
               "WHERE retired_at IS NULL")
    op.execute("""
CREATE TABLE yc.chain (
    centre_code text NOT NULL,
    window_no text NOT NULL,
    seq bigint NOT NULL,
    prev text NOT NULL,
    mac text NOT NULL,
    op_id uuid NOT NULL,
    kind text NOT NULL,
    sha256 text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_chain PRIMARY KEY (centre_code, window_no, seq),
    CONSTRAINT uq_chain_op_id UNIQUE (op_id)
)""")
    for table in ("window_keys", "chain"):
        op.execute(f"ALTER TABLE yc.{table} OWNER TO yc_owner")  # no grant: not even yc_admin reads keys
    op.execute("GRANT SELECT ON yc.chain TO yc_admin")
    op.execute("""
ALTER TABLE yc.cases
    ADD COLUMN centre_received_at timestamptz,
    ADD COLUMN clock_skew_s int,
    ADD COLUMN clock_flag boolean NOT NULL DEFAULT false""")
    op.execute("CREATE INDEX ix_changes_catalogue_key ON yc.changes (key, centre_code) WHERE stream = 'catalogue'")
    op.execute("""
CREATE TYPE yc.fast_op AS (n int, op_id uuid, kind text, sha text, p jsonb, case_no text, doc_id bigint,
                           cseq bigint, cprev text, cmac text)""")
    op.execute("ALTER TYPE yc.fast_op OWNER TO yc_owner")

    for fn in NEW_HELPERS:
        create(fn)
    for fn in REPLACED:
        replace(fn, revision=revision)
    for fn in NEW_API:
        create(SqlFunction(fn.signature, fn.definition, execute_to=("yc_window",)))
    for fn in NEW_ADMIN:
        create(fn)
    for sig in BOUNDED_ADMIN:
        op.execute(f"ALTER FUNCTION {sig} SET lock_timeout = '10s'")


def downgrade() -> None:
    for sig in BOUNDED_ADMIN:
        op.execute(f"ALTER FUNCTION {sig} RESET lock_timeout")
    for fn in (*NEW_ADMIN, *NEW_API):
        drop(fn)
    for fn in reversed(REPLACED):
        restore(fn, revision=revision)
    for fn in NEW_HELPERS:
        drop(fn)
    op.execute("DROP TYPE yc.fast_op")
    op.execute("DROP INDEX yc.ix_changes_catalogue_key")
    op.execute("ALTER TABLE yc.cases DROP COLUMN centre_received_at, DROP COLUMN clock_skew_s, "
               "DROP COLUMN clock_flag")
    op.execute("DROP TABLE yc.chain")
    op.execute("DROP TABLE yc.window_keys")
    op.execute("ALTER TABLE yc.windows DROP COLUMN machine_id, DROP COLUMN bound_at, DROP COLUMN chain_seq, "
               "DROP COLUMN chain_mac, DROP COLUMN last_seen_at, DROP COLUMN clock_skew_s")
    _advisory(grant_to_public=True)
    op.execute("DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO PUBLIC', current_database()); END $$")
    op.execute("DROP EXTENSION IF EXISTS pgcrypto")
    op.execute("DROP SCHEMA IF EXISTS yc_crypto")
