"""The city load generator measures what it claims (issue 17): a tiny run through the real transport whose
every op the centre applies (a generator whose ops are refused measures refusals: it happened, see
docs/scaling.md), nothing lost or applied twice, and its CPU profile filled in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(240)
def test_a_small_city_run_has_every_op_applied_and_a_cpu_profile():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, str(ROOT / "tests/benchmarks/bench_city.py"), "--windows", "15", "--minutes", "0.15",
         "--sync-every", "3", "--workers", "4", "--floor-seconds", "0.5", "--profile", "--json"],
        capture_output=True, text=True, timeout=220, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    r = json.loads(out.stdout.strip().splitlines()[-1])
    assert (r["errors"], r["lost"], r["duplicated"]) == (0, 0, 0), r["error_kinds"]
    assert r["syncs"] >= 15 and r["ops"] > 0 and r["check"]["unsent"] == 0
    assert r["check"]["ops_held"] == r["check"]["ops_made"] and r["check"]["cases_wrong_version"] == 0
    assert r["pulls"] == "all" and r["max_server_connections"] >= 1
    cpu = r["profile"]["cpu_s"]
    assert cpu["postgres"] > 0 and cpu["generator"] > 0
    fns = r["profile"]["server_functions"]
    assert fns["sync.pull_all"]["calls"] == r["syncs"]  # one pull_all a round (only timed rounds counted)
