"""Central schema: the back office's clock operations (issue 9, "Clock operations with a reason").

Revision ID: c0011
Revises: c0009
Create Date: 2025-01-11

What changes:
- office.pause(actor, case, reason), office.resume(actor, case), office.extend(actor, case, days, reason,
  approver): a department stops the decision clock of a case it holds (signed or in_review, not decided)
  for a hearing, inspection, testing, appraisal or expert review (行政许可法 Art. 45), resumes it, or extends
  it once by at most 10 working days with the head's approval (Art. 42, the approver named). Each records a
  department step (window_no NULL) `clock.paused` / `clock.resumed` / `clock.extended` with its detail and
  emits the case snapshot; the case's version does not change (the windows fold the step into their dates).
- The clock's state is judged on the case's steps of either side (a window's own pause, resume and
  extension count too): a second pause, a resume without a pause, a second extension (Art. 42 allows one)
  or more than 10 days are refused, as is a case of another department or one not held (not signed for,
  or decided).
- Dates are the centre's day in Asia/Shanghai: a pause's detail says `paused_on`, a resume's `paused_on`
  (of the pause it ends) and `resumed_on`; the windows count the working days between them with the
  calendar they all pull, so every window moves the dates alike (desktop/core/sync/office_clock.py).
- yc.case_snapshot gives a department clock step its `id` and `detail` (other steps are as before), and
  yc.office_case_json says the case's `clock` ({"paused_on", "extended_days"}).
Functions are replaceable objects (db/central/replaceable.py): each is defined whole here.
"""

from __future__ import annotations

from collections.abc import Sequence

from db.central.replaceable import SqlFunction, create, drop, replace, restore

revision: str = "c0011"
down_revision: str | Sequence[str] | None = "c0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_EXTENSION = 10  # desktop.core.cases.deadlines.MAX_EXTENSION (Art. 42)
MAX_TEXT = 500  # desktop.core.office.forms.MAX_REASON
MAX_APPROVER = 100

_FN = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s'"
_REJECT = "USING ERRCODE = 'YC100'"
_TODAY = "(pg_catalog.now() AT TIME ZONE 'Asia/Shanghai')::date"


def _sql(text: str) -> str:
    for key, value in {"@FN@": _FN, "@REJECT@": _REJECT, "@TODAY@": _TODAY, "@MAX_EXT@": str(MAX_EXTENSION),
                       "@MAX_TEXT@": str(MAX_TEXT), "@MAX_APPROVER@": str(MAX_APPROVER)}.items():
        text = text.replace(key, value)
    return text


# ---- new helpers (SECURITY INVOKER, owned by yc_owner) ---------------------------------------------------
CASE_CLOCK = SqlFunction("yc.case_clock(text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.case_clock(p_case text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    -- {"paused_on": the day the clock stopped (NULL: running), "extended_days": the working days added}
    -- from the case's clock steps of both sides: a window's own pause is dated as its payload says, its own
    -- extensions are in its payload's extended_days (as is a department's once a window folded it in)
    WITH p AS (SELECT s.event, s.detail, s.client_at, s.at FROM yc.case_steps s
                WHERE s.case_no = p_case AND s.event IN ('clock.paused', 'clock.resumed')
                ORDER BY s.id DESC LIMIT 1),
         c AS (SELECT x.payload FROM yc.cases x WHERE x.case_no = p_case)
    SELECT pg_catalog.jsonb_build_object(
        'paused_on', (SELECT CASE WHEN p.event = 'clock.paused'
                                  THEN coalesce(p.detail->>'paused_on', c.payload->>'paused_since',
                                                (coalesce(p.client_at, p.at) AT TIME ZONE 'Asia/Shanghai')::date::text)
                             END FROM p, c),
        'extended_days', greatest(
            coalesce((SELECT (c.payload->>'extended_days')::int FROM c), 0),
            coalesce((SELECT sum((s.detail->>'days')::int)::int FROM yc.case_steps s
                       WHERE s.case_no = p_case AND s.window_no IS NULL AND s.event = 'clock.extended'), 0)))
