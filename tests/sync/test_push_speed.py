"""The push's fast path (yc.push_fast): the same rows and refusals as the per-op loop.

Written for a c0014 that rewrote yc.push_fast for speed (measured, not faster on this machine, not merged:
docs/performance.md); they hold any fast path to the same snapshots and refusals as yc.case_snapshot and
the per-op loop."""

from __future__ import annotations

import json
import secrets

import psycopg
import pytest
from psycopg.types.json import Jsonb

from db.central import CentralClient, admin_connect, freeze_op, publish_catalogue
from desktop.core.sync import PROTOCOL
from tests.support.central_ops import CATALOGUE_MATTER, A, B, Chain, admin_scalar, case_op, machine


def _snapshots(url: str) -> list[tuple[str, dict, dict]]:
    """(case_no, the `cases` change row's data, yc.case_snapshot now) for every case, in seq order."""
    with admin_connect(url) as conn:
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT ch.key, ch.data, yc.case_snapshot(ch.key) FROM yc.changes ch "
            "WHERE ch.stream = 'cases' ORDER BY ch.seq")]


def _batch(centre: str, window_no: str) -> list[dict]:
    step = {"event": "case.accepted", "clerk_login": "lisi", "clerk_name": "李四", "at": "2026-02-12T09:31:00+08:00",
            "backup_for": "01"}
    return [case_op(centre, window_no, 1),
            case_op(centre, window_no, 2, step=step),
            case_op(centre, window_no, 3, status="delivered", outcome="completed"),
            freeze_op("document.printed", {"case_no": f"{centre}{window_no}2602120002", "kind": "voucher",
                                           "sha256": "ab" * 32, "printed_at": "2026-02-12T09:31:00+08:00",
                                           "reprint": 0}),
            case_op(centre, window_no, 4, step={"event": "", "clerk_name": "王五"})]


def test_the_fast_path_takes_the_batch_and_its_snapshots_are_case_snapshot(central_url, window):
    window(A, "01")
    ops = _batch(A, "01")
    # the fast path itself (as sync.push calls it): it takes the whole batch or raises YC199
    with admin_connect(central_url) as conn:
        answers = conn.execute("SELECT yc.push_fast(%s, %s, %s)", (Jsonb(ops), A, "01")).fetchone()[0]
        conn.commit()
    assert [a["status"] for a in answers] == ["applied"] * 5
    rows = _snapshots(central_url)
    assert [r[0] for r in rows] == [f"{A}01260212{n:04d}" for n in (1, 2, 3, 4)]
    for case_no, written, now in rows:
        assert written == now, case_no
    steps = {case_no: written["steps"] for case_no, written, _ in rows}
    assert [s["event"] for s in steps[f"{A}012602120002"]] == ["case.accepted"]
    assert steps[f"{A}012602120002"][0]["actor_name"] == "李四"
    assert [s["event"] for s in steps[f"{A}012602120004"]] == ["case.received"]
    assert rows[2][1]["status"] == "delivered"
    # one case_status row and one cases row per case, in batch order
    with admin_connect(central_url) as conn:
        streams = [(r[0], r[1]) for r in conn.execute("SELECT stream, key FROM yc.changes "
                                                       "WHERE stream IN ('cases', 'case_status') ORDER BY seq")]
    assert streams == [(s, f"{A}01260212{n:04d}") for n in (1, 2, 3, 4) for s in ("case_status", "cases")]


def test_a_window_gets_the_same_snapshots_by_the_fast_path_and_by_the_loop(central_url, window):
    with CentralClient(window(A, "01")) as fast, CentralClient(window(A, "02")) as slow:
        f = fast.push(_batch(A, "01"))
        s = slow.push([*_batch(A, "02"), freeze_op("case.teleport", {})])  # an unknown kind: the loop
    assert [a["status"] for a in f] == [a["status"] for a in s[:-1]] == ["applied"] * 5
    rows = _snapshots(central_url)
    assert len(rows) == 8
    for case_no, written, now in rows:
        assert written == now, case_no
    by_window = {}
    for case_no, written, _ in rows:
        shape = {k: v for k, v in written.items() if k not in ("case_no", "payload", "last_window_no")}
        shape["steps"] = [{k: v for k, v in step.items() if k not in ("at", "window_no")} for step in shape["steps"]]
        by_window.setdefault(case_no[6:8], []).append(shape)
    assert by_window["01"] == by_window["02"]


