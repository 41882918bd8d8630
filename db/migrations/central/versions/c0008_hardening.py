"""Central schema v8 (hardening): the holes the attack tests (tests/sync/test_loop_attacks.py) found in the
loop's rules (c0006), closed.

Revision ID: c0008
Revises: c0007
Create Date: 2025-01-08

What changes (each rule in docs/sync-protocol.md):
- A window's step is its own: apply_case_upsert and push_fast refuse a step.event starting with `review.`,
  `decision.` or `transfer.` (the department's words); yc.case_review counts only department rows
  (window_no IS NULL), and restarts only after the department's own `transfer.signed`.
- Delivery is judged on what the centre stored: a decided case (approved/denied), or a case the centre
  holds as received with the stored outcome `completed`. The outcome changes only while the centre's status
  is `received` and the stored outcome is `notice` (补正 completes the file; nothing else moves it).
- Versions follow one another: an existing case's next version is exactly the stored version + 1, and when
  the step names `base_window_no` (the case's last_window_no the window built on) it must be the centre's
  last_window_no; else the op is refused as stale naming the window that won (the window's reconcile reads
  that text), so every version built on a lost one goes to the dead-letter list too.
- A new case's matter must be in yc.catalogue_matters for its catalogue version; a batch's department must
  equal each case's department (a NULL department matches none).
- A batch needs at least one case; office.inbox lists every sent batch whatever its age, newest change at
  the centre first (updated_at), and caps only the signed/returned history at 500.
- Separation of duties: office.review and office.decide refuse an actor who recorded an earlier review step
  of the case since it was signed for (承办, 审核 and 决定 are three people; for a ["handle", "decide"]
  matter the decider is not the handler).
- yc.emit_case deletes the older `cases` rows of the same centre and case after appending (sync.pull only
  ever returned the newest); the upgrade removes the ones already superseded.
- Window and department logins: idle_in_transaction_session_timeout 15s (role setting, as
  db/central/admin.py now provisions).
Functions are replaceable objects (db/central/replaceable.py): each is defined whole here; the database
keeps what it replaces for the downgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop, replace, restore

revision: str = "c0008"
down_revision: str | Sequence[str] | None = "c0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_PAYLOAD = 256 * 1024
CLOCK_TOLERANCE_S = 300
DEFAULT_REVIEW_STEPS = '["handle", "review", "decide"]'
INBOX_HISTORY = 500
IDLE_IN_TRANSACTION = "15s"  # db.central.admin.WINDOW_ROLE_SETTINGS
IDLE_BEFORE = "60s"  # what c0001..c0007 provisioned

_FN = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s'"
_REJECT = "USING ERRCODE = 'YC100'"
# the department's step words: a window may not record them (sync.push) nor count as them (case_review)
_RESERVED = r"'^(review|decision|transfer)\.'"


def _sql(text: str) -> str:
    for key, value in {
        "@FN@": _FN, "@REJECT@": _REJECT, "@MAX_PAYLOAD@": str(MAX_PAYLOAD), "@TOLERANCE@": str(CLOCK_TOLERANCE_S),
        "@DEFAULT_STEPS@": DEFAULT_REVIEW_STEPS, "@RESERVED@": _RESERVED, "@HISTORY@": str(INBOX_HISTORY),
    }.items():
        text = text.replace(key, value)
    return text


# ---- new helpers (SECURITY INVOKER, owned by yc_owner) ---------------------------------------------------
CASE_SIGNED_STEP = SqlFunction("yc.case_signed_step(text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.case_signed_step(p_case text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    -- the id of the department's last 签收 of the case (0 if none): its review starts after it
    SELECT coalesce(max(t.id), 0) FROM yc.case_steps t
     WHERE t.case_no = p_case AND t.window_no IS NULL AND t.event = 'transfer.signed'
$$
"""))