$$
"""))

# the department's clock operation, checked and recorded: p_op is pause, resume or extend
OFFICE_CLOCK = SqlFunction("yc.office_clock(text, text, text, int, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.office_clock(p_actor text, p_case text, p_op text, p_days int, p_reason text,
                                           p_approver text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v record;
    v_name text;
    c record;
    v_clock jsonb;
    v_reason text := pg_catalog.btrim(coalesce(p_reason, ''));
    v_approver text := pg_catalog.btrim(coalesce(p_approver, ''));
    v_detail jsonb;
    v_event text;
BEGIN
    SELECT * INTO v FROM yc.caller_department();
    v_name := yc.office_actor(p_actor, v.centre_code, v.department);
    PERFORM yc.lock_stream('cases', v.centre_code);
    SELECT * INTO c FROM yc.cases x WHERE x.case_no = p_case FOR UPDATE;
    IF NOT FOUND OR c.department IS DISTINCT FROM v.department THEN
        RAISE EXCEPTION 'unknown case' @REJECT@;
    END IF;
    IF c.status IN ('approved', 'denied', 'delivered') THEN
        RAISE EXCEPTION 'case % is decided already (status %): its clock has stopped', p_case, c.status @REJECT@;
    END IF;
    IF c.status NOT IN ('signed', 'in_review') THEN
        RAISE EXCEPTION 'case % is not held by the department (status %)', p_case, c.status @REJECT@;
    END IF;
    v_clock := yc.case_clock(p_case);
    IF p_op = 'pause' THEN
        IF v_reason = '' THEN
            RAISE EXCEPTION 'a pause needs a reason' @REJECT@;
        END IF;
        IF v_clock->>'paused_on' IS NOT NULL THEN
            RAISE EXCEPTION 'the clock of case % is paused already (since %)', p_case, v_clock->>'paused_on' @REJECT@;
        END IF;
        v_event := 'clock.paused';
        v_detail := pg_catalog.jsonb_build_object('reason', pg_catalog.left(v_reason, @MAX_TEXT@),
                                                  'paused_on', @TODAY@);
    ELSIF p_op = 'resume' THEN
        IF v_clock->>'paused_on' IS NULL THEN
            RAISE EXCEPTION 'the clock of case % is not paused', p_case @REJECT@;
        END IF;
        v_event := 'clock.resumed';
        v_detail := pg_catalog.jsonb_build_object(
            'paused_on', v_clock->>'paused_on', 'resumed_on', @TODAY@,
            'reason', (SELECT coalesce(s.detail->>'reason', '') FROM yc.case_steps s
                        WHERE s.case_no = p_case AND s.event = 'clock.paused' ORDER BY s.id DESC LIMIT 1));
    ELSIF p_op = 'extend' THEN
        IF p_days IS NULL OR p_days < 1 OR p_days > @MAX_EXT@ THEN
            RAISE EXCEPTION 'an extension is 1..@MAX_EXT@ working days, not %', coalesce(p_days::text, '(none)') @REJECT@;
        END IF;
        IF v_reason = '' THEN
            RAISE EXCEPTION 'an extension needs a reason' @REJECT@;
        END IF;
        IF v_approver = '' OR pg_catalog.length(v_approver) > @MAX_APPROVER@ THEN
            RAISE EXCEPTION 'an extension needs the approver''s name' @REJECT@;
        END IF;
        IF (v_clock->>'extended_days')::int > 0 THEN
            RAISE EXCEPTION 'case % was extended already (% working days): the law allows one extension', p_case,
                v_clock->>'extended_days' @REJECT@;
        END IF;
        v_event := 'clock.extended';
        v_detail := pg_catalog.jsonb_build_object('days', p_days, 'reason', pg_catalog.left(v_reason, @MAX_TEXT@),
                                                  'approver', v_approver, 'extended_on', @TODAY@);
    ELSE
        RAISE EXCEPTION 'unknown clock operation %', p_op @REJECT@;
    END IF;
    UPDATE yc.cases SET updated_at = pg_catalog.now() WHERE case_no = p_case;
    PERFORM yc.add_step(p_case, v.centre_code, v_event, NULL, v.department, p_actor, v_name, NULL, v_detail);
    PERFORM yc.emit_case(p_case, v.centre_code);
    RETURN yc.office_case_json(p_case) || pg_catalog.jsonb_build_object('event', v_event, 'detail', v_detail);
END $$
"""))

