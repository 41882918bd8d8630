"""Central schema v6 (the loop): any window of a centre continues any of its cases, the back office decides.

Revision ID: c0006
Revises: c0005
Create Date: 2025-01-06

What changes (issues 9, 15, the loop part of 18; the contract in docs/sync-protocol.md):
- A case may get its next version from ANY window of its centre (the origin window_no and received_at
  stay as first pushed); a stale version is rejected naming the window that last changed it, and a live
  lease (sync.lease_case, 10 minutes, renewable) held by another window rejects the push. Every applied
  version records one yc.case_steps row with the PUSHING window (from the login, never the payload).
- A window sets only the statuses delivered (after a decision, or a case completed on the spot),
  withdrawn and voided (not once decided or delivered); the centre keeps its own status otherwise.
- Down streams `cases` (the latest snapshot of each case; sync.pull gives only the newest change per
  case) and `transfers` (batches as the department signs or returns them). case_status, cases and
  transfers share ONE advisory lock per centre, so seq order == commit order across the three.
- Departments: yc.departments, one login role per (centre, department) in the group yc_office, which may
  only EXECUTE the office.* functions (SECURITY DEFINER; the department and centre come from the login).
  Back-office staff are yc.users with role backoffice and a department; they never reach a window.
- The case state machine: received → signed (the batch signed for) → in_review → approved / denied →
  delivered; a decision needs an accepted, signed-for case whose review steps are done, once;
  office.correct_decision changes it with a reason. admin.decide_case obeys the same rules.
- A window pushes transfer batches only as waiting or sent; any accepted, open case of the centre may
  go in a batch, but not one that sits in another open batch.
- The case's department is computed at its first push from the published catalogue (yc.catalogue_matters,
  filled from every published catalogue text by a trigger) and stored in yc.cases.department.
- The handshake says protocol 5 (protocol-4 clients are still accepted).
Functions are replaceable objects: each is defined whole here; what it replaces is kept by the database.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop, replace, restore

revision: str = "c0006"
down_revision: str | Sequence[str] | None = "c0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIN_PROTOCOL = 1
CHAIN_PROTOCOL = 4
LOOP_PROTOCOL = 5  # streams cases and transfers, leases
LEASE_SECONDS = 600
MAX_BATCH = 2000
MAX_PAYLOAD = 256 * 1024
CLOCK_TOLERANCE_S = 300
DEFAULT_REVIEW_STEPS = '["handle", "review", "decide"]'

_FN = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s'"
_REJECT = "USING ERRCODE = 'YC100'"
# the streams whose rows are one centre's: one lock per centre for all of them (see yc.lock_stream)
_CENTRE_STREAMS = "('case_status', 'cases', 'transfers')"
_LOCK_KEY = ("pg_catalog.hashtext(CASE WHEN p_stream IN @CENTRE_STREAMS@ THEN 'case_status/' || p_centre "
             "ELSE p_stream || '/*' END)")


def _sql(text: str) -> str:
    for key, value in {
        "@FN@": _FN, "@REJECT@": _REJECT, "@LOCK_KEY@": _LOCK_KEY, "@CENTRE_STREAMS@": _CENTRE_STREAMS,
        "@MIN_PROTOCOL@": str(MIN_PROTOCOL), "@CHAIN_PROTOCOL@": str(CHAIN_PROTOCOL),
        "@LOOP_PROTOCOL@": str(LOOP_PROTOCOL), "@LEASE_SECONDS@": str(LEASE_SECONDS),
        "@MAX_PAYLOAD@": str(MAX_PAYLOAD), "@TOLERANCE@": str(CLOCK_TOLERANCE_S),
        "@DEFAULT_STEPS@": DEFAULT_REVIEW_STEPS,
    }.items():
        text = text.replace(key, value)
    return text


# ---- stream locks: case_status, cases and transfers of one centre share one lock ---------------------
# (the c0002 key for every other stream is kept: hashtext(stream || '/*'))
LOCK_STREAM = SqlFunction("yc.lock_stream(text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.lock_stream(p_stream text, p_centre text) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('yc.changes'), @LOCK_KEY@)
$$
"""))

APPEND_CHANGE = SqlFunction("yc.append_change(text, text, text, jsonb)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.append_change(p_stream text, p_centre text, p_key text, p_data jsonb)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_seq bigint;
BEGIN
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('yc.changes'), @LOCK_KEY@);
    INSERT INTO yc.changes (seq, stream, centre_code, key, data)
    VALUES (pg_catalog.nextval('yc.changes_seq'), p_stream, p_centre, p_key, p_data)
    RETURNING seq INTO v_seq;
    RETURN v_seq;
END $$
"""))

# ---- helpers (SECURITY INVOKER, owned by yc_owner) ---------------------------------------------------
CATALOGUE_MATTERS_FILL = SqlFunction("yc.catalogue_matters_fill()", _sql(r"""
CREATE OR REPLACE FUNCTION yc.catalogue_matters_fill() RETURNS trigger
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v_doc jsonb;
BEGIN
    BEGIN
        v_doc := NEW.text::jsonb;
    EXCEPTION WHEN OTHERS THEN
        RETURN NEW;
    END;
    IF pg_catalog.jsonb_typeof(v_doc->'matters') IS DISTINCT FROM 'array' THEN
        RETURN NEW;
    END IF;
    INSERT INTO yc.catalogue_matters (version, code, department, review_steps)
    SELECT NEW.version, m->>'code', coalesce(m->>'department', ''),
           CASE WHEN m->'review_steps' IN ('["handle", "review", "decide"]'::jsonb, '["handle", "decide"]'::jsonb)
                THEN m->'review_steps' END
      FROM pg_catalog.jsonb_array_elements(v_doc->'matters') AS m
     WHERE pg_catalog.jsonb_typeof(m) = 'object' AND coalesce(m->>'code', '') <> ''
    ON CONFLICT (version, code) DO NOTHING;
    RETURN NEW;
