"""The written notices of a case: one-time notice, acceptance, refusal and the 容缺受理 promise."""

from __future__ import annotations

from reportlab.platypus import Flowable, Paragraph, Spacer

from desktop.core.cases.limits import NOTICE_SUPPLY_DAYS, PENDING_TEXT
from desktop.core.errors import BadInput
from desktop.core.labels import REFUSAL_CATEGORY_LABELS
from desktop.core.privacy import mask_phone
from desktop.core.types import STATE_LABELS, CaseMaterial, CaseRecord, Enterprise

from .blocks import (
    case_head,
    entrusted,
    fields_table,
    person_id,
    reprint_mark,
    seal_block,
    section,
    signature_block,
    table,
)
from .layout import Paper, Styles, build_pdf, paper_spec, styles
from .text import clerk_text, esc, fmt_date, fmt_datetime

LICENSING_LAW = "《中华人民共和国行政许可法》"
HOTLINE = "12345 市民服务热线"
_BLANK_DATE = "____年__月__日"


def _footer(case: CaseRecord, title: str, reprint: int) -> str:
    mark = reprint_mark(reprint)
    return f"{case.window.centre_name}　{title}　办件编号 {case.case_no}" + (f"　{mark}" if mark else "")


def _number_head(number: str) -> dict[str, str]:
    """case_head arguments for a decision document's number (文号); none when rendered unnumbered."""
    return {"number_label": "文号", "number": esc(number)} if number else {}


def _salutation(case: CaseRecord, st: Styles) -> Paragraph:
    return Paragraph(f"{esc(case.applicant.name)}：", st.body)


def _you(case: CaseRecord) -> str:
    return "你单位" if isinstance(case.applicant, Enterprise) else "你"


def _matter_phrase(case: CaseRecord) -> str:
    m = case.matter
    return f"“{esc(m.name)}”（事项编码 {esc(m.code)}，办件编号 {esc(case.case_no)}）"


def _receipt_signatures(case: CaseRecord, spec: Paper, st: Styles) -> Flowable:
    """The clerk's and the applicant's signatures with the time received (the notices handed over)."""
    return signature_block(
        [("窗口工作人员", _clerk(case)), ("申请人（签收）", ""), ("收件时间", fmt_datetime(case.received_at))],
        spec,
        st,
    )


def _clerk(case: CaseRecord) -> str:
    return clerk_text(case.clerk)


def _contact_phone(case: CaseRecord) -> str:
    a = case.applicant
    phone = a.contact.phone if isinstance(a, Enterprise) else a.phone
    return esc(mask_phone(phone)) if phone else ""


def _centre_phone(case: CaseRecord) -> str:
    """The centre's contact phone (Window.phone), '' when not configured (a blank to write in)."""
    return esc(case.window.phone.strip())


def _render(story: list[Flowable], spec: Paper, case: CaseRecord, title: str, reprint: int) -> bytes:
    return build_pdf(story, spec, title=f"{title} {case.case_no}", footer=_footer(case, title, reprint))


# ---------------------------------------------------------------- 一次性告知单


def _gap_rows(gaps: tuple[CaseMaterial, ...], paper: Paper, st: Styles) -> Flowable:
    if paper.roll:
        rows = []
        for i, m in enumerate(gaps, 1):
            lines = [
                f"{esc(m.name)}【{esc(STATE_LABELS.get(m.state, m.state))}】",
                f"应符合：{esc(m.standard) or '按办事指南要求'}",
            ]
            if m.state == "defective":
                lines.append(f"原因：{esc(m.reason) or '不符合要求'}")
            rows.append([str(i), "<br/>".join(lines)])
        return table(["序", "需补正的材料及要求"], rows, [5, 69], paper, st)
    rows = []
    for i, m in enumerate(gaps, 1):
        reason = (esc(m.reason) or "不符合要求") if m.state == "defective" else "未提交"
        rows.append(
            [
                str(i),
                esc(m.name),
                esc(STATE_LABELS.get(m.state, m.state)),
                esc(m.standard) or "按办事指南要求",
                reason,
            ]
        )
    return table(["序号", "材料名称", "情况", "应符合的标准", "原因"], rows, [11, 47, 25, 53, 38], paper, st)


