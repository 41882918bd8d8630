"""A centre's connection pooler: the PgBouncer configuration `yichuang central pooler-config` writes.

PgBouncer runs in transaction pooling mode with one pool per window login (the trust model gives every
window its own role). It authenticates a window with the SCRAM verifier that `pooler.lookup` (central
c0009, SECURITY DEFINER) hands to the pooler's own login `yc_pooler`, so no file lists the windows;
it then logs in to PostgreSQL as that window with the same SCRAM proof (PgBouncer's SCRAM pass-through).
Windows reach the pooler over TLS (its certificate is signed by the centre's CA, which the windows pin);
the pooler reaches PostgreSQL over TLS verifying the server's certificate (verify-full)."""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from db.central.client import GATEWAY_LOGIN, SHARED_SUFFIX, _libpq_url, admin_connect

__all__ = ["GATEWAY_ROLE", "POOLER_ROLE", "SHARED_SUFFIX", "PoolerSettings", "pooler_config"]

POOLER_ROLE = "yc_pooler"
POOLER_CONNECTION_LIMIT = 10
GATEWAY_ROLE = GATEWAY_LOGIN  # central c0020: the shared pool's server login (gw.call only)


class PoolerSettings:
    """The pool sizes and timeouts written into pgbouncer.ini (docs/operations.md explains each)."""

    max_client_conn = 20000  # persistent window connections the pooler holds (one per window, a few spare)
    default_pool_size = 1  # server connections per window login: a window's sync is one call at a time
    max_db_connections = 80  # server connections per database entry, below PostgreSQL's max_connections (100)
    shared_pool_size = 16  # the shared entry's server connections, warm, used by every bound window in turn
    server_idle_timeout = 10  # a window's idle server connection goes back within 10 s
    query_wait_timeout = 20  # a window waiting for a server connection gives up before its own 30 s
    # A server connection of the shared entry serves every window in turn: what one window SETs for its
    # session (read-only, synchronous_commit off, a time zone, no timeout) must not outlive its transaction
    # (RESET ALL after every transaction, in transaction pooling too; it keeps plans, unlike DISCARD ALL);
    # and a window that lifted its own timeouts must not hold one for long (PgBouncer's own limits, past
    # the login's 30 s statement and 15 s idle-in-transaction timeouts).
    server_reset_query = "RESET ALL"
    server_reset_query_always = 1
    query_timeout = 40
    idle_transaction_timeout = 20
    server_connect_timeout = 5
    server_login_retry = 2


def _write(path: Path, text: str | bytes, mode: int) -> None:
    data = text.encode() if isinstance(text, str) else text
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, mode)


