"""Central PostgreSQL: schema set-up (Alembic), window registration, and the window's sync client."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
import secrets
import uuid
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

__all__ = [
    "PROTOCOL",
    "CentralAuthFailed",
    "CentralClient",
    "CentralError",
    "CentralRefused",
    "CentralUnreachable",
    "ProtocolTooOld",
    "WindowNotRegistered",
    "add_window",
    "admin_connect",
    "downgrade_central",
    "freeze_op",
    "init_central",
    "window_role_name",
]

PROTOCOL = 2
"""Sync protocol spoken by this client (sync.handshake(p_protocol)). 2: transfers, ratings,
consultations, attachments and blobs up; catalogue, calendar and users down (schema c0003)."""

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations" / "central"


# ---- errors (desktop-independent; the desktop layer translates them) ------------------------------
class CentralError(Exception):
    """The central database refused or failed a call. `message` is Chinese, for people."""

    def __init__(self, message: str, *, sqlstate: str | None = None):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate


class CentralUnreachable(CentralError):
    """No answer from the central database (network, refused, timeout, server busy): retry later.

    Nothing of the call was committed."""


class CentralAuthFailed(CentralUnreachable):
    """The server is up but refused this window's credentials."""


class ProtocolTooOld(CentralError):
    """The server no longer accepts this client's protocol (SQLSTATE YC001): upgrade the client."""


class WindowNotRegistered(CentralError):
    """The login role is not a registered window (SQLSTATE YC002)."""


class CentralRefused(CentralError):
    """The server rejected the call itself (permission, bad argument); retrying will not help."""


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


# ---- schema ---------------------------------------------------------------------------------------
def _alembic_config(admin_url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", _sqlalchemy_url(admin_url).replace("%", "%%"))
    return cfg


def _migrate(admin_url: str, action: str, revision: str) -> str | None:
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    cfg = _alembic_config(admin_url)
    engine = create_engine(_sqlalchemy_url(admin_url), poolclass=NullPool)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, action)(cfg, revision)
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def init_central(admin_url: str) -> str:
    """Create or upgrade the central schema to head on that database; idempotent. Returns the revision.

    Needs a superuser (it creates the cluster roles yc_owner, yc_admin, yc_window, yc_reporting when
    missing). Runs in one transaction under an advisory lock, so concurrent calls are safe."""
    rev = _migrate(admin_url, "upgrade", "head")
    assert rev is not None
    return rev


def downgrade_central(admin_url: str, revision: str = "base") -> str | None:
    """Downgrade the central schema (tests and emergencies). Cluster roles are kept."""
    return _migrate(admin_url, "downgrade", revision)


# ---- windows --------------------------------------------------------------------------------------
def window_role_name(centre_code: str, window_no: str) -> str:
    """Login role of a window: yc_w_<centre>_<window>, lower-case [a-z0-9_] only, ≤ 63 bytes.

    When sanitising loses information (other characters, or too long) a short hash keeps names unique."""

    def clean(s: str) -> str:
        return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")

    centre, window = clean(centre_code), clean(window_no)
    name = f"yc_w_{centre}_{window}"
    lossless = f"{centre_code}".lower() == centre and f"{window_no}".lower() == window
    if not centre or not window or not lossless or len(name) > 63:
        digest = hashlib.sha256(f"{centre_code}\x00{window_no}".encode()).hexdigest()[:8]
        name = f"{name[:50]}_{digest}"
    return name


def add_window(admin_url: str, centre_code: str, window_no: str, *, centre_name: str | None = None) -> str:
    """Register a window (and its centre) and (re)issue its login; returns its libpq connection URL.

    Creates LOGIN role yc_w_<centre>_<window> IN ROLE yc_window, or resets its password when it exists.
    The password (secrets.token_urlsafe) is sent to the server only as a SCRAM verifier. The URL uses
    the host, port and database of admin_url: "postgresql://role:password@host:port/dbname".
    """
    from sqlalchemy.engine import make_url

    if not centre_code or not window_no:
        raise ValueError("centre_code and window_no are required")
    role = window_role_name(centre_code, window_no)
    password = secrets.token_urlsafe(32)
    with admin_connect(admin_url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('yichuang.central.add_window'))")
        taken = conn.execute(
            "SELECT centre_code, window_no FROM yc.windows WHERE role_name = %s", (role,)
        ).fetchone()
        if taken and tuple(taken) != (centre_code, window_no):
            raise ValueError(f"role {role} already belongs to window {taken[0]}/{taken[1]}")
        verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256")
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        ident = sql.Identifier(role)
        if exists:
            conn.execute(
                sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD {}").format(
                    ident, sql.Literal(verifier.decode())
                )
            )
        else:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(verifier.decode()))
            )
        conn.execute(sql.SQL("GRANT yc_window TO {}").format(ident))
        conn.execute(
            "INSERT INTO yc.centres (code, name) VALUES (%s, coalesce(%s, %s)) "
            "ON CONFLICT (code) DO UPDATE SET name = coalesce(%s, yc.centres.name)",
            (centre_code, centre_name, centre_code, centre_name),
        )
        conn.execute(
            "INSERT INTO yc.windows (centre_code, window_no, role_name) VALUES (%s, %s, %s) "
            "ON CONFLICT (centre_code, window_no) DO UPDATE SET role_name = excluded.role_name",
            (centre_code, window_no, role),
        )
        conn.commit()
    u = make_url(_sqlalchemy_url(admin_url))
    host = u.host or "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    port = f":{u.port}" if u.port else ""
    dbname = quote(u.database or "postgres", safe="")
    return f"postgresql://{quote(role, safe='')}:{quote(password, safe='')}@{host}{port}/{dbname}"