REVIEW_STEP_OF = SqlFunction("yc.review_step_of(text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.review_step_of(p_case text, p_actor text) RETURNS text
LANGUAGE sql STABLE AS $$
    -- the review step `p_actor` recorded on the case since the department signed for it (NULL: none)
    SELECT pg_catalog.substr(s.event, 8) FROM yc.case_steps s
     WHERE s.case_no = p_case AND s.window_no IS NULL AND s.event LIKE 'review.%' AND s.actor_login = p_actor
       AND s.id > yc.case_signed_step(p_case)
     ORDER BY s.id LIMIT 1
$$
"""))

# ---- replaced ----------------------------------------------------------------------------------------------
# review state: only the department's own rows count (a window's never do)
CASE_REVIEW = SqlFunction("yc.case_review(text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.case_review(p_case text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    -- {"review_steps": the matter's, "done_steps": recorded by the department since it signed for the
    -- case (rows with window_no IS NULL only: a window's step never counts), "next_step"}
    WITH c AS (SELECT x.case_no, coalesce(m.review_steps, '@DEFAULT_STEPS@'::jsonb) AS steps
                 FROM yc.cases x
                 LEFT JOIN yc.catalogue_matters m ON m.version = x.catalogue_version AND m.code = x.matter_code
                WHERE x.case_no = p_case),
         d AS (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.substr(s.event, 8) ORDER BY s.id), '[]'::jsonb) AS done
                 FROM yc.case_steps s
                WHERE s.case_no = p_case AND s.window_no IS NULL AND s.event LIKE 'review.%'
                  AND s.id > yc.case_signed_step(p_case))
    SELECT pg_catalog.jsonb_build_object('review_steps', c.steps, 'done_steps', d.done,
               'next_step', (SELECT e.value FROM pg_catalog.jsonb_array_elements_text(c.steps) WITH ORDINALITY AS e(value, n)
                              WHERE NOT d.done ? e.value ORDER BY e.n LIMIT 1))
      FROM c, d
$$
"""))