def render_one_time_notice(case: CaseRecord, *, paper: str = "a4", reprint: int = 0, number: str = "") -> bytes:
    """Render the one-time notice (一次性告知单 / 补正材料通知书) listing EVERY missing or defective
    material of the case with the standard it must meet. A case without gaps is BadInput. Its 告知时间,
    seal date and number are this notice's own (a second notice after 补正 is a new document)."""
    spec = paper_spec(paper)
    gaps = case.gaps
    if not gaps:
        raise BadInput("E_NO_GAPS", "本案没有缺少或不符合要求的材料，无需出具一次性告知单。")
    st = styles(spec)
    story = case_head(case, "一次性告知单", spec, st, reprint=reprint, subtitle="（补正材料通知书）",
                      **_number_head(number))
    story.append(Spacer(1, 2 * spec.body))
    story.append(_salutation(case, st))
    issued = case.issued_at
    again = issued > case.received_at  # a notice issued at a 补正 visit
    review = f"经{fmt_date(issued.date())}补正后审查，申请材料仍" if again else "经审查，申请材料"
    story.append(
        Paragraph(
            f"{_you(case)}于{fmt_date(case.received_at.date())}申请办理的{_matter_phrase(case)}，{review}"
            f"不齐全或者不符合法定形式。根据{LICENSING_LAW}第三十二条的规定，"
            f"现一次性告知需要补正的全部材料（共 {len(gaps)} 项）如下：",
            st.indented,
        )
    )
    story.append(Spacer(1, 0.5 * spec.body))
    story.append(_gap_rows(gaps, spec, st))
    story.append(Spacer(1, 0.5 * spec.body))
    due_date = case.supply_due or case.promised_date
    if due_date is None and case.deadline_pending:
        story.append(Paragraph(f"请于 {NOTICE_SUPPLY_DAYS} 个工作日内补齐上述材料，截止日期{PENDING_TEXT}。",
                               st.indented))
    else:
        due = fmt_date(due_date) if due_date else _BLANK_DATE
        story.append(Paragraph(f"请于{due}前补齐上述材料。", st.indented))
    story.append(
        Paragraph(
            "补齐后请携带本告知单到本中心综合窗口，本案继续办理，办件编号不变；办理时限自材料齐全之日起计算。"
            "除上述材料外，不要求提交其他材料。",
            st.indented,
        )
    )
    story.append(section("联系方式", st))
    story.append(
        fields_table(
            [
                ("经办人", _clerk(case), False),
                ("联系电话", _centre_phone(case), False),
                ("咨询投诉", HOTLINE, True),
            ],
            spec,
            st,
        )
    )
    story.append(
        signature_block(
            [
                ("窗口工作人员（签名）", ""),
                ("申请人（签收）", ""),
                ("告知时间", fmt_datetime(issued)),
            ],
            spec,
            st,
        )
    )
    story += seal_block("（受理专用章）", case, spec, st, on=issued.date())
    return _render(story, spec, case, "一次性告知单", reprint)


# ---------------------------------------------------------------- 受理通知书


