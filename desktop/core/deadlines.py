"""The decision clock of an accepted case: pause and resume (time not counted), and extension with a reason.

The licensing law does not count time for hearings, inspection, testing or expert review (the applicant is
told), and allows a 10-working-day extension with approval and a reason. Each change moves the promised
and statutory dates by working days, is recorded in the case history and queued as a new case version.
"""

from __future__ import annotations

from desktop.core import caseno
from desktop.core.errors import AuthError, BadInput, NotFound
from desktop.core.types import Clerk

MAX_EXTENSION = 10
CLOCK_OUTCOMES = ("accepted",)


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


def _commit(services, s, case, *, clerk: Clerk, event: str, detail: str) -> None:
    from desktop.core.services import record_case_change

    record_case_change(s, case, actor=clerk.login, event=event, detail=detail, now=services.clock())


def pause_clock(services, *, case_no: str, reason: str, clerk: Clerk) -> None:
    case_no = caseno.normalise_case_no(case_no)
    reason = _reason(reason)
    with services.Session.begin() as s:
        case = _load(s, case_no)
        if case.paused_since is not None:
            raise BadInput("E_PAUSED", f"办件 {case_no} 的时限已于 {case.paused_since} 暂停", field="case_no")
        case.paused_since = services.clock().date()
        _commit(services, s, case, clerk=clerk, event="clock.paused", detail=reason)


def resume_clock(services, *, case_no: str, clerk: Clerk) -> int:
    """Resume a paused clock; returns the working days not counted (the dates move by as many)."""
    case_no = caseno.normalise_case_no(case_no)
    cal = services.calendar()
    with services.Session.begin() as s:
        case = _load(s, case_no)
        if case.paused_since is None:
            raise BadInput("E_NOT_PAUSED", f"办件 {case_no} 的时限未暂停", field="case_no")
        skipped = cal.workdays_between(case.paused_since, services.clock().date())
        if case.promised_date:
            case.promised_date = cal.add_workdays(case.promised_date, skipped)
        if case.statutory_date:
            case.statutory_date = cal.add_workdays(case.statutory_date, skipped)
        case.paused_since = None
        _commit(services, s, case, clerk=clerk, event="clock.resumed", detail=f"{skipped} 个工作日不计入时限")
    return skipped


def extend_deadline(services, *, case_no: str, days: int, reason: str, approver_login: str,
                    approver_password: str, clerk: Clerk) -> None:
    """Extend by at most 10 working days in all, approved by a supervisor (checked by password)."""
    case_no = caseno.normalise_case_no(case_no)
    reason = _reason(reason)
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        raise BadInput("E_EXTENSION", "延长天数应为正整数（工作日）", field="days")
    approver = services.login(login=approver_login, password=approver_password)
    if approver.role not in ("supervisor", "admin"):
        raise AuthError("E_OVERRIDE_ROLE", f"{approver.name} 不是值班长，无权批准延期", field="approver")
    cal = services.calendar()
    with services.Session.begin() as s:
        case = _load(s, case_no)
        if case.extended_days + days > MAX_EXTENSION:
            raise BadInput("E_EXTENSION",
                           f"延长期限累计不得超过 {MAX_EXTENSION} 个工作日（已延长 {case.extended_days} 个）",
                           field="days")
        if case.promised_date:
            case.promised_date = cal.add_workdays(case.promised_date, days)
        if case.statutory_date:
            case.statutory_date = cal.add_workdays(case.statutory_date, days)
        case.extended_days += days
        _commit(services, s, case, clerk=clerk, event="clock.extended",
                detail=f"延长 {days} 个工作日，{approver.name} 批准：{reason}")
