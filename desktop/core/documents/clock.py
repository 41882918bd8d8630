"""The written notice of a change to a case's decision clock (办理期限告知书): a pause for a hearing,
inspection, testing, appraisal or expert review (行政许可法 Art. 45), its end, or an extension (Art. 42),
each with the reason and the dates as they now stand."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import Paragraph, Spacer

from desktop.core.cases.limits import PENDING_TEXT
from desktop.core.errors import BadInput
from desktop.core.types import CaseRecord

from .blocks import case_head, entrusted, fields_table, seal_block, section, signature_block
from .layout import build_pdf, paper_spec, styles
from .notices import HOTLINE, LICENSING_LAW, _centre_phone, _clerk, _footer, _matter_phrase, _salutation, _you
from .text import esc, fmt_date

#: clock event -> the notice's title
TITLES = {
    "clock.paused": "暂停计算办理期限告知书",
    "clock.resumed": "恢复计算办理期限告知书",
    "clock.extended": "延长办理期限告知书",
}


def render_clock_notice(case: CaseRecord, *, event: str, event_at: datetime, reason: str = "", days: int = 0,
                        paused_at: datetime | None = None, paper: str = "a4", reprint: int = 0,
                        number: str = "") -> bytes:
    """Render the notice of a pause (`clock.paused`), resume (`clock.resumed`, `days` not counted) or
    extension (`clock.extended` by `days` working days) of an accepted case, with the reason, the dates
    the case now has, a seal area, the date of the change and the document number."""
    title = TITLES.get(event)
    if title is None:
        raise BadInput("E_CLOCK_EVENT", f"未知的办理期限变更：{event}", field="event")
    spec = paper_spec(paper)
    st = styles(spec)
    m = case.matter
    head = {"number_label": "文号", "number": esc(number)} if number else {}
    story = case_head(case, title, spec, st, reprint=reprint, **head)
    story.append(Spacer(1, 2 * spec.body))
    story.append(_salutation(case, st))
    accepted_on = case.accepted_on or case.received_at.date()
    intro = f"{_you(case)}于{fmt_date(case.received_at.date())}提出的{_matter_phrase(case)}申请，" \
            f"已于{fmt_date(accepted_on)}受理。"
    approver = f"经{esc(m.department)}负责人批准" if entrusted(case) else "经本行政机关负责人批准"
    on = fmt_date(event_at.date())
    why = esc(reason.strip()) or "依法需要听证、检验、检测、鉴定或者专家评审"
    if event == "clock.paused":
        body = (f"{intro}因{why}，根据{LICENSING_LAW}第四十五条的规定，自{on}起，所需时间不计算在办理期限内。"
                "上述程序结束后恢复计算办理期限，届时另行书面告知调整后的办结日期。")
    elif event == "clock.resumed":
        since = f"自{fmt_date(paused_at.date())}起" if paused_at else ""
        body = (f"{intro}{since}因{why}暂停计算的办理期限，自{on}起恢复计算。根据{LICENSING_LAW}第四十五条的"
                f"规定，暂停期间共 {int(days)} 个工作日不计算在办理期限内，办结日期相应调整如下。")
    else:
        body = (f"{intro}因{why}，不能在规定期限内作出决定，{approver}，根据{LICENSING_LAW}"
                f"第四十二条第一款的规定，办理期限延长 {int(days)} 个工作日。调整后的办结日期如下。")
    story.append(Paragraph(body, st.indented))
    story.append(section("办理期限", st))
    pending = PENDING_TEXT if case.deadline_pending else "—"
    if event == "clock.paused":
        dates = [("暂停计算日期", on, False), ("暂停理由", why, True),
                 ("办结日期", "恢复计算后另行告知", True)]
    else:
        dates = [("承诺办结日期", fmt_date(case.promised_date, pending), False),
                 ("法定办结日期", fmt_date(case.statutory_date, "无法定时限" if m.statutory_days is None else pending),
                  False)]
        dates.append(("延长理由" if event == "clock.extended" else "暂停理由", why, True))
        if case.extended_days:
            dates.append(("累计延长", f"{int(case.extended_days)} 个工作日（最多 10 个工作日）", True))
    dates.append(("联系电话", _centre_phone(case) or "—", False))
    dates.append(("咨询投诉", HOTLINE, False))
    story.append(fields_table(dates, spec, st))
    story.append(signature_block([("窗口工作人员", _clerk(case)), ("申请人（签收）", "")], spec, st))
    story += seal_block("（印章）", case, spec, st, on=event_at.date())
    return build_pdf(story, spec, title=f"{title} {case.case_no}", footer=_footer(case, title, reprint))
