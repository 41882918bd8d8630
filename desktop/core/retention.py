"""Retention: personal data leaves the window once the centre has it for good.

An operation the centre acknowledged (applied, or a duplicate of one it had) keeps its payload for the
retention period (setting `outbox_retention_days`, default 90), then the payload is purged from the local
outbox: the row stays (op id, kind, reference, SHA-256 of what was sent, answer and times), so the record,
the chain of operations (which covers the SHA-256, not the text) and the centre's copy are untouched.
Pending and rejected operations are never purged: they still have to reach the centre.

Called at the end of every successful sync round (desktop/core/sync/round.py). SQLite's secure_delete
(db/local/engine.py) overwrites the freed text in the file as well.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from db.local.models import OutboxOp
from desktop.core.store import Store

__all__ = ["PURGED", "purge_applied_payloads"]

PURGED = ""  # the payload of a purged operation
ACKNOWLEDGED = ("applied", "duplicate")


def purge_applied_payloads(store: Store) -> int:
    """Purge the payloads of operations the centre acknowledged more than the retention period ago;
    returns how many were purged."""
    try:
        days = max(1, int(store.setting("outbox_retention_days") or 90))
    except ValueError:
        days = 90
    cutoff = store.clock() - timedelta(days=days)
    with store.Session.begin() as s:
        done = s.execute(
            update(OutboxOp)
            .where(OutboxOp.state.in_(ACKNOWLEDGED), OutboxOp.acked_at.is_not(None), OutboxOp.acked_at < cutoff,
                   OutboxOp.payload != PURGED)
            .values(payload=PURGED)
            .execution_options(synchronize_session=False)
        )
    return done.rowcount or 0
