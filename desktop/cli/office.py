"""The `office ...` commands: the back office of a department, on a PC without `yichuang init`.

    yichuang office --central URL --ca-cert CA.pem status          (the first call stores URL and CA)
    yichuang office inbox --clerk LOGIN                           (YICHUANG_PASSWORD or a prompt)
    yichuang office sign BATCH_NO --clerk LOGIN
    yichuang office return BATCH_NO --reason R --clerk LOGIN
    yichuang office cases --clerk LOGIN
    yichuang office case CASE_NO --clerk LOGIN
    yichuang office review CASE_NO --step handle|review --opinion TEXT --clerk LOGIN
    yichuang office decide CASE_NO approve --doc-name N --doc-no NO [--e-licence REF] [--copies K] --clerk LOGIN
    yichuang office decide CASE_NO deny --reason R --clerk LOGIN
    yichuang office pause CASE_NO --reason R --clerk LOGIN        (听证、检验、检测、鉴定、专家评审…)
    yichuang office resume CASE_NO --clerk LOGIN
    yichuang office extend CASE_NO --days N --reason R --approver NAME --clerk LOGIN   (once, N ≤ 10)

Input is checked first (exit 2, Chinese, nothing sent or stored); then the link (a new --central/--ca-cert
is stored only once the centre answered over it); then the staff member's password; then the action."""

from __future__ import annotations

import argparse
from pathlib import Path

from desktop.cli.common import PASSWORD_ENV, _password, _print_json, add_clerk


def _services(args):
    from desktop.core.office import OfficeServices

    svc = OfficeServices(Path(args.home))
    if args.central is not None or args.ca_cert is not None:
        svc.configure(central_url=args.central, ca_cert=args.ca_cert)
    return svc


def _credentials(args) -> tuple[str, str]:
    """--clerk and the password (YICHUANG_PASSWORD or a prompt), before anything goes to the centre."""
    from desktop.core.errors import AuthError

    login = getattr(args, "clerk", None)
    if not login:
        raise AuthError("E_NO_CLERK", f"请用 --clerk 指定工作人员的登录名（密码由环境变量 {PASSWORD_ENV} 或终端提示输入）",
                        field="clerk")
    password = _password(PASSWORD_ENV, f"工作人员 {login} 的密码：")
    if password is None:
        raise AuthError("E_NO_PASSWORD", f"缺少工作人员 {login} 的密码：请设置环境变量 {PASSWORD_ENV}，或在终端中运行以输入密码",
                        field="clerk")
    return login, password


def _run(args, action, *, needs_staff: bool = True) -> int:
    credentials = _credentials(args) if needs_staff else None
    svc = _services(args)
    try:
        staff = svc.sign_in(login=credentials[0], password=credentials[1]) if credentials else None
        _print_json(action(svc, staff))
    finally:
        svc.close()
    return 0


def cmd_office_status(args) -> int:
    return _run(args, lambda svc, _staff: {**svc.info().as_json(), "home": str(svc.home)}, needs_staff=False)


def cmd_office_inbox(args) -> int:
    return _run(args, lambda svc, staff: [b.as_json() for b in svc.inbox(staff=staff)])


def cmd_office_sign(args) -> int:
    from desktop.core.office import forms

    batch_no = forms.ref(args.batch_no, "batch_no", "批次号")
    return _run(args, lambda svc, staff: {"batch_no": batch_no, "action": "sign", "staff": staff.login,
                                          "result": svc.sign(staff=staff, batch_no=batch_no)})


def cmd_office_return(args) -> int:
    from desktop.core.office import forms

    batch_no = forms.ref(args.batch_no, "batch_no", "批次号")
    reason = forms.reason(args.reason, "退回理由")
    return _run(args, lambda svc, staff: {"batch_no": batch_no, "action": "return", "staff": staff.login,
                                          "reason": reason,
                                          "result": svc.return_batch(staff=staff, batch_no=batch_no, reason=reason)})


def cmd_office_cases(args) -> int:
    return _run(args, lambda svc, staff: [c.as_json() for c in svc.cases(staff=staff)])


def cmd_office_case(args) -> int:
    from desktop.core.office import forms

    case_no = forms.ref(args.case_no, "case_no", "办件编号")
    return _run(args, lambda svc, staff: svc.case(staff=staff, case_no=case_no).as_json())


def cmd_office_review(args) -> int:
    from desktop.core.office import forms

    step = forms.review_step(args.step)
    case_no = forms.ref(args.case_no, "case_no", "办件编号")
    opinion = forms.opinion(args.opinion)
    return _run(args, lambda svc, staff: {
        "case_no": case_no, "step": step, "staff": staff.login,
        "result": svc.review(staff=staff, case_no=case_no, step=step, opinion=opinion)})


