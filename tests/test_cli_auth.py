"""People are who they say (issue 8, item 10): every command that acts for a person takes --clerk and that
person's password; roles per command; lockout; argon2id; an approver's own password; user changes audited."""

from __future__ import annotations

import json
import statistics
import time
from datetime import timedelta
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.auth import legacy_pbkdf2_hash
from desktop.core.errors import AuthError
from tests.support.factories import DATA, enterprise, residence_permit_intake
from tests.support.rawdb import connect_store

PASSWORDS = {"demo": "demo1234", "super": "super1234", "admin": "admin1234"}


def run(capsys, home: Path, *args: str) -> tuple[int, object, str]:
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def _sql(home: Path, query: str, *params) -> list[tuple]:
    con = connect_store(home)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def _cases(home: Path) -> int:
    return _sql(home, "select count(*) from cases")[0][0]


@pytest.fixture
def intake_file(tmp_path) -> Path:
    f = tmp_path / "intake.json"
    f.write_text(json.dumps(residence_permit_intake(), ensure_ascii=False), encoding="utf-8")
    return f


@pytest.fixture
def as_user(monkeypatch):
    def use(login: str, password: str | None = None) -> tuple[str, str]:
        monkeypatch.setenv("YICHUANG_PASSWORD", password if password is not None else PASSWORDS[login])
        return "--clerk", login
    return use


def _person_commands(tmp_path: Path, intake_file: Path) -> dict[str, list[str]]:
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps({"years": [2030], "days": [{"date": "2030-01-01", "kind": "holiday", "name": "元旦"}]}),
                   encoding="utf-8")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n%%EOF\n")
    return {
        "intake": ["intake", str(intake_file)],
        "reprint": ["reprint", "3101040126112300019"],
        "reprint_owed": ["reprint", "--owed"],
        "attach": ["attach", "3101040126112300019", "M2", str(scan)],
        "catalogue_import": ["catalogue", "import", str(DATA / "catalogue_test.json")],
        "calendar_import": ["calendar", "import", str(cal)],
        "user_add": ["user", "add", "x0001", "--password", "pass12345", "--name", "某人", "--staff-no", "X1"],
        "user_unlock": ["user", "unlock", "demo"],
        "report": ["report", "daily", "--out", str(tmp_path / "r.pdf")],
        "worklist": ["worklist"],
    }


@pytest.mark.parametrize("command", ["intake", "reprint", "reprint_owed", "attach", "catalogue_import",
                                     "calendar_import", "user_add", "user_unlock", "report", "worklist"])
def test_a_command_acting_for_a_person_needs_that_persons_password(home, tmp_path, capsys, monkeypatch,
                                                                   intake_file, command):
    monkeypatch.delenv("YICHUANG_PASSWORD", raising=False)
    args = _person_commands(tmp_path, intake_file)[command]
    users_before = _sql(home, "select login, password_hash from users order by login")
    # no --clerk at all: the window's default user (demo) no longer acts without a password
    code, out, err = run(capsys, home, *args)
    assert code == 2 and out is None and "--clerk" in err
    # --clerk, but no password (stdin is not a terminal here, so nobody is asked)
    code, out, err = run(capsys, home, *args, "--clerk", "admin")
    assert code == 2 and out is None and "YICHUANG_PASSWORD" in err
    # the wrong password
    monkeypatch.setenv("YICHUANG_PASSWORD", "not-the-password")
    code, out, err = run(capsys, home, *args, "--clerk", "admin")
    assert code == 2 and out is None and "E_LOGIN" in err
    assert _cases(home) == 0 and not (tmp_path / "r.pdf").exists()
    assert _sql(home, "select login, password_hash from users order by login") == users_before
    failed = _sql(home, "select actor, detail from audit where action = 'login.failed' order by id")
    assert [a for a, _ in failed] == ["?", "admin", "admin"]
    assert "no password" in failed[1][1] and "wrong password" in failed[2][1]


def test_machine_commands_take_no_password(home, capsys, monkeypatch):
    monkeypatch.delenv("YICHUANG_PASSWORD", raising=False)
    assert run(capsys, home, "status")[0] == 0
    assert run(capsys, home, "outbox")[0] == 0
    assert run(capsys, home, "calendar", "add-workdays", "2026-11-23", "3")[0] == 0


@pytest.mark.parametrize(("command", "allowed", "refused"), [
    ("catalogue_import", "admin", "super"),
    ("calendar_import", "super", "demo"),
    ("report", "super", "demo"),
    ("user_add", "admin", "super"),
    ("user_unlock", "super", "demo"),
])
def test_each_command_needs_its_role(home, tmp_path, capsys, intake_file, as_user, command, allowed, refused):
    args = _person_commands(tmp_path, intake_file)[command]
    code, out, err = run(capsys, home, *args, *as_user(refused))
    assert code == 2 and "无权" in err
    assert _sql(home, "select actor from audit where action = 'permission.denied'") == [(refused,)]
    code, out, err = run(capsys, home, *args, *as_user(allowed))
    assert code == 0, err


def test_the_right_clerk_and_password_take_the_intake(home, capsys, intake_file, as_user):
    code, out, err = run(capsys, home, "intake", str(intake_file), *as_user("demo"))
    assert code == 0, err
    assert _sql(home, "select clerk_login from cases") == [("demo",)]


