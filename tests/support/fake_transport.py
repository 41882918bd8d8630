"""An in-memory centre behind the sync Transport Protocol, for unit tests of the round only.

FOR TESTS ONLY: it refuses to be built outside a running pytest test (like Dangerzone's dummy isolation
provider), so no product path can ever sync into it. It keeps the centre's rules that the round relies
on (idempotent op ids, the hash check over the exact text, rejected ops not recorded, blobs by hash,
streams read by sequence) and nothing else; the real rules are tested against PostgreSQL in tests/sync.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from db.central.errors import CentralError, CentralUnreachable, ProtocolTooOld
from db.central.wire import sha256_hex, verify_op
from desktop.core.outbox.kinds import KINDS
from desktop.core.sync import PROTOCOL


class NotInATest(RuntimeError):
    """FakeTransport was built outside a pytest test."""


class FakeTransport:
    """A centre for one window. `calls` logs every call in order as (name, detail); `fail` makes the
    next calls raise (e.g. CentralUnreachable) once each; `judge(kind, payload_text)` may return a
    rejection reason for an op the fake would otherwise apply."""

    def __init__(self, centre_code: str = "310104", window_no: str = "01", *, protocol: int = PROTOCOL,
                 min_protocol: int = 1, server_time: str = "2026-11-23T09:30:00+08:00",
                 judge: Callable[[str, str], str | None] | None = None) -> None:
        if not os.environ.get("PYTEST_CURRENT_TEST"):
            raise NotInATest("FakeTransport is a test double: it only runs inside a pytest test")
        self.hello = {"protocol": protocol, "min_protocol": min_protocol, "schema": "fake",
                      "server_time": server_time, "centre_code": centre_code, "centre_name": "测试中心",
                      "window_no": window_no}
        self.judge = judge
        self.ops: dict[str, tuple[str, dict[str, Any]]] = {}  # op_id -> (sha256, result)
        self.applied: list[tuple[str, str]] = []  # (kind, payload text), in order
        self.blobs: dict[str, bytes] = {}
        self.streams: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, Any]] = []
        self.fail: list[CentralError] = []
        self.closed = 0
        self._seq = 0
        self.client: dict[str, Any] = {}  # what the last handshake said about the machine

    # ---- what the test sets up -----------------------------------------------------------------
    def publish(self, stream: str, key: str, data: Mapping[str, Any]) -> int:
        """A change on a down stream (as the back office would publish it); returns its seq."""
        self._seq += 1
        self.streams.setdefault(stream, []).append({"seq": self._seq, "key": key, "data": dict(data)})
        return self._seq

    def _enter(self, name: str, detail: Any) -> None:
        self.calls.append((name, detail))
        if self.fail:
            raise self.fail.pop(0)

    # ---- the Transport Protocol ------------------------------------------------------------------
    def handshake(self, protocol: int, client: Mapping[str, Any] | None = None) -> dict[str, Any]:
        self._enter("handshake", protocol)
        if protocol < self.hello["min_protocol"]:
            raise ProtocolTooOld("客户端版本过旧，请升级", sqlstate="YC001")
        self.client = dict(client or {})
        return dict(self.hello)

    def bind_window(self, machine_id: str, window_key: str) -> dict[str, Any]:
        self._enter("bind_window", machine_id)
        self.hello["bound"] = True
        return {"bound": True, "chain_head": {"seq": 0, "mac": "0" * 64}}

    def push(self, ops: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        self._enter("push", [op["op_id"] for op in ops])
        answers = []
        for op in ops:
            op_id, kind, text = str(op["op_id"]), op["kind"], op["payload"]
            if not isinstance(text, str):
                raise TypeError("op payload must be the frozen JSON text")
            if not verify_op(op):
                answers.append({"op_id": op_id, "status": "rejected", "reason": "hash mismatch"})
                continue
            if op_id in self.ops:
                sha, result = self.ops[op_id]
                if sha == op["sha256"].lower():
                    answers.append({"op_id": op_id, "status": "duplicate", "result": result})
                else:
                    answers.append({"op_id": op_id, "status": "rejected",
                                    "reason": "conflict: same op_id, different payload"})
                continue
            reason = "unknown kind" if kind not in KINDS else (self.judge(kind, text) if self.judge else None)
            if reason:
                answers.append({"op_id": op_id, "status": "rejected", "reason": reason})
                continue
            result = {"n": len(self.applied) + 1}
            self.ops[op_id] = (sha256_hex(text), result)
            self.applied.append((kind, text))
            answers.append({"op_id": op_id, "status": "applied", "result": result})
        return answers

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> list[str]:
        self._enter("put_blobs", [sha for sha, _ in blobs])
        held = []
        for sha, data in blobs:
            if hashlib.sha256(data).hexdigest() == sha:
                self.blobs[sha] = data
                held.append(sha)
        return held

    def pull(self, stream: str, after: int, limit: int) -> dict[str, Any]:
        self._enter("pull", (stream, after, limit))
        rows = [r for r in self.streams.get(stream, []) if r["seq"] > after][:limit]
        return {"rows": rows, "last_seq": rows[-1]["seq"] if rows else after}

    def close(self) -> None:
        self.closed += 1


__all__ = ["CentralUnreachable", "FakeTransport", "NotInATest"]
