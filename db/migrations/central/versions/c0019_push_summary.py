"""Central schema: a push of new cases writes their summary rows from the batch (issue 13).

Revision ID: c0019
Revises: c0018
Create Date: 2026-12-07

Measured in docs/performance.md ("### Push speed", "#### c0019"): c0013's summary triggers recomputed every
new case twice per push, once when yc.push_fast inserted the cases and again when it inserted their steps,
each time from the tables (about 15 ms per 1,000 cases per recomputation, a third of the push's time at the
centre). And on a cases table whose statistics were stale (a new centre, a restore, a bulk load before the
next ANALYZE) the planner computed the per-case step aggregates for every case of the table and only then
kept the touched ones: the cost of one push grew with the table.

What changes:
- yc.push_fast (c0017's body, every check kept as it was, and one more before any write: a batch holding a
  case the centre knows already, a later version, goes to the per-op loop at once instead of after its
  writes) writes a new case's steps first, then its summary row, computed from the batch row and its one
  step by the same rules as c0013's recomputation (a test compares every column with that recomputation for
  every kind of new case), then the case itself. The steps' foreign key to yc.cases becomes DEFERRABLE
  (INITIALLY IMMEDIATE, so every other writer sees no change); push_fast defers it for its steps and sets it
  back to IMMEDIATE (which checks them) once the cases are in, before it writes anything else. When it gives
  a batch up, sync.push's sub-transaction rolls back its rows and the mode alike. Any login may now defer
  the key in its own transaction (SET CONSTRAINTS ALL DEFERRED): its check then waits for that commit, and
  a fast push in that transaction leaves it IMMEDIATE (tests/sync/test_push_summary_attacks.py).
- c0013's trigger functions (replaced whole, same signatures and triggers) gather the touched case numbers
  into an array first and read each touched case through its primary key and its steps through their index
  (a plan that no longer depends on the tables' statistics). On INSERT into yc.cases they leave out the
  cases whose summary row was written in this transaction (refreshed_at = now()) and agrees with the new
  row on centre, window, status and outcome: only yc.push_fast writes a summary row before its case exists
  (the triggers write rows for existing cases only, and the DELETE trigger removes a deleted case's row).
  No window, department or reporting login may write yc.case_summary, so none can make the triggers skip
  a case. (A TRUNCATE of yc.cases, owner or superuser only, fires no trigger: a row it leaves behind in the
  same transaction as a re-inserted case would be kept; empty yc.case_summary with it.)
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, replace, restore

revision: str = "c0019"
down_revision: str | Sequence[str] | None = "c0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_PAYLOAD = 256 * 1024  # c0008's
CLOCK_TOLERANCE_S = 300  # c0008's
_RESERVED = r"'^(review|decision|transfer)\.'"  # the department's step words (c0008)
# the status a new case is stored with (c0008's expression, over the batch row g)
_STATUS = "CASE WHEN g.p->>'status' IN ('delivered', 'withdrawn', 'voided') THEN g.p->>'status' ELSE 'received' END"
TZ = "Asia/Shanghai"


def _day(expr: str) -> str:
    return f"pg_catalog.to_char(({expr}) AT TIME ZONE '{TZ}', 'YYYY-MM-DD')"


# c0013's columns of yc.case_summary, in its order
COLUMNS = ("centre_code", "window_no", "matter_code", "catalogue_version", "applicant_kind", "clerk_login",
           "first_actor", "outcome", "status", "holiday", "received_day", "accept_day", "decided_day",
           "delivered_day", "promised_date", "statutory_date", "first_notice", "visits", "paused", "pause_days",
           "resume_days")

# A new case's summary row from its batch row and its one step (the step yc.push_fast writes: its event,
# the pushing window, the step's clerk name, its client time), by c0013's rules: no decision yet, no
# department step (the window's step words exclude review./decision./transfer.), no clock pair (a pair
# needs two steps), so decided_day can only come from an on-the-spot completion or a delivery.
_SUMMARY = f"""
    INSERT INTO yc.case_summary (case_no, {", ".join(COLUMNS)})
    SELECT f.case_no, p_centre, p_window, f.p->>'matter_code', f.p->>'catalogue_version', f.p->'applicant'->>'kind',
           f.p->>'clerk_login', nullif(coalesce(f.p->'step'->>'clerk_name', ''), ''), f.p->>'outcome',
           f.status, CASE WHEN f.p->>'holiday' = 'true' THEN 1 ELSE 0 END,
           f.received_day, coalesce(pg_catalog.substr(f.p->>'complete_at', 1, 10), f.received_day),
           CASE WHEN f.status IN ('withdrawn', 'voided') THEN NULL
                WHEN f.p->>'outcome' = 'completed'
                  THEN coalesce(pg_catalog.substr(f.p->>'complete_at', 1, 10), f.received_day)
                WHEN f.p->>'outcome' = 'accepted' AND f.status IN ('approved', 'denied', 'result_ready', 'delivered')
                  THEN f.delivered_day
           END,
           CASE WHEN f.status IN ('withdrawn', 'voided') THEN NULL ELSE f.delivered_day END,
           pg_catalog.to_char((f.p->>'promised_date')::date, 'YYYY-MM-DD'),
           pg_catalog.to_char((f.p->>'statutory_date')::date, 'YYYY-MM-DD'),
           CASE WHEN f.event = 'notice' THEN 1 ELSE 0 END,
           CASE WHEN f.event IN ('supplemented', 'gap.supplied') THEN 2 ELSE 1 END,
           coalesce(f.p->>'paused_since', '') <> '', NULL, NULL
      FROM (SELECT e.*, CASE WHEN e.event = 'delivered'
                             THEN {_day("coalesce((e.p->'step'->>'at')::timestamptz, pg_catalog.now())")} END
                        AS delivered_day
              FROM (SELECT g.*, @STATUS_G@ AS status, {_day("(g.p->>'received_at')::timestamptz")} AS received_day,
                           pg_catalog.left(coalesce(nullif(g.p->'step'->>'event', ''), 'case.received'), 64) AS event
                      FROM unnest(v_rows) g WHERE g.kind = 'case.upsert') e) f
     ORDER BY f.n
    -- a case number taken already (here or at another centre) has its row: the cases' INSERT below then
    -- falls short and sends the batch to the per-op loop (YC199), which rolls all of this back
    ON CONFLICT (case_no) DO NOTHING;
