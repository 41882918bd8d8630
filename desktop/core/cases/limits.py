"""Time-limit constants that the deadline rules and the documents share (a leaf: documents print them
without importing the deadline code, which prints documents)."""

from __future__ import annotations

NOTICE_SUPPLY_DAYS = 10  # working days an applicant has to bring what the one-time notice lists
PENDING_TEXT = "待定（节假日安排公布后告知）"
"""How a date is printed while it reaches into a year whose holidays are not yet published."""
