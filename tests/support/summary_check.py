"""Checks of the per-case summary tables the writers keep (local migration 0013_case_summary) against the
former reading (the `cr` CTE over the cases, their history events and the outbox payloads), and of the
counts kept from them (0014_case_counts: per day, material gap and rating) against a count in Python of the
summary rows, the gaps and the ratings."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text

from desktop.core import workcalendar
from desktop.core.stats import local
from desktop.core.stats.sqlparts import case_rows_sql

COLUMNS = ("case_no", "matter_code", "matter_name", "applicant_kind", "clerk_login", "clerk_name", "window_no",
           "outcome", "status", "holiday", "received_day", "accept_day", "decided_day", "delivered_day",
           "promised_date", "statutory_date", "shift", "first_notice", "visits")


def summary_rows(store) -> dict[str, dict]:
    with store.Reader() as s:
        rows = s.execute(text("SELECT * FROM case_summary ORDER BY case_no")).mappings().all()
    return {r["case_no"]: dict(r) for r in rows}


def assert_summary_matches_history(store) -> dict[str, dict]:
    """Every summary row equals what the former CTE derives from the case, its events and its decision (over
    the whole centre, every day), and due_counted follows the case's clock; returns the summary rows."""
    cal = workcalendar.calendar(store)
    w = store.window()
    cols = ", ".join(COLUMNS)
    with store.Reader() as s:
        legacy = s.execute(text(case_rows_sql(cal, window=False) + f"\nSELECT {cols} FROM cr ORDER BY case_no"),
                           {"centre": w.centre_code, "f": "0000-01-01", "t": "9999-12-31"}).mappings().all()
        clocks = dict(s.execute(text("SELECT case_no, paused_since IS NULL AND NOT deadline_pending FROM cases")).all())
    kept = summary_rows(store)
    assert {r["case_no"] for r in legacy} == set(kept), "the summary has other cases than the history"
    for r in legacy:
        row = kept[r["case_no"]]
        assert {c: row[c] for c in COLUMNS} == dict(r), r["case_no"]
        assert row["due_counted"] == clocks[r["case_no"]], r["case_no"]
    assert_counts_match_summary(store, kept)
    return kept


# the groups each count table keeps (0014_case_counts), and which summary rows it counts
COUNTS = {
    "case_counts_received": (("received_day", "centre_code", "window_no", "matter_code", "catalogue_version",
                              "matter_name", "applicant_kind", "clerk_login", "clerk_name", "outcome", "status",
                              "holiday", "first_notice", "visits", "decided"), None),
    "case_counts_decided": (("decided_day", "centre_code", "window_no", "matter_code", "matter_name", "outcome",
                             "accept_day", "promised_date", "statutory_date", "shift"), "decided_day"),
    "case_counts_delivered": (("delivered_day", "centre_code", "window_no", "accept_day", "shift"), "delivered_day"),
}


def assert_counts_match_summary(store, rows: dict[str, dict] | None = None) -> None:
    """Every per-day count table holds exactly the groups of the summary rows with their number (counted
    here, in Python), no group of none."""
    rows = summary_rows(store) if rows is None else rows
    with store.Reader() as s:
        for table, (key, needs) in COUNTS.items():
            expected = Counter(tuple("" if r[c] is None else r[c] for c in key)
                               for r in rows.values() if needs is None or r[needs] is not None)
            kept = {tuple(k[:-1]): k[-1] for k in s.execute(text(f"SELECT {', '.join(key)}, n FROM {table}"))}
            assert kept == dict(expected), table
        gaps = {(c, code, state) for c, code, state in s.execute(text("SELECT case_no, code, state FROM case_gaps"))}
        ratings = s.execute(text("SELECT case_no, rated_at, overall, occasion FROM ratings")).all()
        kept_gaps = {tuple(k[:-1]): k[-1] for k in s.execute(text(
            "SELECT received_day, centre_code, window_no, matter_code, catalogue_version, matter_name, voided, code, "
            "state, n FROM gap_counts"))}
        kept_ratings = {tuple(k[:-1]): k[-1] for k in s.execute(text(
            "SELECT rated_day, centre_code, window_no, overall, occasion, n FROM rating_counts"))}
    expected_gaps = Counter((r["received_day"], r["centre_code"], r["window_no"], r["matter_code"],
                             r["catalogue_version"], r["matter_name"], int(r["status"] == "voided"), code, state)
                            for c, code, state in gaps if (r := rows.get(c)) is not None)
    assert kept_gaps == dict(expected_gaps), "gap_counts"
    expected_ratings = Counter((str(at)[:10], r["centre_code"], r["window_no"], overall, occasion)
                               for c, at, overall, occasion in ratings if (r := rows.get(c)) is not None)
    assert kept_ratings == dict(expected_ratings), "rating_counts"


def assert_reports_agree(store, start, end) -> None:
    """The report from the summary equals the former reading, for the window and the centre, figures, tables
    and the CSV's case rows."""
    for scope in ("window", "centre"):
        new = local.compute(store, start=start, end=end, scope=scope).as_json()
        old = local.compute(store, start=start, end=end, scope=scope, legacy=True).as_json()
        new.pop("generated_at"), old.pop("generated_at")
        assert new == old, scope
        assert list(local.case_rows(store, start=start, end=end, scope=scope)) == \
            list(local.case_rows(store, start=start, end=end, scope=scope, legacy=True)), scope
