"""Printing through Qt onto a real CUPS queue: QPrinterInfo lists CUPS-PDF and render_pdf_to_printer's job lands."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from pypdf import PdfReader

from desktop.core.documents import render_voucher
from tests.support import cups as queue
from tests.support.doc_samples import sample_case

_HERE = Path(__file__).resolve()

# A separate process: libcups reads CUPS_SERVER once per process, and this session's QApplication
# may already have asked the default server for its printers.
QT_PRINT = textwrap.dedent(
    """
    import sys
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo
    from PySide6.QtWidgets import QApplication
    from desktop.ui.printing import render_pdf_to_printer

    app = QApplication([])
    names = [p.printerName() for p in QPrinterInfo.availablePrinters()]
    print("PRINTERS", names, flush=True)
    info = QPrinterInfo.printerInfo("CUPS-PDF")
    if info.isNull():
        sys.exit("CUPS-PDF not listed by QPrinterInfo")
    printer = QPrinter(info, QPrinter.PrinterMode.HighResolution)
    printer.setDocName(sys.argv[2])
    print("PAGES", render_pdf_to_printer(sys.argv[1], printer), flush=True)
    """
)


def _job_ids(server) -> set[str]:
    out = server.run("lpstat", "-W", "all", "-o", queue.PRINTER, check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.startswith(f"{queue.PRINTER}-")}


def test_qt_lists_the_queue_and_prints_a_voucher_through_it(private_cups, tmp_path):
    source = tmp_path / "voucher.pdf"
    source.write_bytes(render_voucher(sample_case()))
    token = f"yichuang-qt-{uuid.uuid4().hex[:12]}"
    before = _job_ids(private_cups)
    env = dict(os.environ, CUPS_SERVER=str(private_cups.socket), QT_QPA_PLATFORM="offscreen")
    run = subprocess.run(
        [sys.executable, "-c", QT_PRINT, str(source), token],
        cwd=_HERE.parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}\n{private_cups.log_tail()}"
    assert "'CUPS-PDF'" in run.stdout  # listed by QPrinterInfo.availablePrinters()
    assert "PAGES 1" in run.stdout
    new = _job_ids(private_cups) - before
    assert len(new) == 1, f"expected one new job, got {new}\n{private_cups.log_tail()}"
    printed = queue.wait_for_output(private_cups, new.pop(), token)
    try:
        assert len(PdfReader(printed).pages) == len(PdfReader(source).pages)
        ((ink, share),) = queue.dark_pixels(printed, tmp_path)
        ((ink0, _),) = queue.dark_pixels(source, tmp_path)
        assert share > 0.002, f"the page printed through Qt is (nearly) blank: {share:.4f} dark"
        assert 0.5 * ink0 < ink < 2 * ink0, f"{ink} dark pixels printed, {ink0} in the source"
    finally:
        printed.unlink(missing_ok=True)
