"""The receipt voucher (收件凭证) handed over for every intake, on A4 or an 80 mm roll."""

from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph, Spacer

from desktop.core.cases.limits import PENDING_TEXT
from desktop.core.types import FORM_LABELS, STATE_LABELS, CaseMaterial, CaseRecord

from .blocks import case_head, fields_table, reprint_mark, section, signature_block, table
from .codes import qr_pair
from .layout import Paper, Styles, build_pdf, paper_spec, styles
from .text import esc, fmt_date, query_url, rating_url

#: Materials the applicant still owes are not "received": they go on the one-time notice.
_OWED = ("missing", "defective")
_NOT_HANDED_OVER = ("e_licence", "commitment", "gap")
#: outcomes without a decision clock: no promised or statutory date is printed
_NO_CLOCK = ("refused", "consultation")


def _state_text(m: CaseMaterial) -> str:
    label = STATE_LABELS.get(m.state, m.state)
    if m.state == "gap" and m.gap_due is not None:
        return f"{label}（{fmt_date(m.gap_due)}前补交）"
    return label


def _materials(case: CaseRecord, paper: Paper, st: Styles) -> list[Flowable]:
    received = [m for m in case.materials if m.state not in _OWED]
    owed = [m for m in case.materials if m.state in _OWED]
    story: list[Flowable] = [section("收取材料", st)]
    rows = []
    for i, m in enumerate(received, 1):
        form = esc(FORM_LABELS.get(m.form, m.form))
        copies = "—" if m.state in _NOT_HANDED_OVER else f"{int(m.copies)}"
        state = esc(_state_text(m))
        if paper.roll:
            rows.append([str(i), esc(m.name), form if copies == "—" else f"{form} {copies}份", state])
        else:
            rows.append([str(i), esc(m.name), form, copies, state])
    if not rows:
        rows.append(["", "（未收取材料）", "", "", ""][: 4 if paper.roll else 5])
    if paper.roll:
        story.append(table(["序", "材料名称", "形式份数", "收取情况"], rows, [5, 33, 15, 21], paper, st))
    else:
        story.append(
            table(
                ["序号", "材料名称", "原件/复印件", "份数", "收取情况"], rows, [11, 83, 26, 13, 41], paper, st
            )
        )
    if owed:
        names = "、".join(esc(m.name) for m in owed)
        story.append(Spacer(1, 1 * paper.body))
        story.append(Paragraph(f"另有 {len(owed)} 项材料需补正：{names}。详见一次性告知单。", st.small))
    return story


def _clock_text(case: CaseRecord) -> str:
    """When the clock starts: the 受理 date is the day the file became complete (after 补正 that day)."""
    complete = fmt_date(case.accepted_on or case.received_at.date())
    if case.outcome == "completed":
        return f"已于{complete}当场办结"
    if case.outcome == "accepted":
        return f"自{complete}受理，次日起按工作日计算（法定节假日除外）"
    if case.outcome == "notice" or case.gaps:
        return "自材料补齐之日起计算（补齐前不计时限）"
    if case.outcome == "refused":
        return "不予受理，不计算办理时限"
    if case.outcome == "consultation":
        return "咨询登记，不计算办理时限"
    return "自受理之日起计算"


def _deadlines(case: CaseRecord, paper: Paper, st: Styles) -> list[Flowable]:
    m = case.matter
    promised_label = "承诺办结日期" + ("（提前办结）" if m.early_completion else "")
    pending = case.deadline_pending and case.outcome == "accepted"
    if case.outcome in _NO_CLOCK:  # a refused case (or a consultation) is promised nothing
        fields = [(promised_label, "—", False), ("法定办结日期", "—", False), ("时限起算", _clock_text(case), True)]
        return [section("办理时限", st), fields_table(fields, paper, st)]
    if case.promised_date is not None:
        promised = fmt_date(case.promised_date)
    elif case.outcome == "completed":
        promised = "当场办结"
    elif pending:
        promised = PENDING_TEXT
    else:
        promised = f"材料齐全后 {int(m.promised_days)} 个工作日内" if m.promised_days else "—"
    if case.statutory_date is not None:
        statutory = fmt_date(case.statutory_date)
    elif m.statutory_days is None:
        statutory = "无法定时限"
    elif pending:
        statutory = PENDING_TEXT
    else:
        statutory = f"受理后 {int(m.statutory_days)} 个工作日"
    fields = [
        (promised_label, promised, False),
        ("法定办结日期", statutory, False),
        ("时限起算", _clock_text(case), True),
    ]
    return [section("办理时限", st), fields_table(fields, paper, st)]


def render_voucher(case: CaseRecord, *, paper: str = "a4", reprint: int = 0) -> bytes:
    """Render the receipt voucher (收件凭证) of a case as PDF bytes; paper 'a4' or 'roll80'.

    Pure function of its arguments (no I/O besides the one-off font registration); safe to run
    on a worker thread.
    """
    spec = paper_spec(paper)
    st = styles(spec)
    story = case_head(case, "收件凭证", spec, st, reprint=reprint)
    marks = ([f"网上预审申请编号：{esc(case.online_app_no)}"] if case.online_app_no else []) + (
        ["节假日办理（办理时限自下一个工作日起算）"] if case.holiday else [])
    if marks:
        story.append(Paragraph("　".join(marks), st.body))
    story += _materials(case, spec, st)
    story += _deadlines(case, spec, st)
    story.append(section("查询与评价", st))
    story.append(
        qr_pair(
            [(query_url(case), "扫码查询办理进度"), (rating_url(case), "扫码评价窗口服务（好差评）")],
            spec,
            st,
        )
    )
    story.append(Spacer(1, 1.5 * spec.body))
    story.append(
        Paragraph(
            "请妥善保管本凭证，凭办件编号查询办理进度、领取办理结果。办事不收取任何加急费用。", st.small
        )
    )
    story.append(signature_block([("申请人（签字）", "")], spec, st))
    mark = reprint_mark(reprint)
    footer = f"{case.window.centre_name}　收件凭证　办件编号 {case.case_no}" + (f"　{mark}" if mark else "")
    return build_pdf(story, spec, title=f"收件凭证 {case.case_no}", footer=footer)
