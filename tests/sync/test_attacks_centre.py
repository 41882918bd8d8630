"""Issue 8, the centre: each test performs an attack with a window's own login (scram-sha-256, real
PostgreSQL) and shows it changes nothing, or is refused with a reason."""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from psycopg import sql
from psycopg.types.json import Jsonb

from db.central import (
    CentralClient,
    CentralError,
    CentralRefused,
    ProtocolTooOld,
    WindowBoundElsewhere,
    add_department,
    add_window,
    admin_connect,
    freeze_op,
    publish_catalogue,
    retire_window,
    upsert_user,
    verify_central,
    window_role_name,
)
from db.central.client import _libpq_url
from desktop.cli import main as cli
from desktop.core.sync import PROTOCOL
from tests.support.central_ops import A, B, Chain, admin_scalar, case_op, case_payload, machine

M1, M2 = "a" * 32, "b" * 32  # two machines' ids


def case_no(centre: str, window_no: str, serial: int, day: str = "260212") -> str:
    return f"{centre}{window_no}{day}{serial:04d}"


def admin_row(url: str, query: str, params: tuple = ()):
    with admin_connect(url) as conn:
        row = conn.execute(query, params).fetchone()
        conn.commit()
        return row


def bound(url: str, key: bytes, machine_id: str = M1) -> CentralClient:
    """A window client whose machine bound the window with `key` (what the first sync does)."""
    client = CentralClient(url)
    hello = client.handshake(PROTOCOL, machine(key, machine_id))
    assert hello["bound"] is False
    client.bind_window(machine_id, key.hex())
    return client


# ---- 1. no code runs as the schema owner ----------------------------------------------------------
EVIL = """
CREATE TABLE pg_temp.fired (who text);
CREATE TABLE pg_temp.yc_fast (n int, op_id uuid, kind text, sha text, p jsonb, case_no text, doc_id bigint);
GRANT ALL ON pg_temp.fired, pg_temp.yc_fast TO PUBLIC;
CREATE FUNCTION pg_temp.evil() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pg_temp.fired VALUES (current_user);
    EXECUTE format('GRANT SELECT ON yc.cases TO %I', session_user);
    RETURN NEW;
END $$;
CREATE TRIGGER evil BEFORE INSERT ON pg_temp.yc_fast FOR EACH ROW EXECUTE FUNCTION pg_temp.evil();
"""


def test_the_temp_table_trigger_attack_on_push_fast_changes_nothing(central_url, window):
    url = window(A, "01")
    role = window_role_name(A, "01")
    with psycopg.connect(url) as conn:  # the window role may not create temp objects at all
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TEMP TABLE yc_fast (n int)")
    # Even if a DBA granted TEMP by mistake, push never touches a table the caller can create.
    with admin_connect(central_url, autocommit=True) as conn:
        conn.execute(sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(
            sql.Identifier(conn.info.dbname), sql.Identifier(role)))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(EVIL)
        answers = conn.execute("SELECT sync.push(%s)", (Jsonb([case_op(A, "01", 1), case_op(A, "01", 2)]),)
                               ).fetchone()[0]
        assert [a["status"] for a in answers] == ["applied", "applied"]
        assert conn.execute("SELECT count(*) FROM pg_temp.fired").fetchone()[0] == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM yc.cases")
    assert admin_scalar(central_url, "SELECT has_table_privilege(%s, 'yc.cases', 'SELECT')", (role,)) is False


def test_a_window_cannot_hold_a_lock_that_stalls_another_centre_or_publishing(central_url, window):
    wa, wb = window(A, "01"), window(B, "01")
    with psycopg.connect(wa) as conn:  # the publishing lock, taken directly: refused
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('yc.changes'), hashtext('catalogue/*'))")
    # A holds its own centre's stream lock in an open transaction, and sits on it.
    holder = psycopg.connect(wa)
    try:
        holder.execute("SELECT sync.push(%s)", (Jsonb([case_op(A, "01", 1)]),))
        t0 = time.monotonic()
        with CentralClient(wb) as b:
            assert b.push([case_op(B, "01", 1)])[0]["status"] == "applied"
        publish_catalogue(central_url, json.dumps({"version": "2026.9", "matters": []}))
        upsert_user(central_url, {"login": "x1", "name": "某", "role": "clerk", "password_hash": "h",
                                  "centre_code": A})
        assert time.monotonic() - t0 < 5
    finally:
        holder.close()


