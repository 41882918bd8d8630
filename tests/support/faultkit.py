"""Tools for the sync fault tests and benchmarks: queue many cases fast, a faulty TCP proxy, child processes."""

from __future__ import annotations

import json
import os
import random
import socket
import struct
import subprocess
import sys
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Self

from sqlalchemy import insert, select

from db.local.models import Case, CaseCounter, CaseMaterialRow, MatterRow, OutboxOp
from desktop.core import caseno, chain
from desktop.core.cases.versions import case_payload
from desktop.core.outbox import canonical_json, sha256_hex

ROOT = Path(__file__).resolve().parents[2]
SCALE = max(1, int(os.environ.get("YICHUANG_FAULT_SCALE", "1") or 1))
"""YICHUANG_FAULT_SCALE=10 runs every fault test ten times larger (by hand; see docs/faults.md)."""

MATERIALS = (("M1", "居民身份证", "original", "e_licence"), ("M2", "居住证申请表", "original", "paper"),
             ("M3", "租赁合同", "copy", "paper"))


def queue_cases(services, n: int, *, start: date = date(2026, 11, 23), chunk: int = 2000) -> list[str]:
    """Write n accepted cases with their materials and their `case.upsert` outbox ops, as intake would
    (same rows, same frozen payload through case_payload/canonical_json), without rendering documents.

    Serial numbers run per day up to 9999 and then move to the next day. Returns the case numbers."""
    w = services.window()
    version = services.current_catalogue_version() or "test-1"
    out: list[str] = []
    import uuid

    with services.Session() as s:
        used = {c.prefix: c.last for c in s.scalars(select(CaseCounter))}
        # a matter of that catalogue version (the centre takes no case of a matter its version lacks)
        codes = list(s.scalars(select(MatterRow.code).where(MatterRow.version == version).order_by(MatterRow.code)))
    matter = "T-PER-001" if "T-PER-001" in codes or not codes else codes[0]
    i = 0
    while i < n:
        cases, materials, ops = [], [], []
        counters: dict[str, int] = {}
        for _ in range(min(chunk, n - i)):
            day = start + timedelta(days=i // 9999)
            prefix = caseno.serial_prefix(w.centre_code, w.window_no, day)
            serial = max(counters.get(prefix, 0), used.get(prefix, 0)) + 1
            counters[prefix] = serial
            case_no = caseno.make_case_no(w.centre_code, w.window_no, day, serial)
            at = datetime.combine(day, datetime.min.time()).replace(hour=9) + timedelta(seconds=serial)
            case = Case(
                case_no=case_no, matter_code=matter, matter_name="居住证办理", catalogue_version=version,
                calendar_version="", outcome="accepted", status="received", applicant_kind="person",
                applicant_name=f"申请人{i:06d}", applicant_id_no=f"31010419900101{i % 10000:04d}",
                applicant_json=json.dumps({"kind": "person", "name": f"申请人{i:06d}", "id_type": "resident_id",
                                           "id_no": f"31010419900101{i % 10000:04d}"}, ensure_ascii=False),
                agent_json=None, note="", warnings_json="[]", received_at=at, received_day=day, complete_at=at,
                promised_date=day + timedelta(days=14), statutory_date=day + timedelta(days=28), supply_due=None,
                clerk_login="demo", clerk_name="张敏", centre_code=w.centre_code, window_no=w.window_no,
                version=1, updated_at=at, refusal_reason="", apply_instead="", result_note="",
            )
            rows = [CaseMaterialRow(code=code, ordinal=k, name=name, required=True, form=form, copies=1,
                                    state=state, standard="", e_licence_ref="", reason="", gap_due=None)
                    for k, (code, name, form, state) in enumerate(MATERIALS)]
            case.materials = rows
            text = canonical_json(case_payload(case))
            cases.append(_row(case))
            materials.extend(dict(_row(m), case_no=case_no) for m in rows)
            ops.append({"op_id": str(uuid.uuid4()), "kind": "case.upsert", "ref": case_no, "payload": text,
                        "sha256": sha256_hex(text), "created_at": at, "state": "pending", "attempts": 0,
                        "last_error": "", "result": ""})
            out.append(case_no)
            i += 1
        with services.Session.begin() as s:
            conn = s.connection()
            seq, prev = chain._outbox_head(conn)  # chained as enqueue would chain them, in the same transaction
            for op in ops:
                seq += 1
                mac = chain.op_mac(services.chain_key, seq, prev, op["op_id"], op["kind"], op["sha256"])
                op.update(chain_seq=seq, chain_prev=prev, chain_mac=mac)
                prev = mac
            conn.execute(insert(Case.__table__), cases)
            conn.execute(insert(CaseMaterialRow.__table__), materials)
            conn.execute(insert(OutboxOp.__table__), ops)
            for prefix, last in counters.items():
                counter = s.get(CaseCounter, prefix)
                if counter is None:
                    s.add(CaseCounter(prefix=prefix, last=last))
                else:
                    counter.last = max(counter.last, last)
            used.update(counters)
    return out


def _row(obj) -> dict:
    """Column values of a transient ORM object, with the columns' scalar defaults for unset ones."""
    out = {}
    for c in obj.__table__.columns:
        value = getattr(obj, c.key)
        if value is None and c.default is not None and getattr(c.default, "is_scalar", False):
            value = c.default.arg
        out[c.key] = value
    return out


# ---- child processes ------------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.setdefault("YICHUANG_SECRET_STORE", "file")
    return env


LOOP_SYNC = """
import sys, time
from desktop.core.sync import round as sync_round, streams
sync_round.PUSH_BATCH = int(sys.argv[2])
streams.PULL_LIMITS["case_status"] = int(sys.argv[3])
from desktop.cli import main
while True:
    main(["--home", sys.argv[1], "sync"])
    time.sleep(0.05)
"""


def start_sync_loop(home: Path, *, push_batch: int = 100, pull_limit: int = 1000) -> subprocess.Popen:
    """A child running `yichuang sync` over and over on `home` (small batches so a kill lands mid-way)."""
    return subprocess.Popen(
        [sys.executable, "-c", LOOP_SYNC, str(home), str(push_batch), str(pull_limit)],
        env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT),
    )