END $$
"""))

CASE_REVIEW = SqlFunction("yc.case_review(text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.case_review(p_case text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    -- {"review_steps": the matter's, "done_steps": recorded since the case was signed for, "next_step"}
    WITH c AS (SELECT x.case_no, coalesce(m.review_steps, '@DEFAULT_STEPS@'::jsonb) AS steps
                 FROM yc.cases x
                 LEFT JOIN yc.catalogue_matters m ON m.version = x.catalogue_version AND m.code = x.matter_code
                WHERE x.case_no = p_case),
         d AS (SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.substr(s.event, 8) ORDER BY s.id), '[]'::jsonb) AS done
                 FROM yc.case_steps s
                WHERE s.case_no = p_case AND s.event LIKE 'review.%'
                  AND s.id > coalesce((SELECT max(t.id) FROM yc.case_steps t
                                        WHERE t.case_no = p_case AND t.event = 'transfer.signed'), 0))
    SELECT pg_catalog.jsonb_build_object('review_steps', c.steps, 'done_steps', d.done,
               'next_step', (SELECT e.value FROM pg_catalog.jsonb_array_elements_text(c.steps) WITH ORDINALITY AS e(value, n)
                              WHERE NOT d.done ? e.value ORDER BY e.n LIMIT 1))
      FROM c, d
$$
"""))

CASE_SNAPSHOT = SqlFunction("yc.case_snapshot(text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.case_snapshot(p_case text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.jsonb_build_object(
        'case_no', c.case_no, 'version', c.version, 'payload', c.payload, 'status', c.status,
        'decision', c.decision,
        'steps', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'event', s.event, 'window_no', s.window_no, 'department', s.department,
                      'actor_name', s.actor_name, 'at', s.at) ORDER BY s.id)
                    FROM yc.case_steps s WHERE s.case_no = c.case_no), '[]'::jsonb),
        'batch_no', (SELECT t.batch_no FROM yc.transfer_items i JOIN yc.transfers t ON t.batch_no = i.batch_no
                      WHERE i.case_no = c.case_no AND t.state <> 'returned'
                      ORDER BY t.created_at DESC, t.batch_no DESC LIMIT 1),
        'last_window_no', c.last_window_no)
      FROM yc.cases c WHERE c.case_no = p_case
$$
"""))

EMIT_CASE = SqlFunction("yc.emit_case(text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.emit_case(p_case text, p_centre text, p_note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_status text;
    v_outcome text;
BEGIN
    SELECT c.status, c.outcome INTO v_status, v_outcome FROM yc.cases c WHERE c.case_no = p_case;
    PERFORM yc.append_change('case_status', p_centre, p_case,
        CASE WHEN p_note IS NULL
             THEN pg_catalog.jsonb_build_object('case_no', p_case, 'status', v_status, 'outcome', v_outcome)
             ELSE pg_catalog.jsonb_build_object('case_no', p_case, 'status', v_status, 'outcome', v_outcome,
                                                'note', p_note) END);
    PERFORM yc.append_change('cases', p_centre, p_case, yc.case_snapshot(p_case));
END $$
"""))

EMIT_TRANSFER = SqlFunction("yc.emit_transfer(text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.emit_transfer(p_batch text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t record;
BEGIN
    SELECT * INTO STRICT t FROM yc.transfers x WHERE x.batch_no = p_batch;
    PERFORM yc.append_change('transfers', t.centre_code, t.batch_no, pg_catalog.jsonb_build_object(
        'batch_no', t.batch_no, 'window_no', t.window_no, 'department', t.department, 'state', t.state,
        'return_reason', t.return_reason, 'version', t.version,
        'signed_by_name', CASE WHEN t.state = 'signed' THEN t.closed_by_name END,
        'closed_at', t.closed_at,
        'case_nos', coalesce((SELECT pg_catalog.jsonb_agg(i.case_no ORDER BY i.case_no)
                                FROM yc.transfer_items i WHERE i.batch_no = t.batch_no), '[]'::jsonb)));
END $$
"""))

ADD_STEP = SqlFunction("yc.add_step(text, text, text, text, text, text, text, timestamptz, jsonb)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.add_step(p_case text, p_centre text, p_event text, p_window text, p_department text,
                                       p_actor_login text, p_actor_name text, p_client_at timestamptz,
                                       p_detail jsonb) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO yc.case_steps (case_no, centre_code, version, event, window_no, department, actor_login,
                               actor_name, client_at, detail)
    SELECT p_case, p_centre, c.version, p_event, p_window, p_department, coalesce(p_actor_login, ''),
           coalesce(p_actor_name, ''), p_client_at, coalesce(p_detail, '{}'::jsonb)
      FROM yc.cases c WHERE c.case_no = p_case
$$
"""))

