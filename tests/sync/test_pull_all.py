"""sync.pull_all (central c0015): every stream's page in one call, the same answers, limits and walls as
sync.pull, and the window's round using it (issue 17: a round that finds nothing new is one call)."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

from db.central import CentralClient, admin_connect, downgrade_central, init_central, upsert_user
from db.central.errors import CentralRefused
from desktop.core.sync import PULL_LIMITS, STREAMS
from tests.support.central_ops import A, B, case_op

LIMITS = dict.fromkeys(STREAMS, 1000)


def _fill(url_a: str, url_b: str, central_url: str) -> None:
    """Cases of centre A and of centre B, a user of each centre and a global one."""
    with CentralClient(url_a) as a, CentralClient(url_b) as b:
        assert all(r["status"] == "applied" for r in a.push([case_op(A, "01", n) for n in range(1, 4)]))
        assert all(r["status"] == "applied" for r in b.push([case_op(B, "01", 9)]))
        # a later version of one of A's cases: `cases` gives only the newest
        assert a.push([case_op(A, "01", 2, version=2, note="补正")])[0]["status"] == "applied"
    _user(central_url, "wang", A)
    _user(central_url, "zhao", B)


def _user(central_url: str, login: str, centre: str) -> None:
    upsert_user(central_url, {"login": login, "name": "某", "role": "clerk", "password_hash": "h", "centre_code": centre})


def test_pull_all_answers_what_the_seven_pulls_answer(window, central_url):
    url_a, url_b = window(A, "01"), window(B, "01")
    _fill(url_a, url_b, central_url)
    with CentralClient(url_a) as c:
        for after in (0, 3):
            cursors = dict.fromkeys(STREAMS, after)
            assert c.pull_all(cursors, LIMITS) == {s: c.pull(s, after, 1000) for s in STREAMS}
        pages = c.pull_all(dict.fromkeys(STREAMS, 0), LIMITS)
        assert [r["data"]["version"] for r in pages["cases"]["rows"]] == [1, 1, 2]  # newest only
        # limits per stream, as sync.pull clamps them
        small = c.pull_all({"cases": 0, "users": 0}, {"cases": 1, "users": 0})
        assert len(small["cases"]["rows"]) == 1 and len(small["users"]["rows"]) == 1
        assert small["cases"]["last_seq"] == small["cases"]["rows"][0]["seq"]
        # nothing new: every stream an empty page at its cursor; an unknown stream an empty page too
        top = {s: p["last_seq"] for s, p in pages.items()}
        again = c.pull_all({**top, "nonsense": 5}, LIMITS)
        assert all(again[s] == {"rows": [], "last_seq": top[s]} for s in STREAMS)
        assert again["nonsense"] == {"rows": [], "last_seq": 5}


def test_pull_all_gives_a_window_only_its_own_centre(window, central_url):
    url_a, url_b = window(A, "01"), window(B, "01")
    _fill(url_a, url_b, central_url)
    with CentralClient(url_b) as c:
        pages = c.pull_all(dict.fromkeys(STREAMS, 0), LIMITS)
    assert {r["key"] for r in pages["cases"]["rows"]} == {f"{B}01260212{9:04d}"}
    for s in ("cases", "case_status", "users", "transfers", "backups"):
        for r in pages[s]["rows"]:
            assert A not in r["key"] and "wang" != r["key"], (s, r)


def test_pull_all_refuses_bad_input_in_chinese(window):
    with CentralClient(window(A, "01")) as c:
        for cursors in ({f"s{n}": 0 for n in range(17)}, {"cases": "abc"}, {"cases": {"after": "x"}},
                        {"cases": {"after": 1, "limit": 1.5e30}}):
            with pytest.raises(CentralRefused) as e:
                c._call("SELECT sync.pull_all(%s)", (Jsonb(cursors),))
            assert e.value.sqlstate == "YC004" and "sync.pull_all" in str(e.value)
        with pytest.raises(CentralRefused):
            c._call("SELECT sync.pull_all(%s::jsonb)", ('[1, 2]',))


def test_only_windows_may_call_pull_all_and_nobody_calls_pull_page(window, central_url):
    url = window(A, "01")
    with CentralClient(url) as c, pytest.raises(CentralRefused) as e:
        c._call("SELECT yc.pull_page(%s, 'cases', 0, 10)", (B,))
    assert e.value.sqlstate == "42501"
    with admin_connect(central_url, autocommit=True) as con:
        for role in ("yc_admin", "yc_office", "yc_reporting"):
            assert not con.execute("SELECT has_function_privilege(%s, 'sync.pull_all(jsonb)', 'EXECUTE')",
                                   (role,)).fetchone()[0], role
            assert not con.execute("SELECT has_function_privilege(%s, 'yc.pull_page(text, text, bigint, int)', "
                                   "'EXECUTE')", (role,)).fetchone()[0], role
        assert con.execute("SELECT has_function_privilege('yc_window', 'sync.pull_all(jsonb)', 'EXECUTE')"
                           ).fetchone()[0]
        # a superuser who is no window is told so (the login decides the centre, never an argument)
        with pytest.raises(psycopg.Error) as e2:
            con.execute("SELECT sync.pull_all('{\"cases\": 0}')")
        assert e2.value.sqlstate == "YC002"


def test_an_older_centre_without_pull_all_gets_the_seven_pulls(window, central_url):
    url_a, url_b = window(A, "01"), window(B, "01")
    _fill(url_a, url_b, central_url)
    with CentralClient(url_a) as c:
        before = c.pull_all(dict.fromkeys(STREAMS, 0), LIMITS)
        downgrade_central(central_url, "c0013")
        try:
            assert c.pull_all(dict.fromkeys(STREAMS, 0), LIMITS) == before
            assert c._no_pull_all
        finally:
            init_central(central_url)


class Counting:
    """The real CentralClient, counting the calls a round makes (no mock: every call goes to the centre)."""

    def __init__(self, client: CentralClient) -> None:
        self.client, self.calls = client, []

    def __getattr__(self, name):
        fn = getattr(self.client, name)
        if not callable(fn):
            return fn

        def call(*a, **kw):
            self.calls.append(name)
            return fn(*a, **kw)
        return call


def test_a_round_that_finds_nothing_new_is_one_call(services, window, central_url):
    from desktop.core.sync import pull_streams

    c = "310104"  # the services store's centre; its window 01 pulls what window 02 pushed
    url_01, url_02 = window(c, "01"), window(c, "02")
    with CentralClient(url_02) as w2:
        assert all(r["status"] == "applied" for r in w2.push([case_op(c, "02", n) for n in range(1, 4)]))
    _user(central_url, "wang", c)
    store = services.store
    t = Counting(CentralClient(url_01))
    try:
        got = pull_streams(store, t)
        assert got > 0 and t.calls[0] == "pull_all"
        t.calls.clear()
        assert pull_streams(store, t) == 0
        assert t.calls == ["pull_all"]
        # a full first page is paged on with sync.pull, the streams still in their order
        PULL_LIMITS["cases"] = 1
        _user(central_url, "qian", c)
        with CentralClient(url_02) as w2:
            w2.push([case_op(c, "02", n) for n in (7, 8)])
        t.calls.clear()
        assert pull_streams(store, t) >= 3
        assert t.calls == ["pull_all", "pull", "pull"]  # cases: pages 2 and 3 (the last one empty)
    finally:
        PULL_LIMITS["cases"] = STREAMS["cases"].page_limit
        t.client.close()
