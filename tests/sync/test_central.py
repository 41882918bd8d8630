"""The central database as windows see it: schema set-up, the sync API, isolation by centre, ordering."""

from __future__ import annotations

import random
import socket
import threading
import time
import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from db.central import (
    CentralAuthFailed,
    CentralClient,
    CentralUnreachable,
    ProtocolTooOld,
    WindowNotRegistered,
    add_window,
    admin_connect,
    downgrade_central,
    freeze_op,
    init_central,
    window_role_name,
)
from desktop.core.sync import PROTOCOL
from tests.support.central_ops import A, B, admin_scalar, case_op, case_payload


def test_init_twice_is_idempotent(pg):
    url = pg.create_database(f"yc_init_{uuid.uuid4().hex[:8]}")
    assert init_central(url) == "c0010"
    assert init_central(url) == "c0010"
    assert admin_scalar(url, "SELECT count(*) FROM yc.changes") == 0


def test_upgrade_downgrade_upgrade(pg):
    url = pg.create_database(f"yc_updown_{uuid.uuid4().hex[:8]}")
    init_central(url)
    assert downgrade_central(url) is None
    assert (
        admin_scalar(
            url, "SELECT count(*) FROM pg_namespace WHERE nspname IN ('yc','sync','admin','reporting')"
        )
        == 0
    )
    assert init_central(url) == "c0010"
    wurl = add_window(url, A, "01")
    assert CentralClient(wurl, ca_cert=pg.ca_file).handshake(PROTOCOL)["schema"] == "c0010"


def test_constraints_follow_the_naming_convention(central_url):
    names = {
        r[0]
        for r in admin_connect(central_url).execute(
            "SELECT conname FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = 'yc'"
        )
    }
    assert {
        "pk_cases",
        "pk_ops",
        "pk_changes",
        "uq_windows_role_name",
        "ck_cases_applicant_kind",
        "fk_documents_case_no_cases",
    } <= names


# ---- windows and handshake ------------------------------------------------------------------------
def test_add_window_returns_a_url_that_logs_in(window):
    url = window(A, "01", centre_name="黄浦区社区事务受理服务中心")
    assert url.startswith("postgresql://yc_w_310101_01:")
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT session_user").fetchone()[0] == "yc_w_310101_01"


def test_add_window_again_resets_the_password(window):
    old = window(A, "01")
    new = window(A, "01")
    assert old != new
    with pytest.raises(CentralAuthFailed):
        CentralClient(old).handshake(PROTOCOL)
    assert CentralClient(new).handshake(PROTOCOL)["window_no"] == "01"


def test_role_names_are_sanitised():
    assert (
        window_role_name("SH-310101", "A1") == "yc_w_sh_310101_a1_" + window_role_name("SH-310101", "A1")[-8:]
    )
    assert window_role_name("310101", "01") == "yc_w_310101_01"
    assert len(window_role_name("9" * 80, "01")) <= 63


def test_handshake_names_the_window(window):
    with CentralClient(window(A, "03", centre_name="黄浦区")) as client:
        hello = client.handshake(PROTOCOL)
    assert hello["protocol"] == 5 >= PROTOCOL and hello["schema"] == "c0010"  # c0006: protocol 5
    assert (hello["centre_code"], hello["window_no"], hello["centre_name"]) == (A, "03", "黄浦区")
    assert "T" in hello["server_time"]


def test_protocol_zero_is_too_old(window):
    with CentralClient(window(A, "01")) as client, pytest.raises(ProtocolTooOld) as err:
        client.handshake(0)
    assert "客户端版本过旧，请升级" in err.value.message


def test_a_login_that_is_not_a_window_is_refused(central_url, window):
    url = window(A, "01")
    with admin_connect(central_url, autocommit=True) as conn:
        conn.execute("DELETE FROM yc.windows")
    with CentralClient(url) as client, pytest.raises(WindowNotRegistered):
        client.handshake(PROTOCOL)


def test_unreachable_url_fails_fast():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    with pytest.raises(CentralUnreachable) as err:
        CentralClient(f"postgresql://yc_w_x_01:pw@127.0.0.1:{port}/central", connect_timeout=2).handshake(PROTOCOL)
    assert time.perf_counter() - t0 < 3
    assert err.value.message.startswith("无法连接中心数据库：")


