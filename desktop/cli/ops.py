"""`yichuang doctor`, `backup` and `restore`: what a centre's technician runs on a window's PC."""

from __future__ import annotations

from pathlib import Path

from desktop.cli.common import _print_json, _services


def cmd_doctor(args) -> int:
    """One Chinese line per check (or --json: [{"check", "ok", "detail"}]); exit 0 all well, 1 otherwise.
    Runs on a store that cannot be opened too: that is one of its findings."""
    import sys

    from desktop.core import doctor

    checks = doctor.run_checks(Path(args.home))
    if args.json:
        _print_json([c.as_json() for c in checks])
    else:
        sys.stdout.write(doctor.as_text(checks))
    return 0 if all(c.ok for c in checks) else 1


def cmd_backup(args) -> int:
    svc = _services(args)
    try:
        result = svc.backup(to=args.to)
    finally:
        svc.close()
    _print_json(result.as_json())
    return 0


def cmd_restore(args) -> int:
    """Replace the store with a backup: refused (exit 2, saying how many) while operations are unsent,
    unless --force; the replaced store is kept in <home>/replaced/."""
    from desktop.core import backup
    from desktop.core.clock import shanghai_now

    home = Path(args.home)
    result = backup.restore(home, Path(args.file), force=args.force, now=shanghai_now())
    svc = _services(args)
    try:
        svc.record_restore(result=result)
    finally:
        svc.close()
    _print_json(result.as_json())
    return 0


def add_ops_commands(sub, add) -> None:
    """Register doctor, backup and restore (`add` as in build_parser)."""
    sp = add("doctor", cmd_doctor, "check fonts, printers, the store, the centre, the calendar, the outbox, the "
             "chain and the ID card reader; one Chinese line each (exit 1 when something needs action)")
    sp.add_argument("--json", action="store_true", help='a JSON list of {"check", "ok", "detail"}')
    sp = add("backup", cmd_backup, "an encrypted copy of the store (SQLite online backup), rotated "
             "(backup_keep_daily / backup_keep_weekly)")
    sp.add_argument("--to", help="the backup folder (default: the backup_dir setting, else <home>/backups)")
    sp = add("restore", cmd_restore, "replace the store with a backup (checked first; the replaced store is kept "
             "in <home>/replaced)")
    sp.add_argument("file")
    sp.add_argument("--force", action="store_true",
                    help="overwrite a store that still has unsent operations (exit 2 without it, saying how many)")
