"""Attacks on the pooler's shared entry (central c0020) beyond tests/sync/test_shared_pool.py.

A hostile window logs in to the pooler with its own credentials and sends raw SQL over the shared entry,
where PostgreSQL sees only `yc_gateway`: the very role every other bound window's calls run under, on the
very server connections they run on. What one window's session can do to another's therefore matters here
in a way it did not with one pool per login."""

from __future__ import annotations

import json
import re
import threading
import time

import psycopg
import pytest

from db.central import CentralClient, _libpq_url, freeze_op
from db.central.pooler import PoolerSettings
from tests.support.central_ops import Chain, case_payload
from tests.support.shared_pool import GW, bind, raw, signed

CENTRE = "310104"
OTHER = "310105"





def test_a_window_neither_reads_nor_stops_another_windows_call_in_flight_on_the_shared_login(
        window, pooler, pg, central_url):
    """Every shared server connection is yc_gateway's, and PostgreSQL shows a role its own sessions' query
    text and lets it cancel or terminate them. Window X (another centre) watches window A's call in flight:
    it sees only the statement with placeholders ($1..$6: the client binds its parameters, so no MAC to
    replay), and it may not cancel or terminate it (c0020 revokes both functions from PUBLIC)."""
    url_a, url_x = window(CENTRE, "01"), window(OTHER, "01")
    key_a = bind(url_a, pg.ca_file)
    bind(url_x, pg.ca_file)
    outcome: dict = {}
    with raw(pooler.shared_url(url_x), pg.ca_file) as x, \
            CentralClient(pooler.shared_url(url_a), ca_cert=pg.ca_file, window_key=(CENTRE, "01", key_a)) as a, \
            psycopg.connect(_libpq_url(central_url)) as adm:
        a.pull_all({"case_status": 0}, {})  # A's connection open (and warm)
        # the administrator holds the keys' table: A's next call waits inside gw.call, its MAC in flight
        adm.execute("LOCK TABLE yc.window_keys IN ACCESS EXCLUSIVE MODE")

        def call() -> None:
            try:
                outcome["answer"] = a.pull_all({"case_status": 0}, {})
            except Exception as exc:  # noqa: BLE001 - reported below
                outcome["error"] = exc

        t = threading.Thread(target=call)
        t.start()
        try:
            seen = []
            for _ in range(100):
                seen = x.execute("SELECT pid, query FROM pg_stat_activity WHERE usename = 'yc_gateway' "
                                 "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'").fetchall()
                if seen:
                    break
                time.sleep(0.05)
            assert len(seen) == 1, seen
            victim, text = seen[0]
            assert "gw.call" in text and "$4" in text, text
            assert not re.search(r"[0-9a-fA-F]{64}", text) and CENTRE not in text, text
            for stmt in ("SELECT pg_cancel_backend(%s)", "SELECT pg_terminate_backend(%s)"):
                with pytest.raises(psycopg.Error) as err:
                    x.execute(stmt, (victim,))
                assert err.value.sqlstate == "42501", (stmt, err.value.sqlstate, str(err.value))
        finally:
            adm.rollback()
            t.join(20)
    assert "error" not in outcome, outcome
    assert outcome["answer"] == {"case_status": {"rows": [], "last_seq": 0}}


def server_default(central_url: str, name: str) -> str:
    """The server's own value of a setting (what a session starts with when nobody set it)."""
    with psycopg.connect(_libpq_url(central_url)) as con:
        return con.execute("SELECT reset_val FROM pg_settings WHERE name = %s", (name,)).fetchone()[0]


def test_a_windows_session_settings_do_not_reach_another_windows_calls(window, pooler, pg, central_url):
    """Window X (another centre) makes every shared server connection read-only with a session SET, then
    lets go of them; window A's push through the shared entry must still be applied."""
    url_a, url_x = window(CENTRE, "01"), window(OTHER, "01")
    key_a = bind(url_a, pg.ca_file)
    bind(url_x, pg.ca_file)
    shared_x = pooler.shared_url(url_x)
    # one client connection per server connection of the shared pool, each inside a transaction so that
    # each holds its own server connection while it sets (a session SET outlives the transaction)
    hostile = [raw(shared_x, pg.ca_file) for _ in range(PoolerSettings.shared_pool_size)]
    try:
        for con in hostile:
            con.execute("BEGIN")
            con.execute("SET default_transaction_read_only = on")
            con.execute("SET synchronous_commit = off")  # would let a crash lose a push the window was told of
            con.execute("SET TimeZone = 'America/New_York'")
            con.execute("SET statement_timeout = 1")
        for con in hostile:
            con.execute("COMMIT")
    finally:
        for con in hostile:
            con.close()
    payload = case_payload(CENTRE, "01", 1)
    op = Chain(key_a)(freeze_op("case.upsert", payload))
    args = json.dumps([[{k: op[k] for k in ("op_id", "kind", "payload", "sha256", "chain_seq", "chain_prev",
                                            "chain_mac")}]], ensure_ascii=False)
    with raw(pooler.shared_url(url_a), pg.ca_file) as a:
        answer = a.execute(GW, signed(key_a, "push", CENTRE, "01", args)).fetchone()[0]
        # the pooler reset each server connection after X's transactions (server_reset_query_always); the
        # suite's server itself runs with synchronous_commit off, so read-only, time zone and timeout show it
        for _ in range(PoolerSettings.shared_pool_size):
            assert a.execute("SELECT current_setting('default_transaction_read_only'), "
                             "current_setting('synchronous_commit'), current_setting('TimeZone'), "
                             "current_setting('statement_timeout')").fetchone() == (
                "off", server_default(central_url, "synchronous_commit"), server_default(central_url, "TimeZone"),
                "30s")  # the shared login's own role setting
    assert [r["status"] for r in answer] == ["applied"]


