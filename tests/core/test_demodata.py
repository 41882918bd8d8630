"""`yichuang demo-data` (issue 11): a seeded synthetic history written straight into a new window store.

Deterministic for a seed; refused (exit 2, nothing written) on a store with real cases, on a store linked to a
centre, twice, for a non-administrator; the statistics over the generated rows equal an independent count made
here from the raw rows and the raw calendar tables (not with the product's queries); a demo store is never
synced (no outbox row is generated, and sync refuses to run even when a real operation waits)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from desktop.cli import main
from desktop.core import demodata
from desktop.core.errors import AuthError, BadInput
from desktop.core.stats import local
from desktop.core.sync import round as sync_round
from tests.support.clock import MovableClock
from tests.support.factories import person
from tests.support.fake_transport import FakeTransport
from tests.support.rawdb import connect_store
from tests.support.store import StoreRecipe

NOW = datetime(2026, 12, 18, 17, 30)  # a Friday evening
TABLES = {"cases": "case_no", "case_events": "id", "case_materials": "case_no, code", "ratings": "case_no, occasion",
          "consultations": "id", "transfer_batches": "batch_no", "transfer_items": "batch_no, case_no",
          "case_counters": "prefix"}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(NOW)


@pytest.fixture
def store_recipe(clock) -> StoreRecipe:
    return StoreRecipe(now=clock.now, centre_name="徐汇区行政服务中心")  # init --demo: the demo catalogue


@pytest.fixture
def admin(services):
    return services.login(login="admin", password="admin1234")


def _dump(home) -> dict[str, list[tuple]]:
    con = connect_store(home)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY {key}").fetchall() for t, key in TABLES.items()}
    finally:
        con.close()


def _one(home, sql: str, *params):
    con = connect_store(home)
    try:
        return con.execute(sql, params).fetchone()[0]
    finally:
        con.close()


def _other_home(template_stores, store_recipe, clock, tmp_path, name: str):
    from desktop.core.services import Services

    h = template_stores.copy(store_recipe, tmp_path / name)
    return h, Services(h, clock=clock)


def test_the_same_seed_gives_the_same_rows_and_another_seed_others(services, admin, home, template_stores,
                                                                    store_recipe, clock, tmp_path):
    got = demodata.generate(services.store, cases=1500, days=60, seed=7, actor=admin)
    assert got.cases == 1500 and got.first_day == date(2026, 10, 20) and got.last_day == NOW.date()
    twin_home, twin = _other_home(template_stores, store_recipe, clock, tmp_path, "twin")
    other_home, other = _other_home(template_stores, store_recipe, clock, tmp_path, "other")
    try:
        demodata.generate(twin.store, cases=1500, days=60, seed=7, actor=twin.login(login="admin", password="admin1234"))
        demodata.generate(other.store, cases=1500, days=60, seed=8,
                          actor=other.login(login="admin", password="admin1234"))
    finally:
        twin.close()
        other.close()
    mine, same, different = _dump(home), _dump(twin_home), _dump(other_home)
    assert all(mine[t] for t in TABLES), {t: len(r) for t, r in mine.items()}
    assert mine == same
    assert mine["cases"] != different["cases"] and mine["case_events"] != different["case_events"]


def test_a_history_looks_like_the_services_wrote_it(services, admin, home, clock):
    demodata.generate(services.store, cases=3000, days=90, seed=3, actor=admin)
    con = connect_store(home)
    try:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        assert q("SELECT count(*) FROM outbox") == [(0,)]  # demo data is never queued for the centre
        assert q("SELECT value FROM settings WHERE key = 'demo_data'") == [("1",)]
        outcomes = dict(q("SELECT outcome, count(*) FROM cases GROUP BY outcome"))
        assert set(outcomes) == {"accepted", "completed", "notice", "refused"}
        statuses = dict(q("SELECT status, count(*) FROM cases GROUP BY status"))
        assert {"received", "signed", "approved", "denied", "delivered", "withdrawn", "voided"} <= set(statuses)
        events = dict(q("SELECT event, count(*) FROM case_events GROUP BY event"))
        for e in ("supplemented", "transfer", "transfer.sent", "transfer.signed", "transfer.returned",
                  "decision.approved", "decision.denied", "delivered", "rated", "holiday_service"):
            assert events.get(e), e
        # the centre's decision as apply_cases writes it: no window number; the window's own steps carry "01"
        assert q("SELECT DISTINCT window_no FROM case_events WHERE event LIKE 'decision.%'") == [("",)]
        assert q("SELECT DISTINCT window_no FROM case_events WHERE event IN ('accepted', 'notice', 'supplemented', "
                 "'delivered', 'withdrawn')") == [("01",)]
        bad = q("SELECT count(*) FROM cases WHERE status IN ('approved', 'denied', 'delivered') AND outcome = 'accepted' "
                "AND (decision_json = '' OR json_extract(decision_json, '$.decided_at') IS NULL)")
        assert bad == [(0,)]
        # a version per change: intake, each 补正, the centre's decision, the handover, a withdrawal or voiding
        wrong = q("""SELECT count(*) FROM cases c WHERE c.version != 1 + (SELECT count(*) FROM case_events e
                     WHERE e.case_no = c.case_no AND e.event IN ('supplemented', 'decision.approved', 'decision.denied',
                     'delivered', 'withdrawn', 'voided'))""")
        assert wrong == [(0,)]
        # real intake numbering continues after the demo serials
        assert q("""SELECT count(*) FROM (SELECT substr(case_no, 1, 14) p, count(*) n FROM cases GROUP BY p) x
                    LEFT JOIN case_counters k ON k.prefix = x.p WHERE k.last IS NOT x.n""") == [(0,)]
        assert q("SELECT count(*) FROM cases WHERE received_at > '2026-12-18 17:30:00'") == [(0,)]
        assert q("SELECT count(*) FROM case_events WHERE at > '2026-12-18 17:30:00'") == [(0,)]
        kinds = q("SELECT DISTINCT kind FROM calendar_days WHERE day BETWEEN '2026-09-19' AND '2026-12-18'")
        assert ("holiday",) in kinds  # the period crosses the National Day holiday
    finally:
        con.close()
    _same_storage_as_a_real_intake(services, home, clock)
    work = _workdays(home)
    days = _rows(home, "SELECT received_day, holiday FROM cases WHERE received_day < '2026-12-18'")
    off = [(d, h) for d, h in days if not work(date.fromisoformat(d[:10]))]
    assert off and all(h == 1 for _, h in off)  # holidays respected: a few 节假日办理, every one marked
    assert len(off) < 0.03 * len(days)
    assert all(h == 0 for d, h in days if work(date.fromisoformat(d[:10])))


def _same_storage_as_a_real_intake(services, home, clock) -> None:
    """Every column of a generated case, material and event is stored as the intake service stores it (the same
    SQLite type and, for a date or a time, the same text length), compared with a real intake of the same matter."""
    clock.now = datetime(2026, 12, 1, 10, 0)  # its dates in 2026 (2027's holidays may not be published)
    real = _real_intake(services, "SH-PER-001")
    clock.now = NOW
    for table, cols in (("cases", ("received_at", "received_day", "complete_at", "promised_date", "statutory_date",
                                   "holiday", "deadline_pending", "version", "updated_at", "warnings_json",
                                   "applicant_json", "calendar_version", "catalogue_version", "agent_json")),
                        ("case_materials", ("required", "copies", "state", "ordinal", "gap_due")),
                        ("case_events", ("at", "window_no"))):
        for c in cols:
            shape = f"SELECT DISTINCT typeof({c}), CASE WHEN {c} LIKE '____-__-__%' THEN length({c}) END FROM {table}"
            want = _rows(home, f"{shape} WHERE case_no = '{real}'")
            demo = _rows(home, f"{shape} WHERE case_no != '{real}' AND case_no IN (SELECT case_no FROM cases "
                         "WHERE matter_code = 'SH-PER-001' AND outcome = 'accepted')")
            assert set(demo) - {("null", None)} == set(want) - {("null", None)}, (table, c)


def _rows(home, sql: str) -> list[tuple]:
    con = connect_store(home)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _workdays(home):
    """Is a day a working day: from the raw calendar tables (an override, else Monday to Friday)."""
    overrides = dict(_rows(home, "SELECT substr(day, 1, 10), kind FROM calendar_days"))
    return lambda d: overrides[d.isoformat()] == "workday" if d.isoformat() in overrides else d.weekday() < 5


def _independent(home, start: date, end: date) -> dict:
    """On-time rate, P90 working days to decision and the one-time-notice share, counted here from the raw rows."""
    work = _workdays(home)

    def between(a: date, b: date) -> int:  # working days in (a, b]
        return sum(1 for k in range(1, (b - a).days + 1) if work(a + timedelta(days=k)))

    noticed = {n for (n,) in _rows(home, "SELECT case_no FROM case_events WHERE event = 'notice'")}
    day = lambda v: date.fromisoformat(v[:10]) if v else None  # noqa: E731
    decided, first, first_notice = [], 0, 0
    for no, outcome, status, received, complete, promised, statutory, decision, shift in _rows(home, """
            SELECT case_no, outcome, status, received_day, complete_at, promised_date, statutory_date, decision_json,
                   clock_shift_days FROM cases"""):
        if start <= day(received) <= end and status != "voided":
            first += 1
            first_notice += no in noticed
        if status in ("withdrawn", "voided"):
            continue
        if outcome == "completed":
            done = day(complete) or day(received)
        elif outcome == "accepted" and status in ("approved", "denied", "result_ready", "delivered"):
            done = day(json.loads(decision)["decided_at"])
        else:
            continue
        if start <= done <= end:
            decided.append((done, day(promised), day(statutory), between(day(complete) or day(received), done) - shift))
    known = [(d, p) for d, p, _, _ in decided if p is not None]
    on_time = sum(1 for d, p in known if d <= p)
    s_known = [(d, s) for d, _, s, _ in decided if s is not None]
    days = sorted(w for *_, w in decided)
    p90 = days[-(-len(days) * 9 // 10) - 1]  # nearest rank
    return {"decided": len(decided), "promised_known": len(known), "on_time_promised": on_time,
            "on_time_promised_rate": round(on_time * 100 / len(known), 1),
            "on_time_statutory_rate": round(sum(1 for d, s in s_known if d <= s) * 100 / len(s_known), 1),
            "p90_days_decision": p90, "mean_days_decision": round(sum(days) / len(days), 1),
            "first_visits": first, "first_notice": first_notice,
            "first_notice_share": round(first_notice * 100 / first, 1)}


@pytest.mark.parametrize("start,end", [(date(2026, 11, 1), date(2026, 11, 30)), (date(2026, 9, 1), date(2026, 12, 18))])
def test_the_statistics_equal_an_independent_count_over_the_generated_rows(services, admin, home, start, end):
    demodata.generate(services.store, cases=4000, days=100, seed=11, actor=admin)
    rep = local.compute(services.store, start=start, end=end, scope="window")
    e, r = rep.efficiency, rep.revisits
    got = {"decided": e.decided, "promised_known": e.promised_known, "on_time_promised": e.on_time_promised,
           "on_time_promised_rate": e.on_time_promised_rate, "on_time_statutory_rate": e.on_time_statutory_rate,
           "p90_days_decision": e.p90_days_decision, "mean_days_decision": e.mean_days_decision,
           "first_visits": r.first_visits, "first_notice": r.first_notice, "first_notice_share": r.first_notice_share}
    want = _independent(home, start, end)
    assert got == want
    assert 50 < want["on_time_promised_rate"] < 100 and 0 < want["first_notice_share"] < 50  # not degenerate


def _run(home, monkeypatch, capsys, *args, password="admin1234"):
    monkeypatch.setenv("YICHUANG_PASSWORD", password)
    code = main(["--home", str(home), *args])
    return code, capsys.readouterr()


def _real_intake(services, code: str = "SH-PER-003"):
    clerk = services.login(login="demo", password="demo1234")
    intake = {"matter": code, "applicant": person(), "agent": None, "note": "",
              "materials": {m.code: "paper" for m in services.matter(code=code).materials if m.required}}
    return services.accept_application(intake=intake, clerk=clerk).case_no


def test_refused_on_a_store_with_real_cases_and_nothing_is_written(services, home, monkeypatch, capsys):
    _real_intake(services)
    code, out = _run(home, monkeypatch, capsys, "demo-data", "--cases", "50", "--clerk", "admin")
    assert code == 2 and "E_DEMO_REAL_DATA" in out.err and "1 件办件" in out.err
    assert _one(home, "SELECT count(*) FROM cases") == 1
    assert _one(home, "SELECT count(*) FROM settings WHERE key = 'demo_data'") == 0


@pytest.mark.parametrize("args,password,code_word", [
    (("--cases", "50", "--clerk", "demo"), "demo1234", "E_PERMISSION"),  # a clerk may not
    (("--cases", "50", "--clerk", "admin"), "wrong-password", "E_LOGIN"),
    (("--cases", "0", "--clerk", "admin"), "admin1234", "E_DEMO_ARGS"),
    (("--cases", "150000", "--days", "10", "--clerk", "admin"), "admin1234", "E_DEMO_TOO_DENSE"),
])
def test_refused_without_an_administrator_or_with_bad_numbers(home, services, monkeypatch, capsys, args, password,
                                                             code_word):
    services.close()
    code, out = _run(home, monkeypatch, capsys, "demo-data", *args, password=password)
    assert code == 2 and code_word in out.err, out.err
    assert _one(home, "SELECT count(*) FROM cases") == 0
    assert _one(home, "SELECT count(*) FROM settings WHERE key = 'demo_data'") == 0


def test_refused_on_a_store_linked_to_a_centre_and_a_second_time(services, admin, home):
    services.store.set_setting("central_url", "postgresql://w@centre.example:5432/yichuang")
    with pytest.raises(BadInput) as e:
        demodata.generate(services.store, cases=10, actor=admin)
    assert e.value.code == "E_DEMO_LINKED" and _one(home, "SELECT count(*) FROM cases") == 0
    services.store.set_setting("central_url", "")
    demodata.generate(services.store, cases=10, actor=admin)
    with pytest.raises(BadInput) as e:
        demodata.generate(services.store, cases=10, seed=2, actor=admin)
    assert e.value.code == "E_DEMO_AGAIN" and _one(home, "SELECT count(*) FROM cases") == 10
    with pytest.raises(AuthError):
        demodata.generate(services.store, cases=10, actor=services.login(login="super", password="super1234"))


def test_sync_refuses_a_demo_store_even_with_a_real_operation_waiting(services, admin, home, monkeypatch, capsys):
    demodata.generate(services.store, cases=200, days=30, actor=admin)
    no = _real_intake(services)  # a clerk takes a real case in the demo store: still never pushed
    assert _one(home, "SELECT count(*) FROM outbox WHERE state = 'pending' AND ref = ?", no) >= 1
    centre = FakeTransport()
    for attempt in (lambda: services.sync_round(), lambda: sync_round.sync_round(services.store, transport=centre),
                    lambda: sync_round.push_outbox(services.store, centre),
                    lambda: sync_round.link_central(services.store, url="postgresql://w@h/db", transport=centre)):
        with pytest.raises(BadInput) as e:
            attempt()
        assert e.value.code == "E_DEMO_STORE"
    assert centre.calls == [] and centre.applied == []
    assert _one(home, "SELECT count(*) FROM outbox WHERE state = 'pending'") >= 1
    services.close()
    code, out = _run(home, monkeypatch, capsys, "sync", "--central", "postgresql://w@127.0.0.1:1/db")
    assert code == 2 and "E_DEMO_STORE" in out.err and "演示数据" in out.err


def test_without_the_mark_the_same_round_would_push(services, admin):
    """The control for the test above: the fake centre does take this store's operation once unmarked."""
    demodata.generate(services.store, cases=20, days=10, actor=admin)
    _real_intake(services)
    services.store.set_setting("demo_data", "0")
    centre = FakeTransport()
    result = sync_round.sync_round(services.store, transport=centre)
    assert result.pushed >= 1 and any(kind == "case.upsert" for kind, _ in centre.applied)
