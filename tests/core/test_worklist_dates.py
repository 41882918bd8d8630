"""The worklist against dates counted by hand around National Day 2026 and Spring Festival 2027.

Every expected date below is counted by hand (never with the product's own functions) from these calendars:

National Day 2026 (the State Council's arrangement, as the store's calendar seeds it from chinesecalendar):
  holidays Fri 09-25 (中秋), Thu 10-01 .. Wed 10-07; make-up workdays Sun 09-20 and Sat 10-10.
Spring Festival 2027 (TEST DATA shaped like an arrangement; the real one is not published yet):
  holidays Fri 01-01 (元旦), Fri 02-05 (除夕) and Mon 02-08 .. Fri 02-12; make-up workdays Sun 01-31, Sat 02-20.

T-PER-001 (test catalogue): promised 7, statutory 15 working days, counted from the day after acceptance; a
one-time notice gives 10 working days to supply. Decided results: listed after `pickup_wait_workdays` (5)
working days, red after Art. 44's 10. Decisions and returned batches come from the fake centre
(tests/support/fake_transport.py) through the real sync round, as the `cases` and `transfers` streams bring them.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from desktop.cli import main
from desktop.core import sync
from desktop.core.catalogue import storage
from desktop.core.errors import AuthError, BadInput
from desktop.core.services import Services, init_store
from desktop.core.workdays import parse_calendar_file
from tests.support.factories import TEST_CATALOGUE, residence_permit_intake
from tests.support.fake_transport import FakeCentre, FakeTransport

SPRING_2027 = {"years": [2027], "days": [
    {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    {"date": "2027-01-31", "kind": "workday", "name": "春节调休"},
    {"date": "2027-02-05", "kind": "holiday", "name": "春节"},
    *({"date": f"2027-02-{d:02d}", "kind": "holiday", "name": "春节"} for d in range(8, 13)),
    {"date": "2027-02-20", "kind": "workday", "name": "春节调休"},
]}
WED_23_SEP = datetime(2026, 9, 23, 9, 30)
MON_1_FEB = datetime(2027, 2, 1, 9, 30)
SERVER_TIME = "2026-09-23T09:30:00+08:00"
DEPT = "上海市公安局人口管理办公室"


def _items(services, day, *, scope="window", case_no=None):
    return [(i.kind, i.colour, i.due) for i in services.worklist(day=day, scope=scope)
            if case_no is None or i.case_no == case_no]


def _import_2027(services):
    years, rows = parse_calendar_file(json.dumps(SPRING_2027, ensure_ascii=False))
    services.import_calendar(years=years, rows=rows, source="test-2027.json",
                             actor=services.login(login="super", password="super1234"))


@pytest.fixture
def centre(clock) -> FakeCentre:
    return FakeCentre(SERVER_TIME)


@pytest.fixture
def w1(services, centre):
    return services, FakeTransport("310104", "01", centre=centre, server_time=SERVER_TIME)


@pytest.fixture
def w2(tmp_path, clock, centre):
    """Window 02 of the same centre, with its clerk 李四."""
    home = tmp_path / "w2"
    init_store(home, centre_code="310104", window_no="02", centre_name="徐汇区行政服务中心", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    storage.import_catalogue(svc.store, TEST_CATALOGUE.read_text(encoding="utf-8"), actor=None)
    admin = svc.login(login="admin", password="admin1234")
    svc.add_user(login="lisi", password="lisi12345", name="李四", staff_no="B0202", role="clerk", actor=admin)
    yield svc, FakeTransport("310104", "02", centre=centre, server_time=SERVER_TIME)
    svc.close()


def _sync(window):
    svc, transport = window
    return sync.sync_round(svc.store, transport=transport)


# ---------------------------------------------------------------- National Day 2026


def test_promised_and_statutory_dates_across_national_day(services, clerk, clock):
    clock.now = WED_23_SEP
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    # promised: 24 (1), [25 中秋, 26-27], 28 (2), 29 (3), 30 (4), [10-01..07], 08 (5), 09 (6), Sat 10 调休 (7)
    # statutory: Mon 12..Fri 16 (8..12), Mon 19 (13), 20 (14), 21 (15)
    assert (r.promised_date, services.case_record(case_no=r.case_no).statutory_date) == (
        date(2026, 10, 10), date(2026, 10, 21))
    promised, statutory = date(2026, 10, 10), date(2026, 10, 21)
    assert _items(services, date(2026, 9, 30)) == []  # 10 calendar days, but only 3 working days (8, 9, 10)
    assert _items(services, date(2026, 10, 7)) == []  # a holiday: still 3 working days ahead
    assert _items(services, date(2026, 10, 8)) == [("decision_near_due", "yellow", promised)]  # 9, 10
    assert _items(services, date(2026, 10, 10)) == [("decision_near_due", "yellow", promised)]  # the 调休 Saturday
    assert _items(services, date(2026, 10, 11)) == [("decision_overdue", "red", promised)]
    assert _items(services, date(2026, 10, 16)) == [("decision_overdue", "red", promised)]  # 19, 20, 21: three
    assert _items(services, date(2026, 10, 19)) == [("decision_overdue", "red", promised),
                                                    ("statutory_near_due", "yellow", statutory)]
    assert _items(services, date(2026, 10, 22)) == [("decision_overdue", "red", promised),
                                                    ("statutory_overdue", "red", statutory)]


def test_a_one_time_notice_past_its_supply_date_after_national_day(services, clerk, clock):
    clock.now = WED_23_SEP
    r = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    assert r.outcome == "notice"
    # 24 (1), 28 (2), 29 (3), 30 (4), 10-08 (5), 09 (6), Sat 10 (7), 12 (8), 13 (9), 14 (10)
    assert _items(services, date(2026, 10, 14)) == []
    assert _items(services, date(2026, 10, 15)) == [("notice_supply_passed", "red", date(2026, 10, 14))]


def test_a_paused_clock_is_grey_and_has_no_decision_alarm(services, clerk, supervisor, clock):
    clock.now = WED_23_SEP
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.pause_clock(case_no=r.case_no, reason="现场核查", clerk=supervisor)
    assert _items(services, date(2026, 10, 22)) == [("paused", "grey", date(2026, 9, 23))]


def _decided(w1, clerk, clock, *, decision="approve", when="2026-09-29T15:00:00+08:00"):
    svc, transport = w1
    clock.now = WED_23_SEP
    r = svc.accept_application(intake=residence_permit_intake(), clerk=clerk)
    _sync(w1)
    transport.centre.now = datetime.fromisoformat(when)
    transport.centre.decide(r.case_no, {"decision": decision, "doc_name": "居住证", "doc_no": "沪居〔2026〕1号",
                                        "reason": "不符合条件" if decision == "deny" else None}, department=DEPT)
    _sync(w1)
    assert svc.case_record(case_no=r.case_no).status == ("approved" if decision == "approve" else "denied")
    return r.case_no


def test_a_result_waiting_for_pick_up_across_national_day(w1, clerk, clock):
    svc = w1[0]
    case_no = _decided(w1, clerk, clock)  # decided Tue 09-29
    # wait 5: 30 (1), 10-08 (2), 09 (3), Sat 10 (4), 12 (5); Art. 44's 10: 13, 14, 15, 16, Mon 19 (10)
    assert _items(svc, date(2026, 10, 12)) == []
    assert _items(svc, date(2026, 10, 13)) == [("pickup_waiting", "yellow", date(2026, 10, 12))]
    assert _items(svc, date(2026, 10, 19)) == [("pickup_waiting", "yellow", date(2026, 10, 12))]
    assert _items(svc, date(2026, 10, 20)) == [("pickup_overdue", "red", date(2026, 10, 19))]
    item = svc.worklist(day=date(2026, 10, 20))[0]
    assert item.case_no == case_no and "准予许可" in item.detail and "2026-09-29" in item.detail
    # the administrator shortens the wait to 3 working days: 30 (1), 10-08 (2), 09 (3)
    svc.set_preference(key="pickup_wait_workdays", value="3", actor=svc.login(login="admin", password="admin1234"))
    assert _items(svc, date(2026, 10, 9)) == []
    assert _items(svc, date(2026, 10, 10)) == [("pickup_waiting", "yellow", date(2026, 10, 9))]
    clock.now = datetime(2026, 10, 20, 10, 0)
    svc.hand_over_result(case_no=case_no, clerk=clerk, receiver_name="张三")
    assert _items(svc, date(2026, 10, 20)) == []


def test_a_denial_waits_yellow_it_has_no_licence_to_serve_within_ten_days(w1, clerk, clock):
    _decided(w1, clerk, clock, decision="deny")
    assert _items(w1[0], date(2026, 10, 30)) == [("pickup_waiting", "yellow", date(2026, 10, 12))]


@pytest.mark.parametrize("value", ["0", "-3", "五"])
def test_the_pick_up_wait_is_at_least_one_working_day(services, value):
    admin = services.login(login="admin", password="admin1234")
    with pytest.raises(BadInput) as e:
        services.set_preference(key="pickup_wait_workdays", value=value, actor=admin)
    assert e.value.code == "E_SETTING" and "pickup_wait_workdays" in e.value.message
    assert services.setting("pickup_wait_workdays") == "5"


def test_a_returned_batch_is_listed_until_its_cases_are_sent_again(w1, clerk, clock):
    svc, transport = w1
    clock.now = WED_23_SEP
    r = svc.accept_application(intake=residence_permit_intake(), clerk=clerk)
    batch = svc.create_transfer(department=DEPT, case_nos=[r.case_no], channel="online", clerk=clerk)
    svc.advance_transfer(batch_no=batch.batch_no, state="sent", clerk=clerk)
    _sync(w1)
    transport.centre.now = datetime.fromisoformat("2026-09-30T16:00:00+08:00")
    transport.centre.return_batch(batch.batch_no, "缺少居住登记表原件")
    _sync(w1)
    [item] = [i for i in svc.worklist(day=date(2026, 10, 8)) if i.kind == "transfer_returned"]
    assert (item.case_no, item.colour, item.due) == (r.case_no, "yellow", date(2026, 9, 30))
    assert batch.batch_no in item.detail and "缺少居住登记表原件" in item.detail and DEPT in item.detail
    clock.now = datetime(2026, 10, 8, 9, 0)
    again = svc.create_transfer(department=DEPT, case_nos=[r.case_no], channel="online", clerk=clerk)
    assert again.batch_no != batch.batch_no
    assert [i for i in svc.worklist(day=date(2026, 10, 8)) if i.kind == "transfer_returned"] == []


# ---------------------------------------------------------------- Spring Festival 2027


def test_promised_and_statutory_dates_across_spring_festival_2027(services, clerk, clock):
    _import_2027(services)
    clock.now = MON_1_FEB
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    # promised: 2 (1), 3 (2), 4 (3), [5 除夕, 6-7, 8..12, 13-14], 15 (4), 16 (5), 17 (6), 18 (7)
    # statutory: 19 (8), Sat 20 调休 (9), 22 .. 26 (10..14), Mon 03-01 (15)
    promised, statutory = date(2027, 2, 18), date(2027, 3, 1)
    assert (r.promised_date, services.case_record(case_no=r.case_no).statutory_date) == (promised, statutory)
    assert _items(services, date(2027, 2, 4)) == []  # 15, 16, 17, 18: four working days
    assert _items(services, date(2027, 2, 12)) == []  # still four, a week later
    assert _items(services, date(2027, 2, 16)) == [("decision_near_due", "yellow", promised)]
    assert _items(services, date(2027, 2, 18)) == [("decision_near_due", "yellow", promised)]
    assert _items(services, date(2027, 2, 19)) == [("decision_overdue", "red", promised)]
    assert _items(services, date(2027, 2, 24)) == [("decision_overdue", "red", promised)]  # 25, 26, 03-01
    assert _items(services, date(2027, 2, 25)) == [("decision_overdue", "red", promised),
                                                   ("statutory_near_due", "yellow", statutory)]
    assert _items(services, date(2027, 3, 2)) == [("decision_overdue", "red", promised),
                                                  ("statutory_overdue", "red", statutory)]


def test_a_gap_due_just_after_spring_festival_turns_yellow_twelve_days_ahead(services, clerk, clock):
    _import_2027(services)
    clock.now = MON_1_FEB
    r = services.accept_application(intake=residence_permit_intake(M3={"state": "gap", "gap_due": "2027-02-16"}),
                                    clerk=clerk)
    due = date(2027, 2, 16)

    def gaps(day):
        return [x for x in _items(services, day, case_no=r.case_no) if x[0].startswith("gap")]

    assert gaps(date(2027, 2, 3)) == []  # (02-03, 02-16]: 04, 15, 16: three working days
    assert gaps(date(2027, 2, 4)) == [("gap_due", "yellow", due)]  # 15, 16 (05 除夕, 08..12 off): two
    assert gaps(date(2027, 2, 16)) == [("gap_due", "yellow", due)]
    assert gaps(date(2027, 2, 17)) == [("gap_overdue", "red", due)]


def test_a_notice_given_before_new_year_2027_counts_past_yuandan(services, clerk, clock):
    _import_2027(services)
    clock.now = datetime(2026, 12, 21, 9, 30)
    r = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    # 22 (1), 23 (2), 24 (3), 25 (4), 28 (5), 29 (6), 30 (7), 31 (8), [01-01 元旦, 2-3], 01-04 (9), 01-05 (10)
    assert _items(services, date(2027, 1, 5)) == []
    assert _items(services, date(2027, 1, 6)) == [("notice_supply_passed", "red", date(2027, 1, 5))]
    assert r.outcome == "notice"


# ---------------------------------------------------------------- scopes: this window, the whole centre


def test_the_window_scope_holds_the_cases_taken_or_last_handled_here_and_the_centre_scope_all(w1, w2, clerk, clock):
    svc1, svc2 = w1[0], w2[0]
    clock.now = WED_23_SEP
    here = svc1.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    lisi = svc2.login(login="lisi", password="lisi12345")
    there = svc2.accept_application(intake=residence_permit_intake(M3={"state": "gap", "gap_due": "2026-09-30"}),
                                    clerk=lisi).case_no
    notice = svc2.accept_application(intake=residence_permit_intake(M2="missing"), clerk=lisi).case_no
    for w in (w1, w2, w1):
        _sync(w)
    day = date(2026, 10, 22)

    def cases(svc, scope):
        return {i.case_no for i in svc.worklist(day=day, scope=scope)}

    # window 01 holds 02's cases (pulled) with an overdue gap and an expired notice: none is 01's to do
    assert cases(svc1, "window") == {here}
    assert cases(svc1, "centre") == {here, there, notice}
    assert cases(svc2, "window") == {there, notice}
    assert cases(svc2, "centre") == {here, there, notice}
    assert {i.window_no for i in svc1.worklist(day=day, scope="centre") if i.case_no != here} == {"02"}
    # 02's 值班长 continues 01's case (pauses its clock): now it is 02's too, and still 01's (taken there)
    svc2.pause_clock(case_no=here, reason="现场核查", clerk=svc2.login(login="super", password="super1234"))
    _sync(w2)
    _sync(w1)
    assert here in cases(svc2, "window") and here in cases(svc1, "window")
    assert [i.window_no for i in svc1.worklist(day=day) if i.case_no == here] == ["02"]


def test_a_bad_scope_is_refused_in_chinese(services, clerk):
    with pytest.raises(BadInput) as e:
        services.worklist(scope="district")
    assert e.value.code == "E_SCOPE" and "本窗口" in e.value.message
    with pytest.raises(BadInput):
        services.start_of_day_worklist(clerk=clerk, scope="all")
    assert services.setting("worklist_shown_on") == ""  # nothing marked


# ---------------------------------------------------------------- the start of the day


def test_only_the_first_login_of_the_day_is_offered_the_worklist(services, clerk, supervisor, clock):
    clock.now = WED_23_SEP
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    clock.now = datetime(2026, 10, 8, 8, 45)
    first = services.start_of_day_worklist(clerk=clerk)
    assert [(i.case_no, i.kind) for i in first] == [(r.case_no, "decision_near_due")]
    assert services.start_of_day_worklist(clerk=supervisor) is None  # a later login, even another person's
    assert services.start_of_day_worklist(clerk=clerk) is None
    clock.now = datetime(2026, 10, 9, 8, 45)
    assert [i.kind for i in services.start_of_day_worklist(clerk=supervisor, scope="centre")] == ["decision_near_due"]


def test_an_empty_first_login_still_counts_as_the_days_first(services, clerk, clock):
    assert services.start_of_day_worklist(clerk=clerk) == []
    clock.now = WED_23_SEP.replace(year=2026, month=11, day=23, hour=14)
    services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    assert services.start_of_day_worklist(clerk=clerk) is None


def test_nobody_starts_the_day_without_a_window_role(services):
    with pytest.raises(AuthError):
        services.start_of_day_worklist(clerk=None)
    assert services.setting("worklist_shown_on") == ""


# ---------------------------------------------------------------- the command line


def test_the_command_line_scopes(w1, w2, clerk, clock, home, monkeypatch, capsys):
    svc1, svc2 = w1[0], w2[0]
    clock.now = WED_23_SEP
    mine = svc1.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    theirs = svc2.accept_application(intake=residence_permit_intake(),
                                     clerk=svc2.login(login="lisi", password="lisi12345")).case_no
    for w in (w2, w1):
        _sync(w)
    svc1.close()
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")

    def run(*args):
        code = main(["--home", str(home), "worklist", "--clerk", "demo", *args])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if code == 0 else err)

    code, items = run("--date", "2026-10-11")
    assert code == 0 and items == [{"case_no": mine, "kind": "decision_overdue", "label": "已超过承诺办结日期",
                                    "due": "2026-10-10", "colour": "red", "detail": "居住证办理", "window_no": "01"}]
    code, items = run("--date", "2026-10-11", "--scope", "centre")
    assert code == 0 and [(i["case_no"], i["window_no"]) for i in items] == sorted(
        [(mine, "01"), (theirs, "02")])
    code, err = run("--scope", "province")
    assert code == 2 and "范围“province”无效" in err
