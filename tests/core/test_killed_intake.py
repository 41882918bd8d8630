"""A window killed (kill -9) in the middle of a batch intake leaves all of it or none of it, never half."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.factories import DATA, person
from tests.support.rawdb import connect_store

# The child is the real command line, with SQLAlchemy listeners (test code, in the child only) that append
# to a trace file as things happen: "insert" before each INSERT INTO cases, "commit" before a COMMIT is
# sent, "rollback". os.write reaches the kernel at once, so the trace survives a kill -9. A trace whose last
# "insert" has no "commit" after it proves the kill landed inside the batch's write transaction.
TRACED_CLI = """
import os, re, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
INSERT_CASE = re.compile(r"\\s*INSERT\\s+INTO\\s+\\"?cases\\"?[\\s(]", re.IGNORECASE)

@event.listens_for(Engine, "before_cursor_execute")
def _insert(conn, cursor, statement, parameters, context, executemany):
    if INSERT_CASE.match(statement):
        os.write(fd, b"insert\\n")

@event.listens_for(Engine, "commit")
def _commit(conn):
    os.write(fd, b"commit\\n")

@event.listens_for(Engine, "rollback")
def _rollback(conn):
    os.write(fd, b"rollback\\n")

from desktop.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _batch(n: int) -> list[dict]:
    return [{"matter": "T-PER-001",
             "applicant": person(f"批量{i}"),
             "materials": {"M1": "e_licence", "M2": "paper", "M3": "paper"}} for i in range(n)]


def _counts(home) -> tuple[int, int, int, str]:
    con = connect_store(home)
    try:
        cases = con.execute("select count(*) from cases").fetchone()[0]
        upserts = con.execute("select count(*) from outbox where kind='case.upsert'").fetchone()[0]
        materials = con.execute("select count(*) from case_materials").fetchone()[0]
        integrity = con.execute("pragma integrity_check").fetchone()[0]
        return cases, upserts, materials, integrity
    finally:
        con.close()


def _trace(path: Path) -> list[str]:
    return path.read_text(encoding="ascii").split() if path.exists() else []


def _inside_transaction(trace: list[str]) -> bool:
    """Cases were being inserted and neither COMMIT nor ROLLBACK was sent afterwards."""
    if "insert" not in trace:
        return False
    last_insert = len(trace) - 1 - trace[::-1].index("insert")
    return not any(word in ("commit", "rollback") for word in trace[last_insert:])


def test_the_trace_tells_inside_from_outside():
    assert _inside_transaction(["commit", "insert", "insert"])
    assert not _inside_transaction(["insert", "insert", "commit"])
    assert not _inside_transaction(["commit"]) and not _inside_transaction([])
    assert not _inside_transaction(["insert", "rollback"])


def test_kill_9_during_batch_intake_stores_all_or_nothing(tmp_path):
    home = tmp_path / "w"
    cli = [sys.executable, "-m", "desktop", "--home", str(home)]
    subprocess.run(cli + ["init", "--centre", "310104", "--window", "01", "--demo"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(cli + ["catalogue", "import", str(DATA / "catalogue_test.json"), "--clerk", "admin"], check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "YICHUANG_PASSWORD": "admin1234"})
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(_batch(150), ensure_ascii=False), encoding="utf-8")
    traced = [sys.executable, "-c", TRACED_CLI]

    def intake(trace: Path) -> subprocess.Popen:
        return subprocess.Popen(traced + [str(trace), "--home", str(home), "intake", str(batch), "--clerk", "demo"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "YICHUANG_PASSWORD": "demo1234"})

    def killed_and_checked(proc: subprocess.Popen, trace: Path, before: int) -> tuple[int, bool]:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        inside = proc.returncode == -signal.SIGKILL and _inside_transaction(_trace(trace))
        cases, upserts, materials, integrity = _counts(home)
        assert integrity == "ok"
        assert cases - before in ((0,) if inside else (0, 150))  # the batch is one transaction
        assert upserts == cases and materials == 3 * cases  # every stored case has its op and materials
        return cases - before, inside

    rng = random.Random(7)
    stored_batches = 0
    outcomes: list[tuple[int, bool]] = []
    for attempt in range(6):  # killed at a random moment: before, inside or after the transaction
        before = _counts(home)[0]
        trace = tmp_path / f"random-{attempt}.trace"
        proc = intake(trace)
        time.sleep(rng.uniform(0.6, 2.5))
        outcomes.append(killed_and_checked(proc, trace, before))
        stored_batches += outcomes[-1][0] // 150
    # killed as soon as the first case row is written, until one kill is proven to land inside
    for attempt in range(8):
        if any(inside for _, inside in outcomes):
            break
        before = _counts(home)[0]
        trace = tmp_path / f"aimed-{attempt}.trace"
        proc = intake(trace)
        deadline = time.monotonic() + 60
        while "insert" not in _trace(trace) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        outcomes.append(killed_and_checked(proc, trace, before))
        stored_batches += outcomes[-1][0] // 150
    assert any(inside for _, inside in outcomes), f"no kill landed inside the transaction: {outcomes}"
    assert _counts(home)[0] == 150 * stored_batches
    # and once more, killed right after the commit, while the vouchers print: the cases stay, complete
    before = _counts(home)[0]
    proc = subprocess.Popen(cli + ["intake", str(batch), "--clerk", "demo"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "YICHUANG_PASSWORD": "demo1234"})
    deadline = time.monotonic() + 60
    while _counts(home)[0] == before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    cases, upserts, materials, integrity = _counts(home)
    assert (cases - before, integrity) == (150, "ok")
    assert upserts == cases and materials == 3 * cases
    # every case the kill left without its printed voucher has it listed as owed (yichuang reprint --owed)
    con = connect_store(home)
    try:
        unprinted = con.execute("select count(*) from cases c where not exists (select 1 from documents d "
                                "where d.case_no = c.case_no and d.kind = 'voucher')").fetchone()[0]
        owed = con.execute("select count(*) from documents_owed where kind = 'voucher' and settled_at is null"
                           ).fetchone()[0]
    finally:
        con.close()
    assert unprinted > 0 and owed == unprinted
    print("stored, and inside the transaction, per kill:", outcomes)