# A decision (office.decide, office.correct_decision, admin.decide_case): the state machine in one place.
# p_decision is {"decision": "approve"|"deny", ...}; p_mode is 'decide', 'correct' or 'admin'.
RECORD_DECISION = SqlFunction("yc.record_decision(text, jsonb, text, text, text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.record_decision(p_case text, p_decision jsonb, p_mode text, p_actor_login text,
                                              p_actor_name text, p_department text, p_reason text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    v_kind text := p_decision->>'decision';
    v_copies int;
    v_decision jsonb;
    v_review jsonb;
    v_status text;
BEGIN
    IF pg_catalog.jsonb_typeof(p_decision) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'decision must be a JSON object' @REJECT@;
    END IF;
    SELECT * INTO c FROM yc.cases x WHERE x.case_no = p_case FOR UPDATE;
    IF NOT FOUND OR (p_department IS NOT NULL AND c.department IS DISTINCT FROM p_department) THEN
        RAISE EXCEPTION 'unknown case' @REJECT@;
    END IF;
    IF v_kind IS NULL OR v_kind NOT IN ('approve', 'deny') THEN
        RAISE EXCEPTION 'decision must be approve or deny' @REJECT@;
    END IF;
    IF v_kind = 'approve' AND p_mode <> 'admin'
       AND (coalesce(pg_catalog.btrim(p_decision->>'doc_name'), '') = ''
            OR coalesce(pg_catalog.btrim(p_decision->>'doc_no'), '') = '') THEN
        RAISE EXCEPTION 'an approval needs doc_name and doc_no' @REJECT@;
    END IF;
    IF v_kind = 'deny' AND p_mode <> 'admin' AND coalesce(pg_catalog.btrim(p_decision->>'reason'), '') = '' THEN
        RAISE EXCEPTION 'a denial needs a reason' @REJECT@;
    END IF;
    BEGIN
        v_copies := coalesce((p_decision->>'copies')::int, 1);
    EXCEPTION WHEN OTHERS THEN
        v_copies := 0;
    END;
    IF v_copies < 1 OR v_copies > 999 THEN
        RAISE EXCEPTION 'copies must be 1..999' @REJECT@;
    END IF;
    IF c.outcome IS DISTINCT FROM 'accepted' THEN
        RAISE EXCEPTION 'case % was never accepted (outcome %)', p_case, c.outcome @REJECT@;
    END IF;
    IF p_mode = 'correct' THEN
        IF c.status = 'delivered' THEN
            RAISE EXCEPTION 'case % was delivered already: its decision cannot be corrected', p_case @REJECT@;
        END IF;
        IF c.status NOT IN ('approved', 'denied') THEN
            RAISE EXCEPTION 'case % is not decided (status %)', p_case, c.status @REJECT@;
        END IF;
        IF coalesce(pg_catalog.btrim(p_reason), '') = '' THEN
            RAISE EXCEPTION 'a correction needs a reason' @REJECT@;
        END IF;
    ELSE
        IF c.status IN ('approved', 'denied', 'delivered') THEN
            RAISE EXCEPTION 'case % is decided already (status %)', p_case, c.status @REJECT@;
        END IF;
        IF c.status NOT IN ('signed', 'in_review') THEN
            RAISE EXCEPTION 'case % is not signed for by the department (status %)', p_case, c.status @REJECT@;
        END IF;
        IF p_mode = 'decide' THEN
            v_review := yc.case_review(p_case);
            IF v_review->>'next_step' IS DISTINCT FROM 'decide' THEN
                RAISE EXCEPTION 'review step % of case % is not done', v_review->>'next_step', p_case @REJECT@;
            END IF;
        END IF;
    END IF;
    v_status := CASE v_kind WHEN 'approve' THEN 'approved' ELSE 'denied' END;
    v_decision := pg_catalog.jsonb_build_object(
        'decision', v_kind,
        'doc_name', CASE WHEN v_kind = 'approve' THEN coalesce(p_decision->>'doc_name', '') ELSE '' END,
        'doc_no', CASE WHEN v_kind = 'approve' THEN coalesce(p_decision->>'doc_no', '') ELSE '' END,
        'e_licence_ref', CASE WHEN v_kind = 'approve' THEN coalesce(p_decision->>'e_licence_ref', '') ELSE '' END,
        'copies', CASE WHEN v_kind = 'approve' THEN v_copies ELSE 0 END,
        'reason', coalesce(p_decision->>'reason', ''),
        'decided_by', p_actor_login, 'decided_by_name', p_actor_name, 'decided_at', pg_catalog.now(),
        'department', coalesce(p_department, c.department), 'corrected', p_mode = 'correct');
    UPDATE yc.cases SET status = v_status, decision = v_decision, updated_at = pg_catalog.now()
     WHERE case_no = p_case;
    PERFORM yc.add_step(p_case, c.centre_code,
        CASE WHEN p_mode = 'correct' THEN 'decision.corrected' ELSE 'decision.' || v_status END,
        NULL, coalesce(p_department, c.department), p_actor_login, p_actor_name, NULL,
        CASE WHEN p_mode = 'correct'
             THEN pg_catalog.jsonb_build_object('decision', v_decision, 'previous', c.decision, 'reason', p_reason)
             ELSE pg_catalog.jsonb_build_object('decision', v_decision) END);
    PERFORM yc.emit_case(p_case, c.centre_code, coalesce(nullif(p_reason, ''), v_decision->>'reason'));
    RETURN pg_catalog.jsonb_build_object('case_no', p_case, 'status', v_status, 'decision', v_decision);
END $$
"""))

# ---- what a window pushes ------------------------------------------------------------------------------
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
        SELECT * INTO v_lease FROM yc.case_leases l
         WHERE l.case_no = v_case AND l.until > pg_catalog.now() AND l.window_no <> p_window;
        IF FOUND THEN
            RAISE EXCEPTION 'case % is being handled by window % (%) until %', v_case, v_lease.window_no,
                v_lease.clerk_name, v_lease.until @REJECT@;
        END IF;
        v_status := c.status;
        IF v_want = 'delivered' AND c.status <> 'delivered' THEN
            IF c.status NOT IN ('approved', 'denied') AND coalesce(p->>'outcome', c.outcome) <> 'completed' THEN
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
        OR (c.department IS NOT NULL AND c.department IS DISTINCT FROM p->>'department')
     ORDER BY x LIMIT 1;
    IF FOUND THEN
        IF v_bad.known IS NULL THEN
            RAISE EXCEPTION 'unknown case: %', v_bad.case_no @REJECT@;
        ELSIF v_bad.outcome IS DISTINCT FROM 'accepted' THEN
            RAISE EXCEPTION 'case % was not accepted (outcome %)', v_bad.case_no, v_bad.outcome @REJECT@;
        ELSIF v_bad.status IN ('withdrawn', 'voided', 'approved', 'denied', 'delivered') THEN
            RAISE EXCEPTION 'case % cannot be transferred: it is %', v_bad.case_no, v_bad.status @REJECT@;
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
    -- any case of this centre (a result is handed over, and rated, at any window of the centre)
    PERFORM 1 FROM yc.cases WHERE case_no = p->>'case_no' AND centre_code = p_centre;
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

# The set-based path for a batch of NEW case.upsert / document.printed ops (as c0005), which now also
# stores the department, the first step of each case and its `cases` change. Anything unusual (a known
# case, a status the window may not set on a new case) raises YC199 and sync.push runs the loop.
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

# sync.pull: `cases` gives only the newest change per case (a later seq of the same key and centre hides
# an older one; the order guarantee is kept: the per-centre lock makes seq order the commit order, and a
# hidden row's successor has a larger seq, so it comes in this page or a later one). Users: back-office
# staff never reach a window (they come down as not active).
PULL = SqlFunction("sync.pull(text, bigint, int)", _sql(r"""
CREATE OR REPLACE FUNCTION sync.pull(p_stream text, p_after bigint, p_limit int) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_rows jsonb;
    v_last bigint;
    v_limit int := least(greatest(coalesce(p_limit, 1000), 1), 10000);
BEGIN
    SELECT * INTO v FROM yc.caller_window();
    IF p_stream = 'cases' THEN
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('seq', s.seq, 'key', s.key,
                   'data', s.data) ORDER BY s.seq), '[]'::jsonb), max(s.seq)
          INTO v_rows, v_last
          FROM (SELECT c.seq, c.key, c.data FROM yc.changes c
                 WHERE c.stream = 'cases' AND c.centre_code = v.centre_code AND c.seq > coalesce(p_after, 0)
                   AND NOT EXISTS (SELECT 1 FROM yc.changes l
                                    WHERE l.stream = 'cases' AND l.centre_code = v.centre_code
                                      AND l.key = c.key AND l.seq > c.seq)
                 ORDER BY c.seq LIMIT v_limit) s;
        RETURN pg_catalog.jsonb_build_object('rows', v_rows, 'last_seq', coalesce(v_last, p_after, 0));
    END IF;
    SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('seq', s.seq, 'key', s.key,
               'data', CASE WHEN s.stream = 'users' AND ((s.centre_code = '*' AND s.data->>'role' IS DISTINCT FROM 'admin')
                                                         OR s.data->>'role' = 'backoffice')
                            THEN pg_catalog.jsonb_build_object('login', s.key, 'active', false)
                            ELSE s.data END) ORDER BY s.seq), '[]'::jsonb),
           max(s.seq)
      INTO v_rows, v_last
      FROM (SELECT c.seq, c.stream, c.centre_code, c.key, c.data FROM yc.changes c
             WHERE c.stream = p_stream AND c.centre_code IN (v.centre_code, '*')
               AND c.seq > coalesce(p_after, 0)
             ORDER BY c.seq
             LIMIT v_limit) s;
    RETURN pg_catalog.jsonb_build_object('rows', v_rows, 'last_seq', coalesce(v_last, p_after, 0));
