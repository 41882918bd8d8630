"""`yichuang doctor`: each check against the real thing (CUPS, the centre's PostgreSQL over TLS, the ID card
reader's simulator, the store's chain), all well (exit 0) and each way it can need action (exit 1)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from desktop.cli import main
from desktop.core import config, doctor
from desktop.core.clock import SHANGHAI
from tests.support.clock import MovableClock
from tests.support.idcard_sim import IdCardSim
from tests.support.rawdb import connect_store
from tests.support.tls import TestCA


def by_key(checks):
    return {c.check: c for c in checks}


@pytest.fixture
def clock():
    """The real time (the centre's clock is real: a test clock would read as skew)."""
    return MovableClock(datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0))


@pytest.fixture
def cups_env(private_cups, monkeypatch):
    monkeypatch.setenv("CUPS_SERVER", str(private_cups.socket))
    return private_cups


@pytest.fixture
def linked(services, window, supervisor):
    """The store linked to a real centre (a handshake succeeded), this year's and next year's calendar in,
    a backup made: everything doctor looks at is in order."""
    year = services.clock().year
    services.import_calendar(years=[year, year + 1], rows=[(date(year + 1, 1, 1), "holiday", "元旦")],
                             source="test", actor=supervisor)
    services.sync_round(central_url=window("310104", "01"))  # the outbox is empty after it
    services.set_setting("printer_a4", "CUPS-PDF")
    services.backup()
    return services


def real_now() -> datetime:
    return datetime.now(SHANGHAI)


def test_all_well_exit_0_and_every_line_says_so(home, linked, cups_env, capsys):
    checks = doctor.run_checks(home, store=linked.store, now=real_now())
    bad = [c.line() for c in checks if not c.ok]
    assert bad == [], bad
    keys = [c.check for c in checks]
    assert keys[:2] == ["fonts.cjk", "fonts.fallback"]
    for key in ("printers.a4", "printers.roll", "store.key", "store.integrity", "store.disk", "store.backup",
                "centre.link", "centre.version", "centre.clock", "calendar.this_year", "calendar.next_year",
                "outbox.pending", "outbox.rejected", "chain"):
        assert key in keys
    assert "idcard" not in keys  # no reader configured: not checked
    text = doctor.as_text(checks)
    assert text.startswith("一窗自检：全部正常。") and "CUPS-PDF" in text and "TLS" in text
    capsys.readouterr()
    assert main(["--home", str(home), "doctor"]) == 0  # the command: exit 0, every line [正常]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "一窗自检：全部正常。" and all(line.startswith("[正常] ") for line in lines[1:])


