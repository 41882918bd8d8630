"""更正, 撤回, 作废 and 查询 of a case: each keeps the case and its history; the refusals leave nothing behind."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pypdf import PdfReader

from desktop.core import caseno
from desktop.core.errors import AuthError, BadInput, NotFound
from tests.support.factories import person, residence_permit_intake, resident_id
from tests.support.rawdb import connect_store


def _text(path) -> str:
    return "".join(p.extract_text() or "" for p in PdfReader(path).pages)


def _payloads(home, kind: str) -> list[dict]:
    """The queued payloads of one kind, oldest first (the outbox as the centre will read it)."""
    con = connect_store(home)
    try:
        rows = con.execute("select payload from outbox where kind = ? order by seq", (kind,)).fetchall()
    finally:
        con.close()
    return [json.loads(r[0]) for r in rows]


def _unknown(case_no: str) -> str:
    """A well-formed case number of the same window and day that was never taken."""
    return caseno.make_case_no(case_no[:6], case_no[6:8], date(2026, 11, 23), 999)


def _set_status(home, case_no: str, status: str) -> None:
    """The centre's decision as the status stream leaves it on the window (no centre in a core test)."""
    con = connect_store(home)
    try:
        con.execute("update cases set status = ? where case_no = ?", (status, case_no))
        con.commit()
    finally:
        con.close()


def _state(services, case_no):
    """What a refusal must not change: version, status, history and outbox length, documents."""
    rec = services.case_record(case_no=case_no)
    return (rec.status, rec.applicant, len(services.case_history(case_no=case_no)),
            len(services.outbox(limit=10000)), len(services.documents(case_no=case_no)))


def test_a_typo_is_corrected_and_every_printed_document_reprinted_as_corrected(services, clerk, home):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert [d.kind for d in r.documents] == ["voucher", "acceptance_notice"]
    fixed = person(name="王晓明")
    change = services.correct_case(case_no=r.case_no, changes={"applicant": fixed}, reason="姓名录入错误",
                                   clerk=clerk)
    assert change.event == "corrected" and change.version == 2
    assert [d.kind for d in change.documents] == ["voucher", "acceptance_notice"]
    for doc in change.documents:
        text = _text(doc.path)
        assert "更正" in text and "王晓明" in text and "补打" not in text
    assert services.case_record(case_no=r.case_no).applicant.name == "王晓明"
    at, who, event, detail = services.case_history(case_no=r.case_no)[-1]
    assert (who, event) == ("demo", "corrected") and json.loads(detail) == {"reason": "姓名录入错误",
                                                                           "fields": ["applicant"]}
    payloads = _payloads(home, "case.upsert")
    assert max(p["version"] for p in payloads) == 2
    assert any(p["applicant"]["name"] == "王晓明" for p in payloads)
    printed = _payloads(home, "document.printed")
    assert sum(1 for p in printed if p.get("corrected")) == 2
    # the old prints verify against the version they were printed from, the corrected ones against today's
    assert services.verify_documents(case_no=r.case_no) == []
    # the first prints still say the old name
    assert "王小明" in _text(r.documents[0].path) and "更正" not in _text(r.documents[0].path)


