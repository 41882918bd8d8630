"""The single statement of a central report (desktop/core/stats/batch.py): how a query body is split into the
CTEs it adds and its SELECT, and how wide a one-row answer is. The statement itself is checked against the
former queries on the real PostgreSQL in tests/sync/test_central_stats.py."""

from __future__ import annotations

from desktop.core.stats import batch, centralsql
from desktop.core.stats.sqlparts import VOLUME_SQL


def test_a_body_that_adds_ctes_is_split_at_its_own_select():
    body = centralsql.consultations_sql(multi=True)
    cte, select = batch.split(body)
    assert cte.startswith(", cur AS (") and "SELECT DISTINCT ON" in cte
    assert select.startswith("SELECT k.matter_code") and "UNION ALL" in select
    assert batch.split("SELECT 1 FROM cr") == ("", "SELECT 1 FROM cr")


def test_the_width_counts_the_top_level_columns_only():
    assert batch.width(f"SELECT {VOLUME_SQL} FROM cr WHERE in_received") == 7
    assert batch.width("SELECT count(*), SUM(CASE WHEN a IN ('x', 'y') THEN 1 ELSE 0 END) FROM cr") == 2
    assert batch.width("SELECT 'a, b', f(x, y) FROM t") == 2


def test_the_recorder_notes_each_query_once_and_answers_with_zeros():
    r = batch.Recorder()
    assert r.one(f"SELECT {VOLUME_SQL} FROM cr") == (0,) * 7
    assert r.all("SELECT a FROM cr WHERE d < :today", today="2026-12-11") == []
    r.all("SELECT a FROM cr WHERE d < :today", today="2026-12-11")
    r.all("SELECT a FROM cr WHERE d < :today", today="2026-12-12")
    assert len(r.noted) == 3
