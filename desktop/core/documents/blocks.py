"""Building blocks the documents share: case head and fields tables, ruled tables, sections, signatures, seals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from desktop.core.privacy import mask_id
from desktop.core.types import ID_TYPE_LABELS, MODE_LABELS, CaseRecord, Enterprise, Person

from . import sealmark
from .codes import barcode_flowable
from .layout import Paper, Styles
from .text import clerk_text, esc, fmt_date, fmt_datetime

BLANK = "＿" * 8  # a line to write on by hand


def person_id(person: Person) -> str:
    """'居民身份证 110105********002X' (escaped markup)."""
    label = ID_TYPE_LABELS.get(person.id_type, person.id_type or "证件")
    return esc(f"{label} {mask_id(person.id_no)}")


# ---------------------------------------------------------------- the case fields table

#: (label, escaped value markup, wide); wide values take a whole row on A4.
Field = tuple[str, str, bool]


def applicant_fields(case: CaseRecord) -> list[Field]:
    a = case.applicant
    if isinstance(a, Enterprise):
        rows: list[Field] = [
            ("申请单位", esc(a.name), True),
            ("统一社会信用代码", esc(mask_id(a.uscc)), False),
            ("联系人", esc(a.contact.name), False),
        ]
    else:
        rows = [("申请人", esc(a.name), True), ("证件", person_id(a), False)]
    if case.agent is not None:
        rows.append(("代理人", f"{esc(case.agent.name)}（{person_id(case.agent)}）", True))
    return rows


def case_fields(case: CaseRecord) -> list[Field]:
    """The head every document carries (挂牌上岗: the clerk's name and staff number included)."""
    w, c, m = case.window, case.clerk, case.matter
    rows: list[Field] = [
        ("收件时间", fmt_datetime(case.received_at), False),
        ("服务中心", f"{esc(w.centre_name)}（{esc(w.centre_code)}）", False),
        ("窗口", f"{esc(w.window_no)} 号窗口", False),
        ("窗口工作人员", clerk_text(c), bool(c.backup_for)),  # a B角 takes the whole row
        ("办理方式", esc(MODE_LABELS.get(m.mode, m.mode)), False),
        ("申请事项", f"{esc(m.name)}（事项编码 {esc(m.code)}）", True),
    ]
    if entrusted(case):
        rows.append(("决定机关", f"{esc(m.department)}（本中心受{esc(m.department)}委托收件）", True))
    rows.extend(applicant_fields(case))
    return rows


#: matters the centre receives for a deciding department (委托基层收件, 下放基层实施)
ENTRUSTED_MODES = ("entrusted_receipt", "delegated")


def entrusted(case: CaseRecord) -> bool:
    """Whether the centre receives this case on behalf of the deciding department."""
    return case.matter.mode in ENTRUSTED_MODES and bool(case.matter.department.strip())


PAD_X = 2.5
_LABEL_SHADE = colors.HexColor("#f2f2f2")


def cell(markup: str, style: ParagraphStyle, width: float) -> str | Paragraph:
    """A table cell: plain text when it fits on one line (cheap to lay out and draw), else a
    wrapping Paragraph. `markup` is escaped text, possibly with tags such as <br/>."""
    if "<" not in markup:
        if "<font" in markup:  # a run in the fallback font needs Paragraph's markup
            return Paragraph(markup, style)
        plain = markup.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        if stringWidth(plain, style.fontName, style.fontSize) <= width - 2 * PAD_X - 3:
            return plain
    return Paragraph(markup, style)


def grid(
    data: list, widths: Sequence[float], st: Styles, extra: Iterable[tuple] = (), header: bool = False
) -> Table:
    t = Table(data, colWidths=list(widths), repeatRows=1 if header else 0)
    cmds = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), st.font),
        ("FONTSIZE", (0, 0), (-1, -1), st.cell.fontSize),
        ("LEADING", (0, 0), (-1, -1), st.cell.leading),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD_X),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD_X),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        cmds.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
        cmds.append(("ALIGN", (0, 0), (-1, 0), "CENTER"))
    cmds.extend(extra)
    t.setStyle(TableStyle(cmds))
    return t


def fields_table(fields: Sequence[Field], paper: Paper, st: Styles) -> Table:
    """Label/value grid: two pairs per row on A4 (wide values span), one pair per row on a roll."""
    W = paper.frame_width
    if paper.roll:
        lw = 18.5 * mm
        data = [[cell(lb, st.label, lw), cell(v, st.cell, W - lw)] for lb, v, _ in fields]
        return grid(data, [lw, W - lw], st, [("BACKGROUND", (0, 0), (0, -1), _LABEL_SHADE)])
    lw = 33 * mm
    vw = W / 2 - lw
    data = []
    spans: list[tuple] = []
    pending: Field | None = None

    def flush_single(f: Field) -> None:
        spans.append(("SPAN", (1, len(data)), (3, len(data))))
        data.append([cell(f[0], st.label, lw), cell(f[1], st.cell, W - lw), "", ""])

    for f in fields:
        if f[2]:
            if pending:
                flush_single(pending)
                pending = None
            flush_single(f)
        elif pending:
            data.append(
                [
                    cell(pending[0], st.label, lw),
                    cell(pending[1], st.cell, vw),
                    cell(f[0], st.label, lw),
                    cell(f[1], st.cell, vw),
                ]
            )
            pending = None
        else:
            pending = f
    if pending:
        flush_single(pending)
    shade = [("BACKGROUND", (0, 0), (0, -1), _LABEL_SHADE)]
    shade += [("BACKGROUND", (2, r), (2, r), _LABEL_SHADE) for r, row in enumerate(data) if row[2] != ""]
    return grid(data, [lw, vw, lw, vw], st, spans + shade)


