"""The read side of a case: the record every document and view is built from, its history, its documents."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.local.models import Case, CaseEvent, Document, User
from desktop.core import caseno
from desktop.core.cases.checks import applicant_from_json, person_from_json, split_refusal
from desktop.core.catalogue import storage as catalogue
from desktop.core.errors import BadInput, NotFound
from desktop.core.labels import OUTCOME_LABELS
from desktop.core.store import Store
from desktop.core.types import CaseMaterial, CaseRecord, Clerk, PrintedDocument

#: the history events that carry a decision of the window on the file: the first visit's outcome and 补正
DECISION_EVENTS = (*OUTCOME_LABELS, "supplemented")


def case_record(store: Store, *, case_no: str) -> CaseRecord:
    case_no = caseno.normalise_case_no(case_no)
    with store.Reader() as s:
        case = s.get(Case, case_no)
        if case is None:
            raise NotFound("E_CASE", f"本窗口没有办件 {case_no}", field="case_no")
        materials = tuple(CaseMaterial(
            code=m.code, name=m.name, required=m.required, form=m.form, copies=m.copies, state=m.state,
            standard=m.standard, e_licence_ref=m.e_licence_ref, reason=m.reason, gap_due=m.gap_due,
        ) for m in case.materials)
        clerk_row = s.get(User, case.clerk_login)
        decided_at = s.scalar(select(CaseEvent.at).where(
            CaseEvent.case_no == case_no, CaseEvent.event.in_(DECISION_EVENTS)).order_by(CaseEvent.id.desc()).limit(1))
    matter = catalogue.matter(store, code=case.matter_code, version=case.catalogue_version)
    clerk = Clerk(login=case.clerk_login, name=case.clerk_name,
                  staff_no=clerk_row.staff_no if clerk_row else "", role="clerk")
    refusal_category, refusal_reason = split_refusal(case.refusal_reason)
    return CaseRecord(
        case_no=case.case_no, matter=matter, applicant=applicant_from_json(json.loads(case.applicant_json)),
        agent=person_from_json(json.loads(case.agent_json)) if case.agent_json else None,
        materials=materials, outcome=case.outcome, received_at=case.received_at,
        promised_date=case.promised_date if case.outcome != "notice" else None,
        supply_due=case.supply_due, statutory_date=case.statutory_date, window=store.window(), clerk=clerk,
        note=case.note, warnings=tuple(json.loads(case.warnings_json)), refusal_reason=refusal_reason,
        refusal_category=refusal_category, apply_instead=case.apply_instead, result_note=case.result_note, complete_at=case.complete_at,
        status=case.status, paused_since=case.paused_since, extended_days=case.extended_days,
        deadline_pending=case.deadline_pending, decided_at=decided_at, online_app_no=case.online_app_no,
        holiday=case.holiday,
    )


def case_history(store: Store, *, case_no: str) -> list[tuple[datetime, str, str, str]]:
    """(when, who, event, detail) of a case, oldest first."""
    with store.Reader() as s:
        rows = s.scalars(select(CaseEvent).where(CaseEvent.case_no == case_no).order_by(CaseEvent.id))
        return [(r.at, r.actor, r.event, r.detail) for r in rows]


def documents(store: Store, *, case_no: str) -> list[PrintedDocument]:
    """Every document printed for a case, oldest first (archived paths)."""
    with store.Reader() as s:
        rows = s.scalars(select(Document).where(Document.case_no == case_no).order_by(Document.id))
        return [PrintedDocument(kind=r.kind, path=r.path, paper=r.paper, reprint=r.reprint,
                                printed_at=r.printed_at) for r in rows]


def delivery_args(store: Store, case_no: str, *, until: datetime | None = None) -> dict[str, Any]:
    """What the 送达回执 needs from the history: who received the result, how and when, the decision handed
    over (as the centre sent it, frozen in the `delivered` event), an e-licence reference, and for express the
    courier's proof of delivery (`delivery.signed`) once recorded. `until`: as of that time (a print's)."""
    with store.Reader() as s:
        q = select(CaseEvent).where(CaseEvent.case_no == case_no,
                                    CaseEvent.event.in_(("delivered", "delivery.signed")))
        if until is not None:
            q = q.where(CaseEvent.at <= until)
        events = list(s.scalars(q.order_by(CaseEvent.id)))
    delivered = [i for i, e in enumerate(events) if e.event == "delivered"]
    if not delivered:
        raise BadInput("E_NOT_DELIVERED", f"办件 {case_no} 尚未送达", field="case_no")
    ev = events[delivered[-1]]
    d = json.loads(ev.detail)
    args: dict[str, Any] = {"receiver_name": d["receiver_name"], "receiver_id_no": d.get("receiver_id_no", ""),
                            "how": d["how"], "delivered_at": ev.at, "tracking_no": d.get("tracking_no", ""),
                            "decision": d.get("decision"), "e_licence_ref": d.get("e_licence_ref", "")}
    signed = next((e for e in events[delivered[-1] + 1:] if e.event == "delivery.signed"), None)
    if d["how"] == "express" and d.get("posted"):
        args["posted"] = True
        if signed is not None:
            args["signed_at"] = datetime.fromisoformat(json.loads(signed.detail)["signed_at"])
    return args


def material_input(m: CaseMaterial) -> dict[str, Any]:
    """A stored material back in the intake file's form (for 补正, which merges what is brought now)."""
    d: dict[str, Any] = {"state": m.state}
    if m.e_licence_ref:
        d["e_licence_ref"] = m.e_licence_ref
    if m.reason:
        d["reason"] = m.reason
    if m.gap_due:
        d["gap_due"] = m.gap_due.isoformat()
    return d


#: the clock events a written notice (办理期限告知书) is printed for
CLOCK_EVENTS = ("clock.paused", "clock.resumed", "clock.extended")
_EXTENDED = re.compile(r"^延长 (\d+) 个工作日，.*? 批准：(.*)$", re.S)
_RESUMED = re.compile(r"^(\d+) 个工作日不计入时限")


def clock_args(store: Store, case_no: str, *, until: datetime | None = None) -> dict[str, Any]:
    """What the 办理期限告知书 needs from the history: the latest pause, resume or extension (at or before
    `until`, e.g. an archived notice's print time), its time, reason and days, and for a resume the reason
    of the pause it ends."""
    with store.Reader() as s:
        q = select(CaseEvent).where(CaseEvent.case_no == case_no, CaseEvent.event.in_(CLOCK_EVENTS))
        if until is not None:
            q = q.where(CaseEvent.at <= until)
        events = list(s.scalars(q.order_by(CaseEvent.id)))
    if not events:
        raise BadInput("E_NO_CLOCK_EVENT", f"办件 {case_no} 没有暂停、恢复或延长办理期限的记录", field="case_no")
    ev = events[-1]
    args: dict[str, Any] = {"event": ev.event, "event_at": ev.at, "reason": "", "days": 0}
    if ev.event == "clock.paused":
        args["reason"] = ev.detail
    elif ev.event == "clock.extended":
        m = _EXTENDED.match(ev.detail)
        args["days"], args["reason"] = (int(m.group(1)), m.group(2)) if m else (0, ev.detail)
    else:
        m = _RESUMED.match(ev.detail)
        args["days"] = int(m.group(1)) if m else 0
        pause = next((e for e in reversed(events[:-1]) if e.event == "clock.paused"), None)
        if pause is not None:
            args["reason"], args["paused_at"] = pause.detail, pause.at
    return args
