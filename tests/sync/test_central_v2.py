"""Schema c0002 as windows see it: the new op kinds, blobs, the catalogue/calendar/users streams, the fast path."""

from __future__ import annotations

import hashlib
import json
import uuid

import psycopg
import pytest
from psycopg.types.json import Jsonb

from db.central import CentralClient, admin_connect, downgrade_central, freeze_op, init_central
from tests.support.central_ops import A, B, admin_scalar, case_op, mark_signed


def admin(url: str, query: str, params: tuple = ()):
    with admin_connect(url) as conn:
        row = conn.execute(query, params).fetchone()
        conn.commit()
        return row[0] if row else None


def consultation(centre: str, window_no: str, **over) -> dict:
    p = {"id": str(uuid.uuid4()), "asked_at": "2026-02-12T09:00:00+08:00", "asker_name": "李四",
         "asker_phone": "13812345678", "matter_code": "SH-HJ-001", "question": "要带什么？", "answer": "身份证",
         "answered_by": "张敏（A0101）", "clerk_login": "demo", "centre_code": centre, "window_no": window_no}
    p.update(over)
    return p


def transfer(centre: str, window_no: str, case_nos: list[str], **over) -> dict:
    p = {"batch_no": f"LZ{centre}{window_no}001", "centre_code": centre, "window_no": window_no,
         "department": "区公安分局", "channel": "express", "tracking_no": "SF123", "state": "waiting",
         "return_reason": "", "case_nos": case_nos, "created_at": "2026-02-12T16:00:00+08:00",
         "sent_at": None, "closed_at": None, "version": 1}
    p.update(over)
    return p


def rating(centre: str, window_no: str, case_no: str, **over) -> dict:
    p = {"case_no": case_no, "centre_code": centre, "window_no": window_no, "overall": 5, "efficiency": 5,
         "service": None, "attitude": 4, "comment": "很好", "rated_at": "2026-02-12T09:40:00+08:00"}
    p.update(over)
    return p


CASE1 = f"{A}01260212{1:04d}"


def test_consultation_transfer_rating_are_applied_once(central_url, window):
    with CentralClient(window(A, "01")) as client:
        client.push([case_op(A, "01", 1), case_op(A, "01", 2)])
        ops = [
            freeze_op("consultation.recorded", consultation(A, "01")),
            freeze_op("transfer.upsert", transfer(A, "01", [CASE1, f"{A}01260212{2:04d}"])),
            freeze_op("rating.recorded", rating(A, "01", CASE1)),
        ]
        first = client.push(ops)
        again = client.push(ops)
    assert [a["status"] for a in first] == ["applied"] * 3
    assert [a["status"] for a in again] == ["duplicate"] * 3
    assert first[1]["result"] == {"batch_no": f"LZ{A}01001", "action": "inserted", "version": 1}
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.consultations") == 1
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.transfer_items") == 2
    assert admin_scalar(central_url, "SELECT overall FROM yc.ratings") == 5


def test_transfer_versions_and_case_checks(central_url, window):
    with CentralClient(window(A, "01")) as client, CentralClient(window(B, "01")) as b:
        b.push([case_op(B, "01", 1)])
        client.push([case_op(A, "01", 1)])
        [sent] = client.push([freeze_op("transfer.upsert", transfer(A, "01", [CASE1], state="sent", version=2))])
        [old] = client.push([freeze_op("transfer.upsert", transfer(A, "01", [CASE1], state="waiting"))])
        [foreign] = client.push([freeze_op("transfer.upsert", transfer(
            A, "01", [f"{B}01260212{1:04d}"], batch_no=f"LZ{A}01260212002"))])
        [bad] = client.push([freeze_op("transfer.upsert", transfer(A, "01", [], batch_no=f"LZ{A}01260212003",
                                                                   channel="pigeon"))])
        [theirs] = b.push([freeze_op("transfer.upsert", transfer(B, "01", [f"{B}01260212{1:04d}"],
                                                                 batch_no=f"LZ{A}01001", version=9))])
    assert sent["result"]["action"] == "inserted"
    assert old["status"] == "rejected" and old["reason"] == (
        f"stale version: the centre has version 2 of batch LZ{A}01001, this op carries 1")
    assert foreign["status"] == "rejected" and foreign["reason"].startswith("unknown case")
    assert bad["status"] == "rejected" and bad["reason"].startswith("invalid payload")
    assert theirs["status"] == "rejected" and theirs["reason"] == f"batch_no LZ{A}01001 belongs to another centre"
    assert admin_scalar(central_url, "SELECT state FROM yc.transfers") == "sent"


