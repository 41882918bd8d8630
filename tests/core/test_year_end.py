"""Year end: a deadline reaching into a year whose holidays are not yet published is 待定, never a refusal.

Every expected date below is counted by hand from the calendar written in this file (not computed with the
product's own functions). The 2027 file is test data shaped like a State Council arrangement; only its
元旦 matters here: 2027-01-01 is a Friday and a holiday.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from pypdf import PdfReader

from desktop.cli import main
from desktop.core import config
from desktop.core.cases.deadlines import PENDING_TEXT
from desktop.core.services import Services, init_store
from desktop.core.workdays import parse_calendar_file
from tests.support.factories import enterprise, person, residence_permit_intake
from tests.support.rawdb import connect_store

CALENDAR_2027 = {
    "years": [2027],
    "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-02-08", "kind": "holiday", "name": "春节"},
        {"date": "2027-02-09", "kind": "holiday", "name": "春节"},
        {"date": "2027-02-10", "kind": "holiday", "name": "春节"},
        {"date": "2027-02-11", "kind": "holiday", "name": "春节"},
        {"date": "2027-02-12", "kind": "holiday", "name": "春节"},
        {"date": "2027-02-20", "kind": "workday", "name": "春节调休"},
    ],
}
MONDAY_21_DEC = datetime(2026, 12, 21, 9, 30)


def _text(path) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(path).pages)


def _import_2027(services: Services) -> list[str]:
    years, rows = parse_calendar_file(json.dumps(CALENDAR_2027, ensure_ascii=False))
    return services.import_calendar(years=years, rows=rows, source="test-2027.json",
                                    actor=services.login(login="super", password="super1234"))


def food_licence_intake() -> dict:
    """T-ENT-001: promised 10, statutory 20 working days; everything provided."""
    return {"matter": "T-ENT-001", "applicant": enterprise(), "agent": None,
            "materials": {"E1": "paper", "E2": "paper"}}


@pytest.fixture
def december(clock):
    clock.now = MONDAY_21_DEC
    return clock


def test_the_calendar_seed_covers_only_years_the_package_has(services):
    # chinesecalendar 1.11 has no 2027: the seed must not mark it as covered
    assert 2026 in services.calendar().years
    assert 2027 not in services.calendar().years


def test_a_deadline_into_an_unpublished_year_is_taken_as_pending(services, clerk, december):
    result = services.accept_application(intake=food_licence_intake(), clerk=clerk)
    assert result.outcome == "accepted"
    assert result.promised_date is None and result.deadline_pending is True
    assert any("2027 年节假日安排尚未公布" in w for w in result.warnings)
    record = services.case_record(case_no=result.case_no)
    assert record.deadline_pending and record.promised_date is None and record.statutory_date is None
    voucher = _text(result.documents[0].path)
    assert voucher.count(PENDING_TEXT) == 2  # promised and statutory
    assert result.as_json()["deadline_pending"] is True and result.as_json()["promised_date"] is None


def test_a_known_promised_date_is_printed_and_only_the_statutory_waits(services, clerk, december):
    # T-PER-001 from 2026-12-21: promised 7 -> 2026-12-30 (known); statutory 15 reaches into 2027
    result = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert result.promised_date == date(2026, 12, 30)
    assert result.deadline_pending is True
    voucher = _text(result.documents[0].path)
    assert "2026年12月30日" in voucher
    assert voucher.count(PENDING_TEXT) == 1


def test_a_date_within_the_year_is_not_pending(services, clerk, clock):
    clock.now = datetime(2026, 12, 7, 9, 30)  # T-PER-001: promised 2026-12-16, statutory 2026-12-28
    result = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    record = services.case_record(case_no=result.case_no)
    assert (record.promised_date, record.statutory_date) == (date(2026, 12, 16), date(2026, 12, 28))
    assert not record.deadline_pending and not result.warnings
    assert PENDING_TEXT not in _text(result.documents[0].path)


def test_the_worklist_lists_pending_dates_and_the_import_computes_them(services, clerk, december, home):
    accepted = services.accept_application(intake=food_licence_intake(), clerk=clerk)
    partial = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    notice = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    assert notice.outcome == "notice" and notice.deadline_pending
    assert PENDING_TEXT in _text(notice.documents[1].path)  # the one-time notice's supply date
    items = {(i.case_no, i.kind, i.colour) for i in services.worklist()}
    assert {(accepted.case_no, "deadline_pending", "grey"), (partial.case_no, "deadline_pending", "grey"),
            (notice.case_no, "deadline_pending", "grey")} <= items
    assert services.documents_owed() == []

    computed = _import_2027(services)
    assert sorted(computed) == sorted([accepted.case_no, partial.case_no, notice.case_no])
    a = services.case_record(case_no=accepted.case_no)
    # 10 working days from Mon 2026-12-21: 22..31 Dec are 8, 2027-01-01 is 元旦, Jan 4 (9), Jan 5 (10)
    assert a.promised_date == date(2027, 1, 5)
    # 20: Jan 6 (11), 7, 8, 11, 12, 13, 14, 15, 18, 19 (20)
    assert a.statutory_date == date(2027, 1, 19)
    assert not a.deadline_pending
    p = services.case_record(case_no=partial.case_no)
    assert (p.promised_date, p.statutory_date) == (date(2026, 12, 30), date(2027, 1, 12))
    n = services.case_record(case_no=notice.case_no)
    assert n.supply_due == date(2027, 1, 5)
    history = [e for _, _, e, _ in services.case_history(case_no=accepted.case_no)]
    assert history[-1] == "deadline.computed"
    # the centre gets the new dates as the next case version
    upserts = [o for o in services.outbox(limit=50) if o.kind == "case.upsert" and o.ref == accepted.case_no]
    assert len(upserts) == 2

    owed = services.documents_owed()
    # the 受理通知书 handed over with the voucher at a first-visit acceptance (issue 10) is owed again too
    assert {(c, k) for _, c, k, _ in owed} == {(accepted.case_no, "voucher"), (partial.case_no, "voucher"),
                                             (accepted.case_no, "acceptance_notice"),
                                             (partial.case_no, "acceptance_notice"),
                                             (notice.case_no, "one_time_notice")}
    assert {i.kind for i in services.worklist() if i.case_no == accepted.case_no} == {"documents_owed"}
    printed = services.print_owed_documents(clerk=clerk)
    assert len(printed) == 5 and services.documents_owed() == []
    new_voucher = next(d for d in printed if accepted.case_no in d.path and d.kind == "voucher")
    text = _text(new_voucher.path)
    assert "2027年01月05日" in text and "2027年01月19日" in text
    assert PENDING_TEXT not in text and "补打" not in text  # a new edition, not a reprint
    # the voucher handed over on the first visit stays archived as it was printed
    assert PENDING_TEXT in _text(accepted.documents[0].path)
    assert new_voucher.path != accepted.documents[0].path
    assert "请于2027年01月05日前补齐" in _text(next(d for d in printed if notice.case_no in d.path).path)
    assert not [i for i in services.worklist() if i.kind in ("deadline_pending", "documents_owed")]
    assert _import_2027(services) == []  # idempotent: nothing left to compute


def test_extension_and_paused_days_into_the_new_year_wait_and_are_then_counted(services, clerk, clock):
    clock.now = MONDAY_21_DEC
    extended = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    paused = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.extend_deadline(case_no=extended.case_no, days=3, reason="需要现场核查", approver_login="super",
                             approver_password="super1234", clerk=clerk)
    supervisor = services.login(login="super", password="super1234")
    services.pause_clock(case_no=paused.case_no, reason="专家评审", clerk=supervisor)
    clock.now = datetime(2026, 12, 23, 10, 0)
    assert services.resume_clock(case_no=paused.case_no, clerk=supervisor) == 2  # Dec 22 and 23 not counted
    for case_no in (extended.case_no, paused.case_no):
        record = services.case_record(case_no=case_no)
        assert record.deadline_pending and record.promised_date is None  # Dec 30 moved past Dec 31
    _import_2027(services)
    e = services.case_record(case_no=extended.case_no)
    # 7 + 3 = 10 working days from Dec 21 -> 2027-01-05; statutory 15 + 3 = 18 -> 2027-01-15
    assert (e.promised_date, e.statutory_date) == (date(2027, 1, 5), date(2027, 1, 15))
    p = services.case_record(case_no=paused.case_no)
    # 7 + 2 = 9 -> 2027-01-04; statutory 15 + 2 = 17 -> 2027-01-14
    assert (p.promised_date, p.statutory_date) == (date(2027, 1, 4), date(2027, 1, 14))


def test_a_supplement_in_december_takes_the_case_with_a_pending_date(services, clerk, clock):
    clock.now = datetime(2026, 12, 1, 9, 0)
    first = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    assert first.outcome == "notice" and not first.deadline_pending  # supply due 2026-12-15
    clock.now = datetime(2026, 12, 28, 15, 0)
    done = services.supplement_case(case_no=first.case_no, materials={"M2": "paper"}, clerk=clerk)
    assert done.outcome == "accepted" and done.deadline_pending and done.promised_date is None
    _import_2027(services)
    # 7 from Mon 2026-12-28: 29, 30, 31 (3), Jan 4 (4), 5, 6, 7 (7)
    assert services.case_record(case_no=first.case_no).promised_date == date(2027, 1, 7)


def test_every_demo_matter_can_be_taken_in_december(tmp_path):
    """On 2026-12-21 no demo matter is refused for want of 2027 holiday data."""
    def clock():
        return MONDAY_21_DEC

    home = tmp_path / "demo"
    init_store(home, centre_code="310104", window_no="01", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    try:
        clerk = svc.login(login="demo", password="demo1234")
        catalogue = json.loads(config.DEMO_CATALOGUE.read_text(encoding="utf-8"))
        codes = [m["code"] for m in catalogue["matters"]]
        assert len(codes) == 37
        pending = 0
        for m in catalogue["matters"]:
            applicant = person() if "person" in m["applicant_kinds"] else enterprise()
            intake = {"matter": m["code"], "applicant": applicant,
                      "materials": {x["code"]: "paper" for x in m["materials"] if x["required"]}}
            result = svc.accept_application(intake=intake, clerk=clerk)
            assert result.outcome in ("accepted", "completed"), m["code"]
            pending += result.deadline_pending
        assert pending >= 10  # the long limits, which December used to refuse outright
    finally:
        svc.close()


def test_cli_worklist_and_reprint_owed(tmp_path, capsys, monkeypatch):
    home = tmp_path / "w"

    def run(*args):
        code = main(["--home", str(home), *args])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if out.strip() else None), err

    def clock():
        return MONDAY_21_DEC

    init_store(home, centre_code="310104", window_no="01", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    try:
        clerk = svc.login(login="demo", password="demo1234")
        taken = svc.accept_application(intake=_long_demo_intake(), clerk=clerk)
    finally:
        svc.close()
    assert taken.deadline_pending
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")
    code, items, _ = run("worklist", "--date", "2026-12-21", "--clerk", "demo")
    assert code == 0 and {"case_no": taken.case_no, "kind": "deadline_pending"}.items() <= items[0].items()
    cal_file = tmp_path / "2027.json"
    cal_file.write_text(json.dumps(CALENDAR_2027, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("YICHUANG_PASSWORD", "super1234")
    code, out, _ = run("calendar", "import", str(cal_file), "--clerk", "super")
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")
    assert code == 0 and out["deadlines_computed"] == [taken.case_no]
    code, out, err = run("reprint", "--clerk", "demo")
    assert code == 2 and "--owed" in err
    code, out, _ = run("reprint", "--owed", "--out", str(tmp_path / "out"), "--clerk", "demo")
    assert code == 0 and [d["kind"] for d in out] == ["voucher", "acceptance_notice"]
    assert (tmp_path / "out").is_dir() and PENDING_TEXT not in _text(out[0]["path"])
    code, out, _ = run("reprint", "--owed", "--clerk", "demo")
    assert code == 0 and out == []
    con = connect_store(home)
    try:
        assert con.execute("select count(*) from documents_owed where settled_at is null").fetchone()[0] == 0
    finally:
        con.close()


def _long_demo_intake() -> dict:
    """A complete intake of a demo matter whose promised limit reaches past 2026-12-31 from 2026-12-21."""
    catalogue = json.loads(config.DEMO_CATALOGUE.read_text(encoding="utf-8"))
    for m in catalogue["matters"]:
        if not m["on_the_spot"] and m["promised_days"] >= 9:
            applicant = person() if "person" in m["applicant_kinds"] else enterprise()
            return {"matter": m["code"], "applicant": applicant,
                    "materials": {x["code"]: "paper" for x in m["materials"] if x["required"]}}
    raise AssertionError("the demo catalogue has no matter with a long promised limit")