def test_admin_calls_wait_at_most_their_lock_timeout(central_url, window):
    wa = window(A, "01")
    with CentralClient(wa) as a:
        a.push([case_op(A, "01", 1)])
    holder = psycopg.connect(wa)
    try:
        holder.execute("SELECT sync.push(%s)", (Jsonb([case_op(A, "01", 2)]),))  # holds A's case_status lock
        from db.central import decide_case

        t0 = time.monotonic()
        with pytest.raises(CentralError):
            decide_case(central_url, case_no(A, "01", 1), "approved")
        assert 5 < time.monotonic() - t0 < 30
    finally:
        holder.close()


# ---- 2. case numbers belong to the window that made them ------------------------------------------
def test_another_windows_case_cannot_be_overwritten(central_url, window):
    with CentralClient(window(A, "01")) as w1, CentralClient(window(A, "02")) as w2:
        assert w1.push([case_op(A, "01", 1)])[0]["status"] == "applied"
        hijack = case_payload(A, "02", 1, case_no=case_no(A, "01", 1), version=2147483647, status="delivered",
                              applicant={"kind": "person", "name": "李鬼", "id_no": "110105194912310021"})
        [answer] = w2.push([freeze_op("case.upsert", hijack)])
        [batch] = w2.push([freeze_op("case.upsert", dict(hijack, version=2147483646)), case_op(A, "02", 7)])[:1]
    assert answer["status"] == "rejected"
    # c0006: a sibling may continue the case, but only as the case it is (origin window 01)
    assert answer["reason"] == f"window_no of case {case_no(A, '01', 1)} is its origin window 01, this op carries 02"
    assert batch["status"] == "rejected"
    assert admin_row(central_url, "SELECT window_no, version, status, applicant_name FROM yc.cases "
                                  "WHERE case_no = %s", (case_no(A, "01", 1),)) == ("01", 1, "received", "张三")


def test_a_continued_case_keeps_its_origin_window(central_url, window):
    """Any window of the centre may continue a case (c0006), but the case's origin window never changes:
    a version that names another origin is refused, whoever pushes it."""
    with CentralClient(window(A, "01")) as w1:
        w1.push([case_op(A, "01", 1)])
    admin_row(central_url, "UPDATE yc.cases SET window_no = '03' RETURNING 1")
    with CentralClient(window(A, "01")) as w1:
        [answer] = w1.push([case_op(A, "01", 1, version=5)])
    assert answer["status"] == "rejected"
    assert answer["reason"] == f"window_no of case {case_no(A, '01', 1)} is its origin window 03, this op carries 01"


def test_a_squatted_future_number_is_refused_and_the_real_case_lands(central_url, window):
    future = case_no(A, "01", 1, day="261231")
    with CentralClient(window(B, "01")) as squatter:
        answers = squatter.push([
            freeze_op("case.upsert", case_payload(B, "01", 1, case_no=future)),
            freeze_op("case.upsert", case_payload(B, "01", 2, case_no=case_no(A, "01", 2, day="261231"))),
        ])
    assert [a["status"] for a in answers] == ["rejected", "rejected"]
    assert answers[0]["reason"] == f"case_no {future} is not a number of window {B}/01"
    with CentralClient(window(A, "01")) as real:
        [answer] = real.push([freeze_op("case.upsert", case_payload(A, "01", 1, case_no=future))])
    assert answer["status"] == "applied" and answer["result"]["action"] == "inserted"
    assert admin_row(central_url, "SELECT centre_code, window_no FROM yc.cases") == (A, "01")


def test_stale_and_colliding_versions_are_rejected_with_a_reason(central_url, window):
    with CentralClient(window(A, "01")) as client:
        client.push([case_op(A, "01", 1, version=2)])
        [collide] = client.push([case_op(A, "01", 1, version=2, note="另一份内容")])
        [stale] = client.push([case_op(A, "01", 1, version=1)])
    assert (collide["status"], collide["reason"]) == (
        "rejected", f"stale version: the centre has version 2 of case {case_no(A, '01', 1)} (last changed by window 01), "
                  "this op carries 2")
    assert (stale["status"], stale["reason"]) == (
        "rejected", f"stale version: the centre has version 2 of case {case_no(A, '01', 1)} (last changed by window 01), "
                  "this op carries 1")
    assert admin_scalar(central_url, "SELECT payload->>'note' FROM yc.cases") == ""


