"""`yichuang office ...` on a department PC: bad input is refused with a Chinese message and exit 2 before
anything is sent or stored; staff sign-in locks after five wrong passwords. The commands against the real
centre are in tests/sync/test_office_loop.py (test_cli_round_trip)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from desktop.cli import main
from desktop.core.auth import hash_password
from desktop.core.errors import AuthError
from desktop.core.office import is_office_home, signin
from tests.support.tls import TestCA


def run(capsys, *args: str):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


@pytest.fixture
def dept(tmp_path, monkeypatch):
    monkeypatch.setenv("YICHUANG_PASSWORD", "pass12345")
    return tmp_path / "dept"


def office(home, *args):
    return ("--home", str(home), "office", *args)


@pytest.mark.parametrize(("args", "code", "words"), [
    (("review", "C1", "--step", "decide", "--opinion", "同意"), "E_STEP_DECIDE", "yichuang office decide"),
    (("review", "C1", "--step", "approve", "--opinion", "同意"), "E_STEP", "handle"),
    (("review", "C1", "--step", "handle"), "E_REQUIRED", "审查意见"),
    (("review", "C1", "--step", "handle", "--opinion", "  "), "E_REQUIRED", "审查意见"),
    (("review", "C1", "--step", "handle", "--opinion", "同意\u202e"), "E_FIELD_CONTROL", "审查意见"),
    (("decide", "C1", "approve", "--doc-no", "X1"), "E_REQUIRED", "文书名称"),
    (("decide", "C1", "approve", "--doc-name", "决定书"), "E_REQUIRED", "文号"),
    (("decide", "C1", "approve", "--doc-name", "决定书", "--doc-no", "1", "--copies", "两"), "E_COPIES", "份数"),
    (("decide", "C1", "approve", "--doc-name", "决定书", "--doc-no", "1", "--copies", "0"), "E_COPIES", "份数"),
    (("decide", "C1", "approve", "--doc-name", "决定书", "--doc-no", "1", "--reason", "x"), "E_DECISION_FIELDS",
     "--reason"),
    (("decide", "C1", "deny"), "E_REQUIRED", "不予许可的理由"),
    (("decide", "C1", "deny", "--reason", "不符合条件", "--doc-name", "决定书"), "E_DECISION_FIELDS", "--doc-name"),
    (("decide", "C1", "approved", "--doc-name", "决定书", "--doc-no", "1"), "E_DECISION", "approve"),
    (("return", "B1"), "E_REQUIRED", "退回理由"),
    (("sign", "B 1; DROP"), "E_REF", "批次号"),
    (("inbox",), "E_NO_CLERK", "--clerk"),
])
def test_bad_input_exit_2_nothing_stored(capsys, dept, tmp_path, args, code, words):
    ca = TestCA("bad-input CA").write(tmp_path / "ca.pem")
    rc, out, err = run(capsys, *office(dept, "--central", "postgresql://d@127.0.0.1:1/c", "--ca-cert", str(ca),
                                       *args, "--clerk", "s1") if args != ("inbox",) else
                       office(dept, "--central", "postgresql://d@127.0.0.1:1/c", "--ca-cert", str(ca), *args))
    assert rc == 2, err
    assert out is None
    assert f"错误 {code}：" in err and words in err, err
    assert not is_office_home(dept) and not (dept / "central-ca.pem").exists()  # nothing stored


def test_missing_password_is_refused_before_the_centre(capsys, dept, monkeypatch):
    monkeypatch.delenv("YICHUANG_PASSWORD")
    rc, _, err = run(capsys, *office(dept, "--central", "postgresql://d@127.0.0.1:1/c", "inbox", "--clerk", "s1"))
    assert rc == 2 and "E_NO_PASSWORD" in err and "YICHUANG_PASSWORD" in err
    assert not is_office_home(dept)


def test_no_link_yet_says_how_to_set_it(capsys, dept):
    rc, _, err = run(capsys, *office(dept, "inbox", "--clerk", "s1"))
    assert rc == 2 and "E_NO_CENTRAL" in err and "--central" in err


def test_a_bad_ca_file_or_url_stores_nothing(capsys, dept, tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    rc, _, err = run(capsys, *office(dept, "--central", "postgresql://d@127.0.0.1:1/c", "--ca-cert", str(junk),
                                     "status"))
    assert rc == 2 and "E_CA_CERT" in err
    rc, _, err = run(capsys, *office(dept, "--central", "mysql://x@h/c", "status"))
    assert rc == 2 and "E_CENTRAL_URL" in err
    assert not dept.exists() or not any(p.name in ("office.json", "central-ca.pem") for p in dept.iterdir())


def test_an_unreachable_centre_stores_nothing(capsys, dept, tmp_path):
    """The first --central is kept only once the centre answered over it (exit 1: try again)."""
    ca = TestCA("unreachable CA").write(tmp_path / "ca.pem")
    rc, _, err = run(capsys, *office(dept, "--central", "postgresql://d:secret@127.0.0.1:1/c", "--ca-cert", str(ca),
                                     "inbox", "--clerk", "s1"))
    assert rc == 1 and "E_CENTRAL" in err, err
    assert not is_office_home(dept)
    assert [p.name for p in dept.iterdir() if "ca" in p.name] == []  # the candidate CA was removed
    assert "secret" not in "".join(p.read_text() for p in dept.rglob("*.json"))


def test_a_window_data_folder_is_not_a_department(capsys, home, tmp_path):
    ca = TestCA("window CA").write(tmp_path / "ca.pem")
    rc, _, err = run(capsys, "--home", str(home), "office", "--central", "postgresql://d@127.0.0.1:1/c",
                     "--ca-cert", str(ca), "status")
    assert rc == 2 and "E_OFFICE_HOME" in err
    assert not is_office_home(home)


# ---- staff sign-in: the centre's hashes, the window's lockout ------------------------------------------
STAFF = [{"login": "s1", "name": "李审", "staff_no": "D001", "password_hash": hash_password("pass12345"),
          "active": True},
         {"login": "gone", "name": "离职", "staff_no": "D002", "password_hash": hash_password("pass12345"),
          "active": False}]
NOW = datetime(2026, 3, 10, 9, 30)


def test_sign_in_checks_the_hash_and_says_the_same_for_unknown_inactive_and_wrong(tmp_path):
    staff = signin.sign_in(tmp_path, STAFF, login="s1", password="pass12345", now=NOW)
    assert (staff.login, staff.name, staff.staff_no) == ("s1", "李审", "D001")
    messages = set()
    for login, password in (("nobody", "pass12345"), ("gone", "pass12345"), ("s1", "wrong-one")):
        with pytest.raises(AuthError) as e:
            signin.sign_in(tmp_path, STAFF, login=login, password=password, now=NOW)
        messages.add((e.value.code, e.value.message))
    assert messages == {("E_LOGIN", "工号或密码不正确")}


def test_five_wrong_passwords_lock_the_login_even_for_the_right_one(tmp_path):
    for _ in range(4):
        with pytest.raises(AuthError, match="E_LOGIN"):
            signin.sign_in(tmp_path, STAFF, login="s1", password="wrong-one", now=NOW)
    with pytest.raises(AuthError) as e:
        signin.sign_in(tmp_path, STAFF, login="s1", password="wrong-one", now=NOW)
    assert e.value.code == "E_LOCKED" and "09:45" in e.value.message
    with pytest.raises(AuthError, match="E_LOCKED"):  # the right password while locked: still refused
        signin.sign_in(tmp_path, STAFF, login="s1", password="pass12345", now=NOW + timedelta(minutes=14))
    assert oct((tmp_path / signin.SIGNIN_FILE).stat().st_mode & 0o777) == "0o600"
    staff = signin.sign_in(tmp_path, STAFF, login="s1", password="pass12345", now=NOW + timedelta(minutes=16))
    assert staff.login == "s1"
    with pytest.raises(AuthError, match="E_LOGIN"):  # a success starts the count again
        signin.sign_in(tmp_path, STAFF, login="s1", password="wrong-one", now=NOW + timedelta(minutes=17))


def test_a_success_resets_the_count(tmp_path):
    for _ in range(4):
        with pytest.raises(AuthError):
            signin.sign_in(tmp_path, STAFF, login="s1", password="wrong-one", now=NOW)
    signin.sign_in(tmp_path, STAFF, login="s1", password="pass12345", now=NOW)
    for _ in range(4):
        with pytest.raises(AuthError, match="E_LOGIN"):
            signin.sign_in(tmp_path, STAFF, login="s1", password="wrong-one", now=NOW)
