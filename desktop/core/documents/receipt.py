"""The delivery receipt (送达回执) signed when a case's result is handed over, on A4 or an 80 mm roll."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from reportlab.platypus import Flowable, Paragraph, Spacer

from desktop.core.clock import SHANGHAI
from desktop.core.errors import BadInput
from desktop.core.labels import DELIVERY_LABELS, RECEIVER_LABELS
from desktop.core.privacy import mask_id
from desktop.core.types import CaseRecord, Clerk, Enterprise

from .blocks import case_head, fields_table, reprint_mark, section, signature_block
from .layout import build_pdf, paper_spec, styles
from .text import clerk_text, esc, fmt_date, fmt_datetime

#: what the person receiving is called, by method
_BLANK_TIME = "____年__月__日 __时__分"


def _result_text(case: CaseRecord) -> str:
    """The result delivered: the note recorded at the window, else the matter's result."""
    if case.result_note.strip():
        return esc(case.result_note.strip())
    return f"“{esc(case.matter.name)}”办理结果"


def _relation(case: CaseRecord, receiver_name: str) -> str:
    """'（申请人本人）' / '（代理人）' / '（申请单位联系人）' when the receiver is a known party, else ''."""
    a = case.applicant
    if isinstance(a, Enterprise):
        if receiver_name == a.contact.name:
            return "（申请单位联系人）"
    elif receiver_name == a.name:
        return "（申请人本人）"
    if case.agent is not None and receiver_name == case.agent.name:
        return "（代理人）"
    return ""


DECISION_LABELS = {"approve": "准予许可", "deny": "不予许可"}


def decision_fields(decision: Mapping[str, Any] | None) -> list[tuple[str, str, bool]]:
    """The decision handed over, as the back office made it and the centre sent it: 准予许可 with the document
    name and number, the copies and the e-licence reference, or 不予许可 with its reason; the deciding
    department and date. [] when the case carries no decision (当场办结, or decided before the loop)."""
    if not decision or decision.get("decision") not in DECISION_LABELS:
        return []
    kind = decision["decision"]
    label = DECISION_LABELS[kind] + ("（决定已更正）" if decision.get("corrected") else "")
    rows: list[tuple[str, str, bool]] = [("决定", label, False)]
    if kind == "approve":
        doc = esc(decision.get("doc_name") or "") or "—"
        if decision.get("doc_no"):
            doc += f"（{esc(decision['doc_no'])}）"
        rows.append(("决定文书", doc, True))
        rows.append(("份数", f"{int(decision.get('copies') or 1)} 份", False))
        if decision.get("e_licence_ref"):
            rows.append(("电子证照", esc(decision["e_licence_ref"]), True))
    elif decision.get("reason"):
        rows.append(("不予许可理由", esc(decision["reason"]), True))
    rows.append(("决定部门", esc(decision.get("department") or "") or "—", True))
    rows.append(("决定日期", fmt_date(_day(decision.get("decided_at"))), False))
    return rows


def _day(value: Any) -> date | None:
    if not value:
        return None
    t = datetime.fromisoformat(str(value))
    return (t.astimezone(SHANGHAI) if t.tzinfo else t).date()


def _statement(how: str, *, posted: bool, tracking_no: str, signed_at: datetime | None,
               delivered_at: datetime | None) -> str:
    if how == "e_licence":
        return "上述办理结果已以电子证照形式发放，本人已知悉，可通过“一网通办”查询、下载和使用。"
    if how == "express" and posted and signed_at is None:
        when = fmt_datetime(delivered_at) if delivered_at else "____年__月__日"
        return (f"上述办理结果已交寄（快递单号 {esc(tracking_no)}，交寄时间 {when}），待收件人签收；"
                "签收后另行出具送达回执。")
    if how == "express" and posted:
        return (f"上述办理结果已通过快递送达（单号 {esc(tracking_no)}），据快递签收记录，收件人已于 "
                f"{fmt_datetime(signed_at)} 签收。")
    if how == "express":
        return "上述办理结果已通过快递送达，本人已签收，核对无误。"
    return "本人已在窗口领取上述办理结果，当场核对无误。"


