"""Print the PDFs the services produce: QtPdf renders each page onto a QPrinter; no printer means save-as-PDF.

Nothing here decides whether to show a dialog: desktop.ui.feedback.print_with_preview asks the presenter,
whose real form calls `preview_or_save`.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from desktop.ui.qt import (
    QFileDialog,
    QMarginsF,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfDocument,
    QPrinter,
    QPrinterInfo,
    QPrintPreviewDialog,
    QRectF,
    QSize,
    QSizeF,
    QWidget,
)

log = logging.getLogger("yichuang.ui.printing")

MM_PER_POINT = 25.4 / 72
ROLL_WIDTH_MM = 80.0
MAX_RENDER_DPI = 300  # enough for 203/300 dpi thermal and office printers; keeps page images small


_LIVE: list[object] = []  # printers and preview dialogs kept alive while a preview is open


class PdfRenderError(Exception):
    """The PDF could not be opened or the printer could not be started."""


def _open_pdf(pdf_path: str | Path) -> QPdfDocument:
    doc = QPdfDocument()
    error = doc.load(str(pdf_path))
    if error != QPdfDocument.Error.None_ or doc.pageCount() == 0:
        raise PdfRenderError(f"无法打开文书 {pdf_path}")
    return doc


def is_roll_page(size_points: QSizeF) -> bool:
    """True when a PDF page is the 80 mm receipt roll (within a millimetre)."""
    return abs(size_points.width() * MM_PER_POINT - ROLL_WIDTH_MM) < 1.0


def configure_printer_for(printer: QPrinter, first_page_points: QSizeF) -> None:
    """Match the printer's page to the PDF's first page: full page, zero margins, custom size for a roll."""
    printer.setFullPage(True)
    width_mm = first_page_points.width() * MM_PER_POINT
    height_mm = first_page_points.height() * MM_PER_POINT
    if is_roll_page(first_page_points):
        size = QPageSize(
            QSizeF(ROLL_WIDTH_MM, height_mm),
            QPageSize.Unit.Millimeter,
            "80mm",
            QPageSize.SizeMatchPolicy.ExactMatch,
        )
    else:
        size = QPageSize(
            QSizeF(width_mm, height_mm), QPageSize.Unit.Millimeter, "", QPageSize.SizeMatchPolicy.FuzzyMatch
        )
    printer.setPageSize(size)
    orientation = (
        QPageLayout.Orientation.Landscape
        if width_mm > height_mm and not is_roll_page(first_page_points)
        else QPageLayout.Orientation.Portrait
    )
    printer.setPageOrientation(orientation)
    printer.setPageMargins(QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)


def render_pdf_to_printer(pdf_path: str | Path, printer: QPrinter) -> int:
    """Render every page of `pdf_path` onto `printer` (also a preview's printer); returns pages drawn.

    Must run on the GUI thread (QPainter on a QPrinter). Raises PdfRenderError if the PDF cannot be
    opened or the printer refuses to start.
    """
    doc = _open_pdf(pdf_path)
    try:
        configure_printer_for(printer, doc.pagePointSize(0))
        painter = QPainter()
        if not painter.begin(printer):
            raise PdfRenderError("打印机无法开始打印")
        try:
            dpi = min(printer.resolution(), MAX_RENDER_DPI)
            for i in range(doc.pageCount()):
                if i > 0:
                    printer.newPage()
                points = doc.pagePointSize(i)
                pixels = QSize(
                    max(1, round(points.width() / 72 * dpi)), max(1, round(points.height() / 72 * dpi))
                )
                image = doc.render(i, pixels)
                area = QRectF(painter.viewport())
                scale = min(area.width() / pixels.width(), area.height() / pixels.height())
                target = QRectF(area.x(), area.y(), pixels.width() * scale, pixels.height() * scale)
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                painter.drawImage(target, image)
            return doc.pageCount()
        finally:
            painter.end()
    finally:
        doc.close()


def _save_as(parent: QWidget | None, pdf_path: Path) -> str:
    target, _ = QFileDialog.getSaveFileName(
        parent, "未安装打印机：另存为 PDF", str(Path.home() / pdf_path.name), "PDF 文件 (*.pdf)"
    )
    if not target:
        return "cancelled"
    shutil.copyfile(pdf_path, target)
    return "saved"


def _preview(parent: QWidget | None, pdf_path: Path) -> str:
    info = QPrinterInfo.defaultPrinter()
    if info.isNull():
        info = QPrinterInfo.availablePrinters()[0]
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    dialog = QPrintPreviewDialog(printer, parent)
    dialog.setWindowTitle(f"打印预览 — {pdf_path.name}")
    dialog.paintRequested.connect(lambda p: render_pdf_to_printer(pdf_path, p))
    _LIVE.extend((printer, dialog))  # the printer must outlive the dialog (see ARCHITECTURE pitfalls)
    try:
        dialog.resize(900, 800)
        dialog.exec()
    finally:
        _LIVE.remove(dialog)
        _LIVE.remove(printer)
    return "preview"


def preview_or_save(parent: QWidget | None, pdf_path: Path) -> str:
    """Open a print preview for one PDF; with no printer, offer save-as-PDF. Returns preview | saved |
    cancelled; raises when the PDF cannot be opened or copied."""
    if not QPrinterInfo.availablePrinters():
        return _save_as(parent, pdf_path)
    return _preview(parent, pdf_path)


__all__ = [
    "PdfRenderError",
    "configure_printer_for",
    "is_roll_page",
    "preview_or_save",
    "render_pdf_to_printer",
]