"""


def _sql(text: str) -> str:
    for key, value in {"@SUMMARY@": _SUMMARY, "@MAX_PAYLOAD@": str(MAX_PAYLOAD), "@TOLERANCE@": str(CLOCK_TOLERANCE_S),
                       "@RESERVED@": _RESERVED, "@STATUS_G@": _STATUS}.items():
        text = text.replace(key, value)
    return text


# c0017's yc.push_fast, writing steps, summary rows and cases in that order (see the module's text)
PUSH_FAST = SqlFunction("yc.push_fast(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.push_fast(p_ops jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_rows yc.fast_op[];
    v_n int;
    v_ids uuid[];
    v_case_nos text[];
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
    SELECT array_agg(f.op_id), array_agg(f.case_no) FILTER (WHERE f.kind = 'case.upsert'), count(DISTINCT f.op_id),
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
      INTO v_ids, v_case_nos, v_distinct_ids, v_cases, v_distinct_cases, v_bad
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
       OR yc.known_cases(v_case_nos) > 0  -- a later version of a known case: the loop, before any write
       OR (v_orphans IS NOT NULL AND yc.known_cases(v_orphans) <> pg_catalog.cardinality(v_orphans))
    THEN
        RAISE EXCEPTION 'not for the fast path' USING ERRCODE = 'YC199';
    END IF;
    -- the steps first (their foreign key to yc.cases checked once the cases are in), then the summary rows,
    -- then the cases: c0013's triggers then find nothing to recompute (see the module's text)
    SET CONSTRAINTS yc.fk_case_steps_case_no_cases DEFERRED;
    INSERT INTO yc.case_steps (case_no, centre_code, version, event, window_no, department, actor_login,
                               actor_name, client_at, detail)
    SELECT f.case_no, p_centre, (f.p->>'version')::int,
           pg_catalog.left(coalesce(nullif(f.p->'step'->>'event', ''), 'case.received'), 64), p_window, NULL,
           coalesce(f.p->'step'->>'clerk_login', f.p->>'clerk_login', ''), coalesce(f.p->'step'->>'clerk_name', ''),
           (f.p->'step'->>'at')::timestamptz,
           pg_catalog.jsonb_build_object('status', f.status, 'backup_for', coalesce(f.p->'step'->>'backup_for', ''))
      FROM (SELECT g.*, @STATUS_G@ AS status FROM unnest(v_rows) g WHERE g.kind = 'case.upsert') f
     ORDER BY f.n;
@SUMMARY@    INSERT INTO yc.cases (case_no, centre_code, window_no, matter_code, catalogue_version, outcome,
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
    SET CONSTRAINTS yc.fk_case_steps_case_no_cases IMMEDIATE;
    IF v_cases < v_n THEN  -- documents in the batch: draw their ids
        v_rows := ARRAY(
            SELECT ROW(f.n, f.op_id, f.kind, f.sha, f.p, f.case_no,
                       CASE WHEN f.kind = 'document.printed'
                            THEN pg_catalog.nextval(pg_catalog.pg_get_serial_sequence('yc.documents', 'id')) END,
                       f.cseq, f.cprev, f.cmac)::yc.fast_op
              FROM unnest(v_rows) f ORDER BY f.n);
    END IF;
    INSERT INTO yc.documents (id, case_no, centre_code, kind, sha256, printed_at, reprint)
    SELECT f.doc_id, f.case_no, p_centre, f.p->>'kind', f.p->>'sha256',
           (f.p->>'printed_at')::timestamptz, coalesce((f.p->>'reprint')::int, 0)
      FROM unnest(v_rows) f WHERE f.kind = 'document.printed' ORDER BY f.n;
    -- the centre's stream lock is held by the caller (sync.push takes it first)
    INSERT INTO yc.changes (seq, stream, centre_code, key, data)
    SELECT pg_catalog.nextval('yc.changes_seq'), s.stream, p_centre, s.case_no, s.data
      FROM (SELECT f.n, k.k, CASE k.k WHEN 1 THEN 'case_status' ELSE 'cases' END AS stream, f.case_no,
                   CASE k.k
                   WHEN 1 THEN pg_catalog.jsonb_build_object('case_no', f.case_no, 'status', f.status,
                                                             'outcome', f.p->>'outcome')
                   -- yc.case_snapshot(case_no) of the case just written: its one step, no decision, no batch
                   ELSE pg_catalog.jsonb_build_object('case_no', f.case_no, 'version', (f.p->>'version')::int,
                       'payload', f.p, 'status', f.status, 'decision', NULL::jsonb,
                       'steps', pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
                           'event', pg_catalog.left(coalesce(nullif(f.p->'step'->>'event', ''), 'case.received'), 64),
                           'window_no', p_window, 'department', NULL::text,
                           'actor_name', coalesce(f.p->'step'->>'clerk_name', ''), 'at', pg_catalog.now())),
                       'batch_no', NULL::text, 'last_window_no', p_window) END AS data
              FROM (SELECT g.*, @STATUS_G@ AS status FROM unnest(v_rows) g WHERE g.kind = 'case.upsert') f
             CROSS JOIN (VALUES (1), (2)) AS k(k)) s
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


# c0013's recomputation of the touched cases' rows (its _ROWS), driven by the array v_ids: each case through
# its primary key, its steps through (case_no, id)
_ROWS = f"""
SELECT c.case_no, c.centre_code, c.window_no, c.matter_code, c.catalogue_version, c.applicant_kind,
    c.payload->>'clerk_login', st.first_actor, c.outcome, c.status,
    CASE WHEN c.payload->>'holiday' = 'true' THEN 1 ELSE 0 END,
    {_day('c.received_at')},
    coalesce(pg_catalog.substr(c.payload->>'complete_at', 1, 10), {_day('c.received_at')}),
    CASE WHEN c.status IN ('withdrawn', 'voided') THEN NULL
         WHEN c.outcome = 'completed' THEN coalesce(pg_catalog.substr(c.payload->>'complete_at', 1, 10),
                                                    {_day('c.received_at')})
         WHEN c.outcome = 'accepted' AND c.status IN ('approved', 'denied', 'result_ready', 'delivered')
           THEN coalesce({_day("(c.decision->>'decided_at')::timestamptz")}, st.ev_decided, st.delivered_day)
    END,
    CASE WHEN c.status IN ('withdrawn', 'voided') THEN NULL ELSE st.delivered_day END,
    pg_catalog.to_char(c.promised_date, 'YYYY-MM-DD'),
    pg_catalog.to_char(c.statutory_date, 'YYYY-MM-DD'),
    coalesce(st.first_notice, 0), 1 + coalesce(st.extra_visits, 0),
    coalesce(c.payload->>'paused_since', '') <> '',
    pz.pause_days, pz.resume_days
  FROM @DRIVE@
 CROSS JOIN LATERAL (SELECT * FROM yc.cases c WHERE c.case_no = i.case_no LIMIT 1) c
  LEFT JOIN LATERAL (
    SELECT MAX(CASE WHEN s.event = 'notice' THEN 1 ELSE 0 END) AS first_notice,
      SUM(CASE WHEN s.event IN ('supplemented', 'gap.supplied') THEN 1 ELSE 0 END)::int AS extra_visits,
      MIN(CASE WHEN s.event IN ('decision.approved', 'decision.denied') THEN {_day('s.at')} END) AS ev_decided,
      MIN(CASE WHEN s.event = 'delivered' THEN {_day('coalesce(s.client_at, s.at)')} END) AS delivered_day,
      (pg_catalog.array_agg(s.actor_name ORDER BY s.id)
         FILTER (WHERE s.actor_name <> '' AND s.window_no IS NOT NULL))[1] AS first_actor
      FROM yc.case_steps s WHERE s.case_no = c.case_no AND s.centre_code = c.centre_code) st ON true
  LEFT JOIN LATERAL (
    SELECT pg_catalog.array_agg({_day('coalesce(p.client_at, p.at)')} ORDER BY r.id) AS pause_days,
      pg_catalog.array_agg({_day('coalesce(r.client_at, r.at)')} ORDER BY r.id) AS resume_days
      FROM yc.case_steps r
      CROSS JOIN LATERAL (SELECT p.client_at, p.at FROM yc.case_steps p
                           WHERE p.case_no = r.case_no AND p.event = 'clock.paused' AND p.id < r.id
                           ORDER BY p.id DESC LIMIT 1) p
     WHERE r.case_no = c.case_no AND r.event = 'clock.resumed' AND r.centre_code = c.centre_code) pz ON true"""

_UPSERT = ("INSERT INTO yc.case_summary AS t (case_no, " + ", ".join(COLUMNS) + ")" + _ROWS
           + "\nON CONFLICT (case_no) DO UPDATE SET (" + ", ".join(COLUMNS) + ", refreshed_at) = ("
           + ", ".join(f"EXCLUDED.{c}" for c in COLUMNS) + ", pg_catalog.now())")


def _refresh(one: bool) -> str:
    """The recomputation of the cases in v_ids. For one case it names v_ids[1], a scalar: PL/pgSQL then keeps
    one generic plan per statement for the connection's life (index lookups by that key). The array form's
    cost depends on the array's length, so each call is planned again for the length it has (a batch of
    1,000 gets the plan for 1,000), which for one case is most of the trigger's time on a warm connection."""
    match, drive = ("= v_ids[1]", "(VALUES (v_ids[1])) AS i(case_no)") if one else \
        ("= ANY (v_ids)", "pg_catalog.unnest(v_ids) AS i(case_no)")
    return f"""        IF TG_TABLE_NAME = 'case_steps' THEN
            -- two writers of one case: the second waits here, then reads what the first committed
            PERFORM 1 FROM yc.cases WHERE case_no {match} ORDER BY case_no FOR NO KEY UPDATE;
        END IF;
        DELETE FROM yc.case_summary t WHERE t.case_no {match}
           AND NOT EXISTS (SELECT 1 FROM yc.cases c WHERE c.case_no = t.case_no);
        {_UPSERT.replace("@DRIVE@", drive)};"""