def test_one_rating_per_visit_and_only_for_a_known_case(window):
    with CentralClient(window(A, "01")) as client:
        client.push([case_op(A, "01", 1)])
        answers = client.push([
            freeze_op("rating.recorded", rating(A, "01", CASE1)),
            freeze_op("rating.recorded", rating(A, "01", CASE1, overall=1)),
            freeze_op("rating.recorded", rating(A, "01", "nope")),
            freeze_op("rating.recorded", rating(A, "01", CASE1, overall=7)),
        ])
    assert [a["status"] for a in answers] == ["applied", "rejected", "rejected", "rejected"]
    assert [a.get("reason") for a in answers[1:3]] == ["visit already rated", "unknown case"]


def test_attachment_needs_the_blob_uploaded_first_by_this_centre(central_url, window):
    scan = b"%PDF-1.4 scanned id card" * 100
    sha = hashlib.sha256(scan).hexdigest()
    link = {"case_no": CASE1, "material_code": "M01", "sha256": sha, "filename": "id.pdf",
            "mime": "application/pdf", "size": len(scan)}
    with CentralClient(window(A, "01")) as a, CentralClient(window(B, "01")) as b:
        a.push([case_op(A, "01", 1)])
        [early] = a.push([freeze_op("attachment.linked", link)])
        assert early == {"op_id": early["op_id"], "status": "rejected", "reason": "blob missing"}
        # B uploads the same content: stored once, but it does not count for A
        assert b.put_blobs([(sha, scan)]) == [sha]
        assert a.push([freeze_op("attachment.linked", link)])[0]["reason"] == "blob missing"
        assert a.put_blobs([(sha, scan), ("0" * 64, b"forged")]) == [sha]
        assert a.put_blobs([(sha, scan)]) == [sha]  # already present: still answered
        [ok] = a.push([freeze_op("attachment.linked", link)])
    assert ok["status"] == "applied" and ok["result"]["sha256"] == sha
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.blobs") == 1
    assert admin_scalar(central_url, "SELECT length(data) FROM yc.blobs") == len(scan)
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.blob_owners") == 2