def test_cli_json_and_exit_1_when_something_needs_action(home, services, capsys):
    services.close()
    code = main(["--home", str(home), "doctor", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert all(set(item) == {"check", "ok", "detail"} for item in out)
    found = {item["check"]: item for item in out}
    assert found["centre.link"]["ok"] is False and "尚未配置中心" in found["centre.link"]["detail"]
    assert found["store.backup"]["ok"] is False and "yichuang backup" in found["store.backup"]["detail"]
    code = main(["--home", str(home), "doctor"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1 and lines[0].endswith("项需要处理。")
    assert any(line.startswith("[需处理] 中心连接") for line in lines)


def test_printers_missing_or_disabled(home, linked, cups_env):
    linked.set_setting("printer_roll", "THERMAL-80")
    found = by_key(doctor.run_checks(home, store=linked.store, now=real_now()))
    assert found["printers.a4"].ok
    assert not found["printers.roll"].ok and "找不到打印机“THERMAL-80”" in found["printers.roll"].detail
    cups_env.run("cupsdisable", "CUPS-PDF")
    try:
        found = by_key(doctor.run_checks(home, store=linked.store, now=real_now()))
    finally:
        cups_env.run("cupsenable", "CUPS-PDF")
    assert not found["printers.a4"].ok and "已停用" in found["printers.a4"].detail


def test_centre_clock_skew_and_a_wrong_ca(home, linked, cups_env):
    found = by_key(doctor.run_checks(home, store=linked.store, now=real_now() + timedelta(minutes=10)))
    assert not found["centre.clock"].ok and "本机比中心快" in found["centre.clock"].detail
    assert found["centre.link"].ok and found["centre.version"].ok
    # three weeks on, the centre's CA (the test CA lives 30 days) is about to expire: said before it does
    found = by_key(doctor.run_checks(home, store=linked.store, now=real_now() + timedelta(days=21)))
    assert not found["centre.link"].ok and "过期" in found["centre.link"].detail
    # the centre re-issued its certificates: the CA pinned here no longer verifies the server
    TestCA("Another Root CA").write(linked.central_ca_file())
    found = by_key(doctor.run_checks(home, store=linked.store, now=real_now()))
    assert not found["centre.link"].ok and "CA 证书" in found["centre.link"].detail
    assert not found["centre.version"].ok and not found["centre.clock"].ok


def test_calendar_next_year_is_due_from_october(home, services):
    services.close()
    con = connect_store(home)  # only 2026's calendar in the store
    con.execute("DELETE FROM calendar_days")
    con.execute("DELETE FROM calendar_years WHERE year <> 2026")
    con.execute("INSERT OR IGNORE INTO calendar_years (year, source, imported_at) VALUES "
                "(2026, 'test', '2026-01-01 00:00:00')")
    con.commit()
    con.close()
    march = by_key(doctor.run_checks(home, now=datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)))
    assert march["calendar.this_year"].ok and march["calendar.next_year"].ok
    november = by_key(doctor.run_checks(home, now=datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)))
    assert not november["calendar.next_year"].ok and "2027 年未导入" in november["calendar.next_year"].detail
    later = by_key(doctor.run_checks(home, now=datetime(2031, 3, 2, 9, 0, tzinfo=SHANGHAI)))
    assert not later["calendar.this_year"].ok


def test_outbox_old_and_rejected(home, services, clerk):
    from tests.support.factories import residence_permit_intake

    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    soon = services.clock() + timedelta(hours=2)
    found = by_key(doctor.run_checks(home, store=services.store, now=soon))
    assert found["outbox.pending"].ok and "待上传" in found["outbox.pending"].detail
    found = by_key(doctor.run_checks(home, store=services.store, now=soon + timedelta(days=2)))
    assert not found["outbox.pending"].ok and "立即同步" in found["outbox.pending"].detail
    con = connect_store(home)
    con.execute("UPDATE outbox SET state = 'rejected' WHERE seq = (SELECT min(seq) FROM outbox)")
    con.commit()
    con.close()
    found = by_key(doctor.run_checks(home, store=services.store, now=soon))
    assert not found["outbox.rejected"].ok and "异常件" in found["outbox.rejected"].detail


def test_a_tampered_chain_and_a_missing_key(home, services):
    services.close()
    con = connect_store(home)
    con.execute("UPDATE audit SET detail = 'changed' WHERE id = (SELECT min(id) FROM audit)")
    con.commit()
    con.close()
    found = by_key(doctor.run_checks(home))
    assert not found["chain"].ok and "签名不符" in found["chain"].detail
    # the keyring lost the store's key: doctor says so instead of failing
    secrets = home / "secrets"
    for f in secrets.iterdir():
        f.unlink()
    assert not config.store_key(home)
    found = by_key(doctor.run_checks(home))
    assert not found["store.key"].ok and "密钥" in found["store.key"].detail
    assert found["fonts.cjk"].ok and "store.disk" in found


def test_id_card_reader_when_configured(home, services):
    services.set_setting("idcard_port", "/dev/nonexistent-reader")
    found = by_key(doctor.run_checks(home, store=services.store))
    assert not found["idcard"].ok and "未找到身份证阅读器" in found["idcard"].detail
    with IdCardSim() as sim:
        services.set_setting("idcard_port", sim.port)
        found = by_key(doctor.run_checks(home, store=services.store))
    assert found["idcard"].ok and "读卡区无卡" in found["idcard"].detail