# ---- push -----------------------------------------------------------------------------------------
def test_push_twice_is_applied_then_duplicate(central_url, window):
    op = case_op(A, "01", 1)
    with CentralClient(window(A, "01")) as client:
        first = client.push([op])
        second = client.push([op])
    assert first[0]["status"] == "applied" and first[0]["op_id"] == op["op_id"]
    assert first[0]["result"] == {"case_no": "310101012602120001", "action": "inserted", "version": 1}
    assert second == [{"op_id": op["op_id"], "status": "duplicate", "result": first[0]["result"]}]
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.cases") == 1
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.ops") == 1
    row = (
        admin_connect(central_url)
        .execute(
            "SELECT centre_code, window_no, status, applicant_name, applicant_kind, promised_date::text, "
            "payload->>'clerk_login' FROM yc.cases"
        )
        .fetchone()
    )
    assert row == (A, "01", "received", "张三", "person", "2026-02-26", "zhangsan")


def test_same_op_id_with_another_payload_is_a_conflict(central_url, window):
    op = case_op(A, "01", 1)
    other = freeze_op("case.upsert", case_payload(A, "01", 1, note="改过"), op_id=op["op_id"])
    with CentralClient(window(A, "01")) as client:
        client.push([op])
        [answer] = client.push([other])
    assert answer["status"] == "rejected"
    assert answer["reason"] == "conflict: same op_id, different payload"
    assert admin_scalar(central_url, "SELECT payload->>'note' FROM yc.cases") == ""


def test_bad_hash_is_rejected(central_url, window):
    op = dict(case_op(A, "01", 1), sha256="0" * 64)
    with CentralClient(window(A, "01")) as client:
        assert client.push([op]) == [{"op_id": op["op_id"], "status": "rejected", "reason": "hash mismatch"}]
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.ops") == 0


def test_one_bad_op_does_not_stop_the_batch(central_url, window):
    ops = [
        case_op(A, "01", 1),
        case_op(A, "01", 2, received_at="not a time"),
        freeze_op("case.teleport", {"case_no": "x"}),
        case_op(A, "01", 3, applicant={"kind": "robot", "name": "R2"}),
        case_op(A, "01", 4),
    ]
    with CentralClient(window(A, "01")) as client:
        answers = client.push(ops)
    assert [a["op_id"] for a in answers] == [o["op_id"] for o in ops]
    assert [a["status"] for a in answers] == ["applied", "rejected", "rejected", "rejected", "applied"]
    assert answers[1]["reason"].startswith("invalid payload:")
    assert answers[2]["reason"] == "unknown kind"
    cases = [r[0] for r in admin_connect(central_url).execute("SELECT case_no FROM yc.cases ORDER BY 1")]
    assert cases == ["310101012602120001", "310101012602120004"]
    # rejected ops left nothing behind: no change rows, no op rows
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.changes WHERE stream = 'case_status'") == 2
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.ops") == 2


def test_newer_version_updates_an_older_one_is_rejected_with_a_reason(central_url, window):
    with CentralClient(window(A, "01")) as client:
        client.push([case_op(A, "01", 1, version=1)])
        [newer] = client.push([case_op(A, "01", 1, version=3, note="补正")])
        [older] = client.push([case_op(A, "01", 1, version=2, note="旧")])
    assert newer["result"]["action"] == "updated"
    assert older["status"] == "rejected" and older["reason"] == (
        "stale version: the centre has version 3 of case 310101012602120001 (last changed by window 01), this op carries 2")
    assert "result" not in older
    assert admin_scalar(central_url, "SELECT version || (payload->>'note') FROM yc.cases") == "3补正"


def test_document_printed_needs_the_case_at_this_centre(central_url, window):
    case = case_op(A, "01", 1)
    doc = {
        "case_no": "310101012602120001",
        "kind": "voucher",
        "sha256": "ab" * 32,
        "printed_at": "2026-02-12T09:31:00+08:00",
        "reprint": 0,
    }
    with CentralClient(window(A, "01")) as client:
        orphan = client.push([freeze_op("document.printed", dict(doc, case_no="310101012602129999"))])
        answers = client.push([case, freeze_op("document.printed", doc)])
    assert orphan[0]["status"] == "rejected" and orphan[0]["reason"] == "unknown case"
    assert [a["status"] for a in answers] == ["applied", "applied"]
    assert "document_id" in answers[1]["result"]
    assert admin_scalar(central_url, "SELECT kind FROM yc.documents") == "voucher"


def test_a_window_cannot_push_for_another_centre(central_url, window):
    with CentralClient(window(A, "01")) as client:
        answers = client.push([case_op(B, "01", 1), case_op(A, "02", 1)])
    assert [a["reason"] for a in answers] == ["centre mismatch: this login is window 310101/01"] * 2
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.cases") == 0


