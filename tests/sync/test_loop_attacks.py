"""The loop (c0006) attacked at the real centre: a hostile window login of a centre, a hostile department
login, a curious back-office clerk. Every test here tries to break one rule that keeps people or cases apart.

The holes the review found (a window forging or undoing the department's steps, delivering or re-deciding by
the outcome it sends, freezing or silently overwriting versions, sending a case of no department, hiding
batches behind empty ones, one clerk doing every step, snapshots piling up) were strict xfails; central
revision c0008 closed them and they now pass as plain tests."""

from __future__ import annotations

import pytest

from db.central import OfficeRefused, UnknownBatch, UnknownCase, decide_case, freeze_op
from tests.support.central_ops import admin_scalar, case_payload
from tests.support.loop_central import APPROVE, CIVIL, POLICE, VERSION, Loop, batch, no, op, steps
from tests.support.loop_central import A as CENTRE_A
from tests.support.loop_central import B as CENTRE_B

A, B = CENTRE_A, CENTRE_B
STEP = {"window_no": "01", "clerk_login": "zhangmin", "clerk_name": "张敏", "at": "2026-02-13T09:00:00+08:00",
        "backup_for": ""}


@pytest.fixture
def loop(central_url, window, central_ca) -> Loop:
    return Loop(central_url, window, central_ca)


def _step(event: str) -> dict:
    return {**STEP, "event": event}


def _next_step(loop: Loop, case_no: str) -> str | None:
    with loop.office() as o:
        return o.case("wang", case_no)["next_step"]


# ---- what a window may not do to a case --------------------------------------------------------------------
def test_a_window_cannot_rewrite_another_centres_case_nor_move_its_origin(loop):
    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    # a window of B claims A's case: as a new case of B (wrong number), as A's (wrong centre)
    [as_b] = loop.push(freeze_op("case.upsert", dict(case_payload(A, "01", 1, version=2, catalogue_version=VERSION),
                                                    centre_code=B)), centre=B)
    assert as_b["status"] == "rejected"
    [as_a] = loop.push(op(A, "01", 1, version=2), centre=B)
    assert as_a["status"] == "rejected"
    [origin] = loop.push(freeze_op("case.upsert", dict(case_payload(A, "01", 1, version=2, catalogue_version=VERSION),
                                                      window_no="02")), window_no="02")
    assert origin["status"] == "rejected"
    [received] = loop.push(op(A, "01", 1, version=2, received_at="2026-02-01T09:00:00+08:00"), window_no="02")
    assert received["status"] == "rejected"
    # the step's window is the pushing login's, whatever the payload says
    [forged] = loop.push(op(A, "01", 1, version=2, step={**_step("case.updated"), "window_no": "01"}), window_no="02")
    assert forged["status"] == "applied"
    assert steps(loop.url, case_no)[-1][:2] == ("case.updated", "02")
    assert admin_scalar(loop.url, "SELECT window_no || '/' || centre_code FROM yc.cases WHERE case_no = %s",
                        (case_no,)) == f"01/{A}"


def test_a_window_cannot_un_decide_or_re_decide_a_case(loop):
    case_no = loop.signed_case(1)
    decide_case(loop.url, case_no, "approved")
    for want in ("received", "signed", "in_review", "denied", "withdrawn", "voided"):
        version = admin_scalar(loop.url, "SELECT version FROM yc.cases WHERE case_no = %s", (case_no,)) + 1
        loop.push(op(A, "01", 1, version=version, status=want), window_no="02")
        assert admin_scalar(loop.url, "SELECT status FROM yc.cases WHERE case_no = %s", (case_no,)) == "approved"
    assert admin_scalar(loop.url, "SELECT decision->>'decision' FROM yc.cases WHERE case_no = %s",
                        (case_no,)) == "approve"