def render_acceptance_notice(case: CaseRecord, *, paper: str = "a4", reprint: int = 0, number: str = "") -> bytes:
    """Render the acceptance notice (受理通知书) of an accepted case: accepted on the day the file became
    complete (after 补正 the supplement day), which is also the date under the seal."""
    spec = paper_spec(paper)
    st = styles(spec)
    m = case.matter
    story = case_head(case, "受理通知书", spec, st, reprint=reprint, **_number_head(number))
    story.append(Spacer(1, 2 * spec.body))
    story.append(_salutation(case, st))
    accepted_on = case.accepted_on or case.received_at.date()
    after_supplement = case.complete_at is not None and case.complete_at > case.received_at
    supplemented = f"，于{fmt_date(accepted_on)}补正后，" if after_supplement else "，"
    decider = f"{esc(m.department)}（本中心受其委托收件）" if entrusted(case) else ""
    story.append(
        Paragraph(
            f"{_you(case)}于{fmt_date(case.received_at.date())}提出的{_matter_phrase(case)}申请{supplemented}"
            f"申请材料齐全、符合法定形式。{decider}根据{LICENSING_LAW}第三十二条第一款第（五）项的规定，"
            f"决定予以受理，受理日期为{fmt_date(accepted_on)}。",
            st.indented,
        )
    )
    pending = [x for x in case.materials if x.state == "gap"]
    if pending:
        names = "、".join(esc(x.name) for x in pending)
        story.append(
            Paragraph(f"本件为容缺受理，请按《容缺受理承诺书》约定的日期补交：{names}。", st.indented)
        )
    if any(x.state == "commitment" for x in case.materials):
        story.append(Paragraph("本件适用告知承诺，行政机关将依法对承诺内容进行核查。", st.indented))
    missing = PENDING_TEXT if case.deadline_pending else "—"
    promised = fmt_date(case.promised_date) if case.promised_date else missing
    statutory = fmt_date(case.statutory_date, "无法定时限" if m.statutory_days is None else missing)
    story.append(section("办理信息", st))
    story.append(
        fields_table(
            [
                ("实施部门", esc(m.department), True),
                ("设定依据", esc(m.legal_basis) or "—", True),
                ("受理日期", fmt_date(accepted_on), True),
                ("承诺办结日期", promised, False),
                ("法定办结日期", statutory, False),
                ("收费", esc(m.fee), False),
                ("申请人电话", _contact_phone(case) or "—", False),
                ("咨询电话", _centre_phone(case) or "—", False),
                ("咨询投诉", HOTLINE, False),
            ],
            spec,
            st,
        )
    )
    story.append(Spacer(1, 0.5 * spec.body))
    story.append(
        Paragraph(
            "办理时限自受理之日的次日起按工作日计算；依法需要听证、检验、检测、鉴定和专家评审的，"
            "所需时间不计算在内，届时另行书面告知。",
            st.small,
        )
    )
    story.append(_receipt_signatures(case, spec, st))
    story += seal_block("（受理专用章）", case, spec, st, on=accepted_on)
    return _render(story, spec, case, "受理通知书", reprint)


# ---------------------------------------------------------------- 不予受理通知书


#: the Art. 32(1) item each refusal category rests on ('' for 其他: the paragraph as a whole)
_REFUSAL_ITEM = {"not_permit": "第（一）项", "not_competent": "第（二）项", "other": ""}


def rights_sentence(case: CaseRecord) -> str:
    """The rights to reconsideration (60 days) and litigation (6 months), naming the reconsideration body
    and the court from the matter's catalogue entry, else from the window's settings, else unnamed."""
    body = case.matter.reconsideration_body or case.window.reconsideration_body
    court = case.matter.court or case.window.court
    review = f"向{esc(body)}申请行政复议" if body else "依法申请行政复议"
    suit = f"向{esc(court)}提起行政诉讼" if court else "依法向人民法院提起行政诉讼"
    return (f"如对本决定不服，可以自收到本通知书之日起六十日内{review}，"
            f"或者自收到本通知书之日起六个月内{suit}。")


