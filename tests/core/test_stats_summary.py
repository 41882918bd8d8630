"""Issue 11: the per-case summary tables the writers keep (local migration 0013_case_summary, triggers on
cases, case_events, case_materials and the outbox). After every kind of write (intake, notice, 补正 at a
later visit, correction, withdrawal, voiding, a decision and a case of another window pulled from the
centre, hand-over at the window) each summary row equals what the former reading derives from the case, its
events and its decision, and the report from the summary equals the former report, table for table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from db.local import engine as local_engine
from desktop.core import retention
from tests.support import stats_history as H
from tests.support.factories import person, residence_permit_intake
from tests.support.summary_check import assert_reports_agree, assert_summary_matches_history, summary_rows

TRIGGERS = {"cs_cases_ins", "cs_cases_upd", "cs_cases_del", "cs_events_ins", "cs_events_upd", "cs_events_del",
            "cg_outbox_ins", "cg_materials_ins", "cg_materials_upd", "cg_materials_del",
            "cc_summary_ins", "cc_summary_del", "cc_summary_upd", "gc_summary_ins", "gc_summary_del",
            "gc_summary_upd", "gc_gaps_ins", "gc_gaps_del", "gc_gaps_upd", "rc_ratings_ins", "rc_ratings_del",
            "rc_ratings_upd"}


def _pull_other_window(svc, like: str, *, status: str = "received", version: int = 1, decision=None,
                       steps=None) -> str:
    """A case of window 02 arriving from the centre's `cases` stream (as the sync loop applies it)."""
    from db.local.models import Case
    from desktop.core import caseno
    from desktop.core.cases.versions import case_payload
    from desktop.core.sync.loop import apply_cases

    other = caseno.make_case_no("310104", "02", H.PERIOD[0], 7)
    with svc.store.Session.begin() as s:
        payload = case_payload(s.get(Case, like)) | {"case_no": other, "window_no": "02", "clerk_login": "wang",
                                                     "clerk_name": "王芳"}
        steps = steps or [{"event": "accepted", "window_no": "02", "actor_name": "王芳",
                           "at": payload["received_at"]}]
        apply_cases(svc.store, s, [{"key": other, "data": {
            "case_no": other, "version": version, "payload": payload, "status": status, "decision": decision,
            "steps": steps, "last_window_no": "02"}}], H.NOW)
    return other


def test_the_triggers_are_in_place_at_head(services):
    """A later migration that rebuilds cases, case_events, case_materials or the outbox drops their triggers:
    this fails until it creates them again."""
    with services.store.Reader() as s:
        names = {n for (n,) in s.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}
    assert TRIGGERS <= names


def test_the_summary_follows_every_write_of_the_history(services, clock):
    no = H.build(services, clock)
    rows = assert_summary_matches_history(services.store)
    # the letters of the hand-counted history, spot-checked by hand
    assert rows[no["H"]]["status"] == "withdrawn" and rows[no["H"]]["decided_day"] is None
    assert rows[no["I"]]["status"] == "voided"
    e = rows[no["E"]]  # notice on Monday, 补正 on Wednesday, decided 12-03, collected at the window 12-07
    assert (e["first_notice"], e["visits"], e["accept_day"], e["decided_day"], e["delivered_day"]) == \
        (1, 3, "2026-11-25", "2026-12-03", "2026-12-07")
    assert rows[no["A"]]["decided_day"] == "2026-11-25" and rows[no["C"]]["status"] == "denied"
    assert rows[no["F"]]["first_notice"] == 1 and rows[no["F"]]["visits"] == 1
    assert_reports_agree(services.store, *H.PERIOD)


def test_a_correction_a_pause_and_a_pulled_case_keep_the_summary_right(services, clock):
    no = H.build(services, clock)
    clerk = services.login(login="demo", password="demo1234")
    services.correct_case(case_no=no["J"], changes={"applicant": person(name="王晓明")}, reason="姓名录入错误",
                          clerk=clerk)
    services.pause_clock(case_no=no["L"], reason="现场核查", clerk=services.login(login="super", password="super1234"))
    assert summary_rows(services.store)[no["L"]]["due_counted"] == 0  # paused: not near due any more
    other = _pull_other_window(services, no["A"])
    rows = assert_summary_matches_history(services.store)
    assert (rows[other]["window_no"], rows[other]["clerk_name"], rows[other]["status"]) == ("02", "王芳", "received")
    # the centre's next snapshot of that case: decided
    stamp = "2026-12-04T15:00:00+08:00"
    _pull_other_window(services, no["A"], status="approved", version=2,
                       decision={"decision": "approve", "decided_at": stamp, "decided_by": "li",
                                 "decided_by_name": "李审批", "department": "区公安分局", "reason": ""},
                       steps=[{"event": "decision.approved", "window_no": None, "department": "区公安分局",
                               "actor_name": "李审批", "at": stamp}])
    rows = assert_summary_matches_history(services.store)
    assert (rows[other]["status"], rows[other]["decided_day"]) == ("approved", "2026-12-04")
    assert_reports_agree(services.store, *H.PERIOD)
    centre = services.statistics(start=H.PERIOD[0], end=H.PERIOD[1], scope="centre",
                                 actor=services.login(login="super", password="super1234"))
    assert centre.efficiency.near_due_now == 0 and centre.efficiency.decided == H.EXPECTED["decided"] + 1


