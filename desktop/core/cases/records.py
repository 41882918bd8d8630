"""The read side of a case: the record every document and view is built from, its history, its documents."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.local.models import Case, CaseEvent, Document, User
from desktop.core import caseno
from desktop.core.cases.checks import applicant_from_json, person_from_json
from desktop.core.catalogue import storage as catalogue
from desktop.core.errors import BadInput, NotFound
from desktop.core.store import Store
from desktop.core.types import CaseMaterial, CaseRecord, Clerk, PrintedDocument


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
    matter = catalogue.matter(store, code=case.matter_code, version=case.catalogue_version)
    clerk = Clerk(login=case.clerk_login, name=case.clerk_name,
                  staff_no=clerk_row.staff_no if clerk_row else "", role="clerk")
    return CaseRecord(
        case_no=case.case_no, matter=matter, applicant=applicant_from_json(json.loads(case.applicant_json)),
        agent=person_from_json(json.loads(case.agent_json)) if case.agent_json else None,
        materials=materials, outcome=case.outcome, received_at=case.received_at,
        promised_date=case.promised_date if case.outcome != "notice" else None,
        supply_due=case.supply_due, statutory_date=case.statutory_date, window=store.window(), clerk=clerk,
        note=case.note, warnings=tuple(json.loads(case.warnings_json)), refusal_reason=case.refusal_reason,
        apply_instead=case.apply_instead, result_note=case.result_note, complete_at=case.complete_at,
        status=case.status, paused_since=case.paused_since, extended_days=case.extended_days,
        deadline_pending=case.deadline_pending,
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


def delivery_args(store: Store, case_no: str) -> dict[str, Any]:
    """What the 送达回执 needs from the history: who received the result, how and when."""
    with store.Reader() as s:
        ev = s.scalar(select(CaseEvent).where(CaseEvent.case_no == case_no, CaseEvent.event == "delivered")
                      .order_by(CaseEvent.id.desc()))
    if ev is None:
        raise BadInput("E_NOT_DELIVERED", f"办件 {case_no} 尚未送达", field="case_no")
    d = json.loads(ev.detail)
    return {"receiver_name": d["receiver_name"], "receiver_id_no": d.get("receiver_id_no", ""),
            "how": d["how"], "delivered_at": ev.at}


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
