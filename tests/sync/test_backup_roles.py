"""AB角 against the real central PostgreSQL: a supervisor at window 01 names 李四 the backup (B角) of 张敏 for
three days; the assignment goes up as `backup.assigned`, comes down the `backups` stream to window 02, where
李四 continues 张敏's case: the centre's step says backup_for demo, the documents say B角（代 张敏）. Outside
the period 李四 is just a clerk. A clerk cannot assign; the centre refuses a bad assignment."""

from __future__ import annotations

import uuid
from datetime import timedelta

import psycopg
import pytest

from db.central import CentralClient, _libpq_url, freeze_op, upsert_user
from desktop.core.catalogue import storage
from desktop.core.documents.verify import pdf_lines
from desktop.core.errors import AuthError, BadInput
from desktop.core.services import Services, init_store
from tests.support.central_ops import A, publish_store_catalogues
from tests.support.factories import TEST_CATALOGUE, residence_permit_intake

CENTRE = "310104"


@pytest.fixture
def w1(services, window, central_url):
    url = window(CENTRE, "01", centre_name="徐汇区行政服务中心", catalogue=None)
    publish_store_catalogues(central_url, services)
    admin = services.login(login="admin", password="admin1234")
    services.add_user(login="lisi", password="lisi12345", name="李四", staff_no="B0202", role="clerk", actor=admin)
    services.set_central(url=url)
    return services


@pytest.fixture
def w2(tmp_path, clock, window, w1):
    home = tmp_path / "w2"
    init_store(home, centre_code=CENTRE, window_no="02", centre_name="徐汇区行政服务中心", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    storage.import_catalogue(svc.store, TEST_CATALOGUE.read_text(encoding="utf-8"), actor=None)
    admin = svc.login(login="admin", password="admin1234")
    svc.add_user(login="lisi", password="lisi12345", name="李四", staff_no="B0202", role="clerk", actor=admin)
    svc.set_central(url=window(CENTRE, "02", centre_name="徐汇区行政服务中心", catalogue=None))
    yield svc
    svc.close()


def _steps(central_url, case_no):
    with psycopg.connect(_libpq_url(central_url)) as con:
        return con.execute("SELECT event, window_no, actor_login, detail->>'backup_for' FROM yc.case_steps "
                           "WHERE case_no = %s ORDER BY id", (case_no,)).fetchall()


def _text(doc) -> str:
    return "\n".join(pdf_lines(open(doc.path, "rb").read()))


def test_a_backup_named_at_window_01_continues_the_absent_clerks_case_at_window_02(w1, w2, clerk, clock,
                                                                                    central_url):
    supervisor = w1.login(login="super", password="super1234")
    today = clock.now.date()
    record = w1.assign_backup(clerk_login="demo", backup_login="lisi", date_from=today,
                              date_to=today + timedelta(days=2), by=supervisor)
    in_period = w1.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk).case_no
    later = w1.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk).case_no
    assert w1.sync_round().rejected == 0
    with psycopg.connect(_libpq_url(central_url)) as con:
        row = con.execute("SELECT clerk_login, backup_login, date_from, date_to, assigned_by, window_no "
                          "FROM yc.backups WHERE id = %s", (record.id,)).fetchone()
    assert row == ("demo", "lisi", today, today + timedelta(days=2), "super", "01")

    w2.sync_round()
    [pulled] = w2.backup_clerks()
    assert (pulled.id, pulled.clerk_name, pulled.backup_name) == (record.id, "张敏", "李四")
    assert w2.backup_clerks(on=today + timedelta(days=3)) == []

    lisi = w2.login(login="lisi", password="lisi12345")
    result = w2.supplement_case(case_no=in_period, materials={"M2": "paper"}, clerk=lisi)
    texts = ["".join(line.strip() for line in _text(d).splitlines()) for d in result.documents]
    assert texts and all("李四（工号 B0202） B角（代 张敏）" in t for t in texts), texts
    reprinted = w2.reprint(case_no=in_period, kind=result.documents[0].kind, clerk=lisi)
    assert "B角（代 张敏）" in _text(reprinted)  # a 补打 names the original print's clerk, as B角
    assert w2.verify_documents(case_no=in_period) == []
    assert w2.sync_round().rejected == 0
    assert _steps(central_url, in_period)[-1] == ("supplemented", "02", "lisi", "demo")

    clock.now = clock.now + timedelta(days=3)  # the period is over: 李四 is just a clerk
    w2.sync_round()
    result = w2.supplement_case(case_no=later, materials={"M2": "paper"}, clerk=lisi)
    assert all("B角" not in _text(d) and "李四（工号 B0202）" in _text(d) for d in result.documents)
    assert w2.verify_documents(case_no=in_period) == []  # the earlier prints still say B角: as printed
    assert w2.sync_round().rejected == 0
    assert _steps(central_url, later)[-1] == ("supplemented", "02", "lisi", "")


