"""A case becomes its next version: the history event and the `case.upsert` operation with its frozen wire
form, in the caller's transaction (the centre applies a version only if it is the next of what it has).

Any window of the centre may make the next version of any of its cases (a pulled case continues here):
each version carries the `step` that made it (event, THIS window, the acting clerk, when) and the window
whose version it was built on (`base_window_no`: the case's last_window_no before the change). The centre
takes it only as the stored version + 1 whose last window is that one, so a version built on a lost one
is refused as stale too (docs/sync-protocol.md)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.local.models import Case, CaseEvent, Setting
from desktop.core.backup_clerks import active_backup
from desktop.core.clock import to_iso
from desktop.core.outbox import enqueue
from desktop.core.types import Clerk

__all__ = ["WINDOW_STATUSES", "case_payload", "make_step", "record_case_change", "this_window_no"]

WINDOW_STATUSES = ("received", "delivered", "withdrawn", "voided")
"""The statuses a window's case.upsert may carry; any other (signed, in_review, approved, denied) is the
centre's, and the window sends `received` for it (the centre keeps its own)."""


def this_window_no(s: Session) -> str:
    """This window's number, read in the caller's session."""
    row = s.get(Setting, "window_no")
    return row.value if row is not None else ""


def make_step(s: Session, *, event: str, clerk: Clerk | None, now: datetime, actor: str = "",
              backup_for: str = "") -> dict[str, str]:
    """The `step` a version carries: what was done, at THIS window, by whom, when (a system change such as a
    date computed when the holidays arrive has no clerk: its actor stands as the login, no name)."""
    return {"event": event, "window_no": this_window_no(s), "clerk_login": clerk.login if clerk else actor,
            "clerk_name": clerk.name if clerk else "", "at": to_iso(now), "backup_for": backup_for or ""}


def record_case_change(s: Session, case: Case, *, clerk: Clerk | None, event: str, detail: str, now: datetime,
                       actor: str = "", backup_for: str | None = None) -> None:
    """A changed case becomes its next version: history event and `case.upsert` op carrying the step.
    `clerk` is who acts (None only for a change the system makes, named by `actor`). `backup_for` (AB角):
    by default the case's clerk when `clerk` acts as his backup (B角) today, else ''."""
    if backup_for is None:
        backup_for = ""
        if clerk is not None and active_backup(s, absent_login=case.clerk_login, backup_login=clerk.login,
                                               day=now.date()):
            backup_for = case.clerk_login
    step = make_step(s, event=event, clerk=clerk, now=now, actor=actor, backup_for=backup_for)
    # what this version is built on: the centre takes it only if its last change is that window's too
    step["base_window_no"] = case.last_window_no or case.window_no
    case.version += 1
    case.updated_at = now
    case.last_window_no = step["window_no"]
    s.add(CaseEvent(case_no=case.case_no, at=now, actor=clerk.login if clerk else actor, event=event,
                    detail=detail, window_no=step["window_no"]))
    s.flush()
    enqueue(s, kind="case.upsert", ref=case.case_no, payload=case_payload(case, step=step), now=now)


def case_payload(case: Case, *, step: dict[str, str] | None = None) -> dict[str, Any]:
    """The frozen `case.upsert` payload the centre applies (see docs/sync-protocol.md for its contract)."""
    payload = {
        "case_no": case.case_no,
        "matter_code": case.matter_code,
        "catalogue_version": case.catalogue_version,
        "calendar_version": case.calendar_version,
        "outcome": case.outcome,
        "status": case.status if case.status in WINDOW_STATUSES else "received",
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
    if case.online_app_no:  # optional keys, sent only when set (older payloads stay as they were)
        payload["online_app_no"] = case.online_app_no
    if case.holiday:
        payload["holiday"] = True
    if case.office_clock_step:  # the department clock steps folded into the dates (sync/office_clock.py)
        payload["office_clock_step"] = case.office_clock_step
    if step is not None:
        payload["step"] = step
    return payload
