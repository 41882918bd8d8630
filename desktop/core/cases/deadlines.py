"""The decision clock of an accepted case: pause and resume (time not counted), and extension with a reason.

The licensing law does not count time for hearings, inspection, testing or expert review (the applicant is
told), and allows a 10-working-day extension with approval and a reason. Each change moves the promised
and statutory dates by working days, is recorded in the case history and queued as a new case version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from desktop.core import caseno, users, workcalendar
from desktop.core.audit import record_audit
from desktop.core.cases import records
from desktop.core.cases.limits import NOTICE_SUPPLY_DAYS, PENDING_TEXT  # noqa: F401 (re-exported)
from desktop.core.cases.versions import record_case_change
from desktop.core.catalogue import storage as catalogue
from desktop.core.documents import archive
from desktop.core.errors import BadInput, NotFound
from desktop.core.labels import OUTCOME_LABELS
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.types import Clerk, Matter, PrintedDocument
from desktop.core.workdays import WorkdayCalendar, version_of

MAX_EXTENSION = 10
CLOCK_OUTCOMES = ("accepted",)


@dataclass(frozen=True)
class Deadlines:
    """The dates of a case as far as the calendar allows; `pending` when one of them must wait for
    next year's holiday arrangement (it is then None and printed as PENDING_TEXT)."""

    promised: date | None = None
    statutory: date | None = None
    supply_due: date | None = None
    pending: bool = False


def compute_deadlines(cal: WorkdayCalendar, *, matter: Matter, outcome: str, start: date,
                      shift: int = 0) -> Deadlines:
    """The deadlines of a case whose clock starts on `start` (the day the file was complete, or the day
    of the one-time notice), moved by `shift` working days (extension and paused time).

    At year end a count that reaches into a year without holiday data is not refused: that date is left
    None and the result is `pending`. A start day in a year without data is still refused. An on-the-spot case is complete today: its statutory date is only
    informative and is left None (never pending) when it cannot be computed yet."""
    if outcome not in ("notice", "accepted", "completed"):
        return Deadlines()
    cal.is_workday(start)  # the start day's own year must have data (E_CALENDAR_NO_DATA): only a count
    #                        reaching into the next, not yet published, year may wait
    if outcome == "notice":
        due = cal.try_add_workdays(start, NOTICE_SUPPLY_DAYS)
        return Deadlines(supply_due=due, pending=due is None)
    statutory = None
    if matter.statutory_days is not None:
        statutory = cal.try_add_workdays(start, matter.statutory_days + shift)
    if outcome == "completed":
        return Deadlines(promised=start, statutory=statutory)
    promised = cal.try_add_workdays(start, matter.promised_days + shift)
    pending = promised is None or (matter.statutory_days is not None and statutory is None)
    return Deadlines(promised=promised, statutory=statutory, pending=pending)


def pending_warning(cal: WorkdayCalendar, start: date) -> str:
    """The clerk's warning for a case taken with a 待定 date (names the year without data)."""
    year = next((y for y in range(start.year, start.year + 5) if not cal.has_year(y)), start.year + 1)
    return (f"{year} 年节假日安排尚未公布：办结（补正）日期暂定为“待定”，"
            "日历导入后自动计算并列入待办，须向申请人补发文书")


def clock_start(s, case) -> date | None:
    """The day a case's clock started: the day its file was complete, or for a one-time notice the day
    that notice was issued (from the history)."""
    from db.local.models import CaseEvent

    if case.outcome in ("accepted", "completed"):
        return case.complete_at.date() if case.complete_at else None
    if case.outcome == "notice":
        at = s.scalar(select(CaseEvent.at).where(
            CaseEvent.case_no == case.case_no,
            (CaseEvent.event == "notice")
            | ((CaseEvent.event == "supplemented") & (CaseEvent.detail == OUTCOME_LABELS["notice"])),
        ).order_by(CaseEvent.id.desc()).limit(1))
        return at.date() if at else case.received_day
    return None


