"""Central administration: schema set-up (Alembic), window registration, publishing, back-office decisions.

Run by administrators (a superuser or yc_admin URL), never by a window."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from db.central.client import SHARED_SUFFIX, _sqlalchemy_url, _translate, admin_connect
from db.central.errors import CentralUnreachable

__all__ = [
    "MIGRATIONS_DIR",
    "add_department",
    "add_window",
    "add_windows",
    "department_role_name",
    "decide_case",
    "downgrade_central",
    "init_central",
    "login_url",
    "parse_hosts",
    "publish_calendar",
    "publish_catalogue",
    "retire_window",
    "upsert_user",
    "verify_central",
    "window_role_name",
]

# What add-window sets on every window login: a window cannot hold connections, statements, open
# transactions or temp files without bound. Statement and idle timeouts are role defaults a hostile
# session may SET itself (docs/security.md; docs/operations.md has the operator's check for idle
# sessions); connection limit and temp_file_limit it cannot change. An idle transaction holds the row
# locks it took (a case, a batch) from every other window: 15 seconds, then the server ends it.
WINDOW_CONNECTION_LIMIT = 4
WINDOW_ROLE_SETTINGS = {
    "statement_timeout": "30s",  # a sync call gives up within 30 s (the client sets no startup options)
    "idle_in_transaction_session_timeout": "15s",
    "temp_file_limit": "64MB",
    "lock_timeout": "10s",
}
DEPARTMENT_ROLE_SETTINGS = dict(WINDOW_ROLE_SETTINGS)
"""What add-department sets on a department login: the same bounds as a window's."""
ADMIN_TIMEOUTS = {"lock_timeout": "10s", "statement_timeout": "300s"}
"""Every admin call waits at most this long: a window holding a lock cannot stall publishing."""

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations" / "central"


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

    import db.central.replaceable  # noqa: F401  (the revisions import it; a frozen build must see it)

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


def add_window(admin_url: str, centre_code: str, window_no: str, *, centre_name: str | None = None,
               hosts: Sequence[str] = (), pooled: bool = False, shared: bool = False) -> str:
    """Register a window (and its centre) and (re)issue its login; returns its libpq connection URL.

    `hosts` ("H:P" each) replace the admin URL's host in the window's URL: the pooler, or the primary and
    its standby (several hosts add target_session_attrs=read-write); `pooled` gives the form for a centre
    behind PgBouncer (channel_binding=prefer: a pooler offers no channel binding), `shared` the pooler's
    shared entry (pooled, database DB_shared: central c0020, docs/security.md). See login_url.

    Creates LOGIN role yc_w_<centre>_<window> IN ROLE yc_window, or resets its password when it exists.
    The password (secrets.token_urlsafe) is sent to the server only as a SCRAM verifier. The URL uses
    the host, port and database of admin_url: "postgresql://role:password@host:port/dbname?sslmode=verify-full".
    """

    _check_window(centre_code, window_no)
    host_list = parse_hosts(hosts)  # checked before anything is provisioned
    with admin_connect(admin_url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('yichuang.central.add_window'))")
        role, password = _register_window(conn, centre_code, window_no, centre_name)
        conn.commit()
    return login_url(admin_url, role, password, hosts=host_list, pooled=pooled, shared=shared)


def add_windows(admin_url: str, windows: Sequence[tuple[str, str]], *, centre_names: Mapping[str, str] | None = None,
                hosts: Sequence[str] = (), pooled: bool = False, shared: bool = False) -> list[str]:
    """add_window for many windows at once [(centre_code, window_no)...]: one connection and one
    transaction (all or nothing), the same checks, roles and rows; returns their URLs in order.
    What a district provisioning its centres uses (and the load generator: thousands of windows)."""
    host_list = parse_hosts(hosts)
    for centre_code, window_no in windows:  # all checked before anything is provisioned
        _check_window(centre_code, window_no)
    names = dict(centre_names or {})
    urls = []
    with admin_connect(admin_url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('yichuang.central.add_window'))")
        for centre_code, window_no in windows:
            role, password = _register_window(conn, centre_code, window_no, names.get(centre_code))
            urls.append(login_url(admin_url, role, password, hosts=host_list, pooled=pooled, shared=shared))
        conn.commit()
    return urls


