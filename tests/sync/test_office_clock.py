"""The back office's clock operations against the real centre (issue 9): a department pauses, resumes and
extends a case it holds; the window that took the case folds each step into its dates when it syncs (by
the working days the clock stood still, by the extension's days) without a new version, records the history,
shows the paused case grey in its worklist and owes the applicant the 告知书. Refusals: a second pause, a
resume without a pause, an extension beyond 10 working days or a second one, a case not held or decided,
another department, a window's login."""

from __future__ import annotations

import json
from datetime import date, timedelta

import psycopg
import pytest
from sqlalchemy import select

from db.central import OfficeClient, _libpq_url, add_department, upsert_user
from db.central.errors import OfficeRefused, UnknownCase
from db.local.models import Case, DocumentOwed
from desktop.cli import main
from desktop.core import workcalendar
from desktop.core.auth import hash_password
from desktop.core.catalogue import storage
from desktop.core.errors import BadInput
from desktop.core.office import OfficeServices
from desktop.core.services import Services, init_store
from tests.support.central_ops import publish_store_catalogues
from tests.support.factories import TEST_CATALOGUE, residence_permit_intake

DEPARTMENT = "上海市公安局人口管理办公室"
OTHER = "区市场监督管理局"
PASSWORD = "office1234"


def _office_url(pg, url: str) -> str:
    return url + "&" + pg.tls_query.lstrip("?").replace("sslmode=verify-full&", "")


@pytest.fixture
def loop(pg, services, clerk, window, central_url, central_ca):
    """Window 01 with an accepted case sent to DEPARTMENT, which signed for it; a second department."""
    services.set_central(url=window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None))
    publish_store_catalogues(central_url, services)
    dept_url, other_url = add_department(central_url, "310104", DEPARTMENT), add_department(central_url, "310104", OTHER)
    for login, name, dept in (("li.shen", "李审", DEPARTMENT), ("wang.he", "王核", DEPARTMENT),
                              ("zhang.jue", "张决", DEPARTMENT), ("zhao.shi", "赵市", OTHER)):
        upsert_user(central_url, {"login": login, "name": name, "staff_no": login, "role": "backoffice",
                                  "password_hash": hash_password(PASSWORD), "active": True,
                                  "centre_code": "310104", "department": dept})
    case_no = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    batch = services.create_transfer(department=DEPARTMENT, case_nos=[case_no], channel="online", clerk=clerk)
    services.advance_transfer(batch_no=batch.batch_no, state="sent", clerk=clerk)
    services.sync_round()
    office = OfficeClient(_office_url(pg, dept_url), ca_cert=central_ca)
    other = OfficeClient(_office_url(pg, other_url), ca_cert=central_ca)
    office.sign("li.shen", batch.batch_no)
    services.sync_round()
    yield {"case_no": case_no, "office": office, "other": other, "dept_url": dept_url}
    office.close()
    other.close()


def _case(services, case_no) -> Case:
    with services.Reader() as s:
        case = s.get(Case, case_no)
        s.expunge(case)
        return case


def _centre_moves(central_url, case_no: str, event: str, **dates: str) -> None:
    """The centre's clock is the real one: set the day a pause began or a resume happened (as the superuser)
    and publish the case again, as if that much time had passed."""
    with psycopg.connect(_libpq_url(central_url)) as con:
        con.execute("UPDATE yc.case_steps SET detail = detail || %s::jsonb WHERE id = (SELECT max(id) FROM "
                    "yc.case_steps WHERE case_no = %s AND event = %s)", (json.dumps(dates), case_no, event))
        con.execute("SELECT yc.emit_case(%s, '310104', NULL)", (case_no,))


def _version(central_url, case_no) -> int:
    with psycopg.connect(_libpq_url(central_url)) as con:
        return con.execute("SELECT version FROM yc.cases WHERE case_no = %s", (case_no,)).fetchone()[0]