def owed_kinds(s, case) -> list[str]:
    """The documents to hand the applicant again once a 待定 date is known: what was printed with it."""
    from db.local.models import Document

    if case.outcome == "notice":
        candidates = ("one_time_notice",)
    elif case.outcome == "accepted":
        candidates = ("voucher", "acceptance_notice")
    else:
        return []
    printed = set(s.scalars(select(Document.kind).where(Document.case_no == case.case_no)))
    return [k for k in candidates if k in printed] or [candidates[0]]


def recompute_pending(s, *, cal: WorkdayCalendar, find_matter: Callable[[str, str], Matter], now: datetime,
                      actor: str) -> list[str]:
    """In the caller's transaction: compute every 待定 date the calendar `cal` now covers, record the
    change in each case's history (a new case version for the centre) and list the documents owed.
    Returns the case numbers whose dates became known. Idempotent."""
    from db.local.models import Case, DocumentOwed

    done: list[str] = []
    for case in s.scalars(select(Case).where(Case.deadline_pending).order_by(Case.case_no)).all():
        start = clock_start(s, case)
        if start is None:
            continue
        matter = find_matter(case.matter_code, case.catalogue_version)
        d = compute_deadlines(cal, matter=matter, outcome=case.outcome, start=start,
                              shift=case.extended_days + case.clock_shift_days)
        if d.pending:
            continue
        case.promised_date, case.statutory_date = d.promised, d.statutory
        if case.outcome == "notice":
            case.supply_due = d.supply_due
        case.deadline_pending = False
        case.calendar_version = version_of(cal.overrides)
        if case.outcome == "notice":
            detail = f"节假日安排已公布，补正期限确定为 {d.supply_due:%Y-%m-%d}"
        else:
            detail = f"节假日安排已公布，承诺办结日期确定为 {d.promised:%Y-%m-%d}" + (
                f"，法定办结日期 {d.statutory:%Y-%m-%d}" if d.statutory else "")
        record_case_change(s, case, clerk=None, actor=actor, event="deadline.computed", detail=detail, now=now)
        for kind in owed_kinds(s, case):
            s.add(DocumentOwed(case_no=case.case_no, kind=kind, created_at=now,
                               reason=f"{detail}：须向申请人补发"))
        done.append(case.case_no)
    return done


def _load(s, case_no: str):
    from db.local.models import Case

    case = s.get(Case, case_no)
    if case is None:
        raise NotFound("E_CASE", f"本窗口没有办件 {case_no}", field="case_no")
    if case.outcome not in CLOCK_OUTCOMES or case.status == "delivered":
        raise BadInput("E_NO_CLOCK", f"办件 {case_no} 不在办理时限内（未受理或已办结）", field="case_no")
    return case


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("E_FIELD_REQUIRED", "请写明理由", field="reason")
    if len(reason) > 500:
        raise BadInput("E_FIELD_TOO_LONG", "理由过长（最多 500 个字符）", field="reason")
    return reason


def _commit(store: Store, s, case, *, clerk: Clerk, event: str, detail: str) -> None:
    record_case_change(s, case, clerk=clerk, event=event, detail=detail, now=store.clock())


def recompute_pending_in(store: Store, s, *, actor: str) -> list[str]:
    """`recompute_pending` with the calendar as the session `s` sees it (rows it has just written count)."""
    return recompute_pending(s, cal=workcalendar.calendar_in(s), now=store.clock(), actor=actor,
                             find_matter=lambda code, version: catalogue.matter(store, code=code, version=version))


def import_calendar(store: Store, *, years: Iterable[int], rows: Iterable[tuple[date, str, str]], source: str,
                    actor: Clerk) -> list[str]:
    """Import years of holidays (all or nothing, a supervisor's act); 待定 dates they cover are computed in
    the same transaction. Returns the case numbers whose dates became known (their documents are owed)."""
    require(actor, "calendar_import")
    years, rows = set(years), list(rows)
    now = store.clock()
    with store.Session.begin() as s:
        workcalendar.store_years(s, years=years, rows=rows, source=source, now=now)
        record_audit(s, window=store.window(), at=now, actor=actor.login, action="calendar.import", ref=source,
                     detail=",".join(str(y) for y in sorted(years)))
        computed = recompute_pending_in(store, s, actor=actor.login)
    store.invalidate("calendar")
    return computed


