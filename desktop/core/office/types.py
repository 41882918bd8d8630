"""Frozen values the back office's services return (never the centre's raw JSON objects).

Each has `as_json()`: what the command line prints. Dates the centre sends as ISO text become `date`s;
a value the centre left out stays None."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: the back office's review steps, in the order a matter may list them (desktop catalogue field review_steps)
STEP_LABELS = {"handle": "承办", "review": "审核", "decide": "决定"}
STATUS_LABELS = {
    "received": "已受理待流转", "signed": "已签收", "in_review": "审查中", "approved": "准予许可",
    "denied": "不予许可", "delivered": "已送达", "withdrawn": "已撤回", "voided": "已作废",
}
BATCH_STATE_LABELS = {"waiting": "待发送", "sent": "待签收", "signed": "已签收", "returned": "已退回"}
DEFAULT_STEPS = ("handle", "review", "decide")
#: the centre's step events (yc.case_steps.event) as the history shows them; others show as they are
EVENT_LABELS = {
    "review.handle": "承办", "review.review": "审核", "decision.approved": "决定：准予许可",
    "decision.denied": "决定：不予许可", "decision.corrected": "更正决定", "transfer.signed": "签收",
    "transfer.returned": "退回", "transfer.sent": "流转发出", "case.received": "受理", "case.updated": "窗口更新",
    "intake": "受理", "supplement": "补正",
    "handover": "结果送达", "withdraw": "撤回", "void": "作废",
    "clock.paused": "暂停计时", "clock.resumed": "恢复计时", "clock.extended": "延长期限",
}


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class OfficeStaff:
    """A department's staff member, signed in (password verified against the centre's hash)."""

    login: str
    name: str
    staff_no: str

    def as_json(self) -> dict[str, Any]:
        return {"login": self.login, "name": self.name, "staff_no": self.staff_no}


@dataclass(frozen=True)
class OfficeInfo:
    """Who this department PC serves, as office.hello() said."""

    centre_code: str
    centre_name: str
    department: str
    server_time: str

    def as_json(self) -> dict[str, Any]:
        return {"centre_code": self.centre_code, "centre_name": self.centre_name, "department": self.department,
                "server_time": self.server_time}


@dataclass(frozen=True)
class BatchCase:
    case_no: str
    matter_code: str
    applicant_name: str
    promised_date: date | None
    statutory_date: date | None

    @classmethod
    def from_centre(cls, d: dict[str, Any]) -> BatchCase:
        return cls(_text(d.get("case_no")), _text(d.get("matter_code")), _text(d.get("applicant_name")),
                   _date(d.get("promised_date")), _date(d.get("statutory_date")))

    def as_json(self) -> dict[str, Any]:
        return {"case_no": self.case_no, "matter_code": self.matter_code, "applicant_name": self.applicant_name,
                "promised_date": _iso(self.promised_date), "statutory_date": _iso(self.statutory_date)}


@dataclass(frozen=True)
class InboxBatch:
    """A transfer batch addressed to the department (sent, signed or returned)."""

    batch_no: str
    window_no: str
    state: str
    channel: str
    tracking_no: str
    created_at: str
    sent_at: str
    closed_at: str
    return_reason: str
    cases: tuple[BatchCase, ...] = ()

    @property
    def state_label(self) -> str:
        return BATCH_STATE_LABELS.get(self.state, self.state)

    @classmethod
    def from_centre(cls, d: dict[str, Any]) -> InboxBatch:
        return cls(_text(d.get("batch_no")), _text(d.get("window_no")), _text(d.get("state")),
                   _text(d.get("channel")), _text(d.get("tracking_no")), _text(d.get("created_at")),
                   _text(d.get("sent_at")), _text(d.get("closed_at")), _text(d.get("return_reason")),
                   tuple(BatchCase.from_centre(c) for c in d.get("cases") or ()))

    def as_json(self) -> dict[str, Any]:
        return {"batch_no": self.batch_no, "window_no": self.window_no, "state": self.state,
                "channel": self.channel, "tracking_no": self.tracking_no, "created_at": self.created_at or None,
                "sent_at": self.sent_at or None, "closed_at": self.closed_at or None,
                "return_reason": self.return_reason, "cases": [c.as_json() for c in self.cases]}


@dataclass(frozen=True)
class ReviewCase:
    """A case of the department that is signed for or in review: its deadlines and the next step."""

    case_no: str
    matter_code: str
    applicant_name: str
    status: str
    promised_date: date | None
    statutory_date: date | None
    review_steps: tuple[str, ...]
    done_steps: tuple[str, ...]
    next_step: str
    paused_on: date | None = None  # the clock is stopped since (central c0011), None: running
    extended_days: int = 0  # working days the deadline was extended (Art. 42 allows one extension)

    @property
    def paused(self) -> bool:
        return self.paused_on is not None

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def next_step_label(self) -> str:
        return STEP_LABELS.get(self.next_step, self.next_step or "—")

    def days_left(self, today: date) -> int | None:
        """Calendar days until the promised date (negative: overdue); None without one."""
        return (self.promised_date - today).days if self.promised_date else None

    @classmethod
    def from_centre(cls, d: dict[str, Any]) -> ReviewCase:
        steps = tuple(str(s) for s in d.get("review_steps") or DEFAULT_STEPS)
        clock = d.get("clock") if isinstance(d.get("clock"), dict) else {}
        try:
            extended = int(clock.get("extended_days") or 0)
        except (TypeError, ValueError):
            extended = 0
        return cls(_text(d.get("case_no")), _text(d.get("matter_code")), _text(d.get("applicant_name")),
                   _text(d.get("status")), _date(d.get("promised_date")), _date(d.get("statutory_date")),
                   steps, tuple(str(s) for s in d.get("done_steps") or ()), _text(d.get("next_step")),
                   _date(clock.get("paused_on")), extended)

    def as_json(self) -> dict[str, Any]:
        return {"case_no": self.case_no, "matter_code": self.matter_code, "applicant_name": self.applicant_name,
                "status": self.status, "promised_date": _iso(self.promised_date),
                "statutory_date": _iso(self.statutory_date), "review_steps": list(self.review_steps),
                "done_steps": list(self.done_steps), "next_step": self.next_step or None,
                "clock": {"paused_on": _iso(self.paused_on), "extended_days": self.extended_days}}


@dataclass(frozen=True)
class CaseStep:
    event: str
    window_no: str
    department: str
    actor_name: str
    at: str
    opinion: str = ""

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.event, self.event)

    @classmethod
    def from_centre(cls, d: dict[str, Any]) -> CaseStep:
        detail = d.get("detail") if isinstance(d.get("detail"), dict) else {}
        return cls(_text(d.get("event")), _text(d.get("window_no")), _text(d.get("department")),
                   _text(d.get("actor_name")), _text(d.get("at")),
                   _text(d.get("opinion") or detail.get("opinion") or detail.get("reason")))


@dataclass(frozen=True)
class CaseDetail:
    """One case as office.case() returns it. `data_json` keeps the centre's whole answer (frozen text)."""

    case_no: str
    status: str
    matter_code: str
    applicant_name: str
    steps: tuple[CaseStep, ...]
    decision_json: str = ""  # "" = not decided
    data_json: str = field(default="{}", repr=False)

    @property
    def decision(self) -> dict[str, Any] | None:
        return json.loads(self.decision_json) if self.decision_json else None

    @classmethod
    def from_centre(cls, d: dict[str, Any]) -> CaseDetail:
        payload = d.get("payload") if isinstance(d.get("payload"), dict) else {}
        applicant = payload.get("applicant") if isinstance(payload.get("applicant"), dict) else {}
        decision = d.get("decision")
        return cls(_text(d.get("case_no") or payload.get("case_no")), _text(d.get("status")),
                   _text(d.get("matter_code") or payload.get("matter_code")),
                   _text(d.get("applicant_name") or applicant.get("name")),
                   tuple(CaseStep.from_centre(s) for s in d.get("steps") or () if isinstance(s, dict)),
                   json.dumps(decision, ensure_ascii=False, sort_keys=True) if decision else "",
                   json.dumps(d, ensure_ascii=False, sort_keys=True, default=str))

    def as_json(self) -> dict[str, Any]:
        return json.loads(self.data_json)


@dataclass(frozen=True)
class Decision:
    """What the department decides: approve (document name and number, e-licence reference, copies) or
    deny (reason). Checked by desktop.core.office.forms.decision()."""

    decision: str  # approve | deny
    doc_name: str = ""
    doc_no: str = ""
    e_licence_ref: str = ""
    copies: int = 1
    reason: str = ""

    def wire(self) -> dict[str, Any]:
        """The p_decision the centre takes."""
        if self.decision == "approve":
            out: dict[str, Any] = {"decision": "approve", "doc_name": self.doc_name, "doc_no": self.doc_no,
                                   "copies": self.copies}
            if self.e_licence_ref:
                out["e_licence_ref"] = self.e_licence_ref
            return out
        return {"decision": "deny", "reason": self.reason}