def test_outside_the_period_the_backup_may_not_reprint_the_absent_clerks_case(w1, w2, clerk, clock):
    supervisor = w1.login(login="super", password="super1234")
    tomorrow = clock.now.date() + timedelta(days=1)
    w1.assign_backup(clerk_login="demo", backup_login="lisi", date_from=tomorrow, date_to=tomorrow, by=supervisor)
    case_no = w1.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    w1.sync_round()
    w2.sync_round()
    lisi = w2.login(login="lisi", password="lisi12345")
    with pytest.raises(AuthError) as e:  # not yet
        w2.reprint(case_no=case_no, kind="voucher", clerk=lisi)
    assert e.value.code == "E_REPRINT_ROLE"
    clock.now = clock.now + timedelta(days=1)
    doc = w2.reprint(case_no=case_no, kind="voucher", clerk=lisi)  # the first print of it at window 02
    assert "B角（代 张敏）" in "".join(line.strip() for line in _text(doc).splitlines())
    clock.now = clock.now + timedelta(days=1)
    with pytest.raises(AuthError):  # over
        w2.reprint(case_no=case_no, kind="voucher", clerk=lisi)


def test_a_clerk_cannot_name_a_backup_and_bad_assignments_store_nothing(w1, clerk, clock):
    today = clock.now.date()
    with pytest.raises(AuthError):
        w1.assign_backup(clerk_login="demo", backup_login="lisi", date_from=today, date_to=today, by=clerk)
    supervisor = w1.login(login="super", password="super1234")
    for kw, code in (({"backup_login": "demo"}, "E_BACKUP_SELF"),
                     ({"backup_login": "nobody"}, "E_BACKUP_USER"),
                     ({"date_to": today - timedelta(days=1)}, "E_BACKUP_PERIOD"),
                     ({"date_to": today + timedelta(days=400)}, "E_BACKUP_PERIOD"),
                     ({"date_from": "2026-13-01"}, "E_DATE")):
        args = {"clerk_login": "demo", "backup_login": "lisi", "date_from": today, "date_to": today, **kw}
        with pytest.raises(BadInput) as e:
            w1.assign_backup(by=supervisor, **args)
        assert e.value.code == code, kw
    assert w1.backup_clerks() == []
    assert w1.sync_round().rejected == 0


def test_the_command_line_refuses_a_clerk_with_exit_2(w1, home, monkeypatch, capsys):
    from desktop.cli import main

    def yc(user, password, *args):
        monkeypatch.setenv("YICHUANG_PASSWORD", password)
        code = main(["--home", str(home), "backup-clerk", *args, "--clerk", user])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, err = yc("demo", "demo1234", "assign", "demo", "lisi", "--from", "2026-11-23", "--to", "2026-11-25")
    assert code == 2 and out == "" and err.strip()
    code, out, _ = yc("super", "super1234", "assign", "demo", "lisi", "--from", "2026-11-23", "--to", "2026-11-20")
    assert code == 2 and out == ""
    code, out, _ = yc("super", "super1234", "assign", "demo", "lisi", "--from", "2026-11-23", "--to", "2026-11-25")
    assert code == 0 and '"backup_name": "李四"' in out
    code, out, _ = yc("demo", "demo1234", "list")
    assert code == 0 and '"clerk": "demo"' in out


def test_the_centre_refuses_a_bad_assignment(window, central_url):
    url = window(A, "07")
    upsert_user(central_url, {"login": "clerk07", "name": "周七", "role": "clerk", "centre_code": A,
                              "password_hash": "x"})

    def op(**over):
        payload = {"id": str(uuid.uuid4()), "centre_code": A, "window_no": "07", "clerk_login": "demo",
                   "backup_login": "lisi", "date_from": "2026-11-23", "date_to": "2026-11-25",
                   "assigned_by": "super", "assigned_at": "2026-11-23T09:30:00+08:00", **over}
        return freeze_op("backup.assigned", payload)

    good = op()
    bad = [op(date_to="2026-11-01"), op(backup_login="demo"), op(assigned_by="clerk07"), op(window_no="01"),
           op(date_to="2028-01-01"), op(id="not-a-uuid")]
    with CentralClient(url) as client:
        answers = client.push([good, *bad])
    assert answers[0]["status"] == "applied", answers[0]
    reasons = [a.get("reason", "") for a in answers[1:]]
    assert all(a["status"] == "rejected" for a in answers[1:]), answers
    assert "after date_to" in reasons[0] and "own backup" in reasons[1] and "only a supervisor" in reasons[2]
    assert "centre mismatch" in reasons[3] and "at most" in reasons[4] and "uuid" in reasons[5]
    with psycopg.connect(_libpq_url(central_url)) as con:
        assert con.execute("SELECT count(*) FROM yc.backups").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM yc.changes WHERE stream = 'backups'").fetchone()[0] == 1
