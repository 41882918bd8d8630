"""Intake through the services, as a clerk does it: outcomes, numbers, documents, nothing half-stored."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pypdf import PdfReader

from desktop.core import caseno
from desktop.core.errors import BadInput, NotFound
from tests.support.factories import enterprise, person, residence_permit_intake, resident_id
from tests.support.rawdb import connect_store


def _counts(home):
    con = connect_store(home)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("cases", "case_materials", "outbox", "documents")}
    finally:
        con.close()


def _wrong_check() -> str:
    good = resident_id("31010419900101123")
    return good[:-1] + ("0" if good[-1] != "0" else "1")


def _pdf_text(path) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(path).pages)


def test_complete_file_is_accepted_with_voucher_and_outbox(services, clerk, home):
    result = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert result.outcome == "accepted"
    assert caseno.is_valid_case_no(result.case_no)
    assert result.case_no.startswith("31010401261123")
    # 7 working days after Monday 2026-11-23 (the start day not counted): Wednesday 2026-12-02
    assert result.promised_date == date(2026, 12, 2)
    # a first-visit acceptance hands over the sealed 受理通知书 with the voucher (issue 10)
    voucher, acceptance = result.documents
    assert (voucher.kind, acceptance.kind) == ("voucher", "acceptance_notice")
    text = _pdf_text(voucher.path)
    assert result.case_no in text
    assert "收件凭证" in text
    ops = services.outbox()
    assert {(o.kind, o.ref, o.state) for o in ops} == {
        ("case.upsert", result.case_no, "pending"), ("document.printed", result.case_no, "pending")}
    assert len(ops) == 3  # the case and one document.printed per document
    record = services.case_record(case_no=result.case_no)
    assert [m.state for m in record.materials] == ["e_licence", "paper", "paper"]  # optional M4 not listed
    assert _counts(home) == {"cases": 1, "case_materials": 3, "outbox": 3, "documents": 2}


def test_missing_and_defective_give_one_time_notice_listing_every_gap(services, clerk):
    intake = residence_permit_intake(M2="missing", M3={"state": "defective", "reason": "合同已过期"})
    result = services.accept_application(intake=intake, clerk=clerk)
    assert result.outcome == "notice"
    assert result.promised_date is None
    kinds = [d.kind for d in result.documents]
    assert kinds == ["voucher", "one_time_notice"]
    text = _pdf_text(result.documents[1].path)
    assert "居住登记凭证" in text and "劳动合同" in text and "合同已过期" in text


def test_a_required_material_not_listed_counts_as_missing(services, clerk):
    intake = residence_permit_intake()
    del intake["materials"]["M3"]
    assert services.accept_application(intake=intake, clerk=clerk).outcome == "notice"


def test_on_the_spot_matter_is_completed_today(services, clerk):
    intake = {"matter": "T-PER-002", "applicant": person("李阿婆", resident_id("31010419480706102")),
              "materials": {"L1": "paper"}}
    result = services.accept_application(intake=intake, clerk=clerk)
    assert result.outcome == "completed"
    assert result.promised_date == date(2026, 11, 23)


def test_enterprise_with_commitment_and_e_licence(services, clerk):
    intake = {"matter": "T-ENT-001", "applicant": enterprise(),
              "materials": {"E1": {"state": "e_licence", "e_licence_ref": "SH-ZZ-0001"}, "E2": "commitment"}}
    result = services.accept_application(intake=intake, clerk=clerk)
    assert result.outcome == "accepted"
    assert result.promised_date == date(2026, 12, 7)  # 10 working days


@pytest.mark.parametrize(
    ("mutate", "code", "field"),
    [
        (lambda i: i["applicant"].update(id_no=_wrong_check()), "E_ID_CHECK", "applicant.id_no"),
        (lambda i: i.update(matter="NO-SUCH"), "E_MATTER", "matter"),
        (lambda i: i["applicant"].update(name=""), "E_FIELD_REQUIRED", "applicant.name"),
        (lambda i: i["applicant"].update(name="名" * 101), "E_FIELD_TOO_LONG", "applicant.name"),
        (lambda i: i["materials"].update(M2="e_licence"), "E_E_LICENCE", "materials.M2"),
        (lambda i: i["materials"].update(M2="commitment"), "E_COMMITMENT", "materials.M2"),
        (lambda i: i["materials"].update(M9="paper"), "E_MATERIAL_UNKNOWN", "materials.M9"),
        (lambda i: i["materials"].update(M2="lost"), "E_MATERIAL_STATE", "materials.M2"),
        (lambda i: i["applicant"].update(phone="电话13812"), "E_PHONE", "applicant.phone"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(services, clerk, home, mutate, code, field):
    intake = residence_permit_intake()
    mutate(intake)
    before = _counts(home)
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=intake, clerk=clerk)
    assert e.value.code == code
    assert e.value.field == field
    assert e.value.message  # a Chinese sentence for the clerk
    assert _counts(home) == before


def test_checked_id_is_wrong_check_char(services, clerk):
    good = resident_id("31010419900101123")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=residence_permit_intake() | {"applicant": person(id_no=wrong)},
                                    clerk=clerk)
    assert e.value.code == "E_ID_CHECK"


def test_enterprise_matter_refuses_a_person(services, clerk):
    intake = {"matter": "T-ENT-001", "applicant": person(), "materials": {"E1": "paper", "E2": "paper"}}
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=intake, clerk=clerk)
    assert e.value.code == "E_APPLICANT_KIND"


def test_uscc_failing_its_check_needs_a_supervisor_override(services, clerk, home):
    bad = "91512081MA62K0260F"
    intake = {"matter": "T-ENT-001", "applicant": enterprise(bad), "materials": {"E1": "paper", "E2": "paper"}}
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=intake, clerk=clerk)
    assert e.value.code == "E_USCC_CHECK" and e.value.overridable
    with pytest.raises(BadInput):  # a clerk cannot authorise
        services.accept_application(intake=intake | {"overrides": {"uscc_check": {"by": "demo", "reason": "x"}}},
                                    clerk=clerk)
    ok = services.accept_application(
        intake=intake | {"overrides": {"uscc_check": {"by": "super", "reason": "营业执照原件核对无误"}}}, clerk=clerk)
    assert ok.outcome == "accepted"
    assert any("授权" in w for w in ok.warnings)
    con = connect_store(home)
    row = con.execute("select actor, detail from audit where action='override.uscc_check'").fetchone()
    assert row == ("super", "营业执照原件核对无误")


def test_fifteen_digit_id_is_stored_in_its_18_digit_form(services, clerk):
    eighteen = resident_id("11010519491231002")
    fifteen = eighteen[:6] + eighteen[8:17]
    result = services.accept_application(intake=residence_permit_intake() | {"applicant": person(id_no=fifteen)},
                                         clerk=clerk)
    assert services.case_record(case_no=result.case_no).applicant.id_no == eighteen


def test_rare_characters_outside_the_bmp_survive_storage_and_printing(services, clerk):
    name = "𠮷野家𠀀"
    result = services.accept_application(intake=residence_permit_intake() | {"applicant": person(name)},
                                         clerk=clerk)
    assert services.case_record(case_no=result.case_no).applicant.name == name
    assert result.case_no in _pdf_text(result.documents[0].path)


def test_same_applicant_same_matter_same_day_warns(services, clerk):
    first = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    second = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert any(first.case_no in w for w in second.warnings)
    assert second.case_no != first.case_no


def test_batch_is_checked_whole_and_stores_nothing_if_one_item_is_bad(services, clerk, home):
    bad = residence_permit_intake()
    bad["applicant"]["id_no"] = "123"
    with pytest.raises(BadInput) as e:
        services.accept_batch(intakes=[residence_permit_intake(), bad], clerk=clerk)
    assert e.value.message.startswith("第 2 件")
    assert _counts(home)["cases"] == 0
    results = services.accept_batch(intakes=[residence_permit_intake(), residence_permit_intake()], clerk=clerk)
    assert len({r.case_no for r in results}) == 2


def test_serials_continue_per_window_and_day(services, clerk, clock):
    a = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    b = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert int(b.case_no[-5:-1]) == int(a.case_no[-5:-1]) + 1
    clock.now = clock.now.replace(day=24)
    c = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert c.case_no[-5:-1] == "0001"


def test_reprint_is_marked_and_archived(services, clerk):
    result = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    again = services.reprint(case_no=result.case_no, clerk=clerk)
    assert "补打" in _pdf_text(again.path)
    assert again.path != result.documents[0].path


def test_a_year_without_calendar_data_is_refused_not_guessed(services, clerk, clock, home):
    clock.now = clock.now.replace(year=2027, month=3, day=1)
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert e.value.code == "E_CALENDAR_NO_DATA"
    assert _counts(home)["cases"] == 0


def test_a_catalogue_change_keeps_a_taken_case_on_its_version(services, clerk):
    result = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    from tests.support.factories import DATA

    cat = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    cat["version"] = "test-2"
    cat["matters"][0]["name"] = "居住证办理（新版）"
    services.import_catalogue(json.dumps(cat, ensure_ascii=False), actor=services.clerk("admin"))
    assert services.case_record(case_no=result.case_no).matter.name == "居住证办理"
    assert services.matter(code="T-PER-001").name == "居住证办理（新版）"


def test_catalogue_version_reused_with_other_content_is_refused(services):
    from tests.support.factories import DATA

    cat = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    cat["matters"][0]["name"] = "改了名字"
    with pytest.raises(BadInput) as e:
        services.import_catalogue(json.dumps(cat, ensure_ascii=False), actor=services.clerk("admin"))
    assert e.value.code == "E_CATALOGUE_VERSION"


def test_unknown_case_number(services):
    with pytest.raises(NotFound):
        services.case_record(case_no=caseno.make_case_no("310104", "01", date(2026, 1, 5), 1))


def test_daily_statistics_count_by_matter_and_outcome(services, clerk, tmp_path):
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    services.accept_application(intake={"matter": "T-PER-002", "applicant": person(),
                                        "materials": {"L1": "paper"}}, clerk=clerk)
    stats = services.daily_stats()
    assert stats.total == 3
    assert dict(stats.by_outcome) == {"accepted": 1, "notice": 1, "completed": 1}
    assert {(c, n) for c, _, n in stats.by_matter} == {("T-PER-001", 2), ("T-PER-002", 1)}
    out = services.print_daily_report(out=tmp_path / "daily.pdf", actor=services.login(login="super", password="super1234"))
    text = _pdf_text(out)
    assert "居住证办理" in text


def test_login_refuses_a_wrong_password(services):
    from desktop.core.errors import AuthError

    with pytest.raises(AuthError):
        services.login(login="demo", password="wrong")


def test_daily_report_shows_service_quality(services, clerk, tmp_path):
    a = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    n = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    services.supplement_case(case_no=n.case_no, materials={"M2": "paper"}, clerk=clerk)
    services.record_rating(case_no=a.case_no, overall=5)
    services.record_rating(case_no=n.case_no, overall=1, comment="补正跑了两趟")
    services.record_consultation(asker_name="陈先生", question="积分怎么算", answer="已告知", clerk=clerk)
    stats = services.daily_stats()
    assert (stats.supplemented, stats.consultations) == (1, 1)
    assert dict(stats.ratings) == {5: 1, 1: 1}
    assert stats.bad_ratings == ((n.case_no, "补正跑了两趟", "李建国（S0001）"),)
    text = _pdf_text(services.print_daily_report(out=tmp_path / "d.pdf", actor=services.clerk("super")))
    assert "差评 1" in text and "补正跑了两趟" in text and "咨询登记" in text


def test_a_catalogue_imported_at_the_window_is_recorded_for_the_centre(services, clerk):
    """Issue 8, item 5: every local catalogue import reaches the centre as an audit record, by whom."""
    import pytest as _pytest

    from desktop.core.errors import AuthError
    from tests.support.factories import DATA

    cat = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    cat["version"] = "test-3"
    with _pytest.raises(AuthError):
        services.import_catalogue(json.dumps(cat, ensure_ascii=False), actor=clerk)  # an administrator's act
    assert services.current_catalogue_version() == "test-1"
    services.import_catalogue(json.dumps(cat, ensure_ascii=False), actor=services.clerk("admin"))
    ops = [o for o in services.outbox(limit=20) if o.kind == "audit.recorded" and o.ref == "test-3"]
    assert len(ops) == 1 and ops[0].state == "pending"