def test_a_version_published_only_for_another_centre_is_refused_in_a_batch(central_url, window):
    """The matter is in that catalogue version (so only the published-catalogue check can refuse it), and
    the check runs once per distinct version of the batch: the good case is applied, the other refused."""
    wa = window(A, "01")
    window(B, "01")
    publish_catalogue(central_url, json.dumps({"version": "B-only", "matters": [CATALOGUE_MATTER]},
                                              ensure_ascii=False), centre_code=B)
    with CentralClient(wa) as client:
        mixed = client.push([case_op(A, "01", 1), case_op(A, "01", 2, catalogue_version="B-only"),
                             case_op(A, "01", 3)])
        alone = client.push([case_op(A, "01", 4, catalogue_version="B-only"),
                             case_op(A, "01", 5, catalogue_version="B-only")])
    assert [a["status"] for a in mixed] == ["applied", "rejected", "applied"]
    assert mixed[1]["reason"] == f"catalogue version B-only was never published for centre {A}"
    assert [a["status"] for a in alone] == ["rejected", "rejected"]
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.cases") == 2
    with admin_connect(central_url) as conn, pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT yc.push_fast(%s, %s, %s)",
                     (Jsonb([case_op(A, "01", 6), case_op(A, "01", 7, catalogue_version="B-only")]), A, "01"))
    assert err.value.sqlstate == "YC199"


def test_a_case_number_taken_by_another_window_still_sends_the_batch_to_the_loop(central_url, window):
    with CentralClient(window(A, "01")) as a:
        a.push([case_op(A, "01", 1)])
    with admin_connect(central_url) as conn, pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT yc.push_fast(%s, %s, %s)", (Jsonb([case_op(A, "01", 2), case_op(A, "01", 1)]), A, "01"))
    assert err.value.sqlstate == "YC199"
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.case_steps") == 1


def test_a_bound_windows_chained_batch_takes_the_fast_path(central_url, window):
    url = window(A, "01")
    key = secrets.token_bytes(32)
    with CentralClient(url) as client:
        assert client.handshake(PROTOCOL, machine(key, "a" * 32))["bound"] is False
        client.bind_window("a" * 32, key.hex())
    chain = Chain(key)
    ops = chain.all(_batch(A, "01"))
    with admin_connect(central_url) as conn:
        answers = conn.execute("SELECT yc.push_fast(%s, %s, %s)", (Jsonb(ops), A, "01")).fetchone()[0]
        conn.commit()
    assert [a["status"] for a in answers] == ["applied"] * 5
    assert admin_scalar(central_url, "SELECT chain_seq FROM yc.windows WHERE centre_code = %s AND window_no = '01'",
                        (A,)) == 5
    for case_no, written, now in _snapshots(central_url):
        assert written == now, case_no
    # a forged link in the middle: the fast path refuses the whole batch
    more = chain.all([case_op(A, "01", 6), case_op(A, "01", 7)])
    more[1] = {**more[1], "chain_mac": "0" * 64}
    with admin_connect(central_url) as conn, pytest.raises(psycopg.Error) as err:
        conn.execute("SELECT yc.push_fast(%s, %s, %s)", (Jsonb(more), A, "01"))
    assert err.value.sqlstate == "YC199"


# New cases of every shape the summary distinguishes: the outcomes, the statuses a new case may carry, the step
# words it counts (notice, supplemented, gap.supplied, delivered), a step without a clerk name, an intake on a
# holiday, a case completed on the spot on another day, a paused one, dates absent, a late step time.
def _summary_batch(centre: str, window_no: str) -> list[dict]:
    at = "2026-02-12T23:59:30+08:00"
    shapes = [
        {},
        {"step": {"event": "notice", "clerk_name": "李四", "at": at}, "outcome": "notice"},
        {"step": {"event": "supplemented", "clerk_name": "李四", "at": at}},
        {"step": {"event": "gap.supplied", "clerk_name": "", "at": at}},
        {"status": "delivered", "outcome": "completed", "complete_at": "2026-02-13T10:00:00+08:00",
         "step": {"event": "delivered", "clerk_name": "王五", "at": at}},
        {"status": "delivered", "outcome": "completed", "step": {"event": "case.completed", "clerk_name": "王五"}},
        {"step": {"event": "delivered", "clerk_name": "王五"}},  # accepted, still received: delivered, not decided
        {"status": "withdrawn", "step": {"event": "delivered", "clerk_name": "王五", "at": at}},
        {"status": "voided", "outcome": "refused"},
        {"outcome": "refused", "holiday": True, "promised_date": None},
        {"paused_since": "2026-02-12", "statutory_date": "2026-03-20"},
        {"outcome": "consultation", "step": {"event": "", "clerk_name": "赵六"}},
    ]
    return [case_op(centre, window_no, n, **shape) for n, shape in enumerate(shapes, start=1)]


