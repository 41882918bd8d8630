"""Audit records: kept locally, and queued for the centre when they record a decision someone made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from db.local.models import AuditEntry
from desktop.core import chain  # noqa: F401 - registers the hook that chains every record at flush
from desktop.core.clock import to_iso
from desktop.core.outbox import enqueue
from desktop.core.types import Window


def record_audit(s: Session, *, window: Window, at: datetime, actor: str, action: str, ref: str = "",
                 detail: str = "", queue: bool = True) -> None:
    """Add an audit entry in the caller's transaction; with `queue`, also an `audit.recorded` operation,
    so the centre sees who overrode, resolved or imported what (it commits with the change it records).
    The entry (and its op) are chained with the window's key when the session flushes (chain.py)."""
    s.add(AuditEntry(at=at, actor=actor, action=action, ref=ref, detail=detail))
    if queue:
        enqueue(s, kind="audit.recorded", ref=ref or action, now=at, payload={
            "centre_code": window.centre_code, "window_no": window.window_no, "at": to_iso(at),
            "actor": actor, "action": action, "ref": ref, "detail": detail})
