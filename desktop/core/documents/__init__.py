"""Printed documents of the window (vouchers, notices, receipts, manifests, daily report) as PDF bytes.

Qt-free: the UI prints the returned bytes (QtPdf) or saves them. Every renderer is a pure function
of its arguments and may run on a worker thread; the CJK font is registered once per process.
Paper is "a4" or "roll80" (80 mm receipt roll, height from content); anything else is
BadInput("E_PAPER").

The public names are loaded lazily (PEP 562), so that importing `desktop.core.documents.fonts`
(the GUI does, to find the font file at start-up) does not import reportlab.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: public name -> module defining it (relative to this package, or absolute)
_EXPORTS = {
    "mask_id": "desktop.core.privacy",
    "cjk_font_path": ".fonts",
    "register_cjk_font": ".fonts",
    "render_acceptance_notice": ".notices",
    "render_commitment_letter": ".commitment",
    "render_gap_receipt": ".gapdocs",
    "render_gap_reminder": ".gapdocs",
    "render_gap_promise": ".notices",
    "render_one_time_notice": ".notices",
    "render_refusal_notice": ".notices",
    "render_delivery_receipt": ".receipt",
    "render_transfer_manifest": ".manifest",
    "render_daily_report": ".report",
    "render_voucher": ".voucher",
}

__all__ = [
    "cjk_font_path",
    "mask_id",
    "register_cjk_font",
    "render_acceptance_notice",
    "render_commitment_letter",
    "render_daily_report",
    "render_delivery_receipt",
    "render_gap_promise",
    "render_gap_receipt",
    "render_gap_reminder",
    "render_one_time_notice",
    "render_refusal_notice",
    "render_transfer_manifest",
    "render_voucher",
]
assert sorted(_EXPORTS) == __all__

if TYPE_CHECKING:
    from desktop.core.privacy import mask_id

    from .commitment import render_commitment_letter
    from .fonts import cjk_font_path, register_cjk_font
    from .gapdocs import render_gap_receipt, render_gap_reminder
    from .manifest import render_transfer_manifest
    from .notices import (
        render_acceptance_notice,
        render_gap_promise,
        render_one_time_notice,
        render_refusal_notice,
    )
    from .receipt import render_delivery_receipt
    from .report import render_daily_report
    from .voucher import render_voucher


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # next lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
