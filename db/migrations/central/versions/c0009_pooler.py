"""Central schema: the connection pooler's login lookup (PgBouncer `auth_query`), issue 17.

Revision ID: c0009
Revises: c0007 (the integrator re-chains it after c0007/c0008; it only ADDS objects)
Create Date: 2025-01-09

PgBouncer in transaction mode keeps one pool per login, and each window has its own login. Rather than a
password file listing every window, the pooler asks the database for a login's SCRAM verifier through
`pooler.lookup(user)`, logged in as its own role `yc_pooler`:
- `yc_pooler` (cluster role, NOLOGIN until `yichuang central pooler-config` gives it a password) may
  only use schema `pooler` and EXECUTE `pooler.lookup`; it reads no table.
- `pooler.lookup` is SECURITY DEFINER, owned by the superuser that runs the migration (only a superuser
  reads pg_authid), with a pinned search_path. It answers only for a login that is a member of yc_window
  or yc_office, can log in, has not expired, and is none of: superuser, replication, BYPASSRLS,
  CREATEROLE, CREATEDB, a member of yc_admin, yc_owner or yc_reporting, yc_pooler itself. For anyone
  else (an administrator above all) it returns no row, so the pooler refuses the login.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "c0009"
down_revision: str | Sequence[str] | None = "c0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POOLER_ROLE = "yc_pooler"

LOOKUP = """
CREATE FUNCTION pooler.lookup(p_user text)
RETURNS TABLE (usename name, passwd text)
LANGUAGE sql STABLE STRICT SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT a.rolname, a.rolpassword
      FROM pg_catalog.pg_authid a
     WHERE a.rolname = p_user
       AND a.rolcanlogin
       AND NOT a.rolsuper AND NOT a.rolreplication AND NOT a.rolbypassrls
       AND NOT a.rolcreaterole AND NOT a.rolcreatedb
       AND a.rolpassword IS NOT NULL
       AND (a.rolvaliduntil IS NULL OR a.rolvaliduntil > pg_catalog.now())
       AND a.rolname <> 'yc_pooler'
       AND (pg_catalog.pg_has_role(a.oid, 'yc_window', 'MEMBER')
            OR pg_catalog.pg_has_role(a.oid, 'yc_office', 'MEMBER'))
       AND NOT pg_catalog.pg_has_role(a.oid, 'yc_admin', 'MEMBER')
       AND NOT pg_catalog.pg_has_role(a.oid, 'yc_owner', 'MEMBER')
       AND NOT pg_catalog.pg_has_role(a.oid, 'yc_reporting', 'MEMBER')
$fn$
"""


def upgrade() -> None:
    op.execute("""
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'the pooler lookup must be made by a superuser (it reads pg_authid)';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'yc_pooler') THEN
        CREATE ROLE yc_pooler NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- created concurrently by a migration of another database in this cluster
END $$""")
    # whatever an older cluster had: the pooler's login is nothing but a lookup
    op.execute(f"ALTER ROLE {POOLER_ROLE} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
    op.execute("CREATE SCHEMA pooler")  # owned by the superuser running this, like the function
    op.execute("REVOKE ALL ON SCHEMA pooler FROM PUBLIC")
    op.execute(f"GRANT USAGE ON SCHEMA pooler TO {POOLER_ROLE}")
    op.execute(LOOKUP)
    op.execute("REVOKE ALL ON FUNCTION pooler.lookup(text) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION pooler.lookup(text) TO {POOLER_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION pooler.lookup(text)")
    op.execute("DROP SCHEMA pooler")
    # the cluster role yc_pooler stays (other databases of the cluster may use it), like every yc_ role