# every case change: case_status and cases rows; the superseded cases rows of the case go
EMIT_CASE = SqlFunction("yc.emit_case(text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.emit_case(p_case text, p_centre text, p_note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_outcome text;
    v_seq bigint;
BEGIN
    SELECT c.status, c.outcome INTO v_status, v_outcome FROM yc.cases c WHERE c.case_no = p_case;
    PERFORM yc.append_change('case_status', p_centre, p_case,
        CASE WHEN p_note IS NULL
             THEN pg_catalog.jsonb_build_object('case_no', p_case, 'status', v_status, 'outcome', v_outcome)
             ELSE pg_catalog.jsonb_build_object('case_no', p_case, 'status', v_status, 'outcome', v_outcome,
                                                'note', p_note) END);
    v_seq := yc.append_change('cases', p_centre, p_case, yc.case_snapshot(p_case));
    -- sync.pull returns only the newest row of a case: the older ones are dead weight (under the same lock)
    DELETE FROM yc.changes x
     WHERE x.stream = 'cases' AND x.centre_code = p_centre AND x.key = p_case AND x.seq < v_seq;
END $$
"""))

# a window's case version: its own step words only, exactly the next version built on the centre's last
# window, delivery and outcome judged on what the centre holds, a new case's matter in its catalogue
APPLY_CASE_UPSERT = SqlFunction("yc.apply_case_upsert(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.apply_case_upsert(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_case text := p->>'case_no';
    v_version int;
    c record;
    v_received timestamptz;
    v_skew int;
    v_want text := p->>'status';
    v_status text;
    v_lease record;
    v_inserted boolean := false;
    v_base text := nullif(pg_catalog.btrim(coalesce(p->'step'->>'base_window_no', '')), '');
BEGIN
    IF pg_catalog.jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' @REJECT@;
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre THEN
        RAISE EXCEPTION 'centre mismatch: this login is window %/%', p_centre, p_window @REJECT@;
    END IF;
    IF coalesce(v_case, '') = '' THEN
        RAISE EXCEPTION 'missing case_no' @REJECT@;
    END IF;
    SELECT * INTO c FROM yc.cases x WHERE x.case_no = v_case FOR UPDATE;  -- RLS: this centre's only
    IF NOT FOUND THEN  -- a new case: a number of the pushing window, and that window's
        IF p->>'window_no' IS DISTINCT FROM p_window THEN
            RAISE EXCEPTION 'centre mismatch: this login is window %/%', p_centre, p_window @REJECT@;
        END IF;
        IF NOT yc.case_no_belongs(v_case, p_centre, p_window) THEN
            RAISE EXCEPTION 'case_no % is not a number of window %/%', v_case, p_centre, p_window @REJECT@;
        END IF;
    END IF;
    v_version := (p->>'version')::int;
    IF v_version IS NULL OR v_version < 1 THEN
        RAISE EXCEPTION 'missing version' @REJECT@;
    END IF;
    IF NOT yc.catalogue_published(p->>'catalogue_version', p_centre) THEN
        RAISE EXCEPTION 'catalogue version % was never published for centre %',
            coalesce(p->>'catalogue_version', '(none)'), p_centre @REJECT@;
    END IF;
    IF pg_catalog.jsonb_typeof(p->'step') NOT IN ('object', 'null') THEN
        RAISE EXCEPTION 'step must be an object' @REJECT@;
    END IF;
    IF pg_catalog.lower(pg_catalog.btrim(coalesce(p->'step'->>'event', ''))) ~ @RESERVED@ THEN
        RAISE EXCEPTION 'step event % is the department''s: a window records only its own steps',
            p->'step'->>'event' @REJECT@;
    END IF;
    v_received := (p->>'received_at')::timestamptz;
    IF c.case_no IS NOT NULL THEN  -- the next version, from any window of the centre
        IF p->>'window_no' IS DISTINCT FROM c.window_no THEN
            RAISE EXCEPTION 'window_no of case % is its origin window %, this op carries %', v_case, c.window_no,
                coalesce(p->>'window_no', '(none)') @REJECT@;
        END IF;
        IF v_received IS DISTINCT FROM c.received_at THEN  -- the clock flag was judged on the first push
            RAISE EXCEPTION 'received_at of case % cannot change (%, this op carries %)', v_case,
                c.received_at, v_received @REJECT@;
        END IF;
        IF c.version >= v_version THEN
            RAISE EXCEPTION 'stale version: the centre has version % of case % (last changed by window %), this op carries %',
                c.version, v_case, c.last_window_no, v_version @REJECT@;
        END IF;
        -- the next version is the stored one + 1, built on what the centre holds (the same refusal text:
        -- the window puts such a case back to the centre's version, see desktop/core/sync/loop.py)
        IF v_version <> c.version + 1 THEN
            RAISE EXCEPTION 'stale version: the centre has version % of case % (last changed by window %), this op carries % (not the next version)',
                c.version, v_case, c.last_window_no, v_version @REJECT@;
        END IF;
        IF v_base IS NOT NULL AND v_base IS DISTINCT FROM c.last_window_no THEN
            RAISE EXCEPTION 'stale version: the centre has version % of case % (last changed by window %), this op carries % (built on a version of window %)',
                c.version, v_case, c.last_window_no, v_version, v_base @REJECT@;
        END IF;
        SELECT * INTO v_lease FROM yc.case_leases l
         WHERE l.case_no = v_case AND l.until > pg_catalog.now() AND l.window_no <> p_window;
        IF FOUND THEN
            RAISE EXCEPTION 'case % is being handled by window % (%) until %', v_case, v_lease.window_no,
                v_lease.clerk_name, v_lease.until @REJECT@;
        END IF;
        IF p->>'outcome' IS DISTINCT FROM c.outcome THEN  -- only 补正 moves it: notice -> what the file now is
            IF c.status <> 'received' THEN
                RAISE EXCEPTION 'the outcome of case % cannot change: it is % at the centre (outcome %)', v_case,
                    c.status, c.outcome @REJECT@;
            END IF;
            IF c.outcome IS DISTINCT FROM 'notice' THEN
                RAISE EXCEPTION 'the outcome of case % cannot change from %', v_case, c.outcome @REJECT@;
            END IF;
        END IF;
        v_status := c.status;
        IF v_want = 'delivered' AND c.status <> 'delivered' THEN
            -- judged on what the centre holds, never on what this op says
            IF NOT (c.status IN ('approved', 'denied') OR (c.status = 'received' AND c.outcome = 'completed')) THEN
                RAISE EXCEPTION 'case % cannot be delivered: it is %, not decided', v_case, c.status @REJECT@;
            END IF;
            v_status := 'delivered';
        ELSIF v_want IN ('withdrawn', 'voided') AND c.status <> v_want THEN
            IF c.status IN ('approved', 'denied', 'delivered') THEN
                RAISE EXCEPTION 'case % cannot be %: it is % already', v_case, v_want, c.status @REJECT@;
            END IF;
            v_status := v_want;
        END IF;
        UPDATE yc.cases AS x
           SET matter_code = p->>'matter_code', catalogue_version = p->>'catalogue_version',
               outcome = p->>'outcome', promised_date = (p->>'promised_date')::date,
               statutory_date = (p->>'statutory_date')::date,
               applicant_name = p->'applicant'->>'name', applicant_kind = p->'applicant'->>'kind',
               payload = p, version = v_version, status = v_status, last_window_no = p_window,
               updated_at = pg_catalog.now()
         WHERE x.case_no = v_case;
    ELSE
        v_status := CASE WHEN v_want IN ('withdrawn', 'voided') THEN v_want
                         WHEN v_want = 'delivered' THEN 'delivered' ELSE 'received' END;
        IF v_status = 'delivered' AND p->>'outcome' IS DISTINCT FROM 'completed' THEN
            RAISE EXCEPTION 'case % cannot be delivered: it is received, not decided', v_case @REJECT@;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM yc.catalogue_matters m
                        WHERE m.version = p->>'catalogue_version' AND m.code = p->>'matter_code') THEN
            RAISE EXCEPTION 'matter % is not in catalogue version %', coalesce(p->>'matter_code', '(none)'),
                p->>'catalogue_version' @REJECT@;
        END IF;
        v_skew := pg_catalog.round(extract(epoch FROM v_received - pg_catalog.now()))::int;
        INSERT INTO yc.cases AS x (case_no, centre_code, window_no, matter_code, catalogue_version, outcome,
                                   status, received_at, promised_date, statutory_date, applicant_name,
                                   applicant_kind, payload, version, updated_at, centre_received_at,
                                   clock_skew_s, clock_flag, department, last_window_no)
        VALUES (v_case, p_centre, p_window, p->>'matter_code', p->>'catalogue_version', p->>'outcome',
                v_status, v_received, (p->>'promised_date')::date, (p->>'statutory_date')::date,
                p->'applicant'->>'name', p->'applicant'->>'kind', p, v_version, pg_catalog.now(),
                pg_catalog.now(), v_skew, abs(v_skew) > @TOLERANCE@,
                (SELECT m.department FROM yc.catalogue_matters m
                  WHERE m.version = p->>'catalogue_version' AND m.code = p->>'matter_code'), p_window);
        v_inserted := true;
    END IF;
    PERFORM yc.add_step(v_case, p_centre,
        pg_catalog.left(coalesce(nullif(p->'step'->>'event', ''),
                                 CASE WHEN v_inserted THEN 'case.received' ELSE 'case.updated' END), 64),
        p_window, NULL, coalesce(p->'step'->>'clerk_login', p->>'clerk_login', ''),
        coalesce(p->'step'->>'clerk_name', ''), (p->'step'->>'at')::timestamptz,
        pg_catalog.jsonb_build_object('status', v_status,
                                      'backup_for', coalesce(p->'step'->>'backup_for', '')));
    PERFORM yc.emit_case(v_case, p_centre);
    RETURN pg_catalog.jsonb_build_object('case_no', v_case,
                                         'action', CASE WHEN v_inserted THEN 'inserted' ELSE 'updated' END,
                                         'version', v_version);
EXCEPTION
    WHEN insufficient_privilege OR unique_violation THEN  -- the number exists at another centre
        RAISE EXCEPTION 'case_no % belongs to another centre', v_case @REJECT@;
END $$
"""))