def _window02(tmp_path, clock, window):
    home = tmp_path / "w2"
    init_store(home, centre_code="310104", window_no="02", centre_name="徐汇区行政服务中心", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    storage.import_catalogue(svc.store, TEST_CATALOGUE.read_text(encoding="utf-8"), actor=None)
    svc.set_central(url=window("310104", "02", centre_name="徐汇区行政服务中心", catalogue=None))
    return svc


def test_pause_and_resume_move_the_windows_dates_by_the_paused_working_days(loop, services, clerk, central_url,
                                                                           tmp_path, clock, window):
    case_no, office = loop["case_no"], loop["office"]
    before = _case(services, case_no)
    assert before.status == "signed" and before.paused_since is None and before.promised_date is not None
    version = _version(central_url, case_no)

    paused = office.pause("wang.he", case_no, "专家评审")
    assert paused["event"] == "clock.paused" and paused["clock"]["paused_on"] == paused["detail"]["paused_on"]
    with pytest.raises(OfficeRefused, match="已于 .* 暂停"):
        office.pause("wang.he", case_no, "检测")
    _centre_moves(central_url, case_no, "clock.paused", paused_on="2026-11-24")  # a Tuesday
    services.sync_round()
    case = _case(services, case_no)
    assert case.paused_since == date(2026, 11, 24) and case.version == before.version  # no new version
    assert (case.promised_date, case.statutory_date) == (before.promised_date, before.statutory_date)
    items = [i for i in services.worklist(day=date(2026, 11, 25)) if i.case_no == case_no]
    assert sorted((i.kind, i.colour) for i in items) == [("documents_owed", "yellow"), ("paused", "grey")]

    resumed = office.resume("wang.he", case_no)
    assert resumed["detail"]["paused_on"] == "2026-11-24" and resumed["detail"]["reason"] == "专家评审"
    with pytest.raises(OfficeRefused, match="未暂停"):
        office.resume("wang.he", case_no)
    _centre_moves(central_url, case_no, "clock.resumed", resumed_on="2026-12-01")
    services.sync_round()
    case = _case(services, case_no)
    with services.Reader() as s:
        cal = workcalendar.calendar_in(s)
    # 11-25, 26, 27, 30 and 12-01: five working days not counted (hand-counted, and so says the calendar)
    assert cal.workdays_between(date(2026, 11, 24), date(2026, 12, 1)) == 5
    assert case.promised_date == cal.add_workdays(before.promised_date, 5)
    assert case.statutory_date == cal.add_workdays(before.statutory_date, 5)
    assert case.paused_since is None and case.clock_shift_days == 5 and case.version == before.version
    assert case.office_clock_step > 0 and _version(central_url, case_no) == version  # the centre's neither

    services.sync_round()  # applying the same snapshot again moves nothing
    assert _case(services, case_no).promised_date == case.promised_date

    history = [(e, d) for _, _, e, d in services.case_history(case_no=case_no) if e.startswith("clock.")]
    assert history == [("clock.paused", "专家评审"), ("clock.resumed", "5 个工作日不计入时限")]
    with services.Reader() as s:
        owed = s.scalars(select(DocumentOwed).where(DocumentOwed.case_no == case_no,
                                                    DocumentOwed.kind == "clock_notice")).all()
    assert [(o.kind, o.settled_at) for o in owed] == [("clock_notice", None)]  # one: it says the latest state
    docs = services.print_owed_documents(clerk=clerk, out_dir=tmp_path / "out")
    assert [d.kind for d in docs] == ["clock_notice"] and services.documents_owed() == []

    # the window's next version carries the moved dates and the mark; the centre takes it
    services.extend_deadline(case_no=case_no, days=2, reason="情况复杂", approver_login="super",
                             approver_password="super1234", clerk=clerk)
    assert services.sync_round().rejected == 0
    with psycopg.connect(_libpq_url(central_url)) as con:
        payload = con.execute("SELECT payload FROM yc.cases WHERE case_no = %s", (case_no,)).fetchone()[0]
    assert payload["office_clock_step"] == case.office_clock_step
    assert payload["promised_date"] == cal.add_workdays(case.promised_date, 2).isoformat()

    # another window takes over that version: the steps it carries are not folded in twice
    w2 = _window02(tmp_path, clock, window)
    try:
        w2.sync_round()
        there, here = _case(w2, case_no), _case(services, case_no)
        assert (there.promised_date, there.statutory_date, there.paused_since, there.extended_days) == (
            here.promised_date, here.statutory_date, None, 2)
        assert w2.documents_owed() == []  # the 告知书 is owed at the case's own window only
    finally:
        w2.close()


def test_extension_within_the_law_once(loop, services, central_url):
    case_no, office = loop["case_no"], loop["office"]
    before = _case(services, case_no)
    with pytest.raises(OfficeRefused, match="1 至 10 个工作日"):
        office.extend("wang.he", case_no, 11, "情况复杂", "王局长")
    with pytest.raises(OfficeRefused, match="1 至 10 个工作日"):
        office.extend("wang.he", case_no, 0, "情况复杂", "王局长")
    with pytest.raises(OfficeRefused, match="负责人姓名"):
        office.extend("wang.he", case_no, 5, "情况复杂", "  ")
    with pytest.raises(OfficeRefused, match="须说明理由"):
        office.extend("wang.he", case_no, 5, "", "王局长")
    done = office.extend("wang.he", case_no, 7, "需实地核查", "王局长")
    assert done["detail"]["approver"] == "王局长" and done["clock"]["extended_days"] == 7
    with pytest.raises(OfficeRefused, match="只能延长一次"):
        office.extend("wang.he", case_no, 3, "还要核查", "王局长")
    services.sync_round()
    case = _case(services, case_no)
    with services.Reader() as s:
        cal = workcalendar.calendar_in(s)
    assert case.extended_days == 7 and case.version == before.version
    assert case.promised_date == cal.add_workdays(before.promised_date, 7)
    history = [d for _, _, e, d in services.case_history(case_no=case_no) if e == "clock.extended"]
    assert history == ["延长 7 个工作日，王局长 批准：需实地核查"]


def test_a_window_extension_counts_as_the_one_extension(loop, services, clerk):
    case_no, office = loop["case_no"], loop["office"]
    services.extend_deadline(case_no=case_no, days=3, reason="情况复杂", approver_login="super",
                             approver_password="super1234", clerk=clerk)
    services.sync_round()
    with pytest.raises(OfficeRefused, match="只能延长一次"):
        office.extend("wang.he", case_no, 2, "还要核查", "王局长")


def test_who_and_when_may_operate_the_clock(loop, services, pg, central_url, window):
    case_no, office, other = loop["case_no"], loop["office"], loop["other"]
    for call in (lambda: other.pause("zhao.shi", case_no, "检测"), lambda: other.resume("zhao.shi", case_no),
                 lambda: other.extend("zhao.shi", case_no, 5, "复杂", "赵局长")):
        with pytest.raises(UnknownCase):  # another department's case reads as none
            call()
    with pytest.raises(OfficeRefused, match="不是本部门"):  # staff of another department on this login
        office.pause("zhao.shi", case_no, "检测")
    with pytest.raises(OfficeRefused, match="暂停计时须说明理由"):
        office.pause("wang.he", case_no, "  ")
    # a window's login may not call the department's functions
    with psycopg.connect(_libpq_url(window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None))) as con:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("SELECT office.pause('wang.he', %s, 'x')", (case_no,))
    # decided: the clock has stopped
    office.review("li.shen", case_no, "handle", "同意")
    office.review("wang.he", case_no, "review", "同意")
    office.decide("zhang.jue", case_no, {"decision": "deny", "reason": "不符合条件"})
    with pytest.raises(OfficeRefused, match="已作出决定"):
        office.pause("wang.he", case_no, "检测")
    with pytest.raises(OfficeRefused, match="已作出决定"):
        office.extend("wang.he", case_no, 5, "复杂", "王局长")
    with psycopg.connect(_libpq_url(central_url)) as con:
        n = con.execute("SELECT count(*) FROM yc.case_steps WHERE case_no = %s AND event LIKE 'clock.%%'",
                        (case_no,)).fetchone()[0]
    assert n == 0  # nothing half-stored


