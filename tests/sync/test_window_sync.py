"""A window's cases reach the real central PostgreSQL exactly once, and decisions come back."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from factories import residence_permit_intake

from db.central import _libpq_url
from desktop.core import config
from desktop.core.errors import CentralUnavailable


def _central_count(central_url: str, sql: str, *params) -> int:
    with psycopg.connect(_libpq_url(central_url)) as con:
        return con.execute(sql, params).fetchone()[0]


@pytest.fixture
def linked(services, window, central_url):
    url = window("310104", "01", centre_name="徐汇区行政服务中心")
    services.set_central(url=url)
    return url


def test_a_case_is_pushed_once_however_often_sync_runs(services, clerk, linked, central_url):
    results = [services.accept_application(intake=residence_permit_intake(), clerk=clerk) for _ in range(3)]
    first = services.sync_round()
    assert (first.pushed, first.duplicate, first.rejected) == (6, 0, 0)  # 3 cases + 3 printed vouchers
    again = services.sync_round()
    assert (again.pushed, again.duplicate, again.rejected) == (0, 0, 0)
    for r in results:
        assert _central_count(central_url, "select count(*) from yc.cases where case_no=%s", r.case_no) == 1
        assert _central_count(
            central_url, "select count(*) from reporting.cases where case_no=%s and window_code='01'", r.case_no) == 1
    status = services.sync_status()
    assert status.online is True and status.queue_length == 0 and status.last_success_at is not None


def test_a_lost_acknowledgement_is_answered_duplicate(services, clerk, linked, central_url, home):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.sync_round()
    # the window died after the centre committed but before it marked its outbox: all pending again
    con = sqlite3.connect(config.db_path(home))
    con.execute("update outbox set state='pending', acked_at=null")
    con.commit()
    con.close()
    again = services.sync_round()
    assert (again.pushed, again.duplicate) == (0, 2)
    assert _central_count(central_url, "select count(*) from yc.cases where case_no=%s", r.case_no) == 1


def test_password_is_not_in_the_plain_settings(services, linked, home):
    password = linked.split(":", 2)[2].split("@", 1)[0]
    assert password
    assert password not in config.db_path(home).read_bytes().decode("utf-8", "replace")
    assert services.setting("central_url").startswith("postgresql://yc_w_310104_01@")


def test_back_office_status_comes_back(services, clerk, linked, central_url):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.sync_round()
    with psycopg.connect(_libpq_url(central_url)) as con:
        con.execute("select admin.set_case_status(%s, %s, %s)", (r.case_no, "approved", "准予许可"))
    result = services.sync_round()
    assert result.pulled >= 1
    with services.Session() as s:
        from db.local.models import Case

        assert s.get(Case, r.case_no).status == "approved"


def test_offline_intake_goes_on_and_the_queue_waits(services, clerk, home):
    services.set_central(url="postgresql://yc_w_310104_01:pw@127.0.0.1:9/central")
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    with pytest.raises(CentralUnavailable):
        services.sync_round()
    status = services.sync_status()
    assert status.online is False and status.queue_length == 2 and status.last_error


def test_a_window_provisioned_for_another_centre_is_refused(services, window):
    services.set_central(url=window("310105", "01"))
    from desktop.core.errors import BadInput

    with pytest.raises(BadInput) as e:
        services.sync_round()
    assert e.value.code == "E_CENTRAL_WINDOW"