# a window's batch: at least one case, each of exactly the batch's department
APPLY_TRANSFER_UPSERT = SqlFunction("yc.apply_transfer_upsert(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.apply_transfer_upsert(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_batch text := p->>'batch_no';
    v_version int;
    t record;
    v_cases text[];
    v_before text[] := '{}';
    v_bad record;
    v_other text;
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
    IF pg_catalog.left(v_batch, 2 + pg_catalog.length(p_centre)) IS DISTINCT FROM 'LZ' || p_centre THEN
        RAISE EXCEPTION 'batch_no % belongs to another centre', v_batch @REJECT@;
    END IF;
    IF pg_catalog.left(v_batch, 2 + pg_catalog.length(p_centre || p_window))
       IS DISTINCT FROM 'LZ' || p_centre || p_window THEN
        RAISE EXCEPTION 'batch_no % belongs to another window', v_batch @REJECT@;
    END IF;
    IF p->>'state' IN ('signed', 'returned') THEN
        RAISE EXCEPTION 'a window cannot sign or return its own batch' @REJECT@;
    END IF;
    IF p->>'state' IS NULL OR p->>'state' NOT IN ('waiting', 'sent') THEN
        RAISE EXCEPTION 'state must be waiting or sent' @REJECT@;
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
    IF pg_catalog.cardinality(v_cases) = 0 THEN
        RAISE EXCEPTION 'a batch needs at least one case' @REJECT@;
    END IF;
    SELECT * INTO t FROM yc.transfers x WHERE x.batch_no = v_batch FOR UPDATE;
    IF FOUND THEN
        IF t.window_no IS DISTINCT FROM p_window THEN
            RAISE EXCEPTION 'batch % was first pushed by window %, not %', v_batch, t.window_no, p_window @REJECT@;
        END IF;
        IF t.state IN ('signed', 'returned') THEN
            RAISE EXCEPTION 'batch % was % by the department already', v_batch, t.state @REJECT@;
        END IF;
        IF t.version >= v_version THEN
            RAISE EXCEPTION 'stale version: the centre has version % of batch %, this op carries %',
                t.version, v_batch, v_version @REJECT@;
        END IF;
        IF t.state = 'sent' AND p->>'state' = 'waiting' THEN
            RAISE EXCEPTION 'batch % was sent already', v_batch @REJECT@;
        END IF;
        SELECT coalesce(array_agg(i.case_no ORDER BY i.case_no), '{}') INTO v_before
          FROM yc.transfer_items i WHERE i.batch_no = v_batch;
    END IF;
    -- every case: this centre's (RLS), accepted, still open, of the batch's department, in no other open batch
    SELECT x AS case_no, c.case_no AS known, c.outcome, c.status, c.department INTO v_bad
      FROM unnest(v_cases) AS x LEFT JOIN yc.cases c ON c.case_no = x
     WHERE c.case_no IS NULL OR c.outcome IS DISTINCT FROM 'accepted'
        OR c.status IN ('withdrawn', 'voided', 'approved', 'denied', 'delivered')
        OR c.department IS DISTINCT FROM p->>'department'  -- a case of no department goes nowhere
     ORDER BY x LIMIT 1;
    IF FOUND THEN
        IF v_bad.known IS NULL THEN
            RAISE EXCEPTION 'unknown case: %', v_bad.case_no @REJECT@;
        ELSIF v_bad.outcome IS DISTINCT FROM 'accepted' THEN
            RAISE EXCEPTION 'case % was not accepted (outcome %)', v_bad.case_no, v_bad.outcome @REJECT@;
        ELSIF v_bad.status IN ('withdrawn', 'voided', 'approved', 'denied', 'delivered') THEN
            RAISE EXCEPTION 'case % cannot be transferred: it is %', v_bad.case_no, v_bad.status @REJECT@;
        ELSIF v_bad.department IS NULL THEN
            RAISE EXCEPTION 'case % is for no department (its matter is not in its catalogue version)',
                v_bad.case_no @REJECT@;
        ELSE
            RAISE EXCEPTION 'case % is for department %, not %', v_bad.case_no, v_bad.department,
                p->>'department' @REJECT@;
        END IF;
    END IF;
    SELECT i.case_no || ' is in batch ' || i.batch_no INTO v_other
      FROM yc.transfer_items i JOIN yc.transfers b ON b.batch_no = i.batch_no
     WHERE i.case_no = ANY (v_cases) AND i.batch_no <> v_batch AND b.state <> 'returned'
     ORDER BY i.case_no LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'case % already', v_other @REJECT@;
    END IF;
    IF t.batch_no IS NOT NULL THEN
        UPDATE yc.transfers AS x
           SET department = p->>'department', channel = p->>'channel',
               tracking_no = coalesce(p->>'tracking_no', ''), state = p->>'state',
               created_at = (p->>'created_at')::timestamptz, sent_at = (p->>'sent_at')::timestamptz,
               version = v_version, updated_at = pg_catalog.now()
         WHERE x.batch_no = v_batch;
    ELSE
        INSERT INTO yc.transfers (batch_no, centre_code, window_no, department, channel, tracking_no, state,
                                  return_reason, created_at, sent_at, closed_at, version, updated_at)
        VALUES (v_batch, p_centre, p_window, p->>'department', p->>'channel', coalesce(p->>'tracking_no', ''),
                p->>'state', '', (p->>'created_at')::timestamptz, (p->>'sent_at')::timestamptz, NULL,
                v_version, pg_catalog.now());
        v_inserted := true;
    END IF;
    DELETE FROM yc.transfer_items WHERE batch_no = v_batch;
    INSERT INTO yc.transfer_items (batch_no, case_no, centre_code)
    SELECT v_batch, x, p_centre FROM unnest(v_cases) AS x;
    PERFORM yc.emit_transfer(v_batch);
    PERFORM yc.emit_case(x, p_centre)
       FROM (SELECT DISTINCT x FROM unnest(v_cases || v_before) AS x ORDER BY x) AS s;
    RETURN pg_catalog.jsonb_build_object('batch_no', v_batch,
                                         'action', CASE WHEN v_inserted THEN 'inserted' ELSE 'updated' END,
                                         'version', v_version);
EXCEPTION
    WHEN insufficient_privilege OR unique_violation THEN
        RAISE EXCEPTION 'batch_no % belongs to another centre', v_batch @REJECT@;
END $$
"""))

# the set-based path for new cases (as c0006): a department step word or a matter its catalogue version
# lacks is unusual too (YC199), so the checked path refuses it with its reason
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
                       OR pg_catalog.jsonb_typeof(f.p->'step') NOT IN ('object', 'null')
                       OR pg_catalog.lower(pg_catalog.btrim(coalesce(f.p->'step'->>'event', ''))) ~ @RESERVED@
                       OR NOT EXISTS (SELECT 1 FROM yc.catalogue_matters m
                                       WHERE m.version = f.p->>'catalogue_version' AND m.code = f.p->>'matter_code')
                       OR (f.p->>'status' = 'delivered' AND f.p->>'outcome' IS DISTINCT FROM 'completed')
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
    -- the centre's stream lock is held by the caller (sync.push takes it first)
    INSERT INTO yc.changes (seq, stream, centre_code, key, data)
    SELECT pg_catalog.nextval('yc.changes_seq'), s.stream, p_centre, s.case_no, s.data
      FROM (SELECT f.n, 1 AS k, 'case_status' AS stream, f.case_no,
                   pg_catalog.jsonb_build_object('case_no', f.case_no, 'status', c.status, 'outcome', c.outcome) AS data
              FROM unnest(v_rows) f JOIN yc.cases c ON c.case_no = f.case_no WHERE f.kind = 'case.upsert'
            UNION ALL
            SELECT f.n, 2, 'cases', f.case_no, yc.case_snapshot(f.case_no)
              FROM unnest(v_rows) f WHERE f.kind = 'case.upsert') s
     ORDER BY s.n, s.k;
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

# the department's inbox: every sent batch, then the newest 500 of its history, by the centre's updated_at
OFFICE_INBOX = SqlFunction("office.inbox(text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.inbox(p_actor text) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    PERFORM yc.office_actor(p_actor, v.centre_code, v.department);
    RETURN coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'batch_no', t.batch_no, 'window_no', t.window_no, 'state', t.state, 'channel', t.channel,
               'tracking_no', t.tracking_no, 'created_at', t.created_at, 'sent_at', t.sent_at,
               'closed_at', t.closed_at, 'return_reason', t.return_reason,
               'cases', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('case_no', c.case_no,
                                      'matter_code', c.matter_code, 'applicant_name', c.applicant_name,
                                      'promised_date', c.promised_date, 'statutory_date', c.statutory_date)
                                      ORDER BY c.case_no)
                                    FROM yc.transfer_items i JOIN yc.cases c ON c.case_no = i.case_no
                                   WHERE i.batch_no = t.batch_no), '[]'::jsonb))
               ORDER BY t.updated_at DESC, t.batch_no DESC)
              FROM (SELECT * FROM yc.transfers x  -- every batch waiting for the department, whatever its age
                     WHERE x.centre_code = v.centre_code AND x.department = v.department AND x.state = 'sent'
                    UNION ALL
                    (SELECT * FROM yc.transfers x  -- and the newest of its history (the centre's clock, not the window's)
                      WHERE x.centre_code = v.centre_code AND x.department = v.department
                        AND x.state IN ('signed', 'returned')
                      ORDER BY x.updated_at DESC, x.batch_no DESC LIMIT @HISTORY@)) t), '[]'::jsonb);
END $$
"""), execute_to=("yc_office",))

