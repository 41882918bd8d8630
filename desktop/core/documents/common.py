"""Shared building blocks of the printed documents: paper, styles, case head, barcodes, PDF output."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from itertools import pairwise

from reportlab import rl_config
from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from reportlab.lib import colors
from reportlab.lib import textsplit as _rl_textsplit
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import paragraph as _rl_paragraph

from desktop.core.errors import BadInput
from desktop.core.privacy import mask_id, mask_phone  # noqa: F401  (one masking rule, re-exported)
from desktop.core.types import (
    ID_TYPE_LABELS,
    MODE_LABELS,
    CaseRecord,
    Enterprise,
    Person,
)

from .fonts import fallback_font, register_cjk_font

# Chinese line-breaking (禁则): reportlab's CJK wrapper only knows a few closing marks, so a line
# could start with '，' or '：'. Let these hang at the line end instead (process-wide, reportlab only).
_CJK_CANNOT_START = "，。、：；！？”’）》〉」』】〕…％"
for _module in (_rl_textsplit, _rl_paragraph):  # the single-fragment and multi-fragment wrappers
    _module.ALL_CANNOT_START = "".join(dict.fromkeys(_module.ALL_CANNOT_START + _CJK_CANNOT_START))

# Binary (Flate only) streams instead of ASCII85 on top: smaller files, and the pure-Python
# ASCII85 encoder cost several ms per document (process-wide, reportlab only).
rl_config.useA85 = 0

#: One bar module on an 80 mm thermal printer: two dots at 203 dpi (8 dots/mm).
PRINTER_DOT = 0.125 * mm
BAR_MODULE = 2 * PRINTER_DOT
QUERY_URL_BASE = "https://zwdt.sh.gov.cn/query?case="
RATING_URL_BASE = "https://zwdt.sh.gov.cn/rate?case="
BLANK = "＿" * 8  # a line to write on by hand


# ---------------------------------------------------------------- paper and styles


@dataclass(frozen=True)
class Paper:
    """Geometry and type sizes of one paper kind; height 0 means computed from the content."""

    key: str
    width: float
    height: float
    margin: float
    body: float
    small: float
    title: float
    qr: float
    bar_height: float
    bar_modules: tuple[float, ...]  # Code128 module widths to try, widest first

    @property
    def roll(self) -> bool:
        return self.height == 0

    @property
    def frame_width(self) -> float:
        return self.width - 2 * self.margin


PAPERS: dict[str, Paper] = {
    "a4": Paper(
        "a4", 210 * mm, 297 * mm, 18 * mm, 10.5, 8.5, 20, 26 * mm, 11 * mm, (0.5 * mm, 0.375 * mm, BAR_MODULE)
    ),
    # thermal roll: whole printer dots only (0.25 mm = 2 dots at 203 dpi)
    "roll80": Paper("roll80", 80 * mm, 0, 3 * mm, 8, 6.8, 13, 24 * mm, 10 * mm, (2 * BAR_MODULE, BAR_MODULE)),
}


def paper_spec(paper: str) -> Paper:
    """Return the Paper for 'a4' or 'roll80'; anything else is BadInput("E_PAPER")."""
    spec = PAPERS.get(paper) if isinstance(paper, str) else None
    if spec is None:
        raise BadInput("E_PAPER", f"不支持的纸型：{paper}", field="paper")
    return spec


@dataclass(frozen=True)
class Styles:
    font: str
    title: ParagraphStyle
    subtitle: ParagraphStyle
    centre: ParagraphStyle
    section: ParagraphStyle
    body: ParagraphStyle
    indented: ParagraphStyle
    small: ParagraphStyle
    small_centre: ParagraphStyle
    tiny_centre: ParagraphStyle
    right: ParagraphStyle
    cell: ParagraphStyle
    cell_head: ParagraphStyle
    label: ParagraphStyle
    mark: ParagraphStyle


@lru_cache(maxsize=8)
def _styles(paper_key: str, font: str) -> Styles:
    p = PAPERS[paper_key]

    def style(name: str, size: float, **kw) -> ParagraphStyle:
        kw.setdefault("leading", round(size * 1.4, 1))
        return ParagraphStyle(name, fontName=font, fontSize=size, wordWrap="CJK", **kw)

    cell = p.small if p.roll else p.body - 0.5
    return Styles(
        font=font,
        title=style(
            "title",
            p.title,
            alignment=TA_CENTER,
            leading=p.title * 1.3,
            spaceBefore=1 * mm,
            spaceAfter=1.5 * mm,
        ),
        subtitle=style("subtitle", p.body, alignment=TA_CENTER, spaceAfter=1 * mm),
        centre=style("centre", p.body, alignment=TA_CENTER),
        section=style(
            "section",
            p.body + 0.5,
            spaceBefore=2.5 * mm if not p.roll else 1.8 * mm,
            spaceAfter=1 * mm,
            keepWithNext=1,  # never a heading alone at the foot of an A4 page
        ),
        body=style("body", p.body, leading=p.body * 1.6),
        indented=style("indented", p.body, leading=p.body * 1.6, firstLineIndent=2 * p.body),
        small=style("small", p.small),
        small_centre=style("small_centre", p.small, alignment=TA_CENTER),
        tiny_centre=style("tiny_centre", 6.5 if p.roll else 7, alignment=TA_CENTER),
        right=style("right", p.body, alignment=TA_RIGHT, leading=p.body * 1.6),
        # rightIndent: room for punctuation that hangs past the wrap width (禁则) inside a ruled cell
        cell=style("cell", cell, leading=cell * 1.35, rightIndent=cell * 0.5),
        cell_head=style("cell_head", cell, leading=cell * 1.35, alignment=TA_CENTER),
        label=style("label", cell, leading=cell * 1.35, rightIndent=cell * 0.5),
        mark=style("mark", p.body + 1, alignment=TA_CENTER, textColor=colors.HexColor("#c00000")),
    )


def styles(paper: Paper) -> Styles:
    """Paragraph styles for a paper, using the registered CJK font (registers it on first use)."""
    return _styles(paper.key, register_cjk_font())


# ---------------------------------------------------------------- text helpers

_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def clean(value: object) -> str:
    """User text made safe to draw: control characters and lone surrogates replaced.
    Characters the main font lacks are kept (esc() sets them in the fallback font where installed)."""
    text = "" if value is None else str(value)
    text = _UNSAFE.sub(" ", text)
    return _SURROGATE.sub("\ufffd", text)


def esc(value: object) -> str:
    """User text made safe for Paragraph markup: clean() plus '&', '<', '>' escaped, and characters
    the main font lacks (𠮷) set in the fallback font where one is installed."""
    text = clean(value).translate(_ESCAPES)
    if text.isascii():
        return text
    fb = fallback_font()
    if fb is None:
        return text
    name, main_cmap, fb_cmap = fb
    if all(ord(ch) in main_cmap for ch in text):
        return text
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp not in main_cmap and cp in fb_cmap:
            out.append(f'<font name="{name}">{ch}</font>')
        else:
            out.append(ch)
    return "".join(out).replace("</font><font name=\"" + name + "\">", "")


def fmt_date(d: date | None, missing: str = "—") -> str:
    """A date as printed on documents: YYYY年MM月DD日."""
    if d is None:
        return missing
    return f"{d.year:04d}年{d.month:02d}月{d.day:02d}日"


def fmt_datetime(t: datetime | None, missing: str = "—") -> str:
    """A time as printed on documents: YYYY年MM月DD日 HH:MM."""
    if t is None:
        return missing
    return f"{fmt_date(t)} {t.hour:02d}:{t.minute:02d}"


def query_url(case: CaseRecord) -> str:
    return case.query_url or QUERY_URL_BASE + case.case_no


def rating_url(case: CaseRecord) -> str:
    return case.rating_url or RATING_URL_BASE + case.case_no


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
        ("窗口工作人员", f"{esc(c.name)}（工号 {esc(c.staff_no)}）", False),
        ("办理方式", esc(MODE_LABELS.get(m.mode, m.mode)), False),
        ("申请事项", f"{esc(m.name)}（事项编码 {esc(m.code)}）", True),
    ]
    rows.extend(applicant_fields(case))
    return rows


_PAD_X = 2.5
_LABEL_SHADE = colors.HexColor("#f2f2f2")


def _cell(markup: str, style: ParagraphStyle, width: float) -> str | Paragraph:
    """A table cell: plain text when it fits on one line (cheap to lay out and draw), else a
    wrapping Paragraph. `markup` is escaped text, possibly with tags such as <br/>."""
    if "<" not in markup:
        if "<font" in markup:  # a run in the fallback font needs Paragraph's markup
            return Paragraph(markup, style)
        plain = markup.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
        if stringWidth(plain, style.fontName, style.fontSize) <= width - 2 * _PAD_X - 3:
            return plain
    return Paragraph(markup, style)


def _grid(
    data: list, widths: Sequence[float], st: Styles, extra: Iterable[tuple] = (), header: bool = False
) -> Table:
    t = Table(data, colWidths=list(widths), repeatRows=1 if header else 0)
    cmds = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONTNAME", (0, 0), (-1, -1), st.font),
        ("FONTSIZE", (0, 0), (-1, -1), st.cell.fontSize),
        ("LEADING", (0, 0), (-1, -1), st.cell.leading),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD_X),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD_X),
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
        data = [[_cell(lb, st.label, lw), _cell(v, st.cell, W - lw)] for lb, v, _ in fields]
        return _grid(data, [lw, W - lw], st, [("BACKGROUND", (0, 0), (0, -1), _LABEL_SHADE)])
    lw = 33 * mm
    vw = W / 2 - lw
    data = []
    spans: list[tuple] = []
    pending: Field | None = None

    def flush_single(f: Field) -> None:
        spans.append(("SPAN", (1, len(data)), (3, len(data))))
        data.append([_cell(f[0], st.label, lw), _cell(f[1], st.cell, W - lw), "", ""])

    for f in fields:
        if f[2]:
            if pending:
                flush_single(pending)
                pending = None
            flush_single(f)
        elif pending:
            data.append(
                [
                    _cell(pending[0], st.label, lw),
                    _cell(pending[1], st.cell, vw),
                    _cell(f[0], st.label, lw),
                    _cell(f[1], st.cell, vw),
                ]
            )
            pending = None
        else:
            pending = f
    if pending:
        flush_single(pending)
    shade = [("BACKGROUND", (0, 0), (0, -1), _LABEL_SHADE)]
    shade += [("BACKGROUND", (2, r), (2, r), _LABEL_SHADE) for r, row in enumerate(data) if row[2] != ""]
    return _grid(data, [lw, vw, lw, vw], st, spans + shade)


def table(
    head: Sequence[str], rows: Sequence[Sequence[str]], widths_mm: Sequence[float], paper: Paper, st: Styles
) -> Table:
    """A ruled table with a shaded header row; cells are escaped markup; widths are scaled to the
    frame width."""
    total = sum(widths_mm)
    widths = [w / total * paper.frame_width for w in widths_mm]
    data = [[_cell(h, st.cell_head, w) for h, w in zip(head, widths)]]
    data += [[_cell(c, st.cell, w) for c, w in zip(row, widths)] for row in rows]
    return _grid(data, widths, st, header=True)


# ---------------------------------------------------------------- barcodes


class _PathCode128(Code128):
    """reportlab's vector Code128, with its bars written as one path (one fill) instead of one
    canvas.rect call per bar: same output, a fraction of the drawing cost."""

    def rect(self, x: float, y: float, w: float, h: float) -> None:
        self._ops.append(f"{x:.4f} {y:.4f} {w:.4f} {h:.4f} re")

    def draw(self) -> None:
        self._ops: list[str] = []
        super().draw()
        canv = self.canv
        canv.saveState()
        canv.setFillColor(colors.black)
        canv.addLiteral("\n".join(self._ops) + "\nf")
        canv.restoreState()


def barcode_encodable(value: str) -> bool:
    """True when value is non-empty printable ASCII (what Code128 set B encodes)."""
    return bool(value) and all(32 <= ord(ch) < 127 for ch in value)


def barcode_flowable(
    value: str,
    paper: Paper,
    max_width: float,
    *,
    bar_height: float | None = None,
    modules: Sequence[float] | None = None,
) -> Flowable:
    """reportlab's vector Code128 of value with the widest of the paper's module widths (or the given
    `modules`) that fits max_width (quiet zones of 10 modules included). Non-ASCII values are
    BadInput("E_CASE_NO")."""
    if not barcode_encodable(value):
        raise BadInput("E_CASE_NO", f"办件编号含有无法编码为条码的字符：{value!r}", field="case_no")
    height = bar_height or paper.bar_height
    bc: Code128 | None = None
    for module in modules or paper.bar_modules:
        q = 10 * module
        bc = _PathCode128(
            value,
            barWidth=module,
            barHeight=height,
            humanReadable=False,
            quiet=True,
            lquiet=q,
            rquiet=q,
        )
        bc.wrap(max_width, height)
        if bc.width <= max_width:
            break
    assert bc is not None
    bc.hAlign = "CENTER"
    return bc


_RUNS = re.compile(r"0{5,}|1{5,}")
_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)  # ISO 18004 data masks (row i, column j), as in reportlab's qrencoder


@lru_cache(maxsize=16)
def _mask_rows(n: int) -> tuple[tuple[int, ...], ...]:
    """Each mask as one int per row (column 0 = most significant bit) for an n×n symbol."""
    return tuple(
        tuple(sum(1 << (n - 1 - j) for j in range(n) if mask(i, j)) for i in range(n)) for mask in _MASKS
    )


def _qr_penalty(rows: list[str]) -> int:
    """ISO 18004 mask penalty (rules 1-4) of a symbol given as '0'/'1' row strings."""
    n = len(rows)
    score = 0
    for line in rows + ["".join(col) for col in zip(*rows)]:
        for run in _RUNS.findall(line):
            score += len(run) - 2
        score += 40 * (line.count("10111010000") + line.count("00001011101"))
    ints = [int(r, 2) for r in rows]
    full = (1 << (n - 1)) - 1
    for a, b in pairwise(ints):
        same = ~(a ^ b) & ~(a ^ (a >> 1)) & ~(b ^ (b >> 1)) & full
        score += 3 * same.bit_count()
    dark_share = 100 * sum(r.count("1") for r in rows) // (n * n)
    return score + 10 * (abs(dark_share - 50) // 5)


@lru_cache(maxsize=64)
def qr_modules(data: str) -> tuple[tuple[bool, ...], ...]:
    """The QR module matrix of data: level M, smallest version, mask chosen by the standard's
    penalty rules. reportlab's own make() does the same but ~5x slower (it re-places the data for
    each of the 8 masks); here the unmasked data is placed once and masks are applied as ints."""
    qr = QRCode(None, QRErrorCorrectLevel.M)
    qr.addData(data)
    qr.version = qr.calculate_version()
    qr.makeImpl(True, 0)  # function patterns (format bits blank) + data under mask 0
    n = qr.moduleCount
    positions = qr.dataPosIterator()
    bits = list(qr.dataBitIterator(qr.dataCache))
    bits += [False] * (len(positions) - len(bits))
    base = [row[:] for row in qr.modules]
    data_rows = [0] * n
    plain_rows = [0] * n
    for (col, row), dark in zip(positions, bits):
        bit = 1 << (n - 1 - col)
        data_rows[row] |= bit
        if dark:
            plain_rows[row] |= bit
        base[row][col] = False
    func_rows = [int("".join("1" if v else "0" for v in row), 2) for row in base]
    best, best_score = 0, None
    fmt = f"0{n}b"
    for mask, mask_rows in enumerate(_mask_rows(n)):
        rows = [
            format(f | ((p ^ m) & d), fmt) for f, p, m, d in zip(func_rows, plain_rows, mask_rows, data_rows)
        ]
        score = _qr_penalty(rows)
        if best_score is None or score < best_score:
            best, best_score = mask, score
    qr.makeImpl(False, best)
    return tuple(tuple(bool(v) for v in row) for row in qr.modules)


class QrCode(Flowable):
    """A vector QR code drawn as one path of whole-module rectangles (fast to render and to write).

    `size` includes the 4-module quiet zone; on a roll the module is a whole number of printer dots.
    """

    def __init__(self, data: str, size: float, *, dot: float | None = None):
        super().__init__()
        self.modules = qr_modules(data)
        count = len(self.modules) + 8
        box = size / count
        if dot:
            box = max(1, round(box / dot)) * dot
        self.box = box
        self.width = self.height = box * count
        self.hAlign = "CENTER"

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        n = len(self.modules)
        ops = []
        for r, row in enumerate(self.modules):
            y = n - 1 - r
            c = 0
            while c < n:
                if row[c]:
                    start = c
                    while c < n and row[c]:
                        c += 1
                    ops.append(f"{start} {y} {c - start} 1 re")
                else:
                    c += 1
        canv = self.canv
        canv.saveState()
        canv.translate(4 * self.box, 4 * self.box)
        canv.scale(self.box, self.box)
        canv.setFillColor(colors.black)
        canv.addLiteral("\n".join(ops) + "\nf")
        canv.restoreState()


def qr_flowable(url: str, paper: Paper) -> QrCode:
    """A QR code of url sized for the paper (module = whole printer dots on the roll)."""
    return QrCode(url, paper.qr, dot=PRINTER_DOT if paper.roll else None)


def qr_pair(items: Sequence[tuple[str, str]], paper: Paper, st: Styles) -> Table:
    """QR codes side by side, each with a caption and its address in small print."""
    cells = []
    for url, caption in items:
        cells.append(
            [
                qr_flowable(url, paper),
                Paragraph(caption, st.small_centre),
                Paragraph(esc(url), st.tiny_centre),
            ]
        )
    col = paper.frame_width / len(items)
    t = Table([cells], colWidths=[col] * len(items))
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.font),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 1),
                ("RIGHTPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return t


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
        # the quiet zones may reach into the (blank) side margins of the roll
        return [
            barcode_flowable(value, paper, paper.width - 2 * mm),
            Paragraph(number_text, st.small_centre),
        ]
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


def reprint_box(reprint: int, paper: Paper, st: Styles) -> list[Flowable]:
    """The red '补打（第N次）' box (right on A4, centred on the roll); nothing for a first print."""
    mark = reprint_mark(reprint)
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
    story: list[Flowable] = reprint_box(reprint, paper, st)
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


def seal_block(seal: str, case: CaseRecord, paper: Paper, st: Styles) -> list[Flowable]:
    """Right-aligned seal place and the date under it (the stamp goes over them)."""
    return [
        Spacer(1, 2 * paper.body),
        Paragraph(seal, st.right),
        Paragraph(fmt_date(case.received_at.date()), st.right),
    ]


# ---------------------------------------------------------------- PDF output


def build_pdf(story: list[Flowable], paper: Paper, *, title: str, footer: str = "") -> bytes:
    """Lay the story out on the paper and return the PDF bytes.

    A4: normal pages with a footer line and page numbers. Roll: one page 80 mm wide whose height
    is the measured height of the content plus margins (a receipt never breaks across pages).
    """
    buf = io.BytesIO()
    if paper.roll:
        _build_roll(buf, story, paper, title)
    else:
        _build_a4(buf, story, paper, title, footer)
    return buf.getvalue()


def _set_info(canv: Canvas, title: str) -> None:
    canv.setTitle(title)
    canv.setAuthor("一窗 Yichuang")
    canv.setCreator("一窗 Yichuang")


def _fit(text: str, font: str, size: float, width: float) -> str:
    """text cut with '…' so that it fits in width (for one-line footers)."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