def table(
    head: Sequence[str], rows: Sequence[Sequence[str]], widths_mm: Sequence[float], paper: Paper, st: Styles
) -> Table:
    """A ruled table with a shaded header row; cells are escaped markup; widths are scaled to the
    frame width."""
    total = sum(widths_mm)
    widths = [w / total * paper.frame_width for w in widths_mm]
    data = [[cell(h, st.cell_head, w) for h, w in zip(head, widths)]]
    data += [[cell(c, st.cell, w) for c, w in zip(row, widths)] for row in rows]
    return grid(data, widths, st, header=True)


# ---------------------------------------------------------------- document head and foot


def reprint_mark(reprint: int) -> str:
    """'补打（第N次）' for a reprint, '' for the first print."""
    return f"补打（第{int(reprint)}次）" if reprint and reprint > 0 else ""


def number_head(
    value: str, number_text: str, paper: Paper, st: Styles, *, extra: Sequence[str] = ()
) -> list[Flowable]:
    """A document number with its Code128: on A4 the number (and `extra` small lines) on the left and
    the barcode with its text on the right; on the roll the barcode, then the number centred."""
    if paper.roll:
        # the quiet zones may reach into the (blank) side margins of the roll; the bars stay in the frame
        return [
            barcode_flowable(value, paper, paper.width - 2 * mm, max_ink=paper.frame_width),
            Paragraph(number_text, st.small_centre),
        ] + [Paragraph(line, st.small_centre) for line in extra]
    left = [Paragraph(number_text, st.body)] + [Paragraph(line, st.small) for line in extra]
    bar = barcode_flowable(value, paper, 72 * mm)
    bar_w = max(bar.width, 45 * mm)
    head = Table(
        [[left, [bar, Paragraph(esc(value), st.small_centre)]]],
        colWidths=[paper.frame_width - bar_w, bar_w],
    )
    head.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.font),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("ALIGN", (1, 0), (1, 0), "CENTER"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [head]


def reprint_box(reprint: int, paper: Paper, st: Styles, *, corrected: bool = False) -> list[Flowable]:
    """The red '补打（第N次）' box (right on A4, centred on the roll), '更正' first for a corrected version;
    nothing for a first print."""
    mark = " ".join(m for m in ("更正" if corrected else "", reprint_mark(reprint)) if m)
    if not mark:
        return []
    width = stringWidth(mark, st.font, st.mark.fontSize) + 6 * mm
    box = Table(
        [[Paragraph(mark, st.mark)]], colWidths=[width], hAlign="RIGHT" if not paper.roll else "CENTER"
    )
    box.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.font),
                ("BOX", (0, 0), (-1, -1), 1.2, colors.HexColor("#c00000")),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return [box]


def case_head(
    case: CaseRecord,
    title: str,
    paper: Paper,
    st: Styles,
    *,
    reprint: int = 0,
    subtitle: str = "",
    number_label: str = "办件编号",
    number: str = "",
) -> list[Flowable]:
    """Centre line, title, reprint mark, case number in text and as Code128, then the case fields."""
    story: list[Flowable] = reprint_box(reprint, paper, st, corrected=case.corrected)
    story.append(Paragraph(esc(case.window.centre_name), st.centre))
    story.append(Paragraph(title, st.title))
    if subtitle:
        story.append(Paragraph(subtitle, st.subtitle))
    number_text = f"{number_label}：{esc(number or case.case_no)}"
    extra = [f"办件编号：{esc(case.case_no)}"] if number and number != case.case_no else []
    story += number_head(case.case_no, number_text, paper, st, extra=extra)
    story.append(Spacer(1, 1.5 * mm))
    story.append(fields_table(case_fields(case), paper, st))
    return story


def section(text: str, st: Styles) -> Paragraph:
    return Paragraph(text, st.section)


def signature_block(rows: Sequence[tuple[str, str]], paper: Paper, st: Styles) -> Table:
    """Signature lines: 'label：value' with a hand-writing line where value is empty."""
    data = [[Paragraph(f"{label}：", st.body), Paragraph(value or BLANK, st.body)] for label, value in rows]
    lw = max(stringWidth(f"{label}：", st.font, st.body.fontSize) for label, _ in rows) + 4 * mm
    lw = min(lw, paper.frame_width * 0.55)
    t = Table(data, colWidths=[lw, paper.frame_width - lw], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.font),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5 if paper.roll else 5),
            ]
        )
    )
    return t


def seal_block(seal: str, case: CaseRecord, paper: Paper, st: Styles, *, on: date | None = None) -> list[Flowable]:
    """Right-aligned seal place and the date under it (the stamp goes over them). `on` is the date of the
    decision (default: the day of the first visit). For an entrusted matter the seal is the deciding
    department's, and the line under it says the centre received on its behalf."""
    story: list[Flowable] = [Spacer(1, 2 * paper.body)]
    if entrusted(case):
        story.append(Paragraph(f"{esc(case.matter.department)}{seal}", st.right))
        story.append(Paragraph(f"（{esc(case.window.centre_name)}受委托收件）", st.right))
    else:
        story.append(Paragraph(seal, st.right))
    story.append(Paragraph(fmt_date(on or case.received_at.date()), st.right))
    mark = sealmark.current.get()  # a decision document being sealed: the QR goes beside the seal
    return story if mark is None else [story[0], *sealmark.beside(mark, story[1:], paper, st)]
