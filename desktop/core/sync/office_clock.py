"""The back office's clock steps at a window (central c0011): a department paused, resumed or extended the
decision clock of a case; the window applying the `cases` snapshot folds each such step into the case's
paused_since, extended_days, clock_shift_days and dates by the same rules as the window's own clock
functions (desktop.core.cases.deadlines) and the working-day calendar every window pulls, so every window
computes the same dates. No new version is made: the next version the window makes carries the dates and
the mark `office_clock_step` (the id of the newest department clock step folded in), so a window taking
over that version folds in only the steps after it.

A step new to this window's history is recorded as a history event in the words the 告知书 reads
(desktop.core.cases.records.clock_args), and the window the case belongs to (taken or last handled here)
owes the applicant the 办理期限告知书 (`clock_notice`, in documents_owed: the worklist shows it and
`yichuang reprint --owed` prints it; one owed notice per case at a time: it says the clock's latest state)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.local.models import Case, DocumentOwed
from desktop.core.cases.deadlines import _move_dates
from desktop.core.cases.records import CLOCK_EVENTS
from desktop.core.errors import CalendarNoData
from desktop.core.workdays import WorkdayCalendar

__all__ = ["fold_office_clock", "is_office_clock_step", "office_clock_detail", "owe_clock_notice"]

NOTICE = "clock_notice"


def is_office_clock_step(st: dict[str, Any]) -> bool:
    """A department's clock step (no window; the centre gives it an id and a detail)."""
    return (not st.get("window_no") and st.get("event") in CLOCK_EVENTS and isinstance(st.get("detail"), dict)
            and isinstance(st.get("id"), int))


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _skipped(cal: WorkdayCalendar, detail: dict[str, Any]) -> int:
    """The working days a resumed clock stood still: in (paused_on, resumed_on], as deadlines.resume_clock."""
    paused, resumed = _day(detail.get("paused_on")), _day(detail.get("resumed_on"))
    if paused is None or resumed is None:
        return 0
    try:
        return max(0, cal.workdays_between(paused, resumed))
    except CalendarNoData:
        return 0


def office_clock_detail(cal: WorkdayCalendar, st: dict[str, Any]) -> str:
    """The history text of a department clock step, as the window's own clock functions write it."""
    detail = st["detail"]
    if st["event"] == "clock.paused":
        return str(detail.get("reason") or "")
    if st["event"] == "clock.resumed":
        return f"{_skipped(cal, detail)} 个工作日不计入时限"
    return f"延长 {int(detail.get('days') or 0)} 个工作日，{detail.get('approver') or ''} 批准：{detail.get('reason') or ''}"


def fold_office_clock(case: Case, steps: list[dict[str, Any]], cal: WorkdayCalendar) -> list[int]:
    """Fold every department clock step after the case's mark into its clock and dates (in the caller's
    transaction). Returns the ids folded."""
    done: list[int] = []
    for st in sorted((x for x in steps if is_office_clock_step(x)), key=lambda x: x["id"]):
        if st["id"] <= (case.office_clock_step or 0):
            continue
        detail = st["detail"]
        if st["event"] == "clock.paused":
            case.paused_since = _day(detail.get("paused_on")) or case.paused_since
        elif st["event"] == "clock.resumed":
            skipped = _skipped(cal, detail)
            _move_dates(cal, case, skipped)
            case.clock_shift_days = (case.clock_shift_days or 0) + skipped
            case.paused_since = None
        else:
            days = int(detail.get("days") or 0)
            _move_dates(cal, case, days)
            case.extended_days = (case.extended_days or 0) + days
        case.office_clock_step = st["id"]
        done.append(st["id"])
    return done


def owe_clock_notice(s: Session, case: Case, *, here: str, now: datetime, reason: str) -> bool:
    """Owe the applicant the 告知书 at the window the case belongs to (taken or last handled here), unless
    one is owed already (it prints the clock's latest state). True when a new entry was made."""
    if here not in (case.window_no, case.last_window_no):
        return False
    owed = s.scalar(select(DocumentOwed.id).where(DocumentOwed.case_no == case.case_no, DocumentOwed.kind == NOTICE,
                                                  DocumentOwed.settled_at.is_(None)).limit(1))
    if owed is not None:
        return False
    s.add(DocumentOwed(case_no=case.case_no, kind=NOTICE, created_at=now, reason=reason[:1000]))
    return True
