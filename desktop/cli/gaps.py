"""The 容缺 commands (`supply`, `gap-notice`) and `setting set`: the window's paper after the intake."""

from __future__ import annotations

from pathlib import Path

from desktop.cli.common import _actor, _print_json, _services, add_clerk


def cmd_supply(args) -> int:
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        out = svc.check_out_dir(Path(args.out)) if args.out else None
        doc = svc.supply_gap(case_no=args.case_no, material=args.material, clerk=clerk, out_dir=out, paper=args.paper)
        record = svc.case_record(case_no=args.case_no)
    finally:
        svc.close()
    _print_json({"case_no": record.case_no, "material": args.material,
                 "open_gaps": [m.code for m in record.materials if m.state == "gap"],
                 "documents": [doc.path]})
    return 0


def cmd_gap_notice(args) -> int:
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        out = svc.check_out_dir(Path(args.out)) if args.out else None
        doc = svc.print_gap_reminder(case_no=args.case_no, clerk=clerk, out_dir=out, paper=args.paper)
    finally:
        svc.close()
    _print_json({"path": doc.path, "kind": doc.kind, "paper": doc.paper})
    return 0


def cmd_setting_set(args) -> int:
    svc = _services(args)
    try:
        actor = _actor(args, svc, "settings_edit")
        value = svc.set_preference(key=args.key, value=args.value, actor=actor)
    finally:
        svc.close()
    _print_json({"key": args.key, "value": value})
    return 0


def add_gap_commands(sub, add) -> None:
    """Register `supply`, `gap-notice` and `setting set` on the main parser (`add` as in build_parser)."""
    sp = add("supply", cmd_supply, "a 容缺 material was supplied: close the gap, print the 容缺材料补交回执")
    sp.add_argument("case_no")
    sp.add_argument("material", help="the material's code in the matter")
    sp.add_argument("--out", help="also write the receipt into this folder")
    sp.add_argument("--paper", default="a4", choices=["a4", "roll80"])
    add_clerk(sp)
    sp = add("gap-notice", cmd_gap_notice,
             "print the 容缺候补通知书 for a case's 容缺 materials whose promised date passed unsupplied")
    sp.add_argument("case_no")
    sp.add_argument("--out", help="also write the notice into this folder")
    sp.add_argument("--paper", default="a4", choices=["a4", "roll80"])
    add_clerk(sp)
    st = sub.add_parser("setting", help="the window's settings").add_subparsers(dest="sub", required=True)
    sp = add("set", cmd_setting_set, "set a preference setting (an administrator), e.g. reconsideration_body", st)
    sp.add_argument("key")
    sp.add_argument("value")
    add_clerk(sp)
