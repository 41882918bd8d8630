"""Central schema: the push's fast path writes less per case (issue 13).

Revision ID: c0017
Revises: c0016
Create Date: 2026-12-07

What changes (measured in docs/performance.md, "### Push speed", "#### c0017"):
- yc.push_fast (c0008's body, every check kept as it was: the batch's hashes and chain, the centre/window
  match, the department's step words, the matter of the catalogue version, the published catalogue, the case
  number's window, a case seen before, documents of unknown cases) writes the two change rows of each new
  case from the batch itself: the `case_status` row and the `cases` snapshot yc.case_snapshot would read
  back (the case's one step, no decision, no transfer batch), instead of one call of yc.case_snapshot (a
  SQL function PostgreSQL does not inline) and one lookup of the case per row. The step's detail takes the
  status from the same expression the case row is written with (no join back to yc.cases). The batch's
  rows are copied for document ids only when it has documents.
- yc.case_material_gaps is kept by two statement-level triggers with transition tables (one INSERT ... SELECT
  per statement) instead of c0012's row-level trigger (one PL/pgSQL call per case): AFTER INSERT reads every
  new row's materials, AFTER UPDATE every row whose payload changed (c0012's fired on UPDATE OF payload;
  a payload set to the value it had adds no gap: every stored payload's gaps are already there). Same rows,
  same first_version (the version of the row that first carried the gap), same row security (the trigger
  runs as the writer, as c0012's did); a statement with no new payload runs no INSERT (a decision by
  yc_admin, who may not write gaps, stays possible). c0012's yc.record_material_gaps stays, unused, for
  the downgrade.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop, replace, restore

revision: str = "c0017"
down_revision: str | Sequence[str] | None = "c0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_PAYLOAD = 256 * 1024  # c0008's
CLOCK_TOLERANCE_S = 300  # c0008's
_RESERVED = r"'^(review|decision|transfer)\.'"  # the department's step words (c0008)
# the status a new case is stored with (c0008's expression, over the batch row g)
_STATUS = "CASE WHEN g.p->>'status' IN ('delivered', 'withdrawn', 'voided') THEN g.p->>'status' ELSE 'received' END"


def _sql(text: str) -> str:
    for key, value in {"@MAX_PAYLOAD@": str(MAX_PAYLOAD), "@TOLERANCE@": str(CLOCK_TOLERANCE_S),
                       "@RESERVED@": _RESERVED, "@STATUS_G@": _STATUS}.items():
        text = text.replace(key, value)
    return text


# c0008's set-based path for new cases, writing the change rows from the batch (see the module's text)
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
           pg_catalog.jsonb_build_object('status', f.status, 'backup_for', coalesce(f.p->'step'->>'backup_for', ''))
      FROM (SELECT g.*, @STATUS_G@ AS status FROM unnest(v_rows) g WHERE g.kind = 'case.upsert') f
     ORDER BY f.n;
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

# a payload's materials still missing or defective (c0012's selection)
_GAPS = """
    SELECT n.case_no, j->>'code', j->>'state', n.centre_code, n.version
      FROM @ROWS@
     CROSS JOIN LATERAL pg_catalog.jsonb_array_elements(
               CASE WHEN pg_catalog.jsonb_typeof(n.payload->'materials') = 'array' THEN n.payload->'materials'
                    ELSE '[]'::jsonb END) AS j
     WHERE j->>'state' IN ('missing', 'defective') AND coalesce(j->>'code', '') <> ''"""


def _gaps_fn(name: str, rows: str) -> SqlFunction:
    # The INSERT runs only when some row's payload is new: a statement that changed none (a decision by
    # admin.decide_case as yc_admin, which may not write gaps) writes nothing, as c0012's UPDATE OF payload
    # trigger did not fire for it. count(*), not EXISTS: EXISTS is planned for its first row, a nested loop
    # of old_rows x new_rows that, when no payload changed, runs to the end (quadratic in the statement).
    return SqlFunction(f"yc.{name}()", f"""
CREATE OR REPLACE FUNCTION yc.{name}() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- runs inside the sync functions (as yc_owner, with the centre set) and inside admin SQL, as c0012's
    IF (SELECT count(*) FROM {rows}) > 0 THEN
        INSERT INTO yc.case_material_gaps (case_no, code, state, centre_code, first_version)
        {_GAPS.replace("@ROWS@", rows).strip()}
        ON CONFLICT (case_no, code, state) DO NOTHING;
    END IF;
    RETURN NULL;
END $$
""", owner="yc_owner")


GAPS_ON_INSERT = _gaps_fn("material_gaps_on_insert", "new_rows n")
GAPS_ON_UPDATE = _gaps_fn("material_gaps_on_update",
                          "new_rows n JOIN old_rows o ON o.case_no = n.case_no AND o.payload IS DISTINCT FROM n.payload")
GAP_TRIGGERS = (("tg_cases_material_gaps_insert", "INSERT", "NEW TABLE AS new_rows", GAPS_ON_INSERT),
                ("tg_cases_material_gaps_update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                 GAPS_ON_UPDATE))


def upgrade() -> None:
    replace(PUSH_FAST, revision=revision)
    op.execute("DROP TRIGGER tg_cases_material_gaps ON yc.cases")
    for name, event, referencing, fn in GAP_TRIGGERS:
        create(fn)
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON yc.cases REFERENCING {referencing} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {fn.signature}")


def downgrade() -> None:
    for name, _event, _referencing, fn in reversed(GAP_TRIGGERS):
        op.execute(f"DROP TRIGGER {name} ON yc.cases")
        drop(fn)
    # c0012's row-level trigger (its function yc.record_material_gaps was never dropped)
    op.execute("CREATE TRIGGER tg_cases_material_gaps AFTER INSERT OR UPDATE OF payload ON yc.cases "
               "FOR EACH ROW EXECUTE FUNCTION yc.record_material_gaps()")
    restore(PUSH_FAST, revision=revision)
