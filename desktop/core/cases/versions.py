"""A case becomes its next version: the history event and the `case.upsert` operation with its frozen wire
form, in the caller's transaction (the centre applies a version only if it is newer than what it has)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.local.models import Case, CaseEvent
from desktop.core.clock import to_iso
from desktop.core.outbox import enqueue


def record_case_change(s: Session, case: Case, *, actor: str, event: str, detail: str, now: datetime) -> None:
    """A changed case becomes its next version: history event and `case.upsert` op."""
    case.version += 1
    case.updated_at = now
    s.add(CaseEvent(case_no=case.case_no, at=now, actor=actor, event=event, detail=detail))
    s.flush()
    enqueue(s, kind="case.upsert", ref=case.case_no, payload=case_payload(case), now=now)


def case_payload(case: Case) -> dict[str, Any]:
    """The frozen `case.upsert` payload the centre applies (see docs/sync-protocol.md for its contract)."""
    return {
        "case_no": case.case_no,
        "matter_code": case.matter_code,
        "catalogue_version": case.catalogue_version,
        "calendar_version": case.calendar_version,
        "outcome": case.outcome,
        "status": case.status,
        "received_at": to_iso(case.received_at),
        "promised_date": case.promised_date.isoformat() if case.promised_date else None,
        "statutory_date": case.statutory_date.isoformat() if case.statutory_date else None,
        "supply_due": case.supply_due.isoformat() if case.supply_due else None,
        "centre_code": case.centre_code,
        "window_no": case.window_no,
        "clerk_login": case.clerk_login,
        "applicant": json.loads(case.applicant_json),
        "agent": json.loads(case.agent_json) if case.agent_json else None,
        "materials": [
            {"code": m.code, "state": m.state, "copies": m.copies, "form": m.form,
             "e_licence_ref": m.e_licence_ref, "reason": m.reason,
             "gap_due": m.gap_due.isoformat() if m.gap_due else None}
            for m in case.materials
        ],
        "note": case.note,
        "refusal_reason": case.refusal_reason,
        "apply_instead": case.apply_instead,
        "result_note": case.result_note,
        "complete_at": to_iso(case.complete_at) if case.complete_at else None,
        "paused_since": case.paused_since.isoformat() if case.paused_since else None,
        "extended_days": case.extended_days,
        "version": case.version,
    }
