"""A window killed (kill -9) in the middle of a batch intake leaves all of it or none of it, never half."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

from desktop.core import config
from tests.support.factories import DATA, person


def _batch(n: int) -> list[dict]:
    return [{"matter": "T-PER-001",
             "applicant": person(f"批量{i}"),
             "materials": {"M1": "e_licence", "M2": "paper", "M3": "paper"}} for i in range(n)]


def _counts(home) -> tuple[int, int, int, str]:
    con = sqlite3.connect(config.db_path(home))
    try:
        cases = con.execute("select count(*) from cases").fetchone()[0]
        upserts = con.execute("select count(*) from outbox where kind='case.upsert'").fetchone()[0]
        materials = con.execute("select count(*) from case_materials").fetchone()[0]
        integrity = con.execute("pragma integrity_check").fetchone()[0]
        return cases, upserts, materials, integrity
    finally:
        con.close()


def test_kill_9_during_batch_intake_stores_all_or_nothing(tmp_path):
    home = tmp_path / "w"
    cli = [sys.executable, "-m", "desktop", "--home", str(home)]
    subprocess.run(cli + ["init", "--centre", "310104", "--window", "01", "--demo"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(cli + ["catalogue", "import", str(DATA / "catalogue_test.json")], check=True,
                   stdout=subprocess.DEVNULL)
    batch = tmp_path / "batch.json"
    batch.write_text(json.dumps(_batch(150), ensure_ascii=False), encoding="utf-8")
    rng = random.Random(7)
    stored_batches = 0
    outcomes: list[int] = []
    for _ in range(6):
        before = _counts(home)[0]
        proc = subprocess.Popen(cli + ["intake", str(batch)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=dict(os.environ))
        time.sleep(rng.uniform(0.6, 2.5))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        cases, upserts, materials, integrity = _counts(home)
        assert integrity == "ok"
        assert cases - before in (0, 150)  # the batch is one transaction
        assert upserts == cases and materials == 3 * cases  # every stored case has its op and materials
        stored_batches += (cases - before) // 150
        outcomes.append(cases - before)
    assert _counts(home)[0] == 150 * stored_batches
    # and once more, killed right after the commit, while the vouchers print: the cases stay, complete
    before = _counts(home)[0]
    proc = subprocess.Popen(cli + ["intake", str(batch)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _counts(home)[0] == before and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    cases, upserts, materials, integrity = _counts(home)
    assert (cases - before, integrity) == (150, "ok")
    assert upserts == cases and materials == 3 * cases
    print("stored per random kill:", outcomes)
