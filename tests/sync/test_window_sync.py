"""A window's cases reach the real central PostgreSQL exactly once, and decisions come back."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import psycopg
import pytest

from db.central import _libpq_url
from desktop.core import config
from desktop.core.errors import AuthError, CentralUnavailable
from tests.support.central_ops import mark_signed, publish_store_catalogues
from tests.support.factories import residence_permit_intake
from tests.support.rawdb import connect_store


def _central_count(central_url: str, sql: str, *params) -> int:
    with psycopg.connect(_libpq_url(central_url)) as con:
        return con.execute(sql, params).fetchone()[0]


@pytest.fixture
def linked(services, window, central_url):
    url = window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=url)
    return url


def test_a_case_is_pushed_once_however_often_sync_runs(services, clerk, linked, central_url):
    results = [services.accept_application(intake=residence_permit_intake(), clerk=clerk) for _ in range(3)]
    first = services.sync_round()
    # 3 cases + 3 printed vouchers + the 3 受理通知书 printed with them (issue 10)
    assert (first.pushed, first.duplicate, first.rejected) == (9, 0, 0)
    again = services.sync_round()
    assert (again.pushed, again.duplicate, again.rejected) == (0, 0, 0)
    for r in results:
        assert _central_count(central_url, "select count(*) from yc.cases where case_no=%s", r.case_no) == 1
        assert _central_count(
            central_url, "select count(*) from reporting.cases where case_no=%s and window_code='01'", r.case_no) == 1
    status = services.sync_status()
    assert status.online is True and status.queue_length == 0 and status.last_success_at is not None


def test_a_lost_acknowledgement_is_answered_duplicate(services, clerk, linked, central_url, home):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.sync_round()
    # the window died after the centre committed but before it marked its outbox: all pending again
    con = connect_store(home)
    con.execute("update outbox set state='pending', acked_at=null")
    con.commit()
    con.close()
    again = services.sync_round()
    assert (again.pushed, again.duplicate) == (0, 3)
    assert _central_count(central_url, "select count(*) from yc.cases where case_no=%s", r.case_no) == 1


def test_password_is_not_in_the_plain_settings(services, linked, home):
    password = linked.split(":", 2)[2].split("@", 1)[0]
    assert password
    assert password not in config.db_path(home).read_bytes().decode("utf-8", "replace")
    assert services.setting("central_url").startswith("postgresql://yc_w_310104_01@")


def test_back_office_status_comes_back(services, clerk, linked, central_url):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.sync_round()
    with psycopg.connect(_libpq_url(central_url)) as con:
        con.execute("select admin.set_case_status(%s, %s, %s)", (r.case_no, "approved", "准予许可"))
    result = services.sync_round()
    assert result.pulled >= 1
    with services.Session() as s:
        from db.local.models import Case

        assert s.get(Case, r.case_no).status == "approved"


def test_offline_intake_goes_on_and_the_queue_waits(services, clerk, linked):
    # the linked centre goes off the network (port 9: nothing listens)
    services.store.set_setting("central_url", services.setting("central_url").replace(
        f":{urlsplit(linked).port}/", ":9/"))
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    with pytest.raises(CentralUnavailable):
        services.sync_round()
    status = services.sync_status()
    assert status.online is False and status.queue_length == 3 and status.last_error


def test_a_window_provisioned_for_another_centre_is_refused(services, window):
    from desktop.core.errors import BadInput

    with pytest.raises(BadInput) as e:
        services.set_central(url=window("310105", "01"))
    assert e.value.code == "E_CENTRAL_WINDOW"
    assert services.setting("central_url") == "" and services.central_ca_file() is None  # nothing stored
    with pytest.raises(BadInput) as e:
        services.sync_round(central_url=window("310105", "02"))
    assert e.value.code == "E_CENTRAL_WINDOW"
    assert services.setting("central_url") == ""


# ---- issue 4: streams, blobs and the dead-letter list ----------------------------------------------
def _admin(central_url: str, sql: str, *params):
    with psycopg.connect(_libpq_url(central_url)) as con:
        row = con.execute(sql, params).fetchone()
        con.commit()
        return row[0] if row else None


def test_catalogue_calendar_and_users_come_down(services, clerk, linked, central_url):
    import json
    from datetime import date

    from psycopg.types.json import Jsonb

    from db.local.models import Case, User
    from desktop.core.auth import hash_password
    from tests.support.factories import DATA

    queued = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    before = services.current_catalogue_version()
    raw = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    raw["version"] = "test-2"
    raw["matters"][0]["name"] = raw["matters"][0]["name"] + "（新版）"
    _admin(central_url, "select admin.publish_catalogue(%s)", json.dumps(raw, ensure_ascii=False))
    _admin(central_url, "select admin.publish_calendar(%s)", Jsonb({
        "years": [2026], "days": [{"date": "2026-11-24", "kind": "holiday", "name": "测试假日"}]}))
    _admin(central_url, "select admin.upsert_user(%s)", Jsonb({
        "login": "wang", "name": "王芳", "staff_no": "A0102", "role": "clerk", "centre_code": "310104",
        "password_hash": hash_password("wang12345")}))  # a centre's clerk: only its windows get her
    services.search_matters(query="居住")  # warm the caches
    services.calendar()
    result = services.sync_round()
    assert result.pulled >= 4
    assert services.current_catalogue_version() == "test-2" != before
    assert services.matter(code=raw["matters"][0]["code"]).name.endswith("（新版）")
    with services.Session() as s:
        assert s.get(Case, queued.case_no).catalogue_version == before  # a queued case keeps its version
        assert s.get(User, "wang").name == "王芳"
    assert services.calendar().add_workdays(date(2026, 11, 23), 1) == date(2026, 11, 25)
    assert services.login(login="wang", password="wang12345").name == "王芳"
    # pulling again changes nothing and moves no checkpoint back
    assert services.sync_round().pulled == 0


def test_a_status_decided_centrally_is_an_event_of_the_case(services, clerk, linked, central_url):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.sync_round()
    mark_signed(central_url, r.case_no)
    _admin(central_url, "select admin.decide_case(%s, %s, %s)", r.case_no, "approved", "准予许可")
    services.sync_round()
    events = [h for h in services.case_history(case_no=r.case_no) if h[2] == "status"]
    assert [(who, detail) for _, who, _, detail in events] == [("centre", "approved：准予许可")]


def test_rejected_ops_wait_in_the_dead_letter_list_and_can_be_retried_or_resolved(
        services, clerk, linked, central_url):
    from sqlalchemy import select

    from db.local.models import AuditEntry, OutboxOp
    from desktop.core import outbox, sync

    with services.Session.begin() as s:
        bad = outbox.enqueue(s, kind="rating.recorded", ref="x", now=services.clock(), payload={
            "case_no": "310104012611239999", "centre_code": "310104", "window_no": "01", "overall": 5,
            "efficiency": None, "service": None, "attitude": None, "comment": "", "rated_at": "2026-11-23T09:30:00"})
        with pytest.raises(ValueError, match="unknown operation kind"):
            outbox.enqueue(s, kind="case.teleport", ref="y", now=services.clock(), payload={})
        odd = OutboxOp(op_id=str(uuid.uuid4()), kind="case.teleport", ref="y", payload="{}",
                       sha256=outbox.sha256_hex("{}"), created_at=services.clock(), state="pending", attempts=0,
                       last_error="", result="")  # what an older or broken client could have queued
        s.add(odd)
        bad_id, odd_id = bad.op_id, odd.op_id
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    result = services.sync_round()
    # the case, its voucher and its 受理通知书 went through behind them
    assert (result.pushed, result.rejected) == (3, 2)
    assert services.sync_status().queue_length == 0
    dead = {d["op_id"]: d["last_error"] for d in sync.rejected_ops(services)}
    assert dead == {bad_id: "unknown case", odd_id: "unknown kind"}
    with pytest.raises(AuthError):  # a clerk may not touch the dead-letter list
        services.retry_rejected(op_ids=[bad_id], actor=clerk)
    supervisor = services.clerk("super")
    assert services.retry_rejected(op_ids=[bad_id], actor=supervisor) == 1
    assert services.sync_status().queue_length == 2  # the op again, and the audit record of the retry
    assert services.resolve_rejected(op_ids=[odd_id], actor=supervisor, note="无效操作，已核实") == 1
    services.sync_round()
    with services.Session() as s:
        assert s.scalar(select(OutboxOp.state).where(OutboxOp.op_id == odd_id)) == "resolved"
        assert s.scalar(select(OutboxOp.state).where(OutboxOp.op_id == bad_id)) == "rejected"
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.ref.in_([bad_id, odd_id]))))
    assert actions == {"outbox.retry", "outbox.resolve"}
    assert _central_count(central_url, "select count(*) from yc.cases where case_no=%s", r.case_no) == 1
    assert _central_count(central_url, "select count(*) from yc.audit where action like 'outbox.%%'") == 2


def test_a_scan_is_uploaded_before_the_op_that_cites_it(services, clerk, linked, central_url, home):
    import hashlib

    from db.local.models import Blob, CaseAttachment
    from desktop.core import outbox

    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    scan = b"\x89PNG scanned residence permit" * 1000
    sha = hashlib.sha256(scan).hexdigest()
    path = home / "blobs" / sha[:2] / sha
    path.parent.mkdir(parents=True)
    path.write_bytes(scan)
    now = services.clock()
    with services.Session.begin() as s:
        s.add(Blob(sha256=sha, path=str(path.relative_to(home)), size=len(scan), mime="image/png", uploaded=False))
        s.flush()
        s.add(CaseAttachment(case_no=r.case_no, material_code="M2", sha256=sha, filename="permit.png", added_at=now))
        outbox.enqueue(s, kind="attachment.linked", ref=r.case_no, now=now, payload={
            "case_no": r.case_no, "material_code": "M2", "sha256": sha, "filename": "permit.png",
            "mime": "image/png", "size": len(scan)})
    result = services.sync_round()
    assert (result.pushed, result.rejected) == (4, 0)  # case, voucher, 受理通知书, attachment
    with services.Session() as s:
        assert s.get(Blob, sha).uploaded is True
    assert _central_count(central_url, "select count(*) from yc.case_attachments where sha256=%s", sha) == 1
    assert _central_count(central_url, "select length(data) from yc.blobs where sha256=%s", sha) == len(scan)


def test_two_visits_two_ratings_at_the_centre(services, clerk, linked, central_url):
    from tests.support.factories import person

    r = services.accept_application(intake={"matter": "T-PER-002", "applicant": person(),
                                            "materials": {"L1": "paper"}}, clerk=clerk)
    services.record_rating(case_no=r.case_no, overall=5)
    services.hand_over_result(case_no=r.case_no, clerk=clerk, receiver_name="王小明")
    services.record_rating(case_no=r.case_no, overall=3)
    result = services.sync_round()
    assert result.rejected == 0
    assert _central_count(central_url, "select count(*) from yc.ratings where case_no=%s", r.case_no) == 2


def test_a_supervisor_override_reaches_the_centre_as_an_audit_record(services, clerk, linked, central_url):
    from tests.support.factories import enterprise

    intake = {"matter": "T-ENT-001", "applicant": enterprise("91512081MA62K0260F"),
              "materials": {"E1": "paper", "E2": "paper"},
              "overrides": {"uscc_check": {"by": "super", "reason": "营业执照原件核对无误"}}}
    r = services.accept_application(intake=intake, clerk=clerk)
    assert services.sync_round().rejected == 0
    with psycopg.connect(_libpq_url(central_url)) as con:
        row = con.execute("select actor, action, detail from yc.audit where ref=%s", (r.case_no,)).fetchone()
    assert row == ("super", "override.uscc_check", "营业执照原件核对无误")


def test_an_attached_scan_reaches_the_centre_before_its_link(services, clerk, linked, central_url, tmp_path):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    scan = tmp_path / "contract.pdf"
    scan.write_bytes(b"%PDF-1.4 scanned labour contract" * 500)
    a = services.attach_scan(case_no=r.case_no, material_code="M3", file=scan, clerk=clerk)
    result = services.sync_round()
    assert result.rejected == 0
    assert _central_count(central_url, "select count(*) from yc.case_attachments where sha256=%s", a.sha256) == 1
