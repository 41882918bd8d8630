"""An in-memory centre behind the sync Transport Protocol, for unit tests of the round only.

FOR TESTS ONLY: it refuses to be built outside a running pytest test (like Dangerzone's dummy isolation
provider), so no product path can ever sync into it. It keeps the centre's rules that the round relies
on (idempotent op ids, the hash check over the exact text, rejected ops not recorded, blobs by hash,
streams read by sequence) and nothing else; the real rules are tested against PostgreSQL in tests/sync.

Several windows of one centre share a `FakeCentre` (FakeTransport(..., centre=shared)): it keeps the
protocol-5 loop in the contract's shapes: the `cases` stream (one change per applied case version or
office act; a pull returns the newest change per case), the `transfers` stream, the version and lease
checks on case.upsert, the window-may-not-sign rule on transfer.upsert, and sync.lease_case /
sync.release_case. `sign`, `return_batch` and `decide` act as the back office would.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from db.central.errors import CentralError, CentralUnreachable, ProtocolTooOld
from db.central.wire import sha256_hex, verify_op
from desktop.core.outbox.kinds import KINDS
from desktop.core.sync import PROTOCOL


class NotInATest(RuntimeError):
    """FakeTransport was built outside a pytest test."""


LEASE_SECONDS = 600


class FakeCentre:
    """What the windows of one centre share: streams, cases, batches, leases, and the centre's clock `now`."""

    def __init__(self, server_time: str = "2026-11-23T09:30:00+08:00") -> None:
        if not os.environ.get("PYTEST_CURRENT_TEST"):
            raise NotInATest("FakeCentre is a test double: it only runs inside a pytest test")
        self.streams: dict[str, list[dict[str, Any]]] = {}
        self.seq = 0
        self.cases: dict[str, dict[str, Any]] = {}  # case_no -> {"payload", "status", "decision", "steps", ...}
        self.batches: dict[str, dict[str, Any]] = {}
        self.leases: dict[str, dict[str, str]] = {}  # case_no -> {"window_no", "clerk_name", "until"}
        self.now = datetime.fromisoformat(server_time)

    def publish(self, stream: str, key: str, data: Mapping[str, Any]) -> int:
        self.seq += 1
        self.streams.setdefault(stream, []).append({"seq": self.seq, "key": key, "data": json.loads(json.dumps(data))})
        return self.seq

    def pull(self, stream: str, after: int, limit: int) -> dict[str, Any]:
        rows = [r for r in self.streams.get(stream, []) if r["seq"] > after]
        if stream == "cases":  # only the newest change per case
            newest = {r["key"]: r["seq"] for r in rows}
            rows = [r for r in rows if newest[r["key"]] == r["seq"]]
        rows = rows[:limit]
        return {"rows": rows, "last_seq": rows[-1]["seq"] if rows else after}

    # ---- the cases stream ------------------------------------------------------------------------
    def _case_change(self, case_no: str) -> None:
        c = self.cases[case_no]
        self.publish("cases", case_no, {
            "case_no": case_no, "version": c["payload"]["version"], "payload": c["payload"], "status": c["status"],
            "decision": c["decision"],
            "steps": [{k: st[k] for k in ("event", "window_no", "department", "actor_name", "at")} for st in c["steps"]],
            "batch_no": c["batch_no"], "last_window_no": c["last_window_no"]})

    def _live_lease(self, case_no: str) -> dict[str, str] | None:
        lease = self.leases.get(case_no)
        if lease and datetime.fromisoformat(lease["until"]) > self.now:
            return lease
        return None

    def apply_case(self, window_no: str, payload: dict[str, Any]) -> str | None:
        """yc.apply_case_upsert's rules as far as the window relies on them; a rejection reason or None."""
        case_no, version = payload["case_no"], int(payload["version"])
        c = self.cases.get(case_no)
        if c is None:
            if payload.get("window_no") != window_no or not case_no.startswith(payload.get("centre_code", "?")):
                return f"case number {case_no} does not belong to window {window_no}"
        else:
            if payload.get("window_no") != c["payload"]["window_no"]:
                return f"case {case_no}: window_no is immutable"
            have = int(c["payload"]["version"])
            if have >= version:
                return (f"stale version: the centre has version {have} of case {case_no} (last changed by window "
                        f"{c['last_window_no']}), this op carries {version}")
            lease = self._live_lease(case_no)
            if lease and lease["window_no"] != window_no:
                return (f"case {case_no} is being handled by window {lease['window_no']} ({lease['clerk_name']}) "
                        f"until {lease['until']}")
        status = payload.get("status") or "received"
        if c is None:
            c = self.cases[case_no] = {"status": "received", "decision": None, "steps": [], "batch_no": None}
        if status in ("delivered", "withdrawn", "voided"):
            c["status"] = status
        c["payload"], c["last_window_no"] = payload, window_no
        step = payload.get("step") or {}
        c["steps"].append({"event": step.get("event") or "upsert", "window_no": window_no, "department": None,
                           "actor_name": step.get("clerk_name") or "", "at": self.now.isoformat()})
        self._case_change(case_no)
        return None

    def lease(self, window_no: str, case_no: str, clerk_name: str) -> dict[str, Any]:
        if case_no not in self.cases:
            return {"granted": True, "unknown": True}
        lease = self._live_lease(case_no)
        if lease and lease["window_no"] != window_no:
            return {"granted": False, "holder": dict(lease)}
        until = (self.now + timedelta(seconds=LEASE_SECONDS)).isoformat()
        self.leases[case_no] = {"window_no": window_no, "clerk_name": clerk_name, "until": until}
        return {"granted": True, "until": until}

    def release(self, window_no: str, case_no: str) -> dict[str, Any]:
        lease = self._live_lease(case_no)
        if lease and lease["window_no"] == window_no:
            del self.leases[case_no]
            return {"released": True}
        return {"released": False}

    # ---- transfers and the back office ---------------------------------------------------------------
    def apply_transfer(self, window_no: str, payload: dict[str, Any]) -> str | None:
        if payload["state"] not in ("waiting", "sent"):
            return "a window cannot sign or return its own batch"
        for no in payload["case_nos"]:
            c = self.cases.get(no)
            if c is None or c["payload"].get("outcome") != "accepted":
                return f"case {no} is not an accepted case of this centre"
            if c["batch_no"] not in (None, payload["batch_no"]):
                return f"case {no} is already in batch {c['batch_no']}"
        b = self.batches[payload["batch_no"]] = {
            "batch_no": payload["batch_no"], "window_no": window_no, "department": payload["department"],
            "state": payload["state"], "return_reason": "", "version": payload["version"], "signed_by_name": None,
            "closed_at": None, "case_nos": sorted(payload["case_nos"])}
        for no in b["case_nos"]:
            self.cases[no]["batch_no"] = b["batch_no"]
            self._case_change(no)
        self.publish("transfers", b["batch_no"], b)
        return None

    def _office_step(self, case_no: str, event: str, department: str, actor_name: str) -> None:
        self.cases[case_no]["steps"].append({"event": event, "window_no": None, "department": department,
                                             "actor_name": actor_name, "at": self.now.isoformat()})

    def sign(self, batch_no: str, *, by_name: str = "王科员") -> None:
        b = self.batches[batch_no]
        assert b["state"] == "sent", b["state"]
        b.update(state="signed", signed_by_name=by_name, closed_at=self.now.isoformat(), version=b["version"] + 1)
        for no in b["case_nos"]:
            self.cases[no]["status"] = "signed"
            self._office_step(no, "transfer.signed", b["department"], by_name)
            self._case_change(no)
        self.publish("transfers", batch_no, b)

    def return_batch(self, batch_no: str, reason: str, *, by_name: str = "王科员") -> None:
        b = self.batches[batch_no]
        assert b["state"] == "sent", b["state"]
        b.update(state="returned", return_reason=reason, closed_at=self.now.isoformat(), version=b["version"] + 1)
        for no in b["case_nos"]:
            self.cases[no].update(status="received", batch_no=None)
            self._office_step(no, "transfer.returned", b["department"], by_name)
            self._case_change(no)
        self.publish("transfers", batch_no, b)

    def decide(self, case_no: str, decision: Mapping[str, Any], *, department: str = "", by_name: str = "赵科长") -> None:
        c = self.cases[case_no]
        c["decision"] = {"decision": decision["decision"], "doc_name": decision.get("doc_name"),
                         "doc_no": decision.get("doc_no"), "e_licence_ref": decision.get("e_licence_ref"),
                         "copies": decision.get("copies"), "reason": decision.get("reason"),
                         "decided_by": "office", "decided_by_name": by_name, "decided_at": self.now.isoformat(),
                         "department": department, "corrected": False}
        c["status"] = "approved" if decision["decision"] == "approve" else "denied"
        self._office_step(case_no, "decided", department, by_name)
        self._case_change(case_no)