END $$
"""))



LEASE_CASE = SqlFunction("sync.lease_case(text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION sync.lease_case(p_case text, p_clerk_login text, p_clerk_name text) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    l record;
    v_until timestamptz;
BEGIN
    SELECT * INTO v FROM yc.caller_window();
    PERFORM 1 FROM yc.cases c WHERE c.case_no = p_case AND c.centre_code = v.centre_code FOR UPDATE;
    IF NOT FOUND THEN  -- not synced yet (or not this centre's): nothing to hold; the version check settles it
        RETURN pg_catalog.jsonb_build_object('granted', true, 'unknown', true);
    END IF;
    SELECT * INTO l FROM yc.case_leases x WHERE x.case_no = p_case;
    IF FOUND AND l.until > pg_catalog.now() AND l.window_no <> v.window_no THEN
        RETURN pg_catalog.jsonb_build_object('granted', false, 'holder', pg_catalog.jsonb_build_object(
            'window_no', l.window_no, 'clerk_name', l.clerk_name, 'until', l.until));
    END IF;
    v_until := pg_catalog.now() + make_interval(secs => @LEASE_SECONDS@);
    INSERT INTO yc.case_leases (case_no, centre_code, window_no, clerk_login, clerk_name, until, taken_at)
    VALUES (p_case, v.centre_code, v.window_no, coalesce(p_clerk_login, ''), coalesce(p_clerk_name, ''), v_until,
            pg_catalog.now())
    ON CONFLICT (case_no) DO UPDATE
       SET window_no = excluded.window_no, clerk_login = excluded.clerk_login, clerk_name = excluded.clerk_name,
           until = excluded.until, taken_at = excluded.taken_at;
    RETURN pg_catalog.jsonb_build_object('granted', true, 'until', v_until);
END $$
"""))

RELEASE_CASE = SqlFunction("sync.release_case(text)", _sql(r"""
CREATE OR REPLACE FUNCTION sync.release_case(p_case text) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
BEGIN
    SELECT * INTO v FROM yc.caller_window();
    DELETE FROM yc.case_leases l WHERE l.case_no = p_case AND l.window_no = v.window_no;
    RETURN pg_catalog.jsonb_build_object('released', FOUND);
END $$
"""))

