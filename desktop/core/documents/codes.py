"""Machine-readable codes on the documents: Code128 barcodes of case numbers and QR codes of addresses."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import pairwise

from reportlab.graphics.barcode.code128 import Code128
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel
from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from desktop.core.errors import BadInput

from .layout import PRINTER_DOT, Paper, Styles
from .text import clean, esc

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
    max_ink: float | None = None,
) -> Flowable:
    """reportlab's vector Code128 of value with the widest of the paper's module widths (or the given
    `modules`) that fits max_width (quiet zones of 10 modules included) and whose bars alone fit
    `max_ink` (the quiet zones are blank and may reach into a margin). Non-ASCII values are
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
        if bc.width <= max_width and (max_ink is None or bc.width - 2 * q <= max_ink):
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


def draw_modules(canv, modules: tuple[tuple[bool, ...], ...], *, box: float, offset: float) -> None:
    """Draw QR modules on `canv` as one filled path of whole-module rectangles (one per run of dark modules
    in a row), each module `box` points, the code's lower left corner at (offset, offset)."""
    n = len(modules)
    ops = []
    for r, row in enumerate(modules):
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
    canv.saveState()
    canv.translate(offset, offset)
    canv.scale(box, box)
    canv.setFillColor(colors.black)
    canv.addLiteral("\n".join(ops) + "\nf")
    canv.restoreState()


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
        draw_modules(self.canv, self.modules, box=self.box, offset=4 * self.box)


_QR_PAD = 1


def qr_flowable(url: str, paper: Paper) -> QrCode:
    """A QR code of url sized for the paper (module = whole printer dots on the roll)."""
    return QrCode(url, paper.qr, dot=PRINTER_DOT if paper.roll else None)


#: Where an address may break between lines: after these, never inside a number or a name.
_SEPARATORS = "/?&=#"
_MIN_CAPTION_SIZE = 5.0


def split_at_separators(text: str) -> list[str]:
    """text cut after each separator ('https://a.b/query?case=123' -> ['https:/', '/', 'a.b/', 'query?',
    'case=', '123']): the pieces an address may be broken into."""
    pieces, piece = [], ""
    for ch in text:
        piece += ch
        if ch in _SEPARATORS:
            pieces.append(piece)
            piece = ""
    if piece:
        pieces.append(piece)
    return pieces


def caption_lines(text: str, font: str, size: float, width: float) -> tuple[list[str], float]:
    """(lines, font size) of an address printed under a QR code in `width`: lines break only after a
    separator, so a case number or a host name stays whole; if a piece is wider than `width` at `size`
    the size shrinks (not below 5 pt) before anything is cut."""
    pieces = split_at_separators(text) or [""]
    widest = max(stringWidth(p, font, size) for p in pieces)
    if widest > width:
        size = max(_MIN_CAPTION_SIZE, size * width / widest)
    lines: list[str] = []
    line = ""
    for piece in pieces:
        if line and stringWidth(line + piece, font, size) > width:
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return lines, size


def qr_caption(text: str, style: ParagraphStyle, width: float) -> Paragraph:
    """A QR code's address, broken only at separators (see caption_lines)."""
    lines, size = caption_lines(clean(text), style.fontName, style.fontSize, width)
    if size != style.fontSize:
        style = ParagraphStyle(f"{style.name}_fit", parent=style, fontSize=size, leading=round(size * 1.4, 1))
    return Paragraph("<br/>".join(esc(line) for line in lines), style)


def qr_pair(items: Sequence[tuple[str, str]], paper: Paper, st: Styles) -> Table:
    """QR codes side by side, each with a caption and its address in small print (the address breaks only
    at a separator: a case number in it stays on one line)."""
    col = paper.frame_width / len(items)
    text_width = col - 2 * _QR_PAD
    cells = []
    for url, caption in items:
        cells.append(
            [
                qr_flowable(url, paper),
                Paragraph(caption, st.small_centre),
                qr_caption(url, st.tiny_centre, text_width),
            ]
        )
    t = Table([cells], colWidths=[col] * len(items))
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), st.font),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), _QR_PAD),
                ("RIGHTPADDING", (0, 0), (-1, -1), _QR_PAD),
            ]
        )
    )
    return t
