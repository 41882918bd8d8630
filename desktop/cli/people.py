"""AB角 on the command line: `yichuang backup-clerk assign CLERK BACKUP --from D --to D --clerk SUPERVISOR` names a
backup clerk (B角) for a clerk for a period, `yichuang backup-clerk list [--on D]` lists the assignments this
window knows (made here or pulled from the centre). JSON out; bad input or a clerk assigning: exit 2."""

from __future__ import annotations

from desktop.cli.common import _actor, _parse_date, _print_json, _services, add_clerk


def add_people_commands(sub, add) -> None:
    inner = sub.add_parser("backup-clerk", help="AB角: name a backup clerk for an absent clerk (a supervisor), or list "
                           "them").add_subparsers(dest="sub", required=True)
    a = add("assign", cmd_backup_assign, "name BACKUP as the B角 of CLERK from --from to --to (both included)",
            inner)
    a.add_argument("clerk_login", metavar="CLERK")
    a.add_argument("backup_login", metavar="BACKUP")
    a.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
    a.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
    add_clerk(a)
    ls = add("list", cmd_backup_list, "the assignments this window knows (JSON list)", inner)
    ls.add_argument("--on", help="only those in force that day (YYYY-MM-DD)")
    add_clerk(ls)


def cmd_backup_assign(args) -> int:
    date_from, date_to = _parse_date(args.date_from, "from"), _parse_date(args.date_to, "to")
    svc = _services(args)
    try:
        supervisor = _actor(args, svc, "backup_assign")
        record = svc.assign_backup(clerk_login=args.clerk_login, backup_login=args.backup_login,
                                   date_from=date_from, date_to=date_to, by=supervisor)
    finally:
        svc.close()
    _print_json(record.as_json())
    return 0


def cmd_backup_list(args) -> int:
    on = _parse_date(args.on, "on") if args.on else None
    svc = _services(args)
    try:
        _actor(args, svc, "intake")
        rows = svc.backup_clerks(on=on)
    finally:
        svc.close()
    _print_json([r.as_json() for r in rows])
    return 0
