"""The back office against the real centre (PostgreSQL, TLS, the department's own login): a department PC
keeps its link without `init`, staff sign in against the centre's hashes, the inbox is signed or returned,
the review steps go in the matter's order, the decision obeys the state machine; one department can
neither see nor touch another's cases, and a window's login is not a department's."""

from __future__ import annotations

import json

import pytest

from desktop.cli import main
from desktop.core.errors import AuthError, BadInput
from desktop.core.office import OfficeServices, OfficeStaff, decision, is_office_home
from tests.support.central_ops import A
from tests.support.office_loop import (
    DEPT,
    ELSEWHERE,
    OTHER,
    PASSWORD,
    THREE_STEPS,
    TWO_STEPS,
    case_no,
    provision,
    window_sends,
)

B1, B2, B3 = (f"LZ{A}01260212{n:03d}" for n in (1, 2, 3))


@pytest.fixture
def centre(central_url, window):
    c = provision(central_url, window)
    window_sends(c, {1: THREE_STEPS, 2: TWO_STEPS, 3: THREE_STEPS, 4: ELSEWHERE},
                 {B1: ([1, 2], DEPT), B2: ([3], DEPT), B3: ([4], OTHER)})
    return c


@pytest.fixture
def office(tmp_path, centre, central_ca):
    svc = OfficeServices(tmp_path / "dept")
    svc.configure(central_url=centre.dept_url, ca_cert=central_ca)
    yield svc
    svc.close()


@pytest.fixture
def other_office(tmp_path, centre, central_ca):
    svc = OfficeServices(tmp_path / "other")
    svc.configure(central_url=centre.other_url, ca_cert=central_ca)
    yield svc
    svc.close()


APPROVE = decision("approve", doc_name="准予迁移决定书", doc_no="沪公(迁)字〔2026〕1号", e_licence_ref="EL-1", copies=2)


def test_the_link_is_kept_in_the_data_folder_without_init(office, central_ca):
    home = office.home
    assert is_office_home(home) and not (home / "yichuang.db").exists()
    settings = json.loads((home / "office.json").read_text(encoding="utf-8"))
    assert settings["department"] == DEPT and settings["centre_code"] == A
    assert ":" not in settings["central_url"].split("@")[0].split("//")[1]  # no password in the settings
    secrets = json.loads((home / "secrets" / "central.json").read_text(encoding="utf-8"))  # it is kept apart
    assert [k for k in secrets if k.startswith("office-yc_d_")] and all(secrets.values())
    assert (home / "central-ca.pem").read_bytes() == central_ca.read_bytes()
    assert oct((home / "central-ca.pem").stat().st_mode & 0o777) == "0o600"
    again = OfficeServices(home)  # a later run: the stored URL, password and CA
    try:
        assert again.info().department == DEPT
    finally:
        again.close()


def test_sign_review_in_order_and_decide(office):
    staff = office.sign_in(login="s1", password=PASSWORD)
    inbox = {b.batch_no: b for b in office.inbox(staff=staff)}
    assert set(inbox) == {B1, B2}  # B3 goes to the other department
    assert inbox[B1].state == "sent" and [c.case_no for c in inbox[B1].cases] == [case_no(1), case_no(2)]
    assert office.cases(staff=staff) == []  # nothing signed for yet

    with pytest.raises(BadInput):  # no decision before the batch is signed for
        office.decide(staff=staff, case_no=case_no(1), decision=APPROVE)
    office.sign(staff=staff, batch_no=B1)
    with pytest.raises(BadInput):  # signed once, not twice
        office.sign(staff=staff, batch_no=B1)
    cases = {c.case_no: c for c in office.cases(staff=staff)}
    assert set(cases) == {case_no(1), case_no(2)}
    assert cases[case_no(1)].review_steps == ("handle", "review", "decide")
    assert cases[case_no(1)].next_step == "handle" and cases[case_no(1)].status == "signed"
    assert cases[case_no(2)].review_steps == ("handle", "decide")

    with pytest.raises(BadInput):  # only the next step
        office.review(staff=staff, case_no=case_no(1), step="review", opinion="审核同意")
    with pytest.raises(BadInput):  # not before the steps are done
        office.decide(staff=staff, case_no=case_no(1), decision=APPROVE)
    with pytest.raises(BadInput, match="E_STEP_DECIDE"):
        office.review(staff=staff, case_no=case_no(1), step="decide", opinion="同意")
    office.review(staff=staff, case_no=case_no(1), step="handle", opinion="材料齐全，拟同意")
    with pytest.raises(BadInput, match="E_SAME_OFFICER"):  # the handler does not check his own work
        office.review(staff=staff, case_no=case_no(1), step="review", opinion="审核同意")
    s2 = office.sign_in(login="s2", password=PASSWORD)
    office.review(staff=s2, case_no=case_no(1), step="review", opinion="审核同意")
    assert {c.case_no: c for c in office.cases(staff=staff)}[case_no(1)].next_step == "decide"
    for who in (staff, s2):  # nor decides it, nor does its checker
        with pytest.raises(BadInput, match="E_SAME_OFFICER") as e:
            office.decide(staff=who, case_no=case_no(1), decision=APPROVE)
        assert "承办、审核、决定不能是同一人" in e.value.message
    s3 = office.sign_in(login="s3", password=PASSWORD)
    office.decide(staff=s3, case_no=case_no(1), decision=APPROVE)
    with pytest.raises(BadInput):  # decided: never again (a correction is its own, audited action)
        office.decide(staff=s3, case_no=case_no(1), decision=decision("deny", reason_text="改主意"))

    detail = office.case(staff=staff, case_no=case_no(1))
    assert detail.status == "approved"
    assert detail.decision["doc_no"] == "沪公(迁)字〔2026〕1号" and detail.decision["copies"] == 2
    assert detail.decision["decided_by"] == "s3" and detail.decision["department"] == DEPT
    mine = [s for s in detail.steps if s.department == DEPT]
    assert [s.actor_name for s in mine][-3:] == ["李审", "王核", "张决"]
    assert all(not s.window_no for s in mine)
    assert case_no(1) not in {c.case_no for c in office.cases(staff=staff)}  # decided: out of review