def test_a_window_cannot_forge_the_departments_review_steps(loop):
    case_no = loop.signed_case(1)
    answers = loop.push(op(A, "01", 1, version=2, step=_step("review.handle")),
                        op(A, "01", 1, version=3, step=_step(" Decision.approved")), window_no="02")
    assert [a["status"] for a in answers] == ["rejected", "rejected"]
    # nor as the first step of a new case (the set-based path hands it to the checked one)
    [new] = loop.push(op(A, "01", 2, step=_step("review.review")))
    assert new["status"] == "rejected" and "is the department's" in new["reason"]
    assert _next_step(loop, case_no) == "handle"  # the department has done nothing yet
    # rows a window stored under c0006 (before the refusal) never count: only the department's do
    from tests.support.central_ops import admin_connect

    with admin_connect(loop.url) as con:
        for event in ("transfer.signed", "review.handle", "review.review"):
            con.execute("INSERT INTO yc.case_steps (case_no, centre_code, version, event, window_no, actor_login) "
                        "VALUES (%s, %s, 1, %s, '02', 'zhangmin')", (case_no, A, event))
        con.commit()
    assert _next_step(loop, case_no) == "handle"
    with loop.office() as o, pytest.raises(OfficeRefused, match="尚未完成"):
        o.decide("wang", case_no, APPROVE)


def test_a_window_cannot_undo_the_departments_review_steps(loop):
    case_no = loop.signed_case(1)
    with loop.office() as o:
        o.review("wang", case_no, "handle", "材料齐全")
        o.review("qian", case_no, "review", "同意")
    [answer] = loop.push(op(A, "01", 1, version=2, step=_step("transfer.signed")), window_no="02")
    assert answer["status"] == "rejected"
    assert answer["reason"] == "step event transfer.signed is the department's: a window records only its own steps"
    assert _next_step(loop, case_no) == "decide"


def test_a_window_cannot_deliver_an_undecided_case_by_calling_it_completed(loop):
    case_no = loop.signed_case(1)
    [answer] = loop.push(op(A, "01", 1, version=2, outcome="completed", status="delivered"), window_no="02")
    assert answer["status"] == "rejected"
    assert admin_scalar(loop.url, "SELECT status || '/' || outcome FROM yc.cases WHERE case_no = %s",
                        (case_no,)) == "signed/accepted"


def test_a_window_cannot_change_the_outcome_of_a_case_the_department_holds(loop):
    case_no = loop.signed_case(1)
    loop.push(op(A, "01", 1, version=2, outcome="refused", refusal_reason="x"), window_no="02")
    assert admin_scalar(loop.url, "SELECT outcome FROM yc.cases WHERE case_no = %s", (case_no,)) == "accepted"


def test_a_window_cannot_complete_and_deliver_an_accepted_case(loop):
    """Not yet in a batch (status received), an accepted case still waits for the department: a window cannot
    turn it into 'completed on the spot' and deliver it. Only 补正 moves an outcome (notice -> accepted)."""
    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    completed, delivered = loop.push(op(A, "01", 1, version=2, outcome="completed"),
                                     op(A, "01", 1, version=2, outcome="completed", status="delivered"),
                                     window_no="02")
    assert completed["reason"] == f"the outcome of case {case_no} cannot change from accepted"
    assert delivered["status"] == "rejected"
    [alone] = loop.push(op(A, "01", 1, version=2, status="delivered"), window_no="02")
    assert alone["reason"] == f"case {case_no} cannot be delivered: it is received, not decided"
    assert admin_scalar(loop.url, "SELECT status || '/' || outcome || '/' || version FROM yc.cases "
                        "WHERE case_no = %s", (case_no,)) == "received/accepted/1"
    notice = no(A, "01", 2)
    loop.push(op(A, "01", 2, outcome="notice"))
    assert loop.push(op(A, "01", 2, version=2, outcome="accepted"), window_no="02")[0]["status"] == "applied"
    assert admin_scalar(loop.url, "SELECT outcome FROM yc.cases WHERE case_no = %s", (notice,)) == "accepted"


def test_a_window_cannot_freeze_a_case_with_a_huge_version(loop):
    loop.push(op(A, "01", 1))
    [answer] = loop.push(op(A, "01", 1, version=2147483647), window_no="02")
    assert answer["status"] == "rejected"
    assert answer["reason"].endswith("this op carries 2147483647 (not the next version)")
    assert loop.push(op(A, "01", 1, version=2), window_no="02")[0]["status"] == "applied"  # the next one is taken