def test_centre_and_window_come_from_the_login_for_every_kind(central_url, window):
    with CentralClient(window(A, "01")) as client:
        client.push([case_op(A, "01", 1)])
        theirs = {"centre_code": A, "window_no": "02"}
        answers = client.push([
            freeze_op("audit.recorded", {**theirs, "at": "2026-02-12T10:00:00+08:00", "actor": "demo",
                                         "action": "override"}),
            freeze_op("rating.recorded", {**theirs, "case_no": case_no(A, "01", 1), "overall": 1,
                                          "rated_at": "2026-02-12T10:00:00+08:00"}),
            freeze_op("consultation.recorded", {**theirs, "id": str(uuid.uuid4()), "asker_name": "李四",
                                                "asked_at": "2026-02-12T09:00:00+08:00", "question": "问",
                                                "answer": "答"}),
            freeze_op("transfer.upsert", {**theirs, "batch_no": "LZ1", "version": 1,
                                          "case_nos": [case_no(A, "01", 1)], "department": "公安",
                                          "channel": "express", "state": "waiting",
                                          "created_at": "2026-02-12T16:00:00+08:00"}),
            freeze_op("audit.recorded", {"centre_code": A, "at": "2026-02-12T10:00:00+08:00", "actor": "demo",
                                         "action": "override"}),
        ])
    assert [a["status"] for a in answers] == ["rejected"] * 4 + ["applied"]
    assert {a["reason"] for a in answers[:4]} == {f"centre mismatch: this login is window {A}/01"}
    assert admin_scalar(central_url, "SELECT string_agg(window_no, ',') FROM yc.audit "
                                     "WHERE action = 'override'") == "01"
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.ratings") == 0


# ---- 3. one live install per window --------------------------------------------------------------
def test_a_second_machine_is_refused_until_the_old_one_is_retired(central_url, window, capsys):
    url = window(A, "01")
    key1, key2 = secrets.token_bytes(32), secrets.token_bytes(32)
    with bound(url, key1, M1) as first:
        assert first.handshake(PROTOCOL, machine(key1, M1))["bound"] is True
    with CentralClient(url) as second:
        with pytest.raises(WindowBoundElsewhere) as refused:
            second.handshake(PROTOCOL, machine(key2, M2))
        assert "另一台电脑" in refused.value.message and "retire-window" in refused.value.message
        with pytest.raises(WindowBoundElsewhere):
            second.bind_window(M2, key2.hex())
        with pytest.raises(ProtocolTooOld):  # an old client (no machine id) is refused too
            second.handshake(3)
    with CentralClient(url) as first:  # the same machine with another key (a wiped keyring) is refused
        with pytest.raises(WindowBoundElsewhere):
            first.handshake(PROTOCOL, machine(key2, M1))
    assert cli(["central", "retire-window", _libpq_url(central_url), "--centre", A, "--window", "01"]) == 0
    assert json.loads(capsys.readouterr().out)["retired_machine"] == M1
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.audit WHERE action IN ('window.bound', "
                                     "'window.retired') AND window_no = '01'") == 2
    with bound(url, key2, M2) as second:
        assert second.handshake(PROTOCOL, machine(key2, M2))["bound"] is True


def test_restore_state_gives_the_last_serials_and_the_chain_head(window):
    url = window(A, "01")
    key = secrets.token_bytes(32)
    chain = Chain(key)
    with bound(url, key) as client:
        ops = [case_op(A, "01", n) for n in (1, 2, 5)]
        ops.append(freeze_op("case.upsert", case_payload(A, "01", 3, case_no=case_no(A, "01", 3, day="260213"))))
        assert {a["status"] for a in client.push(chain.all(ops))} == {"applied"}
        state = client.restore_state()
    assert state["last_serials"] == {"260212": 5, "260213": 3}
    assert state["chain_head"] == {"seq": 4, "mac": chain.mac}