def cmd_office_decide(args) -> int:
    from desktop.core.office import forms

    case_no = forms.ref(args.case_no, "case_no", "办件编号")
    decision = forms.decision(args.decision, doc_name=args.doc_name, doc_no=args.doc_no,
                              e_licence_ref=args.e_licence, copies=args.copies, reason_text=args.reason)
    return _run(args, lambda svc, staff: {
        "case_no": case_no, "decision": decision.wire(), "staff": staff.login,
        "result": svc.decide(staff=staff, case_no=case_no, decision=decision)})


def cmd_office_pause(args) -> int:
    from desktop.core.office import forms

    case_no = forms.ref(args.case_no, "case_no", "办件编号")
    reason = forms.reason(args.reason, "暂停理由")
    return _run(args, lambda svc, staff: {"case_no": case_no, "action": "pause", "staff": staff.login,
                                          "result": svc.pause(staff=staff, case_no=case_no, reason=reason)})


def cmd_office_resume(args) -> int:
    from desktop.core.office import forms

    case_no = forms.ref(args.case_no, "case_no", "办件编号")
    return _run(args, lambda svc, staff: {"case_no": case_no, "action": "resume", "staff": staff.login,
                                          "result": svc.resume(staff=staff, case_no=case_no)})


def cmd_office_extend(args) -> int:
    from desktop.core.office import forms

    case_no = forms.ref(args.case_no, "case_no", "办件编号")
    days = forms.extension_days(args.days)
    reason = forms.reason(args.reason, "延长理由")
    approver = forms.approver(args.approver)
    return _run(args, lambda svc, staff: {
        "case_no": case_no, "action": "extend", "days": days, "approver": approver, "staff": staff.login,
        "result": svc.extend(staff=staff, case_no=case_no, days=days, reason=reason, approver=approver)})


def add_office_commands(sub, add) -> None:
    """Register `office ...` on the top-level subparsers `sub` (`add` is build_parser's leaf helper)."""
    off = sub.add_parser("office", help="the back office of a department (no init: settings in the data folder)")
    off.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    off.add_argument("--central", help="the department's login URL (yichuang central add-department); stored once "
                     "the centre answered over it, the password in the keyring")
    off.add_argument("--ca-cert", help="the centre's CA certificate (PEM), copied into the data folder and pinned")
    osub = off.add_subparsers(dest="sub", required=True)

    add("status", cmd_office_status, "which centre and department this PC serves (JSON)", osub)
    sp = add("inbox", cmd_office_inbox, "transfer batches addressed to the department (JSON)", osub)
    add_clerk(sp)
    sp = add("sign", cmd_office_sign, "签收 a batch that was sent", osub)
    sp.add_argument("batch_no")
    add_clerk(sp)
    sp = add("return", cmd_office_return, "退回 a batch that was sent, with a reason", osub)
    sp.add_argument("batch_no")
    sp.add_argument("--reason")
    add_clerk(sp)
    sp = add("cases", cmd_office_cases, "cases signed for or in review, with deadlines and the next step (JSON)", osub)
    add_clerk(sp)
    sp = add("case", cmd_office_case, "one case of the department with its steps and decision (JSON)", osub)
    sp.add_argument("case_no")
    add_clerk(sp)
    sp = add("review", cmd_office_review, "record a review step (handle 承办, review 审核) with an opinion", osub)
    sp.add_argument("case_no")
    sp.add_argument("--step", required=True, help="handle | review (the decision is `office decide`)")
    sp.add_argument("--opinion")
    add_clerk(sp)
    sp = add("decide", cmd_office_decide, "approve (document name, number, e-licence, copies) or deny (reason)", osub)
    sp.add_argument("case_no")
    sp.add_argument("decision", help="approve | deny")
    sp.add_argument("--doc-name")
    sp.add_argument("--doc-no")
    sp.add_argument("--e-licence", help="the e-licence reference (approve)")
    sp.add_argument("--copies", help="copies of the result document (approve; default 1)")
    sp.add_argument("--reason", help="why it is denied (deny)")
    add_clerk(sp)
    sp = add("pause", cmd_office_pause, "暂停计时: stop the decision clock of a case held here, with a reason", osub)
    sp.add_argument("case_no")
    sp.add_argument("--reason", help="听证、检验、检测、鉴定、专家评审…")
    add_clerk(sp)
    sp = add("resume", cmd_office_resume, "恢复计时: the windows move the dates by the paused working days", osub)
    sp.add_argument("case_no")
    add_clerk(sp)
    sp = add("extend", cmd_office_extend, "延长期限 once by 1..10 working days, with a reason and the approver", osub)
    sp.add_argument("case_no")
    sp.add_argument("--days", help="working days (1..10, Art. 42)")
    sp.add_argument("--reason")
    sp.add_argument("--approver", help="the head who approved the extension (name)")
    add_clerk(sp)