def test_catalogue_calendar_users_reach_every_centre_or_one(central_url, window):
    catalogue = json.dumps({"version": "2026.2", "matters": []}, ensure_ascii=False)
    admin(central_url, "SELECT admin.publish_catalogue(%s)", (catalogue,))
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        admin(central_url, "SELECT admin.publish_catalogue(%s)", (catalogue.replace("[]", "[ ]"),))
    admin(central_url, "SELECT admin.publish_calendar(%s)", (Jsonb({
        "years": [2027], "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]}),))
    wa, wb = window(A, "01"), window(B, "01")
    admin(central_url, "SELECT admin.upsert_user(%s)", (Jsonb({
        "login": "wang", "name": "王芳", "staff_no": "A0102", "role": "clerk", "password_hash": "h1"}),))
    admin(central_url, "SELECT admin.upsert_user(%s)", (Jsonb({
        "login": "zhao", "name": "赵强", "role": "supervisor", "password_hash": "h2", "centre_code": A}),))
    with CentralClient(wa) as a, CentralClient(wb) as b:
        # 2026.1 is each centre's own (the window fixture publishes it for the window's centre)
        assert [r["data"]["version"] for r in a.pull("catalogue", 0)["rows"]] == ["2026.2", "2026.1"]
        assert [r["data"]["version"] for r in b.pull("catalogue", 0)["rows"]] == ["2026.2", "2026.1"]
        assert b.pull("calendar", 0)["rows"][0]["data"]["days"][0]["name"] == "元旦"
        assert [r["key"] for r in a.pull("users", 0)["rows"]] == ["wang", "zhao"]
        assert [r["key"] for r in b.pull("users", 0)["rows"]] == ["wang"]
        cp_b = b.pull("users", 0)["last_seq"]
        # zhao moves to B: A sees him deactivated, B sees him active
        admin(central_url, "SELECT admin.upsert_user(%s)", (Jsonb({
            "login": "zhao", "name": "赵强", "role": "supervisor", "centre_code": B}),))
        rows_a = a.pull("users", 0)["rows"]
        assert rows_a[-1]["key"] == "zhao" and rows_a[-1]["data"]["active"] is False
        rows_b = b.pull("users", cp_b)["rows"]
        assert rows_b[-1]["data"] == {"login": "zhao", "name": "赵强", "staff_no": "", "role": "supervisor",
                                      "password_hash": "h2", "active": True}


def test_window_role_still_touches_no_table_and_no_admin_function(window):
    with psycopg.connect(window(A, "01")) as conn:
        for stmt in ("SELECT * FROM yc.blobs", "SELECT * FROM yc.consultations", "SELECT * FROM yc.users",
                     "SELECT admin.publish_catalogue('{}')", "SELECT admin.decide_case('x', 'y', NULL)",
                     "SELECT yc.push_fast('[]', 'a', 'b')"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(stmt)
            conn.rollback()


def test_fast_path_and_loop_give_the_same_answers(central_url, window):
    """The same batches, once as a whole (fast path) and once with a poison op forcing the per-op loop."""
    def batch(centre: str, window_no: str) -> list[dict]:
        ops = []
        for n in range(1, 6):
            ops.append(case_op(centre, window_no, n))
            ops.append(freeze_op("document.printed", {
                "case_no": f"{centre}{window_no}260212{n:04d}", "kind": "voucher", "sha256": "ab" * 32,
                "printed_at": "2026-02-12T09:31:00+08:00", "reprint": 0}))
        return ops

    with CentralClient(window(A, "01")) as a, CentralClient(window(A, "02")) as b:
        fast = a.push(batch(A, "01"))
        slow = b.push([*batch(A, "02"), freeze_op("case.teleport", {})])
    def shape(answers):
        return [(x["status"], sorted((x.get("result") or {}).keys()), (x.get("result") or {}).get("action"))
                for x in answers]
    assert shape(fast) == shape(slow[:-1])
    assert slow[-1]["reason"] == "unknown kind"
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.changes WHERE stream = 'case_status'") == 10
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.documents") == 10
    ids = [x["result"]["document_id"] for x in fast[1::2]]
    assert ids == sorted(ids) and len(set(ids)) == 5


def test_fast_path_falls_back_on_a_known_case(central_url, window):
    with CentralClient(window(A, "01")) as a:
        a.push([case_op(A, "01", 1)])
        answers = a.push([case_op(A, "01", 1, version=2), case_op(A, "01", 2)])
    assert [x["result"]["action"] for x in answers] == ["updated", "inserted"]


def test_delivered_at_the_window_is_kept_centrally(central_url, window):
    with CentralClient(window(A, "01")) as a:
        a.push([case_op(A, "01", 1)])
        mark_signed(central_url, CASE1)
        admin(central_url, "SELECT admin.decide_case(%s, 'approved', '准予')", (CASE1,))
        a.push([case_op(A, "01", 1, version=2, status="delivered")])
        rows = a.pull("case_status", 0)["rows"]
    assert [r["data"]["status"] for r in rows] == ["received", "approved", "delivered"]


def test_downgrade_to_c0001_and_back(pg):
    url = pg.create_database(f"yc_v2_{uuid.uuid4().hex[:8]}")
    assert init_central(url) == "c0010"
    assert downgrade_central(url, "c0001") == "c0001"
    assert admin_scalar(url, "SELECT to_regclass('yc.blobs') IS NULL")
    assert init_central(url) == "c0010"
    with pytest.raises(psycopg.errors.InvalidParameterValue):
        admin(url, "SELECT admin.publish_catalogue('not json')")