# ---- 4. resource limits ---------------------------------------------------------------------------
def test_add_window_sets_limits_on_the_window_role(pg, central_url, window):
    url = window(A, "01")
    role = window_role_name(A, "01")
    dept_url = add_department(central_url, A, "区公安分局") + "&" + pg.tls_query.lstrip("?").replace(
        "sslmode=verify-full&", "")
    assert admin_scalar(central_url, "SELECT rolconnlimit FROM pg_roles WHERE rolname = %s", (role,)) == 4
    for login in (url, dept_url):  # a department login has a window's bounds
        with psycopg.connect(login) as conn:
            shown = {name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
                     for name in ("statement_timeout", "idle_in_transaction_session_timeout", "temp_file_limit")}
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SET temp_file_limit = -1")
        assert shown == {"statement_timeout": "30s", "idle_in_transaction_session_timeout": "15s",
                         "temp_file_limit": "64MB"}, login.split(":")[1]
    conns = [psycopg.connect(url) for _ in range(4)]
    try:
        with pytest.raises(psycopg.OperationalError, match="too many connections"):
            psycopg.connect(url)
    finally:
        for c in conns:
            c.close()


def test_size_caps_on_batch_payload_and_blob(window):
    with CentralClient(window(A, "01")) as client:
        with pytest.raises(CentralRefused, match="上限 2000"):
            client.push([case_op(A, "01", 1)] * 2001)
        big = case_op(A, "01", 2, note="长" * 100_000)
        [answer] = client.push([big])
        assert answer["status"] == "rejected"
        assert answer["reason"] == f"payload too large: {len(big['payload'].encode())} bytes (at most 262144)"
        blob = b"\0" * (32 * 1024 * 1024 + 1)
        with pytest.raises(CentralRefused, match="过大"):
            client.put_blobs([(hashlib.sha256(blob).hexdigest(), blob)])
        assert client.push([case_op(A, "01", 3)])[0]["status"] == "applied"  # the link still works


def test_the_operators_idle_check_ends_a_login_that_lifted_its_own_timeout(central_url, window):
    """A role setting is only a default: a hostile login SETs the idle timeout to 0 and sits in a
    transaction. The check docs/operations.md gives the operator (run every minute) ends that session."""
    import re
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    check = re.search(r"## Idle sessions at the centre.*?```sql\n(.*?)```", doc, re.S).group(1)
    assert "interval '15 seconds'" in check
    url = window(A, "01")
    hostile = psycopg.connect(url)
    honest = psycopg.connect(url)
    try:
        hostile.execute("SET idle_in_transaction_session_timeout = 0")  # allowed: nothing forbids it
        hostile.execute("SELECT 1")  # and now it idles in an open transaction
        honest.execute("SELECT 1")
        honest.commit()  # idle, but not in a transaction: left alone
        time.sleep(1.5)
        with admin_connect(central_url, autocommit=True) as con:
            ended = con.execute(check.replace("interval '15 seconds'", "interval '1 second'")).fetchall()
        assert [(r[1], r[4]) for r in ended] == [(window_role_name(A, "01"), True)]
        with pytest.raises(psycopg.OperationalError):
            hostile.execute("SELECT 1")
        assert honest.execute("SELECT 1").fetchone() == (1,)
    finally:
        hostile.close()
        honest.close()


# ---- 5. catalogue versions are the centre's --------------------------------------------------------
def test_a_case_under_a_catalogue_never_published_for_its_centre_is_rejected(central_url, window):
    wa = window(A, "01")
    window(B, "01")
    publish_catalogue(central_url, json.dumps({"version": "B-only", "matters": []}), centre_code=B)
    with CentralClient(wa) as client:
        single = client.push([case_op(A, "01", 1, catalogue_version="9999.9")])
        batch = client.push([case_op(A, "01", 2, catalogue_version="B-only"), case_op(A, "01", 3),
                             case_op(A, "01", 4, catalogue_version=None)])
    assert single[0]["reason"] == f"catalogue version 9999.9 was never published for centre {A}"
    assert [a["status"] for a in batch] == ["rejected", "applied", "rejected"]
    assert batch[0]["reason"] == f"catalogue version B-only was never published for centre {A}"
    assert batch[2]["reason"] == f"catalogue version (none) was never published for centre {A}"