def _fn(name: str, source: str, *, skip: str = "") -> SqlFunction:
    return SqlFunction(f"yc.{name}()", f"""
CREATE OR REPLACE FUNCTION yc.{name}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_ids text[];
BEGIN
    -- runs inside the sync functions (yc_owner, one centre) and in the administrator's SQL alike
    v_ids := ARRAY(SELECT DISTINCT touched.case_no FROM {source});
{skip}    IF pg_catalog.cardinality(v_ids) = 1 THEN
{_refresh(True)}
    ELSIF pg_catalog.cardinality(v_ids) > 1 THEN
{_refresh(False)}
    END IF;
    RETURN NULL;
END $$
""", owner="yc_admin")


# on INSERT only (the one trigger function with new rows and no old ones)
_SKIP_SUMMARISED = """    IF TG_TABLE_NAME = 'cases' AND TG_OP = 'INSERT' THEN
        -- the new cases yc.push_fast already summarised, in this transaction, from its batch
        v_ids := ARRAY(SELECT DISTINCT n.case_no FROM new_rows n
                        WHERE NOT EXISTS (SELECT 1 FROM yc.case_summary s
                                         WHERE s.case_no = n.case_no AND s.refreshed_at = pg_catalog.now()
                                           AND s.centre_code = n.centre_code AND s.window_no = n.window_no
                                           AND s.status = n.status AND s.outcome = n.outcome));
        IF pg_catalog.cardinality(v_ids) = 0 THEN
            RETURN NULL;
        END IF;
    END IF;
"""
ON_NEW = _fn("case_summary_on_new", "new_rows AS touched", skip=_SKIP_SUMMARISED)
ON_OLD = _fn("case_summary_on_old", "old_rows AS touched")
ON_BOTH = _fn("case_summary_on_both", "(SELECT case_no FROM new_rows UNION SELECT case_no FROM old_rows) AS touched")
FUNCTIONS = (PUSH_FAST, ON_NEW, ON_OLD, ON_BOTH)
FK = "ALTER TABLE yc.case_steps ALTER CONSTRAINT fk_case_steps_case_no_cases"


def upgrade() -> None:
    op.execute(f"{FK} DEFERRABLE INITIALLY IMMEDIATE")
    for fn in FUNCTIONS:
        replace(fn, revision=revision)


def downgrade() -> None:
    for fn in reversed(FUNCTIONS):
        restore(fn, revision=revision)
    op.execute(f"{FK} NOT DEFERRABLE")
