"""What is due: the worklist of a window, computed locally from its store and the synced calendar.

Works offline. Each item names its case, what kind of attention it needs, the date it is due and a
colour as electronic supervision shows it: red overdue, yellow due within 2 working days or owed now,
grey waiting on something outside the window (a date 待定 until next year's holidays are published).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from desktop.core.errors import CalendarNoData
from desktop.core.workdays import WorkdayCalendar

NEAR_DUE_WORKDAYS = 2
UNDECIDED = ("received",)  # a case the back office has not decided yet

KIND_LABELS = {
    "decision_overdue": "已超过承诺办结日期",
    "decision_near_due": "临近承诺办结日期",
    "notice_supply_passed": "补正期限已过",
    "deadline_pending": "办结日期待定（待节假日安排公布）",
    "documents_owed": "须补发文书",
    "paused": "时限暂停中",
    "gap_overdue": "容缺材料逾期未补交",
    "gap_due": "容缺材料临近补交日期",
}


@dataclass(frozen=True)
class WorkItem:
    case_no: str
    kind: str  # a key of KIND_LABELS
    due: date | None
    colour: str  # red | yellow | grey
    detail: str = ""

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    def as_json(self) -> dict:
        return {"case_no": self.case_no, "kind": self.kind, "label": self.label,
                "due": self.due.isoformat() if self.due else None, "colour": self.colour, "detail": self.detail}


def _near(cal: WorkdayCalendar, today: date, due: date) -> bool:
    try:
        return 0 <= cal.workdays_between(today, due) <= NEAR_DUE_WORKDAYS
    except CalendarNoData:
        return False


def _gap_items(s, *, cal: WorkdayCalendar, today: date) -> list[WorkItem]:
    """容缺 materials still owed: red once their promised date passed (print the 容缺候补通知书), yellow
    within 2 working days of it."""
    from db.local.models import Case, CaseMaterialRow

    items = []
    q = (select(CaseMaterialRow.case_no, CaseMaterialRow.name, CaseMaterialRow.code, CaseMaterialRow.gap_due)
         .join(Case, Case.case_no == CaseMaterialRow.case_no)
         .where(CaseMaterialRow.state == "gap", CaseMaterialRow.gap_due.is_not(None), Case.outcome != "refused"))
    for case_no, name, code, due in s.execute(q):
        if due < today:
            items.append(WorkItem(case_no, "gap_overdue", due, "red", f"{name}（{code}）"))
        elif _near(cal, today, due):
            items.append(WorkItem(case_no, "gap_due", due, "yellow", f"{name}（{code}）"))
    return items


def worklist(s, *, cal: WorkdayCalendar, today: date) -> list[WorkItem]:
    """Every item due at this window on `today`, red first, then yellow, then grey; by due date."""
    from db.local.models import Case, DocumentOwed

    items: list[WorkItem] = []
    for owed in s.scalars(select(DocumentOwed).where(DocumentOwed.settled_at.is_(None))):
        items.append(WorkItem(owed.case_no, "documents_owed", owed.created_at.date(), "yellow",
                              f"{owed.kind}：{owed.reason}"))
    q = select(Case).where(Case.outcome.in_(("accepted", "notice")), Case.status.in_(UNDECIDED))
    for case in s.scalars(q):
        if case.deadline_pending:
            items.append(WorkItem(case.case_no, "deadline_pending", None, "grey", case.matter_name))
            continue
        if case.outcome == "notice":
            if case.supply_due is not None and case.supply_due < today:
                items.append(WorkItem(case.case_no, "notice_supply_passed", case.supply_due, "red",
                                      case.matter_name))
            continue
        if case.paused_since is not None:
            items.append(WorkItem(case.case_no, "paused", case.paused_since, "grey", case.matter_name))
            continue
        due = case.promised_date
        if due is None:
            continue
        if due < today:
            items.append(WorkItem(case.case_no, "decision_overdue", due, "red", case.matter_name))
        elif _near(cal, today, due):
            items.append(WorkItem(case.case_no, "decision_near_due", due, "yellow", case.matter_name))
    items += _gap_items(s, cal=cal, today=today)
    order = {"red": 0, "yellow": 1, "grey": 2}
    items.sort(key=lambda i: (order[i.colour], i.due or date.max, i.case_no, i.kind))
    return items