# ---- 7. the users stream -------------------------------------------------------------------------
def test_a_window_pulls_only_its_centres_users_and_city_wide_admins(central_url, window):
    wa = window(A, "01")
    window(B, "01")
    for user in ({"login": "wang", "role": "clerk", "password_hash": "h-wang"},
                 {"login": "root", "role": "admin", "password_hash": "h-root"},
                 {"login": "zhao", "role": "clerk", "password_hash": "h-zhao", "centre_code": A},
                 {"login": "qian", "role": "supervisor", "password_hash": "h-qian", "centre_code": B}):
        upsert_user(central_url, {"name": user["login"], **user})
    with CentralClient(wa) as client:
        rows = {r["key"]: r["data"] for r in client.pull("users", 0, 100)["rows"]}
    assert rows["wang"] == {"login": "wang", "active": False}  # no name, no hash
    assert rows["root"]["password_hash"] == "h-root" and rows["zhao"]["password_hash"] == "h-zhao"
    assert "qian" not in rows
    assert "h-wang" not in json.dumps(rows)


# ---- 8. the chain of operations ----------------------------------------------------------------------
def test_forged_reordered_skipped_and_unchained_ops_are_rejected_and_the_head_kept(central_url, window):
    url = window(A, "01")
    key = secrets.token_bytes(32)
    chain = Chain(key)
    with bound(url, key) as client:
        first = chain(case_op(A, "01", 1))
        assert client.push([first])[0]["status"] == "applied"
        head = (chain.seq, chain.mac)
        forged = Chain(secrets.token_bytes(32), *head)(case_op(A, "01", 2))  # a key the window never had
        plain = case_op(A, "01", 2)  # no chain fields at all
        op2, op3 = Chain(key, *head).all([case_op(A, "01", 2), case_op(A, "01", 3)])
        answers = client.push([forged, plain, op3])  # op3 skips op2
        assert [a["status"] for a in answers] == ["rejected"] * 3
        assert answers[0]["reason"] == "chain: op 2 is not authenticated by the window key"
        assert answers[1]["reason"] == "chain: an unchained op from a bound window"
        assert answers[2]["reason"] == f"chain: op 3 does not extend the head 1 of window {A}/01"
        assert admin_row(central_url, "SELECT chain_seq, chain_mac FROM yc.windows WHERE window_no = '01'") == head
        # reordered: op3 before op2 in one batch; op2 extends the head, op3 came too early
        reordered = client.push([op3, op2])
        assert [a["status"] for a in reordered] == ["rejected", "applied"]
        assert client.push([op3])[0]["status"] == "applied"
        assert client.push([first])[0]["status"] == "duplicate"  # a retry is still a duplicate
    assert admin_scalar(central_url, "SELECT string_agg(right(case_no, 1), '' ORDER BY case_no) FROM yc.cases") == \
        "123"


def test_a_chained_op_rejected_for_its_content_keeps_its_place_and_may_be_retried(central_url, window):
    url = window(A, "01")
    key = secrets.token_bytes(32)
    chain = Chain(key)
    with bound(url, key) as client:
        doc = {"case_no": case_no(A, "01", 1), "kind": "voucher", "sha256": "ab" * 32,
               "printed_at": "2026-02-12T09:31:00+08:00"}
        early = chain(freeze_op("document.printed", doc))  # its case is not there yet
        case = chain(case_op(A, "01", 1))
        answers = client.push([early, case])
        assert [a["status"] for a in answers] == ["rejected", "applied"]
        assert client.push([early])[0]["status"] == "applied"  # retried from the dead-letter list
    assert verify_central(central_url)["ok"] is True


