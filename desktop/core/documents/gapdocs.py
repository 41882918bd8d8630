"""The paper of 容缺 after the intake: the receipt (容缺材料补交回执) when a promised material is supplied, and
the reminder (容缺候补通知书) for the promised materials whose date passed unsupplied."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from reportlab.platypus import Flowable, Paragraph, Spacer

from desktop.core.errors import BadInput
from desktop.core.types import CaseMaterial, CaseRecord

from .blocks import case_head, fields_table, seal_block, section, signature_block, table
from .layout import Paper, Styles, build_pdf, paper_spec, styles
from .notices import HOTLINE, _centre_phone, _clerk, _footer, _matter_phrase, _salutation, _you
from .text import esc, fmt_date, fmt_datetime

RECEIPT_TITLE = "容缺材料补交回执"
REMINDER_TITLE = "容缺候补通知书"
REMINDER_WORKDAYS = 5  # working days the reminder gives, counted from its receipt


def _late(due: date | None, at: datetime) -> str:
    if due is None or at.date() <= due:
        return "按期补交"
    return f"逾期 {(at.date() - due).days} 日补交"


def _supplied_table(supplied: Sequence[Mapping[str, Any]], spec: Paper, st: Styles) -> Flowable:
    if spec.roll:
        rows = [[str(i), "<br/>".join((
            esc(x["name"]), f"承诺：{fmt_date(x['gap_due'])}", f"补交：{fmt_datetime(x['at'])}",
            _late(x["gap_due"], x["at"])))] for i, x in enumerate(supplied, 1)]
        return table(["序", "补交的材料"], rows, [5, 69], spec, st)
    rows = [[str(i), esc(x["name"]), fmt_date(x["gap_due"]), fmt_datetime(x["at"]), _late(x["gap_due"], x["at"])]
            for i, x in enumerate(supplied, 1)]
    return table(["序号", "材料名称", "承诺补交日期", "补交时间", "情况"], rows, [11, 55, 34, 40, 34], spec, st)


def render_gap_receipt(case: CaseRecord, *, supplied: Sequence[Mapping[str, Any]], paper: str = "a4",
                       reprint: int = 0) -> bytes:
    """Render the receipt for the 容缺 materials supplied so far: `supplied` holds, oldest first, each
    supply's {"code", "name", "gap_due", "at", "by"} (from the case history); the last is the one this
    receipt is printed for. Also lists what is still owed. Nothing supplied is BadInput (E_NO_SUPPLY)."""
    spec = paper_spec(paper)
    if not supplied:
        raise BadInput("E_NO_SUPPLY", "本案没有补交容缺材料的记录，无需出具补交回执。")
    st = styles(spec)
    story = case_head(case, RECEIPT_TITLE, spec, st, reprint=reprint)
    story.append(Spacer(1, 1.5 * spec.body))
    story.append(_salutation(case, st))
    story.append(Paragraph(f"{_you(case)}申请办理的{_matter_phrase(case)}经容缺受理，按《容缺受理承诺书》"
                           "补交的下列材料已收到：", st.indented))
    story.append(Spacer(1, 0.5 * spec.body))
    story.append(_supplied_table(supplied, spec, st))
    story.append(Spacer(1, 0.5 * spec.body))
    owed = [m for m in case.materials if m.state == "gap"]
    if owed:
        names = "；".join(f"{esc(m.name)}（{fmt_date(m.gap_due)}前）" for m in owed)
        story.append(Paragraph(f"尚待补交的容缺材料：{names}。", st.indented))
    else:
        story.append(Paragraph("本件容缺受理的材料已全部补齐。", st.indented))
    last = supplied[-1]
    story.append(signature_block([("补交人（签字）", ""), ("接收人", esc(last.get("by") or _clerk(case))),
                                  ("补交时间", fmt_datetime(last["at"]))], spec, st))
    story += seal_block("（受理专用章）", case, spec, st, on=last["at"].date())
    return build_pdf(story, spec, title=f"{RECEIPT_TITLE} {case.case_no}", footer=_footer(case, RECEIPT_TITLE, reprint))


def overdue_gaps(case: CaseRecord, on: date) -> tuple[CaseMaterial, ...]:
    """The 容缺 materials still owed whose promised date is before `on`."""
    return tuple(m for m in case.materials if m.state == "gap" and m.gap_due is not None and m.gap_due < on)


def render_gap_reminder(case: CaseRecord, *, issued_at: datetime, paper: str = "a4", reprint: int = 0) -> bytes:
    """Render the 容缺候补通知书 issued at `issued_at`: every 容缺 material still owed whose promised date
    passed before that day, what it must meet, and what follows if it is not supplied. None overdue is
    BadInput (E_NO_OVERDUE_GAP)."""
    spec = paper_spec(paper)
    overdue = overdue_gaps(case, issued_at.date())
    if not overdue:
        raise BadInput("E_NO_OVERDUE_GAP", f"办件 {case.case_no} 没有逾期未补交的容缺材料，无需出具容缺候补通知书。",
                       field="case_no")
    st = styles(spec)
    story = case_head(case, REMINDER_TITLE, spec, st, reprint=reprint)
    story.append(Spacer(1, 1.5 * spec.body))
    story.append(_salutation(case, st))
    story.append(Paragraph(
        f"{_you(case)}于{fmt_date(case.received_at.date())}申请办理的{_matter_phrase(case)}经容缺受理。"
        f"按{_you(case)}签署的《容缺受理承诺书》，下列材料应于承诺日期前补交，至{fmt_date(issued_at.date())}"
        f"仍未收到（共 {len(overdue)} 项）：", st.indented))
    story.append(Spacer(1, 0.5 * spec.body))
    if spec.roll:
        rows = [[str(i), "<br/>".join((esc(m.name), f"应符合：{esc(m.standard) or '按办事指南要求'}",
                                       f"承诺补交：{fmt_date(m.gap_due)}"))] for i, m in enumerate(overdue, 1)]
        story.append(table(["序", "逾期未补交的材料"], rows, [5, 69], spec, st))
    else:
        rows = [[str(i), esc(m.name), esc(m.standard) or "按办事指南要求", fmt_date(m.gap_due)]
                for i, m in enumerate(overdue, 1)]
        story.append(table(["序号", "材料名称", "应符合的标准", "承诺补交日期"], rows, [11, 50, 75, 38], spec, st))
    story.append(Spacer(1, 0.5 * spec.body))
    story.append(Paragraph(
        f"请自收到本通知书之日起 {REMINDER_WORKDAYS} 个工作日内，携带本通知书到本中心综合窗口补交上述材料。"
        "逾期仍未补交或者所补材料不符合要求的，将按照《容缺受理承诺书》的约定处理，"
        "行政机关可以依法终止办理或者撤销相关决定。", st.indented))
    story.append(section("联系方式", st))
    story.append(fields_table([("经办人", _clerk(case), False), ("联系电话", _centre_phone(case), False),
                               ("咨询投诉", HOTLINE, True)], spec, st))
    story.append(signature_block([("窗口工作人员（签名）", ""), ("申请人（签收）", ""),
                                  ("告知日期", fmt_date(issued_at.date()))], spec, st))
    story += seal_block("（受理专用章）", case, spec, st, on=issued_at.date())
    return build_pdf(story, spec, title=f"{REMINDER_TITLE} {case.case_no}",
                     footer=_footer(case, REMINDER_TITLE, reprint))