# ---- isolation ------------------------------------------------------------------------------------
def test_a_centre_sees_nothing_of_another(central_url, window):
    wa, wb = window(A, "01"), window(B, "01")
    with CentralClient(wb) as b:
        assert b.push([case_op(B, "01", 1)])[0]["status"] == "applied"
    b_case = f"{B}01260212{1:04d}"
    with CentralClient(wa) as a:
        a.push([case_op(A, "01", 1)])
        pulled = a.pull("case_status", 0)
        assert [r["key"] for r in pulled["rows"]] == [f"{A}01260212{1:04d}"]
        doc = freeze_op(
            "document.printed",
            {
                "case_no": b_case,
                "kind": "voucher",
                "sha256": "00",
                "printed_at": "2026-02-12T10:00:00+08:00",
                "reprint": 0,
            },
        )
        assert a.push([doc])[0]["reason"] == "unknown case"
        # claiming B's case number as A's own case cannot overwrite it
        for version in (99, 1, 0):  # newer (the update path) or not (the no-op path)
            [answer] = a.push([case_op(A, "01", 1, case_no=b_case, version=version)])
            assert answer["status"] == "rejected"
            assert answer["reason"] == f"case_no {b_case} is not a number of window 310101/01"
    assert (
        admin_scalar(
            central_url, "SELECT centre_code || '/' || version FROM yc.cases WHERE case_no = %s", (b_case,)
        )
        == f"{B}/1"
    )
    with psycopg.connect(wa) as conn:
        for query in (
            "SELECT * FROM yc.cases",
            "SELECT * FROM yc.changes",
            "SELECT * FROM yc.ops",
            "SELECT * FROM yc.documents",
            "SELECT * FROM reporting.cases",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(query)
            conn.rollback()
        # setting the centre variable by hand changes nothing: the functions reset it from session_user
        conn.execute("SELECT set_config('yc.centre', %s, false)", (B,))
        rows = conn.execute("SELECT sync.pull('case_status', 0, 100)").fetchone()[0]["rows"]
        assert {r["key"] for r in rows} == {f"{A}01260212{1:04d}"}


def test_window_role_has_no_table_privileges(window):
    with psycopg.connect(window(A, "01")) as conn:
        statements = [
            "SELECT * FROM yc.cases",
            (
                "INSERT INTO yc.cases (case_no, centre_code, window_no, matter_code, outcome, received_at, "
                "payload, version) VALUES ('x', '310101', '01', 'm', 'accepted', now(), '{}', 1)"
            ),
            "INSERT INTO yc.changes (seq, stream, centre_code, key, data) VALUES (1, 's', 'c', 'k', '{}')",
            "UPDATE yc.windows SET window_no = '02'",
            "SELECT yc.append_change('case_status', '310101', 'k', '{}')",
            "SELECT admin.set_case_status('x', 'decided', NULL)",
        ]
        for stmt in statements:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)
            conn.rollback()


def test_admin_set_case_status_reaches_the_window_by_pull(central_url, window):
    wa = window(A, "01")
    with CentralClient(wa) as client:
        client.push([case_op(A, "01", 1)])
        checkpoint = client.pull("case_status", 0)["last_seq"]
        with admin_connect(central_url) as conn:
            out = conn.execute(
                "SELECT admin.set_case_status(%s, 'decided', '准予许可')", ("310101012602120001",)
            ).fetchone()[0]
            conn.commit()
        assert out["status"] == "decided"
        page = client.pull("case_status", checkpoint)
    assert [r["data"]["status"] for r in page["rows"]] == ["decided"]
    assert page["rows"][0]["data"]["note"] == "准予许可"
    assert page["last_seq"] == page["rows"][0]["seq"] > checkpoint


def test_pull_after_a_checkpoint_returns_only_newer_rows(window):
    with CentralClient(window(A, "01")) as client:
        client.push([case_op(A, "01", n) for n in range(1, 6)])
        first = client.pull("case_status", 0, limit=2)
        assert len(first["rows"]) == 2 and first["last_seq"] == first["rows"][-1]["seq"]
        rest = client.pull("case_status", first["last_seq"])
        assert len(rest["rows"]) == 3
        assert all(r["seq"] > first["last_seq"] for r in rest["rows"])
        assert [r["seq"] for r in rest["rows"]] == sorted(r["seq"] for r in rest["rows"])
        empty = client.pull("case_status", rest["last_seq"])
        assert empty == {"rows": [], "last_seq": rest["last_seq"]}
        assert client.pull("other_stream", 0) == {"rows": [], "last_seq": 0}


def test_reporting_view_lists_every_centre_for_the_reporting_role(central_url, window):
    with CentralClient(window(A, "01")) as a, CentralClient(window(B, "01")) as b:
        a.push([case_op(A, "01", 1), case_op(A, "01", 2)])
        b.push([case_op(B, "01", 1)])
    with admin_connect(central_url) as conn:
        conn.execute("SET ROLE yc_reporting")
        rows = conn.execute(
            "SELECT centre_code, window_code, matter_code, outcome FROM reporting.cases ORDER BY case_no"
        ).fetchall()
        assert rows == [(A, "01", "SH-HJ-001", "accepted")] * 2 + [(B, "01", "SH-HJ-001", "accepted")]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM yc.cases")


