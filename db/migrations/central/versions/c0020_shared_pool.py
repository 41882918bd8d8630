"""Central schema: a shared server pool for bound windows behind PgBouncer (issue 17).

Revision ID: c0020
Revises: c0019
Create Date: 2026-12-07

Why: every window has its own login, and PgBouncer keeps one pool per login, so with thousands of windows
and at most ~100 server connections a pooled window nearly always meets a new backend (a fork, catalogue
caches, every PL/pgSQL function compiled and planned again): ~33 ms of server CPU a sync round against
~4 ms on a warm connection (docs/scaling.md). A pool shared by all windows keeps its backends warm, but a
shared server login must not let one window act as another.

What it adds:
- `yc_gateway`, a cluster role (NOLOGIN until `yichuang central pooler-config` gives it a password for
  the pooler's shared database entry, `user=yc_gateway`). It may use schema `gw` and EXECUTE
  `gw.call`, nothing else: no table, no sync.* function, no membership. Its password alone grants
  nothing a window's key does not.
- `gw.call(centre, window, at, mac, fn, args)`, SECURITY DEFINER (yc_owner), pinned search_path: only
  for the `yc_gateway` login. It runs one window call (`fn` among handshake, restore_state, push,
  put_blobs, pull, pull_all, lease_case, release_case; args = the JSON array text of its arguments)
  as the window (centre, window) when:
    * the window exists, its login can still log in, and it is bound: it has an unretired key;
    * `mac` = hex HMAC-SHA256 under that key of
      "yc-gateway-1|fn|centre|window|at|" + hex SHA-256 of the args text exactly as sent;
    * `at` (ISO 8601) is within 15 minutes of the server's clock (a captured call cannot be replayed
      later; YC008 carries the server's time so a window with a skewed clock corrects and retries).
  Before anything else gw.call runs RESET ALL (and pins its search_path again): the shared backends'
  cached plans serve every window, and a plan made under settings one window's transaction set before
  its call (planner, JIT, memory ...) would outlive that transaction (the pooler's RESET ALL after it does
  not reach plans). Every call therefore plans under the login's own settings; it costs no measurable time
  (a pg_settings check that refused such transactions cost ~0.3 ms a call).
  Otherwise YC007 (YC008 for the clock), nothing run. Binding a new window (sync.bind_window) is not
  offered: the key does not exist at the centre yet; a window binds once through its own login.
- `yc.caller_window()` takes the window from the transaction-local setting `yc.gateway_window` that
  gw.call sets (and clears) around the call, and only when the session's login is `yc_gateway`: a window
  login is always itself (its role decides, as before); `yc_gateway` can set the setting itself but can
  reach nothing that reads it except gw.call, which overwrites it after checking the MAC.

- `pg_cancel_backend` and `pg_terminate_backend` are revoked from PUBLIC in this database: PostgreSQL lets
  a role signal its own sessions, and every shared server connection is `yc_gateway`'s, so through the
  shared entry one window could cancel or end another window's call in flight (any centre's). No login
  of the product uses them; the superuser keeps them.
- `lo_create`, `lo_creat` and `lo_from_bytea` are revoked from PUBLIC in this database too: a large object
  belongs to the role that made it, so through the shared entry any window login (bound or not, any centre)
  could leave data that every other window reads, rewrites or deletes, and without bound (no
  temp_file_limit applies), like the temporary objects c0005 took away. No login of the product uses them.

What it does not change: direct windows, departments and administrators; the per-login pooled alias.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop, replace, restore

revision: str = "c0020"
down_revision: str | Sequence[str] | None = "c0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GATEWAY_ROLE = "yc_gateway"
MAX_SKEW_S = 900
FUNCTIONS = ("handshake", "restore_state", "push", "put_blobs", "pull", "pull_all", "lease_case", "release_case")

CALLER_WINDOW = SqlFunction("yc.caller_window()", r"""
CREATE OR REPLACE FUNCTION yc.caller_window(OUT centre_code text, OUT window_no text)
LANGUAGE plpgsql AS $$
DECLARE
    v_gateway text;
BEGIN
    SELECT w.centre_code, w.window_no INTO centre_code, window_no
      FROM yc.windows w WHERE w.role_name = session_user;
    IF NOT FOUND AND session_user = 'yc_gateway' THEN
        -- set by gw.call after it checked the window's MAC, for this transaction only
        v_gateway := pg_catalog.current_setting('yc.gateway_window', true);
        IF coalesce(v_gateway, '') <> '' THEN
            SELECT w.centre_code, w.window_no INTO centre_code, window_no
              FROM yc.windows w
             WHERE w.centre_code = pg_catalog.split_part(v_gateway, '/', 1)
               AND w.window_no = pg_catalog.split_part(v_gateway, '/', 2);
        END IF;
    END IF;
    IF centre_code IS NULL THEN
        RAISE EXCEPTION '登录角色 % 未登记为窗口', session_user USING ERRCODE = 'YC002';
    END IF;
    -- Every policy compares against this; is_local => it ends with the transaction.
    PERFORM set_config('yc.centre', centre_code, true);
