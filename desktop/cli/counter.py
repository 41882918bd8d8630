"""The counter's commands: `guide` (导办单) and `prereview import|list|accept` (网上预审)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from desktop.cli.common import _print_json, _services
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
