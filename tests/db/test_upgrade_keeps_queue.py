"""An upgrade keeps the queue: a store of the oldest shipped local schema (0001, plain SQLite as that version
wrote it) with cases queued in it is opened by this version (encrypted in place, upgraded to head, its rows
chained), syncs against the real centre, and every case arrives there exactly once."""

from __future__ import annotations

import psycopg
from sqlalchemy import create_engine

from db.central import _libpq_url
from db.local import engine as local_engine
from desktop.core.services import Services
from tests.support.central_ops import publish_store_catalogues
from tests.support.factories import residence_permit_intake
from tests.support.rawdb import connect_store

OLDEST = "0001"
# the columns of 0001's cases and outbox tables (db/migrations/local/versions/0001_initial_local_store.py)
CASE_COLUMNS = ("case_no", "matter_code", "matter_name", "catalogue_version", "calendar_version", "outcome", "status",
                "applicant_kind", "applicant_name", "applicant_id_no", "applicant_json", "agent_json", "note",
                "warnings_json", "received_at", "received_day", "complete_at", "promised_date", "statutory_date",
                "supply_due", "clerk_login", "clerk_name", "centre_code", "window_no", "version", "updated_at")
OUTBOX_COLUMNS = ("op_id", "kind", "ref", "payload", "sha256", "created_at")


def _old_store(home, cases, ops) -> None:
    """A plain SQLite store at revision 0001 holding `cases` and `ops` pending, written with raw SQL as the
    0001 code wrote them."""
    home.mkdir(mode=0o700)
    path = home / "yichuang.db"
    engine = create_engine(f"sqlite:///{path}")
    try:
        local_engine._migrate(engine, "upgrade", OLDEST)
    finally:
        engine.dispose()
    import sqlite3

    con = sqlite3.connect(path)
    try:
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == OLDEST
        con.executemany("INSERT INTO settings (key, value) VALUES (?, ?)",
                        [("centre_code", "310104"), ("window_no", "01"), ("centre_name", "徐汇区行政服务中心")])
        marks = ", ".join("?" * len(CASE_COLUMNS))
        con.executemany(f"INSERT INTO cases ({', '.join(CASE_COLUMNS)}) VALUES ({marks})", cases)
        con.executemany(
            f"INSERT INTO outbox ({', '.join(OUTBOX_COLUMNS)}, state, attempts, last_error, result) "
            "VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, '', '')", ops)
        con.commit()
    finally:
        con.close()
    assert local_engine.is_plain(path)


def test_an_upgraded_store_sends_every_queued_case_once(services, clerk, home, tmp_path, window, central_url):
    # the cases and their operations as a window queued them (payloads are wire text: the schema does not
    # change them); only the case operations, which 0001 knew
    numbers = [services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no for _ in range(3)]
    con = connect_store(home)
    try:
        cases = con.execute(f"SELECT {', '.join(CASE_COLUMNS)} FROM cases ORDER BY case_no").fetchall()
        ops = con.execute(f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox WHERE kind = 'case.upsert' "
                          "ORDER BY seq").fetchall()
    finally:
        con.close()
    assert len(cases) == 3 and len(ops) == 3

    old = tmp_path / "old-window"
    _old_store(old, cases, ops)

    upgraded = Services(old)  # encrypted in place, upgraded to head, the legacy rows chained
    try:
        assert local_engine.current_revision(upgraded.engine) == local_engine.LOCAL_HEAD
        assert not local_engine.is_plain(old / "yichuang.db")
        assert upgraded.sync_status().queue_length == 3
        assert upgraded.verify_records().ok
        url = window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None)
        publish_store_catalogues(central_url, services)  # the catalogue the cases were taken under
        upgraded.set_central(url=url)
        first = upgraded.sync_round()
        assert (first.pushed, first.rejected) == (3, 0), upgraded.rejected_ops()
        again = upgraded.sync_round()
        assert (again.pushed, again.duplicate, again.rejected) == (0, 0, 0)
        assert upgraded.sync_status().queue_length == 0
    finally:
        upgraded.close()
    with psycopg.connect(_libpq_url(central_url)) as pg:
        for no in numbers:
            assert pg.execute("SELECT count(*) FROM yc.cases WHERE case_no = %s", (no,)).fetchone()[0] == 1
        assert pg.execute("SELECT count(*) FROM yc.cases").fetchone()[0] == 3
