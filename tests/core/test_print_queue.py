"""A rendered document printed through a real CUPS queue (private cupsd + the cups-pdf virtual printer)."""

from __future__ import annotations

import shutil

import pytest
from pypdf import PdfReader

from desktop.core.documents import render_transfer_manifest, render_voucher
from tests.support.cups import dark_pixels, print_through_queue
from tests.support.doc_samples import CLERK, sample_case, sample_transfer, sample_window


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("voucher-a4", lambda: render_voucher(sample_case())),
        ("voucher-roll80", lambda: render_voucher(sample_case(), paper="roll80")),
        (
            "manifest-50",
            lambda: render_transfer_manifest(sample_transfer(cases=50), window=sample_window(), clerk=CLERK),
        ),
    ],
)
def test_document_prints_through_a_real_cups_queue(private_cups, tmp_path, name, render):
    if not shutil.which("pdftoppm"):
        raise AssertionError("pdftoppm (poppler-utils) is needed to check the printed pages")
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(render())
    printed = print_through_queue(private_cups, source)
    try:
        assert printed.stat().st_size > 1000
        assert len(PdfReader(printed).pages) == len(PdfReader(source).pages)
        # the queue prints onto its own media (a roll lands centred on a full sheet, unscaled), so
        # compare the amount of ink, not its share of the page
        before, after = dark_pixels(source, tmp_path), dark_pixels(printed, tmp_path)
        assert len(after) == len(before)
        for page, ((ink, share), (ink0, _)) in enumerate(zip(after, before), 1):
            assert share > 0.002, f"printed page {page} is (nearly) blank: {share:.4f} dark"
            assert 0.6 * ink0 < ink < 1.5 * ink0, f"printed page {page}: {ink} dark pixels, source {ink0}"
    finally:
        printed.unlink(missing_ok=True)