# The handshakes (as c0005) say protocol 5: the streams cases and transfers, leases.
_PROTOCOL_NOW = (
    "SELECT greatest(@LOOP_PROTOCOL@, max(k.introduced)) INTO v_protocol FROM yc.op_kinds k;"
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

# ---- the back office: schema office, EXECUTE to yc_office only -------------------------------------------
CALLER_DEPARTMENT = SqlFunction("yc.caller_department()", _sql(r"""
CREATE OR REPLACE FUNCTION yc.caller_department(OUT centre_code text, OUT department text, OUT centre_name text)
LANGUAGE plpgsql AS $$
BEGIN
    SELECT d.centre_code, d.name, c.name INTO centre_code, department, centre_name
      FROM yc.departments d JOIN yc.centres c ON c.code = d.centre_code WHERE d.role_name = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION '登录角色 % 未登记为部门', session_user USING ERRCODE = 'YC005';
    END IF;
    PERFORM pg_catalog.set_config('yc.centre', centre_code, true);
END $$
"""))

OFFICE_ACTOR = SqlFunction("yc.office_actor(text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.office_actor(p_actor text, p_centre text, p_department text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_name text;
BEGIN
    SELECT u.name INTO v_name FROM yc.users u
     WHERE u.login = p_actor AND u.role = 'backoffice' AND u.active AND u.scope = p_centre
       AND u.department = p_department;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown staff' @REJECT@;
    END IF;
    RETURN v_name;
END $$
"""))

OFFICE_CASE_ROW = SqlFunction("yc.office_case_json(text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.office_case_json(p_case text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.jsonb_build_object('case_no', c.case_no, 'matter_code', c.matter_code,
               'applicant_name', c.applicant_name, 'status', c.status, 'promised_date', c.promised_date,
               'statutory_date', c.statutory_date) || yc.case_review(c.case_no)
      FROM yc.cases c WHERE c.case_no = p_case
$$
"""))

OFFICE_HELLO = SqlFunction("office.hello()", _sql(r"""
CREATE OR REPLACE FUNCTION office.hello() RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    RETURN pg_catalog.jsonb_build_object('centre_code', v.centre_code, 'centre_name', v.centre_name,
        'department', v.department, 'server_time', pg_catalog.now(),
        'staff', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('login', u.login, 'name', u.name,
                      'staff_no', u.staff_no, 'password_hash', u.password_hash, 'active', u.active) ORDER BY u.login)
                    FROM yc.users u WHERE u.role = 'backoffice' AND u.scope = v.centre_code
                                      AND u.department = v.department), '[]'::jsonb));
END $$
"""), execute_to=("yc_office",))

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
               ORDER BY coalesce(t.sent_at, t.created_at) DESC, t.batch_no DESC)
              FROM (SELECT * FROM yc.transfers x
                     WHERE x.centre_code = v.centre_code AND x.department = v.department
                       AND x.state IN ('sent', 'signed', 'returned')
                     ORDER BY coalesce(x.sent_at, x.created_at) DESC, x.batch_no DESC LIMIT 500) t), '[]'::jsonb);
END $$
"""), execute_to=("yc_office",))

# sign or return a batch the window sent to this department
OFFICE_CLOSE_BATCH = SqlFunction("yc.office_close_batch(text, text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.office_close_batch(p_actor text, p_batch text, p_state text, p_reason text)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v record;
    v_name text;
    t record;
    v_cases text[];
    x text;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    v_name := yc.office_actor(p_actor, v.centre_code, v.department);
    IF p_state = 'returned' AND coalesce(pg_catalog.btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'a return needs a reason' @REJECT@;
    END IF;
    PERFORM yc.lock_stream('transfers', v.centre_code);
    SELECT * INTO t FROM yc.transfers b WHERE b.batch_no = p_batch FOR UPDATE;
    IF NOT FOUND OR t.department IS DISTINCT FROM v.department OR t.state = 'waiting' THEN
        RAISE EXCEPTION 'unknown batch' @REJECT@;
    END IF;
    IF t.state <> 'sent' THEN
        RAISE EXCEPTION 'batch % is %, not sent', p_batch, t.state @REJECT@;
    END IF;
    UPDATE yc.transfers SET state = p_state, closed_at = pg_catalog.now(), version = version + 1,
                            return_reason = CASE WHEN p_state = 'returned' THEN pg_catalog.btrim(p_reason) ELSE '' END,
                            closed_by_login = p_actor, closed_by_name = v_name, updated_at = pg_catalog.now()
     WHERE batch_no = p_batch;
    SELECT coalesce(array_agg(i.case_no ORDER BY i.case_no), '{}') INTO v_cases
      FROM yc.transfer_items i WHERE i.batch_no = p_batch;
    FOREACH x IN ARRAY v_cases LOOP
        UPDATE yc.cases SET status = CASE WHEN p_state = 'signed' THEN 'signed' ELSE 'received' END,
                            updated_at = pg_catalog.now()
         WHERE case_no = x AND status IN ('received', 'signed');
        PERFORM yc.add_step(x, v.centre_code, 'transfer.' || p_state, NULL, v.department, p_actor, v_name, NULL,
            pg_catalog.jsonb_build_object('batch_no', p_batch, 'reason', coalesce(pg_catalog.btrim(p_reason), '')));
        PERFORM yc.emit_case(x, v.centre_code, CASE WHEN p_state = 'returned' THEN pg_catalog.btrim(p_reason) END);
    END LOOP;
    PERFORM yc.emit_transfer(p_batch);
    RETURN pg_catalog.jsonb_build_object('batch_no', p_batch, 'state', p_state, 'version', t.version + 1,
                                         'case_nos', pg_catalog.to_jsonb(v_cases));
END $$
"""))

