"""The centre-wide loop at the window, against the fake centre (tests/support/fake_transport.py): two windows
of one centre share it. A pulled case continues at the other window; the centre's answers on transfers come
down; a version that lost goes to the dead-letter list with its reason and the case is put back; leases keep
two windows apart. The same loop against the real PostgreSQL is tests/sync/test_loop_window_sync.py."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from db.central.errors import CentralUnreachable
from db.local.models import Case, CaseEvent, CentralCase, OutboxOp
from desktop.core import sync
from desktop.core.cases import leases
from desktop.core.catalogue import storage
from desktop.core.documents.verify import pdf_lines
from desktop.core.errors import BadInput, CaseLeased
from desktop.core.services import Services, init_store
from tests.support.factories import TEST_CATALOGUE, residence_permit_intake
from tests.support.fake_transport import FakeCentre, FakeTransport

DEPT = "上海市公安局人口管理办公室"


@pytest.fixture
def fake_centre(clock) -> FakeCentre:
    return FakeCentre()


@pytest.fixture
def w1(services, fake_centre):
    return services, FakeTransport("310104", "01", centre=fake_centre)


@pytest.fixture
def w2(tmp_path, clock, fake_centre):
    """Window 02 of the same centre, with its own clerk 李四 (B0202)."""
    home = tmp_path / "w2"
    init_store(home, centre_code="310104", window_no="02", centre_name="徐汇区行政服务中心", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    storage.import_catalogue(svc.store, TEST_CATALOGUE.read_text(encoding="utf-8"), actor=None)
    admin = svc.login(login="admin", password="admin1234")
    svc.add_user(login="lisi", password="lisi12345", name="李四", staff_no="B0202", role="clerk", actor=admin)
    yield svc, FakeTransport("310104", "02", centre=fake_centre)
    svc.close()


def _sync(window):
    svc, transport = window
    return sync.sync_round(svc.store, transport=transport)


def _ops(svc, kind="case.upsert", state=None):
    with svc.Reader() as s:
        q = select(OutboxOp).where(OutboxOp.kind == kind).order_by(OutboxOp.seq)
        if state:
            q = q.where(OutboxOp.state == state)
        return [(o.state, json.loads(o.payload), o.last_error) for o in s.scalars(q)]


def _case(svc, case_no) -> Case:
    with svc.Reader() as s:
        case = s.get(Case, case_no)
        s.expunge(case)
        return case


def _events(svc, case_no):
    with svc.Reader() as s:
        return [(e.event, e.actor, e.window_no) for e in
                s.scalars(select(CaseEvent).where(CaseEvent.case_no == case_no).order_by(CaseEvent.id))]


def _notice_case(w1, clerk):
    svc, _ = w1
    r = svc.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)
    assert r.outcome == "notice"
    return r.case_no


def test_a_pulled_case_is_supplemented_at_window_02_and_its_documents_name_02s_clerk(w1, w2, clerk):
    case_no = _notice_case(w1, clerk)
    (_, first), = [(st, p) for st, p, _ in _ops(w1[0])]
    assert first["step"] == {"event": "notice", "window_no": "01", "clerk_login": "demo", "clerk_name": "张敏",
                             "at": first["step"]["at"], "backup_for": ""}
    _sync(w1)
    _sync(w2)
    svc2 = w2[0]
    pulled = _case(svc2, case_no)
    assert (pulled.window_no, pulled.version, pulled.outcome, pulled.clerk_name) == ("01", 1, "notice", "张敏")
    here, there = svc2.case_record(case_no=case_no), w1[0].case_record(case_no=case_no)
    assert (here.applicant, here.materials, here.supply_due) == (there.applicant, there.materials, there.supply_due)
    with svc2.Reader() as s:
        assert s.get(CentralCase, case_no).version == 1

    lisi = svc2.login(login="lisi", password="lisi12345")
    result = svc2.supplement_case(case_no=case_no, materials={"M2": "paper"}, clerk=lisi)
    assert result.outcome == "accepted"
    for doc in result.documents:  # every document printed at 02 names 02's clerk, not the one who took it
        text = "\n".join(pdf_lines(open(doc.path, "rb").read()))
        assert "李四" in text and "B0202" in text and "张敏" not in text, doc.kind
        assert "02 号窗口" in text
    assert svc2.verify_documents(case_no=case_no) == []
    step = _ops(svc2)[-1][1]["step"]
    assert (step["event"], step["window_no"], step["clerk_login"], step["clerk_name"]) == (
        "supplemented", "02", "lisi", "李四")
    assert _ops(svc2)[-1][1]["window_no"] == "01"  # the origin window never changes

    _sync(w2)
    assert w2[1].centre.cases[case_no]["payload"]["version"] == 2
    _sync(w1)
    back = _case(w1[0], case_no)
    assert (back.version, back.outcome, back.last_window_no) == (2, "accepted", "02")
    assert ("supplemented", "李四", "02") in _events(w1[0], case_no)
    # and the clerk at 02 may reprint what he printed (a case he continued)
    again = svc2.reprint(case_no=case_no, kind="voucher", clerk=lisi)
    assert "李四" in "\n".join(pdf_lines(open(again.path, "rb").read()))


def test_a_version_that_lost_goes_to_the_dead_letter_list_and_the_case_is_put_back(w1, w2, clerk):
    case_no = _notice_case(w1, clerk)
    _sync(w1)
    _sync(w2)
    lisi = w2[0].login(login="lisi", password="lisi12345")
    w2[0].supplement_case(case_no=case_no, materials={"M2": "paper"}, clerk=lisi)
    _sync(w2)
    # window 01 was offline and supplemented the same case (the applicant went to both windows)
    w1[0].supplement_case(case_no=case_no, materials={"M3": "missing"}, clerk=clerk)
    assert _case(w1[0], case_no).version == 2
    result = _sync(w1)
    assert result.rejected == 1
    (state, payload, reason), = _ops(w1[0], state="rejected")
    assert payload["version"] == 2
    assert "02 号窗口" in reason and "第 2 版" in reason and "已恢复为中心的版本" in reason
    assert "stale" not in reason
    restored = _case(w1[0], case_no)
    assert (restored.version, restored.outcome, restored.last_window_no) == (2, "accepted", "02")
    assert {m.code: m.state for m in w1[0].case_record(case_no=case_no).materials}["M3"] == "paper"
    assert ("restored", "centre", "") in _events(w1[0], case_no)
    assert w1[0].rejected_ops()[0]["last_error"] == reason  # what the supervisor reads
    # a second round changes nothing more
    _sync(w1)
    assert _case(w1[0], case_no).version == 2 and len(_ops(w1[0], state="rejected")) == 1


def test_a_pending_version_of_ours_is_not_overwritten_by_a_pull(w1, w2, clerk):
    case_no = _notice_case(w1, clerk)
    _sync(w1)
    _sync(w2)
    lisi = w2[0].login(login="lisi", password="lisi12345")
    w2[0].supplement_case(case_no=case_no, materials={"M2": "paper"}, clerk=lisi)
    _sync(w2)
    w1[0].supplement_case(case_no=case_no, materials={"M3": "missing"}, clerk=clerk)
    svc1, t1 = w1
    sync.pull_streams(svc1.store, t1)  # pulled before our push: ours stays until the centre judges it
    mine = _case(svc1, case_no)
    assert mine.outcome == "notice" and mine.version == 2
    with svc1.Reader() as s:
        assert s.get(CentralCase, case_no).version == 2  # the snapshot is kept all the same


def test_leases_keep_two_windows_apart(w1, w2, clerk, fake_centre):
    case_no = _notice_case(w1, clerk)
    _sync(w1)
    _sync(w2)
    svc1, t1 = w1
    svc2, t2 = w2
    lisi = svc2.login(login="lisi", password="lisi12345")
    lease = leases.take_lease(svc1.store, case_no=case_no, clerk=clerk, transport=t1)
    assert lease.granted and lease.online and lease.until is not None
    with pytest.raises(CaseLeased) as e:
        leases.take_lease(svc2.store, case_no=case_no, clerk=lisi, transport=t2)
    assert e.value.code == "E_CASE_LEASED" and e.value.exit_code == 2
    assert e.value.message == "张敏，01 号窗口正在办理此件（至 09:40）"
    # 01 renews its own lease; 02 cannot release it
    assert leases.take_lease(svc1.store, case_no=case_no, clerk=clerk, transport=t1).granted
    assert leases.release_lease(svc2.store, case_no=case_no, transport=t2) is False
    # offline 02 goes on (and the centre settles it by lease and version when the op arrives)
    svc2.supplement_case(case_no=case_no, materials={"M2": "paper"}, clerk=lisi)
    assert _sync(w2).rejected == 1
    (_, _, reason), = _ops(svc2, state="rejected")
    assert "张敏，01 号窗口当时正在办理此件（至 09:40）" in reason
    assert _case(svc2, case_no).outcome == "notice" and _case(svc2, case_no).version == 1  # put back
    # released, 02 may take it
    assert leases.release_lease(svc1.store, case_no=case_no, transport=t1) is True
    assert leases.take_lease(svc2.store, case_no=case_no, clerk=lisi, transport=t2).granted


def test_a_lease_offline_or_on_an_unknown_case_goes_on_and_says_so(w1, clerk):
    svc1, t1 = w1
    case_no = _notice_case(w1, clerk)
    unknown = leases.take_lease(svc1.store, case_no=case_no, clerk=clerk, transport=t1)
    assert unknown.granted and unknown.online and unknown.until is None and "未同步" in unknown.note
    t1.fail.append(CentralUnreachable("no route to host"))
    offline = leases.take_lease(svc1.store, case_no=case_no, clerk=clerk, transport=t1)
    assert offline.granted and not offline.online and "离线" in offline.note
    # no centre configured at all: the service goes on without asking anyone
    assert svc1.take_lease(case_no=case_no, clerk=clerk).online is False


def test_a_window_batches_a_pulled_case_and_learns_the_departments_answer(w1, w2, clerk, fake_centre):
    svc1, _ = w1
    svc2, _ = w2
    a = svc1.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    b = svc1.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    _sync(w1)
    _sync(w2)
    lisi = svc2.login(login="lisi", password="lisi12345")
    assert svc2.awaiting_transfer() == {DEPT: [a, b]}  # pulled cases are on 02's pile too
    batch = svc2.create_transfer(department=DEPT, case_nos=[a], channel="online", clerk=lisi)
    svc2.advance_transfer(batch_no=batch.batch_no, state="sent", clerk=lisi)
    with pytest.raises(BadInput) as e:
        svc2.advance_transfer(batch_no=batch.batch_no, state="signed", clerk=lisi)
    assert "签收/退回由承办部门办理" in e.value.message
    _sync(w2)
    _sync(w1)
    # window 01 no longer offers a case that is in 02's batch
    assert svc1.awaiting_transfer() == {DEPT: [b]}
    with pytest.raises(BadInput) as e:
        svc1.create_transfer(department=DEPT, case_nos=[a], channel="online", clerk=clerk)
    assert e.value.code == "E_IN_BATCH" and batch.batch_no in e.value.message

    fake_centre.return_batch(batch.batch_no, "材料缺页")
    _sync(w2)
    returned = svc2.transfers(states=("returned",))
    assert [t.batch_no for t in returned] == [batch.batch_no] and returned[0].return_reason == "材料缺页"
    assert returned[0].closed_at is not None
    assert a in svc2.awaiting_transfer()[DEPT]  # back on the pile
    assert ("transfer.returned", "centre", "") in _events(svc2, a)

    again = svc2.create_transfer(department=DEPT, case_nos=[a], channel="online", clerk=lisi)
    svc2.advance_transfer(batch_no=again.batch_no, state="sent", clerk=lisi)
    _sync(w2)
    fake_centre.sign(again.batch_no, by_name="王科员")
    _sync(w2)
    _sync(w1)
    assert svc2.transfers(states=("signed",))[0].batch_no == again.batch_no
    assert _case(svc2, a).status == "signed" and _case(svc1, a).status == "signed"
    assert svc1.awaiting_transfer() == {DEPT: [b]}  # signed for: on nobody's pile


def test_a_decision_comes_home_and_window_02_hands_it_over(w1, w2, clerk, fake_centre):
    svc1, _ = w1
    svc2, _ = w2
    case_no = svc1.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    _sync(w1)
    fake_centre.cases[case_no]["status"] = "signed"
    fake_centre.decide(case_no, {"decision": "approve", "doc_name": "居住证", "doc_no": "沪公居〔2026〕1号"},
                       department=DEPT)
    _sync(w1)
    _sync(w2)
    for svc in (svc1, svc2):
        case = _case(svc, case_no)
        assert case.status == "approved"
        assert json.loads(case.decision_json)["doc_no"] == "沪公居〔2026〕1号"
    assert ("decided", "赵科长", "") in _events(svc2, case_no)
    lisi = svc2.login(login="lisi", password="lisi12345")
    svc2.hand_over_result(case_no=case_no, clerk=lisi, receiver_name="王小明")
    receipt = [d for d in svc2.documents(case_no=case_no) if d.kind == "delivery_receipt"][0]
    text = "\n".join(pdf_lines(open(receipt.path, "rb").read()))
    assert "李四" in text and "张敏" not in text
    rating = svc2.record_rating(case_no=case_no, overall=5)
    assert rating.occasion == "handover"
    _sync(w2)
    assert fake_centre.cases[case_no]["status"] == "delivered"
    _sync(w1)
    assert _case(svc1, case_no).status == "delivered"


def test_a_pulled_case_stays_in_the_encrypted_store_and_out_of_the_log(w1, w2, clerk, caplog, tmp_path):
    """Another window's applicant arrives with the snapshot: it must not reach a log line or the disk in
    clear (the store is SQLCipher; the snapshot is one of its tables)."""
    import logging

    case_no = _notice_case(w1, clerk)
    id_no = w1[0].case_record(case_no=case_no).applicant.id_no
    _sync(w1)
    with caplog.at_level(logging.DEBUG):
        _sync(w2)
    assert _case(w2[0], case_no).applicant_id_no == id_no  # it did arrive
    assert id_no not in caplog.text and "王小明" not in caplog.text
    raw = b"".join(p.read_bytes() for p in (tmp_path / "w2").rglob("*") if p.is_file())
    assert id_no.encode() not in raw and "王小明".encode() not in raw