def _built_on(base_window_no: str, window_no: str = "01") -> dict:
    """A step as the window makes it (desktop/core/cases/versions.py): it names the window it built on."""
    return {**_step("case.supplemented"), "window_no": window_no, "base_window_no": base_window_no}


def test_a_version_built_on_a_lost_version_does_not_overwrite_the_winner_silently(loop):
    from desktop.core.sync.loop import stale_reason

    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    [won] = loop.push(op(A, "01", 1, version=2, note="02 的补正", step=_built_on("01", "02")), window_no="02")
    assert won["status"] == "applied"
    # offline, 01 made its version 2 and then 3 on top of it (its own: base 01)
    lost, built_on_lost = loop.push(op(A, "01", 1, version=2, note="01 的补正", step=_built_on("01")),
                                    op(A, "01", 1, version=3, note="01 再补正", step=_built_on("01")))
    assert lost["status"] == "rejected"
    assert built_on_lost["status"] == "rejected"
    # both refusals name the window that won, in the words the window's reconcile reads
    for answer, mine in ((lost, 2), (built_on_lost, 3)):
        assert stale_reason(answer["reason"]) == (f"中心已采用 02 号窗口办理的第 2 版，本窗口的第 {mine} 版未被采用："
                                                  "办件已恢复为中心的版本，如需修改请重新办理"), answer
    assert admin_scalar(loop.url, "SELECT payload->>'note' FROM yc.cases WHERE case_no = %s", (case_no,)) == "02 的补正"
    # built on what the centre holds, the next version is taken (from either window)
    [next_] = loop.push(op(A, "01", 1, version=3, note="01 重新补正", step=_built_on("02")))
    assert next_["status"] == "applied"
    assert admin_scalar(loop.url, "SELECT last_window_no FROM yc.cases WHERE case_no = %s", (case_no,)) == "01"


# ---- transfers ---------------------------------------------------------------------------------------------
def test_a_case_of_no_department_cannot_be_sent_to_any_department(loop):
    from tests.support.central_ops import admin_connect

    # a matter its catalogue version does not have never makes a case (nor by the fast path, nor the slow one)
    stray = no(A, "01", 5)
    for ops in ([op(A, "01", 5, matter_code="SH-XX-999")],
                [op(A, "01", 4), op(A, "01", 5, matter_code="SH-XX-999")]):
        answers = loop.push(*ops)
        assert answers[-1]["status"] == "rejected"
        assert answers[-1]["reason"] == f"matter SH-XX-999 is not in catalogue version {VERSION}"
    assert admin_scalar(loop.url, "SELECT count(*) FROM yc.cases WHERE case_no = %s", (stray,)) == 0
    # a case the centre holds with no department (stored before its matter was known): it goes nowhere
    legacy = no(A, "01", 6)
    loop.push(op(A, "01", 6))
    with admin_connect(loop.url) as con:
        con.execute("UPDATE yc.cases SET department = NULL WHERE case_no = %s", (legacy,))
        con.commit()
    for department in (CIVIL, POLICE):
        [answer] = loop.push(batch(A, "01", 6, [legacy], department=department))
        assert answer["status"] == "rejected"
        assert answer["reason"] == f"case {legacy} is for no department (its matter is not in its catalogue version)"
    with loop.office(A, CIVIL) as o:
        assert o.inbox("li") == []


def test_a_window_cannot_move_a_case_into_another_department_nor_sign_for_it(loop):
    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    assert loop.push(batch(A, "02", 1, [case_no], department=CIVIL), window_no="02")[0]["status"] == "rejected"
    # a matter of another department pushed later does not move the case either
    loop.push(op(A, "01", 1, version=2, matter_code="SH-MZ-002"), window_no="02")
    assert admin_scalar(loop.url, "SELECT department FROM yc.cases WHERE case_no = %s", (case_no,)) == POLICE
    assert loop.push(batch(A, "02", 2, [case_no], department=CIVIL), window_no="02")[0]["status"] == "rejected"
    for state in ("signed", "returned"):
        assert loop.push(batch(A, "02", 3, [case_no], state=state), window_no="02")[0]["status"] == "rejected"
    # another window's batch number, or another centre's
    assert loop.push(batch(A, "01", 9, [case_no]), window_no="02")[0]["status"] == "rejected"
    assert loop.push(batch(A, "01", 9, [case_no]), centre=B)[0]["status"] == "rejected"