def test_a_case_not_yet_signed_for_is_not_held(pg, services, clerk, window, central_url, central_ca):
    services.set_central(url=window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None))
    publish_store_catalogues(central_url, services)
    url = add_department(central_url, "310104", DEPARTMENT)
    upsert_user(central_url, {"login": "wang.he", "name": "王核", "staff_no": "B2", "role": "backoffice",
                              "password_hash": hash_password(PASSWORD), "active": True, "centre_code": "310104",
                              "department": DEPARTMENT})
    case_no = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    services.sync_round()
    with OfficeClient(_office_url(pg, url), ca_cert=central_ca) as office:
        with pytest.raises(OfficeRefused, match="不在本部门办理中"):
            office.pause("wang.he", case_no, "检测")


def test_office_services_and_cli(loop, services, central_ca, tmp_path, capsys, monkeypatch, pg):
    case_no = loop["case_no"]
    svc = OfficeServices(tmp_path / "dept")
    svc.configure(central_url=_office_url(pg, loop["dept_url"]), ca_cert=central_ca)
    try:
        staff = svc.sign_in(login="wang.he", password=PASSWORD)
        with pytest.raises(BadInput, match="1 至 10"):
            svc.extend(staff=staff, case_no=case_no, days=12, reason="复杂", approver="王局长")
        with pytest.raises(BadInput, match="暂停理由"):
            svc.pause(staff=staff, case_no=case_no, reason="")
        svc.pause(staff=staff, case_no=case_no, reason="听证")
        [row] = svc.cases(staff=staff)
        assert row.paused and row.paused_on is not None and row.as_json()["clock"]["extended_days"] == 0
        with pytest.raises(BadInput, match="不能再次暂停"):
            svc.pause(staff=staff, case_no=case_no, reason="听证")
    finally:
        svc.close()

    home = str(tmp_path / "dept")
    monkeypatch.setenv("YICHUANG_PASSWORD", PASSWORD)

    def run(*args):
        code = main(["--home", home, "office", *args, "--clerk", "wang.he"])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if out.strip() else None), err

    rc, out, err = run("extend", case_no, "--days", "11", "--reason", "复杂", "--approver", "王局长")
    assert rc == 2 and out is None and "1 至 10" in err
    rc, out, err = run("extend", case_no, "--days", "5", "--reason", "复杂")
    assert rc == 2 and "负责人姓名" in err
    rc, out, err = run("resume", case_no)
    assert rc == 0 and out["result"]["event"] == "clock.resumed", err
    rc, out, err = run("extend", case_no, "--days", "10", "--reason", "复杂", "--approver", "王局长")
    assert rc == 0 and out["result"]["clock"]["extended_days"] == 10, err
    rc, out, err = run("extend", case_no, "--days", "1", "--reason", "复杂", "--approver", "王局长")
    assert rc == 2 and "只能延长一次" in err
    rc, out, err = run("pause", case_no, "--reason", "检验")
    assert rc == 0 and out["result"]["detail"]["reason"] == "检验", err
    assert date.fromisoformat(out["result"]["clock"]["paused_on"]) <= date.today() + timedelta(days=1)
