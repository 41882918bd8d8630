"""The pooler's shared entry (central c0020, issue 17): bound windows' calls go through one pool of warm
server connections logged in as yc_gateway, each call signed with the window's key (gw.call).

The product's own pooler configuration on a real PgBouncer in front of the suite's PostgreSQL. The attacks
are made as a window would make them: logged in to the pooler with its own credentials, sending raw SQL
over the shared entry's connection (where the server sees only yc_gateway)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from db.central import CentralClient, _libpq_url, freeze_op
from db.central.errors import CentralRefused
from desktop.cli import main
from tests.support.central_ops import Chain, case_payload, publish_store_catalogues
from tests.support.factories import residence_permit_intake
from tests.support.shared_pool import GW, bind, raw, signed

CENTRE = "310104"
OTHER = "310105"


def _one(central_url: str, query: str, *params):
    with psycopg.connect(_libpq_url(central_url)) as con:
        return con.execute(query, params).fetchone()[0]







def test_a_new_window_binds_by_itself_then_syncs_through_the_shared_pool_exactly_once(
        services, clerk, window, central_url, pooler, pg):
    direct = window(CENTRE, "01", catalogue=None)
    publish_store_catalogues(central_url, services)
    # linking greets the centre: the shared entry does not know this new window's key, so the handshake
    # goes on through the same pooler's per-login entry, where the window binds itself
    services.set_central(url=pooler.shared_url(direct))
    assert _one(central_url, "SELECT machine_id IS NOT NULL FROM yc.windows WHERE centre_code = %s AND window_no = '01'",
                CENTRE)
    cases = [services.accept_application(intake=residence_permit_intake(), clerk=clerk) for _ in range(3)]
    first = services.sync_round()
    assert (first.pushed, first.duplicate, first.rejected) == (9, 0, 0)
    cases.append(services.accept_application(intake=residence_permit_intake(), clerk=clerk))
    second = services.sync_round()
    assert (second.pushed, second.duplicate, second.rejected) == (3, 0, 0)
    for r in cases:
        assert _one(central_url, "SELECT count(*) FROM yc.cases WHERE case_no = %s", r.case_no) == 1
    assert services.sync_status().queue_length == 0
    # both rounds ran on the shared login: the count rows they wrote name yc_gateway as their writer (c0018
    # keys them by session_user), none the window's own login
    assert _one(central_url, "SELECT coalesce(sum(n), 0) FROM yc.case_counts_received WHERE writer = 'yc_gateway'") == 4
    assert _one(central_url, "SELECT coalesce(sum(n), 0) FROM yc.case_counts_received WHERE writer <> 'yc_gateway'") == 0
    # and the doctor tells the technician which way this window reaches its centre
    from desktop.core import doctor
    from desktop.core.clock import SHANGHAI

    [link] = [c for c in doctor.check_centre(services.store, datetime.now(SHANGHAI)) if c.check == "centre.link"]
    assert link.ok and "共享入口" in link.detail, link


def test_the_shared_entry_runs_as_the_signed_window_and_refuses_every_forgery(window, pooler, pg, central_url):
    url_a, url_b = window(CENTRE, "01"), window(CENTRE, "02")
    url_x = window(OTHER, "01")
    key_a, key_b = bind(url_a, pg.ca_file), bind(url_b, pg.ca_file)
    bind(url_x, pg.ca_file)
    hello = "[]"  # sync.restore_state(): it answers with the caller's centre and window
    pulls = json.dumps([{"case_status": 0}])
    with raw(pooler.shared_url(url_a), pg.ca_file) as con:
        assert con.execute("SELECT session_user").fetchone()[0] == "yc_gateway"
        # its own calls: answered as window A
        assert con.execute(GW, signed(key_a, "pull_all", CENTRE, "01", pulls)).fetchone()[0] == {
            "case_status": {"rows": [], "last_seq": 0}}
        assert con.execute(GW, signed(key_a, "restore_state", CENTRE, "01", hello)).fetchone()[0]["window_no"] == "01"

        def refused(params, state="YC007"):
            with pytest.raises(psycopg.Error) as err:
                con.execute(GW, params)
            assert err.value.sqlstate == state, (err.value.sqlstate, str(err.value))

        # window B's name under A's key, another centre's window, a window that does not exist
        refused(signed(key_a, "restore_state", CENTRE, "02", hello))
        refused(signed(key_a, "pull_all", OTHER, "01", pulls))
        refused(signed(key_a, "pull_all", CENTRE, "09", pulls))
        # a signature over other arguments, or for another function, or without one
        c, w, at, mac, fn, _args = signed(key_a, "pull_all", CENTRE, "01", pulls)
        refused((c, w, at, mac, fn, json.dumps([{"case_status": 0, "cases": 0}])))
        refused((c, w, at, mac, "pull", _args))
        refused((c, w, at, None, fn, _args))
        refused((c, w, at, mac.upper()[:-1] + "0", fn, _args))
        # the time it says it was signed: more than 15 minutes away is refused (replay of a captured call)
        refused(signed(key_a, "pull_all", CENTRE, "01", pulls, at=datetime.now(UTC) - timedelta(minutes=20)), "YC008")
        refused(signed(key_a, "pull_all", CENTRE, "01", pulls, at=datetime.now(UTC) + timedelta(minutes=20)), "YC008")
        refused(signed(key_a, "pull_all", CENTRE, "01", pulls) [:2] + ("yesterday",)
                + signed(key_a, "pull_all", CENTRE, "01", pulls)[3:])
        # binding (or anything but the sync calls) is not forwarded, even signed
        refused(signed(key_a, "bind_window", CENTRE, "01", json.dumps(["m", "00" * 32])))
        refused(signed(key_a, "sync.push", CENTRE, "01", "[[]]"))
        # B's key works for B only
        assert con.execute(GW, signed(key_b, "restore_state", CENTRE, "02", hello)).fetchone()[0]["window_no"] == "02"

        # the shared login itself reaches nothing else: the identity setting it may write is read only by
        # yc.caller_window, which only gw.call's functions call
        con.execute("SELECT set_config('yc.gateway_window', %s, false)", (f"{CENTRE}/02",))
        for stmt in ("SELECT sync.pull_all('{\"case_status\": 0}')", "SELECT sync.restore_state()",
                     "SELECT yc.caller_window()", "SELECT count(*) FROM yc.cases", "SELECT count(*) FROM yc.windows",
                     "SELECT * FROM yc.window_keys", "SELECT pooler.lookup('yc_w_310104_01')",
                     "SET ROLE yc_w_310104_02", "SET ROLE yc_owner", "CREATE TEMP TABLE t (x int)",
                     "SELECT admin.decide_case('x', 'approved', 'y')"):
            with pytest.raises(psycopg.Error) as err:
                con.execute(stmt)
            assert err.value.sqlstate in ("42501", "3F000", "42883", "22023"), (stmt, err.value.sqlstate, str(err.value))
        # and after the forged setting gw.call still answers as the signer
        assert con.execute(GW, signed(key_a, "restore_state", CENTRE, "01", hello)).fetchone()[0]["window_no"] == "01"

    # every function outside PostgreSQL's own schemas that the shared login may reach (schema usage and
    # EXECUTE): gw.call alone
    executable = _one(central_url, """
        SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%%'
           AND has_schema_privilege('yc_gateway', n.oid, 'USAGE')
           AND has_function_privilege('yc_gateway', p.oid, 'EXECUTE')""")
    assert executable == ["gw.call(text,text,text,text,text,text)"]
    assert _one(central_url, "SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member "
                             "WHERE r.rolname = 'yc_gateway'") == 0
    assert _one(central_url, "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'yc_gateway'") == 0


def test_a_window_login_cannot_use_the_gateway_or_its_setting(window, pg, central_url):
    url_a, url_b = window(CENTRE, "01"), window(CENTRE, "02")
    key_a = bind(url_a, pg.ca_file)
    bind(url_b, pg.ca_file)
    with raw(url_a, pg.ca_file) as con:  # window A's own login, direct
        with pytest.raises(psycopg.Error) as err:
            con.execute(GW, signed(key_a, "pull_all", CENTRE, "01", json.dumps([{"case_status": 0}])))
        assert err.value.sqlstate == "42501"
        # the identity setting names window B: a window login is still itself
        con.execute("SELECT set_config('yc.gateway_window', %s, false)", (f"{CENTRE}/02",))
        assert con.execute("SELECT sync.restore_state()").fetchone()[0]["window_no"] == "01"
    # nor does any other login, even one that passes every privilege check (the superuser): gw.call itself
    # refuses a session that is not the shared entry's
    with psycopg.connect(_libpq_url(central_url), autocommit=True) as con:
        with pytest.raises(psycopg.Error) as err:
            con.execute(GW, signed(key_a, "restore_state", CENTRE, "01", "[]"))
        assert err.value.sqlstate == "42501"


def test_a_retired_or_disabled_window_is_refused_at_the_shared_entry(window, pooler, pg, central_url):
    url_a, url_b = window(CENTRE, "01"), window(CENTRE, "02")
    key_a, key_b = bind(url_a, pg.ca_file), bind(url_b, pg.ca_file)
    pulls = json.dumps([{"case_status": 0}])
    with raw(pooler.shared_url(url_a), pg.ca_file) as con:
        assert con.execute(GW, signed(key_b, "pull_all", CENTRE, "02", pulls)).fetchone()[0]
        # the administrator disables window B's login; B's signed calls stop at once, even on a live connection
        with psycopg.connect(_libpq_url(central_url), autocommit=True) as adm:
            adm.execute("ALTER ROLE yc_w_310104_02 NOLOGIN")
        with pytest.raises(psycopg.Error) as err:
            con.execute(GW, signed(key_b, "pull_all", CENTRE, "02", pulls))
        assert err.value.sqlstate == "YC007"
        # window A is retired (its PC replaced): its old key no longer signs
        assert main(["central", "retire-window", central_url, "--centre", CENTRE, "--window", "01"]) == 0
        with pytest.raises(psycopg.Error) as err:
            con.execute(GW, signed(key_a, "pull_all", CENTRE, "01", pulls))
        assert err.value.sqlstate == "YC007"


def test_a_replayed_push_through_the_shared_entry_is_applied_once(window, pooler, pg, central_url):
    url = window(CENTRE, "01")
    key = bind(url, pg.ca_file)
    payload = case_payload(CENTRE, "01", 1)
    op = Chain(key)(freeze_op("case.upsert", payload))
    args = json.dumps([[{k: op[k] for k in ("op_id", "kind", "payload", "sha256", "chain_seq", "chain_prev",
                                            "chain_mac")}]], ensure_ascii=False)
    call = signed(key, "push", CENTRE, "01", args)
    with raw(pooler.shared_url(url), pg.ca_file) as con:
        first = con.execute(GW, call).fetchone()[0]
        again = con.execute(GW, call).fetchone()[0]
    assert [r["status"] for r in first] == ["applied"]
    assert [r["status"] for r in again] == ["duplicate"]
    assert _one(central_url, "SELECT count(*) FROM yc.cases WHERE case_no = %s", payload["case_no"]) == 1
    assert _one(central_url, "SELECT count(*) FROM yc.ops WHERE window_no = '01'") == 1


def test_the_client_corrects_its_clock_from_the_centre_and_a_keyless_client_is_told(window, pooler, pg):
    url = window(CENTRE, "01")
    key = bind(url, pg.ca_file)
    shared = pooler.shared_url(url)
    with CentralClient(shared, ca_cert=pg.ca_file, window_key=(CENTRE, "01", key)) as c:
        c._clock_offset = timedelta(hours=3)  # as if this PC's clock ran three hours fast
        assert c.pull_all({"case_status": 0}, {}) == {"case_status": {"rows": [], "last_seq": 0}}
        assert abs(c._clock_offset.total_seconds()) < 60  # learnt from the centre's YC008

    class TwoDaysFast(CentralClient):  # a PC whose clock is two days ahead
        @staticmethod
        def _now() -> datetime:
            return datetime.now(UTC) + timedelta(days=2)

    with TwoDaysFast(shared, ca_cert=pg.ca_file, window_key=(CENTRE, "01", key)) as c:
        with pytest.raises(CentralRefused, match="时钟") as err:  # a person sets that clock
            c.pull_all({"case_status": 0}, {})
        assert err.value.sqlstate == "YC008" and c._clock_offset == timedelta(0)
    with CentralClient(shared, ca_cert=pg.ca_file) as c, pytest.raises(CentralRefused, match="共享入口"):
        c.pull_all({"case_status": 0}, {})


def test_pooler_config_writes_the_shared_entry_for_the_gateway_login(pooler, central_url):
    ini = open(pooler.config["ini"]).read()
    db = pooler.config["database"]
    assert pooler.config["shared_database"] == f"{db}_shared"
    shared_line = next(line for line in ini.splitlines() if line.startswith(f"{db}_shared ="))
    assert "user=yc_gateway" in shared_line and f"dbname={db} " in shared_line
    users = open(pooler.config["auth_file"]).read().splitlines()
    assert [u.split()[0] for u in users] == ['"yc_pooler"', '"yc_gateway"']
    assert _one(central_url, "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'yc_gateway'")
    # the pooler's login lookup never answers for the shared login (it is no window)
    assert _one(central_url, "SELECT count(*) FROM pooler.lookup('yc_gateway')") == 0


def test_the_downgrade_to_c0019_takes_the_shared_entry_away_and_gives_caller_window_back(pg):
    from db.central import downgrade_central, init_central
    from db.central.admin import _migrate

    def state(url: str) -> tuple:
        with psycopg.connect(_libpq_url(url)) as con:
            caller = con.execute("SELECT pg_get_functiondef('yc.caller_window()'::regprocedure)").fetchone()[0]
            gw = con.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'gw'").fetchone()[0]
            history = con.execute("SELECT count(*) FROM yc.function_history WHERE revision = 'c0020'").fetchone()[0]
        return caller, gw, history

    url = pg.create_database(f"yc_c0020_{uuid.uuid4().hex[:8]}")
    assert _migrate(url, "upgrade", "c0019") == "c0019"
    before = state(url)
    assert before[1:] == (0, 0) and "yc.gateway_window" not in before[0]
    init_central(url)
    head = state(url)
    assert head[1:] == (1, 1) and "yc.gateway_window" in head[0]
    assert downgrade_central(url, "c0019") == "c0019"
    assert state(url) == before
    init_central(url)
    assert state(url) == head


def test_through_the_shared_entry_the_centre_and_window_still_come_from_the_caller(window, pooler, pg, central_url):
    """The content checks of the trust issue hold through the shared entry: the window is the one that
    signed, whatever a payload says (tests/sync/test_attacks_centre.py makes the same attacks direct)."""
    from tests.support.central_ops import case_op

    def case_no(centre: str, window_no: str, serial: int) -> str:
        return case_payload(centre, window_no, serial)["case_no"]

    url_a, url_b = window(CENTRE, "01"), window(CENTRE, "02")
    key_a, key_b = bind(url_a, pg.ca_file), bind(url_b, pg.ca_file)
    chain_a, chain_b = Chain(key_a), Chain(key_b)
    with CentralClient(pooler.shared_url(url_a), ca_cert=pg.ca_file, window_key=(CENTRE, "01", key_a)) as a, \
            CentralClient(pooler.shared_url(url_b), ca_cert=pg.ca_file, window_key=(CENTRE, "02", key_b)) as b:
        assert [r["status"] for r in a.push([chain_a(case_op(CENTRE, "01", 1))])] == ["applied"]
        theirs = {"centre_code": CENTRE, "window_no": "02"}
        answers = a.push([
            chain_a(freeze_op("audit.recorded", {**theirs, "at": "2026-02-12T10:00:00+08:00", "actor": "demo",
                                                 "action": "override"})),
            chain_a(freeze_op("rating.recorded", {**theirs, "case_no": case_no(CENTRE, "01", 1), "overall": 1,
                                                  "rated_at": "2026-02-12T10:00:00+08:00"})),
            chain_a(case_op(OTHER, "01", 5)),
        ])
        assert [x["status"] for x in answers] == ["rejected"] * 3
        # window B signs its own calls but cannot take over A's case
        hijack = case_payload(CENTRE, "02", 1, case_no=case_no(CENTRE, "01", 1), version=99, status="delivered")
        [answer] = b.push([chain_b(freeze_op("case.upsert", hijack))])
        assert answer["status"] == "rejected"
        # and what A pulls is its own centre's: every case status row is a case of centre 310104
        rows = a.pull_all({"case_status": 0}, {})["case_status"]["rows"]
        assert rows and {r["key"][:6] for r in rows} == {CENTRE[:6]}
    with psycopg.connect(_libpq_url(central_url)) as con:
        assert con.execute("SELECT window_no, version, status FROM yc.cases WHERE case_no = %s",
                           (case_no(CENTRE, "01", 1),)).fetchone() == ("01", 1, "received")
        assert con.execute("SELECT count(*) FROM yc.cases WHERE centre_code = %s", (OTHER,)).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM yc.ratings").fetchone()[0] == 0


def test_add_window_shared_prints_the_shared_entrys_url(central_url, central_ca, capsys):
    from urllib.parse import urlsplit

    assert main(["central", "add-window", central_url, "--centre", CENTRE, "--window", "05",
                 "--ca-cert", str(central_ca), "--host", "pooler.centre:6432", "--shared"]) == 0
    url = json.loads(capsys.readouterr().out)["url"]
    dbname = urlsplit(_libpq_url(central_url)).path.lstrip("/")
    assert url.startswith("postgresql://yc_w_310104_05:")
    assert url.split("@", 1)[1] == f"pooler.centre:6432/{dbname}_shared?sslmode=verify-full&channel_binding=prefer"