def render_refusal_notice(
    case: CaseRecord, *, reason: str, apply_instead: str, paper: str = "a4", reprint: int = 0, number: str = "",
    category: str | None = None,
) -> bytes:
    """Render the refusal (不予受理通知书): the Art. 32(1) category (`category`, default the record's:
    not_permit, not_competent, other; '' for a refusal recorded before categories) and its free text, where
    to apply instead, and the rights to administrative reconsideration (60 days) and litigation (6 months)
    naming the reconsideration body and the court. An empty reason is BadInput."""
    spec = paper_spec(paper)
    if not (reason or "").strip():
        raise BadInput("E_REASON", "不予受理必须写明理由。", field="reason")
    category = case.refusal_category if category is None else category
    st = styles(spec)
    story = case_head(case, "不予受理通知书", spec, st, reprint=reprint, **_number_head(number))
    story.append(Spacer(1, 2 * spec.body))
    story.append(_salutation(case, st))
    decider = (esc(case.matter.department) + "（本中心受其委托收件）") if entrusted(case) else ""
    facts = esc(reason.strip().rstrip("。；;，,"))
    asked = f"{_you(case)}于{fmt_date(case.received_at.date())}提出的{_matter_phrase(case)}申请"
    if category in REFUSAL_CATEGORY_LABELS:
        story.append(Paragraph(f"{asked}，经审查：{facts}。", st.indented))
        story.append(Paragraph(
            f"上述情形属于{REFUSAL_CATEGORY_LABELS[category]}{'' if category == 'other' else '的情形'}。"
            f"根据{LICENSING_LAW}第三十二条第一款{_REFUSAL_ITEM[category]}的规定，{decider}决定不予受理。",
            st.indented))
    else:  # recorded before the categories: the reason as given
        story.append(Paragraph(f"{asked}，经审查，{facts}。根据{LICENSING_LAW}第三十二条第一款的规定，"
                               f"{decider}决定不予受理。", st.indented))
    if (apply_instead or "").strip():
        story.append(Paragraph(f"请向{esc(apply_instead.strip())}提出申请。", st.indented))
    story.append(Paragraph(rights_sentence(case), st.indented))
    phone = _centre_phone(case)
    story.append(
        Paragraph(
            f"如有疑问，请致电本中心（{phone}）或{HOTLINE}。" if phone else f"如有疑问，请致电{HOTLINE}。",
            st.indented,
        )
    )
    story.append(_receipt_signatures(case, spec, st))
    story += seal_block("（印章）", case, spec, st, on=case.issued_at.date())
    return _render(story, spec, case, "不予受理通知书", reprint)


# ---------------------------------------------------------------- 容缺受理承诺书


def render_gap_promise(case: CaseRecord, *, paper: str = "a4", reprint: int = 0) -> bytes:
    """Render the applicant's promise (容缺受理承诺书) for the materials in state 'gap', each with its
    promised supply date. A case without such materials is BadInput."""
    spec = paper_spec(paper)
    pending = [x for x in case.materials if x.state == "gap"]
    if not pending:
        raise BadInput("E_NO_GAP_ITEMS", "本案没有容缺受理的材料，无需签署容缺受理承诺书。")
    st = styles(spec)
    story = case_head(case, "容缺受理承诺书", spec, st, reprint=reprint)
    a = case.applicant
    who = f"本单位{esc(a.name)}" if isinstance(a, Enterprise) else f"本人{esc(a.name)}（{person_id(a)}）"
    story.append(Spacer(1, 2 * spec.body))
    story.append(
        Paragraph(
            f"{who}申请办理{_matter_phrase(case)}，因下列非关键材料暂缺，申请容缺受理，并郑重承诺在约定日期前补交：",
            st.indented,
        )
    )
    story.append(Spacer(1, 0.5 * spec.body))
    rows = [
        [str(i), esc(x.name), esc(x.standard) or "按办事指南要求", fmt_date(x.gap_due, _BLANK_DATE)]
        for i, x in enumerate(pending, 1)
    ]
    story.append(
        table(
            ["序号", "暂缺材料", "应符合的标准", "承诺补交日期"],
            rows,
            [11, 55, 70, 38] if not spec.roll else [5, 24, 26, 19],
            spec,
            st,
        )
    )
    story.append(Spacer(1, 0.5 * spec.body))
    for line in (
        "一、已提交的材料及所填信息真实、合法、有效；",
        "二、在上述日期前补交暂缺材料，所补材料符合应符合的标准；",
        (
            "三、如未按期补交或者所补材料不符合要求，愿意承担由此产生的后果，"
            "同意行政机关依法终止办理或者撤销相关决定。"
        ),
    ):
        story.append(Paragraph(line, st.indented))
    rows2 = [("承诺人（签字/盖章）", ""), ("承诺日期", _BLANK_DATE)]
    if case.agent is not None:
        rows2.insert(1, ("代理人（签字）", ""))
    rows2.append(("受理窗口工作人员", _clerk(case)))
    rows2.append(("收件时间", fmt_datetime(case.received_at)))
    story.append(signature_block(rows2, spec, st))
    return _render(story, spec, case, "容缺受理承诺书", reprint)