def test_central_verify_names_the_broken_window_record_and_serial_gap(central_url, window, capsys):
    url = window(A, "01")
    key = secrets.token_bytes(32)
    with bound(url, key) as client:
        client.push(Chain(key).all([case_op(A, "01", 1), case_op(A, "01", 2), case_op(A, "01", 3)]))
    admin = _libpq_url(central_url)
    assert cli(["central", "verify", admin, "--centre", A]) == 0
    capsys.readouterr()
    # someone with the database rewrites what the window sent: the chain no longer verifies
    admin_row(central_url, "UPDATE yc.chain SET sha256 = repeat('0', 64) WHERE seq = 2 RETURNING 1")
    assert cli(["central", "verify", admin]) == 1
    err = capsys.readouterr().err
    assert f"窗口 {A}/01 操作链第 2 条记录有误" in err
    with CentralClient(window(B, "01")) as b:  # a window whose serials jump from 1 to 3
        b.push([case_op(B, "01", 1), case_op(B, "01", 3)])
    out = verify_central(central_url, B)
    assert out["ok"] is False and out["problems"] == []
    assert out["gaps"] == [{"centre_code": B, "window_no": "01", "day": "260212", "missing": [2]}]
    assert cli(["central", "verify", admin, "--centre", B]) == 1
    assert f"窗口 {B}/01 260212 的办件编号缺号：2" in capsys.readouterr().err


def test_a_retired_windows_chain_continues_with_the_new_key(central_url, window):
    url = window(A, "01")
    key1, key2 = secrets.token_bytes(32), secrets.token_bytes(32)
    with bound(url, key1, M1) as old:
        old.push(Chain(key1).all([case_op(A, "01", 1)]))
    retire_window(central_url, A, "01")
    with bound(url, key2, M2) as new:
        head = new.restore_state()["chain_head"]
        assert head["seq"] == 1
        answers = new.push([Chain(key2, head["seq"], head["mac"])(case_op(A, "01", 2))])
        assert answers[0]["status"] == "applied"
        stale = Chain(key2)(case_op(A, "01", 3))  # a fresh store that did not restore: its chain starts over
        assert new.push([stale])[0]["reason"] == f"chain: op 1 does not extend the head 2 of window {A}/01"
    assert verify_central(central_url)["ok"] is True


# ---- 11. the window's clock -------------------------------------------------------------------------------
def test_a_case_received_ten_minutes_off_the_centres_clock_is_flagged_not_lost(central_url, window):
    now = datetime.now(timezone(timedelta(hours=8)))
    with CentralClient(window(A, "01")) as client:
        answers = client.push([
            case_op(A, "01", 1, received_at=(now - timedelta(minutes=10)).isoformat()),
            case_op(A, "01", 2, received_at=(now + timedelta(minutes=10)).isoformat()),
            case_op(A, "01", 3, received_at=(now - timedelta(minutes=1)).isoformat()),
        ])
        [single] = client.push([case_op(A, "01", 4, received_at=(now + timedelta(minutes=9)).isoformat())])
    assert [a["status"] for a in answers] + [single["status"]] == ["applied"] * 4
    rows = admin_connect(central_url).execute(
        "SELECT right(case_no, 1), clock_flag, clock_skew_s, centre_received_at IS NOT NULL FROM yc.cases "
        "ORDER BY case_no").fetchall()
    assert [(r[0], r[1], r[3]) for r in rows] == [("1", True, True), ("2", True, True), ("3", False, True),
                                                  ("4", True, True)]
    assert -610 < rows[0][2] < -590 and 590 < rows[1][2] < 610
    flags = verify_central(central_url)["clock_flags"]
    assert [f["case_no"][-1] for f in flags] == ["1", "2", "4"]


def test_the_handshake_records_the_windows_clock_skew(central_url, window):
    url = window(A, "01")
    late = (datetime.now(timezone.utc) - timedelta(minutes=7)).isoformat()
    with CentralClient(url) as client:
        client.handshake(PROTOCOL, {"machine_id": M1, "key_sha256": "", "client_time": late})
    skew = admin_scalar(central_url, "SELECT clock_skew_s FROM yc.windows")
    assert -430 < skew < -410



# ---- found by the attacker's review of this change -------------------------------------------------
def _transfer(centre: str, window_no: str, batch_no: str, case_nos: list[str]) -> dict:
    return {"batch_no": batch_no, "centre_code": centre, "window_no": window_no, "department": "上海市公安局",
            "channel": "express", "tracking_no": "SF1", "state": "waiting", "return_reason": "",
            "case_nos": case_nos, "created_at": "2026-02-12T16:00:00+08:00", "sent_at": None,
            "version": 1}