def _move_dates(cal: WorkdayCalendar, case, days: int) -> None:
    """Move a case's known dates by `days` working days; a date that would reach into a year without
    holiday data becomes 待定 (computed again from the clock's start when that year arrives)."""
    for attr in ("promised_date", "statutory_date"):
        old = getattr(case, attr)
        if old is not None:
            new = cal.try_add_workdays(old, days)
            setattr(case, attr, new)
            if new is None:
                case.deadline_pending = True


def print_clock_notice(store: Store, *, case_no: str, clerk: Clerk) -> PrintedDocument:
    """Print the written notice (办理期限告知书) of the case's latest pause, resume or extension, after its
    commit: the reason and the dates from the history and the record, a number of its own."""
    return archive.print_document(store, record=records.case_record(store, case_no=case_no), kind="clock_notice",
                                  clerk=clerk, extra=records.clock_args(store, case_no), issue=True)


def pause_clock(store: Store, *, case_no: str, reason: str, clerk: Clerk) -> None:
    """Stop the decision clock (hearing, inspection, testing, appraisal, expert review: Art. 45) and print
    the written notice to the applicant."""
    require(clerk, "clock_pause")
    case_no = caseno.normalise_case_no(case_no)
    reason = _reason(reason)
    with store.Session.begin() as s:
        case = _load(s, case_no)
        if case.paused_since is not None:
            raise BadInput("E_PAUSED", f"办件 {case_no} 的时限已于 {case.paused_since} 暂停", field="case_no")
        case.paused_since = store.clock().date()
        _commit(store, s, case, clerk=clerk, event="clock.paused", detail=reason)
    print_clock_notice(store, case_no=case_no, clerk=clerk)


def resume_clock(store: Store, *, case_no: str, clerk: Clerk) -> int:
    """Resume a paused clock; returns the working days not counted (the dates move by as many)."""
    require(clerk, "clock_pause")
    case_no = caseno.normalise_case_no(case_no)
    cal = workcalendar.calendar(store)
    with store.Session.begin() as s:
        case = _load(s, case_no)
        if case.paused_since is None:
            raise BadInput("E_NOT_PAUSED", f"办件 {case_no} 的时限未暂停", field="case_no")
        skipped = cal.workdays_between(case.paused_since, store.clock().date())
        _move_dates(cal, case, skipped)
        case.clock_shift_days += skipped
        case.paused_since = None
        _commit(store, s, case, clerk=clerk, event="clock.resumed", detail=f"{skipped} 个工作日不计入时限")
    print_clock_notice(store, case_no=case_no, clerk=clerk)
    return skipped


def extend_deadline(store: Store, *, case_no: str, days: int, reason: str, approver_login: str,
                    approver_password: str, clerk: Clerk) -> None:
    """Extend by at most 10 working days in all, approved by a supervisor (checked by password); the written
    notice with the reason and the new dates is printed after the commit (Art. 42)."""
    require(clerk, "intake")
    case_no = caseno.normalise_case_no(case_no)
    reason = _reason(reason)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise BadInput("E_EXTENSION", "延长天数应为正整数（工作日）", field="days")
    approver = users.login(store, login=approver_login, password=approver_password)
    require(approver, "clock_extend_approve", code="E_OVERRIDE_ROLE", field="approver")
    cal = workcalendar.calendar(store)
    with store.Session.begin() as s:
        case = _load(s, case_no)
        if case.extended_days + days > MAX_EXTENSION:
            raise BadInput("E_EXTENSION",
                           f"延长期限累计不得超过 {MAX_EXTENSION} 个工作日（已延长 {case.extended_days} 个）",
                           field="days")
        _move_dates(cal, case, days)
        case.extended_days += days
        _commit(store, s, case, clerk=clerk, event="clock.extended",
                detail=f"延长 {days} 个工作日，{approver.name} 批准：{reason}")
    print_clock_notice(store, case_no=case_no, clerk=clerk)
