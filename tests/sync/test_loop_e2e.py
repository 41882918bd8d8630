"""The whole loop across two windows and one department against the real PostgreSQL (issue 9):
window 01 takes a case with a one-time notice; window 02 (after sync) continues it by 补正 and transfers it;
the department signs, reviews in the matter's steps and approves (承办 李审, 审核 王核, 决定 张决: three
people); window 01 hands the result over and the applicant rates it; the centre's record shows every step
with who, where and when."""

from __future__ import annotations

import psycopg
import pytest
from pypdf import PdfReader

from db.central import OfficeClient, _libpq_url, add_department, upsert_user
from desktop.core.auth import hash_password
from desktop.core.catalogue import storage
from desktop.core.services import Services, init_store
from tests.support.central_ops import publish_store_catalogues
from tests.support.factories import TEST_CATALOGUE, residence_permit_intake

DEPARTMENT = "上海市公安局人口管理办公室"


@pytest.fixture
def window02(tmp_path, clock):
    home = tmp_path / "home02"
    init_store(home, centre_code="310104", window_no="02", centre_name="徐汇区行政服务中心", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    storage.import_catalogue(svc.store, TEST_CATALOGUE.read_text(encoding="utf-8"), actor=None)
    yield svc
    svc.close()


def _office(pg, central_url, central_ca):
    """The department and three of its staff: 承办, 审核 and 决定 are three people (central c0008)."""
    url = add_department(central_url, "310104", DEPARTMENT)
    for login, name, staff_no in (("li.shen", "李审", "B001"), ("wang.he", "王核", "B002"), ("zhang.jue", "张决", "B003")):
        upsert_user(central_url, {"login": login, "name": name, "staff_no": staff_no, "role": "backoffice",
                                  "password_hash": hash_password("office1234"), "active": True,
                                  "centre_code": "310104", "department": DEPARTMENT})
    return OfficeClient(url + "&" + pg.tls_query.lstrip("?").replace("sslmode=verify-full&", ""), ca_cert=central_ca)


def test_the_loop_across_two_windows_and_a_department(pg, services, clerk, window02, window, central_url,
                                                      central_ca):
    url01 = window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None)
    url02 = window("310104", "02", centre_name="徐汇区行政服务中心", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=url01)
    window02.set_central(url=url02)
    admin02 = window02.login(login="admin", password="admin1234")
    window02.add_user(login="lisi", password="lisi12345", name="李四", staff_no="XH0202", actor=admin02)
    clerk02 = window02.login(login="lisi", password="lisi12345")

    # window 01: a one-time notice (M2 missing)
    first = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    assert first.outcome == "notice"
    services.sync_round()

    # window 02 pulls the centre's open cases and continues this one by 补正
    window02.sync_round()
    again = window02.supplement_case(case_no=first.case_no, materials={"M2": "paper"}, clerk=clerk02)
    assert again.outcome == "accepted"
    for doc in again.documents:  # printed at window 02: its clerk and window, not the intake's
        text = "".join(p.extract_text() or "" for p in PdfReader(doc.path).pages)
        assert "李四" in text and "张敏" not in text, doc.kind
    batch = window02.create_transfer(department=DEPARTMENT, case_nos=[first.case_no], channel="online",
                                     clerk=clerk02)
    window02.advance_transfer(batch_no=batch.batch_no, state="sent", clerk=clerk02)
    window02.sync_round()

    # the department signs, reviews in the matter's steps and approves
    office = _office(pg, central_url, central_ca)
    inbox = office.inbox("li.shen")
    assert [b["batch_no"] for b in inbox] == [batch.batch_no]
    office.sign("li.shen", batch.batch_no)
    office.review("li.shen", first.case_no, "handle", "材料齐全，符合条件")
    office.review("wang.he", first.case_no, "review", "同意")
    office.decide("zhang.jue", first.case_no, {"decision": "approve", "doc_name": "上海市居住证",
                                                 "doc_no": "沪居〔2026〕001号", "copies": 1})

    # window 01 hands the result over and the applicant rates it
    services.sync_round()
    services.hand_over_result(case_no=first.case_no, clerk=clerk, receiver_name="王小明")
    services.record_rating(case_no=first.case_no, overall=5)
    services.sync_round()
    window02.sync_round()
    assert window02.case_record(case_no=first.case_no).status == "delivered"

    with psycopg.connect(_libpq_url(central_url)) as con:
        steps = con.execute("select event, window_no, department, actor_name from yc.case_steps "
                            "where case_no = %s order by id", (first.case_no,)).fetchall()
        status = con.execute("select status from yc.cases where case_no = %s", (first.case_no,)).fetchone()[0]
        rating = con.execute("select window_no, overall from yc.ratings where case_no = %s and occasion = %s",
                             (first.case_no, "handover")).fetchone()
    assert status == "delivered"
    assert rating == ("01", 5)
    events = [(e, w, d) for e, w, d, _ in steps]
    assert events[0] == ("notice", "01", None)  # taken at window 01 with a one-time notice
    assert ("supplemented", "02", None) in events  # continued at window 02
    office_steps = [e for e, w, d in events if d == DEPARTMENT]
    assert office_steps == ["transfer.signed", "review.handle", "review.review", "decision.approved"]
    assert events[-1] == ("delivered", "01", None)  # handed over at window 01
    assert all(name for *_, name in steps)  # every step names who did it
    names = {e: n for e, _, _, n in steps}
    assert (names["notice"], names["supplemented"], names["review.handle"], names["review.review"],
            names["decision.approved"], names["delivered"]) == ("张敏", "李四", "李审", "王核", "张决", "张敏")