OFFICE_SIGN = SqlFunction("office.sign(text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.sign(p_actor text, p_batch text) RETURNS jsonb
LANGUAGE sql @FN@ AS $$
    SELECT yc.office_close_batch(p_actor, p_batch, 'signed', NULL)
$$
"""), execute_to=("yc_office",))

OFFICE_RETURN = SqlFunction("office.return_batch(text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.return_batch(p_actor text, p_batch text, p_reason text) RETURNS jsonb
LANGUAGE sql @FN@ AS $$
    SELECT yc.office_close_batch(p_actor, p_batch, 'returned', p_reason)
$$
"""), execute_to=("yc_office",))

OFFICE_CASES = SqlFunction("office.cases(text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.cases(p_actor text) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    PERFORM yc.office_actor(p_actor, v.centre_code, v.department);
    RETURN coalesce((SELECT pg_catalog.jsonb_agg(yc.office_case_json(c.case_no)
                                                ORDER BY c.promised_date NULLS LAST, c.case_no)
                       FROM yc.cases c
                      WHERE c.centre_code = v.centre_code AND c.department = v.department
                        AND c.status IN ('signed', 'in_review')), '[]'::jsonb);
END $$
"""), execute_to=("yc_office",))

OFFICE_CASE = SqlFunction("office.case(text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.case(p_actor text, p_case text) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_out jsonb;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    PERFORM yc.office_actor(p_actor, v.centre_code, v.department);
    SELECT yc.case_snapshot(c.case_no) || yc.office_case_json(c.case_no) INTO v_out
      FROM yc.cases c WHERE c.case_no = p_case AND c.centre_code = v.centre_code AND c.department = v.department;
    IF v_out IS NULL THEN
        RAISE EXCEPTION 'unknown case' @REJECT@;
    END IF;
    RETURN v_out;
END $$
"""), execute_to=("yc_office",))

OFFICE_REVIEW = SqlFunction("office.review(text, text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.review(p_actor text, p_case text, p_step text, p_opinion text) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_name text;
    c record;
    v_review jsonb;
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
    UPDATE yc.cases SET status = 'in_review', updated_at = pg_catalog.now() WHERE case_no = p_case;
    PERFORM yc.add_step(p_case, v.centre_code, 'review.' || p_step, NULL, v.department, p_actor, v_name, NULL,
        pg_catalog.jsonb_build_object('step', p_step, 'opinion', pg_catalog.btrim(p_opinion)));
    PERFORM yc.emit_case(p_case, v.centre_code);
    RETURN yc.office_case_json(p_case);
END $$
"""), execute_to=("yc_office",))

OFFICE_DECIDE = SqlFunction("office.decide(text, text, jsonb)", _sql(r"""
CREATE OR REPLACE FUNCTION office.decide(p_actor text, p_case text, p_decision jsonb) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_name text;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    v_name := yc.office_actor(p_actor, v.centre_code, v.department);
    PERFORM yc.lock_stream('cases', v.centre_code);
    RETURN yc.record_decision(p_case, p_decision, 'decide', p_actor, v_name, v.department, NULL);
END $$
"""), execute_to=("yc_office",))

OFFICE_CORRECT = SqlFunction("office.correct_decision(text, text, jsonb, text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.correct_decision(p_actor text, p_case text, p_decision jsonb, p_reason text)
RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    v_name text;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    v_name := yc.office_actor(p_actor, v.centre_code, v.department);
    PERFORM yc.lock_stream('cases', v.centre_code);
    RETURN yc.record_decision(p_case, p_decision, 'correct', p_actor, v_name, v.department, p_reason);
END $$
"""), execute_to=("yc_office",))

