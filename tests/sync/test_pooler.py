"""A window through PgBouncer in transaction pooling mode (issue 17): the real sync, exactly once; logins
looked up through pooler.lookup, which refuses administrators; the trust rules hold through the pooler."""

from __future__ import annotations

import json
import re
from pathlib import Path

import psycopg
import pytest

from db.central import CentralClient, _libpq_url
from desktop.cli import main
from desktop.core.errors import CentralUnavailable
from tests.support.central_ops import publish_store_catalogues
from tests.support.factories import residence_permit_intake

CENTRE = "310104"


def _count(central_url: str, query: str, *params) -> int:
    with psycopg.connect(_libpq_url(central_url)) as con:
        return con.execute(query, params).fetchone()[0]


def test_a_window_syncs_through_the_pooler_twice_exactly_once(services, clerk, window, central_url, pooler):
    direct = window(CENTRE, "01", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=pooler.window_url(direct))
    cases = [services.accept_application(intake=residence_permit_intake(), clerk=clerk) for _ in range(3)]
    first = services.sync_round()
    assert (first.pushed, first.duplicate, first.rejected) == (9, 0, 0)
    cases.append(services.accept_application(intake=residence_permit_intake(), clerk=clerk))
    second = services.sync_round()
    assert (second.pushed, second.duplicate, second.rejected) == (3, 0, 0)
    for r in cases:
        assert _count(central_url, "SELECT count(*) FROM yc.cases WHERE case_no = %s", r.case_no) == 1
    assert services.sync_status().queue_length == 0
    # it really went through the pooler: the old client's startup parameter is refused there
    with pytest.raises(psycopg.OperationalError, match="unsupported startup parameter"):
        psycopg.connect(_libpq_url(pooler.window_url(direct)), options="-c statement_timeout=1000",
                        connect_timeout=5)


def test_the_pooled_url_has_no_channel_binding_and_still_verifies_the_ca(window, pooler, pg):
    direct = window(CENTRE, "01")
    pooled = pooler.window_url(direct)
    with CentralClient(pooled, ca_cert=pg.ca_file) as client:
        assert client.handshake(5)["window_no"] == "01"
    # channel binding is what a pooler cannot give: the direct form (require) is refused there
    no_binding = pooled.replace("channel_binding=prefer", "channel_binding=require")
    with CentralClient(no_binding, ca_cert=pg.ca_file) as client, pytest.raises(Exception, match="通道绑定|channel"):
        client.handshake(5)
    # and a pooler whose certificate the pinned CA did not sign is refused before any login
    from tests.support.tls import TestCA

    other = TestCA("Fake centre CA").write(pooler.dir.parent / f"{pooler.dir.name}-fake.crt")
    try:
        with CentralClient(pooled, ca_cert=other) as client, pytest.raises(Exception, match="CA"):
            client.handshake(5)
    finally:
        other.unlink()


def test_the_lookup_answers_only_for_windows_and_departments(central_url, window):
    window(CENTRE, "01")
    with psycopg.connect(_libpq_url(central_url)) as con:
        con.execute("CREATE ROLE yc_t_admin_login LOGIN PASSWORD 'SCRAM-SHA-256$4096:x$y:z' IN ROLE yc_admin")
        con.execute("CREATE ROLE yc_t_sneaky LOGIN PASSWORD 'p' IN ROLE yc_window, yc_admin")
        con.execute("CREATE ROLE yc_t_super LOGIN SUPERUSER PASSWORD 'p' IN ROLE yc_window")
        con.commit()
        try:
            con.execute("SET ROLE yc_pooler")
            found = {name: con.execute("SELECT count(*) FROM pooler.lookup(%s)", (name,)).fetchone()[0]
                     for name in ("yc_w_310104_01", "postgres", "yc_t_admin_login", "yc_t_sneaky", "yc_t_super",
                                  "yc_pooler", "yc_owner")}
            assert found == {"yc_w_310104_01": 1, "postgres": 0, "yc_t_admin_login": 0, "yc_t_sneaky": 0,
                             "yc_t_super": 0, "yc_pooler": 0, "yc_owner": 0}
            secret = con.execute("SELECT passwd FROM pooler.lookup('yc_w_310104_01')").fetchone()[0]
            assert secret.startswith("SCRAM-SHA-256$")
            # the pooler's login reads nothing else
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute("SELECT count(*) FROM yc.cases")
        finally:
            con.rollback()
            con.execute("RESET ROLE")
            for role in ("yc_t_admin_login", "yc_t_sneaky", "yc_t_super"):
                con.execute(f"DROP ROLE {role}")
            con.commit()


def test_a_window_cannot_call_the_lookup(window):
    url = window(CENTRE, "01")
    with psycopg.connect(_libpq_url(url)) as con, pytest.raises(psycopg.errors.InsufficientPrivilege):
        con.execute("SELECT * FROM pooler.lookup('postgres')")


