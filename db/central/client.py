"""The window's connection to the central PostgreSQL: the real sync transport, over psycopg.

Also the URL forms and the translation of driver errors into db.central.errors, which admin.py shares."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Mapping
from typing import Any, Self

import psycopg
from psycopg.types.json import Jsonb

from db.central.errors import (
    CentralAuthFailed,
    CentralError,
    CentralRefused,
    CentralUnreachable,
    ProtocolTooOld,
    WindowNotRegistered,
)

__all__ = ["CentralClient", "admin_connect"]


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
def _translate(exc: Exception) -> CentralError:
    state = getattr(exc, "sqlstate", None)
    detail = (getattr(getattr(exc, "diag", None), "message_primary", None) or str(exc)).strip()
    if state == "YC001":
        return ProtocolTooOld(detail or "客户端版本过旧，请升级", sqlstate=state)
    if state == "YC002":
        return WindowNotRegistered(f"本窗口未在中心数据库登记：{detail}", sqlstate=state)
    if isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError)):
        text = str(exc).strip()
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


class CentralClient:
    """A window's connection to the central database, speaking only the sync.* functions: the real
    implementation of desktop.core.sync.transport.Transport.

    One plain psycopg connection (autocommit off), opened lazily and reopened after a failure; each
    call is one short transaction. Not thread-safe: use one client per thread. Errors are CentralError
    subclasses (CentralUnreachable: try again later; nothing of that call was committed).
    """

    def __init__(self, url: str, *, connect_timeout: float = 5, statement_timeout: float = 30) -> None:
        self._url = _libpq_url(url)
        self._connect_timeout = max(1, math.ceil(connect_timeout))
        self._statement_timeout_ms = int(statement_timeout * 1000)
        self._conn: psycopg.Connection | None = None

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = None
            try:
                self._conn = psycopg.connect(
                    self._url,
                    autocommit=False,
                    connect_timeout=self._connect_timeout,
                    application_name="yichuang-window",
                    options=f"-c statement_timeout={self._statement_timeout_ms}",
                    keepalives=1,
                    keepalives_idle=30,
                    keepalives_interval=10,
                    keepalives_count=3,
                    # a link that goes silent without a reset (a dead router) fails a call after 30 s
                    # instead of waiting for keepalives to give up
                    tcp_user_timeout=30_000,
                )
            except psycopg.Error as exc:
                raise _translate(exc) from None
            except OSError as exc:  # e.g. name resolution
                raise CentralUnreachable(f"无法连接中心数据库：{exc}") from None
        return self._conn

    def _call(self, query: str, params: tuple[Any, ...]) -> Any:
        conn = self._connection()
        try:
            with conn.cursor() as cur:
                cur.execute(query, params)
                row = cur.fetchone()
            conn.commit()
        except psycopg.Error as exc:
            try:
                if not conn.broken and not conn.closed:
                    conn.rollback()
                else:
                    self.close()
            except psycopg.Error:
                self.close()
            raise _translate(exc) from None
        assert row is not None
        return row[0]

    def handshake(self, protocol: int) -> dict[str, Any]:
        """{"protocol", "min_protocol", "schema", "server_time" (ISO text), "centre_code",
        "centre_name", "window_no"}; ProtocolTooOld if the server no longer accepts `protocol` (the
        protocol the caller speaks: desktop.core.sync.PROTOCOL, derived from its registries)."""
        return self._call("SELECT sync.handshake(%s)", (protocol,))

    def push(self, ops: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Send outbox operations ({"op_id", "kind", "payload": frozen JSON text, "sha256"}).

        Returns one {"op_id", "status": "applied"|"duplicate"|"rejected", "reason"?, "result"?} per op,
        in input order. The whole call is one transaction: on CentralUnreachable nothing was applied."""
        batch = []
        for op in ops:
            if not isinstance(op.get("payload"), str):
                raise TypeError("op payload must be the frozen JSON text (see db.central.wire.freeze_op)")
            batch.append(
                {
                    "op_id": str(op["op_id"]),
                    "kind": op["kind"],
                    "payload": op["payload"],
                    "sha256": op["sha256"],
                }
            )
        if not batch:
            return []
        return self._call("SELECT sync.push(%s)", (Jsonb(batch),))

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> list[str]:
        """Upload contents [(sha256, data)…]; returns the sha256 of those the centre now holds for this
        centre (stored or already present). A content whose hash does not match is left out."""
        if not blobs:
            return []
        items = [{"sha256": sha, "data": base64.b64encode(data).decode("ascii")} for sha, data in blobs]
        return self._call("SELECT sync.put_blobs(%s)", (Jsonb(items),))

    def pull(self, stream: str, after: int, limit: int = 1000) -> dict[str, Any]:
        """{"rows": [{"seq", "key", "data"}…] (seq > after, ascending, this centre's and global rows),
        "last_seq": seq of the last row, or `after` when there is none}."""
        return self._call("SELECT sync.pull(%s, %s, %s)", (stream, after, limit))

    def restore_state(self) -> dict[str, Any]:
        """What a replacement computer needs to continue this window: {"last_serials": {"YYMMDD": n…},
        "chain_head": {"seq", "mac"}} (the last case serial per day and the op chain's head at the centre)."""
        return self._call("SELECT sync.restore_state()", ())

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
