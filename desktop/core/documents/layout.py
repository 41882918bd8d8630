"""Page layout of the documents: paper kinds, paragraph styles, PDF output on A4 pages or an 80 mm roll."""

from __future__ import annotations

import io
from collections.abc import Sequence
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

# Chinese line-breaking (禁则). reportlab's CJK wrapper only knows a few closing marks, lets one of them
# hang past the right edge, and happily ends a line with an opening bracket or cuts a case number in two.
# Its two wrappers (single-fragment `dumbSplit`, multi-fragment `cjkFragSplit`) are replaced here by one
# rule, `line_break`: no line starts with a closing mark, none ends with an opening bracket, an ASCII run
# (a case number, a code) is not cut except after a URL separator, and nothing hangs past the frame (the
# 80 mm roll keeps all ink within the printable 72 mm). Process-wide, reportlab only.
CANNOT_START = "，。、：；！？”’）》〉」』】〕〗…％!),.:;?]}\u3005\u30fc"
CANNOT_END = "“‘（《〈「『【〔〖([{"
_URL_SEPARATORS = "/?&=#"
_FUZZ = 1e-6


def _glued(a: str, b: str) -> bool:
    """True when a break between a and b would cut an ASCII run (a number, a code, a URL piece)."""
    return a.isascii() and b.isascii() and not a.isspace() and not b.isspace() and a not in _URL_SEPARATORS


def _breakable(chars: Sequence[str], b: int, *, keep_runs: bool) -> bool:
    before, after = chars[b - 1], chars[b]
    if len(before) != 1 or len(after) != 1:  # a <br/> or an inline object: always a break point
        return True
    if after in CANNOT_START or before in CANNOT_END:
        return False
    return not (keep_runs and _glued(before, after))


def line_break(chars: Sequence[str], start: int, over: int) -> tuple[int, int]:
    """Where to end a line that began at `start` when chars[over] no longer fits: (end, next start).

    The line is chars[start:end]; the next begins at `next start` (a space at the break is dropped).
    Tries, in order: a break that keeps ASCII runs whole and obeys the bracket/punctuation rules; one that
    obeys the rules only; a plain cut before chars[over]. Never lets a character hang past the width."""
    if over <= start:
        return start + 1, start + 1  # a single character wider than the line
    for keep_runs in (True, False):
        for b in range(over, start, -1):
            if _breakable(chars, b, keep_runs=keep_runs):
                return _skip_space(chars, b)
    return _skip_space(chars, over)


def _skip_space(chars: Sequence[str], b: int) -> tuple[int, int]:
    return (b, b + 1) if b < len(chars) and chars[b] == " " else (b, b)


def _dumb_split(word: str, widths: Sequence[float], maxWidths) -> list[list]:
    """reportlab.lib.textsplit.dumbSplit (one font, one fragment) with `line_break`."""
    if not isinstance(maxWidths, (list, tuple)):
        maxWidths = [maxWidths]
    lines: list[list] = []
    start = i = 0
    used = 0.0
    max_w = maxWidths[0]
    while i < len(word):
        used += widths[i]
        i += 1
        if used > max_w + _FUZZ:
            end, nxt = line_break(word, start, i - 1)
            lines.append([max_w - sum(widths[start:end]), word[start:end].strip()])
            max_w = maxWidths[min(len(lines), len(maxWidths) - 1)]
            start = i = nxt
            used = 0.0
    if start < len(word):
        lines.append([max_w - sum(widths[start:]), word[start:]])
    return lines


def _cjk_frag_split(frags, maxWidths, calcBounds, encoding="utf8"):
    """reportlab.platypus.paragraph.cjkFragSplit (several fragments, <br/>) with `line_break`."""
    U = []
    for f in frags:
        text = f.text.decode(encoding) if isinstance(f.text, bytes) else f.text
        U.extend([_rl_paragraph.cjkU(t, f, encoding) for t in text] if text else [_rl_paragraph.cjkU(text, f, encoding)])

    def width(k: int, max_w: float) -> float:
        w = U[k].width
        if hasattr(w, "normalizedValue"):
            w._normalizer = max_w
            w = w.normalizedValue(max_w)
        return w

    lines = []
    start = i = 0
    used = 0.0
    max_w = maxWidths[0]
    while i < len(U):
        used += width(i, max_w)
        i += 1
        forced = hasattr(U[i - 1].frag, "lineBreak")
        if forced or used > max_w + _FUZZ:
            end, nxt = (i, i) if forced else line_break(U, start, i - 1)
            line_w = sum(width(k, max_w) for k in range(start, end))
            lines.append(_rl_paragraph.makeCJKParaLine(U[start:end], max_w, line_w, max_w - line_w, forced, calcBounds))
            max_w = maxWidths[min(len(lines), len(maxWidths) - 1)]
            start = i = nxt
            used = 0.0
    if start < len(U):
        line_w = sum(width(k, max_w) for k in range(start, len(U)))
        lines.append(_rl_paragraph.makeCJKParaLine(U[start:], max_w, line_w, max_w - line_w, False, calcBounds))
    return _rl_paragraph.ParaLines(kind=1, lines=lines)


for _module in (_rl_textsplit, _rl_paragraph):  # what reportlab's other code still consults
    _module.ALL_CANNOT_START = "".join(dict.fromkeys(_module.ALL_CANNOT_START + CANNOT_START))
_rl_textsplit.dumbSplit = _dumb_split
_rl_paragraph.cjkFragSplit = _cjk_frag_split

# Binary (Flate only) streams instead of ASCII85 on top: smaller files, and the pure-Python
# ASCII85 encoder cost several ms per document (process-wide, reportlab only).
rl_config.useA85 = 0

#: One bar module on an 80 mm thermal printer: two dots at 203 dpi (8 dots/mm).
PRINTER_DOT = 0.125 * mm
BAR_MODULE = 2 * PRINTER_DOT
#: The printable width of most 80 mm thermal heads (576 dots at 203 dpi), centred on the paper: every
#: roll document keeps all its ink inside it (tests/core/test_roll.py measures the rendered pages).
ROLL_PRINTABLE = 72 * mm
ROLL_MARGIN = 4.25 * mm


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
    # thermal roll: whole printer dots only (0.25 mm = 2 dots at 203 dpi; 1 dot only for a barcode too long
    # for the head otherwise). Most 80 mm heads print 72 mm
    # (576 dots) centred on the paper: the frame is 71.5 mm, leaving 0.25 mm a side for rules and rounding.
    "roll80": Paper(
        "roll80", 80 * mm, 0, ROLL_MARGIN, 8, 6.8, 13, 24 * mm, 10 * mm, (2 * BAR_MODULE, BAR_MODULE, PRINTER_DOT)
    ),
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
