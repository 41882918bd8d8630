"""The wire form of an operation: canonical JSON text and its SHA-256, one implementation for window and centre.

The hash is taken over the exact text, so the text is frozen once (in the window's outbox) and sent as
is; neither side ever re-serialises a stored payload. Canonical means: keys sorted (by code point), no
spaces, UTF-8 kept as is (never \\u-escaped, so 𠮷 is four bytes, not a surrogate pair), numbers as
Python writes them (1 and 1.0 are different texts) except that negative zero is written 0.0 (the
centre's numeric has no negative zero), no NaN or infinity (not JSON; PostgreSQL refuses them).
Dates and times are ISO 8601 text; UUIDs and decimals their plain text; sets sorted lists, tuples lists.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

__all__ = ["CHAIN_FIELDS", "canonical_json", "freeze_op", "sha256_hex", "verify_op"]

CHAIN_FIELDS = ("chain_seq", "chain_prev", "chain_mac")
"""What a bound window's op carries beside op_id, kind, payload and sha256 (central c0005)."""


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_ENCODER = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False, default=_json_default
)


def _without_negative_zero(obj: Any) -> Any:
    if isinstance(obj, float):
        return 0.0 if obj == 0.0 else obj
    if isinstance(obj, Mapping):
        return {k: _without_negative_zero(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_without_negative_zero(v) for v in obj]
    return obj


def canonical_json(obj: object) -> str:
    """The one serialisation an operation's hash is taken over (see the module docstring)."""
    return _ENCODER.encode(_without_negative_zero(obj))


def sha256_hex(text: str) -> str:
    """SHA-256 of the text's UTF-8 bytes, lower-case hex: what sync.push recomputes from the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def freeze_op(kind: str, payload: Mapping[str, Any], op_id: str | uuid.UUID | None = None) -> dict[str, str]:
    """An operation as sync.push expects it: {"op_id", "kind", "payload": canonical text, "sha256"}.

    Freeze once and store the text: never re-serialise a stored payload before resending it."""
    text = canonical_json(payload)
    return {"op_id": str(op_id or uuid.uuid4()), "kind": kind, "payload": text, "sha256": sha256_hex(text)}


def verify_op(op: Mapping[str, Any]) -> bool:
    """The centre's check of an operation, in Python: its payload text hashes to its sha256.

    sync.push makes the same check in SQL (sha256 of the text's UTF-8 bytes); tests hold the two equal."""
    text, sha = op.get("payload"), op.get("sha256")
    return isinstance(text, str) and isinstance(sha, str) and sha256_hex(text) == sha.lower()
