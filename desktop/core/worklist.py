"""What is due: the worklist of a window, computed locally from its store and the synced calendar.

Works offline. Each item names its case, what kind of attention it needs, the date it is due and a
colour as electronic supervision shows it: red overdue, yellow due within 2 working days or owed now,
grey waiting on something outside the window (a paused clock, a date 待定 until next year's holidays are
published).

Two scopes: `window` (the cases this window took or last handled: Case.window_no or Case.last_window_no is
this window) and `centre` (every case of the centre the window holds, its own and those pulled by the
`cases` stream). A due date is always a calendar date; "within 2 working days" and the pick-up wait are
counted in working days of the synced calendar (a make-up Saturday counts, a holiday weekday does not).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select

from desktop.core.errors import BadInput, CalendarNoData
from desktop.core.workdays import WorkdayCalendar

NEAR_DUE_WORKDAYS = 2
UNDECIDED = ("received", "signed", "in_review")  # accepted, the back office has not decided yet
DECIDED = ("approved", "denied")  # decided, the result not yet handed over
DELIVERY_WORKDAYS = 10  # 行政许可法 Art. 44: the licence issued and served within 10 days of the decision
SCOPES = {"window": "本窗口", "centre": "全中心"}

KIND_LABELS = {
    "decision_overdue": "已超过承诺办结日期",
    "decision_near_due": "临近承诺办结日期",
    "statutory_overdue": "已超过法定办结期限",
    "statutory_near_due": "临近法定办结期限",
    "notice_supply_passed": "补正期限已过",
    "deadline_pending": "办结日期待定（待节假日安排公布）",
    "documents_owed": "须补发文书",
    "paused": "时限暂停中",
    "gap_overdue": "容缺材料逾期未补交",
    "gap_due": "容缺材料临近补交日期",
    "pickup_waiting": "办理结果待领取",
    "pickup_overdue": "办理结果超过法定送达期限未领取",
    "transfer_returned": "流转批次被部门退回",
}
ORDER = {"red": 0, "yellow": 1, "grey": 2}


@dataclass(frozen=True)
class WorkItem:
    case_no: str
    kind: str  # a key of KIND_LABELS
    due: date | None
    colour: str  # red | yellow | grey
    detail: str = ""
    window_no: str = ""  # the window that last handled the case

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def as_json(self) -> dict:
        return {"case_no": self.case_no, "kind": self.kind, "label": self.label,
                "due": self.due.isoformat() if self.due else None, "colour": self.colour, "detail": self.detail,
                "window_no": self.window_no}


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise BadInput("E_SCOPE", f"范围“{str(scope)[:20]}”无效：应为 window（本窗口）或 centre（全中心）",
                       field="scope")
    return scope


def _near(cal: WorkdayCalendar, today: date, due: date) -> bool:
    try:
        return 0 <= cal.workdays_between(today, due) <= NEAR_DUE_WORKDAYS
    except CalendarNoData:
        return False


def _handled_by(case) -> str:
    return case.last_window_no or case.window_no


def _in_scope(query, scope: str, here: str):
    """The query narrowed to this window's cases (taken here or last handled here) for the window scope."""
    from db.local.models import Case

    if scope == "centre":
        return query
    return query.where(or_(Case.window_no == here, Case.last_window_no == here))


def _dated(items: list[WorkItem], case, due: date | None, *, cal: WorkdayCalendar, today: date, over: str,
           near: str) -> None:
    if due is None:
        return
    if due < today:
        items.append(WorkItem(case.case_no, over, due, "red", case.matter_name, _handled_by(case)))
    elif _near(cal, today, due):
        items.append(WorkItem(case.case_no, near, due, "yellow", case.matter_name, _handled_by(case)))


def _open_case_items(s, *, cal: WorkdayCalendar, today: date, scope: str, here: str) -> list[WorkItem]:
    """Accepted cases not decided (promised and statutory dates), expired one-time notices, paused clocks,
    dates 待定."""
    from db.local.models import Case

    items: list[WorkItem] = []
    q = _in_scope(select(Case).where(Case.outcome.in_(("accepted", "notice")), Case.status.in_(UNDECIDED)),
                  scope, here)
    for case in s.scalars(q):
        who = _handled_by(case)
        if case.deadline_pending:
            items.append(WorkItem(case.case_no, "deadline_pending", None, "grey", case.matter_name, who))
            continue
        if case.outcome == "notice":
            if case.status == "received" and case.supply_due is not None and case.supply_due < today:
                items.append(WorkItem(case.case_no, "notice_supply_passed", case.supply_due, "red",
                                      case.matter_name, who))
            continue
        if case.paused_since is not None:
            items.append(WorkItem(case.case_no, "paused", case.paused_since, "grey", case.matter_name, who))
            continue
        _dated(items, case, case.promised_date, cal=cal, today=today, over="decision_overdue",
               near="decision_near_due")
        _dated(items, case, case.statutory_date, cal=cal, today=today, over="statutory_overdue",
               near="statutory_near_due")
    return items


def _decided_on(case) -> date:
    """The day the decision was made, as the centre sent it (else the day the window learned of it)."""
    try:
        at = json.loads(case.decision_json or "{}").get("decided_at")
        if at:
            t = datetime.fromisoformat(str(at))
            if t.tzinfo is not None:
                from desktop.core.clock import SHANGHAI

                t = t.astimezone(SHANGHAI)
            return t.date()
    except (ValueError, AttributeError):
        pass
    return case.updated_at.date()