def test_one_review_one_check_matter_goes_from_handling_to_decision(office):
    staff = office.sign_in(login="s1", password=PASSWORD)
    office.sign(staff=staff, batch_no=B1)
    office.review(staff=staff, case_no=case_no(2), step="handle", opinion="符合条件")
    with pytest.raises(BadInput):  # 一审一核 has no 审核 step
        office.review(staff=staff, case_no=case_no(2), step="review", opinion="审核")
    with pytest.raises(BadInput, match="E_SAME_OFFICER"):  # and its handler does not decide it
        office.decide(staff=staff, case_no=case_no(2), decision=decision("deny", reason_text="不符合办理条件"))
    s2 = office.sign_in(login="s2", password=PASSWORD)
    office.decide(staff=s2, case_no=case_no(2), decision=decision("deny", reason_text="不符合办理条件"))
    assert office.case(staff=staff, case_no=case_no(2)).status == "denied"


def test_return_with_a_reason_sends_the_cases_back(office):
    staff = office.sign_in(login="s1", password=PASSWORD)
    with pytest.raises(BadInput, match="E_REQUIRED"):
        office.return_batch(staff=staff, batch_no=B2, reason=" ")
    office.return_batch(staff=staff, batch_no=B2, reason="材料缺页，请补齐后重新流转")
    returned = {b.batch_no: b for b in office.inbox(staff=staff)}[B2]
    assert returned.state == "returned" and returned.return_reason == "材料缺页，请补齐后重新流转"
    with pytest.raises(BadInput):  # returned: it cannot be signed any more
        office.sign(staff=staff, batch_no=B2)
    assert case_no(3) not in {c.case_no for c in office.cases(staff=staff)}


# ---- people kept apart -------------------------------------------------------------------------------
def test_a_department_cannot_read_or_touch_another_departments_cases(office, other_office):
    mine = office.sign_in(login="s1", password=PASSWORD)
    theirs = other_office.sign_in(login="o1", password=PASSWORD)
    office.sign(staff=mine, batch_no=B1)
    assert {b.batch_no for b in other_office.inbox(staff=theirs)} == {B3}
    assert other_office.cases(staff=theirs) == []
    with pytest.raises(BadInput) as foreign:
        other_office.case(staff=theirs, case_no=case_no(1))
    with pytest.raises(BadInput) as missing:
        other_office.case(staff=theirs, case_no=case_no(99))
    assert foreign.value.code == missing.value.code == "E_OFFICE_CASE"  # the same answer as a missing case
    for attempt in (lambda: other_office.sign(staff=theirs, batch_no=B2),
                    lambda: other_office.review(staff=theirs, case_no=case_no(1), step="review", opinion="x"),
                    lambda: other_office.decide(staff=theirs, case_no=case_no(2), decision=APPROVE)):
        with pytest.raises(BadInput):
            attempt()
    assert {b.batch_no: b.state for b in office.inbox(staff=mine)}[B2] == "sent"
    assert {c.case_no: c.next_step for c in office.cases(staff=mine)}[case_no(1)] == "handle"


