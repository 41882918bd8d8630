"""The loop at the centre (c0006): any window continues any case of its centre, leases, the department's
office API and the case state machine, each rule tried by the one who should be refused."""

from __future__ import annotations

import json

import pytest

from db.central import (
    CentralRefused,
    OfficeClient,
    OfficeRefused,
    UnknownBatch,
    UnknownCase,
    UnknownStaff,
    decide_case,
    freeze_op,
    upsert_user,
)
from desktop.cli import main
from tests.support.central_ops import A, B, admin_scalar, case_payload
from tests.support.loop_central import APPROVE, CIVIL, POLICE, VERSION, Loop, batch, no, op, steps


@pytest.fixture
def loop(central_url, window, central_ca) -> Loop:
    return Loop(central_url, window, central_ca)


# ---- the state machine ----------------------------------------------------------------------------------
def test_a_decision_needs_an_accepted_signed_reviewed_undecided_case(loop):
    never = no(A, "01", 9)
    assert loop.push(op(A, "01", 9, outcome="notice"))[0]["status"] == "applied"
    with pytest.raises(OfficeRefused, match="未受理") as e:
        decide_case(loop.url, never, "approved")
    assert e.value.technical == f"case {never} was never accepted (outcome notice)"
    with loop.office() as o, pytest.raises(OfficeRefused, match="未受理"):
        o.decide("wang", never, APPROVE)
    with pytest.raises(OfficeRefused, match="无效"):
        decide_case(loop.url, never, "result_ready")

    fresh = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    with pytest.raises(OfficeRefused, match="尚未由部门签收"):
        decide_case(loop.url, fresh, "approved")
    with loop.office() as o, pytest.raises(OfficeRefused, match="尚未由部门签收"):
        o.decide("wang", fresh, APPROVE)

    case_no = loop.signed_case(2)
    with loop.office() as o:
        with pytest.raises(OfficeRefused, match="尚未完成") as e:
            o.decide("wang", case_no, APPROVE)
        assert e.value.technical == f"review step handle of case {case_no} is not done"
        with pytest.raises(OfficeRefused, match="不是审查环节"):
            o.review("wang", case_no, "decide", "同意")
        with pytest.raises(OfficeRefused, match="下一个审查环节是“handle”"):
            o.review("wang", case_no, "review", "同意")
        with pytest.raises(OfficeRefused, match="审查意见不能为空"):
            o.review("wang", case_no, "handle", "  ")
        assert o.review("wang", case_no, "handle", "材料齐全")["next_step"] == "review"
        assert o.review("qian", case_no, "review", "同意承办意见")["next_step"] == "decide"
        with pytest.raises(OfficeRefused, match="文书名称和文号"):
            o.decide("sun", case_no, {"decision": "approve", "doc_name": "", "doc_no": ""})
        decided = o.decide("sun", case_no, APPROVE)
        assert decided["status"] == "approved"
        assert decided["decision"]["doc_no"] == APPROVE["doc_no"] and decided["decision"]["copies"] == 2
        with pytest.raises(OfficeRefused, match="已作出决定"):
            o.decide("wang", case_no, {"decision": "deny", "reason": "改主意"})
        with pytest.raises(OfficeRefused, match="更正决定须说明理由"):
            o.correct_decision("wang", case_no, {"decision": "deny", "reason": "不符合条件"}, " ")
        corrected = o.correct_decision("wang", case_no, {"decision": "deny", "reason": "不符合条件"}, "复核发现错误")
    assert corrected["status"] == "denied" and corrected["decision"]["corrected"] is True
    with pytest.raises(OfficeRefused, match="已作出决定"):
        decide_case(loop.url, case_no, "approved")
    assert [s[0] for s in steps(loop.url, case_no)] == [
        "case.received", "transfer.signed", "review.handle", "review.review", "decision.approved",
        "decision.corrected"]
    assert steps(loop.url, case_no)[-1][1:4] == (None, POLICE, "wang")


