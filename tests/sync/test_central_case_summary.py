"""Issue 11 at the centre, c0013: yc.case_summary (one row per case, kept by triggers on yc.cases and
yc.case_steps) gives the report what the former reading derived from the whole history at report time.

Each write a centre sees (an intake, a correction, a withdrawal, a void, a continuation at another window,
a department's decision, a hand-over, an administrator's SQL, a downgrade-and-backfill) is followed by the
same check: the report and the case-level rows read from the summary equal, figure for figure and column for
column, the former reading from yc.cases and yc.case_steps (legacy=True), and the summary row holds what
the write says. Then the attacks: a window's, a department's and a row-security-bound login against it."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

import psycopg
import pytest

from db.central import admin_connect, downgrade_central, init_central, publish_calendar
from db.central.client import _libpq_url
from desktop.core.clock import SHANGHAI
from desktop.core.stats import central
from tests.support.central_counts import assert_counts_match_summary
from tests.support.central_ops import CENTRAL_HEAD, A, B, admin_scalar
from tests.support.loop_central import APPROVE, POLICE, Loop, no, op

START = date(2026, 2, 1)


@pytest.fixture
def loop(central_url, window, central_ca) -> Loop:
    made = Loop(central_url, window, central_ca)
    publish_calendar(central_url, {"years": [2026], "days": [{"date": "2026-02-16", "kind": "holiday", "name": ""}]})
    return made


def _today() -> date:
    """Today in Shanghai (the day the office API's decisions are dated with at the centre)."""
    return datetime.now(SHANGHAI).date()


def _row(url: str, case_no: str) -> dict:
    with admin_connect(url) as conn:
        cur = conn.execute("SELECT * FROM yc.case_summary WHERE case_no = %s", (case_no,))
        values = cur.fetchone()
        return {} if values is None else dict(zip([d.name for d in cur.description], values, strict=True))


def _agree(url: str) -> dict:
    """The summary's reading equals the former one for A, B and both; returns A's report (as JSON)."""
    today = _today()
    out = {}
    for centres in ([A], [B], [A, B]):
        new = central.compute(url, centres=centres, start=START, end=today, today=today).as_json()
        old = central.compute(url, centres=centres, start=START, end=today, today=today, legacy=True).as_json()
        new.pop("generated_at"), old.pop("generated_at")
        assert new == old, centres
        rows = list(central.case_rows(url, centres=centres, start=START, end=today, today=today))
        assert rows == list(central.case_rows(url, centres=centres, start=START, end=today, today=today,
                                              legacy=True)), centres
        out[tuple(centres)] = new
    assert admin_scalar(url, "SELECT count(*) FROM yc.case_summary") == admin_scalar(
        url, "SELECT count(*) FROM yc.cases")
    assert_counts_match_summary(url)
    return out[(A,)]


def _step(event: str, window_no: str, name: str, at: str) -> dict:
    return {"event": event, "window_no": window_no, "clerk_login": "zhangmin", "clerk_name": name, "at": at,
            "backup_for": ""}


def test_the_summary_follows_every_write_the_centre_sees(loop, central_url):
    url = central_url
    c1, c2, c3, c4 = (no(A, "01", n) for n in (1, 2, 3, 4))
    answers = loop.push(op(A, "01", 1), op(A, "01", 2), op(A, "01", 3, outcome="notice"), op(A, "01", 4))
    assert [a["status"] for a in answers] == ["applied"] * 4, answers
    loop.push(op(B, "01", 1), centre=B)
    rep = _agree(url)
    assert rep["volumes"]["received"] == 4 and rep["volumes"]["notices"] == 0
    first = _row(url, c1)
    assert (first["centre_code"], first["window_no"], first["received_day"], first["promised_date"]) == (
        A, "01", "2026-02-12", "2026-02-26")
    assert (first["status"], first["decided_day"], first["visits"], first["first_notice"]) == ("received", None, 1, 0)

    # a correction (the window sends version 2 with another promised date and clerk)
    assert loop.push(op(A, "01", 1, version=2, promised_date="2026-02-27", clerk_login="lisi"))[0]["status"] == \
        "applied"
    assert (_row(url, c1)["promised_date"], _row(url, c1)["clerk_login"]) == ("2026-02-27", "lisi")
    # a withdrawal and a void
    loop.push(op(A, "01", 2, version=2, status="withdrawn"), op(A, "01", 4, version=2, status="voided"))
    assert (_row(url, c2)["status"], _row(url, c4)["status"]) == ("withdrawn", "voided")
    rep = _agree(url)
    assert (rep["volumes"]["withdrawn"], rep["volumes"]["voided"], rep["volumes"]["accepted"]) == (1, 1, 1)

    # continuation at window 02: 补正 there (a second visit), the case stays window 01's
    step = _step("supplemented", "01", "张敏", "2026-02-13T09:00:00+08:00")
    [applied] = loop.push(op(A, "01", 1, version=3, promised_date="2026-02-27", clerk_login="lisi", step=step),
                          window_no="02")
    assert applied["status"] == "applied", applied
    row = _row(url, c1)
    assert (row["window_no"], row["visits"]) == ("01", 2)
    _agree(url)
    # the clock stopped on the 13th and went on on the 18th (at 02): the pause is kept as its two days
    for version, (event, at) in enumerate((("clock.paused", "2026-02-13T10:00:00+08:00"),
                                           ("clock.resumed", "2026-02-18T10:00:00+08:00")), start=4):
        [applied] = loop.push(op(A, "01", 1, version=version, promised_date="2026-02-27", clerk_login="lisi",
                                 step=_step(event, "02", "李四", at)), window_no="02")
        assert applied["status"] == "applied", applied
    row = _row(url, c1)
    assert (row["pause_days"], row["resume_days"]) == (["2026-02-13"], ["2026-02-18"])
    _agree(url)

    # a department's decision (signed, three review steps, decided by the police) and the hand-over at 02
    c5 = loop.signed_case(5)
    assert _row(url, c5)["status"] == "signed"
    with loop.office(A, POLICE) as o:
        o.review("wang", c5, "handle", "材料齐全")
        o.review("qian", c5, "review", "同意承办意见")
        o.decide("sun", c5, APPROVE)
    decided = admin_scalar(url, "SELECT to_char((decision->>'decided_at')::timestamptz AT TIME ZONE "
                                "'Asia/Shanghai', 'YYYY-MM-DD') FROM yc.cases WHERE case_no = %s", (c5,))
    assert (_row(url, c5)["status"], _row(url, c5)["decided_day"]) == ("approved", decided)
    rep = _agree(url)
    assert rep["efficiency"]["decided"] == 1 and rep["loop"]["awaiting_pickup"] == 1
    handed = _step("delivered", "02", "李四", "2026-12-01T10:00:00+08:00")
    assert loop.push(op(A, "01", 5, version=2, status="delivered", step=handed), window_no="02")[0]["status"] == \
        "applied"
    row = _row(url, c5)
    assert (row["status"], row["delivered_day"], row["decided_day"]) == ("delivered", "2026-12-01", decided)
    rep = _agree(url)
    assert rep["loop"]["awaiting_pickup"] == 0 and rep["efficiency"]["delivered"] == 1

    # the administrator's own SQL (what the statistics tests do to date a decision) is followed too
    with admin_connect(url) as conn:
        conn.execute("UPDATE yc.cases SET decision = jsonb_set(decision, '{decided_at}', "
                     "to_jsonb('2026-02-20T15:00:00+08:00'::text)) WHERE case_no = %s", (c5,))
        conn.execute("UPDATE yc.case_steps SET at = '2026-02-20T15:00:00+08:00' WHERE case_no = %s "
                     "AND event LIKE 'decision.%%'", (c5,))
        conn.commit()
    assert _row(url, c5)["decided_day"] == "2026-02-20"
    assert _row(url, c3)["outcome"] == "notice"
    _agree(url)


def test_the_backfill_gives_the_rows_the_triggers_gave(loop, central_url):
    url = central_url
    loop.push(op(A, "01", 1), op(A, "01", 2, outcome="completed", status="delivered"))
    loop.push(op(A, "01", 1, version=2, step=_step("supplemented", "01", "张敏", "2026-02-13T09:00:00+08:00")),
              window_no="02")
    c3 = loop.signed_case(3)
    with loop.office(A, POLICE) as o:
        o.review("wang", c3, "handle", "材料齐全")
        o.review("qian", c3, "review", "同意")
        o.decide("sun", c3, APPROVE)
    query = "SELECT * FROM yc.case_summary ORDER BY case_no"
    with admin_connect(url) as conn:
        kept = [r[:-1] for r in conn.execute(query).fetchall()]  # all but refreshed_at
    assert len(kept) == 3
    assert downgrade_central(url, "c0012") == "c0012"
    assert admin_scalar(url, "SELECT to_regclass('yc.case_summary')") is None
    assert init_central(url) == CENTRAL_HEAD
    with admin_connect(url) as conn:
        assert [r[:-1] for r in conn.execute(query).fetchall()] == kept
    _agree(url)


def _bound_login(url: str) -> str:
    """A login with yc_admin's privileges but bound by row-level security (no BYPASSRLS)."""
    with admin_connect(url, autocommit=True) as conn:
        conn.execute("CREATE ROLE yc_summary_bound LOGIN PASSWORD 'bound12345' IN ROLE yc_admin")
    return url.replace(url.split("://", 1)[1].split("@", 1)[0], "yc_summary_bound:bound12345")


def test_a_window_or_a_department_cannot_read_or_change_the_summary(loop, central_url):
    loop.push(op(A, "01", 1))
    loop.push(op(B, "01", 1), centre=B)
    before = admin_scalar(central_url, "SELECT string_agg(case_no || status || coalesce(promised_date, ''), ',' "
                                       "ORDER BY case_no) FROM yc.case_summary")
    logins = {"window A/01": loop.w[(A, "01")], "window B/01": loop.w[(B, "01")],
              "department A police": loop.d[(A, POLICE)]}
    attacks = ("SELECT count(*) FROM yc.case_summary",
               f"SELECT * FROM yc.case_summary WHERE centre_code = '{B}'",
               "UPDATE yc.case_summary SET status = 'approved'",
               f"DELETE FROM yc.case_summary WHERE centre_code = '{B}'",
               f"INSERT INTO yc.case_summary (case_no, centre_code, window_no, matter_code, outcome, status, holiday, "
               f"received_day, first_notice, visits, paused) VALUES ('x', '{B}', '01', 'm', 'accepted', 'received', "
               "0, '2026-02-12', 0, 1, false)",
               "SELECT yc.case_summary_on_new()",
               "SELECT count(*) FROM yc.case_counts_received",
               f"UPDATE yc.case_counts_decided SET n = n + 1 WHERE centre_code = '{B}'",
               f"INSERT INTO yc.case_counts_delivered (writer, centre_code, delivered_day, n) "
               f"VALUES ('x', '{B}', '2026-02-12', 5)",
               "SELECT yc.case_counts_on_new()")
    for who, login in logins.items():
        with psycopg.connect(_libpq_url(login), autocommit=True, sslrootcert=str(loop.ca)) as conn:
            conn.execute("SELECT set_config('yc.centre', %s, false)", (B,))  # claims the other centre
            for attack in attacks:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(attack)
                    pytest.fail(f"{who}: {attack}")
    assert admin_scalar(central_url, "SELECT string_agg(case_no || status || coalesce(promised_date, ''), ',' "
                                     "ORDER BY case_no) FROM yc.case_summary") == before


def test_a_login_bound_to_one_centre_sees_and_changes_nothing_of_another(loop, central_url):
    loop.push(op(A, "01", 1), op(A, "01", 2))
    loop.push(op(B, "01", 1), centre=B)
    bound = _bound_login(central_url)
    with psycopg.connect(_libpq_url(bound), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM yc.case_summary").fetchone()[0] == 0  # no centre: nothing
        conn.execute("SELECT set_config('yc.centre', %s, false)", (A,))
        assert {r[0] for r in conn.execute("SELECT centre_code FROM yc.case_summary")} == {A}
        assert conn.execute(f"UPDATE yc.case_summary SET status = 'approved' WHERE centre_code = '{B}'"
                            ).rowcount == 0
        assert conn.execute(f"DELETE FROM yc.case_summary WHERE centre_code = '{B}'").rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # row-level security's WITH CHECK
            conn.execute(f"UPDATE yc.case_summary SET centre_code = '{B}' WHERE centre_code = '{A}'")
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.case_summary WHERE centre_code = %s", (B,)) == 1
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.case_summary WHERE status = 'approved'") == 0
    # and the report refuses such a login rather than print the one centre it can see as the district
    with pytest.raises(Exception, match="BYPASSRLS"):
        central.compute(bound, centres=[A, B], start=START, end=_today(), today=_today())


def test_an_upgrade_while_a_window_writes_loses_no_count(loop, central_url):
    """c0017 -> c0018 on a live centre: a write open while the upgrade starts commits before the backfill
    reads (the upgrade waits for it), so the counts hold it; nothing falls between backfill and triggers."""
    url = central_url
    loop.push(op(A, "01", 1), op(A, "01", 2))
    assert downgrade_central(url, "c0017") == "c0017"
    writer = admin_connect(url)
    writer.execute("UPDATE yc.cases SET status = 'withdrawn' WHERE case_no = %s", (no(A, "01", 1),))
    upgraded: list[str] = []
    upgrade = threading.Thread(target=lambda: upgraded.append(init_central(url)))
    upgrade.start()
    for _ in range(150):  # until the upgrade waits for the writer's lock
        time.sleep(0.1)
        if admin_scalar(url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"):
            break
    else:
        pytest.fail("the upgrade never waited for the open write")
    writer.commit()
    writer.close()
    upgrade.join(60)
    assert upgraded == [CENTRAL_HEAD]
    assert admin_scalar(url, "SELECT status FROM yc.case_summary WHERE case_no = %s", (no(A, "01", 1),)) == "withdrawn"
    assert_counts_match_summary(url)
