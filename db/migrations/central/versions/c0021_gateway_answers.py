"""Central schema: what the shared entry still told a window, and lease holder names cleaned at the centre.

Revision ID: c0021
Revises: c0020
Create Date: 2026-12-07

Why (both were listed as known limits of c0020 in docs/security.md):
- gw.call answered a call that named another window in two ways: "not registered, not bound or disabled"
  when that window has no usable key, "the MAC does not match" when it has one. Any window that can log in
  to the pooler could so list which windows of any centre are bound and in service, without any key.
- sync.lease_case stored the clerk name (and login) a window sent as it came, and gave the name to every
  other window of the centre that asked for the case: a right-to-left override, zero-width characters or a
  name of any length reached another clerk's screen (the windows clean it since 2026-12-07; a window of an
  older version, or a hostile one, is not cleaned by the window that shows it).

What it changes:
- `gw.call` gives one answer (YC007, one text) to every call that fails the identity check: no such window,
  not bound, disabled, or a MAC that does not match. The MAC is computed in every case, under a fixed key
  that no window has when the window has none, so the time taken does not tell them apart either. A call
  whose MAC matches and whose time is not ISO 8601 is told so (only the key's holder can get there). The
  MAC's definition is unchanged: clients of c0020 keep working.
- `sync.lease_case` stores the clerk name without the characters the windows refuse in one-line text
  (desktop/core/textcheck.py: C0 and C1 controls, DEL, every Unicode format character: zero-width and
  direction marks, bidi embeddings, overrides and isolates, the word joiner, tags, the byte-order mark ...;
  line and paragraph separators), at most 40 characters, and the clerk login the same way, at most 64.
  Leases already stored are cleaned the same way.

What it does not change: everything else of c0020 and the sync functions.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, replace, restore

revision: str = "c0021"
down_revision: str | Sequence[str] | None = "c0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GATEWAY_ROLE = "yc_gateway"
MAX_SKEW_S = 900
FUNCTIONS = ("handshake", "restore_state", "push", "put_blobs", "pull", "pull_all", "lease_case", "release_case")
NAME_MAX, LOGIN_MAX = 40, 64
# textcheck's list as of this revision (desktop/core/textcheck.py: every Unicode format character, the
# controls, the line and paragraph separators; a PostgreSQL text holds no NUL and no surrogate)
FORMAT_AND_CONTROLS = (
    (0x01, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x206F),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x1343F),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)
# ... in one-line text (TAB, LF and CR too), as a regular expression class
HIDDEN = "[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in FORMAT_AND_CONTROLS) + "]"


def _clean(expr: str, limit: int) -> str:
    return f"pg_catalog.left(pg_catalog.regexp_replace(coalesce({expr}, ''), '{HIDDEN}', '', 'g'), {limit})"


GW_CALL = SqlFunction("gw.call(text, text, text, text, text, text)", r"""
CREATE OR REPLACE FUNCTION gw.call(p_centre text, p_window text, p_at text, p_mac text, p_fn text, p_args text)
RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_key bytea;
    v_can_login boolean;
    v_at timestamptz;
    v_expected text;
    a jsonb;
    v_out jsonb;
    v_ok boolean;