class FakeTransport:
    """A centre for one window. `calls` logs every call in order as (name, detail); `fail` makes the
    next calls raise (e.g. CentralUnreachable) once each; `judge(kind, payload_text)` may return a
    rejection reason for an op the fake would otherwise apply."""

    def __init__(self, centre_code: str = "310104", window_no: str = "01", *, protocol: int = PROTOCOL,
                 min_protocol: int = 1, server_time: str = "2026-11-23T09:30:00+08:00",
                 judge: Callable[[str, str], str | None] | None = None, centre: FakeCentre | None = None) -> None:
        if not os.environ.get("PYTEST_CURRENT_TEST"):
            raise NotInATest("FakeTransport is a test double: it only runs inside a pytest test")
        self.centre = centre if centre is not None else FakeCentre(server_time)
        self.window_no = window_no
        self.hello = {"protocol": protocol, "min_protocol": min_protocol, "schema": "fake",
                      "server_time": server_time, "centre_code": centre_code, "centre_name": "测试中心",
                      "window_no": window_no}
        self.judge = judge
        self.ops: dict[str, tuple[str, dict[str, Any]]] = {}  # op_id -> (sha256, result)
        self.applied: list[tuple[str, str]] = []  # (kind, payload text), in order
        self.blobs: dict[str, bytes] = {}
        self.calls: list[tuple[str, Any]] = []
        self.fail: list[CentralError] = []
        self.closed = 0
        self.client: dict[str, Any] = {}  # what the last handshake said about the machine

    # ---- what the test sets up -----------------------------------------------------------------
    @property
    def streams(self) -> dict[str, list[dict[str, Any]]]:
        return self.centre.streams

    def publish(self, stream: str, key: str, data: Mapping[str, Any]) -> int:
        """A change on a down stream (as the back office would publish it); returns its seq."""
        return self.centre.publish(stream, key, data)

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
            if not reason and kind == "case.upsert" and self.hello["protocol"] >= 5:
                reason = self.centre.apply_case(self.window_no, json.loads(text))
            elif not reason and kind == "transfer.upsert" and self.hello["protocol"] >= 5:
                reason = self.centre.apply_transfer(self.window_no, json.loads(text))
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
        return self.centre.pull(stream, after, limit)

    def lease_case(self, case_no: str, clerk_login: str, clerk_name: str) -> dict[str, Any]:
        self._enter("lease_case", case_no)
        return self.centre.lease(self.window_no, case_no, clerk_name)

    def release_case(self, case_no: str) -> dict[str, Any]:
        self._enter("release_case", case_no)
        return self.centre.release(self.window_no, case_no)

    def close(self) -> None:
        self.closed += 1


__all__ = ["CentralUnreachable", "FakeCentre", "FakeTransport", "NotInATest"]
