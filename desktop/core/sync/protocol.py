"""The sync protocol this window speaks, derived from what it sends up and pulls down.

Every operation kind and every down stream names the protocol that introduced it; the window speaks the
highest of them and of the protocol features (the chain), and refuses a centre that speaks less (the centre's handshake derives its own number
from yc.op_kinds the same way)."""

from __future__ import annotations

from desktop.core.outbox.kinds import KINDS
from desktop.core.sync.streams import STREAMS

__all__ = ["CHAIN_PROTOCOL", "PROTOCOL"]

CHAIN_PROTOCOL = 4
"""The window binding (one machine per window) and the chain of operations (central revision c0005)."""

PROTOCOL: int = max(CHAIN_PROTOCOL, *(k.introduced for k in KINDS.values()), *(s.introduced for s in STREAMS.values()))