def test_empty_batches_cannot_hide_a_real_one_from_the_departments_inbox(loop):
    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1), batch(A, "01", 1, [case_no]))
    spam = [freeze_op("transfer.upsert", {
        "batch_no": f"LZ{A}02260212{i:03d}", "centre_code": A, "window_no": "02", "department": POLICE,
        "channel": "online", "tracking_no": "", "state": "sent", "return_reason": "", "case_nos": [],
        "created_at": "2099-01-01T00:00:00+08:00", "sent_at": "2099-01-01T00:00:00+08:00", "version": 1})
        for i in range(1, 501)]
    loop.push(*spam, window_no="02")
    with loop.office() as o:
        assert f"LZ{A}01260212001" in [b["batch_no"] for b in o.inbox("wang")]

def test_the_inbox_keeps_every_sent_batch_beyond_the_history_cap(loop):
    """An old batch still waiting to be signed stays in the inbox however much history is newer; the cap
    (500) is on signed/returned batches only, newest change at the centre first."""
    from tests.support.central_ops import admin_connect

    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1), batch(A, "01", 1, [case_no]))
    with admin_connect(loop.url) as con:
        con.execute("UPDATE yc.transfers SET updated_at = now() - interval '400 days' WHERE batch_no = %s",
                    (f"LZ{A}01260212001",))
        con.execute("""INSERT INTO yc.transfers (batch_no, centre_code, window_no, department, channel, tracking_no,
                                                 state, return_reason, created_at, sent_at, closed_at, version, updated_at)
                       SELECT 'LZ' || %s || '02250101' || lpad(i::text, 3, '0'), %s, '02', %s, 'online', '', 'signed',
                              '', now(), now(), now(), 2, now() - make_interval(secs => i)
                         FROM generate_series(1, 520) AS i""", (A, A, POLICE))
        con.commit()
    with loop.office() as o:
        inbox = o.inbox("wang")
    assert len(inbox) == 501
    assert [b["state"] for b in inbox].count("sent") == 1 and inbox[-1]["batch_no"] == f"LZ{A}01260212001"
    history = [b["batch_no"] for b in inbox if b["state"] == "signed"]
    assert history == [f"LZ{A}02250101{i:03d}" for i in range(1, 501)]  # the newest 500, newest first


# ---- leases ------------------------------------------------------------------------------------------------
def test_a_window_cannot_steal_extend_or_release_another_windows_lease(loop):
    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    with loop.window(A, "01") as w1, loop.window(A, "02") as w2, loop.window(B, "01") as wb:
        first = w1.lease_case(case_no, "zhangmin", "张敏")
        until = admin_scalar(loop.url, "SELECT until FROM yc.case_leases WHERE case_no = %s", (case_no,))
        assert w2.lease_case(case_no, "lisi", "李四")["granted"] is False
        assert w2.release_case(case_no) == {"released": False}
        assert wb.lease_case(case_no, "x", "x") == {"granted": True, "unknown": True}
        assert wb.release_case(case_no) == {"released": False}
        assert first["granted"] is True
    row = admin_scalar(loop.url, "SELECT window_no || '/' || clerk_name || '/' || (until = %s) FROM yc.case_leases "
                       "WHERE case_no = %s", (until, case_no))
    assert row == "01/张敏/true"