def test_the_migration_fills_the_summary_of_an_existing_store(services, clock):
    """A store that has its history before 0013 gets the summary from the backfill: the same rows and the
    same report as the former reading."""
    no = H.build(services, clock)
    _pull_other_window(services, no["A"])
    before = summary_rows(services.store)
    local_engine.downgrade(services.engine, "0012_office_clock")
    with services.store.Reader() as s:
        tables = {n for (n,) in s.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))}
    assert "case_summary" not in tables and "case_gaps" not in tables
    local_engine.upgrade(services.engine)
    assert summary_rows(services.store) == before
    assert_summary_matches_history(services.store)
    assert_reports_agree(services.store, *H.PERIOD)


def test_missing_materials_outlive_the_purge_of_the_outbox_payloads(services, clock):
    """The materials table reads case_gaps, not the outbox: once the centre acknowledged the ops and their
    payloads are purged, the notice's missing material is still counted (the former reading lost it)."""
    H.build(services, clock)
    boss = services.login(login="super", password="super1234")
    before = services.statistics(start=H.PERIOD[0], end=H.PERIOD[1], scope="window", actor=boss).table("missing")
    with services.store.Session.begin() as s:
        s.execute(text("UPDATE outbox SET state = 'applied', acked_at = '2026-01-01 00:00:00.000000'"))
    assert retention.purge_applied_payloads(services.store) > 0
    after = services.statistics(start=H.PERIOD[0], end=H.PERIOD[1], scope="window", actor=boss).table("missing")
    assert after == before and {r[1] for r in after.rows} == {"M2 居住登记凭证", "M3 劳动合同"}


def test_a_new_intake_and_its_notice_reach_the_gaps_at_once(services, clock, clerk):
    clock.now = datetime(2026, 11, 24, 10, 0)
    case_no = services.accept_application(intake=residence_permit_intake(M3="missing"), clerk=clerk).case_no
    with services.store.Reader() as s:
        gaps = set(s.execute(text("SELECT code, state, src FROM case_gaps WHERE case_no = :c"), {"c": case_no}).all())
    assert gaps == {("M3", "missing", "o"), ("M3", "missing", "m")}
    services.supplement_case(case_no=case_no, materials={"M3": "paper"}, clerk=clerk)
    with services.store.Reader() as s:
        gaps = set(s.execute(text("SELECT code, state, src FROM case_gaps WHERE case_no = :c"), {"c": case_no}).all())
    assert gaps == {("M3", "missing", "o")}  # what the notice said stays; nothing is missing now
    assert summary_rows(services.store)[case_no]["visits"] == 2
    assert_summary_matches_history(services.store)


def test_the_gap_and_rating_counts_follow_each_row_from_either_side(services, clock):
    """gap_counts counts a case's material once whichever rows of case_gaps say it (from the outbox, from
    case_materials, or both) and forgets it with the last; rating_counts follows a rating's removal; both
    follow the case when it is voided. Rows written straight into the tables, as a bulk load would."""
    no = H.build(services, clock)
    case = no["A"]

    def counts(sql: str) -> dict:
        with services.store.Reader() as s:
            return {tuple(r[:-1]): r[-1] for r in s.execute(text(sql), {"c": case})}

    gap_sql = "SELECT voided, code, state, n FROM gap_counts WHERE received_day = (SELECT received_day FROM " \
              "case_summary WHERE case_no = :c) AND code = 'MX'"
    steps = [("INSERT INTO case_gaps VALUES (:c, 'MX', 'missing', 'm')", {(0, "MX", "missing"): 1}),
             ("INSERT INTO case_gaps VALUES (:c, 'MX', 'missing', 'o')", {(0, "MX", "missing"): 1}),
             ("DELETE FROM case_gaps WHERE case_no = :c AND code = 'MX' AND src = 'm'", {(0, "MX", "missing"): 1}),
             ("UPDATE case_gaps SET src = 'm' WHERE case_no = :c AND code = 'MX'", {(0, "MX", "missing"): 1}),
             ("UPDATE case_gaps SET state = 'defective' WHERE case_no = :c AND code = 'MX'",
              {(0, "MX", "defective"): 1}),
             ("UPDATE cases SET status = 'voided' WHERE case_no = :c", {(1, "MX", "defective"): 1}),
             ("DELETE FROM case_gaps WHERE case_no = :c AND code = 'MX'", {})]
    for sql, expected in steps:
        with services.store.Session.begin() as s:
            s.execute(text(sql), {"c": case})
        assert counts(gap_sql) == expected, sql
        assert_summary_matches_history(services.store)
    assert counts("SELECT rated_day, n FROM rating_counts")  # the history has its ratings
    with services.store.Session.begin() as s:
        s.execute(text("DELETE FROM ratings"))
    assert counts("SELECT rated_day, n FROM rating_counts") == {}
    assert_summary_matches_history(services.store)


def test_a_query_over_case_rows_is_weighed_by_the_group_counts_or_refused():
    import pytest

    from desktop.core.stats import local

    body = local._weighted("SELECT count(*), SUM(CASE WHEN a THEN 1 ELSE 0 END), SUM(first_notice), "
                           "SUM(CASE WHEN b THEN visits ELSE 0 END) FROM cr WHERE in_received")
    assert body == ("SELECT SUM(n), SUM(CASE WHEN a THEN n ELSE 0 END), SUM(first_notice * n), "
                    "SUM(CASE WHEN b THEN visits * n ELSE 0 END) FROM cr WHERE in_received")
    for bad in ("SELECT avg(wd_decision) FROM cr", "SELECT SUM(wd_decision) FROM cr",
                "SELECT count(DISTINCT case_no) FROM cr", "SELECT SUM(CASE WHEN a THEN 2 ELSE 0 END) FROM cr"):
        with pytest.raises(RuntimeError):
            local._weighted(bad)
