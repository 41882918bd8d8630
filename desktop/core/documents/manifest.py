"""The material-transfer manifest (材料流转清单) of one batch going to a back-office department (A4)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from desktop.core.types import FORM_LABELS, STATE_LABELS, Clerk, Window

from .blocks import PAD_X, cell, fields_table, grid, number_head, section
from .codes import barcode_encodable, barcode_flowable
from .layout import PAPERS, Paper, Styles, build_pdf, styles
from .text import esc, fmt_datetime

if TYPE_CHECKING:
    from desktop.core.cases.transfers import TransferCase, TransferInfo

#: states whose material is physically in the batch; the others travel as a record only
_HANDED_OVER = ("paper",)
_BLANK_DATE = "____年__月__日"
_BLANK_LINE = "＿" * 10

#: column widths in mm (scaled to the frame): 序号, 办件编号, 事项, 申请人, 材料名称, 形式, 份数, 情况
_COLUMNS = (6.5, 47, 26, 17, 28, 19, 8, 22.5)
_HEAD = ("序号", "办件编号", "事项名称", "申请人", "移交材料", "形式", "份数", "收取情况")
_CASE_BAR_HEIGHT = 6.5 * mm
_CASE_BAR_MODULES = (0.3 * mm, 0.25 * mm)


def _labels() -> tuple[dict[str, str], dict[str, str]]:
    """(CHANNELS, STATES) of the transfer service; imported here so that importing the documents
    package never pulls in the database layer."""
    from desktop.core.cases.transfers import CHANNELS, STATES

    return CHANNELS, STATES


def _case_number_cell(case_no: str, paper: Paper, st: Styles, width: float) -> list[Flowable] | str:
    """The case number as text under a small Code128; text only if it cannot be encoded or its
    barcode (quiet zones included) would not fit inside the cell."""
    room = width - 2 * PAD_X
    if barcode_encodable(case_no):
        bar = barcode_flowable(case_no, paper, room, bar_height=_CASE_BAR_HEIGHT, modules=_CASE_BAR_MODULES)
        if bar.width <= room:
            return [bar, Paragraph(esc(case_no), st.small_centre)]
    return cell(esc(case_no), st.cell, width)


def _cases_table(cases: tuple[TransferCase, ...], paper: Paper, st: Styles) -> Table:
    """One row per material; the case columns span the case's rows, and a case is never split
    across pages (unless it alone is taller than a page)."""
    total = sum(_COLUMNS)
    widths = [w / total * paper.frame_width for w in _COLUMNS]
    data: list[list] = [[cell(h, st.cell_head, w) for h, w in zip(_HEAD, widths)]]
    extra: list[tuple] = [
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("ALIGN", (1, 1), (1, -1), "CENTER"),
        ("ALIGN", (6, 1), (6, -1), "CENTER"),
    ]
    for i, case in enumerate(cases, 1):
        first = len(data)
        materials = case.materials or (None,)
        for j, m in enumerate(materials):
            if j == 0:
                head = [
                    str(i),
                    _case_number_cell(case.case_no, paper, st, widths[1]),
                    cell(esc(case.matter_name), st.cell, widths[2]),
                    cell(esc(case.applicant_name), st.cell, widths[3]),
                ]
            else:
                head = ["", "", "", ""]
            if m is None:
                tail = [cell("（无移交材料）", st.cell, widths[4]), "", "", ""]
            else:
                name, form, copies, state = m
                tail = [
                    cell(esc(name), st.cell, widths[4]),
                    cell(esc(FORM_LABELS.get(form, form)), st.cell, widths[5]),
                    f"{int(copies)}" if state in _HANDED_OVER else "—",
                    cell(esc(STATE_LABELS.get(state, state)), st.cell, widths[7]),
                ]
            data.append(head + tail)
        last = len(data) - 1
        if m is None:
            extra.append(("SPAN", (4, first), (7, first)))
        if last > first:
            for col in range(4):
                extra.append(("SPAN", (col, first), (col, last)))
        extra.append(("NOSPLIT", (0, first), (-1, last)))
        extra.append(("VALIGN", (0, first), (3, last), "MIDDLE"))
    return grid(data, widths, st, extra, header=True)


def _totals(cases: tuple[TransferCase, ...]) -> str:
    items = [m for c in cases for m in c.materials]
    paper_items = [m for m in items if m[3] in _HANDED_OVER]
    copies = sum(int(m[2]) for m in paper_items)
    return f"合计：办件 {len(cases)} 件，材料 {len(items)} 项（纸质材料 {len(paper_items)} 项，共 {copies} 份）。"


def _signatures(paper: Paper, st: Styles) -> Flowable:
    """Two columns: 移交人 and 签收人, each with a hand-written signature and date."""
    half = paper.frame_width / 2
    rows = [
        [
            Paragraph(f"移交人（签字）：{_BLANK_LINE}", st.body),
            Paragraph(f"签收人（签字）：{_BLANK_LINE}", st.body),
        ],
        [
            Paragraph(f"移交日期：{_BLANK_DATE}", st.body),
            Paragraph(f"签收日期：{_BLANK_DATE}", st.body),
        ],
        [Paragraph("移出单位（盖章）：", st.body), Paragraph("签收单位（盖章）：", st.body)],
    ]
    t = Table(rows, colWidths=[half, half], hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.font),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("TOPPADDING", (0, 2), (-1, 2), 8),
            ]
        )
    )
    return t


def render_transfer_manifest(info: TransferInfo, *, window: Window, clerk: Clerk) -> bytes:
    """Render the manifest (材料流转清单) of a transfer batch on A4: batch number with Code128, from
    centre/window/clerk to department, channel and tracking number (also as Code128 for express),
    times and state, a table of every case (each number with a small Code128) and the materials
    handed over, totals, and signature lines for 移交人 and 签收人. Long batches run over pages with
    the table header repeated."""
    channels, states = _labels()
    spec = PAPERS["a4"]
    st = styles(spec)
    story: list[Flowable] = [
        Paragraph(esc(window.centre_name), st.centre),
        Paragraph("材料流转清单", st.title),
    ]
    story += number_head(info.batch_no, f"流转单号：{esc(info.batch_no)}", spec, st)
    story.append(Spacer(1, 1.5 * mm))
    tracking = info.tracking_no.strip()
    fields = [
        ("移出单位", f"{esc(window.centre_name)}（{esc(window.centre_code)}）", True),
        ("窗口", f"{esc(window.window_no)} 号窗口", False),
        ("移交人", f"{esc(clerk.name)}（工号 {esc(clerk.staff_no)}）", False),
        ("联系电话", esc(window.phone), False),
        ("当前状态", esc(states.get(info.state, info.state)), False),
        ("接收部门", esc(info.department), True),
        ("流转方式", esc(channels.get(info.channel, info.channel)), False),
        ("快递单号", esc(tracking) or "—", False),
        ("创建时间", fmt_datetime(info.created_at), False),
        ("发送时间", fmt_datetime(info.sent_at), False),
    ]
    if info.closed_at is not None:
        closed_label = "退回时间" if info.state == "returned" else "签收时间"
        fields.append((closed_label, fmt_datetime(info.closed_at), False))
    if info.state == "returned" and info.return_reason:
        fields.append(("退回原因", esc(info.return_reason), True))
    story.append(fields_table(fields, spec, st))
    if info.channel == "express" and tracking and barcode_encodable(tracking):
        bar = barcode_flowable(tracking, spec, 80 * mm, bar_height=7 * mm)
        box = Table(
            [[[Paragraph("快递单号", st.small_centre), bar, Paragraph(esc(tracking), st.small_centre)]]],
            colWidths=[max(bar.width, 50 * mm) + 4 * mm],
            hAlign="RIGHT",
        )
        box.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), st.font),
                    ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                    ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#888888")),
                    ("TOPPADDING", (0, 0), (-1, -1), 2),
                ]
            )
        )
        story.append(Spacer(1, 1.5 * mm))
        story.append(box)
    story.append(section(f"流转办件（共 {len(info.cases)} 件）", st))
    story.append(_cases_table(info.cases, spec, st))
    story.append(Spacer(1, 2 * mm))
    closing = [
        Paragraph(esc(_totals(info.cases)), st.body),
        Paragraph(
            "份数为“—”的材料（电子证照、告知承诺、容缺受理）不随附纸质件。"
            "接收部门签收时请逐件核对办件编号与所列材料；如有不符，请在本清单注明并退回移出单位。",
            st.small,
        ),
        _signatures(spec, st),
    ]
    story.append(KeepTogether(closing))
    footer = f"{window.centre_name}　材料流转清单　流转单号 {info.batch_no}　接收部门 {info.department}"
    return build_pdf(story, spec, title=f"材料流转清单 {info.batch_no}", footer=footer)