# ---- what a department may read and do ---------------------------------------------------------------------
def test_a_department_cannot_act_on_another_centres_or_departments_batch_or_case(loop):
    police = loop.signed_case(1)
    civil_case = no(A, "01", 2)
    loop.push(op(A, "01", 2, matter_code="SH-MZ-002"), batch(A, "01", 2, [civil_case], department=CIVIL))
    open_police = no(A, "01", 3)
    loop.push(op(A, "01", 3), batch(A, "01", 3, [open_police]))
    theirs = no(B, "01", 1)
    loop.push(op(B, "01", 1), batch(B, "01", 1, [theirs]), centre=B)
    with loop.office(B, POLICE) as o:  # the same department name at another centre
        for attempt in (lambda: o.sign("zhao", f"LZ{A}01260212003"),
                        lambda: o.return_batch("zhao", f"LZ{A}01260212003", "不是我们的"),
                        lambda: o.sign("zhao", f"LZ{A}01260212002")):
            with pytest.raises(UnknownBatch):
                attempt()
        for call in (lambda: o.case("zhao", police), lambda: o.review("zhao", police, "handle", "x"),
                     lambda: o.decide("zhao", police, APPROVE),
                     lambda: o.correct_decision("zhao", police, APPROVE, "x")):
            with pytest.raises(UnknownCase):
                call()
        assert [c["case_no"] for c in o.cases("zhao")] == []
        assert [b["batch_no"] for b in o.inbox("zhao")] == [f"LZ{B}01260212001"]
    with loop.office(A, POLICE) as o:
        with pytest.raises(UnknownBatch):
            o.sign("wang", f"LZ{A}01260212002")  # the civil-affairs batch of the same centre
        with pytest.raises(UnknownCase):
            o.correct_decision("wang", civil_case, APPROVE, "x")
    assert admin_scalar(loop.url, "SELECT string_agg(state, ',' ORDER BY batch_no) FROM yc.transfers "
                        "WHERE batch_no IN (%s, %s)", (f"LZ{A}01260212002", f"LZ{A}01260212003")) == "sent,sent"


def test_every_step_records_who_where_and_when(loop):
    case_no = loop.signed_case(1)
    loop.push(op(A, "01", 1, version=2, step=_step("case.supplemented")), window_no="02")
    with loop.office() as o:
        o.review("wang", case_no, "handle", "材料齐全")
        o.review("qian", case_no, "review", "同意")
        o.decide("sun", case_no, APPROVE)
    from tests.support.central_ops import admin_connect

    with admin_connect(loop.url) as con:
        rows = con.execute("SELECT event, window_no, department, actor_login, at IS NOT NULL FROM yc.case_steps "
                           "WHERE case_no = %s ORDER BY id", (case_no,)).fetchall()
    assert rows == [
        ("case.received", "01", None, "zhangsan", True), ("transfer.signed", None, POLICE, "wang", True),
        ("case.supplemented", "02", None, "zhangmin", True), ("review.handle", None, POLICE, "wang", True),
        ("review.review", None, POLICE, "qian", True), ("decision.approved", None, POLICE, "sun", True)]
    for window_no, department, _ in [(r[1], r[2], r[3]) for r in rows]:
        assert (window_no is None) != (department is None)  # exactly one place: a window or a department



def test_one_clerk_cannot_handle_review_and_decide_his_own_case(loop):
    case_no = loop.signed_case(1)  # wang, qian and sun are the police's staff
    with loop.office() as o:
        o.review("wang", case_no, "handle", "材料齐全")
        with pytest.raises(OfficeRefused, match="承办、审核、决定不能是同一人") as e:
            o.review("wang", case_no, "review", "我审我自己")
        assert e.value.technical == f"wang recorded the handle step of case {case_no}: its review step is another person's"
        o.review("qian", case_no, "review", "同意")
        for who, did in (("wang", "handle"), ("qian", "review")):  # neither the handler nor the reviewer decides
            with pytest.raises(OfficeRefused, match=f"已办理办件 {case_no} 的“{did}”环节"):
                o.decide(who, case_no, APPROVE)
        assert o.decide("sun", case_no, APPROVE)["status"] == "approved"
    assert [r[3] for r in steps(loop.url, case_no)][-3:] == ["wang", "qian", "sun"]


