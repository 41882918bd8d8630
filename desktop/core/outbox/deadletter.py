"""The dead-letter list: operations the centre rejected, waiting for a supervisor to retry or resolve them.

A rejected op is not recorded at the centre, so it never blocks the queue; retrying puts it back as
"pending", resolving closes it for good. Each action leaves an audit record (queued for the centre)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from db.local.models import OutboxOp
from desktop.core.audit import record_audit
from desktop.core.errors import BadInput
from desktop.core.roles import require
from desktop.core.types import Clerk

if TYPE_CHECKING:
    from desktop.core.store import Store

__all__ = ["rejected_ops", "resolve_rejected", "retry_rejected"]


def rejected_ops(store: Store, *, limit: int = 200) -> list[dict[str, Any]]:
    """The dead-letter list, newest first: what the centre refused and why (for the supervisor)."""
    with store.Reader() as s:
        rows = s.execute(
            select(OutboxOp.op_id, OutboxOp.kind, OutboxOp.ref, OutboxOp.created_at, OutboxOp.attempts,
                   OutboxOp.last_error)
            .where(OutboxOp.state == "rejected").order_by(OutboxOp.seq.desc()).limit(limit)
        ).all()
    return [dict(r._mapping) for r in rows]


def _close_rejected(store: Store, op_ids: Iterable[str], *, to_state: str, actor: str, action: str,
                    detail: str) -> int:
    """Move rejected ops to `to_state` with one audit record each (queued for the centre too)."""
    ids = sorted(set(op_ids))
    if not ids:
        return 0
    now = store.clock()
    with store.Session.begin() as s:
        found = s.execute(
            select(OutboxOp.op_id, OutboxOp.last_error)
            .where(OutboxOp.op_id.in_(ids), OutboxOp.state == "rejected")
        ).all()
        if found:
            s.execute(
                update(OutboxOp)
                .where(OutboxOp.op_id.in_([f.op_id for f in found]), OutboxOp.state == "rejected")
                .values(state=to_state, last_error="" if to_state == "pending" else OutboxOp.last_error)
            )
            window = store.window()
            for f in found:
                record_audit(s, window=window, at=now, actor=actor, action=action, ref=f.op_id,
                             detail=detail.format(error=f.last_error))
    return len(found)


def retry_rejected(store: Store, op_ids: Iterable[str], *, actor: Clerk) -> int:
    """Put rejected ops back in the queue (state "pending"): the centre did not record a rejected op, so
    it judges it afresh next round. A supervisor's act. Returns how many went back; one audit entry each."""
    require(actor, "deadletter_resolve")
    return _close_rejected(store, op_ids, to_state="pending", actor=actor.login, action="outbox.retry",
                           detail="重新发送（上次被拒原因：{error}）")


def resolve_rejected(store: Store, op_ids: Iterable[str], *, actor: Clerk, note: str) -> int:
    """Close rejected ops for good (state "resolved", kept, never sent again), with who and why in the
    audit log. A supervisor's act. Returns how many were resolved."""
    require(actor, "deadletter_resolve")
    note = (note or "").strip()
    if not note:
        raise BadInput("E_FIELD_REQUIRED", "请填写处理说明", field="note")
    return _close_rejected(store, op_ids, to_state="resolved", actor=actor.login, action="outbox.resolve",
                           detail=note.replace("{", "{{").replace("}", "}}") + "（被拒原因：{error}）")