# ---- replaced ----------------------------------------------------------------------------------------------
# the snapshot: a department clock step also says its id and detail (the windows fold it into their dates)
CASE_SNAPSHOT = SqlFunction("yc.case_snapshot(text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.case_snapshot(p_case text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.jsonb_build_object(
        'case_no', c.case_no, 'version', c.version, 'payload', c.payload, 'status', c.status,
        'decision', c.decision,
        'steps', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'event', s.event, 'window_no', s.window_no, 'department', s.department,
                      'actor_name', s.actor_name, 'at', s.at)
                      || CASE WHEN s.window_no IS NULL AND s.event LIKE 'clock.%'
                              THEN pg_catalog.jsonb_build_object('id', s.id, 'detail', s.detail)
                              ELSE '{}'::jsonb END ORDER BY s.id)
                    FROM yc.case_steps s WHERE s.case_no = c.case_no), '[]'::jsonb),
        'batch_no', (SELECT t.batch_no FROM yc.transfer_items i JOIN yc.transfers t ON t.batch_no = i.batch_no
                      WHERE i.case_no = c.case_no AND t.state <> 'returned'
                      ORDER BY t.created_at DESC, t.batch_no DESC LIMIT 1),
        'last_window_no', c.last_window_no)
      FROM yc.cases c WHERE c.case_no = p_case
$$
"""))

OFFICE_CASE_ROW = SqlFunction("yc.office_case_json(text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.office_case_json(p_case text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT pg_catalog.jsonb_build_object('case_no', c.case_no, 'matter_code', c.matter_code,
               'applicant_name', c.applicant_name, 'status', c.status, 'promised_date', c.promised_date,
               'statutory_date', c.statutory_date, 'clock', yc.case_clock(c.case_no)) || yc.case_review(c.case_no)
      FROM yc.cases c WHERE c.case_no = p_case
$$
"""))

# ---- the department's API ----------------------------------------------------------------------------------
OFFICE_PAUSE = SqlFunction("office.pause(text, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.pause(p_actor text, p_case text, p_reason text) RETURNS jsonb
LANGUAGE sql @FN@ AS $$
    SELECT yc.office_clock(p_actor, p_case, 'pause', NULL, p_reason, NULL)
$$
"""), execute_to=("yc_office",))

OFFICE_RESUME = SqlFunction("office.resume(text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.resume(p_actor text, p_case text) RETURNS jsonb
LANGUAGE sql @FN@ AS $$
    SELECT yc.office_clock(p_actor, p_case, 'resume', NULL, NULL, NULL)
$$
"""), execute_to=("yc_office",))

OFFICE_EXTEND = SqlFunction("office.extend(text, text, int, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION office.extend(p_actor text, p_case text, p_days int, p_reason text, p_approver text)
RETURNS jsonb
LANGUAGE sql @FN@ AS $$
    SELECT yc.office_clock(p_actor, p_case, 'extend', p_days, p_reason, p_approver)
$$
"""), execute_to=("yc_office",))

NEW_HELPERS = (CASE_CLOCK, OFFICE_CLOCK)
REPLACED = (CASE_SNAPSHOT, OFFICE_CASE_ROW)
OFFICE_API = (OFFICE_PAUSE, OFFICE_RESUME, OFFICE_EXTEND)


def upgrade() -> None:
    create(CASE_CLOCK)
    for fn in REPLACED:
        replace(fn, revision=revision)
    create(OFFICE_CLOCK)
    for fn in OFFICE_API:
        create(fn)


def downgrade() -> None:
    for fn in reversed(OFFICE_API):
        drop(fn)
    drop(OFFICE_CLOCK)
    for fn in reversed(REPLACED):
        restore(fn, revision=revision)
    drop(CASE_CLOCK)