def render_delivery_receipt(
    case: CaseRecord,
    *,
    receiver_name: str,
    receiver_id_no: str = "",
    how: str = "window",
    paper: str = "a4",
    reprint: int = 0,
    delivered_at: datetime | None = None,
    clerk: Clerk | None = None,
    tracking_no: str = "",
    decision: Mapping[str, Any] | None = None,
    e_licence_ref: str = "",
    posted: bool = False,
    signed_at: datetime | None = None,
) -> bytes:
    """Render the delivery receipt (送达回执) of a case: the case head, the result delivered and the decision
    it carries (`decision`, as the centre sent it: see decision_fields), the method (window 窗口领取 / express
    快递寄送 / e_licence 电子证照), the receiver's name and masked ID, and lines for the signatures and time.

    `delivered_at` prints the time (else a line to fill in by hand); `clerk` is who hands over (default
    the clerk who received the case); `tracking_no` is printed for express. Express in two steps: `posted`
    (handed to the courier: the receipt says 已交寄 with the tracking number and is signed by the clerk who
    posted it, never "本人已签收"), then `signed_at` (the courier's proof of delivery: the final receipt).
    `e_licence_ref` is the e-licence's reference. An unknown `how` is BadInput("E_DELIVERY"), an empty
    receiver name BadInput("E_FIELD_REQUIRED").
    """
    if how not in DELIVERY_LABELS:
        raise BadInput(
            "E_DELIVERY",
            "送达方式应为 window（窗口领取）、express（快递）或 e_licence（电子证照）",
            field="how",
        )
    receiver_name = (receiver_name or "").strip()
    if not receiver_name:
        raise BadInput("E_FIELD_REQUIRED", "请填写领取人姓名", field="receiver_name")
    spec = paper_spec(paper)
    st = styles(spec)
    who = clerk or case.clerk
    receiver_label = RECEIVER_LABELS[how]
    posted = posted and how == "express"
    story: list[Flowable] = case_head(case, "送达回执", spec, st, reprint=reprint)

    story.append(section("送达内容", st))
    fields = [("办理结果", _result_text(case), True), *decision_fields(decision)]
    if not decision:
        fields.append(("实施部门", esc(case.matter.department), False))
    fields.append(("送达方式", DELIVERY_LABELS[how], False))
    if how == "express":
        fields.append(("快递单号", esc(tracking_no.strip()) or "—", True))
        if posted:
            fields.append(("交寄时间", fmt_datetime(delivered_at), False))
            fields.append(("签收状态", "已签收" if signed_at else "已交寄，待签收",
                           False))
    if how == "e_licence":
        ref = e_licence_ref or (decision or {}).get("e_licence_ref") or ""
        fields.append(("电子证照编号", esc(ref) or "—", True))
    fields += [
        (receiver_label, f"{esc(receiver_name)}{_relation(case, receiver_name)}", False),
        ("证件号码", esc(mask_id(receiver_id_no)) or "—", False),
        ("经办人", clerk_text(who), False),
        ("咨询电话", esc(case.window.phone) or "—", False),
    ]
    story.append(fields_table(fields, spec, st))
    story.append(Spacer(1, 0.8 * spec.body))
    story.append(Paragraph(_statement(how, posted=posted, tracking_no=tracking_no.strip(), signed_at=signed_at,
                                      delivered_at=delivered_at), st.indented))
    if posted and signed_at is None:
        lines = [("寄件经办人（签名）", ""),
                 ("交寄时间", fmt_datetime(delivered_at) if delivered_at else _BLANK_TIME)]
    elif posted:
        lines = [("窗口工作人员（签名）", ""), ("签收时间", fmt_datetime(signed_at))]
    else:
        lines = [
            (f"{receiver_label}（签字）", ""),
            ("送达时间", fmt_datetime(delivered_at) if delivered_at else _BLANK_TIME),
            ("窗口工作人员（签名）", ""),
        ]
    story.append(signature_block(lines, spec, st))
    mark = reprint_mark(reprint)
    footer = f"{case.window.centre_name}　送达回执　办件编号 {case.case_no}" + (f"　{mark}" if mark else "")
    return build_pdf(story, spec, title=f"送达回执 {case.case_no}", footer=footer)
