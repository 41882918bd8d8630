"""One movable clock for every test: a callable the product reads as its clock and the test moves by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

CORE_NOW = datetime(2026, 11, 23, 9, 30, 0)  # a Monday: where core and sync tests start
UI_NOW = datetime(2026, 3, 10, 9, 30, 0)  # a Tuesday, a working day: where UI tests start


class MovableClock:
    """`clock()` returns `clock.now`; a test sets `clock.now` or calls `advance()` to move time on.

    The window's services and its writer thread read the same object, so both see the move."""

    def __init__(self, now: datetime = CORE_NOW):
        self.start = now
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move on by a timedelta's keyword arguments (days=7, hours=2); returns the new time."""
        self.now = self.now + timedelta(**delta)
        return self.now

    def __repr__(self) -> str:
        return f"MovableClock({self.now.isoformat()})"
