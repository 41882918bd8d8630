"""The local store's Alembic tree runs upgrade → downgrade → upgrade on a real SQLite file."""

from sqlalchemy import inspect

from db.local import engine as local_engine


def test_upgrade_downgrade_upgrade(tmp_path):
    eng = local_engine.make_engine(tmp_path / "w.db")
    try:
        head = local_engine.upgrade(eng)
        assert head
        assert inspect(eng).get_pk_constraint("ratings")["constrained_columns"] == ["case_no", "occasion"]
        local_engine.downgrade(eng, "base")
        assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
        assert local_engine.upgrade(eng) == head
        assert local_engine.integrity_check(eng) == "ok"
    finally:
        eng.dispose()