def test_a_windows_transaction_around_gw_call_gives_it_no_other_windows_identity(window, pooler, pg):
    """What one transaction may do around a signed call, as window A holding only A's key, to act as B:
    after A's call the identity setting is cleared (the centre setting stays, but nothing the shared login
    reaches reads it); a DO block that forges B's name, calls gw.call as A so that it fails after setting
    the identity (a bad argument) and catches the error, gets B's forged name back, which still reaches
    nothing: the next signed call answers as its signer (A), and a savepoint rolled back around a call
    leaves no identity behind either."""
    url_a, url_b = window(CENTRE, "01"), window(CENTRE, "02")
    key_a = bind(url_a, pg.ca_file)
    bind(url_b, pg.ca_file)
    settings = "SELECT current_setting('yc.gateway_window', true), current_setting('yc.centre', true)"
    with raw(pooler.shared_url(url_a), pg.ca_file) as con:
        notices: list[str] = []
        con.add_notice_handler(lambda d: notices.append(d.message_primary))
        con.execute("BEGIN")
        assert con.execute(GW, signed(key_a, "restore_state", CENTRE, "01", "[]")).fetchone()[0]["window_no"] == "01"
        assert con.execute(settings).fetchone() == ("", CENTRE)
        con.execute("SELECT set_config('yc.gateway_window', %s, true)", (f"{CENTRE}/02",))
        # fails inside gw.call after the identity was set (the limit is no integer), caught in plpgsql
        failing = signed(key_a, "pull", CENTRE, "01", json.dumps(["case_status", 0, "x"]))
        con.execute(psycopg.sql.SQL("""DO $$ BEGIN
            BEGIN PERFORM gw.call({}); EXCEPTION WHEN others THEN
                RAISE NOTICE 'caught %', current_setting('yc.gateway_window', true); END;
            END $$""").format(psycopg.sql.SQL(", ").join(map(psycopg.sql.Literal, failing))))
        assert notices == [f"caught {CENTRE}/02"]  # the forged value, not A's: the failed call left nothing
        assert con.execute(GW, signed(key_a, "restore_state", CENTRE, "01", "[]")).fetchone()[0]["window_no"] == "01"
        con.execute("SAVEPOINT s")
        with pytest.raises(psycopg.Error):
            con.execute(GW, signed(key_a, "pull", CENTRE, "01", json.dumps(["case_status", 0, "x"])))
        con.execute("ROLLBACK TO SAVEPOINT s")
        assert con.execute(settings).fetchone() == ("", CENTRE)
        con.execute("ROLLBACK")
        assert con.execute(settings).fetchone() == ("", "")


def test_the_shared_login_plants_no_large_object(window, pooler, pg, central_url):
    """Every shared server connection is yc_gateway's, and a large object belongs to the role that made it:
    through the shared entry a window (of any centre, bound or not) could leave data in the central
    database that every other window reads, rewrites or deletes, and as much as it likes (no
    temp_file_limit applies). c0020 takes large-object creation from PUBLIC, as c0005 took temporary
    objects and advisory locks: no login of the product uses large objects."""
    url_x, url_y = window(OTHER, "01"), window(CENTRE, "01")
    for url in (url_x, url_y):
        with raw(pooler.shared_url(url), pg.ca_file) as con:
            for stmt in ("SELECT lo_create(0)", "SELECT lo_creat(-1)", "SELECT lo_from_bytea(0, 'planted')"):
                with pytest.raises(psycopg.Error) as err:
                    con.execute(stmt)
                assert err.value.sqlstate == "42501", (stmt, err.value.sqlstate, str(err.value))
    with psycopg.connect(_libpq_url(central_url)) as con:
        assert con.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()[0] == 0