def test_an_administrator_cannot_log_in_through_the_pooler(pg, pooler):
    admin_via_pooler = pooler.window_url(pg.url(pooler.config["database"], driver=False))
    with pytest.raises(psycopg.OperationalError) as info:
        psycopg.connect(admin_via_pooler, connect_timeout=5, sslrootcert=str(pg.ca_file))
    assert "no such user" in str(info.value)  # pooler.lookup gave the pooler nothing for a superuser


def test_the_trust_rules_hold_through_the_pooler(window, pooler, pg):
    pooled = pooler.window_url(window(CENTRE, "01"))
    with psycopg.connect(pooled, sslrootcert=str(pg.ca_file), prepare_threshold=None) as con:
        for query in ("SELECT count(*) FROM yc.cases", "SELECT admin.retire_window('310104', '01', 'x')",
                      "SELECT pg_advisory_lock(1)", "CREATE TEMP TABLE t (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(query)
            con.rollback()
    # another window's login over the pooler is still that other window
    with CentralClient(pooler.window_url(window(CENTRE, "02")), ca_cert=pg.ca_file) as client:
        assert client.handshake(5)["window_no"] == "02"


def test_a_read_only_centre_is_transient_and_nothing_is_marked_sent(services, clerk, window, central_url, pooler):
    direct = window(CENTRE, "01", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=pooler.window_url(direct))
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    dbname = pooler.config["database"]
    with psycopg.connect(_libpq_url(central_url), autocommit=True) as con:
        con.execute(f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = on')
        con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()", (dbname,))
    try:
        with pytest.raises(CentralUnavailable, match="暂不可写"):
            services.sync_round()
        assert services.sync_status().queue_length == 3
    finally:
        with psycopg.connect(_libpq_url(central_url), autocommit=True,
                             options="-c default_transaction_read_only=off") as con:
            con.execute(f'ALTER DATABASE "{dbname}" RESET default_transaction_read_only')
            con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                        "AND pid <> pg_backend_pid()", (dbname,))
    assert services.sync_round().pushed == 3
    assert _count(central_url, "SELECT count(*) FROM yc.cases WHERE case_no = %s", r.case_no) == 1


def run(capsys, *args: str):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_add_window_prints_hosts_and_the_pooled_form(central_url, central_ca, capsys):
    code, out, err = run(capsys, "central", "add-window", central_url, "--centre", CENTRE, "--window", "03",
                         "--ca-cert", str(central_ca), "--host", "pooler.centre:6432", "--pooled")
    assert code == 0, err
    assert out["url"].startswith("postgresql://yc_w_310104_03:")
    assert out["url"].split("@", 1)[1].startswith("pooler.centre:6432/")
    assert out["url"].endswith("?sslmode=verify-full&channel_binding=prefer")
    code, out, err = run(capsys, "central", "add-window", central_url, "--centre", CENTRE, "--window", "03",
                         "--ca-cert", str(central_ca), "--host", "10.0.0.5:5432", "--host", "[fd00::6]:5432")
    assert code == 0, err
    assert "@10.0.0.5:5432,[fd00::6]:5432/" in out["url"]
    assert out["url"].endswith("?sslmode=verify-full&target_session_attrs=read-write")
    code, out, err = run(capsys, "central", "add-window", central_url, "--centre", CENTRE, "--window", "04",
                         "--ca-cert", str(central_ca), "--host", "no-port")
    assert code == 2 and out is None and "主机:端口" in err
    assert _count(central_url, "SELECT count(*) FROM yc.windows WHERE window_no = '04'") == 0


def test_pooler_config_refuses_missing_files(central_url, capsys, tmp_path):
    code, out, err = run(capsys, "central", "pooler-config", central_url, "--out", str(tmp_path / "p"),
                         "--cert", str(tmp_path / "none.crt"), "--key", str(tmp_path / "none.key"))
    assert code == 2 and out is None and "连接池" in err
    assert not (tmp_path / "p" / "pgbouncer.ini").exists()


def test_the_pooler_may_hold_as_many_connections_as_it_accepts(pooler):
    # one descriptor per client and per server connection: with the usual soft limit of 1,024 a pooler in
    # front of thousands of windows fails with "accept() failed: Too many open files" (found by the
    # 3,000-window pooled load run) while max_client_conn promises 20,000
    line = re.search(r"kernel file descriptor limit: (\d+) \(hard: (\d+)\); max_client_conn: (\d+)", pooler.log())
    assert line, pooler.log()
    soft, hard, max_client = map(int, line.groups())
    assert soft == hard and soft > 1024, line.group(0)
    assert max_client > 1024
    limits = Path(pooler.config["limits"]).read_text()
    # the per-login entry's 80 server connections and the shared entry's 16 (central c0020)
    assert f"LimitNOFILE={max_client + 80 + 16 + 1000}" in limits, limits
