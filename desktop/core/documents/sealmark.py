"""The seal QR beside the seal area of a decision document.

`registry.render_case_document(..., seal=...)` puts a SealMark in `current` while the renderer runs, and
`blocks.seal_block` lays the seal area out beside it: the QR code left, the seal and date right. A document
is rendered twice when sealed (desktop.core.seal.sealing): first with a blank mark (`SealMark(None)`: the
same box and caption, no code) to get the content hash, then with the signed code. Both passes lay out the
same text at the same places (the box has a fixed size whatever the QR version), so the text of the sealed
PDF is the text that was hashed; verify-documents renders an archived sealed print with the blank mark."""

from __future__ import annotations

from contextvars import ContextVar

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from .codes import draw_modules, qr_modules
from .layout import PRINTER_DOT, Paper, Styles

#: the caption under the seal QR (a line of its own in the PDF's text: verify-documents and
#: verify-seal look for it to know a print was sealed)
CAPTION = "电子验章：扫码离线核验"
#: the QR box: on the roll whole printer dots (3 dots a module fits the v12 code of a seal in 28 mm)
_BOX = {"a4": 30 * mm, "roll80": 28 * mm}

current: ContextVar[SealMark | None] = ContextVar("seal_mark", default=None)


class SealMark:
    """A seal QR of `text` (None: the blank first pass). `used` says whether a seal area took it."""

    def __init__(self, text: str | None):
        self.text = text
        self.used = False


def sealed_text(lines: list[str]) -> bool:
    """Whether a document's text lines carry the seal caption (the print was sealed)."""
    return any(CAPTION in line for line in lines)


class _SealQr(Flowable):
    """A QR code of fixed outer size (the quiet zone included) whatever its version: the modules are whole
    printer dots on the roll, and the code is centred in the box."""

    def __init__(self, text: str | None, paper: Paper):
        super().__init__()
        self.width = self.height = _BOX[paper.key]
        self.hAlign = "CENTER"
        self.modules = qr_modules(text) if text else ()
        self.box = 0.0
        if self.modules:
            count = len(self.modules) + 8
            box = self.width / count
            if paper.roll:
                box = max(1, int(box / PRINTER_DOT)) * PRINTER_DOT
            self.box = box

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        if not self.modules:
            return
        n = len(self.modules)
        draw_modules(self.canv, self.modules, box=self.box, offset=(self.width - self.box * (n + 8)) / 2 + 4 * self.box)


def beside(mark: SealMark, seal_lines: list[Flowable], paper: Paper, st: Styles) -> list[Flowable]:
    """The seal area with the QR: on A4 code and caption left, the seal and its date right (top-aligned);
    on the roll (too narrow for both) the code and caption centred above the seal lines."""
    mark.used = True
    if paper.roll:
        return [_SealQr(mark.text, paper), Paragraph(CAPTION, st.tiny_centre), *seal_lines]
    left = _BOX[paper.key] + 2 * mm
    t = Table([[[_SealQr(mark.text, paper), Paragraph(CAPTION, st.tiny_centre)], seal_lines]],
              colWidths=[left, paper.frame_width - left])
    t.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), st.font),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0),
    ]))
    return [t]
