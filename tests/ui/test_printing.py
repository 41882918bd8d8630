"""Printing: a service-made PDF rendered through QtPdf onto a QPrinter keeps its pages; no printer never crashes."""

from __future__ import annotations

from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter

from desktop.ui.feedback import print_with_preview
from desktop.ui.printing import is_roll_page, render_pdf_to_printer

INTAKE = {
    "matter": "SH-PER-002",
    "applicant": {"kind": "person", "name": "张三", "id_type": "resident_id", "id_no": "11010519491231002X"},
    "materials": {"ID": "paper"},  # the permit is missing: voucher + one-time notice
}


def _pdf_printer(path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


def test_voucher_renders_to_a_pdf_printer_with_the_same_pages(services, clerk, tmp_path, qapp):
    result = services.accept_application(intake=INTAKE, clerk=clerk)
    for doc in result.documents:
        out = tmp_path / f"printed-{doc.kind}.pdf"
        printer = _pdf_printer(out)
        pages = render_pdf_to_printer(doc.path, printer)
        source = PdfReader(doc.path)
        assert pages == len(source.pages)
        assert out.stat().st_size > 1000
        printed = PdfReader(out)
        assert len(printed.pages) == len(source.pages)
        # same paper: A4 stays A4 (within a point)
        assert abs(float(printed.pages[0].mediabox.width) - float(source.pages[0].mediabox.width)) < 2


def test_roll_voucher_prints_on_an_80mm_page(services, clerk, tmp_path, qapp):
    result = services.accept_application(intake=INTAKE, clerk=clerk, paper="roll80")
    voucher = next(d for d in result.documents if d.kind == "voucher")
    out = tmp_path / "roll.pdf"
    printer = _pdf_printer(out)
    render_pdf_to_printer(voucher.path, printer)
    assert printer.fullPage()
    printed = PdfReader(out)
    width_mm = float(printed.pages[0].mediabox.width) * 25.4 / 72
    assert abs(width_mm - 80) < 1
    source_height = float(PdfReader(voucher.path).pages[0].mediabox.height)
    assert abs(float(printed.pages[0].mediabox.height) - source_height) < 3
    assert len(printed.pages) == len(PdfReader(voucher.path).pages)


def test_is_roll_page():
    from PySide6.QtCore import QSizeF

    assert is_roll_page(QSizeF(80 / 25.4 * 72, 400))
    assert not is_roll_page(QSizeF(595, 842))


def test_print_with_preview_records_without_dialogs(services, clerk, print_log, qapp):
    result = services.accept_application(intake=INTAKE, clerk=clerk)
    path = result.documents[0].path
    assert print_with_preview(None, path) == "recorded"
    assert print_log[-1].pdf_path == path


def test_broken_pdf_never_crashes(tmp_path, qapp, monkeypatch):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"not a pdf")
    out = tmp_path / "out.pdf"
    import pytest

    from desktop.ui.printing import PdfRenderError

    with pytest.raises(PdfRenderError):
        render_pdf_to_printer(bad, _pdf_printer(out))
    # the dialog path (the real presenter): no printers installed -> save-as; the chooser answers a file
    from desktop.ui import feedback, printing

    monkeypatch.setattr(feedback, "_presenter", feedback.Presenter())
    monkeypatch.setattr(printing.QPrinterInfo, "availablePrinters", staticmethod(list))
    saved = tmp_path / "saved.pdf"
    monkeypatch.setattr(
        printing.QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(saved), ""))
    )
    good = tmp_path / "good.pdf"
    good.write_bytes(b"%PDF-1.4 fake")
    assert print_with_preview(None, good) == "saved"
    assert saved.read_bytes() == good.read_bytes()