def run_cli(home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "desktop", "--home", str(home), *args], env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT))


# ---- a faulty TCP proxy ---------------------------------------------------------------------------

def hang_up(sock: socket.socket, *, reset: bool = False) -> None:
    """Shut a proxied socket down, then close it (shutdown() first: close() alone does not wake a pump
    blocked in recv() on it); reset=True sends an RST instead of a FIN (SO_LINGER 0), as a dead link does."""
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass

class FaultyProxy:
    """127.0.0.1 proxy to a PostgreSQL port that breaks `fault_rate` of connections mid-exchange.

    A doomed connection is cut after a random number of bytes (either direction), half of the time by
    a reset (SO_LINGER 0), half by a plain close. Threads, one pair per connection; loopback only."""

    def __init__(self, target_port: int, *, fault_rate: float = 0.2, max_bytes: int = 400_000, seed: int = 4):
        self.target = ("127.0.0.1", target_port)
        self.fault_rate = fault_rate
        self.max_bytes = max_bytes
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.connections = 0
        self.broken = 0
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                doomed = self.rng.random() < self.fault_rate
                budget = self.rng.randint(1, self.max_bytes) if doomed else None
                reset = self.rng.random() < 0.5
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            state = {"left": budget, "dead": False}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b, client, upstream, state, reset), daemon=True).start()

    def _pump(self, src, dst, client, upstream, state, reset) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    if state["dead"]:
                        break
                    if state["left"] is not None:
                        if len(data) >= state["left"]:
                            data = data[: state["left"]]
                            state["left"] = 0
                        else:
                            state["left"] -= len(data)
                if data:
                    dst.sendall(data)
                if state["left"] == 0:
                    with self.lock:
                        if not state["dead"]:
                            self.broken += 1
                        state["dead"] = True
                    break
        except OSError:
            pass
        finally:
            # the peer must learn that the connection is gone, and the other pump must wake
            for sock in (client, upstream):
                hang_up(sock, reset=reset and state["dead"])