BEGIN
    -- The shared backends serve every window, and a plan PL/pgSQL caches lives as long as the backend, made
    -- under the settings of the transaction that planned it (the pooler's RESET ALL after the transaction
    -- does not touch it): whatever this transaction set before the call (planner, JIT, memory ...), the call
    -- plans and runs under the login's own settings, with its search_path pinned again.
    RESET ALL;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    IF session_user <> 'yc_gateway' THEN
        RAISE EXCEPTION 'gw.call 仅供中心连接池的共享登录使用' USING ERRCODE = '42501';
    END IF;
    IF p_fn IS NULL OR NOT (p_fn = ANY (ARRAY[@FUNCTIONS@])) THEN
        RAISE EXCEPTION '连接池不转发该调用：%', coalesce(p_fn, '(空)') USING ERRCODE = 'YC007';
    END IF;
    -- the same probes whatever the window: windows, its unretired key and its login, each by index
    SELECT CASE WHEN w.machine_id IS NOT NULL THEN k.window_key END,
           coalesce(ro.rolcanlogin AND (ro.rolvaliduntil IS NULL OR ro.rolvaliduntil > pg_catalog.now()), false)
      INTO v_key, v_can_login
      FROM (VALUES (coalesce(p_centre, ''), coalesce(p_window, ''))) q(c, n)
      LEFT JOIN yc.windows w ON w.centre_code = q.c AND w.window_no = q.n
      LEFT JOIN yc.window_keys k ON k.centre_code = q.c AND k.window_no = q.n AND k.retired_at IS NULL
      LEFT JOIN pg_catalog.pg_roles ro ON ro.rolname = coalesce(w.role_name, 'yc_w_' || q.c || '_' || q.n);
    -- One answer for every caller that does not pass, whatever the reason: a window that does not exist, is
    -- not bound, is disabled, or whose MAC does not match. The MAC is computed in every case (under a key no
    -- window has when there is none), so neither the text nor the time tells one window which others are bound.
    v_expected := pg_catalog.encode(yc_crypto.hmac(pg_catalog.convert_to(
        'yc-gateway-1|' || p_fn || '|' || coalesce(p_centre, '') || '|' || coalesce(p_window, '') || '|'
        || coalesce(p_at, '') || '|'
        || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(coalesce(p_args, ''), 'UTF8')), 'hex'), 'UTF8'),
        coalesce(v_key, pg_catalog.sha256(pg_catalog.convert_to('yc-gateway-1: no window key', 'UTF8'))), 'sha256'),
        'hex');
    -- compared through a hash of each side, so the comparison's time says nothing about the expected MAC
    -- both hashes every time, then one decision (no short-circuit before the comparison)
    v_ok := pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.lower(coalesce(p_mac, '')), 'UTF8'))
            = pg_catalog.sha256(pg_catalog.convert_to(v_expected, 'UTF8'));
    IF NOT (v_ok AND v_key IS NOT NULL AND v_can_login AND p_at IS NOT NULL AND p_args IS NOT NULL
            AND p_mac IS NOT NULL) THEN
        RAISE EXCEPTION '窗口 % / % 未通过连接池的身份校验（未登记、未绑定本机密钥、已停用或校验码不符；新窗口请先用本窗口自己的登录地址同步一次）',
              coalesce(p_centre, ''), coalesce(p_window, '') USING ERRCODE = 'YC007';
    END IF;
    IF p_at !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
        RAISE EXCEPTION '窗口 % / % 的调用时间格式不符', p_centre, p_window USING ERRCODE = 'YC007';
    END IF;
    BEGIN
        v_at := p_at::timestamptz;
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION '窗口 % / % 的调用时间格式不符', p_centre, p_window USING ERRCODE = 'YC007';
    END;
    IF abs(extract(epoch FROM pg_catalog.now() - v_at)) > @MAX_SKEW@ THEN
        RAISE EXCEPTION '本机时钟与中心相差过大（超过 @MAX_SKEW_MIN@ 分钟）'
              USING ERRCODE = 'YC008', DETAIL = pg_catalog.to_char(pg_catalog.now() AT TIME ZONE 'UTC',
                                                                    'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    END IF;
    BEGIN
        a := p_args::jsonb;
    EXCEPTION WHEN others THEN
        a := NULL;
    END;
    IF a IS NULL OR pg_catalog.jsonb_typeof(a) <> 'array' THEN
        RAISE EXCEPTION '连接池调用的参数不是 JSON 数组' USING ERRCODE = 'YC004';
    END IF;
    PERFORM pg_catalog.set_config('yc.gateway_window', p_centre || '/' || p_window, true);
    CASE p_fn
        WHEN 'handshake' THEN
            IF pg_catalog.jsonb_array_length(a) > 1 THEN
                v_out := sync.handshake((a->>0)::int, a->1);
            ELSE
                v_out := sync.handshake((a->>0)::int);
            END IF;
        WHEN 'restore_state' THEN v_out := sync.restore_state();
        WHEN 'push' THEN v_out := sync.push(a->0);
        WHEN 'put_blobs' THEN v_out := sync.put_blobs(a->0);
        WHEN 'pull' THEN v_out := sync.pull(a->>0, (a->>1)::bigint, (a->>2)::int);
        WHEN 'pull_all' THEN v_out := sync.pull_all(a->0);
        WHEN 'lease_case' THEN v_out := sync.lease_case(a->>0, a->>1, a->>2);
        WHEN 'release_case' THEN v_out := sync.release_case(a->>0);
    END CASE;
    PERFORM pg_catalog.set_config('yc.gateway_window', '', true);
    RETURN v_out;
END $$
""".replace("@FUNCTIONS@", ", ".join(f"'{f}'" for f in FUNCTIONS))
   .replace("@MAX_SKEW@", str(MAX_SKEW_S)).replace("@MAX_SKEW_MIN@", str(MAX_SKEW_S // 60)),
    execute_to=(GATEWAY_ROLE,))




LEASE_CASE = SqlFunction("sync.lease_case(text, text, text)", r"""
CREATE OR REPLACE FUNCTION sync.lease_case(p_case text, p_clerk_login text, p_clerk_name text) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET lock_timeout = '10s' AS $$
DECLARE
    v record;
    l record;
    v_until timestamptz;
    v_login text := @LOGIN@;
    v_name text := @NAME@;
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
    v_until := pg_catalog.now() + make_interval(secs => 600);
    INSERT INTO yc.case_leases (case_no, centre_code, window_no, clerk_login, clerk_name, until, taken_at)
    VALUES (p_case, v.centre_code, v.window_no, v_login, v_name, v_until, pg_catalog.now())
    ON CONFLICT (case_no) DO UPDATE
       SET window_no = excluded.window_no, clerk_login = excluded.clerk_login, clerk_name = excluded.clerk_name,
           until = excluded.until, taken_at = excluded.taken_at;
    RETURN pg_catalog.jsonb_build_object('granted', true, 'until', v_until);
END $$
""".replace("@LOGIN@", _clean("p_clerk_login", LOGIN_MAX)).replace("@NAME@", _clean("p_clerk_name", NAME_MAX)),
    execute_to=("yc_window",))



def upgrade() -> None:
    replace(GW_CALL, revision=revision)
    replace(LEASE_CASE, revision=revision)
    op.execute(f"""UPDATE yc.case_leases SET clerk_name = {_clean("clerk_name", NAME_MAX)},
                                             clerk_login = {_clean("clerk_login", LOGIN_MAX)}
                    WHERE clerk_name ~ '{HIDDEN}' OR clerk_login ~ '{HIDDEN}'
                       OR pg_catalog.length(clerk_name) > {NAME_MAX} OR pg_catalog.length(clerk_login) > {LOGIN_MAX}""")


def downgrade() -> None:
    # the leases cleaned stay cleaned (what they held is not kept)
    restore(LEASE_CASE, revision=revision)
    restore(GW_CALL, revision=revision)
