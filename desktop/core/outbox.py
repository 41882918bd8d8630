"""Outbox operations: a frozen canonical-JSON payload, its SHA-256 and a client-generated id."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from db.local.models import OutboxOp


def canonical_json(obj: object) -> str:
    """The one serialisation the hash is taken over: sorted keys, no spaces, UTF-8 text kept as is."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def enqueue(session: Session, *, kind: str, ref: str, payload: dict, now: datetime) -> OutboxOp:
    """Add an operation to the outbox inside the caller's transaction (the change and its op commit together)."""
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