# ---- operations -----------------------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def freeze_op(kind: str, payload: Mapping[str, Any], op_id: str | uuid.UUID | None = None) -> dict[str, str]:
    """An outbox operation as sync.push expects it: payload frozen to canonical JSON text + its SHA-256.

    Canonical = sorted keys, no spaces, UTF-8 (not \\u-escaped). Freeze once and store the text: the
    hash is of the exact text, so never re-serialise a stored payload before resending it."""
    text = json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_json_default
    )
    return {
        "op_id": str(op_id or uuid.uuid4()),
        "kind": kind,
        "payload": text,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }


# ---- what the centre publishes (administrators and back office) -------------------------------------
def _admin_call(admin_url: str, query: str, params: tuple[Any, ...]) -> dict[str, Any]:
    """One admin function call in its own transaction; errors become CentralError (Chinese message)."""
    try:
        with admin_connect(admin_url) as conn:
            row = conn.execute(query, params).fetchone()
    except psycopg.Error as exc:
        raise _translate(exc) from None
    except OSError as exc:
        raise CentralUnreachable(f"无法连接中心数据库：{exc}") from None
    assert row is not None
    return row[0]


def publish_catalogue(admin_url: str, text: str, *, centre_code: str | None = None) -> dict[str, Any]:
    """Publish a catalogue version (the JSON text as validated by the caller) to every centre, or one."""
    return _admin_call(admin_url, "SELECT admin.publish_catalogue(%s, %s)", (text, centre_code))


def publish_calendar(admin_url: str, data: Mapping[str, Any], *, centre_code: str | None = None) -> dict[str, Any]:
    """Publish holidays and make-up workdays: {"years": [...], "days": [{"date", "kind", "name"}...]}."""
    return _admin_call(admin_url, "SELECT admin.publish_calendar(%s, %s)", (Jsonb(dict(data)), centre_code))


def upsert_user(admin_url: str, user: Mapping[str, Any]) -> dict[str, Any]:
    """Create or change a window user everywhere (no centre_code) or at one centre; password_hash is the
    window's own format (desktop.core.auth), never a plain password."""
    return _admin_call(admin_url, "SELECT admin.upsert_user(%s)", (Jsonb(dict(user)),))


def decide_case(admin_url: str, case_no: str, status: str, note: str | None = None) -> dict[str, Any]:
    """The back office's decision on a case (approved, denied, result_ready…); it flows back to the window."""
    return _admin_call(admin_url, "SELECT admin.decide_case(%s, %s, %s)", (case_no, status, note))


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
    """A window's connection to the central database, speaking only the sync.* functions.

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

    def handshake(self, protocol: int = PROTOCOL) -> dict[str, Any]:
        """{"protocol", "min_protocol", "schema", "server_time" (ISO text), "centre_code",
        "centre_name", "window_no"}; ProtocolTooOld if the server no longer accepts `protocol`."""
        return self._call("SELECT sync.handshake(%s)", (protocol,))

    def push(self, ops: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Send outbox operations ({"op_id", "kind", "payload": frozen JSON text, "sha256"}).

        Returns one {"op_id", "status": "applied"|"duplicate"|"rejected", "reason"?, "result"?} per op,
        in input order. The whole call is one transaction: on CentralUnreachable nothing was applied."""
        batch = []
        for op in ops:
            if not isinstance(op.get("payload"), str):
                raise TypeError("op payload must be the frozen JSON text (see freeze_op)")
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