class _KeepWithNext(KeepTogether):
    """What reportlab wraps a keepWithNext heading and its next flowable in. reportlab's own class
    moves the whole group to a new page whenever it does not fit, leaving most of a page blank
    before a long table; here the group stays if the next flowable can split with a first part that
    fits under the heading (so the heading is still never alone at the foot of a page)."""

    def split(self, aW: float, aH: float) -> list[Flowable]:
        if getattr(self, "_wrapInfo", None) != (aW, aH):
            self.wrap(aW, aH)
        if self._H > aH and len(self._content) > 1:
            *lead, last = self._content
            used = 0.0
            for f in lead:
                used += f.getSpaceBefore() + f.wrap(aW, aH)[1] + f.getSpaceAfter()
            room = aH - used - last.getSpaceBefore()
            if room > 0 and last.split(aW, room):
                return self._content[:]
        return super().split(aW, aH)


def _build_a4(buf: io.BytesIO, story: list[Flowable], paper: Paper, title: str, footer: str) -> None:
    st = styles(paper)

    def on_page(canv: Canvas, doc: SimpleDocTemplate) -> None:
        canv.saveState()
        canv.setFont(st.font, 8)
        canv.setFillColor(colors.HexColor("#555555"))
        y = paper.margin * 0.55
        page = f"第 {doc.page} 页"
        room = paper.frame_width - stringWidth(page, st.font, 8) - 5 * mm
        canv.drawString(paper.margin, y, _fit(clean(footer), st.font, 8, room))
        canv.drawRightString(paper.width - paper.margin, y, page)
        canv.restoreState()

    doc = SimpleDocTemplate(
        buf,
        pagesize=(paper.width, paper.height),
        leftMargin=paper.margin,
        rightMargin=paper.margin,
        topMargin=paper.margin * 0.8,
        bottomMargin=paper.margin,
        title=title,
        author="一窗 Yichuang",
        creator="一窗 Yichuang",
        pageCompression=1,
        initialFontName=st.font,  # no stray non-embedded Helvetica reference
    )
    doc.keepTogetherClass = _KeepWithNext
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)


def _build_roll(buf: io.BytesIO, story: list[Flowable], paper: Paper, title: str) -> None:
    W = paper.frame_width
    placed: list[tuple[Flowable, float, float, float, float]] = []  # flowable, w, h, before, after
    total = 0.0
    for f in story:
        w, h = f.wrap(W, 1e6)
        before, after = f.getSpaceBefore(), f.getSpaceAfter()
        placed.append((f, w, h, before, after))
        total += before + h + after
    height = total + 2 * paper.margin + 4 * mm  # a little paper to tear off below the last line
    canv = Canvas(buf, pagesize=(paper.width, height), pageCompression=1, initialFontName=styles(paper).font)
    _set_info(canv, title)
    y = height - paper.margin
    for f, w, h, before, after in placed:
        y -= before + h
        align = getattr(f, "hAlign", "LEFT")
        x = paper.margin
        if align in ("CENTER", "CENTRE"):
            x += (W - w) / 2
        elif align == "RIGHT":
            x += W - w
        f.drawOn(canv, x, y)
        y -= after
    canv.showPage()
    canv.save()
