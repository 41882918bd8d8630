"""The central report's queries over the groups of case rows (issue 11): the one weighing the window uses
(sqlparts.weighted) is applied to every query over `cr` and to no other; a query it cannot weigh is refused
before any SQL runs. The figures themselves are compared with the former reading on a real PostgreSQL
(tests/sync/test_central_stats.py, tests/sync/test_central_case_summary.py)."""

import re
from datetime import date
from pathlib import Path

import pytest

from desktop.core.stats import batch, central, local, sqlparts
from desktop.core.stats.centralsql import STATUS_CLASS, groups_sql
from desktop.core.stats.sqlparts import CLOSED_STATUSES, VOLUME_SQL


def test_queries_over_the_groups_are_weighed_and_case_level_ones_are_not():
    r = batch.Recorder()
    q = central._Weighed(r)
    assert q.one(f"SELECT {VOLUME_SQL} FROM cr WHERE in_received") == (0,) * 7
    q.all("SELECT count(*) FROM cs WHERE outcome = 'accepted'")
    bodies = [body for body, _ in r.noted.values()]
    assert "count(*)" not in bodies[0] and bodies[0].startswith("SELECT SUM(n),")
    assert "THEN n ELSE 0 END" in bodies[0] and "THEN 1 ELSE 0 END" not in bodies[0]
    assert bodies[1] == "SELECT count(*) FROM cs WHERE outcome = 'accepted'"


def test_a_query_the_groups_cannot_answer_is_refused():
    q = central._Weighed(batch.Recorder())
    for bad in ("SELECT count(DISTINCT matter_code) FROM cr WHERE in_received",
                "SELECT avg(visits) FROM cr WHERE in_received",
                "SELECT SUM(visits) FROM cr WHERE in_received",
                "SELECT min(wd_decision) FROM cr WHERE in_decided"):
        with pytest.raises(RuntimeError, match="cannot answer"):
            q.all(bad)


def test_the_window_and_the_centre_weigh_with_one_implementation():
    assert local._weighted is sqlparts.weighted


def test_the_groups_are_read_only_and_name_no_temporary_table():
    sql = groups_sql({}, multi=True).upper()
    for word in ("TEMP", "INSERT", "UPDATE", "DELETE", "CREATE"):
        assert word not in sql.split(), word
    assert "GROUP BY" in sql and "CS AS NOT MATERIALIZED" in sql


_STATUS_USE = re.compile(r"\bstatus\b(?:\s*(?:=|!=|<>)\s*'(\w+)'|\s+(?:NOT\s+)?IN\s*\(([^)]*)\))", re.IGNORECASE)


def _statuses_read(body: str) -> set[str]:
    """Every status a query names; a use of `status` other than a comparison with literals fails."""
    uses = re.findall(r"\bstatus\b", body, re.IGNORECASE)
    found = _STATUS_USE.findall(body)
    assert len(found) == len(uses), f"status read otherwise than compared with a literal: {body}"
    return {s for one, many in found for s in ([one] if one else re.findall(r"'(\w+)'", many))}


def test_the_received_groups_status_class_is_all_the_queries_read():
    """The received groups carry the status as its class (withdrawn, voided or '*': centralsql.STATUS_CLASS):
    every query of the report over `cr` compares the status with a closed status only, or no query could
    tell the classes from the statuses; the check itself notices a query naming another status."""
    r = batch.Recorder()
    for multi in (False, True):
        central._figures(central._Weighed(r), {"310104": date(2026, 12, 3)}, date(2026, 12, 1),
                         date(2026, 11, 1), date(2026, 11, 30), multi)
    over_groups = [body for body, _ in r.noted.values() if sqlparts.READS_GROUPS.search(body)]
    assert len(over_groups) > 10
    read = set().union(*(_statuses_read(b) for b in over_groups))
    assert read and read <= set(CLOSED_STATUSES), read
    assert _statuses_read("SELECT SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) FROM cr") == {"approved"}
    with pytest.raises(AssertionError, match="otherwise"):
        _statuses_read("SELECT status, count(*) FROM cr WHERE in_received GROUP BY status")
    assert "'*'" in STATUS_CLASS and all(f"'{s}'" in STATUS_CLASS for s in CLOSED_STATUSES)
    # the groups read the counts c0018 keeps, whose status column the triggers fill with this class
    assert "FROM yc.case_counts_received" in groups_sql({}, multi=False)
    c0018 = (Path(__file__).resolve().parents[2] / "db/migrations/central/versions/c0018_case_counts.py").read_text()
    assert f'STATUS_CLASS = "{STATUS_CLASS.replace("s.status", "{r}.status")}"' in c0018
