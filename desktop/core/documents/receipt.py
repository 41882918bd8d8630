"""The delivery receipt (送达回执) signed when a case's result is handed over, on A4 or an 80 mm roll."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import Flowable, Paragraph, Spacer

from desktop.core.errors import BadInput
from desktop.core.labels import DELIVERY_LABELS, RECEIVER_LABELS
from desktop.core.privacy import mask_id
from desktop.core.types import CaseRecord, Clerk, Enterprise

from .blocks import case_head, fields_table, reprint_mark, section, signature_block
from .layout import build_pdf, paper_spec, styles
from .text import esc, fmt_datetime

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
) -> bytes:
    """Render the delivery receipt (送达回执) of a case: the case head, the result delivered, the method
    (window 窗口领取 / express 快递寄送 / e_licence 电子证照), the receiver's name and masked ID, and
    lines for the receiver's signature and the delivery time.

    `delivered_at` prints the time (else a line to fill in by hand); `clerk` is who hands over (default
    the clerk who received the case); `tracking_no` is printed for express. An unknown `how` is
    BadInput("E_DELIVERY"), an empty receiver name BadInput("E_FIELD_REQUIRED").
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
    story: list[Flowable] = case_head(case, "送达回执", spec, st, reprint=reprint)

    story.append(section("送达内容", st))
    fields = [
        ("办理结果", _result_text(case), True),
        ("实施部门", esc(case.matter.department), False),
        ("送达方式", DELIVERY_LABELS[how], False),
    ]
    if how == "express":
        fields.append(("快递单号", esc(tracking_no.strip()) or "—", True))
    fields += [
        (receiver_label, f"{esc(receiver_name)}{_relation(case, receiver_name)}", False),
        ("证件号码", esc(mask_id(receiver_id_no)) or "—", False),
        ("经办人", f"{esc(who.name)}（工号 {esc(who.staff_no)}）", False),
        ("咨询电话", esc(case.window.phone) or "—", False),
    ]
    story.append(fields_table(fields, spec, st))
    story.append(Spacer(1, 0.8 * spec.body))
    if how == "e_licence":
        statement = "上述办理结果已以电子证照形式发放，本人已知悉，可通过“一网通办”查询、下载和使用。"
    elif how == "express":
        statement = "上述办理结果已通过快递送达，本人已签收，核对无误。"
    else:
        statement = "本人已在窗口领取上述办理结果，当场核对无误。"
    story.append(Paragraph(statement, st.indented))
    story.append(
        signature_block(
            [
                (f"{receiver_label}（签字）", ""),
                ("送达时间", fmt_datetime(delivered_at) if delivered_at else _BLANK_TIME),
                ("窗口工作人员（签名）", ""),
            ],
            spec,
            st,
        )
    )
    mark = reprint_mark(reprint)
    footer = f"{case.window.centre_name}　送达回执　办件编号 {case.case_no}" + (f"　{mark}" if mark else "")
    return build_pdf(story, spec, title=f"送达回执 {case.case_no}", footer=footer)
