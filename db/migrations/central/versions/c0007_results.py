"""Central schema v7 (results home, people): AB角 assignments reach every window of the centre.

Revision ID: c0007
Revises: c0006
Create Date: 2025-01-07

What changes (issue 9, "Results home" and "People"):
- yc.backups: a supervisor at any window names a backup clerk (B角) for a clerk (A角) for a period
  (date_from..date_to, both included, at most MAX_BACKUP_DAYS days). A window sends it as the operation
  `backup.assigned` (a new row in yc.op_kinds, applied by yc.apply_backup_assigned); the centre keeps it
  once by its id and publishes it on the centre-scoped down stream `backups` (key: the id), which every
  window of the centre pulls. The assigner must not be a login the centre knows as anything but a
  supervisor or admin (window-local logins the centre never saw are trusted to the window's chain).
- Express delivery in two steps needs no new status: the result handed to the courier is `delivered` for
  the centre (it left the centre's hands); the courier's proof comes as the next case version with the
  step event `delivery.signed` (c0006's apply_case_upsert accepts delivered -> delivered).
Functions are replaceable objects (db/central/replaceable.py): this revision only creates new ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from db.central.replaceable import SqlFunction, create, drop

revision: str = "c0007"
down_revision: str | Sequence[str] | None = "c0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_BACKUP_DAYS = 366  # desktop.core.backups.MAX_DAYS
BACKUP_PROTOCOL = 5  # desktop/core/outbox/kinds.py: backup.assigned is introduced with the loop's protocol

_REJECT = "USING ERRCODE = 'YC100'"


def _sql(text: str) -> str:
    return text.replace("@REJECT@", _REJECT).replace("@MAX_DAYS@", str(MAX_BACKUP_DAYS))


APPLY_BACKUP_ASSIGNED = SqlFunction("yc.apply_backup_assigned(jsonb, text, text)", _sql(r"""
CREATE OR REPLACE FUNCTION yc.apply_backup_assigned(p jsonb, p_centre text, p_window text) RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
    v_from date;
    v_to date;
    v_at timestamptz;
    v_clerk text := pg_catalog.btrim(coalesce(p->>'clerk_login', ''));
    v_backup text := pg_catalog.btrim(coalesce(p->>'backup_login', ''));
    v_by text := pg_catalog.btrim(coalesce(p->>'assigned_by', ''));
    v_row jsonb;
BEGIN
    IF pg_catalog.jsonb_typeof(p) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'payload is not a JSON object' @REJECT@;
    END IF;
    IF p->>'centre_code' IS DISTINCT FROM p_centre OR p->>'window_no' IS DISTINCT FROM p_window THEN
        RAISE EXCEPTION 'centre mismatch: this login is window %/%', p_centre, p_window @REJECT@;
    END IF;
    BEGIN
        v_id := (p->>'id')::uuid;
        v_from := (p->>'date_from')::date;
        v_to := (p->>'date_to')::date;
        v_at := (p->>'assigned_at')::timestamptz;
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'a backup needs an id (uuid), date_from, date_to (YYYY-MM-DD) and assigned_at' @REJECT@;
    END;
    IF v_id IS NULL OR v_from IS NULL OR v_to IS NULL OR v_at IS NULL THEN
        RAISE EXCEPTION 'a backup needs an id (uuid), date_from, date_to (YYYY-MM-DD) and assigned_at' @REJECT@;
    END IF;
    IF v_from > v_to THEN
        RAISE EXCEPTION 'date_from % is after date_to %', v_from, v_to @REJECT@;
    END IF;
    IF v_to - v_from + 1 > @MAX_DAYS@ THEN
        RAISE EXCEPTION 'a backup period is at most @MAX_DAYS@ days' @REJECT@;
    END IF;
    IF v_clerk = '' OR v_backup = '' OR v_by = '' THEN
        RAISE EXCEPTION 'a backup needs clerk_login, backup_login and assigned_by' @REJECT@;
    END IF;
    IF v_clerk = v_backup THEN
        RAISE EXCEPTION 'a clerk cannot be his own backup' @REJECT@;
    END IF;
    IF EXISTS (SELECT 1 FROM yc.users u WHERE u.login = v_by AND u.role NOT IN ('supervisor', 'admin')) THEN
        RAISE EXCEPTION 'only a supervisor names a backup (% is not one)', v_by @REJECT@;
    END IF;
    IF EXISTS (SELECT 1 FROM yc.users u WHERE u.login IN (v_clerk, v_backup) AND u.role = 'backoffice') THEN
        RAISE EXCEPTION 'a backup is named between window staff' @REJECT@;
    END IF;
    INSERT INTO yc.backups (id, centre_code, window_no, clerk_login, backup_login, date_from, date_to, assigned_by,
                            assigned_at)
    VALUES (v_id, p_centre, p_window, v_clerk, v_backup, v_from, v_to, v_by, v_at)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'backup % is recorded already', v_id @REJECT@;
    END IF;
    v_row := pg_catalog.jsonb_build_object('id', v_id, 'centre_code', p_centre, 'window_no', p_window,
        'clerk_login', v_clerk, 'backup_login', v_backup, 'date_from', v_from, 'date_to', v_to,
        'assigned_by', v_by, 'assigned_at', p->>'assigned_at');
    PERFORM yc.append_change('backups', p_centre, v_id::text, v_row);
    RETURN pg_catalog.jsonb_build_object('id', v_id);
END $$
"""))

NEW = (APPLY_BACKUP_ASSIGNED,)


def upgrade() -> None:
    op.execute("""
CREATE TABLE yc.backups (
    id uuid CONSTRAINT pk_backups PRIMARY KEY,
    centre_code text NOT NULL CONSTRAINT fk_backups_centres REFERENCES yc.centres (code),
    window_no text NOT NULL,
    clerk_login text NOT NULL,
    backup_login text NOT NULL,
    date_from date NOT NULL,
    date_to date NOT NULL,
    assigned_by text NOT NULL,
    assigned_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ck_backups_period CHECK (date_from <= date_to),
    CONSTRAINT ck_backups_not_self CHECK (clerk_login <> backup_login)
)""")
    op.execute("CREATE INDEX ix_backups_centre_clerk ON yc.backups (centre_code, clerk_login, date_from)")
    op.execute("ALTER TABLE yc.backups OWNER TO yc_owner")
    op.execute("ALTER TABLE yc.backups ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE yc.backups FORCE ROW LEVEL SECURITY")
    op.execute("CREATE POLICY centre_isolation ON yc.backups "
               "USING (centre_code = current_setting('yc.centre', true)) "
               "WITH CHECK (centre_code = current_setting('yc.centre', true))")
    op.execute("GRANT SELECT ON yc.backups TO yc_admin")
    for fn in NEW:
        create(fn)
    op.execute("INSERT INTO yc.op_kinds (kind, apply_fn, introduced) VALUES "
               f"('backup.assigned', 'yc.apply_backup_assigned(jsonb, text, text)'::regprocedure, {BACKUP_PROTOCOL})")


def downgrade() -> None:
    op.execute("DELETE FROM yc.op_kinds WHERE kind = 'backup.assigned'")
    op.execute("DELETE FROM yc.changes WHERE stream = 'backups'")
    for fn in reversed(NEW):
        drop(fn)
    op.execute("DROP TABLE yc.backups")
