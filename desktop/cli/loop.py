"""The window's steps of the centre-wide loop on the command line: 补正, 结果送达, 查询, 更正, 撤回, 作废 and
材料流转 (`supplement`, `handover`, `lookup`, `correct`, `withdraw`, `void`, `transfer`). Each proves the
clerk (`--clerk` and the password) first, prints JSON, and refuses bad input with exit 2 and nothing stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from desktop.cli.common import _actor, _print_json, _read_json_file, _services, add_clerk
from desktop.core import caseno
from desktop.core.errors import BadInput

#: the one key of a `supplement` file
SUPPLEMENT_FIELDS = ("materials",)
DELIVERY_CHOICES = ("window", "express", "e_licence")


def add_loop_commands(sub, add) -> None:
    """Register the loop's commands on the `yichuang` parser (`add` is build_parser's helper)."""
    sp = add("supplement", cmd_supplement, "补正: the applicant brings what the one-time notice listed")
    sp.add_argument("case_no")
    sp.add_argument("file", help='JSON: {"materials": {code: state, ...}} (the materials brought now)')
    sp.add_argument("--out", help="also write the printed PDFs into this folder")
    sp.add_argument("--paper", default="a4", choices=["a4", "roll80"])
    add_clerk(sp)

    sp = add("handover", cmd_handover, "结果送达: hand the result over (window, express or e-licence); "
             "--courier-signed records an express delivery's proof")
    sp.add_argument("case_no")
    sp.add_argument("--receiver-name", default="")
    sp.add_argument("--receiver-id-no", default="")
    sp.add_argument("--by", default="window", choices=DELIVERY_CHOICES)
    sp.add_argument("--tracking", default="", help="the express tracking number (required with --by express)")
    sp.add_argument("--e-licence-ref", default="", help="the e-licence reference (default: the decision's)")
    sp.add_argument("--courier-signed", action="store_true",
                    help="the courier's proof of delivery of a result posted earlier (prints the final receipt)")
    sp.add_argument("--signed-at", default="", help="when the courier's receiver signed (ISO 8601; default now)")
    add_clerk(sp)

    sp = add("lookup", cmd_lookup, "find cases by number, exact ID number, applicant name or phone (JSON list)")
    which = sp.add_mutually_exclusive_group(required=True)
    which.add_argument("--case", dest="case_no")
    which.add_argument("--id-no")
    which.add_argument("--name")
    which.add_argument("--phone")
    add_clerk(sp)

    sp = add("correct", cmd_correct, "更正: correct the applicant / agent; printed documents are reprinted as 更正")
    sp.add_argument("case_no")
    sp.add_argument("file", help='JSON: {"applicant": {...}, "agent": {...}} (the corrected particulars)')
    sp.add_argument("--reason", required=True)
    sp.add_argument("--out", help="also write the reprinted PDFs into this folder")
    add_clerk(sp)

    sp = add("withdraw", cmd_withdraw, "撤回: the applicant withdraws the application")
    sp.add_argument("case_no")
    sp.add_argument("--reason", required=True)
    add_clerk(sp)

    sp = add("void", cmd_void, "作废: void a case entered in error (a supervisor)")
    sp.add_argument("case_no")
    sp.add_argument("--reason", required=True)
    add_clerk(sp)

    sp = add("transfer", cmd_transfer, "材料流转: put accepted cases into a batch for their department, or --list")
    sp.add_argument("case_nos", nargs="*", metavar="CASE_NO")
    sp.add_argument("--department", help="the deciding department (as in the catalogue)")
    sp.add_argument("--list", action="store_true", help="this window's batches and their state (JSON list)")
    sp.add_argument("--out", help="also write the manifest into this folder")
    sp.add_argument("--paper", default="a4", choices=["a4", "roll80"],
                    help="the manifest is printed on A4 whatever is asked")
    add_clerk(sp)


def _case_no(value: str) -> str:
    return caseno.normalise_case_no(value)


def cmd_supplement(args) -> int:
    case_no = _case_no(args.case_no)
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        out = svc.check_out_dir(Path(args.out)) if args.out else None
        data = _read_json_file(args.file)
        if not isinstance(data, Mapping):
            raise BadInput("E_FIELD_TYPE", '补正文件应为 JSON 对象：{"materials": {材料编码: 状态}}', field="file")
        for key in data:
            if key not in SUPPLEMENT_FIELDS:
                shown = key if key.isprintable() and len(key) <= 40 else repr(key)[:40]
                raise BadInput("E_FIELD_UNKNOWN", f"补正文件含有未知字段“{shown}”（可用字段：materials）",
                               field=key[:40])
        materials = data.get("materials")
        if not isinstance(materials, Mapping) or not materials:
            raise BadInput("E_FIELD_REQUIRED", "补正文件须列出本次带来的材料：{\"materials\": {材料编码: 状态}}",
                           field="materials")
        result = svc.supplement_case(case_no=case_no, materials=dict(materials), clerk=clerk, out_dir=out,
                                     paper=args.paper)
    finally:
        svc.close()
    _print_json(result.as_json())
    return 0


def _signed_at(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise BadInput("E_SIGNED_AT", f"签收时间“{value[:40]}”不是 ISO 8601 时间（如 2025-03-04T15:30）",
                       field="signed_at") from None


def cmd_handover(args) -> int:
    case_no = _case_no(args.case_no)
    if args.courier_signed:
        if args.receiver_name.strip() or args.tracking.strip() or args.by != "window":
            raise BadInput("E_COURIER_SIGNED", "--courier-signed 只登记快递签收：不要同时给出领取人、送达方式或单号",
                           field="courier_signed")
        signed_at = _signed_at(args.signed_at)
    else:
        if args.signed_at.strip():
            raise BadInput("E_SIGNED_AT", "--signed-at 只与 --courier-signed 一起使用", field="signed_at")
        if not args.receiver_name.strip():
            raise BadInput("E_FIELD_REQUIRED", "请用 --receiver-name 填写领取人姓名", field="receiver_name")
        if args.by == "express" and not args.tracking.strip():
            raise BadInput("E_TRACKING", "快递送达须用 --tracking 填写快递单号", field="tracking_no")
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        before = {d.path for d in svc.documents(case_no=case_no)}
        if args.courier_signed:
            svc.courier_signed(case_no=case_no, clerk=clerk, signed_at=signed_at)
        else:
            svc.hand_over_result(case_no=case_no, clerk=clerk, receiver_name=args.receiver_name,
                                 receiver_id_no=args.receiver_id_no, how=args.by, tracking_no=args.tracking,
                                 e_licence_ref=args.e_licence_ref)
        record = svc.case_record(case_no=case_no)
        delivery = svc.delivery(case_no=case_no)
        docs = [d.path for d in svc.documents(case_no=case_no) if d.path not in before]
    finally:
        svc.close()
    _print_json({"case_no": case_no, "status": record.status, "delivery": delivery, "documents": docs})
    return 0


def cmd_lookup(args) -> int:
    svc = _services(args)
    try:
        _actor(args, svc, "intake")
        hits = svc.lookup_cases(case_no=args.case_no, id_no=args.id_no, name=args.name, phone=args.phone)
    finally:
        svc.close()
    _print_json([h.as_json() for h in hits])
    return 0


def cmd_correct(args) -> int:
    case_no = _case_no(args.case_no)
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "case_correct")
        out = svc.check_out_dir(Path(args.out)) if args.out else None
        data = _read_json_file(args.file)
        change = svc.correct_case(case_no=case_no, changes=data, reason=args.reason, clerk=clerk, out_dir=out)
    finally:
        svc.close()
    _print_json(change.as_json())
    return 0


def _close(args, permission: str, action: str) -> int:
    case_no = _case_no(args.case_no)
    svc = _services(args)
    try:
        clerk = _actor(args, svc, permission)
        change = getattr(svc, action)(case_no=case_no, reason=args.reason, clerk=clerk)
    finally:
        svc.close()
    _print_json(change.as_json())
    return 0


def cmd_withdraw(args) -> int:
    return _close(args, "case_withdraw", "withdraw_case")


def cmd_void(args) -> int:
    return _close(args, "case_void", "void_case")


def _batch_json(info, queued: bool) -> dict:
    return {"batch_no": info.batch_no, "department": info.department, "channel": info.channel,
            "tracking_no": info.tracking_no, "state": "queued" if queued else info.state,
            "batch_state": info.state, "return_reason": info.return_reason,
            "cases": [c.case_no for c in info.cases], "created_at": info.created_at.isoformat(timespec="seconds"),
            "sent_at": info.sent_at.isoformat(timespec="seconds") if info.sent_at else None,
            "closed_at": info.closed_at.isoformat(timespec="seconds") if info.closed_at else None}


def cmd_transfer(args) -> int:
    if args.list:
        if args.department or args.case_nos or args.out:
            raise BadInput("E_ARGS", "--list 不能与 --department、办件编号或 --out 同时使用")
        svc = _services(args)
        try:
            batches = svc.transfers_queued()
        finally:
            svc.close()
        _print_json([_batch_json(info, queued) for info, queued in batches])
        return 0
    department = (args.department or "").strip()
    if not department:
        raise BadInput("E_FIELD_REQUIRED", "请用 --department 指定承接部门（或用 --list 列出流转单）", field="department")
    case_nos = [caseno.normalise_case_no(n, field="case_nos") for n in args.case_nos]
    if len(set(case_nos)) != len(case_nos):
        dup = next(n for n in case_nos if case_nos.count(n) > 1)
        raise BadInput("E_DUP_CASE", f"办件 {dup} 在命令中重复出现", field="case_nos")
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        out = svc.check_out_dir(Path(args.out)) if args.out else None
        if case_nos:
            svc.check_transferable(case_nos=case_nos)
        else:
            closed = svc.closed_case_nos()
            case_nos = [n for n in svc.awaiting_transfer(department=department).get(department, []) if n not in closed]
            if not case_nos:
                raise BadInput("E_NOTHING_TO_TRANSFER", f"没有待流转至“{department}”的已受理办件", field="department")
        # as the GUI's transfer screen: make the batch, print its manifest, mark it sent (online)
        info = svc.create_transfer(department=department, case_nos=case_nos, channel="online", clerk=clerk)
        doc = svc.print_transfer_manifest(batch_no=info.batch_no, clerk=clerk, out_dir=out)
        info = svc.advance_transfer(batch_no=info.batch_no, state="sent", clerk=clerk)
    finally:
        svc.close()
    _print_json({"batch_no": info.batch_no, "department": info.department,
                 "cases": [c.case_no for c in info.cases], "documents": [doc.path]})
    return 0