def _pickup_items(s, *, cal: WorkdayCalendar, today: date, scope: str, here: str, wait: int) -> list[WorkItem]:
    """Results decided and not handed over: yellow once they waited more than `wait` working days after the
    decision day; an approval red once past Art. 44's 10 working days."""
    from db.local.models import Case

    items: list[WorkItem] = []
    q = _in_scope(select(Case).where(Case.outcome == "accepted", Case.status.in_(DECIDED)), scope, here)
    for case in s.scalars(q):
        decided = _decided_on(case)
        what = "准予许可" if case.status == "approved" else "不予许可"
        detail = f"{case.matter_name}（{what}，{decided:%Y-%m-%d} 作出决定）"
        try:
            limit = cal.add_workdays(decided, DELIVERY_WORKDAYS) if case.status == "approved" else None
            waited = cal.add_workdays(decided, wait)
        except CalendarNoData:
            continue
        if limit is not None and limit < today:
            items.append(WorkItem(case.case_no, "pickup_overdue", limit, "red", detail, _handled_by(case)))
        elif waited < today:
            items.append(WorkItem(case.case_no, "pickup_waiting", waited, "yellow", detail, _handled_by(case)))
    return items


def _gap_items(s, *, cal: WorkdayCalendar, today: date, scope: str, here: str) -> list[WorkItem]:
    """容缺 materials still owed: red once their promised date passed (print the 容缺候补通知书), yellow
    within 2 working days of it."""
    from db.local.models import Case, CaseMaterialRow

    items = []
    q = _in_scope(select(CaseMaterialRow.case_no, CaseMaterialRow.name, CaseMaterialRow.code, CaseMaterialRow.gap_due,
                         Case.window_no, Case.last_window_no)
                  .join(Case, Case.case_no == CaseMaterialRow.case_no)
                  .where(CaseMaterialRow.state == "gap", CaseMaterialRow.gap_due.is_not(None),
                         Case.outcome != "refused", Case.status.not_in(("withdrawn", "voided"))), scope, here)
    for case_no, name, code, due, origin, last in s.execute(q):
        if due < today:
            items.append(WorkItem(case_no, "gap_overdue", due, "red", f"{name}（{code}）", last or origin))
        elif _near(cal, today, due):
            items.append(WorkItem(case_no, "gap_due", due, "yellow", f"{name}（{code}）", last or origin))
    return items


def _owed_items(s, *, scope: str, here: str) -> list[WorkItem]:
    from db.local.models import Case, DocumentOwed

    q = _in_scope(select(DocumentOwed, Case.window_no, Case.last_window_no)
                  .join(Case, Case.case_no == DocumentOwed.case_no)
                  .where(DocumentOwed.settled_at.is_(None)), scope, here)
    return [WorkItem(owed.case_no, "documents_owed", owed.created_at.date(), "yellow", f"{owed.kind}：{owed.reason}",
                     last or origin) for owed, origin, last in s.execute(q)]


def _returned_items(s, *, scope: str, here: str) -> list[WorkItem]:
    """Cases of a batch the department returned that are still waiting to be sent again (in no open batch,
    not signed for): the newest return of each case."""
    from db.local.models import Case, TransferBatch, TransferItem

    still_open = (select(TransferItem.case_no).join(TransferBatch, TransferBatch.batch_no == TransferItem.batch_no)
                  .where(TransferBatch.state != "returned"))
    q = _in_scope(select(TransferBatch, Case)
                  .join(TransferItem, TransferItem.batch_no == TransferBatch.batch_no)
                  .join(Case, Case.case_no == TransferItem.case_no)
                  .where(TransferBatch.state == "returned", Case.outcome == "accepted", Case.status == "received",
                         Case.case_no.not_in(still_open))
                  .order_by(TransferBatch.closed_at), scope, here)
    newest: dict[str, WorkItem] = {}
    for batch, case in s.execute(q):
        closed = (batch.closed_at or batch.created_at).date()
        newest[case.case_no] = WorkItem(case.case_no, "transfer_returned", closed, "yellow",
                                        f"{batch.batch_no} 被{batch.department}退回：{batch.return_reason}",
                                        _handled_by(case))
    return list(newest.values())


def this_window(s) -> str:
    from desktop.core.cases.versions import this_window_no

    return this_window_no(s)


def first_login_today(s, *, clerk, today: date) -> bool:
    """True for the first login of `today` on this window, marking the day in the caller's transaction (the
    day counts as offered even when nothing is due: later logins that day are not shown the list). Only
    someone who works at the window (permission intake) starts the day."""
    from db.local.models import Setting
    from desktop.core.roles import require
    from desktop.core.store import put_setting

    require(clerk, "intake")

    row = s.get(Setting, "worklist_shown_on")
    if row is not None and row.value == today.isoformat():
        return False
    put_setting(s, "worklist_shown_on", today.isoformat())
    return True


def worklist(s, *, cal: WorkdayCalendar, today: date, scope: str = "window", here: str = "",
             pickup_wait: int = 5) -> list[WorkItem]:
    """Every item due in `scope` on `today`, red first, then yellow, then grey; by due date.

    `here` is this window's number (the window scope's cases are those taken or last handled here);
    `pickup_wait` the working days a decided result may wait for pick-up before it is listed."""
    check_scope(scope)
    items = _owed_items(s, scope=scope, here=here)
    items += _open_case_items(s, cal=cal, today=today, scope=scope, here=here)
    items += _pickup_items(s, cal=cal, today=today, scope=scope, here=here, wait=max(0, pickup_wait))
    items += _gap_items(s, cal=cal, today=today, scope=scope, here=here)
    items += _returned_items(s, scope=scope, here=here)
    items.sort(key=lambda i: (ORDER[i.colour], i.due or date.max, i.case_no, i.kind))
    return items
