"""Exactly-once sync under faults: kill -9 mid-push and mid-pull, a connection-breaking proxy, 8 windows at once.

Loopback only and bounded in time. YICHUANG_FAULT_SCALE=10 makes every test ten times larger (by hand).
"""

from __future__ import annotations

import os
import random
import signal
import time
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from sqlalchemy import func, select

from db.central import _libpq_url
from db.local.engine import integrity_check
from db.local.models import Case, CaseEvent, OutboxOp, SyncCheckpoint
from desktop.core.errors import CentralUnavailable
from desktop.core.services import Services, init_store
from tests.support.central_ops import publish_store_catalogues
from tests.support.faultkit import SCALE, FaultyProxy, queue_cases, run_cli, start_sync_loop
from tests.support.rawdb import connect_store

CENTRE = "310104"


def central_cases(central_url: str) -> list[str]:
    with psycopg.connect(_libpq_url(central_url)) as con:
        return [r[0] for r in con.execute("select case_no from yc.cases order by case_no")]


def pending(services) -> int:
    with services.Session() as s:
        return s.scalar(select(func.count()).select_from(OutboxOp).where(OutboxOp.state == "pending"))


def kill9(proc) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.fixture
def linked(services, window, central_url):
    url = window(CENTRE, "01", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=url)
    return url


@pytest.mark.timeout(300 * SCALE)
def test_kill_9_while_pushing_loses_and_doubles_nothing(services, linked, central_url, home):
    expected = set(queue_cases(services, 2000 * SCALE))
    rng = random.Random(1)
    for _ in range(30 * SCALE):
        child = start_sync_loop(home, push_batch=50)
        time.sleep(rng.uniform(0.4, 1.6))
        kill9(child)
    result = services.sync_round()
    assert pending(services) == 0, result
    got = central_cases(central_url)
    assert len(got) == len(set(got)) and set(got) == expected
    with psycopg.connect(_libpq_url(central_url)) as con:
        assert con.execute("select count(*) from yc.ops").fetchone()[0] == len(expected)
    with services.Session() as s:
        states = dict(s.execute(select(OutboxOp.state, func.count()).group_by(OutboxOp.state)).all())
    assert set(states) <= {"applied", "duplicate"} and sum(states.values()) == len(expected)
    assert integrity_check(services.engine) == "ok"


@pytest.mark.timeout(300 * SCALE)
def test_a_proxy_that_breaks_connections_loses_and_doubles_nothing(services, window, central_url, monkeypatch):
    from desktop.core.sync import round as sync_round

    monkeypatch.setattr(sync_round, "PUSH_BATCH", 10)
    url = window(CENTRE, "01", catalogue=None)
    publish_store_catalogues(central_url, services)
    parts = urlsplit(url)
    expected: set[str] = set()
    failures = 0
    with FaultyProxy(parts.port, fault_rate=0.2, max_bytes=40_000) as proxy:
        netloc = parts.netloc.rsplit(":", 1)[0] + f":{proxy.port}"
        services.set_central(url=urlunsplit(parts._replace(netloc=netloc)))
        deadline = time.monotonic() + 120 * SCALE
        for _ in range(30 * SCALE):  # intake goes on between rounds: 20 new cases each time
            expected |= set(queue_cases(services, 20))
            try:
                services.sync_round()
            except CentralUnavailable:
                failures += 1
        while (pending(services) or proxy.connections < 40) and time.monotonic() < deadline:
            try:
                services.sync_round()  # acks lost on the way back are answered duplicate
            except CentralUnavailable:
                failures += 1
        assert pending(services) == 0
    assert proxy.broken >= 3 and failures >= 3, (proxy.connections, proxy.broken, failures)
    got = central_cases(central_url)
    assert len(got) == len(set(got)) and set(got) == expected
    with services.Session() as s:
        states = dict(s.execute(select(OutboxOp.state, func.count()).group_by(OutboxOp.state)).all())
    assert set(states) <= {"applied", "duplicate"} and sum(states.values()) == len(expected)


@pytest.mark.timeout(300 * SCALE)
def test_eight_windows_sync_at_once_into_one_centre(tmp_path, window, central_url, clock):
    homes = []
    expected: set[str] = set()
    for n in range(1, 9):
        home = tmp_path / f"w{n}"
        init_store(home, centre_code=CENTRE, window_no=f"{n:02d}", demo=True, clock=clock)
        svc = Services(home, clock=clock)
        try:
            svc.set_central(url=window(CENTRE, f"{n:02d}", catalogue=None))
            if n == 1:  # the eight stores hold the same demo catalogue
                publish_store_catalogues(central_url, svc)
            expected |= set(queue_cases(svc, 250 * SCALE))
        finally:
            svc.close()
        homes.append(home)
    assert len(expected) == 8 * 250 * SCALE  # numbers are unique by construction: centre+window+day+serial
    procs = [run_cli(h, "sync") for h in homes]
    deadline = time.monotonic() + 120 * SCALE
    for p in procs:
        p.wait(timeout=max(1, deadline - time.monotonic()))
    errors = [p.stderr.read().decode() for p in procs if p.returncode != 0]
    assert not errors, errors
    got = central_cases(central_url)
    assert len(got) == len(set(got)) and set(got) == expected
    for home in homes:
        con = connect_store(home)
        try:
            assert con.execute("select count(*) from outbox where state != 'applied'").fetchone()[0] == 0
        finally:
            con.close()


@pytest.mark.timeout(300 * SCALE)
def test_kill_9_while_pulling_never_skips_a_change(services, linked, central_url, home):
    case_nos = queue_cases(services, 500 * SCALE)
    services.sync_round()
    rng = random.Random(4)
    admin = psycopg.connect(_libpq_url(central_url))

    def decide(round_no: int) -> None:
        with admin.cursor() as cur:
            cur.executemany("select admin.set_case_status(%s, %s, null)",  # any status, again and again
                            [(c, f"s{round_no}") for c in rng.sample(case_nos, len(case_nos) // 2)])
        admin.commit()

    def check_checkpoint() -> None:
        """Every change at or below the local checkpoint is reflected locally, and nothing beyond it."""
        with services.Session() as s:
            cp = s.get(SyncCheckpoint, "case_status")
            upto = cp.last_seq if cp else 0
            local = dict(s.execute(select(Case.case_no, Case.status)).all())
        last: dict[str, str] = {}
        for key, status in admin.execute(
                "select key, data->>'status' from yc.changes where stream = 'case_status' and seq <= %s "
                "order by seq", (upto,)):
            last[key] = status
        admin.rollback()
        assert {k: local[k] for k in last} == last

    for round_no in range(1, 20 * SCALE + 1):
        decide(round_no)
        child = start_sync_loop(home, pull_limit=50)
        time.sleep(rng.uniform(0.4, 1.4))
        kill9(child)
        check_checkpoint()
    services.sync_round()
    check_checkpoint()
    # and each status change the centre made became exactly one event locally
    changes: dict[str, list[str]] = {}
    for key, status in admin.execute(
            "select key, data->>'status' from yc.changes where stream = 'case_status' order by seq"):
        changes.setdefault(key, []).append(status)
    admin.close()
    with services.Session() as s:
        events: dict[str, list[str]] = {}
        for case_no, detail in s.execute(select(CaseEvent.case_no, CaseEvent.detail)
                                         .where(CaseEvent.event == "status").order_by(CaseEvent.id)):
            events.setdefault(case_no, []).append(detail)
    for key, statuses in changes.items():
        real = [b for a, b in zip(["received", *statuses], statuses) if a != b]
        assert events.get(key, []) == real, key
    assert integrity_check(services.engine) == "ok"
