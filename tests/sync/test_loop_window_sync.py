"""Two windows of one centre against the real central PostgreSQL: window 01 takes a case with a one-time
notice, window 02 pulls it, supplements it (under the centre's lease) and pushes; window 01 pulls version 2
with 02's step. A lease 01 holds keeps 02 out."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import select

from db.central import _libpq_url
from db.local.models import Case, CaseEvent, CentralCase
from desktop.core.catalogue import storage
from desktop.core.documents.verify import pdf_lines
from desktop.core.errors import CaseLeased
from desktop.core.services import Services, init_store
from tests.support.central_ops import publish_store_catalogues
from tests.support.factories import TEST_CATALOGUE, residence_permit_intake


@pytest.fixture
def w1(services, window, central_url):
    url = window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=url)
    return services


@pytest.fixture
def w2(tmp_path, clock, window, central_url, w1):
    """Window 02 of the same centre (its own PC, its own key), with its clerk 李四."""
    home = tmp_path / "w2"
    init_store(home, centre_code="310104", window_no="02", centre_name="徐汇区行政服务中心", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    storage.import_catalogue(svc.store, TEST_CATALOGUE.read_text(encoding="utf-8"), actor=None)
    admin = svc.login(login="admin", password="admin1234")
    svc.add_user(login="lisi", password="lisi12345", name="李四", staff_no="B0202", role="clerk", actor=admin)
    svc.set_central(url=window("310104", "02", centre_name="徐汇区行政服务中心", catalogue=None))
    yield svc
    svc.close()


def _case(svc, case_no) -> Case:
    with svc.Reader() as s:
        case = s.get(Case, case_no)
        s.expunge(case)
        return case


def test_window_02_continues_window_01s_case_and_01_sees_version_2(w1, w2, clerk, central_url):
    case_no = w1.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk).case_no
    assert w1.sync_round().rejected == 0
    w2.sync_round()
    pulled = _case(w2, case_no)
    assert (pulled.window_no, pulled.version, pulled.outcome, pulled.clerk_name) == ("01", 1, "notice", "张敏")
    with w2.Reader() as s:
        assert s.get(CentralCase, case_no).version == 1

    lisi = w2.login(login="lisi", password="lisi12345")
    result = w2.supplement_case(case_no=case_no, materials={"M2": "paper"}, clerk=lisi)
    assert result.outcome == "accepted"
    voucher = next(d for d in result.documents if d.kind == "acceptance_notice" or d.kind == "voucher")
    text = "\n".join(pdf_lines(open(voucher.path, "rb").read()))
    assert "李四" in text and "张敏" not in text
    assert w2.sync_round().rejected == 0

    with psycopg.connect(_libpq_url(central_url)) as con:
        rows = con.execute("select version, window_no, actor_name from yc.case_steps where case_no = %s "
                           "order by version", (case_no,)).fetchall()
        leases = con.execute("select count(*) from yc.case_leases where case_no = %s", (case_no,)).fetchone()[0]
    assert rows[-1] == (2, "02", "李四")
    assert leases == 0  # the lease was given back after the 补正

    w1.sync_round()
    back = _case(w1, case_no)
    assert (back.version, back.outcome, back.last_window_no) == (2, "accepted", "02")
    with w1.Reader() as s:
        events = [(e.event, e.actor, e.window_no) for e in
                  s.scalars(select(CaseEvent).where(CaseEvent.case_no == case_no).order_by(CaseEvent.id))]
    assert ("supplemented", "李四", "02") in events


def test_a_lease_holders_name_from_the_centre_is_shown_without_hidden_characters(w1, w2, clerk):
    """A hostile window leases a case under a name holding a bidi override and a zero-width space: the
    other window's message shows the name without them (they would reorder the sentence it stands in)."""
    from db.central import CentralClient
    from desktop.core.sync.link import candidate_link

    case_no = w1.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk).case_no
    w1.sync_round()
    w2.sync_round()
    link = candidate_link(w1.store)
    with CentralClient(link.url, ca_cert=link.ca_file) as hostile:
        assert hostile.lease_case(case_no, "zhangmin", "张\u202e敏\u200b\x07" + "长" * 100)["granted"]
    lisi = w2.login(login="lisi", password="lisi12345")
    with pytest.raises(CaseLeased) as e:
        w2.supplement_case(case_no=case_no, materials={"M2": "paper"}, clerk=lisi)
    assert e.value.message.startswith("张敏" + "长" * 38 + "，01 号窗口正在办理此件（至 "), e.value.message


def test_a_lease_window_01_holds_keeps_window_02_out(w1, w2, clerk):
    case_no = w1.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk).case_no
    w1.sync_round()
    w2.sync_round()
    lease = w1.take_lease(case_no=case_no, clerk=clerk)
    assert lease.granted and lease.online and lease.until is not None
    lisi = w2.login(login="lisi", password="lisi12345")
    with pytest.raises(CaseLeased) as e:
        w2.supplement_case(case_no=case_no, materials={"M2": "paper"}, clerk=lisi)
    assert e.value.message.startswith("张敏，01 号窗口正在办理此件（至 ")
    assert _case(w2, case_no).version == 1  # nothing stored
    assert w1.release_lease(case_no=case_no) is True
    assert w2.supplement_case(case_no=case_no, materials={"M2": "paper"}, clerk=lisi).outcome == "accepted"