# a review step: not by one who recorded an earlier step of the case since it was signed for
OFFICE_REVIEW = SqlFunction("office.review(text, text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.review(p_actor text, p_case text, p_step text, p_opinion text) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_name text;
    c record;
    v_review jsonb;
    v_done text;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    v_name := yc.office_actor(p_actor, v.centre_code, v.department);
    PERFORM yc.lock_stream('cases', v.centre_code);
    SELECT * INTO c FROM yc.cases x WHERE x.case_no = p_case FOR UPDATE;
    IF NOT FOUND OR c.department IS DISTINCT FROM v.department THEN
        RAISE EXCEPTION 'unknown case' @REJECT@;
    END IF;
    IF p_step = 'decide' THEN
        RAISE EXCEPTION 'decide is not a review step: use office.decide' @REJECT@;
    END IF;
    IF coalesce(pg_catalog.btrim(p_opinion), '') = '' THEN
        RAISE EXCEPTION 'a review step needs an opinion' @REJECT@;
    END IF;
    IF c.status NOT IN ('signed', 'in_review') THEN
        RAISE EXCEPTION 'case % is not under review (status %)', p_case, c.status @REJECT@;
    END IF;
    v_review := yc.case_review(p_case);
    IF NOT (v_review->'review_steps') ? coalesce(p_step, '') THEN
        RAISE EXCEPTION 'unknown review step %: the steps of case % are %', p_step, p_case,
            v_review->'review_steps' @REJECT@;
    END IF;
    IF p_step IS DISTINCT FROM v_review->>'next_step' THEN
        RAISE EXCEPTION 'the next step of case % is %, not %', p_case, v_review->>'next_step', p_step @REJECT@;
    END IF;
    v_done := yc.review_step_of(p_case, p_actor);
    IF v_done IS NOT NULL THEN  -- 承办, 审核 and 决定 are different people
        RAISE EXCEPTION '% recorded the % step of case %: its % step is another person''s', p_actor, v_done, p_case,
            p_step @REJECT@;
    END IF;
    UPDATE yc.cases SET status = 'in_review', updated_at = pg_catalog.now() WHERE case_no = p_case;
    PERFORM yc.add_step(p_case, v.centre_code, 'review.' || p_step, NULL, v.department, p_actor, v_name, NULL,
        pg_catalog.jsonb_build_object('step', p_step, 'opinion', pg_catalog.btrim(p_opinion)));
    PERFORM yc.emit_case(p_case, v.centre_code);
    RETURN yc.office_case_json(p_case);
END $$
"""), execute_to=("yc_office",))

# the decision: not by one who recorded a review step of the case since it was signed for
OFFICE_DECIDE = SqlFunction("office.decide(text, text, jsonb)", _sql(r"""
CREATE OR REPLACE FUNCTION office.decide(p_actor text, p_case text, p_decision jsonb) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_name text;
    v_done text;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    v_name := yc.office_actor(p_actor, v.centre_code, v.department);
    PERFORM yc.lock_stream('cases', v.centre_code);
    -- a case ready for its decision (any other is refused by record_decision, in its own words)
    IF EXISTS (SELECT 1 FROM yc.cases c WHERE c.case_no = p_case AND c.department = v.department
                                          AND c.status IN ('signed', 'in_review')
                                          AND yc.case_review(c.case_no)->>'next_step' = 'decide') THEN
        v_done := yc.review_step_of(p_case, p_actor);
        IF v_done IS NOT NULL THEN  -- the decider handled or reviewed nothing of this case
            RAISE EXCEPTION '% recorded the % step of case %: its decide step is another person''s', p_actor,
                v_done, p_case @REJECT@;
        END IF;
    END IF;
    RETURN yc.record_decision(p_case, p_decision, 'decide', p_actor, v_name, v.department, NULL);
END $$
"""), execute_to=("yc_office",))


NEW_HELPERS = (CASE_SIGNED_STEP, REVIEW_STEP_OF)
REPLACED = (CASE_REVIEW, EMIT_CASE, APPLY_CASE_UPSERT, APPLY_TRANSFER_UPSERT, PUSH_FAST, OFFICE_INBOX, OFFICE_REVIEW,
            OFFICE_DECIDE)
# what admin.decide_case (yc_admin, SECURITY DEFINER) runs inside it: case_review now calls case_signed_step
ADMIN_HELPERS = ("yc.case_signed_step(text)",)


def _login_roles() -> str:
    """The window and department logins of this database (roles are the cluster's, their rows are ours)."""
    return ("SELECT g.rolname FROM pg_catalog.pg_roles g WHERE g.rolname IN "
            "(SELECT w.role_name FROM yc.windows w UNION SELECT d.role_name FROM yc.departments d)")


def _set_idle(value: str) -> None:
    op.execute(f"""
DO $$
DECLARE r record;
BEGIN
    FOR r IN {_login_roles()} LOOP
        EXECUTE pg_catalog.format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L', r.rolname, '{value}');
    END LOOP;
END $$""")


def upgrade() -> None:
    for fn in NEW_HELPERS:
        create(fn)
    for sig in ADMIN_HELPERS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {sig} TO yc_admin")
    for fn in REPLACED:
        replace(fn, revision=revision)
    # emit_case now deletes superseded `cases` rows; admin.decide_case (yc_admin) runs it too
    op.execute("GRANT DELETE ON yc.changes TO yc_admin")
    op.execute("""
DELETE FROM yc.changes x
 WHERE x.stream = 'cases'
   AND EXISTS (SELECT 1 FROM yc.changes l
                WHERE l.stream = 'cases' AND l.centre_code = x.centre_code AND l.key = x.key AND l.seq > x.seq)""")
    _set_idle(IDLE_IN_TRANSACTION)


def downgrade() -> None:
    _set_idle(IDLE_BEFORE)
    op.execute("REVOKE DELETE ON yc.changes FROM yc_admin")
    for fn in reversed(REPLACED):
        restore(fn, revision=revision)
    for fn in reversed(NEW_HELPERS):
        drop(fn)