def _override_intake(tmp_path: Path) -> Path:
    bad = enterprise()
    bad["uscc"] = bad["uscc"][:-1] + ("0" if bad["uscc"][-1] != "0" else "1")  # a wrong check character
    intake = {"matter": "T-ENT-001", "applicant": bad, "materials": {},
              "overrides": {"uscc_check": {"by": "super", "reason": "已核对营业执照原件"}}}
    f = tmp_path / "override.json"
    f.write_text(json.dumps(intake, ensure_ascii=False), encoding="utf-8")
    return f


def test_an_override_inside_an_intake_needs_the_approvers_password(home, tmp_path, capsys, monkeypatch, as_user):
    f = _override_intake(tmp_path)
    monkeypatch.delenv("YICHUANG_APPROVER_PASSWORD", raising=False)
    code, out, err = run(capsys, home, "intake", str(f), *as_user("demo"))
    assert code == 2 and "YICHUANG_APPROVER_PASSWORD" in err and _cases(home) == 0
    monkeypatch.setenv("YICHUANG_APPROVER_PASSWORD", "demo1234")  # the clerk's own password is not the approver's
    code, out, err = run(capsys, home, "intake", str(f), *as_user("demo"))
    assert code == 2 and "E_LOGIN" in err and _cases(home) == 0
    monkeypatch.setenv("YICHUANG_APPROVER_PASSWORD", "super1234")
    code, out, err = run(capsys, home, "intake", str(f), *as_user("demo"))
    assert code == 0, err
    assert _cases(home) == 1


def test_user_add_needs_an_admin_except_the_first_user(tmp_path, capsys, monkeypatch, as_user):
    home = tmp_path / "fresh"
    assert main(["--home", str(home), "init", "--centre", "310104", "--window", "03"]) == 0
    capsys.readouterr()
    monkeypatch.delenv("YICHUANG_PASSWORD", raising=False)
    first = ["user", "add", "boss", "--password", "boss12345", "--name", "赵红", "--staff-no", "M0009",
             "--role", "admin"]
    code, out, err = run(capsys, home, *first)
    assert code == 0, err
    second = ["user", "add", "c0001", "--password", "pass12345", "--name", "钱芳", "--staff-no", "C0001"]
    code, out, err = run(capsys, home, *second)
    assert code == 2 and _sql(home, "select count(*) from users") == [(2 - 1,)]
    code, out, err = run(capsys, home, *second, *as_user("boss", "boss12345"))
    assert code == 0, err
    # a clerk may not change anyone, not even raise himself to admin
    code, out, err = run(capsys, home, "user", "add", "c0001", "--password", "pass12345", "--name", "钱芳",
                         "--staff-no", "C0001", "--role", "admin", *as_user("c0001", "pass12345"))
    assert code == 2 and "无权" in err
    assert _sql(home, "select role from users where login = 'c0001'") == [("clerk",)]
    audited = _sql(home, "select actor, action, ref from audit where action like 'user.%' order by id")
    assert audited == [("boss", "user.add", "boss"), ("boss", "user.add", "c0001")]
    queued = _sql(home, "select count(*) from outbox where kind = 'audit.recorded'")[0][0]
    assert queued == 2  # user changes go to the centre as audit records


def test_five_failed_logins_lock_for_15_minutes_and_a_supervisor_unlocks(services, clock, supervisor):
    for _ in range(4):
        with pytest.raises(AuthError) as info:
            services.login(login="demo", password="wrong-password")
        assert info.value.code == "E_LOGIN"
    with pytest.raises(AuthError) as info:
        services.login(login="demo", password="wrong-password")
    assert info.value.code == "E_LOCKED" and "锁定" in info.value.message
    with pytest.raises(AuthError) as info:  # the right password does not open a locked login
        services.login(login="demo", password="demo1234")
    assert info.value.code == "E_LOCKED"
    clock.now += timedelta(minutes=15, seconds=1)
    assert services.login(login="demo", password="demo1234").login == "demo"
    for _ in range(5):
        with pytest.raises(AuthError):
            services.login(login="demo", password="wrong-password")
    clerk_ = services.clerk("demo")
    with pytest.raises(AuthError):
        services.unlock_user(login="demo", actor=clerk_)  # a clerk cannot unlock
    services.unlock_user(login="demo", actor=supervisor)
    assert services.login(login="demo", password="demo1234").login == "demo"
    with services.Reader() as s:
        from db.local.models import AuditEntry

        actions = [(a.actor, a.action) for a in s.query(AuditEntry).order_by(AuditEntry.id)]
    assert actions.count(("demo", "login.locked")) == 2
    assert ("super", "user.unlock") in actions


def test_an_unknown_login_takes_as_long_to_refuse_as_a_known_one(services):
    def timed(login: str) -> float:
        t0 = time.perf_counter()
        with pytest.raises(AuthError):
            services.login(login=login, password="wrong-password")
        return time.perf_counter() - t0

    known, unknown = [], []
    for i in range(4):  # interleaved, below the lockout
        known.append(timed("super"))
        unknown.append(timed(f"nobody{i}"))
    assert statistics.median(unknown) > 0.5 * statistics.median(known), (known, unknown)


def test_passwords_are_argon2id_and_old_pbkdf2_hashes_are_rehashed_at_login(services):
    with services.Session.begin() as s:
        from db.local.models import User

        user = s.get(User, "demo")
        assert user.password_hash.startswith("$argon2id$")
        user.password_hash = legacy_pbkdf2_hash("demo1234", salt=b"0123456789abcdef")
    assert services.login(login="demo", password="demo1234").login == "demo"
    with services.Reader() as s:
        assert s.get(User, "demo").password_hash.startswith("$argon2id$")