END $$
""")

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
    SELECT k.window_key, ro.rolcanlogin AND (ro.rolvaliduntil IS NULL OR ro.rolvaliduntil > pg_catalog.now())
      INTO v_key, v_can_login
      FROM yc.windows w
      JOIN yc.window_keys k ON k.centre_code = w.centre_code AND k.window_no = w.window_no
                           AND k.retired_at IS NULL
      JOIN pg_catalog.pg_roles ro ON ro.rolname = w.role_name
     WHERE w.centre_code = p_centre AND w.window_no = p_window AND w.machine_id IS NOT NULL;
    IF v_key IS NULL OR NOT v_can_login OR p_at IS NULL OR p_args IS NULL OR p_mac IS NULL
       OR p_at !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)$' THEN
        RAISE EXCEPTION '窗口 % / % 未通过连接池的身份校验（未登记、未绑定本机密钥或已停用；新窗口请先用本窗口自己的登录地址同步一次）',
              coalesce(p_centre, ''), coalesce(p_window, '') USING ERRCODE = 'YC007';
    END IF;
    v_expected := pg_catalog.encode(yc_crypto.hmac(pg_catalog.convert_to(
        'yc-gateway-1|' || p_fn || '|' || p_centre || '|' || p_window || '|' || p_at || '|'
        || pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_args, 'UTF8')), 'hex'), 'UTF8'),
        v_key, 'sha256'), 'hex');
    -- compared through a hash of each side, so the comparison's time says nothing about the expected MAC
    IF pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.lower(p_mac), 'UTF8'))
       IS DISTINCT FROM pg_catalog.sha256(pg_catalog.convert_to(v_expected, 'UTF8')) THEN
        RAISE EXCEPTION '窗口 % / % 未通过连接池的身份校验（校验码不符）', p_centre, p_window USING ERRCODE = 'YC007';
    END IF;
    BEGIN
        v_at := p_at::timestamptz;
    EXCEPTION WHEN others THEN
        RAISE EXCEPTION '窗口 % / % 未通过连接池的身份校验（时间格式）', p_centre, p_window USING ERRCODE = 'YC007';
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


_SIGNAL = """
DO $$
DECLARE f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'pg_catalog'::regnamespace
                AND p.proname IN (@NAMES@) LOOP
        EXECUTE format('@STMT@', f);
    END LOOP;
END $$"""
_SIGNALS = "'pg_cancel_backend', 'pg_terminate_backend'"
_LARGE_OBJECTS = "'lo_create', 'lo_creat', 'lo_from_bytea'"  # PUBLIC's by default; lo_import is the superuser's


def upgrade() -> None:
    op.execute(f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '{GATEWAY_ROLE}') THEN
        CREATE ROLE {GATEWAY_ROLE} NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- created concurrently by a migration of another database in this cluster
END $$""")
    # whatever an older cluster had: the shared login is nothing but gw.call
    op.execute(f"ALTER ROLE {GATEWAY_ROLE} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT")
    for setting, value in (("statement_timeout", "30s"), ("idle_in_transaction_session_timeout", "15s"),
                           ("temp_file_limit", "64MB"), ("lock_timeout", "10s")):
        op.execute(f"ALTER ROLE {GATEWAY_ROLE} SET {setting} = '{value}'")
    op.execute("CREATE SCHEMA gw AUTHORIZATION yc_owner")
    op.execute("REVOKE ALL ON SCHEMA gw FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA gw TO {GATEWAY_ROLE}")
    # every shared server connection is yc_gateway's: no window may signal another's (any login's, here)
    # nor plant a large object that every other window's session may read, rewrite or delete
    for names in (_SIGNALS, _LARGE_OBJECTS):
        op.execute(_SIGNAL.replace("@NAMES@", names).replace("@STMT@", "REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC"))
    replace(CALLER_WINDOW, revision=revision)
    create(GW_CALL)


def downgrade() -> None:
    drop(GW_CALL)
    restore(CALLER_WINDOW, revision=revision)
    op.execute("DROP SCHEMA gw")
    for names in (_SIGNALS, _LARGE_OBJECTS):
        op.execute(_SIGNAL.replace("@NAMES@", names).replace("@STMT@", "GRANT EXECUTE ON FUNCTION %s TO PUBLIC"))
    # the cluster role yc_gateway stays (other databases of the cluster may use it), like every yc_ role;
    # here it can reach nothing: its schema is gone
