"""The 告知承诺书: for the materials a case took on the applicant's written commitment (material state
`commitment`), what the authority tells (the conditions each material proves and that the promise will be
checked) and the applicant's promise for each, in the catalogue's words (`commitment_text`), signed."""

from __future__ import annotations

from dataclasses import replace

from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from desktop.core.errors import BadInput
from desktop.core.types import CaseMaterial, CaseRecord, Enterprise

from .blocks import case_head, entrusted, person_id, seal_block, section, signature_block, table
from .layout import build_pdf, paper_spec, styles
from .notices import LICENSING_LAW, _footer, _matter_phrase
from .text import esc

TITLE = "告知承诺书"
_BLANK_DATE = "____年__月__日"
#: the rule the commitment system rests on (国办发〔2020〕42号)
_POLICY = "《国务院办公厅关于全面推行证明事项和涉企经营许可事项告知承诺制的指导意见》"


def default_commitment_text(material: CaseMaterial) -> str:
    """The promise printed when the catalogue gives none for a material (escaped markup)."""
    standard = f"（{esc(material.standard)}）" if material.standard else ""
    return (f"已知晓行政机关告知的全部内容，承诺已经符合“{esc(material.name)}”所证明的条件和要求{standard}，"
            "所作承诺真实、合法、有效，愿意接受行政机关的核查；如有不实，愿意承担相应的法律责任。")


def commitment_text(case: CaseRecord, material: CaseMaterial) -> str:
    """The promise for one material: the catalogue's `commitment_text` of that material, else the default."""
    spec = next((m for m in case.matter.materials if m.code == material.code), None)
    text = spec.commitment_text.strip() if spec else ""
    return esc(text) if text else default_commitment_text(material)


def _beside(left: Flowable, right: list[Flowable], width: float) -> Table:
    """`left` and `right` side by side, bottoms aligned (the seal beside the signature lines)."""
    t = Table([[left, right]], colWidths=[width * 0.5, width * 0.5], hAlign="LEFT")
    t.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "BOTTOM"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return t


def render_commitment_letter(case: CaseRecord, *, paper: str = "a4", reprint: int = 0) -> bytes:
    """Render the 告知承诺书 of a case: every material in state 'commitment' with the standard it must meet,
    the authority's notice and the applicant's promise for each; the applicant signs. A case without such
    materials is BadInput (E_NO_COMMITMENT)."""
    spec = paper_spec(paper)
    promised = [m for m in case.materials if m.state == "commitment"]
    if not promised:
        raise BadInput("E_NO_COMMITMENT", "本案没有以告知承诺方式收取的材料，无需出具告知承诺书。")
    st = styles(spec)
    story = case_head(case, TITLE, spec, st, reprint=reprint, subtitle="（证明事项告知承诺）")
    m = case.matter
    teller = f"{esc(m.department)}（本中心受其委托收件）" if entrusted(case) else esc(m.department)
    story.append(section("一、行政机关告知", st))
    story.append(Paragraph(
        f"根据{LICENSING_LAW}和{_POLICY}，{teller}对{_matter_phrase(case)}的下列证明材料实行告知承诺制。"
        "申请人以书面形式承诺符合下列材料所证明的条件和要求的，可以不再提交该材料：", st.indented))
    story.append(Spacer(1, 0.5 * spec.body))
    rows = [[str(i), esc(x.name), esc(x.standard) or "按办事指南要求"] for i, x in enumerate(promised, 1)]
    story.append(table(["序号", "以承诺代替的材料", "应符合的条件和要求"], rows,
                       [11, 60, 103] if not spec.roll else [5, 30, 39], spec, st))
    story.append(Spacer(1, 0.5 * spec.body))
    for line in (
        "（一）行政机关将在作出决定后依法对承诺内容进行核查，申请人应当予以配合；",
        "（二）承诺不实的，行政机关将依法终止办理、撤销相关决定，并将失信情况记入信用记录，依法追究法律责任；",
        "（三）申请人可以自主选择是否采用告知承诺；不愿承诺的，应当提交上述材料。",
    ):
        story.append(Paragraph(line, st.indented))
    story.append(section("二、申请人承诺", st))
    a = case.applicant
    who = f"本单位{esc(a.name)}" if isinstance(a, Enterprise) else f"本人{esc(a.name)}（{person_id(a)}）"
    story.append(Paragraph(f"{who}申请办理{_matter_phrase(case)}，就下列材料郑重承诺：", st.indented))
    for i, x in enumerate(promised, 1):
        story.append(Paragraph(f"{i}. {esc(x.name)}：{commitment_text(case, x)}", st.indented))
    story.append(Paragraph("以上承诺是申请人的真实意思表示。", st.indented))
    rows2 = [("承诺人（签字/盖章）", ""), ("承诺日期", _BLANK_DATE)]
    if case.agent is not None:
        rows2.insert(1, ("代理人（签字）", ""))
    # the clerk and the time received are in the head; on A4 the seal stands beside the signatures
    seal = seal_block("（告知单位印章）", case, spec, st, on=case.received_at.date())
    if spec.roll:
        story += [signature_block(rows2, spec, st), *seal]
    else:
        narrow = replace(spec, width=spec.frame_width * 0.5 + 2 * spec.margin)  # the left column's frame
        story.append(_beside(signature_block(rows2, narrow, st), seal, spec.frame_width))
    return build_pdf(story, spec, title=f"{TITLE} {case.case_no}", footer=_footer(case, TITLE, reprint))

