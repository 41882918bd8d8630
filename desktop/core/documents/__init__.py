"""Printed documents of the window (vouchers, notices, daily report) rendered to PDF bytes with reportlab.

Qt-free: the UI prints the returned bytes (QtPdf) or saves them. Every renderer is a pure function
of its arguments and may run on a worker thread; the CJK font is registered once per process.
Paper is "a4" or "roll80" (80 mm receipt roll, height from content); anything else is
BadInput("E_PAPER").
"""

from __future__ import annotations

from .common import mask_id
from .fonts import register_cjk_font
from .notices import (
    render_acceptance_notice,
    render_gap_promise,
    render_one_time_notice,
    render_refusal_notice,
)
from .report import render_daily_report
from .voucher import render_voucher

__all__ = [
    "mask_id",
    "register_cjk_font",
    "render_acceptance_notice",
    "render_daily_report",
    "render_gap_promise",
    "render_one_time_notice",
    "render_refusal_notice",
    "render_voucher",
]