def test_staff_of_another_department_cannot_sign_in_nor_act_here(office):
    with pytest.raises(AuthError, match="E_LOGIN"):  # o1 is not in this department's staff list
        office.sign_in(login="o1", password=PASSWORD)
    forged = OfficeStaff(login="o1", name="赵市", staff_no="O1")  # skipping the local check: the centre refuses
    with pytest.raises(BadInput, match="E_OFFICE_STAFF"):
        office.inbox(staff=forged)
    with pytest.raises(BadInput, match="E_OFFICE_STAFF"):
        office.sign(staff=forged, batch_no=B1)
    with pytest.raises(BadInput, match="E_OFFICE_STAFF"):  # nor a window clerk's login
        office.sign(staff=OfficeStaff(login="zhangsan", name="张三", staff_no="A1"), batch_no=B1)


def test_the_hello_sends_only_backoffice_staff_of_this_department(office):
    staff = {s["login"] for s in office.hello(refresh=True)["staff"]}
    assert staff == {"s1", "s2", "s3"}


def test_a_window_login_is_not_a_department(tmp_path, centre, central_ca):
    svc = OfficeServices(tmp_path / "w")
    try:
        with pytest.raises(BadInput):
            svc.configure(central_url=centre.window_url.split("?")[0] + "?sslmode=verify-full", ca_cert=central_ca)
    finally:
        svc.close()
    assert not is_office_home(tmp_path / "w")


def test_five_wrong_passwords_lock_the_staff_login(office):
    for _ in range(4):
        with pytest.raises(AuthError, match="E_LOGIN"):
            office.sign_in(login="s1", password="wrong-pass")
    with pytest.raises(AuthError, match="E_LOCKED"):
        office.sign_in(login="s1", password="wrong-pass")
    with pytest.raises(AuthError, match="E_LOCKED"):
        office.sign_in(login="s1", password=PASSWORD)
    assert office.sign_in(login="s2", password=PASSWORD).login == "s2"  # another person still may


# ---- the command line --------------------------------------------------------------------------------
def run(capsys, *args: str):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_cli_round_trip(capsys, monkeypatch, tmp_path, centre, central_ca):
    home = str(tmp_path / "cli-dept")
    monkeypatch.setenv("YICHUANG_PASSWORD", PASSWORD)
    who = ("--clerk", "s1")
    rc, out, err = run(capsys, "--home", home, "office", "--central", centre.dept_url, "--ca-cert", str(central_ca),
                       "inbox", *who)
    assert rc == 0, err
    assert {b["batch_no"] for b in out} == {B1, B2}
    assert "password_hash" not in json.dumps(out)
    # later calls omit --central and --ca-cert
    rc, out, err = run(capsys, "--home", home, "office", "sign", B1, *who)
    assert rc == 0 and out["batch_no"] == B1, err
    rc, out, err = run(capsys, "--home", home, "office", "review", case_no(1), "--step", "decide", "--opinion", "x",
                       *who)
    assert rc == 2 and "yichuang office decide" in err
    for step, login in (("handle", "s1"), ("review", "s2")):  # 承办 and 审核: two people
        rc, out, err = run(capsys, "--home", home, "office", "review", case_no(1), "--step", step, "--opinion",
                           "同意", "--clerk", login)
        assert rc == 0 and out["step"] == step, err
    decide = ("--home", home, "office", "decide", case_no(1), "approve", "--doc-name", "决定书", "--doc-no",
              "沪〔2026〕7号", "--e-licence", "EL-7", "--copies", "3")
    rc, out, err = run(capsys, *decide, "--clerk", "s2")  # the checker does not decide: exit 2, in Chinese
    assert rc == 2 and "E_SAME_OFFICER" in err and "不能是同一人" in err and out is None
    rc, out, err = run(capsys, *decide, "--clerk", "s3")
    assert rc == 0 and out["decision"] == {"decision": "approve", "doc_name": "决定书", "doc_no": "沪〔2026〕7号",
                                           "e_licence_ref": "EL-7", "copies": 3}, err
    rc, out, err = run(capsys, "--home", home, "office", "decide", case_no(1), "deny", "--reason", "再来",
                       "--clerk", "s3")
    assert rc == 2 and "错误" in err  # decided already: refused by the centre, in Chinese
    rc, out, err = run(capsys, "--home", home, "office", "case", case_no(1), *who)
    assert rc == 0 and out["status"] == "approved"
    rc, out, err = run(capsys, "--home", home, "office", "return", B2, "--reason", "缺材料", *who)
    assert rc == 0 and out["reason"] == "缺材料"
    rc, out, err = run(capsys, "--home", home, "office", "cases", *who)
    assert rc == 0 and [c["case_no"] for c in out] == [case_no(2)]
    monkeypatch.setenv("YICHUANG_PASSWORD", "wrong-pass")
    rc, out, err = run(capsys, "--home", home, "office", "inbox", *who)
    assert rc == 2 and "E_LOGIN" in err and out is None
