"""A case's life after intake: supplement, refusal, consultation, transfer, handover and rating."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from desktop.core.errors import BadInput
from tests.support.factories import enterprise, person, residence_permit_intake


def _text(path) -> str:
    return "".join(p.extract_text() or "" for p in PdfReader(path).pages)


def _ops(services, kind):
    return [o for o in services.outbox(limit=1000) if o.kind == kind]


def test_supplement_continues_the_same_case_and_starts_the_clock_that_day(services, clerk, clock):
    first = services.accept_application(intake=residence_permit_intake(M2="missing", M3="missing"), clerk=clerk)
    assert first.outcome == "notice"
    clock.now = clock.now + timedelta(days=3)  # Thursday 2026-11-26: the applicant is back with one item
    partial = services.supplement_case(case_no=first.case_no, materials={"M2": "paper"}, clerk=clerk)
    assert partial.outcome == "notice" and partial.case_no == first.case_no
    text = _text(partial.documents[0].path)
    assert "劳动合同" in text and "居住登记凭证" not in text.split("劳动合同")[0].split("补正")[-1]
    clock.now = clock.now + timedelta(days=1)  # Friday 2026-11-27: complete
    done = services.supplement_case(case_no=first.case_no, materials={"M3": "paper"}, clerk=clerk)
    assert done.outcome == "accepted"
    assert done.promised_date == date(2026, 12, 8)  # 7 working days from Friday 11-27, not from Monday
    assert [d.kind for d in done.documents] == ["voucher", "acceptance_notice"]
    record = services.case_record(case_no=first.case_no)
    assert record.complete_at.date() == date(2026, 11, 27)
    events = [e[2] for e in services.case_history(case_no=first.case_no)]
    assert events == ["notice", "supplemented", "supplemented"]
    upserts = _ops(services, "case.upsert")
    assert len(upserts) == 3 and {o.ref for o in upserts} == {first.case_no}


def test_supplement_of_an_accepted_case_is_refused(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    with pytest.raises(BadInput) as e:
        services.supplement_case(case_no=r.case_no, materials={"M2": "paper"}, clerk=clerk)
    assert e.value.code == "E_NOT_NOTICE"


def test_gap_acceptance_needs_a_date_and_prints_the_promise(services, clerk):
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=residence_permit_intake(M3="gap"), clerk=clerk)
    assert e.value.code == "E_GAP_DUE"
    r = services.accept_application(
        intake=residence_permit_intake(M3={"state": "gap", "gap_due": "2026-11-30"}), clerk=clerk)
    assert r.outcome == "accepted"
    assert [d.kind for d in r.documents] == ["voucher", "acceptance_notice", "gap_promise"]
    assert "容缺" in _text(r.documents[2].path)


def test_refusal_prints_reason_where_to_apply_and_rights(services, clerk):
    intake = residence_permit_intake() | {"outcome": "refused", "refusal": {"refusal_category": "not_competent",
        "reason": "申请人户籍在外省，本市居住证由居住地派出所受理", "apply_instead": "居住地派出所户籍窗口"}}
    r = services.accept_application(intake=intake, clerk=clerk)
    assert r.outcome == "refused" and r.promised_date is None
    [doc] = r.documents
    assert doc.kind == "refusal_notice"
    text = _text(doc.path)
    assert "不予受理" in text and "居住地派出所户籍窗口" in text and "行政复议" in text
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=residence_permit_intake() | {"outcome": "refused"}, clerk=clerk)
    assert e.value.field == "refusal"


def test_the_clerk_cannot_choose_accepted_for_an_incomplete_file(services, clerk):
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=residence_permit_intake(M2="missing") | {"outcome": "accepted"},
                                    clerk=clerk)
    assert e.value.code == "E_OUTCOME"


def test_consultation_is_recorded_and_queued(services, clerk):
    rec = services.record_consultation(asker_name="陈先生", asker_phone="021-62345678", matter_code="T-PER-001",
                                       question="居住证积分需要哪些材料？", answer="已告知办事指南并发放材料清单",
                                       clerk=clerk)
    assert rec.answered_by == "张敏（A0101）"
    assert [c.id for c in services.consultations()] == [rec.id]
    assert [o.ref for o in _ops(services, "consultation.recorded")] == [rec.id]
    with pytest.raises(BadInput):
        services.record_consultation(asker_name="", question="?", answer="!", clerk=clerk)


def _accepted(services, clerk, n=2):
    return [services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no for _ in range(n)]


def test_transfer_batch_walks_waiting_sent_signed(services, clerk):
    nos = _accepted(services, clerk)
    notice = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    pile = services.awaiting_transfer()
    assert pile == {"上海市公安局人口管理办公室": nos}  # the notice case is not transferable
    batch = services.create_transfer(department="上海市公安局人口管理办公室", case_nos=nos, channel="express",
                                     clerk=clerk)
    assert batch.state == "waiting" and len(batch.cases) == 2
    assert services.awaiting_transfer() == {}
    with pytest.raises(BadInput) as e:
        services.advance_transfer(batch_no=batch.batch_no, state="sent", clerk=clerk)
    assert e.value.code == "E_TRACKING"
    sent = services.advance_transfer(batch_no=batch.batch_no, state="sent", clerk=clerk, tracking_no="SF1234567890")
    assert sent.state == "sent" and sent.sent_at is not None
    with pytest.raises(BadInput):
        services.advance_transfer(batch_no=batch.batch_no, state="waiting", clerk=clerk)
    with pytest.raises(BadInput) as e:  # 签收 is the department's, at the centre (tests/sync/test_loop_streams.py)
        services.advance_transfer(batch_no=batch.batch_no, state="signed", clerk=clerk)
    assert "签收/退回由承办部门办理" in e.value.message
    assert services.transfers(states=("sent",))[0].batch_no == batch.batch_no
    assert len(_ops(services, "transfer.upsert")) == 2
    with pytest.raises(BadInput) as e:
        services.create_transfer(department="上海市公安局人口管理办公室", case_nos=[notice.case_no],
                                 channel="online", clerk=clerk)
    assert e.value.code == "E_NOT_ACCEPTED"


def test_a_window_cannot_return_its_own_batch(services, clerk):
    """退回 arrives from the department by the `transfers` stream (tests/sync/test_loop_streams.py)."""
    nos = _accepted(services, clerk, 1)
    b = services.create_transfer(department="上海市公安局人口管理办公室", case_nos=nos, channel="online", clerk=clerk)
    services.advance_transfer(batch_no=b.batch_no, state="sent", clerk=clerk)
    with pytest.raises(BadInput) as e:
        services.advance_transfer(batch_no=b.batch_no, state="returned", clerk=clerk, reason="材料缺页")
    assert "签收/退回由承办部门办理" in e.value.message
    assert services.transfers(states=("sent",))[0].batch_no == b.batch_no and services.awaiting_transfer() == {}


def test_transfer_refuses_mixed_departments(services, clerk):
    nos = _accepted(services, clerk, 1)
    ent = services.accept_application(intake={"matter": "T-ENT-001", "applicant": enterprise(),
                                              "materials": {"E1": "paper", "E2": "paper"}}, clerk=clerk)
    with pytest.raises(BadInput) as e:
        services.create_transfer(department="上海市公安局人口管理办公室", case_nos=nos + [ent.case_no],
                                 channel="online", clerk=clerk)
    assert e.value.code == "E_DEPARTMENT"


def test_rating_once_per_visit_and_a_bad_one_gets_an_owner_today(services, clerk):
    good, bad = _accepted(services, clerk)
    r = services.record_rating(case_no=good, overall=5, efficiency=5, service=4, attitude=5)
    assert r.level == "非常满意" and not r.is_bad
    with pytest.raises(BadInput) as e:
        services.record_rating(case_no=good, overall=4)
    assert e.value.code == "E_RATED"
    with pytest.raises(BadInput):
        services.record_rating(case_no=bad, overall=6)
    b = services.record_rating(case_no=bad, overall=1, comment="等候时间太长")
    assert b.is_bad and b.rectify_owner == "super" and b.rectify_due == date(2026, 11, 23)
    assert len(_ops(services, "rating.recorded")) == 2
    assert {x.case_no for x in services.ratings()} == {good, bad}


def test_hand_over_needs_a_result(services, clerk):
    on_spot = services.accept_application(intake={"matter": "T-PER-002", "applicant": person(),
                                                  "materials": {"L1": "paper"}, "result": "津贴资格已核定"},
                                          clerk=clerk)
    waiting = _accepted(services, clerk, 1)[0]
    with pytest.raises(BadInput) as e:
        services.hand_over_result(case_no=waiting, clerk=clerk, receiver_name="王小明")
    assert e.value.code == "E_NOT_DECIDED"
    services.hand_over_result(case_no=on_spot.case_no, clerk=clerk, receiver_name="李阿婆")
    assert services.case_history(case_no=on_spot.case_no)[-1][2] == "delivered"
    with pytest.raises(BadInput):
        services.hand_over_result(case_no=on_spot.case_no, clerk=clerk, receiver_name="李阿婆")


def test_pausing_the_clock_moves_the_dates_by_the_working_days_not_counted(services, clerk, clock):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert r.promised_date == date(2026, 12, 2)
    supervisor = services.login(login="super", password="super1234")
    services.pause_clock(case_no=r.case_no, reason="现场核查", clerk=supervisor)
    with pytest.raises(BadInput):
        services.pause_clock(case_no=r.case_no, reason="again", clerk=supervisor)
    clock.now = clock.now + timedelta(days=7)  # Monday 11-30: five working days were not counted
    assert services.resume_clock(case_no=r.case_no, clerk=supervisor) == 5
    rec = services.case_record(case_no=r.case_no)
    assert rec.promised_date == date(2026, 12, 9)
    assert rec.statutory_date == date(2026, 12, 21)  # 15 working days from 11-23 is 12-14, +5


def test_extension_needs_a_supervisor_and_stays_within_ten_days(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    with pytest.raises(BadInput):
        services.extend_deadline(case_no=r.case_no, days=3, reason="需专家评审", approver_login="demo",
                                 approver_password="demo1234", clerk=clerk)
    services.extend_deadline(case_no=r.case_no, days=10, reason="需专家评审", approver_login="super",
                             approver_password="super1234", clerk=clerk)
    assert services.case_record(case_no=r.case_no).promised_date == date(2026, 12, 16)
    with pytest.raises(BadInput) as e:
        services.extend_deadline(case_no=r.case_no, days=1, reason="再延", approver_login="super",
                                 approver_password="super1234", clerk=clerk)
    assert e.value.code == "E_EXTENSION"
    assert [h[2] for h in services.case_history(case_no=r.case_no)][-1] == "clock.extended"


def test_handover_prints_the_delivery_receipt(services, clerk):
    r = services.accept_application(intake={"matter": "T-PER-002", "applicant": person(),
                                            "materials": {"L1": "paper"}}, clerk=clerk)
    services.hand_over_result(case_no=r.case_no, clerk=clerk, receiver_name="王小明", receiver_id_no="310104199001011234")
    docs = [d for d in services.documents(case_no=r.case_no) if d.kind == "delivery_receipt"]
    assert len(docs) == 1
    text = _text(docs[0].path)
    assert "送达回执" in text and "王小明" in text and "310104199001011234" not in text


def test_a_clerk_reprints_only_his_own_cases(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    admin = services.login(login="admin", password="admin1234")
    other = services.add_user(login="b0202", password="pass12345", name="周丽", staff_no="B0202", actor=admin)
    with pytest.raises(BadInput) as e:
        services.reprint(case_no=r.case_no, clerk=other)
    assert e.value.code == "E_REPRINT_ROLE"
    supervisor = services.login(login="super", password="super1234")
    assert "补打" in _text(services.reprint(case_no=r.case_no, clerk=supervisor).path)


def test_transfer_pile_with_summaries(services, clerk):
    nos = _accepted(services, clerk, 2)
    pile = services.awaiting_transfer_cases()
    [(dept, cases)] = pile.items()
    assert [c.case_no for c in cases] == nos
    assert cases[0].applicant_name == "王小明" and cases[0].materials


def test_collecting_the_result_is_another_visit_with_its_own_rating(services, clerk):
    r = services.accept_application(intake={"matter": "T-PER-002", "applicant": person(),
                                            "materials": {"L1": "paper"}}, clerk=clerk)
    assert services.record_rating(case_no=r.case_no, overall=4).occasion == "intake"
    services.hand_over_result(case_no=r.case_no, clerk=clerk, receiver_name="王小明")
    again = services.record_rating(case_no=r.case_no, overall=2, comment="领证排队久")
    assert again.occasion == "handover" and again.is_bad
    with pytest.raises(BadInput) as e:
        services.record_rating(case_no=r.case_no, overall=5)
    assert e.value.code == "E_RATED"


def test_a_scan_is_stored_once_by_content_and_queued(services, clerk, tmp_path, home):
    a = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    b = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    scan = tmp_path / "居住登记凭证.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"scan" * 5000)
    first = services.attach_scan(case_no=a, material_code="M2", file=scan, clerk=clerk)
    services.attach_scan(case_no=b, material_code="M2", file=scan, clerk=clerk)
    assert first.mime == "image/png" and first.filename == "居住登记凭证.png"
    blobs = list((home / "blobs").rglob("*"))
    assert [p.name for p in blobs if p.is_file()] == [first.sha256]
    assert len(_ops(services, "attachment.linked")) == 2
    with pytest.raises(BadInput) as e:
        services.attach_scan(case_no=a, material_code="M2", file=scan, clerk=clerk)
    assert e.value.code == "E_ATTACHED"
    text = tmp_path / "note.txt"
    text.write_text("not a scan")
    with pytest.raises(BadInput) as e:
        services.attach_scan(case_no=a, material_code="M2", file=text, clerk=clerk)
    assert e.value.code == "E_ATTACHMENT_TYPE"
    with pytest.raises(BadInput):
        services.attach_scan(case_no=a, material_code="NOPE", file=scan, clerk=clerk)


def test_a_calendar_imported_by_another_services_object_is_seen(services, home, clock):
    from desktop.core.errors import CalendarNoData
    from desktop.core.services import Services

    with pytest.raises(CalendarNoData):
        services.add_workdays(start=date(2027, 3, 1), days=1)
    other = Services(home, clock=clock)  # e.g. the GUI's writer thread
    try:
        other.import_calendar(years=[2027], rows=[(date(2027, 1, 1), "holiday", "元旦")], source="test",
                              actor=other.login(login="super", password="super1234"))
    finally:
        other.close()
    assert services.add_workdays(start=date(2027, 3, 1), days=1) == date(2027, 3, 2)


def test_case_record_carries_status_pause_and_extension(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.pause_clock(case_no=r.case_no, reason="检测", clerk=services.login(login="super", password="super1234"))
    rec = services.case_record(case_no=r.case_no)
    assert (rec.status, rec.paused_since, rec.extended_days) == ("received", date(2026, 11, 23), 0)
    docs = services.documents(case_no=r.case_no)
    assert docs[0].reprint == 0 and docs[0].printed_at is not None


def test_supervisor_actions_are_refused_to_a_clerk_in_core(services, clerk, tmp_path):
    """The roles are checked by the services themselves, so the CLI and scripts cannot bypass them."""
    from desktop.core.errors import AuthError

    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    with pytest.raises(AuthError) as e:
        services.pause_clock(case_no=r.case_no, reason="现场核查", clerk=clerk)
    assert e.value.code == "E_PERMISSION" and "张敏" in e.value.message
    with pytest.raises(AuthError):
        services.import_calendar(years=[2027], rows=[(date(2027, 1, 1), "holiday", "元旦")], source="t",
                                 actor=clerk)
    assert 2027 not in services.calendar().years
    with pytest.raises(AuthError):
        services.print_daily_report(out=tmp_path / "r.pdf", actor=clerk)
    assert not (tmp_path / "r.pdf").exists()
    assert services.case_record(case_no=r.case_no).paused_since is None