def _summaries(url: str, window_no: str) -> dict[str, dict]:
    with admin_connect(url) as conn:
        cur = conn.execute("SELECT * FROM yc.case_summary WHERE window_no = %s ORDER BY case_no", (window_no,))
        names = [d.name for d in cur.description]
        return {r[0][8:]: {k: v for k, v in zip(names, r, strict=True) if k not in ("case_no", "window_no",
                                                                                  "refreshed_at")}
                for r in cur.fetchall()}


def test_the_fast_path_writes_the_summary_rows_the_triggers_compute(central_url, window):
    """c0019: yc.push_fast writes a new case's summary row from the batch and the triggers leave it alone.
    It must be the row the triggers compute from the tables: the same cases through the per-op loop (another
    window), and the fast path's own cases recomputed by the triggers (an administrator's no-op UPDATE)."""
    with CentralClient(window(A, "01")) as fast, CentralClient(window(A, "02")) as slow:
        f = fast.push(_summary_batch(A, "01"))
        s = slow.push([*_summary_batch(A, "02"), freeze_op("case.teleport", {})])  # an unknown kind: the loop
    assert [a["status"] for a in f] == [a["status"] for a in s[:-1]] == ["applied"] * 12
    written = _summaries(central_url, "01")
    assert len(written) == 12
    assert written == _summaries(central_url, "02")
    with admin_connect(central_url) as conn:  # c0013's recomputation of every one of them, from the tables
        conn.execute("UPDATE yc.cases SET status = status WHERE window_no = '01'")
        conn.commit()
    assert _summaries(central_url, "01") == written
    # what the shapes were for: each rule the batch's derivation follows is seen at least once
    rows = list(written.values())
    assert {r["first_notice"] for r in rows} == {0, 1} and {r["visits"] for r in rows} == {1, 2}
    assert {r["holiday"] for r in rows} == {0, 1} and {r["paused"] for r in rows} == {False, True}
    assert None in {r["first_actor"] for r in rows} and "李四" in {r["first_actor"] for r in rows}
    assert written["2602120005"]["accept_day"] == "2026-02-13" == written["2602120005"]["decided_day"]
    assert written["2602120007"]["delivered_day"] is not None and written["2602120007"]["decided_day"] is None
    assert written["2602120008"]["delivered_day"] is None and written["2602120008"]["decided_day"] is None
    assert written["2602120010"]["promised_date"] is None


def test_a_case_the_fast_path_summarised_is_recomputed_by_a_later_write_in_the_same_transaction(central_url,
                                                                                              window):
    """The triggers leave out a new case whose summary row this transaction wrote; a later write to that case
    in the same transaction (a step, an update) is recomputed all the same."""
    window(A, "01")
    with admin_connect(central_url) as conn:
        conn.execute("SELECT yc.push_fast(%s, %s, %s)", (Jsonb([case_op(A, "01", 1), case_op(A, "01", 2)]), A, "01"))
        conn.execute("INSERT INTO yc.case_steps (case_no, centre_code, version, event, window_no, actor_name) "
                     "VALUES (%s, %s, 1, 'notice', '01', '李四')", (f"{A}012602120001", A))
        conn.execute("UPDATE yc.cases SET status = 'withdrawn' WHERE case_no = %s", (f"{A}012602120002",))
        conn.commit()
    rows = _summaries(central_url, "01")
    assert rows["2602120001"]["first_notice"] == 1
    assert rows["2602120002"]["status"] == "withdrawn"
