"""Page layout of the documents: paper kinds, paragraph styles, PDF output on A4 pages or an 80 mm roll."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib import textsplit as _rl_textsplit
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate
from reportlab.platypus import paragraph as _rl_paragraph

from desktop.core.errors import BadInput

from .fonts import register_cjk_font
from .text import clean

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