def _check_window(centre_code: str, window_no: str) -> None:
    if not centre_code or not window_no:
        raise ValueError("centre_code and window_no are required")
    # the formats the windows number by (init refuses anything else): a centre code of 6-12 ASCII digits and a
    # two-digit window, so one window's case and batch numbers can never read as another's
    if not (centre_code.isascii() and centre_code.isdigit() and 6 <= len(centre_code) <= 12):
        raise ValueError(f"centre code {centre_code!r} must be 6 to 12 ASCII digits")
    if not (window_no.isascii() and window_no.isdigit() and len(window_no) == 2 and window_no != "00"):
        raise ValueError(f"window number {window_no!r} must be two ASCII digits, 01 to 99")


def _register_window(conn: psycopg.Connection, centre_code: str, window_no: str,
                     centre_name: str | None) -> tuple[str, str]:
    """The rows and the login of one window, inside the caller's transaction: (role, new password)."""
    _check_window(centre_code, window_no)
    role = window_role_name(centre_code, window_no)
    taken = conn.execute(
        "SELECT centre_code, window_no FROM yc.windows WHERE role_name = %s", (role,)
    ).fetchone()
    if taken and tuple(taken) != (centre_code, window_no):
        raise ValueError(f"role {role} already belongs to window {taken[0]}/{taken[1]}")
    password = _provision_login(conn, role, "yc_window", WINDOW_ROLE_SETTINGS)
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
    return role, password


def _provision_login(conn: psycopg.Connection, role: str, group: str, settings: Mapping[str, str]) -> str:
    """Create LOGIN role `role` IN ROLE `group` (or reset its password), with the connection limit and the
    role `settings`; returns the new password (sent to the server only as a SCRAM verifier)."""
    password = secrets.token_urlsafe(32)
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
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(ident, sql.Literal(verifier.decode())))
    conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), ident))
    conn.execute(sql.SQL("ALTER ROLE {} CONNECTION LIMIT {}").format(ident, sql.Literal(WINDOW_CONNECTION_LIMIT)))
    for name, value in settings.items():
        conn.execute(sql.SQL("ALTER ROLE {} SET {} = {}").format(ident, sql.Identifier(name), sql.Literal(value)))
    # no temp objects on this database for anyone but superusers (a database made from a template
    # does not inherit the template's database privileges, so every provisioning asserts it)
    conn.execute(sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(sql.Identifier(conn.info.dbname)))
    return password


def parse_hosts(hosts: Sequence[str]) -> list[tuple[str, int]]:
    """["H:P", "[v6]:P", ...] → [(host, port)...]; ValueError on a malformed one."""
    out = []
    for item in hosts:
        item = (item or "").strip()
        m = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([A-Za-z0-9.-]+):(\d{1,5})", item)
        if not m:
            raise ValueError(f"host {item!r} must be HOST:PORT")
        host, port = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        if not 0 < int(port) < 65536:
            raise ValueError(f"port of {item!r} must be 1 to 65535")
        out.append((host, int(port)))
    return out


def login_url(admin_url: str, role: str, password: str, *, hosts: Sequence[tuple[str, int]] = (),
              pooled: bool = False, shared: bool = False) -> str:
    """The libpq URL of a login: the admin URL's host, port and database, or `hosts` (libpq's multi-host
    form "H1:P1,H2:P2", with target_session_attrs=read-write so that a window finds the primary);
    always sslmode=verify-full, and channel_binding=prefer when `pooled`. `shared` (implies `pooled`)
    names the pooler's shared entry, DB_shared (db.central.pooler)."""
    from sqlalchemy.engine import make_url

    u = make_url(_sqlalchemy_url(admin_url))
    if not hosts:
        hosts = [(u.host or "127.0.0.1", u.port or 0)]

    def netloc(host: str, port: int) -> str:
        host = f"[{host}]" if ":" in host else host
        return f"{host}:{port}" if port else host

    dbname = quote((u.database or "postgres") + (SHARED_SUFFIX if shared else ""), safe="")
    pooled = pooled or shared
    # the login must verify the centre's certificate (the CA goes with the URL: --ca-cert); the clients
    # insist on it anyway, the URL says so for anyone reading it
    query = "sslmode=verify-full"
    if pooled:
        query += "&channel_binding=prefer"
    if len(hosts) > 1:
        query += "&target_session_attrs=read-write"
    where = ",".join(netloc(h, p) for h, p in hosts)
    return f"postgresql://{quote(role, safe='')}:{quote(password, safe='')}@{where}/{dbname}?{query}"


