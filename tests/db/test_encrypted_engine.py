"""The encrypted local store keeps every property the plain one had: WAL, synchronous=FULL, foreign keys,
busy_timeout, BEGIN IMMEDIATE writers and deferred readers, Alembic migrations."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError, OperationalError

from db.local import engine as local_engine

KEY = "3c" * 32


@pytest.fixture
def engine(tmp_path):
    eng = local_engine.make_engine(tmp_path / "w.db", key=KEY)
    local_engine.upgrade(eng)
    yield eng
    eng.dispose()


def test_the_store_is_sqlcipher_with_wal_full_sync_foreign_keys_and_busy_timeout(engine, tmp_path):
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA cipher_version").scalar()  # SQLCipher, keyed
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    assert not (tmp_path / "w.db").read_bytes().startswith(local_engine.PLAIN_HEADER)
    assert local_engine.integrity_check(engine) == "ok"


def test_writers_take_the_lock_at_begin_and_readers_never_wait(engine):
    writer = local_engine.make_sessionmaker(engine)
    reader = local_engine.make_reader(engine)
    with writer.begin() as s:  # BEGIN IMMEDIATE: the write lock is held from here
        s.execute(text("INSERT INTO settings (key, value) VALUES ('centre_code', '310104')"))
        other = engine.connect()
        try:
            other.connection.dbapi_connection.execute("PRAGMA busy_timeout = 50")  # outside any transaction
            with pytest.raises(OperationalError, match="locked"):
                other.begin()  # a second writer is refused at its BEGIN, not at its first write
        finally:
            other.invalidate()
        with reader() as r:  # a deferred reader reads the last committed state meanwhile
            assert r.execute(text("SELECT count(*) FROM settings WHERE key = 'centre_code'")).scalar() == 0
    with reader() as r:
        assert r.execute(text("SELECT value FROM settings WHERE key = 'centre_code'")).scalar() == "310104"


def test_foreign_keys_are_enforced_on_the_encrypted_store(engine):
    with engine.connect() as conn:
        columns = conn.exec_driver_sql("PRAGMA table_info(case_materials)").all()
    row = {c[1]: ("nope" if c[1] == "case_no" else 1) for c in columns}  # every column, a case that is not there
    sql = f"INSERT INTO case_materials ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"
    with pytest.raises(DatabaseError, match="FOREIGN KEY"):
        with local_engine.make_sessionmaker(engine).begin() as s:
            s.execute(text(sql), row)


def test_another_key_does_not_open_it(engine, tmp_path):
    other = local_engine.make_engine(tmp_path / "w.db", key="4d" * 32)
    try:
        with pytest.raises(DatabaseError):
            other.connect()
    finally:
        other.dispose()