def test_a_correction_is_checked_like_an_intake_and_refused_whole(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    before = _state(services, r.case_no)
    good = resident_id("31010419900101123")
    bad_id = person(id_no=good[:-1] + ("0" if good[-1] != "0" else "1"))
    cases = [
        ({"applicant": bad_id}, "reason", "E_ID"),  # a wrong check digit
        ({"name": "x"}, "reason", "E_FIELD_UNKNOWN"),
        ({}, "reason", "E_NOTHING_TO_CORRECT"),
        ([], "reason", "E_FIELD_TYPE"),
        ({"applicant": person()}, "reason", "E_NOTHING_TO_CORRECT"),  # the same particulars
        ({"applicant": person(name="王晓明")}, "  ", "E_REASON_REQUIRED"),
        ({"agent": {"name": "李四"}}, "reason", "E_FIELD_REQUIRED"),
    ]
    for changes, reason, code in cases:
        with pytest.raises(BadInput) as e:
            services.correct_case(case_no=r.case_no, changes=changes, reason=reason, clerk=clerk)
        assert e.value.code.startswith(code), (changes, e.value.code, e.value.message)
    assert _state(services, r.case_no) == before
    with pytest.raises(NotFound):
        services.correct_case(case_no=_unknown(r.case_no), changes={"applicant": person(name="王晓明")},
                              reason="r", clerk=clerk)


def test_withdrawal_keeps_the_case_and_its_history_and_ends_it(services, clerk, home):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    change = services.withdraw_case(case_no=r.case_no, reason="申请人主动撤回", clerk=clerk)
    assert (change.status, change.version) == ("withdrawn", 2)
    rec = services.case_record(case_no=r.case_no)
    assert rec.status == "withdrawn" and rec.outcome == "accepted"
    assert [h[2] for h in services.case_history(case_no=r.case_no)] == ["accepted", "withdrawn"]
    assert _payloads(home, "case.upsert")[-1]["status"] == "withdrawn"
    before = _state(services, r.case_no)
    for act in (lambda: services.withdraw_case(case_no=r.case_no, reason="again", clerk=clerk),
                lambda: services.void_case(case_no=r.case_no, reason="again", clerk=services.login(
                    login="super", password="super1234")),
                lambda: services.correct_case(case_no=r.case_no, changes={"applicant": person(name="王晓明")},
                                              reason="r", clerk=clerk),
                lambda: services.check_transferable(case_nos=[r.case_no])):
        with pytest.raises(BadInput) as e:
            act()
        assert e.value.code == "E_CASE_CLOSED" and r.case_no in e.value.message
    assert _state(services, r.case_no) == before
    assert r.case_no in services.closed_case_nos()


def test_a_withdrawn_notice_case_cannot_be_supplemented(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    services.withdraw_case(case_no=r.case_no, reason="不再办理", clerk=clerk)
    with pytest.raises(BadInput) as e:
        services.supplement_case(case_no=r.case_no, materials={"M2": "paper"}, clerk=clerk)
    assert e.value.code == "E_CASE_CLOSED"


def test_only_a_supervisor_voids(services, clerk, supervisor):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    before = _state(services, r.case_no)
    with pytest.raises(AuthError) as e:
        services.void_case(case_no=r.case_no, reason="录入错误", clerk=clerk)
    assert "作废办件" in e.value.message
    assert _state(services, r.case_no) == before
    change = services.void_case(case_no=r.case_no, reason="录入错误", clerk=supervisor)
    assert change.status == "voided"
    assert services.case_history(case_no=r.case_no)[-1][1:] == ("super", "voided", "录入错误")


@pytest.mark.parametrize("status", ["approved", "denied", "delivered"])
def test_no_withdrawal_nor_void_once_decided_or_delivered(services, clerk, supervisor, home, status):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    _set_status(home, r.case_no, status)
    before = _state(services, r.case_no)
    for act in (lambda: services.withdraw_case(case_no=r.case_no, reason="撤回", clerk=clerk),
                lambda: services.void_case(case_no=r.case_no, reason="作废", clerk=supervisor)):
        with pytest.raises(BadInput) as e:
            act()
        assert e.value.code == "E_CASE_FINAL"
    assert _state(services, r.case_no) == before


def test_a_completed_case_is_neither_withdrawn_nor_voided(services, clerk, supervisor):
    r = services.accept_application(intake={"matter": "T-PER-002", "applicant": person(),
                                            "materials": {"L1": "paper"}}, clerk=clerk)
    with pytest.raises(BadInput) as e:
        services.withdraw_case(case_no=r.case_no, reason="撤回", clerk=clerk)
    assert e.value.code == "E_CASE_FINAL"


def test_handover_by_express_needs_a_tracking_number_and_records_it(services, clerk):
    r = services.accept_application(intake={"matter": "T-PER-002", "applicant": person(),
                                            "materials": {"L1": "paper"}}, clerk=clerk)
    with pytest.raises(BadInput) as e:
        services.hand_over_result(case_no=r.case_no, clerk=clerk, receiver_name="王小明", how="express")
    assert e.value.code == "E_TRACKING"
    assert services.case_record(case_no=r.case_no).status == "received"
    services.hand_over_result(case_no=r.case_no, clerk=clerk, receiver_name="王小明", how="express",
                              tracking_no="SF1234567890")
    detail = json.loads(services.case_history(case_no=r.case_no)[-1][3])
    assert detail["tracking_no"] == "SF1234567890" and detail["how"] == "express"


def test_a_voided_case_is_not_handed_over(services, clerk, supervisor, home):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.void_case(case_no=r.case_no, reason="录入错误", clerk=supervisor)
    with pytest.raises(BadInput) as e:
        services.hand_over_result(case_no=r.case_no, clerk=clerk, receiver_name="王小明")
    assert e.value.code == "E_CASE_CLOSED"


def test_lookup_by_each_selector_masks_personal_data(services, clerk):
    a = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    other = person(name="李小红", id_no=resident_id("31010419850505432"), phone="13900001111")
    b = services.accept_application(intake={**residence_permit_intake(), "applicant": other,
                                            "agent": person(name="代理人", id_no=resident_id("31010419700101001"),
                                                            phone="13700002222")},
                                    clerk=clerk).case_no
    id_a = person()["id_no"]
    assert [h.case_no for h in services.lookup_cases(case_no=a.lower())] == [a]
    assert [h.case_no for h in services.lookup_cases(id_no=id_a)] == [a]
    assert services.lookup_cases(id_no=id_a[:-1]) == []  # exact only
    assert [h.case_no for h in services.lookup_cases(name="李小红")] == [b]
    assert services.lookup_cases(name="李小") == []
    assert [h.case_no for h in services.lookup_cases(phone="13900001111")] == [b]
    assert [h.case_no for h in services.lookup_cases(phone="13700002222")] == [b]  # the agent's phone
    assert services.lookup_cases(phone="1390000111") == []
    hit = services.lookup_cases(name="王小明")[0].as_json()
    assert hit["applicant_id_no"] == id_a[:6] + "********" + id_a[-4:]
    assert hit["phone"] == "138****5678"
    assert id_a not in json.dumps(hit) and "13812345678" not in json.dumps(hit)
    for kwargs in ({}, {"name": "a", "phone": "1"}):
        with pytest.raises(BadInput) as e:
            services.lookup_cases(**kwargs)
        assert e.value.code == "E_LOOKUP_SELECTOR"
    with pytest.raises(BadInput):
        services.lookup_cases(case_no="not-a-case")
