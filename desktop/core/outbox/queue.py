"""Queueing operations: a frozen canonical-JSON payload, its SHA-256 and a client-generated id; the listing.

The payload is frozen with db.central.wire (the one canonical form the centre hashes too)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.central.wire import canonical_json, sha256_hex
from db.local.models import OutboxOp
from desktop.core import chain  # noqa: F401 - registers the hook that chains every op at flush
from desktop.core.outbox.kinds import check_payload
from desktop.core.types import OutboxItem

if TYPE_CHECKING:
    from desktop.core.store import Store

__all__ = ["canonical_json", "enqueue", "list_ops", "sha256_hex"]


def enqueue(session: Session, *, kind: str, ref: str, payload: Mapping[str, Any], now: datetime) -> OutboxOp:
    """Add an operation to the outbox inside the caller's transaction (the change and its op commit
    together). ValueError for a kind not in kinds.KINDS or a payload missing one of its required keys.

    The op is chained (chain_seq, chain_prev, chain_mac: one HMAC with the window's key) when the session
    flushes it, in the same transaction (desktop/core/chain.py); a session without the key refuses it."""
    check_payload(kind, payload)
    text = canonical_json(payload)
    op = OutboxOp(
        op_id=str(uuid.uuid4()),
        kind=kind,
        ref=ref,
        payload=text,
        sha256=sha256_hex(text),
        created_at=now,
        state="pending",
        attempts=0,
        last_error="",
        result="",
    )
    session.add(op)
    return op


def list_ops(store: Store, *, limit: int = 200, states: tuple[str, ...] | None = None) -> list[OutboxItem]:
    """The outbox, newest first (optionally only some states), as frozen items for the views."""
    with store.Reader() as s:
        q = select(OutboxOp).order_by(OutboxOp.seq.desc()).limit(limit)
        if states:
            q = q.where(OutboxOp.state.in_(states))
        return [OutboxItem(op_id=o.op_id, kind=o.kind, ref=o.ref, state=o.state, attempts=o.attempts,
                           created_at=o.created_at, last_error=o.last_error) for o in s.scalars(q)]