# ---- departments (the back office) ------------------------------------------------------------------
MAX_DEPARTMENT_NAME = 200


def department_role_name(centre_code: str, department: str) -> str:
    """Login role of a department: yc_d_<hash of centre and department name> (names are Chinese)."""
    return "yc_d_" + hashlib.sha256(f"{centre_code}\x00{department}".encode()).hexdigest()[:20]


def add_department(admin_url: str, centre_code: str, department: str) -> str:
    """Register a back-office department of a registered centre and (re)issue its login; returns its libpq
    URL. The login (yc_d_…, member of yc_office) may call only the office.* functions, for that centre's
    cases addressed to that department; same TLS, connection limit and timeouts as a window."""
    department = (department or "").strip()
    if not department or len(department) > MAX_DEPARTMENT_NAME or any(ord(ch) < 32 for ch in department):
        raise ValueError(f"department name must be 1 to {MAX_DEPARTMENT_NAME} printable characters")
    role = department_role_name(centre_code, department)
    with admin_connect(admin_url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext('yichuang.central.add_window'))")
        if not conn.execute("SELECT 1 FROM yc.centres WHERE code = %s", (centre_code,)).fetchone():
            raise ValueError(f"centre {centre_code} is not registered (add a window of it first)")
        if conn.execute("SELECT 1 FROM yc.windows WHERE role_name = %s", (role,)).fetchone():
            raise ValueError(f"role {role} belongs to a window")
        password = _provision_login(conn, role, "yc_office", DEPARTMENT_ROLE_SETTINGS)
        conn.execute(
            "INSERT INTO yc.departments (centre_code, name, role_name) VALUES (%s, %s, %s) "
            "ON CONFLICT (centre_code, name) DO UPDATE SET role_name = excluded.role_name",
            (centre_code, department, role),
        )
        conn.commit()
    return login_url(admin_url, role, password)


# ---- what the centre publishes (administrators and back office) -------------------------------------
def _admin_call(admin_url: str, query: str, params: tuple[Any, ...]) -> dict[str, Any]:
    """One admin function call in its own transaction; errors become CentralError (Chinese message)."""
    try:
        with admin_connect(admin_url) as conn:
            for name, value in ADMIN_TIMEOUTS.items():
                conn.execute("SELECT pg_catalog.set_config(%s, %s, false)", (name, value))
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
    """Create or change a user everywhere (no centre_code) or at one centre; password_hash is the window's
    own format (desktop.core.auth), never a plain password. Role backoffice needs centre_code and a
    registered "department" (add_department) and never reaches a window; other roles have none."""
    return _admin_call(admin_url, "SELECT admin.upsert_user(%s)", (Jsonb(dict(user)),))


def decide_case(admin_url: str, case_no: str, status: str, note: str | None = None) -> dict[str, Any]:
    """A decision on a case by script (actor 'admin'): `status` approved or denied, on an accepted case
    the department signed for and not yet decided (the state machine of office.decide, without the
    review steps); else OfficeRefused. It flows back to the windows (streams case_status and cases)."""
    return _admin_call(admin_url, "SELECT admin.decide_case(%s, %s, %s)", (case_no, status, note))


def retire_window(admin_url: str, centre_code: str, window_no: str, *, actor: str | None = None) -> dict[str, Any]:
    """Unbind a window from its machine (the old PC is gone or replaced), audited at the centre. The
    window's chain and its key history stay; the next machine binds itself with a new key and continues
    the chain after the centre's head (yichuang init --restore-from-central)."""
    return _admin_call(admin_url, "SELECT admin.retire_window(%s, %s, %s)", (centre_code, window_no, actor))


def verify_central(admin_url: str, centre_code: str | None = None) -> dict[str, Any]:
    """Check every window's chain of operations (or one centre's) and its daily case serials.

    {"ok", "windows", "problems": [{"centre_code", "window_no", "seq", "op_id", "problem"}…],
    "gaps": [{"centre_code", "window_no", "day", "missing": [serial…]}…],
    "clock_flags": [{"centre_code", "window_no", "case_no", "clock_skew_s"}…]} (flags do not fail it)."""
    return _admin_call(admin_url, "SELECT admin.verify_chains(%s)", (centre_code,))
