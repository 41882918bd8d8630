"""Central schema: every stream's page in one call (city scale, issue 17).

Revision ID: c0015
Revises: c0013
Create Date: 2026-12-07

What changes:
- yc.pull_page(centre, stream, after, limit): the body of sync.pull for a centre already known (the query,
  the `cases` newest-per-case rule, the users a window may see, the limit clamp 1..10000), owned by
  yc_owner and executable by no login; sync.pull becomes yc.caller_window() + yc.pull_page, same answer.
- sync.pull_all(cursors jsonb): {stream: after} or {stream: {"after", "limit"}} for up to 16 streams, and
  returns {stream: {"rows", "last_seq"}}, each exactly what sync.pull(stream, after, limit) returns
  (limit 1000 when not given). One log-in check (yc.caller_window) and one round trip instead of seven
  of each: a round that finds nothing new costs one call of seven index probes. Windows only (yc_window).
  A stream the centre does not publish answers an empty page, as sync.pull does.
"""

from __future__ import annotations

from collections.abc import Sequence

from db.central.replaceable import SqlFunction, create, drop, replace, restore

revision: str = "c0015"
down_revision: str | Sequence[str] | None = "c0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_STREAMS = 16
_FN = "SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s'"

# c0006's sync.pull body, for a centre the caller already established
PULL_PAGE = SqlFunction("yc.pull_page(text, text, bigint, int)", r"""
CREATE OR REPLACE FUNCTION yc.pull_page(p_centre text, p_stream text, p_after bigint, p_limit int) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_rows jsonb;
    v_last bigint;
    v_limit int := least(greatest(coalesce(p_limit, 1000), 1), 10000);
BEGIN
    IF p_stream = 'cases' THEN
        SELECT coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('seq', s.seq, 'key', s.key,
                   'data', s.data) ORDER BY s.seq), '[]'::jsonb), max(s.seq)
          INTO v_rows, v_last
          FROM (SELECT c.seq, c.key, c.data FROM yc.changes c
                 WHERE c.stream = 'cases' AND c.centre_code = p_centre AND c.seq > coalesce(p_after, 0)
                   AND NOT EXISTS (SELECT 1 FROM yc.changes l
                                    WHERE l.stream = 'cases' AND l.centre_code = p_centre
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
             WHERE c.stream = p_stream AND c.centre_code IN (p_centre, '*')
               AND c.seq > coalesce(p_after, 0)
             ORDER BY c.seq
             LIMIT v_limit) s;
    RETURN pg_catalog.jsonb_build_object('rows', v_rows, 'last_seq', coalesce(v_last, p_after, 0));
END $$
""")

PULL = SqlFunction("sync.pull(text, bigint, int)", r"""
CREATE OR REPLACE FUNCTION sync.pull(p_stream text, p_after bigint, p_limit int) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
BEGIN
    SELECT * INTO v FROM yc.caller_window();
    RETURN yc.pull_page(v.centre_code, p_stream, p_after, p_limit);
END $$
""".replace("@FN@", _FN))

PULL_ALL = SqlFunction("sync.pull_all(jsonb)", r"""
CREATE OR REPLACE FUNCTION sync.pull_all(p_cursors jsonb) RETURNS jsonb
LANGUAGE plpgsql @FN@ AS $$
DECLARE
    v record;
    e record;
    v_after bigint;
    v_limit int;
    v_out jsonb := '{}'::jsonb;
BEGIN
    IF p_cursors IS NULL OR pg_catalog.jsonb_typeof(p_cursors) <> 'object'
       OR (SELECT count(*) FROM pg_catalog.jsonb_object_keys(p_cursors)) > @MAX_STREAMS@ THEN
        RAISE EXCEPTION 'sync.pull_all 需要一个对象 {数据流: 游标}，最多 @MAX_STREAMS@ 个数据流' USING ERRCODE = 'YC004';
    END IF;
    SELECT * INTO v FROM yc.caller_window();
    FOR e IN SELECT j.key, j.value FROM pg_catalog.jsonb_each(p_cursors) AS j ORDER BY j.key LOOP
        BEGIN
            IF pg_catalog.jsonb_typeof(e.value) = 'object' THEN
                v_after := (e.value->>'after')::bigint;
                v_limit := (e.value->>'limit')::int;
            ELSE
                v_after := (e.value #>> '{}')::bigint;
                v_limit := NULL;
            END IF;
        EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
            RAISE EXCEPTION 'sync.pull_all：数据流 % 的游标不是整数', e.key USING ERRCODE = 'YC004';
        END;
        v_out := v_out || pg_catalog.jsonb_build_object(e.key, yc.pull_page(v.centre_code, e.key, v_after, v_limit));
    END LOOP;
    RETURN v_out;
END $$
""".replace("@FN@", _FN).replace("@MAX_STREAMS@", str(MAX_STREAMS)), execute_to=("yc_window",))


def upgrade() -> None:
    create(PULL_PAGE)  # yc_owner's, executable by no login (REVOKE ALL FROM PUBLIC)
    replace(PULL, revision=revision)
    create(PULL_ALL)


def downgrade() -> None:
    drop(PULL_ALL)
    restore(PULL, revision=revision)
    drop(PULL_PAGE)