def test_a_squatted_transfer_batch_number_is_refused_and_the_real_batch_lands(central_url, window):
    future = f"LZ{A}01261231001"  # window A/01's predictable next batch number
    with CentralClient(window(B, "01")) as squatter:
        [other_centre] = squatter.push([freeze_op("transfer.upsert", _transfer(B, "01", future, []))])
    assert other_centre["status"] == "rejected"
    assert other_centre["reason"] == f"batch_no {future} belongs to another centre"
    with CentralClient(window(A, "02")) as sibling:
        [other_window] = sibling.push([freeze_op("transfer.upsert", _transfer(A, "02", future, []))])
    assert other_window["reason"] == f"batch_no {future} belongs to another window"
    with CentralClient(window(A, "01")) as real:
        real.push([case_op(A, "01", 1)])
        [answer] = real.push([freeze_op("transfer.upsert", _transfer(A, "01", future, [case_no(A, "01", 1)]))])
    assert answer["status"] == "applied" and answer["result"]["action"] == "inserted"


def test_a_sibling_window_may_batch_and_rate_a_case_of_its_centre_but_not_of_another(central_url, window):
    """c0006: any window of the centre continues its cases (batch, rate); another centre's stays unknown,
    and the rating records the window of the login that pushed it."""
    theirs = case_no(A, "01", 1)
    with CentralClient(window(A, "01")) as owner:
        owner.push([case_op(A, "01", 1)])
    with CentralClient(window(B, "01")) as stranger:
        [batch, rating] = stranger.push([
            freeze_op("transfer.upsert", _transfer(B, "01", f"LZ{B}01260212001", [theirs])),
            freeze_op("rating.recorded", {"centre_code": B, "window_no": "01", "case_no": theirs, "overall": 1,
                                          "rated_at": "2026-02-12T10:00:00+08:00"}),
        ])
    assert (batch["status"], batch["reason"]) == ("rejected", f"unknown case: {theirs}")
    assert (rating["status"], rating["reason"]) == ("rejected", "unknown case")
    with CentralClient(window(A, "02")) as sibling:
        [batch, rating] = sibling.push([
            freeze_op("transfer.upsert", _transfer(A, "02", f"LZ{A}02260212001", [theirs])),
            freeze_op("rating.recorded", {"centre_code": A, "window_no": "02", "case_no": theirs, "overall": 5,
                                          "rated_at": "2026-02-12T10:05:00+08:00"}),
        ])
    assert (batch["status"], rating["status"]) == ("applied", "applied"), (batch, rating)
    assert admin_row(central_url, "SELECT window_no, overall FROM yc.ratings") == ("02", 5)


def test_a_later_version_cannot_move_the_receive_time(central_url, window):
    with CentralClient(window(A, "01")) as client:
        [first] = client.push([case_op(A, "01", 1)])
        backdated = case_payload(A, "01", 1, version=2, status="delivered",
                                 received_at="2026-01-12T09:30:00+08:00")
        [moved] = client.push([freeze_op("case.upsert", backdated)])
    assert first["status"] == "applied"
    assert moved["status"] == "rejected" and moved["reason"].startswith(
        f"received_at of case {case_no(A, '01', 1)} cannot change")
    assert admin_row(central_url, "SELECT version, status FROM yc.cases") == (1, "received")


def test_a_push_call_has_a_total_size_cap(central_url, window):
    big = [case_op(A, "01", n, note="注" * 60_000) for n in range(1, 400)]  # ~72 MB of JSON in one call
    with CentralClient(window(A, "01")) as client:
        with pytest.raises(CentralRefused):
            client.push(big)
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.cases") == 0


def test_add_window_takes_only_the_formats_windows_number_by(central_url, capsys, tmp_path):
    """A 5-digit centre with window 11 and a 6-digit centre with window 1 would share number prefixes."""
    from tests.support.tls import TestCA

    with pytest.raises(ValueError):
        add_window(central_url, "31010", "11")
    with pytest.raises(ValueError):
        add_window(central_url, "310101", "1")
    with pytest.raises(ValueError):
        add_window(central_url, "310101", "０１")
    ca = TestCA().write(tmp_path / "ca.pem")
    assert cli(["central", "add-window", central_url, "--centre", "310101", "--window", "1",
                "--ca-cert", str(ca)]) == 2
    assert "两位数字" in capsys.readouterr().err
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.windows") == 0
