"""The counter's commands: `guide` (导办单) and `prereview import|list|accept` (网上预审)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.cli.common import _actor, _print_json, _read_json_file, _services, add_clerk
from desktop.core.errors import BadInput


def guide_for_wrong_centre(svc, data: Any, error: BadInput, out: Path | None, clerk) -> None:
    """An intake refused for the wrong kind of centre (E_WRONG_CENTRE): its 导办单 is printed (into `out`, else
    the data folder's guides/) and the message says where it is."""
    if error.code != "E_WRONG_CENTRE" or not isinstance(data, dict) or not isinstance(data.get("matter"), str):
        return
    code = data["matter"].strip()
    folder = out or svc.home / "guides"
    stamp = svc.clock().strftime("%Y%m%d-%H%M%S")
    path = svc.print_guide(matter_code=code, out=folder / f"guide-{code}-{stamp}.pdf", clerk=clerk)
    error.message += f" 已打印导办单：{path}"


def cmd_guide(args) -> int:
    svc = _services(args)
    try:
        path = svc.print_guide(matter_code=args.matter, out=Path(args.out))
        _print_json({"matter": args.matter, "pdf": str(path)})
    finally:
        svc.close()
    return 0


def add_counter_commands(sub, add) -> None:
    sp = add("guide", cmd_guide, "print the 导办单 of a matter: the centres that take it (from the catalogue's "
             "centre directory), what to bring, the online route for online_full matters")
    sp.add_argument("matter", help="matter code")
    sp.add_argument("--out", required=True, help="the PDF to write")
    add_prereview_commands(sub, add)


def cmd_prereview_import(args) -> int:
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        numbers = svc.import_prereviews(data=_read_json_file(args.file), clerk=clerk)
        _print_json({"imported": numbers})
    finally:
        svc.close()
    return 0


def cmd_prereview_list(args) -> int:
    svc = _services(args)
    try:
        items = svc.find_prereviews(app_no=args.app_no, id_no=args.id_no, waiting_only=args.waiting)
        _print_json([i.as_json() for i in items])
    finally:
        svc.close()
    return 0


def cmd_prereview_accept(args) -> int:
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        out = svc.check_out_dir(Path(args.out)) if args.out else None
        _print_json(svc.accept_prereview(app_no=args.app_no, clerk=clerk, out_dir=out, paper=args.paper).as_json())
    finally:
        svc.close()
    return 0


def add_prereview_commands(sub, add) -> None:
    pre = sub.add_parser("prereview", help="网上预审: pre-reviewed online applications").add_subparsers(
        dest="sub", required=True)
    sp = add("import", cmd_prereview_import, "import a pre-review file (one object or a list; unknown fields "
             "refused)", pre)
    sp.add_argument("file")
    add_clerk(sp)
    sp = add("list", cmd_prereview_list, "find pre-reviews by application number or ID number", pre)
    who = sp.add_mutually_exclusive_group(required=True)
    who.add_argument("--app-no")
    who.add_argument("--id-no")
    sp.add_argument("--waiting", action="store_true", help="only those not yet accepted")
    sp = add("accept", cmd_prereview_accept, "the originals checked: accept a pre-review as a case", pre)
    sp.add_argument("app_no")
    sp.add_argument("--out", help="also write the printed PDFs into this folder")
    add_clerk(sp)
    sp.add_argument("--paper", default="a4", choices=["a4", "roll80"])


def cmd_catalogue_changes(args) -> int:
    """What the current catalogue changed per matter for this clerk (null once acknowledged); --ack
    acknowledges it."""
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        changes = svc.catalogue_changes(clerk=clerk)
        if changes is not None and args.ack:
            svc.acknowledge_catalogue(version=changes.version, clerk=clerk)
        _print_json({"current": svc.current_catalogue_version(),
                     "changes": changes.as_json() if changes is not None else None,
                     "acknowledged": bool(args.ack and changes is not None)})
    finally:
        svc.close()
    return 0


def add_catalogue_changes(cat, add) -> None:
    sp = add("changes", cmd_catalogue_changes, "what the current catalogue version changed per matter "
             "(materials, limits), until the clerk acknowledges it (--ack)", cat)
    sp.add_argument("--ack", action="store_true", help="acknowledge the changes shown")
    add_clerk(sp)
