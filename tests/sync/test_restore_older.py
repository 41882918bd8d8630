"""Issue 13: restoring a backup older than what the centre holds for this window, against a real centre."""

from __future__ import annotations

import json

import psycopg
import pytest

from db.central import _libpq_url
from desktop.cli import main
from desktop.core.services import Services
from tests.support.central_ops import publish_store_catalogues
from tests.support.factories import residence_permit_intake


@pytest.fixture
def linked(services, window, central_url):
    url = window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=url)
    return url


def _central(central_url: str, sql: str, *params):
    with psycopg.connect(_libpq_url(central_url)) as con:
        return con.execute(sql, params).fetchall()


def test_an_older_backup_is_refused_and_a_forced_one_does_not_fork_the_chain(services, clerk, linked, central_url,
                                                                           home, clock, capsys):
    first = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    old = services.backup()
    second = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    assert services.sync_round().rejected == 0
    services.close()

    code = main(["--home", str(home), "restore", str(old.path)])
    _, err = capsys.readouterr()
    assert code == 2 and "E_BACKUP_OLDER" in err, err

    code = main(["--home", str(home), "restore", str(old.path), "--force"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["restored_from"] == str(old.path)

    svc = Services(home, clock=clock)  # the same day: the same case-number prefix
    try:
        again = svc.accept_application(intake=residence_permit_intake(),
                                       clerk=svc.login(login="demo", password="demo1234")).case_no
        result = svc.sync_round()
        rejected = svc.rejected_ops()
        held = [r[0] for r in _central(central_url, "select case_no from yc.cases")]
    finally:
        svc.close()
    # the forced restore hands out the second case's number again (what the guard warned of) ...
    assert again == second
    # ... and the centre does not take it as a second history of window 01: the reissued case's ops are
    # refused, visibly (the supervisor's list of rejected operations), and the centre keeps its own case
    assert result.pushed == 0 and result.rejected >= 1 and rejected, result
    assert held.count(second) == 1 and held.count(first) == 1