# ---- concurrency ----------------------------------------------------------------------------------
def test_eight_windows_push_concurrently(central_url, window):
    urls = [window(centre, f"{n:02d}") for centre in (A, B) for n in range(1, 5)]
    errors: list[BaseException] = []

    def clerk(url: str) -> None:
        try:
            with CentralClient(url) as client:
                hello = client.handshake(PROTOCOL)
                ops = [case_op(hello["centre_code"], hello["window_no"], n) for n in range(1, 201)]
                for i in range(0, len(ops), 25):
                    answers = client.push(ops[i : i + 25])
                    assert {a["status"] for a in answers} == {"applied"}, answers
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=clerk, args=(u,)) for u in urls]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a pusher hung (deadlock?)"
    assert not errors, errors
    assert time.perf_counter() - t0 < 30
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.cases") == 1600
    for centre in (A, B):
        with CentralClient(window(centre, "09")) as reader:
            page = reader.pull("case_status", 0, limit=10000)
        assert len(page["rows"]) == 800
        assert len({r["key"] for r in page["rows"]}) == 800


def test_a_reader_never_skips_a_change_committed_out_of_order(central_url, window):
    w1, w2, wb, reader_url = window(A, "01"), window(A, "02"), window(B, "01"), window(A, "03")
    reader = CentralClient(reader_url)
    slow = psycopg.connect(w1)  # a writer that stays inside its transaction
    slow.execute("SELECT sync.push(%s)", (Jsonb([case_op(A, "01", 1)]),))

    fast_answer: list = []
    fast = threading.Thread(target=lambda: fast_answer.extend(CentralClient(w2).push([case_op(A, "02", 1)])))
    fast.start()
    time.sleep(0.5)
    # The second writer of the same centre waits: it may not take a seq and commit ahead of the first.
    assert fast.is_alive()
    # Another centre's writer is not held up.
    t0 = time.perf_counter()
    assert CentralClient(wb).push([case_op(B, "01", 1)])[0]["status"] == "applied"
    assert time.perf_counter() - t0 < 0.5
    page = reader.pull("case_status", 0)
    assert page == {"rows": [], "last_seq": 0}  # nothing of this centre is committed yet

    slow.commit()
    fast.join(timeout=10)
    assert fast_answer and fast_answer[0]["status"] == "applied"
    page = reader.pull("case_status", 0)
    assert [r["key"] for r in page["rows"]] == ["310101012602120001", "310101022602120001"]
    slow.close()
    reader.close()


def test_a_polling_reader_collects_every_change_exactly_once(central_url, window):
    writers = [window(A, f"{n:02d}") for n in range(1, 5)]
    reader = CentralClient(window(A, "09"))
    expected: set[str] = set()
    lock = threading.Lock()
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(url: str, window_no: str) -> None:
        rnd = random.Random(window_no)
        try:
            with psycopg.connect(url) as conn:
                for n in range(1, 16):
                    op = case_op(A, window_no, n)
                    conn.execute("SELECT sync.push(%s)", (Jsonb([op]),))
                    time.sleep(rnd.random() * 0.01)  # hold the transaction open a little
                    conn.commit()
                    with lock:
                        expected.add(f"{A}{window_no}260212{n:04d}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(u, f"{i:02d}")) for i, u in enumerate(writers, 1)]
    for t in threads:
        t.start()
    seen: list[int] = []
    keys: list[str] = []
    checkpoint = 0

    def poll() -> None:
        nonlocal checkpoint
        page = reader.pull("case_status", checkpoint, limit=7)
        seen.extend(r["seq"] for r in page["rows"])
        keys.extend(r["key"] for r in page["rows"])
        checkpoint = page["last_seq"]

    while any(t.is_alive() for t in threads):
        poll()
    for t in threads:
        t.join()
    done.set()
    for _ in range(20):
        poll()
    assert not errors, errors
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert sorted(keys) == sorted(expected) and len(keys) == 60
    reader.close()


def test_a_batch_of_500_case_ops_is_fast(window):
    """Target: well under 0.2 s on loopback. Best of three, with headroom for a loaded CI machine."""
    timings = []
    with CentralClient(window(A, "01")) as client:
        client.handshake(PROTOCOL)
        for batch in range(3):
            ops = [
                case_op(A, "01", n, note=f"batch {batch}") for n in range(batch * 500 + 1, batch * 500 + 501)
            ]
            t0 = time.perf_counter()
            answers = client.push(ops)
            timings.append(time.perf_counter() - t0)
            assert {a["status"] for a in answers} == {"applied"}
    assert min(timings) < 0.25, timings