@pytest.mark.parametrize("machine", ["another machine", "the same machine"])
def test_a_reimaged_pc_at_the_shared_entry_hears_bound_elsewhere_and_sends_nothing(
        machine, services, clerk, window, central_url, pooler, pg):
    """The PC was re-imaged and its keyring lost: the window's new key signs nothing the shared entry knows
    (YC007, for a wrong key, not for an unbound window). The client goes on, for the handshake, to the same
    pooler's per-login entry, as it does for a window not yet bound; there the window's own login hears
    that the window is bound elsewhere (another machine, or this machine with another key). It binds no
    new key, pushes nothing, and its queue stays as it was."""
    import hashlib
    import secrets
    import uuid

    from desktop.core.errors import YichuangError
    from tests.support.central_ops import publish_store_catalogues
    from tests.support.factories import residence_permit_intake

    direct = window(CENTRE, "01", catalogue=None)
    publish_store_catalogues(central_url, services)
    # the window as the old PC bound it: its key, and its machine (this store's id, or another's)
    old_key = secrets.token_bytes(32)
    old_machine = services.store.setting("machine_id") if machine == "the same machine" else uuid.uuid4().hex
    with CentralClient(direct, ca_cert=pg.ca_file) as c:
        c.handshake(5, {"machine_id": old_machine, "key_sha256": hashlib.sha256(old_key).hexdigest()})
        c.bind_window(old_machine, old_key.hex())

    def centre_state():
        with psycopg.connect(_libpq_url(central_url)) as con:
            return con.execute(
                "SELECT w.machine_id, w.chain_seq, (SELECT array_agg(encode(k.window_key, 'hex')) FROM yc.window_keys k "
                "WHERE k.centre_code = w.centre_code AND k.window_no = w.window_no), "
                "(SELECT count(*) FROM yc.ops), (SELECT count(*) FROM yc.chain), (SELECT count(*) FROM yc.cases) "
                "FROM yc.windows w WHERE w.centre_code = %s AND w.window_no = '01'", (CENTRE,)).fetchone()

    before = centre_state()
    assert before == (old_machine, 0, [old_key.hex()], 0, 0, 0)
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    queued = services.sync_status().queue_length
    assert queued > 0
    shared = pooler.shared_url(direct)
    expected = "另一台电脑" if machine == "another machine" else "密钥与中心登记的不符"
    for attempt in (lambda: services.set_central(url=shared), lambda: services.sync_round(central_url=shared)):
        with pytest.raises(YichuangError) as err:
            attempt()
        assert err.value.code == "E_CENTRAL_REFUSED" and expected in err.value.message, err.value.message
    assert services.sync_status().queue_length == queued
    assert centre_state() == before


def test_a_store_whose_key_is_lost_is_told_so_before_it_reaches_the_shared_entry(
        services, clerk, home, clock, window, central_url, pooler, pg):
    """The store survived the re-imaging but the keyring did not: the window says its key is missing
    (ChainKeyMissing) before any call, signs nothing, binds nothing, and keeps its queue."""
    from desktop.core.chain import ChainKeyMissing
    from desktop.core.services import Services
    from tests.support.central_ops import publish_store_catalogues
    from tests.support.factories import residence_permit_intake

    direct = window(CENTRE, "01", catalogue=None)
    publish_store_catalogues(central_url, services)
    shared = pooler.shared_url(direct)
    services.set_central(url=shared)  # bound through the per-login entry, as a new window is
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    queued = services.sync_status().queue_length
    services.close()
    (home / "secrets" / "central.json").unlink()
    svc = Services(home, clock=clock)
    try:
        with pytest.raises(ChainKeyMissing):
            svc.sync_round(central_url=shared)
        assert svc.sync_status().queue_length == queued
    finally:
        svc.close()
    with psycopg.connect(_libpq_url(central_url)) as con:
        assert con.execute("SELECT count(*) FROM yc.ops").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM yc.window_keys").fetchone()[0] == 1