def test_a_two_step_matter_is_decided_by_another_than_its_handler(loop):
    """["handle", "decide"] (一审一决): no 审核 between, so the one rule left is that the handler does not decide."""
    case_no = no(A, "01", 2)  # li and zhou are civil affairs' staff
    loop.push(op(A, "01", 2, matter_code="SH-MZ-002"), batch(A, "01", 2, [case_no], department=CIVIL))
    with loop.office(A, CIVIL) as o:
        o.sign("li", f"LZ{A}01260212002")
        assert o.review("li", case_no, "handle", "材料齐全")["next_step"] == "decide"
        with pytest.raises(OfficeRefused, match="承办、审核、决定不能是同一人"):
            o.decide("li", case_no, APPROVE)
        assert o.decide("zhou", case_no, APPROVE)["status"] == "approved"


# ---- the centre stays up for the others ---------------------------------------------------------------------
def test_versions_of_one_case_do_not_pile_up_in_the_cases_stream(loop):
    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    answers = loop.push(*[op(A, "01", 1, version=v, note="x" * 1000) for v in range(2, 42)], window_no="02")
    assert {a["status"] for a in answers} == {"applied"}
    with loop.window(A, "01") as w:
        assert [r["key"] for r in w.pull("cases", 0)["rows"]] == [case_no]
    assert admin_scalar(loop.url, "SELECT count(*) FROM yc.changes WHERE stream = 'cases' AND key = %s",
                        (case_no,)) == 1

# ---- at the windows: a lease keeps out every change of a case, not only 补正 and 送达 ---------------------------
@pytest.fixture
def w1(services, window, central_url):
    from tests.support.central_ops import publish_store_catalogues

    url = window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=url)
    return services


@pytest.fixture
def w2(tmp_path, clock, window, w1):
    from desktop.core.catalogue import storage
    from desktop.core.services import Services, init_store
    from tests.support.factories import TEST_CATALOGUE

    home = tmp_path / "w2"
    init_store(home, centre_code="310104", window_no="02", centre_name="徐汇区行政服务中心", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    storage.import_catalogue(svc.store, TEST_CATALOGUE.read_text(encoding="utf-8"), actor=None)
    admin = svc.login(login="admin", password="admin1234")
    svc.add_user(login="lisi", password="lisi12345", name="李四", staff_no="B0202", role="supervisor", actor=admin)
    svc.set_central(url=window("310104", "02", centre_name="徐汇区行政服务中心", catalogue=None))
    yield svc
    svc.close()


def test_a_lease_keeps_another_window_from_correcting_withdrawing_voiding_or_pausing(w1, w2, clerk):
    """Before: 更正, 撤回, 作废 and the clock operations went on at window 02 while 01 held the lease: 02 printed
    corrected documents, the centre then refused the version and 02 was put back (the printed 更正 edition
    stood for data the centre never took). Now each takes the lease first, as 补正 and 送达 do."""
    from desktop.core.errors import CaseLeased
    from tests.support.factories import person, residence_permit_intake

    case_no = w1.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    w1.sync_round()
    w2.sync_round()
    lisi = w2.login(login="lisi", password="lisi12345")
    assert w1.take_lease(case_no=case_no, clerk=clerk).online
    def state():
        from db.local.models import Case

        with w2.Reader() as s:
            case = s.get(Case, case_no)
            return case.version, case.status, case.applicant_name, len(w2.documents(case_no=case_no))

    before = state()
    attempts = {
        "correct": lambda: w2.correct_case(case_no=case_no, changes={"applicant": person(name="王晓明")},
                                           reason="姓名录入错误", clerk=lisi),
        "withdraw": lambda: w2.withdraw_case(case_no=case_no, reason="申请人撤回", clerk=lisi),
        "void": lambda: w2.void_case(case_no=case_no, reason="误录", clerk=lisi),
        "pause": lambda: w2.pause_clock(case_no=case_no, reason="现场核查", clerk=lisi),
    }
    for what, attempt in attempts.items():
        with pytest.raises(CaseLeased, match="张敏，01 号窗口正在办理此件"):
            attempt()
        assert state() == before, what
    assert w1.release_lease(case_no=case_no) is True
    assert w2.withdraw_case(case_no=case_no, reason="申请人撤回", clerk=lisi).status == "withdrawn"
    assert w2.sync_round().rejected == 0