# ---- administrators ------------------------------------------------------------------------------------
# admin.decide_case keeps its signature and owner (yc_admin, BYPASSRLS) and obeys the state machine.
DECIDE_CASE = SqlFunction("admin.decide_case(text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION admin.decide_case(p_case_no text, p_status text, p_note text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v_centre text;
BEGIN
    IF p_status IS NULL OR p_status NOT IN ('approved', 'denied') THEN
        RAISE EXCEPTION 'unknown status %: a decision is approved or denied', coalesce(p_status, '(none)') @REJECT@;
    END IF;
    SELECT c.centre_code INTO v_centre FROM yc.cases c WHERE c.case_no = p_case_no;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown case' @REJECT@;
    END IF;
    PERFORM pg_catalog.set_config('yc.centre', v_centre, true);
    PERFORM yc.lock_stream('cases', v_centre);
    RETURN yc.record_decision(p_case_no,
        pg_catalog.jsonb_build_object('decision', CASE p_status WHEN 'approved' THEN 'approve' ELSE 'deny' END,
                                      'reason', coalesce(p_note, '')),
        'admin', 'admin', 'admin', NULL, NULL);
END $$
"""), owner="yc_admin")

UPSERT_USER = SqlFunction("admin.upsert_user(jsonb)", _sql(r"""
CREATE OR REPLACE FUNCTION admin.upsert_user(p_data jsonb) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v_login text := p_data->>'login';
    v_scope text := coalesce(nullif(p_data->>'centre_code', ''), '*');
    v_role text := coalesce(p_data->>'role', 'clerk');
    v_department text := coalesce(pg_catalog.btrim(p_data->>'department'), '');
    v_prev text;
    v_row jsonb;
    v_seq bigint;
BEGIN
    IF coalesce(v_login, '') = '' OR coalesce(p_data->>'name', '') = '' THEN
        RAISE EXCEPTION '用户须有工号 login 和姓名 name' USING ERRCODE = '22023';
    END IF;
    IF v_role NOT IN ('clerk', 'supervisor', 'admin', 'backoffice') THEN
        RAISE EXCEPTION '角色“%”无效', p_data->>'role' USING ERRCODE = '22023';
    END IF;
    IF v_scope <> '*' AND NOT EXISTS (SELECT 1 FROM yc.centres WHERE code = v_scope) THEN
        RAISE EXCEPTION '中心 % 不存在', v_scope USING ERRCODE = '22023';
    END IF;
    IF v_role = 'backoffice' THEN
        IF v_scope = '*' OR v_department = '' THEN
            RAISE EXCEPTION '部门人员（backoffice）须指定中心 --centre 和部门 --department' USING ERRCODE = '22023';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM yc.departments d WHERE d.centre_code = v_scope AND d.name = v_department) THEN
            RAISE EXCEPTION '中心 % 没有部门“%”：请先用 yichuang central add-department 登记', v_scope, v_department
                USING ERRCODE = '22023';
        END IF;
    ELSIF v_department <> '' THEN
        RAISE EXCEPTION '只有部门人员（backoffice）有所属部门' USING ERRCODE = '22023';
    END IF;
    PERFORM yc.lock_stream('users', v_scope);
    SELECT scope INTO v_prev FROM yc.users WHERE login = v_login FOR UPDATE;
    IF NOT FOUND AND coalesce(p_data->>'password_hash', '') = '' THEN
        RAISE EXCEPTION '新用户须有密码散列 password_hash' USING ERRCODE = '22023';
    END IF;
    INSERT INTO yc.users AS u (login, scope, name, staff_no, role, password_hash, active, updated_at, department)
    VALUES (v_login, v_scope, p_data->>'name', coalesce(p_data->>'staff_no', ''), v_role,
            coalesce(p_data->>'password_hash', ''), coalesce((p_data->>'active')::boolean, true), pg_catalog.now(),
            v_department)
    ON CONFLICT (login) DO UPDATE
       SET scope = excluded.scope, name = excluded.name, staff_no = excluded.staff_no,
           role = excluded.role,
           password_hash = coalesce(nullif(excluded.password_hash, ''), u.password_hash),
           active = excluded.active, updated_at = pg_catalog.now(), department = excluded.department
    RETURNING pg_catalog.jsonb_build_object('login', u.login, 'name', u.name, 'staff_no', u.staff_no,
                                            'role', u.role, 'password_hash', u.password_hash,
                                            'active', u.active) INTO v_row;
    IF v_prev IS NOT NULL AND v_prev <> v_scope THEN
        -- moved: the old scope's windows see the login deactivated first (same stream lock, so in order)
        PERFORM yc.append_change('users', v_prev, v_login, v_row || pg_catalog.jsonb_build_object('active', false));
    END IF;
    -- back-office staff never reach a window: sync.pull sends their rows as not active
    v_seq := yc.append_change('users', v_scope, v_login, v_row);
    RETURN pg_catalog.jsonb_build_object('login', v_login, 'scope', v_scope, 'seq', v_seq,
                                         'role', v_role, 'department', v_department);
END $$
"""), owner="yc_admin")

NEW_HELPERS = (CATALOGUE_MATTERS_FILL, CASE_REVIEW, CASE_SNAPSHOT, EMIT_CASE, EMIT_TRANSFER, ADD_STEP,
               RECORD_DECISION, CALLER_DEPARTMENT, OFFICE_ACTOR, OFFICE_CASE_ROW, OFFICE_CLOSE_BATCH)
# what admin.decide_case (yc_admin, SECURITY DEFINER) runs inside it
ADMIN_HELPERS = ("yc.record_decision(text, jsonb, text, text, text, text, text)", "yc.case_review(text)",
                 "yc.case_snapshot(text)", "yc.emit_case(text, text, text)", "yc.add_step(text, text, text, text, text, text, text, timestamptz, jsonb)")
NEW_WINDOW_API = (LEASE_CASE, RELEASE_CASE)
OFFICE_API = (OFFICE_HELLO, OFFICE_INBOX, OFFICE_SIGN, OFFICE_RETURN, OFFICE_CASES, OFFICE_CASE, OFFICE_REVIEW,
              OFFICE_DECIDE, OFFICE_CORRECT)
REPLACED = (LOCK_STREAM, APPEND_CHANGE, APPLY_CASE_UPSERT, APPLY_TRANSFER_UPSERT, APPLY_RATING, PUSH_FAST, PULL,
            HANDSHAKE_V1, HANDSHAKE, DECIDE_CASE, UPSERT_USER)


def _create_office_role() -> None:
    op.execute("""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'yc_office') THEN
        CREATE ROLE yc_office NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- created concurrently by a migration of another database in this cluster
END $$""")
    op.execute("ALTER ROLE yc_office NOLOGIN NOSUPERUSER NOBYPASSRLS")


def _tables() -> None:
    op.execute("""
CREATE TABLE yc.departments (
    centre_code text NOT NULL CONSTRAINT fk_departments_centres REFERENCES yc.centres (code),
    name text NOT NULL,
    role_name text NOT NULL CONSTRAINT uq_departments_role_name UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_departments PRIMARY KEY (centre_code, name),
    CONSTRAINT ck_departments_name CHECK (length(btrim(name)) BETWEEN 1 AND 200)
)""")
    op.execute("""
CREATE TABLE yc.catalogue_matters (
    version text NOT NULL,
    code text NOT NULL,
    department text NOT NULL DEFAULT '',
    review_steps jsonb,
    CONSTRAINT pk_catalogue_matters PRIMARY KEY (version, code)
)""")
    op.execute("""
CREATE TABLE yc.case_steps (
    id bigint GENERATED ALWAYS AS IDENTITY CONSTRAINT pk_case_steps PRIMARY KEY,
    case_no text NOT NULL CONSTRAINT fk_case_steps_case_no_cases REFERENCES yc.cases (case_no),
    centre_code text NOT NULL,
    version int NOT NULL,
    event text NOT NULL,
    window_no text,
    department text,
    actor_login text NOT NULL DEFAULT '',
    actor_name text NOT NULL DEFAULT '',
    at timestamptz NOT NULL DEFAULT now(),
    client_at timestamptz,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb
)""")
    op.execute("CREATE INDEX ix_case_steps_case_no_id ON yc.case_steps (case_no, id)")
    op.execute("""
