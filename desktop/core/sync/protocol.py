"""The sync protocol this window speaks, derived from what it sends up and pulls down.

Every operation kind and every down stream names the protocol that introduced it; the window speaks the
highest of them, and refuses a centre that speaks less (the centre's handshake derives its own number
from yc.op_kinds the same way)."""

from __future__ import annotations

from desktop.core.outbox.kinds import KINDS
from desktop.core.sync.streams import STREAMS

__all__ = ["PROTOCOL"]

PROTOCOL: int = max(*(k.introduced for k in KINDS.values()), *(s.introduced for s in STREAMS.values()))
