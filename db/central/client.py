"""The window's connection to the central PostgreSQL: the real sync transport, over psycopg.

Also the URL forms and the translation of driver errors into db.central.errors, which admin.py shares."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from os import PathLike
from typing import Any, Self

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from db.central.errors import (
    CentralAuthFailed,
    CentralError,
    CentralRefused,
    CentralUnreachable,
    DepartmentNotRegistered,
    ProtocolTooOld,
    WindowBoundElsewhere,
    WindowNotRegistered,
    office_error,
)
from db.central.wire import CHAIN_FIELDS

__all__ = ["CHAIN_FIELDS", "GATEWAY_LOGIN", "POOLED_CHANNEL_BINDING", "TLS_PARAMS", "TRANSIENT_STATES", "CentralClient",
           "TlsSession", "WindowKey", "admin_connect"]

# the push's batch document: UTF-8 as is (the payloads are UTF-8 text already; \uXXXX escapes would make
# Chinese text half again as long and the centre's JSON parser decode every one), no spaces
_PUSH_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# ---- URLs ---------------------------------------------------------------------------------------
_SCHEME_RE = re.compile(r"^(postgres|postgresql)(\+psycopg)?://")


def _libpq_url(url: str) -> str:
    """'postgresql+psycopg://…' or 'postgresql://…' → 'postgresql://…' (libpq form)."""
    m = _SCHEME_RE.match(url)
    if not m:
        raise ValueError("expected a postgresql:// or postgresql+psycopg:// URL")
    return "postgresql://" + url[m.end() :]


def _sqlalchemy_url(url: str) -> str:
    """Any PostgreSQL URL → 'postgresql+psycopg://…' (SQLAlchemy form, psycopg 3 driver)."""
    return "postgresql+psycopg://" + _libpq_url(url)[len("postgresql://") :]


def admin_connect(url: str, *, autocommit: bool = False, connect_timeout: float = 10) -> psycopg.Connection:
    """A plain psycopg connection from either URL form (for admin scripts and tests)."""
    return psycopg.connect(
        _libpq_url(url), autocommit=autocommit, connect_timeout=max(1, math.ceil(connect_timeout))
    )


# ---- the window's client --------------------------------------------------------------------------
# What the window insists on, whatever the URL says: TLS, the server's certificate signed by the pinned CA
# and naming the host it dialled, and SCRAM bound to that TLS channel (a man in the middle who terminates
# TLS cannot relay the login). GSSAPI encryption is off so that TLS is the only channel.
TLS_PARAMS: dict[str, str] = {"sslmode": "verify-full", "channel_binding": "require", "gssencmode": "disable"}
# The one relaxation a URL may ask for: a centre behind PgBouncer (which offers no channel binding) gives
# its windows `channel_binding=prefer`; the certificate is still verified against the pinned CA.
POOLED_CHANNEL_BINDING = "prefer"

# SQLSTATEs that say "not this server, not now" rather than "no": a standby that is (still) read-only,
# a pooler that handed the call to a server connection without the prepared statement, a server
# shutting down or starting up. Nothing was committed (the statement itself was refused); the call is retried once on a new connection
# (with target_session_attrs=read-write libpq then finds the primary) and otherwise is unreachable.
TRANSIENT_STATES = frozenset({
    "25006",  # read_only_sql_transaction (psycopg raises it as an InternalError)
    "26000",  # invalid_sql_statement_name: prepared statement does not exist
    "57P01", "57P02", "57P03",  # admin_shutdown, crash_shutdown, cannot_connect_now
})

# libpq's words for a refused TLS check → what the window says (the raw text follows in brackets)
_TLS_REFUSALS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("server does not support SSL",),
     "中心数据库未启用 TLS 加密连接，本窗口拒绝明文连接（可能是假冒的中心）：请联系中心管理员"),
    (("certificate verify failed", "self-signed certificate", "unable to get local issuer"),
     "中心数据库的证书不是由本窗口信任的 CA 签发的，已拒绝连接（可能是假冒的中心）：请核对中心发放的 CA 证书"),
    (("does not match host name", "server certificate for"),
     "中心数据库证书上的主机名与连接地址不符，已拒绝连接：请使用证书上的主机名，或联系中心管理员"),
    (("root certificate file", "could not read root certificate"),
     "找不到本窗口保存的中心 CA 证书：请用 yichuang sync --central 地址 --ca-cert CA.pem 重新设置"),
    (("channel binding",),
     "中心数据库未能与本窗口完成通道绑定（channel binding），已拒绝连接：请联系中心管理员"),
    (("certificate has expired", "certificate is not yet valid"),
     "中心数据库的证书已过期或尚未生效，已拒绝连接：请联系中心管理员"),
)


def _tls_refusal(text: str) -> str | None:
    for needles, message in _TLS_REFUSALS:
        if any(n in text for n in needles):
            return message
    return None


def _translate(exc: Exception) -> CentralError:
    state = getattr(exc, "sqlstate", None)
    detail = (getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)).strip()
    if state == "YC001":
        return ProtocolTooOld(detail or "客户端版本过旧，请升级", sqlstate=state)
    if state == "YC002":
        return WindowNotRegistered(f"本窗口未在中心数据库登记：{detail}", sqlstate=state)
    if state == "YC003":
        return WindowBoundElsewhere(detail, sqlstate=state)
    if state == "YC005":
        return DepartmentNotRegistered(f"本部门未在中心数据库登记：{detail}", sqlstate=state)
    if state == "YC100":
        return office_error(detail, sqlstate=state)
    if state == "YC004":
        return CentralRefused(f"中心数据库拒绝了请求：{detail}", sqlstate=state)
    if state == "YC007":
        return CentralRefused(f"中心连接池的共享入口拒绝了本窗口：{detail}", sqlstate=state)
    if state == "YC008":
        return CentralRefused(f"中心连接池的共享入口拒绝了本窗口：{detail}，请校准本机时钟", sqlstate=state,
                              detail=getattr(getattr(exc, "diag", None), "message_detail", None))
    if state in TRANSIENT_STATES and not isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        return CentralUnreachable(f"无法连接中心数据库：服务器暂不可写或正在切换，请稍后重试（{detail}）", sqlstate=state)
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        text = str(exc).strip()
        refusal = _tls_refusal(text)
        if refusal:
            return CentralUnreachable(f"{refusal}（{text}）", sqlstate=state)
        if state in ("28P01", "28000") or "authentication failed" in text:
            return CentralAuthFailed(f"中心数据库拒绝了本窗口的登录凭据：{text}", sqlstate=state)
        if isinstance(exc, psycopg.errors.QueryCanceled):
            return CentralUnreachable(f"无法连接中心数据库：响应超时（{text}）", sqlstate=state)
        if isinstance(
            exc,
            (
                psycopg.errors.TransactionRollback,
                psycopg.errors.DeadlockDetected,
                psycopg.errors.SerializationFailure,
            ),
        ):
            return CentralUnreachable(f"无法连接中心数据库：服务器繁忙，请稍后重试（{text}）", sqlstate=state)
        return CentralUnreachable(f"无法连接中心数据库：{text}", sqlstate=state)
    if state == "42501":
        return CentralRefused(f"中心数据库拒绝了请求：权限不足（{detail}）", sqlstate=state)
    return CentralRefused(f"中心数据库拒绝了请求：{detail}", sqlstate=state)


class TlsSession:
    """One psycopg connection to the centre over verified TLS, each call one short transaction: the shared
    machinery of CentralClient (a window) and db.central.office.OfficeClient (a department).

    Always over TLS (TLS_PARAMS override whatever the URL says): the server's certificate must chain to
    `ca_cert` (the pinned CA file; when None, the URL's own `sslrootcert`) and name the host in the URL,
    and the SCRAM login is bound to the channel. Opened lazily, reopened after a failure. Not thread-safe.
    Errors are CentralError subclasses (CentralUnreachable: try again later; nothing was committed)."""

    APPLICATION_NAME = "yichuang"

    def __init__(self, url: str, *, ca_cert: str | PathLike[str] | None = None, connect_timeout: float = 5,
                 statement_timeout: float | None = None) -> None:
        self._url = _libpq_url(url)
        self._ca_cert = str(ca_cert) if ca_cert is not None else None
        self._connect_timeout = max(1, math.ceil(connect_timeout))
        # None: the login's own statement_timeout (a role setting made by add-window / add-department);
        # else a shorter one for each transaction (SET LOCAL: nothing outlives the transaction)
        self._statement_timeout_ms = int(statement_timeout * 1000) if statement_timeout is not None else None
        self._conn: psycopg.Connection | None = None

    def _connect_params(self) -> dict[str, Any]:
        """libpq parameters added to (and overriding) the URL's.

        Nothing a connection pooler in transaction mode rejects or loses: no `options` startup parameter
        (the timeouts are the login's role settings), no session state; psycopg's automatic prepared
        statements are off (prepare_threshold=None, given to psycopg.connect)."""
        params: dict[str, Any] = dict(
            connect_timeout=self._connect_timeout,
            application_name=self.APPLICATION_NAME,
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
            # a link that goes silent without a reset (a dead router) fails a call after 30 s
            # instead of waiting for keepalives to give up
            tcp_user_timeout=30_000,
            **TLS_PARAMS,
        )
        if self._url_params().get("channel_binding") == POOLED_CHANNEL_BINDING:
            params["channel_binding"] = POOLED_CHANNEL_BINDING
        if self._ca_cert is not None:
            params["sslrootcert"] = self._ca_cert
        return params

    def _url_params(self) -> dict[str, Any]:
        try:
            return conninfo_to_dict(self._url)
        except psycopg.Error:
            return {}

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = None
            try:
                # one call is one statement: without a statement timeout of our own it runs in autocommit
                # (the statement is its own transaction), one round trip instead of BEGIN, call, COMMIT
                self._conn = psycopg.connect(self._url, autocommit=self._statement_timeout_ms is None,
                                             prepare_threshold=None, **self._connect_params())
            except psycopg.Error as exc:
                raise _translate(exc) from None
            except OSError as exc:  # e.g. name resolution
                raise CentralUnreachable(f"无法连接中心数据库：{exc}") from None
        return self._conn

    def _call(self, query: Any, params: tuple[Any, ...]) -> Any:
        """One call in one transaction. A transient refusal (TRANSIENT_STATES: a read-only standby, a
        pooler's lost prepared statement) is retried once on a new connection, never more: the caller
        hears CentralUnreachable and marks nothing."""
        try:
            return self._call_once(query, params)
        except CentralUnreachable as exc:
            if exc.sqlstate not in TRANSIENT_STATES:
                raise
            self.close()
        return self._call_once(query, params)

    def _statement(self, conn: psycopg.Connection, query: Any, params: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        """The statement a call sends on this connection (CentralClient builds the shared pool's form)."""
        return query, params

    def _call_once(self, query: Any, params: tuple[Any, ...]) -> Any:
        conn = self._connection()
        query, params = self._statement(conn, query, params)
        try:
            with conn.cursor() as cur:
                if self._statement_timeout_ms is not None:
                    cur.execute("SELECT pg_catalog.set_config('statement_timeout', %s, true)",
                                (str(self._statement_timeout_ms),))
                cur.execute(query, params)
                row = cur.fetchone()
            if not conn.autocommit:
                conn.commit()
        except psycopg.Error as exc:
            try:
                if conn.autocommit:
                    if conn.broken or conn.closed:
                        self.close()
                elif not conn.broken and not conn.closed:
                    conn.rollback()
                else:
                    self.close()
            except psycopg.Error:
                self.close()
            raise _translate(exc) from None
        assert row is not None
        return row[0]

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


GATEWAY_LOGIN = "yc_gateway"
"""The login of the pooler's shared entry (central c0020, db.central.pooler.GATEWAY_ROLE)."""
MAX_CLOCK_CORRECTION = timedelta(hours=24)
"""How far the client will sign with the centre's clock instead of its own (YC008): beyond it, a person
sets the PC's clock (a pooler lying about the time cannot make it sign calls for far-off times)."""
SHARED_SUFFIX = "_shared"
"""The shared entry's database name is the per-login entry's plus this (db.central.pooler writes both)."""
WindowKey = tuple[str, str, bytes]
"""(centre code, window number, the window's key): what a call through the shared entry is signed with."""


class _SyncCall:
    """One sync.* call by its short name: `direct` is its statement on a window's own login
    (sync.fn(%s, ...) with one placeholder per parameter); through the pooler's shared entry it becomes
    gw.call(centre, window, at, mac, fn, args) with args the JSON array of its parameters, signed with the
    window's key."""

    __slots__ = ("direct", "fn")

    def __init__(self, fn: str, arity: int) -> None:
        self.fn = fn
        self.direct = f"SELECT sync.{fn}({', '.join(['%s'] * arity)})"

    @staticmethod
    def gateway_args(params: tuple[Any, ...]) -> str:
        return "[" + ",".join(_PUSH_DUMPS(p.obj) if isinstance(p, Jsonb) else _PUSH_DUMPS(p) for p in params) + "]"


class CentralClient(TlsSession):
    """A window's connection to the central database, speaking only the sync.* functions: the real
    implementation of desktop.core.sync.transport.Transport.

    A TlsSession: a centre without TLS or with a certificate the pinned CA did not sign is refused before
    any call (CentralUnreachable with a Chinese message saying which).
    """

    APPLICATION_NAME = "yichuang-window"
    _no_pull_all = False  # set when the centre answered that it has no sync.pull_all (before c0015)

    def __init__(self, url: str, *, ca_cert: str | PathLike[str] | None = None, connect_timeout: float = 5,
                 statement_timeout: float | None = None, window_key: WindowKey | None = None) -> None:
        """`window_key` (centre code, window number, the window's key): what a call through the pooler's
        shared entry (central c0020) is signed with. Used only when the server says the session's login
        is the shared pool's (`yc_gateway`); a direct or per-login connection never sends it."""
        super().__init__(url, ca_cert=ca_cert, connect_timeout=connect_timeout,
                         statement_timeout=statement_timeout)
        self._window_key = window_key
        self._clock_offset = timedelta(0)  # the centre's clock minus ours, learnt from a YC008 answer
        self.via_shared_entry = False  # did a call go through the pooler's shared entry (doctor says so)

    @staticmethod
    def _now() -> datetime:
        """This PC's clock."""
        return datetime.now(UTC)

    def _shared_pool(self, conn: psycopg.Connection) -> bool:
        """Is this connection the pooler's shared entry? Its login is `yc_gateway`: PostgreSQL reports
        session_authorization at log-in and PgBouncer passes the server's report on."""
        return conn.info.parameter_status("session_authorization") == GATEWAY_LOGIN

    def _statement(self, conn: psycopg.Connection, query: Any, params: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
        if not isinstance(query, _SyncCall):
            return query, params
        if not self._shared_pool(conn):
            return query.direct, params
        if self._window_key is None:
            raise CentralRefused("该地址是中心连接池的共享入口，只接受已绑定本机密钥的窗口：本次连接未带窗口密钥")
        centre, window, key = self._window_key
        self.via_shared_entry = True
        args = query.gateway_args(params)
        at = (self._now() + self._clock_offset).isoformat(timespec="milliseconds")
        message = "|".join(("yc-gateway-1", query.fn, centre, window, at,
                            hashlib.sha256(args.encode("utf-8")).hexdigest()))
        mac = hmac.new(key, message.encode("utf-8"), hashlib.sha256).hexdigest()
        return "SELECT gw.call(%s, %s, %s, %s, %s, %s)", (centre, window, at, mac, query.fn, args)

    def _call(self, query: Any, params: tuple[Any, ...]) -> Any:
        try:
            return super()._call(query, params)
        except CentralRefused as exc:
            if exc.sqlstate != "YC008" or not exc.detail:
                raise
            # the centre's clock is far from ours: sign with its time (the MAC still proves the key)
            try:
                server = datetime.fromisoformat(exc.detail.replace("Z", "+00:00"))
            except ValueError:
                raise exc from None
            offset = server - self._now()
            if abs(offset) > MAX_CLOCK_CORRECTION:  # a clock a day off is fixed by a person, not signed around
                raise exc from None
            self._clock_offset = offset
        return super()._call(query, params)

    def _sync(self, fn: str, *params: Any) -> Any:
        """Call sync.`fn` with `params`, directly or through the shared entry (see _statement)."""
        return self._call(_SyncCall(fn, len(params)), params)

    def handshake(self, protocol: int, client: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """{"protocol", "min_protocol", "schema", "server_time" (ISO text), "centre_code",
        "centre_name", "window_no"}; ProtocolTooOld if the server no longer accepts `protocol` (the
        protocol the caller speaks: desktop.core.sync.PROTOCOL, derived from its registries).

        With `client` ({"machine_id", "key_sha256", "client_time"}) the answer also says "bound" (is
        this window bound to a machine: if not, call bind_window once) and "chain_head" {seq, mac};
        WindowBoundElsewhere when the window is bound to another machine or another key."""
        params = (protocol,) if client is None else (protocol, Jsonb(dict(client)))
        try:
            return self._sync("handshake", *params)
        except CentralRefused as exc:
            per_login = self._per_login_url()
            if exc.sqlstate != "YC007" or per_login is None:
                raise
        # The pooler's shared entry does not know this window's key yet (a new window, or a new PC after
        # retire-window): the round goes on through the same pooler's per-login entry, where the window's
        # own login handshakes and binds; the next round uses the shared entry again.
        self.close()
        self._url = per_login
        self.via_shared_entry = False
        return self._sync("handshake", *params)

    def _per_login_url(self) -> str | None:
        """The URL of the same pooler's per-login entry when this one is its shared entry (DB_shared,
        db.central.pooler.SHARED_SUFFIX), else None."""
        dbname = self._url_params().get("dbname") or ""
        if not dbname.endswith(SHARED_SUFFIX) or len(dbname) == len(SHARED_SUFFIX):
            return None
        return make_conninfo(self._url, dbname=dbname[: -len(SHARED_SUFFIX)])

    def bind_window(self, machine_id: str, window_key: str) -> dict[str, Any]:
        """Bind this (unbound) window to this machine and register its key (hex, 32 bytes): trust on
        first use after add-window. {"bound": true, "chain_head": {seq, mac}}; WindowBoundElsewhere if
        another machine holds the window."""
        return self._call("SELECT sync.bind_window(%s, %s)", (machine_id, window_key))

    def restore_state(self) -> dict[str, Any]:
        """What a replacement PC needs from the centre: {"last_serials": {"YYMMDD": n…},
        "chain_head": {"seq", "mac"}, "centre_code", "window_no"}."""
        return self._sync("restore_state")

    def push(self, ops: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Send outbox operations ({"op_id", "kind", "payload": frozen JSON text, "sha256"}, and for a
        bound window "chain_seq", "chain_prev", "chain_mac").

        Returns one {"op_id", "status": "applied"|"duplicate"|"rejected", "reason"?, "result"?} per op,
        in input order. The whole call is one transaction: on CentralUnreachable nothing was applied."""
        batch = []
        for op in ops:
            if not isinstance(op.get("payload"), str):
                raise TypeError("op payload must be the frozen JSON text (see db.central.wire.freeze_op)")
            item = {"op_id": str(op["op_id"]), "kind": op["kind"], "payload": op["payload"], "sha256": op["sha256"]}
            for key in CHAIN_FIELDS:
                if op.get(key) is not None:
                    item[key] = op[key]
            batch.append(item)
        if not batch:
            return []
        return self._sync("push", Jsonb(batch, dumps=_PUSH_DUMPS))

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> list[str]:
        """Upload contents [(sha256, data)…]; returns the sha256 of those the centre now holds for this
        centre (stored or already present). A content whose hash does not match is left out."""
        if not blobs:
            return []
        items = [{"sha256": sha, "data": base64.b64encode(data).decode("ascii")} for sha, data in blobs]
        return self._sync("put_blobs", Jsonb(items))

    def pull(self, stream: str, after: int, limit: int = 1000) -> dict[str, Any]:
        """{"rows": [{"seq", "key", "data"}…] (seq > after, ascending, this centre's and global rows),
        "last_seq": seq of the last row, or `after` when there is none}."""
        return self._sync("pull", stream, after, limit)

    def pull_all(self, cursors: Mapping[str, int], limits: Mapping[str, int]) -> dict[str, dict[str, Any]]:
        """One page of every stream in `cursors` ({stream: after}) in one call (central c0015's sync.pull_all):
        {stream: {"rows", "last_seq"}}, each page what pull(stream, after, limits[stream]) answers. A centre
        before c0015 has no sync.pull_all: then (and from then on, for this connection's life) one pull per
        stream, the same answer."""
        if not self._no_pull_all:
            try:
                return self._sync("pull_all", Jsonb({
                    name: {"after": int(after), "limit": int(limits.get(name, 1000))}
                    for name, after in cursors.items()}))
            except CentralRefused as exc:
                if exc.sqlstate != "42883":  # undefined_function: an older centre
                    raise
                self._no_pull_all = True
        return {name: self.pull(name, after, limits.get(name, 1000)) for name, after in cursors.items()}

    def lease_case(self, case_no: str, clerk_login: str, clerk_name: str) -> dict[str, Any]:
        """Hold a case of this centre for 10 minutes (renewable by this window): {"granted": true, "until"},
        or {"granted": false, "holder": {"window_no", "clerk_name", "until"}} when another window holds it,
        or {"granted": true, "unknown": true} when the centre does not know the case yet (nothing held)."""
        return self._sync("lease_case", case_no, clerk_login, clerk_name)

    def release_case(self, case_no: str) -> dict[str, Any]:
        """Let go of this window's lease on a case: {"released": bool}."""
        return self._sync("release_case", case_no)