def _quote_userlist(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def pooler_config(admin_url: str, out_dir: str | os.PathLike[str], *, cert_file: str | os.PathLike[str],
                  key_file: str | os.PathLike[str], server_ca_file: str | os.PathLike[str] | None = None,
                  listen_host: str = "0.0.0.0", listen_port: int = 6432,
                  settings: type[PoolerSettings] = PoolerSettings) -> dict[str, Any]:
    """Write DIR/pgbouncer.ini, DIR/userlist.txt (the pooler's own logins only, 0600) and copies of the TLS
    files (pooler.crt, pooler.key 0600, server-ca.crt), and give `yc_pooler` (and, from central c0020,
    `yc_gateway`) a new password (sent as a SCRAM verifier). The central schema must be at c0009 or later
    (pooler.lookup). `server_ca_file` defaults to the admin URL's sslrootcert. Returns {"ini",
    "auth_file", "listen", "database", "shared_database" (None before c0020), "server"}.

    Two database entries: DB, one pool per login (every window and department; a window binds its key
    through it), and DB_shared (c0020), one pool of warm server connections logged in as `yc_gateway`,
    through which a bound window's calls go as gw.call with its key's MAC (docs/security.md).

    Running it again issues new pooler passwords: restart (or RELOAD) the pooler with the new files."""
    params = conninfo_to_dict(_libpq_url(admin_url))
    host = params.get("host") or "127.0.0.1"
    if "," in host or host.startswith("/"):
        raise ValueError("the admin URL must name one TCP host: the primary PostgreSQL the pooler serves")
    port = int(params.get("port") or 5432)
    dbname = params.get("dbname") or "postgres"
    server_ca = server_ca_file or params.get("sslrootcert")
    if not server_ca:
        raise ValueError("the CA of the PostgreSQL server's certificate is needed (server_ca_file or sslrootcert)")
    for label, path in (("certificate", cert_file), ("key", key_file), ("server CA", server_ca)):
        if not Path(path).is_file():
            raise ValueError(f"{label} file {path} does not exist")
    if not (0 < int(listen_port) < 65536):
        raise ValueError("listen port must be 1 to 65535")
    with admin_connect(admin_url) as conn:
        if not conn.execute("SELECT to_regprocedure('pooler.lookup(text)') IS NOT NULL").fetchone()[0]:
            raise ValueError("the central schema has no pooler.lookup: run yichuang central init first")
        shared = conn.execute("SELECT to_regprocedure('gw.call(text, text, text, text, text, text)') IS NOT NULL"
                              ).fetchone()[0]
        passwords = {}
        for role, limit in ((POOLER_ROLE, POOLER_CONNECTION_LIMIT),
                            *(((GATEWAY_ROLE, settings.shared_pool_size + 4),) if shared else ())):
            passwords[role] = secrets.token_urlsafe(32)
            verifier = conn.pgconn.encrypt_password(passwords[role].encode(), role.encode(), b"scram-sha-256")
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN PASSWORD {} CONNECTION LIMIT {}").format(
                sql.Identifier(role), sql.Literal(verifier.decode()), sql.Literal(limit)))
        conn.commit()

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cert_file, out / "pooler.crt")
    _write(out / "pooler.key", Path(key_file).read_bytes(), 0o600)
    shutil.copyfile(server_ca, out / "server-ca.crt")
    _write(out / "userlist.txt", "".join(f"{_quote_userlist(role)} {_quote_userlist(pw)}\n"
                                         for role, pw in passwords.items()), 0o600)
    s = settings
    shared_entry = (f"{dbname}{SHARED_SUFFIX} = host={host} port={port} dbname={dbname} user={GATEWAY_ROLE} "
                    f"pool_size={s.shared_pool_size} max_db_connections={s.shared_pool_size}\n") if shared else ""
    ini = f"""\
;; yichuang central pooler-config: PgBouncer for the centre's windows (transaction pooling; logins
;; looked up through pooler.lookup). {dbname}: one pool per login. {dbname}{SHARED_SUFFIX}: one shared pool
;; logged in as {GATEWAY_ROLE}, for bound windows (gw.call). See docs/operations.md.
[databases]
{dbname} = host={host} port={port} dbname={dbname}
{shared_entry}
[pgbouncer]
listen_addr = {listen_host}
listen_port = {int(listen_port)}
unix_socket_dir =
pool_mode = transaction
max_client_conn = {s.max_client_conn}
default_pool_size = {s.default_pool_size}
max_db_connections = {s.max_db_connections}
server_idle_timeout = {s.server_idle_timeout}
query_wait_timeout = {s.query_wait_timeout}
server_reset_query = {s.server_reset_query}
server_reset_query_always = {s.server_reset_query_always}
query_timeout = {s.query_timeout}
idle_transaction_timeout = {s.idle_transaction_timeout}
server_connect_timeout = {s.server_connect_timeout}
server_login_retry = {s.server_login_retry}

auth_type = scram-sha-256
auth_file = {out / "userlist.txt"}
auth_user = {POOLER_ROLE}
auth_query = SELECT usename, passwd FROM pooler.lookup($1)

client_tls_sslmode = require
client_tls_cert_file = {out / "pooler.crt"}
client_tls_key_file = {out / "pooler.key"}
client_tls_protocols = tlsv1.2,tlsv1.3
server_tls_sslmode = verify-full
server_tls_ca_file = {out / "server-ca.crt"}
server_tls_protocols = tlsv1.2,tlsv1.3

logfile = {out / "pgbouncer.log"}
pidfile = {out / "pgbouncer.pid"}
"""
    _write(out / "pgbouncer.ini", ini, 0o644)
    # one descriptor per client and per server connection: the usual soft limit of 1,024 would refuse
    # windows long before max_client_conn ("accept() failed: Too many open files")
    nofile = s.max_client_conn + s.max_db_connections + s.shared_pool_size + 1000
    _write(out / "pgbouncer-limits.conf", "# systemd drop-in: /etc/systemd/system/pgbouncer.service.d/limits.conf\n"
           f"[Service]\nLimitNOFILE={nofile}\n", 0o644)
    return {"ini": str(out / "pgbouncer.ini"), "auth_file": str(out / "userlist.txt"),
            "limits": str(out / "pgbouncer-limits.conf"),
            "listen": f"{listen_host}:{int(listen_port)}", "database": dbname,
            "shared_database": f"{dbname}{SHARED_SUFFIX}" if shared else None, "server": f"{host}:{port}"}