CREATE TABLE yc.case_leases (
    case_no text CONSTRAINT pk_case_leases PRIMARY KEY CONSTRAINT fk_case_leases_case_no_cases REFERENCES yc.cases (case_no),
    centre_code text NOT NULL,
    window_no text NOT NULL,
    clerk_login text NOT NULL DEFAULT '',
    clerk_name text NOT NULL DEFAULT '',
    until timestamptz NOT NULL,
    taken_at timestamptz NOT NULL DEFAULT now()
)""")
    for table in ("departments", "catalogue_matters", "case_steps", "case_leases"):
        op.execute(f"ALTER TABLE yc.{table} OWNER TO yc_owner")
    for table in ("case_steps", "case_leases"):
        op.execute(f"ALTER TABLE yc.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE yc.{table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY centre_isolation ON yc.{table} "
                   "USING (centre_code = current_setting('yc.centre', true)) "
                   "WITH CHECK (centre_code = current_setting('yc.centre', true))")
    op.execute("GRANT SELECT ON yc.departments, yc.catalogue_matters, yc.case_steps, yc.case_leases TO yc_admin")
    op.execute("GRANT INSERT ON yc.case_steps TO yc_admin")
    op.execute("GRANT INSERT, UPDATE ON yc.departments TO yc_admin")
    op.execute("ALTER TABLE yc.cases ADD COLUMN department text, ADD COLUMN last_window_no text, "
               "ADD COLUMN decision jsonb")
    op.execute("ALTER TABLE yc.users ADD COLUMN department text NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE yc.transfers ADD COLUMN closed_by_login text, ADD COLUMN closed_by_name text")
    op.execute("CREATE INDEX ix_changes_cases_key ON yc.changes (centre_code, key, seq) WHERE stream = 'cases'")
    op.execute("CREATE INDEX ix_cases_centre_department_status ON yc.cases (centre_code, department, status)")


def _backfill() -> None:
    """Matters of every published catalogue; each stored case's department and last window; one `cases`
    change per stored case (a new window's first pull sees them all). Runs as the migrating superuser."""
    op.execute("""
INSERT INTO yc.catalogue_matters (version, code, department, review_steps)
SELECT k.version, m->>'code', coalesce(m->>'department', ''),
       CASE WHEN m->'review_steps' IN ('["handle", "review", "decide"]'::jsonb, '["handle", "decide"]'::jsonb)
            THEN m->'review_steps' END
  FROM yc.catalogues k
 CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(
       CASE WHEN pg_catalog.jsonb_typeof(k.text::jsonb->'matters') = 'array' THEN k.text::jsonb->'matters'
            ELSE '[]'::jsonb END) AS m
 WHERE pg_catalog.jsonb_typeof(m) = 'object' AND coalesce(m->>'code', '') <> ''
ON CONFLICT (version, code) DO NOTHING""")
    op.execute("""
UPDATE yc.cases c SET last_window_no = c.window_no,
       department = (SELECT m.department FROM yc.catalogue_matters m
                      WHERE m.version = c.catalogue_version AND m.code = c.matter_code)""")
    op.execute("""
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.case_no, c.centre_code FROM yc.cases c ORDER BY c.centre_code, c.updated_at, c.case_no LOOP
        PERFORM yc.append_change('cases', r.centre_code, r.case_no, yc.case_snapshot(r.case_no));
    END LOOP;
END $$""")


def upgrade() -> None:
    _create_office_role()
    _tables()
    op.execute("CREATE SCHEMA office AUTHORIZATION yc_owner")
    op.execute("REVOKE ALL ON SCHEMA office FROM PUBLIC")
    op.execute("GRANT USAGE ON SCHEMA office TO yc_office")
    for fn in REPLACED:
        replace(fn, revision=revision)
    for fn in NEW_HELPERS:
        create(fn)
    op.execute("CREATE TRIGGER tg_catalogues_matters AFTER INSERT ON yc.catalogues "
               "FOR EACH ROW EXECUTE FUNCTION yc.catalogue_matters_fill()")
    for sig in ADMIN_HELPERS:
        op.execute(f"GRANT EXECUTE ON FUNCTION {sig} TO yc_admin")
    for fn in NEW_WINDOW_API:
        create(SqlFunction(fn.signature, fn.definition, execute_to=("yc_window",)))
    for fn in OFFICE_API:
        create(fn)
    _backfill()


def downgrade() -> None:
    for fn in OFFICE_API:
        drop(fn)
    for fn in NEW_WINDOW_API:
        drop(fn)
    op.execute("DROP TRIGGER tg_catalogues_matters ON yc.catalogues")
    for fn in reversed(REPLACED):
        restore(fn, revision=revision)
    for fn in reversed(NEW_HELPERS):
        drop(fn)
    op.execute("DROP SCHEMA office")
    op.execute("DELETE FROM yc.changes WHERE stream IN ('cases', 'transfers')")
    op.execute("DROP INDEX yc.ix_changes_cases_key")
    op.execute("DROP INDEX yc.ix_cases_centre_department_status")
    op.execute("ALTER TABLE yc.transfers DROP COLUMN closed_by_login, DROP COLUMN closed_by_name")
    op.execute("ALTER TABLE yc.users DROP COLUMN department")
    op.execute("ALTER TABLE yc.cases DROP COLUMN department, DROP COLUMN last_window_no, DROP COLUMN decision")
    for table in ("case_leases", "case_steps", "catalogue_matters", "departments"):
        op.execute(f"DROP TABLE yc.{table}")
    # department login roles and yc_office stay (cluster-wide, like the window logins)