def test_a_window_idle_in_a_transaction_on_the_shared_entry_is_ended_by_the_pooler(window, pooler, pg, central_url):
    """Window X opens a transaction, makes a signed call, lifts the server's idle-in-transaction limit (its
    own SET LOCAL) and stays idle, holding one shared server connection: the other windows are served
    meanwhile, and the pooler ends X's client and that server connection after its own limit
    (idle_transaction_timeout). Takes that long (about 22 s)."""
    url_a, url_x = window(CENTRE, "01"), window(OTHER, "01")
    key_a, key_x = bind(url_a, pg.ca_file), bind(url_x, pg.ca_file)
    limit = PoolerSettings.idle_transaction_timeout
    idle = ("SELECT count(*) FROM pg_stat_activity WHERE usename = 'yc_gateway' "
            "AND state = 'idle in transaction'")
    with raw(pooler.shared_url(url_x), pg.ca_file) as x, \
            CentralClient(pooler.shared_url(url_a), ca_cert=pg.ca_file, window_key=(CENTRE, "01", key_a)) as a, \
            psycopg.connect(_libpq_url(central_url), autocommit=True) as adm:
        x.execute("BEGIN")
        x.execute(GW, signed(key_x, "push", OTHER, "01", "[[]]"))  # it holds its centre's stream lock too
        # after the call: gw.call puts the login's own settings back first, so a limit lifted before it
        # would not hold
        x.execute("SET LOCAL idle_in_transaction_session_timeout = 0")
        start = time.monotonic()
        while time.monotonic() - start < limit - 2:
            t = time.monotonic()
            assert a.pull_all({"case_status": 0}, {}) == {"case_status": {"rows": [], "last_seq": 0}}
            assert time.monotonic() - t < 2
            assert adm.execute(idle).fetchone()[0] == 1
            time.sleep(1)
        time.sleep(limit + 2 - (time.monotonic() - start))
        assert adm.execute(idle).fetchone()[0] == 0
        with pytest.raises(psycopg.OperationalError, match="idle transaction timeout"):
            x.execute("SELECT 1")
        assert a.pull_all({"case_status": 0}, {}) == {"case_status": {"rows": [], "last_seq": 0}}


def test_a_windows_planner_settings_do_not_reach_other_windows_through_the_shared_backends_plans(
        window, pooler, pg, central_url):
    """RESET ALL puts a shared server connection's settings back after each transaction, but not the plans
    its PL/pgSQL functions cached meanwhile: PostgreSQL keeps a statement's generic plan for the backend's
    life, built under the settings of the transaction that planned it. Window X (another centre) opens a
    transaction on a fresh shared connection, sets JIT compilation for every plan (jit_*_cost = 0) and
    calls gw.call as itself often enough for the sync functions' generic plans to be made there: without
    the fix every later call of window A on that connection JIT-compiled them again (about 0.5 s a pull
    instead of under 1 ms, until the backend ends, and whether or not X's login is disabled meanwhile); the
    same holds for enable_indexscan off and any other planner setting. gw.call runs RESET ALL first, so every
    call plans and runs under the shared login's own settings whatever its transaction set before."""
    url_a, url_x = window(CENTRE, "01"), window(OTHER, "01")
    key_a, key_x = bind(url_a, pg.ca_file), bind(url_x, pg.ca_file)
    streams = {"case_status": 0, "cases": 0, "users": 0}
    pulls = json.dumps([streams])
    with raw(pooler.shared_url(url_x), pg.ca_file) as x, \
            CentralClient(pooler.shared_url(url_a), ca_cert=pg.ca_file, window_key=(CENTRE, "01", key_a)) as a:
        x.execute("BEGIN")
        for setting in ("jit_above_cost", "jit_inline_above_cost", "jit_optimize_above_cost"):
            x.execute(f"SET LOCAL {setting} = 0")
        for _ in range(10):  # answered, but planned under the login's own settings
            assert x.execute(GW, signed(key_x, "pull_all", OTHER, "01", pulls)).fetchone()[0]["case_status"] == {
                "rows": [], "last_seq": 0}
        poisoned = x.execute("SELECT pg_backend_pid()").fetchone()[0]
        x.execute("COMMIT")
        took = []
        for _ in range(10):
            t = time.monotonic()
            assert a.pull_all(streams, {})["case_status"] == {"rows": [], "last_seq": 0}
            took.append(time.monotonic() - t)
        assert a._call("SELECT pg_backend_pid()", ()) == poisoned  # the pooler gave A the same connection
        assert sorted(took)[5] < 0.1, took
        # whatever the transaction set before the call, the call put the login's own settings back (and
        # they stay so for the rest of that transaction)
        x.execute("BEGIN")
        for stmt in ("SET LOCAL enable_indexscan = off", "SET LOCAL plan_cache_mode = force_generic_plan",
                     "SET LOCAL random_page_cost = 1000", "SET LOCAL work_mem = '64kB'",
                     "SET LOCAL plpgsql.extra_errors = 'all'", "SET LOCAL statement_timeout = '5s'",
                     "SET LOCAL TimeZone = 'UTC'", "SET LOCAL DateStyle = 'ISO, DMY'"):
            x.execute(stmt)
        assert x.execute(GW, signed(key_x, "pull_all", OTHER, "01", pulls)).fetchone()[0]["case_status"]
        with psycopg.connect(_libpq_url(central_url)) as fresh:
            work_mem = fresh.execute("SELECT current_setting('work_mem')").fetchone()[0]
        assert x.execute("SELECT current_setting('enable_indexscan'), current_setting('work_mem'), "
                         "current_setting('random_page_cost')::float").fetchone() == (
            "on", work_mem, float(server_default(central_url, "random_page_cost")))
        x.execute("ROLLBACK")