def test_admin_decide_obeys_the_state_machine_and_the_cli_exits_2(loop, capsys):
    case_no = loop.signed_case(1)
    assert main(["central", "decide", loop.url, case_no, "result_ready"]) == 2
    assert "无效" in capsys.readouterr().err
    assert main(["central", "decide", loop.url, case_no, "approved", "--note", "准予"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "approved" and out["decision"]["decided_by"] == "admin"
    assert main(["central", "decide", loop.url, case_no, "denied"]) == 2
    assert "已作出决定" in capsys.readouterr().err
    assert steps(loop.url, case_no)[-1][:4] == ("decision.approved", None, POLICE, "admin")


def test_one_time_review_matter_has_two_steps(loop):
    case_no = no(A, "01", 3)
    loop.push(op(A, "01", 3, matter_code="SH-MZ-002"), batch(A, "01", 3, [case_no], department=CIVIL))
    with loop.office(A, CIVIL) as o:
        o.sign("li", f"LZ{A}01260212003")
        [listed] = o.cases("li")
        assert (listed["review_steps"], listed["next_step"]) == (["handle", "decide"], "handle")
        assert o.review("li", case_no, "handle", "符合条件")["next_step"] == "decide"
        assert o.decide("zhou", case_no, {"decision": "deny", "reason": "材料不实"})["status"] == "denied"
        assert o.cases("li") == []


# ---- windows continue any case of their centre ---------------------------------------------------------------
def test_window_02_continues_window_01s_case_and_a_stale_version_names_the_winner(loop, central_url):
    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    step = {"event": "case.supplemented", "window_no": "01", "clerk_login": "zhangmin", "clerk_name": "张敏",
            "at": "2026-02-13T09:00:00+08:00", "backup_for": ""}
    claims_02 = dict(case_payload(A, "01", 1, version=2, catalogue_version=VERSION), window_no="02")
    [wrong_origin] = loop.push(freeze_op("case.upsert", claims_02), window_no="02")
    assert wrong_origin["reason"] == f"window_no of case {case_no} is its origin window 01, this op carries 02"
    [applied] = loop.push(op(A, "01", 1, version=2, step=step), window_no="02")
    assert applied["status"] == "applied" and applied["result"]["action"] == "updated"
    assert steps(central_url, case_no)[-1] == ("case.supplemented", "02", None, "zhangmin", 2)  # the login's window
    [stale] = loop.push(op(A, "01", 1, version=2, note="01 offline"))
    assert stale["status"] == "rejected"
    assert stale["reason"] == (f"stale version: the centre has version 2 of case {case_no} "
                               "(last changed by window 02), this op carries 2")
    [other_centre] = loop.push(op(A, "01", 1, version=3), centre=B)
    assert other_centre["status"] == "rejected"
    assert admin_scalar(central_url, "SELECT window_no || last_window_no || version FROM yc.cases") == "01022"


def test_a_lease_held_by_01_blocks_02_until_released(loop):
    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    with loop.window(A, "01") as w1, loop.window(A, "02") as w2:
        mine = w1.lease_case(case_no, "zhangmin", "张敏")
        assert mine["granted"] is True and mine["until"]
        refused = w2.lease_case(case_no, "lisi", "李四")
        assert refused["granted"] is False
        assert (refused["holder"]["window_no"], refused["holder"]["clerk_name"]) == ("01", "张敏")
        [blocked] = w2.push([op(A, "01", 1, version=2)])
        assert blocked["status"] == "rejected"
        assert blocked["reason"].startswith(f"case {case_no} is being handled by window 01 (张敏) until ")
        assert w1.lease_case(case_no, "zhangmin", "张敏")["granted"] is True  # the holder renews
        assert w1.push([op(A, "01", 1, version=2)])[0]["status"] == "applied"  # the holder pushes
        assert w2.release_case(case_no) == {"released": False}  # not 02's to release
        assert w1.release_case(case_no) == {"released": True}
        assert w2.lease_case(case_no, "lisi", "李四")["granted"] is True
        assert w2.push([op(A, "01", 1, version=3)])[0]["status"] == "applied"
        assert w2.lease_case(no(A, "02", 77), "lisi", "李四") == {"granted": True, "unknown": True}
    with loop.window(B, "01") as other:  # another centre's case is unknown there, and nothing is held
        assert other.lease_case(case_no, "x", "x") == {"granted": True, "unknown": True}
    assert admin_scalar(loop.url, "SELECT count(*) FROM yc.case_leases") == 1


def test_window_statuses_delivered_withdrawn_voided(loop):
    received = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    [early] = loop.push(op(A, "01", 1, version=2, status="delivered"))
    assert early["reason"] == f"case {received} cannot be delivered: it is received, not decided"
    assert loop.push(op(A, "01", 1, version=2, status="approved"))[0]["status"] == "applied"  # ignored
    assert admin_scalar(loop.url, "SELECT status FROM yc.cases WHERE case_no = %s", (received,)) == "received"
    assert loop.push(op(A, "01", 1, version=3, status="withdrawn"))[0]["status"] == "applied"
    decided = loop.signed_case(2)
    decide_case(loop.url, decided, "approved")
    [late] = loop.push(op(A, "01", 2, version=2, status="voided"), window_no="02")
    assert late["reason"] == f"case {decided} cannot be voided: it is approved already"
    assert loop.push(op(A, "01", 2, version=2, status="delivered"), window_no="02")[0]["status"] == "applied"
    on_the_spot = loop.push(op(A, "01", 4, outcome="completed", status="delivered"))  # 当场办结
    assert on_the_spot[0]["status"] == "applied"


# ---- transfers -------------------------------------------------------------------------------------------
def test_a_window_cannot_sign_or_return_its_batch_and_a_case_sits_in_one_open_batch(loop):
    case_no = no(A, "01", 1)
    loop.push(op(A, "01", 1))
    for state in ("signed", "returned"):
        [answer] = loop.push(batch(A, "01", 1, [case_no], state=state))
        assert (answer["status"], answer["reason"]) == ("rejected", "a window cannot sign or return its own batch")
    assert loop.push(batch(A, "01", 1, [case_no]))[0]["status"] == "applied"
    [twice] = loop.push(batch(A, "02", 1, [case_no]), window_no="02")  # any window may batch the case, once
    assert twice["reason"] == f"case {case_no} is in batch LZ{A}01260212001 already"
    [wrong_dept] = loop.push(batch(A, "02", 2, [case_no], department=CIVIL), window_no="02")
    assert wrong_dept["reason"] == f"case {case_no} is for department {POLICE}, not {CIVIL}"
    with loop.office() as o:
        with pytest.raises(OfficeRefused, match="退回须说明理由"):
            o.return_batch("wang", f"LZ{A}01260212001", "")
        o.return_batch("wang", f"LZ{A}01260212001", "材料缺页")
        with pytest.raises(OfficeRefused, match="只能签收或退回已发送的批次"):
            o.sign("wang", f"LZ{A}01260212001")
    [after] = loop.push(batch(A, "01", 1, [case_no], version=2))
    assert after["reason"] == f"batch LZ{A}01260212001 was returned by the department already"
    assert loop.push(batch(A, "02", 1, [case_no]), window_no="02")[0]["status"] == "applied"  # back in the pile


def test_the_transfers_and_cases_streams(loop):
    first, second = no(A, "01", 1), no(A, "01", 2)
    loop.push(op(A, "01", 1), op(A, "01", 2), batch(A, "01", 1, [first]), batch(A, "01", 2, [second]))
    with loop.office() as o:
        o.sign("wang", f"LZ{A}01260212001")
        o.return_batch("wang", f"LZ{A}01260212002", "缺身份证复印件")
    loop.push(op(A, "01", 1, version=2), window_no="02")
    with loop.window(A, "02") as w:
        transfers = w.pull("transfers", 0)["rows"]
        cases = w.pull("cases", 0)["rows"]
        paged = [w.pull("cases", 0, limit=1)["rows"]]
        paged.append(w.pull("cases", paged[0][-1]["seq"], limit=5)["rows"])
    latest = {r["key"]: r["data"] for r in transfers}
    signed, returned = latest[f"LZ{A}01260212001"], latest[f"LZ{A}01260212002"]
    assert (signed["state"], signed["signed_by_name"], signed["version"], signed["case_nos"]) == (
        "signed", "部门wang", 2, [first])
    assert (returned["state"], returned["return_reason"], returned["signed_by_name"]) == (
        "returned", "缺身份证复印件", None)
    assert [r["key"] for r in cases] == [second, first]  # one row per case, newest change last
    one = cases[1]["data"]
    assert (one["version"], one["status"], one["batch_no"], one["last_window_no"]) == (2, "signed",
                                                                                      f"LZ{A}01260212001", "02")
    assert [(s["event"], s["window_no"], s["department"]) for s in one["steps"]] == [
        ("case.received", "01", None), ("transfer.signed", None, POLICE), ("case.updated", "02", None)]
    assert one["payload"]["version"] == 2 and one["decision"] is None
    assert (cases[0]["data"]["status"], cases[0]["data"]["batch_no"]) == ("received", None)
    assert [r["key"] for page in paged for r in page] == [second, first]
    with loop.window(B, "01") as other:
        assert other.pull("cases", 0)["rows"] == [] and other.pull("transfers", 0)["rows"] == []


# ---- who may see and do what -------------------------------------------------------------------------------
def test_a_department_sees_only_its_own_centres_and_departments_cases(loop):
    police = loop.signed_case(1)
    civil = no(A, "01", 2)
    loop.push(op(A, "01", 2, matter_code="SH-MZ-002"), batch(A, "01", 2, [civil], department=CIVIL))
    theirs = no(B, "01", 1)
    loop.push(op(B, "01", 1), batch(B, "01", 1, [theirs]), centre=B)
    with loop.office(A, CIVIL) as o:
        with pytest.raises(UnknownCase, match="没有这个办件"):
            o.case("li", police)
        with pytest.raises(UnknownCase):
            o.decide("li", police, APPROVE)
        with pytest.raises(UnknownCase):
            o.review("li", police, "handle", "看看")
        assert [b["batch_no"] for b in o.inbox("li")] == [f"LZ{A}01260212002"]
    with loop.office(A, POLICE) as o:
        assert o.case("wang", police)["status"] == "signed"
        assert [b["batch_no"] for b in o.inbox("wang")] == [f"LZ{A}01260212001"]  # not B's batch to the police
        with pytest.raises(UnknownBatch):
            o.sign("wang", f"LZ{B}01260212001")
        with pytest.raises(UnknownCase):
            o.case("wang", theirs)
    assert admin_scalar(loop.url, "SELECT state FROM yc.transfers WHERE batch_no = %s",
                        (f"LZ{B}01260212001",)) == "sent"


def test_staff_act_only_through_their_own_departments_login(loop):
    case_no = loop.signed_case(1)
    upsert_user(loop.url, {"login": "clerk1", "name": "窗口张", "role": "clerk", "password_hash": "h",
                           "centre_code": A})
    with loop.office(A, CIVIL) as civil:
        for actor in ("wang", "zhao", "clerk1", "nobody"):
            with pytest.raises(UnknownStaff, match="不是本部门的在岗人员"):
                civil.cases(actor)
        with pytest.raises(UnknownStaff):
            civil.review("wang", case_no, "handle", "越权")
        hello = civil.hello()
    assert (hello["centre_code"], hello["department"]) == (A, CIVIL)
    assert [s["login"] for s in hello["staff"]] == ["li", "zhou"]  # no window clerk, no other department
    upsert_user(loop.url, {"login": "wang", "name": "部门wang", "role": "backoffice", "active": False,
                           "centre_code": A, "department": POLICE})
    with loop.office(A, POLICE) as police, pytest.raises(UnknownStaff):
        police.review("wang", case_no, "handle", "已停用")
    assert steps(loop.url, case_no)[-1][0] == "transfer.signed"


def test_a_department_login_calls_only_office_and_a_window_only_sync(loop):
    with loop.office() as o:
        for call in (lambda: o._call("SELECT sync.handshake(5)", ()),
                     lambda: o._call("SELECT sync.pull('cases', 0, 10)", ()),
                     lambda: o._call("SELECT sync.lease_case('x', 'y', 'z')", ()),
                     lambda: o._call("SELECT count(*) FROM yc.cases", ()),
                     lambda: o._call("SELECT admin.decide_case('x', 'approved', NULL)", ())):
            with pytest.raises(CentralRefused, match="权限不足"):
                call()
    with loop.window() as w:
        for call in (lambda: w._call("SELECT office.hello()", ()),
                     lambda: w._call("SELECT office.sign('wang', 'x')", ())):
            with pytest.raises(CentralRefused, match="权限不足"):
                call()
    with loop.window() as w:  # back-office staff never come down to a window
        rows = {r["key"]: r["data"] for r in w.pull("users", 0)["rows"]}
    assert rows["wang"] == {"login": "wang", "active": False}


def test_backoffice_users_need_a_registered_department(loop):
    from db.central import CentralError

    with pytest.raises(CentralError, match="没有部门"):
        upsert_user(loop.url, {"login": "x1", "name": "某", "role": "backoffice", "password_hash": "h",
                               "centre_code": A, "department": "不存在的局"})
    with pytest.raises(CentralError, match="须指定中心"):
        upsert_user(loop.url, {"login": "x2", "name": "某", "role": "backoffice", "password_hash": "h",
                               "department": POLICE})
    with pytest.raises(CentralError, match="只有部门人员"):
        upsert_user(loop.url, {"login": "x3", "name": "某", "role": "clerk", "password_hash": "h",
                               "department": POLICE})


def test_add_department_and_backoffice_user_through_the_cli(central_url, window, central_ca, capsys):
    window(A, "01")
    code = main(["central", "add-department", central_url, "--centre", A, "--department", POLICE,
                 "--ca-cert", str(central_ca)])
    out, err = capsys.readouterr()
    assert code == 0, err
    shown = json.loads(out)
    assert set(shown) == {"url", "ca_cert", "department", "centre"}
    assert (shown["department"], shown["centre"]) == (POLICE, A)
    assert shown["url"].endswith("?sslmode=verify-full") and "BEGIN CERTIFICATE" in shown["ca_cert"]
    code = main(["central", "add-user", central_url, "wang", "--password", "pass12345", "--name", "王审",
                 "--staff-no", "B01", "--role", "backoffice", "--centre", A, "--department", POLICE])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    with OfficeClient(shown["url"], ca_cert=central_ca) as o:
        hello = o.hello()
    assert (hello["department"], [s["name"] for s in hello["staff"]]) == (POLICE, ["王审"])
    assert main(["central", "add-user", central_url, "w2", "--password", "pass12345", "--name", "王",
                 "--staff-no", "B02", "--role", "backoffice", "--centre", A]) == 2
    assert "--department" in capsys.readouterr().err
    assert main(["central", "add-department", central_url, "--centre", "999999", "--department", POLICE,
                 "--ca-cert", str(central_ca)]) == 2
    assert "尚未登记" in capsys.readouterr().err
