"""A synchronous hot standby takes over without losing a case; a hung centre is given up on within 30 s.

The window's URL lists primary and standby (libpq multi-host, target_session_attrs=read-write), made by
`central add-window --host P --host S`. Nothing here fakes the database: the primary is crashed with an
immediate stop, the standby promoted with pg_ctl, the hung server is a SIGSTOPped postmaster."""

from __future__ import annotations

import time
from urllib.parse import quote

import psycopg
import pytest

from db.central import _libpq_url, add_window, init_central
from desktop.cli import main
from desktop.core.errors import CentralUnavailable
from tests.support.central_ops import publish_store_catalogues
from tests.support.factories import residence_permit_intake
from tests.support.postgres import TempPostgres
from tests.support.standby import TempStandby, immediate_stop, make_replicated, pause

CENTRE = "310104"


@pytest.fixture
def replicated(pg):
    """A primary with a central database and its synchronous hot standby (the session CA signs both)."""
    with TempPostgres(ca=pg.ca) as primary:
        make_replicated(primary)
        url = primary.create_database("yc_central")
        init_central(url)
        with TempStandby(primary) as standby:
            yield primary, standby, url


def _cases_at(pg: TempPostgres, case_nos) -> dict[str, int]:
    with psycopg.connect(pg.url("yc_central", driver=False), connect_timeout=10) as con:
        return {c: con.execute("SELECT count(*) FROM yc.cases WHERE case_no = %s", (c,)).fetchone()[0]
                for c in case_nos}


def test_failover_to_the_standby_loses_no_case(services, clerk, home, replicated, capsys):
    primary, standby, admin_url = replicated
    url = add_window(admin_url, CENTRE, "01", hosts=[f"127.0.0.1:{primary.port}", f"127.0.0.1:{standby.port}"])
    assert "target_session_attrs=read-write" in url
    url += "&sslrootcert=" + quote(str(primary.ca_file), safe="/")
    publish_store_catalogues(admin_url, services)
    services.set_central(url=url)

    first = [services.accept_application(intake=residence_permit_intake(), clerk=clerk) for _ in range(2)]
    assert services.sync_round().pushed == 6
    # synchronous: what the primary acknowledged is already on the standby (a hot standby reads)
    assert _cases_at(standby, [r.case_no for r in first]) == {r.case_no: 1 for r in first}

    later = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    immediate_stop(primary)
    # only the read-only standby answers: sync fails (exit 1) and marks nothing sent
    code = main(["--home", str(home), "sync"])
    err = capsys.readouterr().err
    assert code == 1, err
    with pytest.raises(CentralUnavailable):
        services.sync_round()
    assert services.sync_status().queue_length == 3

    standby.promote()
    result = services.sync_round()  # the same URL: libpq finds the new primary
    assert (result.pushed, result.rejected) == (3, 0)
    assert services.sync_status().queue_length == 0
    everything = [r.case_no for r in [*first, later]]
    assert _cases_at(standby, everything) == dict.fromkeys(everything, 1)
    assert services.sync_round().pushed == 0


def test_a_hung_centre_is_given_up_within_30_seconds(services, clerk, window, central_url, pg):
    services.set_central(url=window(CENTRE, "01", catalogue=None))
    publish_store_catalogues(central_url, services)
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    with pause(pg):
        t0 = time.monotonic()
        with pytest.raises(CentralUnavailable):
            services.sync_round()
        elapsed = time.monotonic() - t0
    assert elapsed < 30, elapsed
    assert services.sync_status().queue_length == 3
    assert services.sync_round().pushed == 3


def test_statistics_read_from_the_hot_standby(replicated):
    primary, standby, admin_url = replicated
    add_window(admin_url, CENTRE, "01")
    with psycopg.connect(_libpq_url(standby.url("yc_central")), connect_timeout=10) as con:
        assert con.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        assert con.execute("SELECT count(*) FROM yc.windows").fetchone()[0] == 1
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            con.execute("INSERT INTO yc.centres (code, name) VALUES ('310105', 'x')")
