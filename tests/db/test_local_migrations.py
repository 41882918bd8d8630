"""The local store's Alembic tree runs upgrade → downgrade → upgrade on a real SQLite file."""

from sqlalchemy import inspect

from db.local import engine as local_engine
from desktop.core import config

KEY = "5a" * 32  # a store key made up for the engine-level tests (the product's come from the keyring)


def test_upgrade_downgrade_upgrade(tmp_path):
    eng = local_engine.make_engine(tmp_path / "w.db", key=KEY)
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


def test_local_head_constant_matches_the_alembic_tree():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(local_engine.MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == local_engine.LOCAL_HEAD


def test_a_store_left_by_an_older_version_is_upgraded_when_opened(tmp_path):
    from desktop.core.services import Services, init_store

    init_store(tmp_path, centre_code="310104", window_no="01", demo=True)
    eng = local_engine.make_engine(tmp_path / "yichuang.db", key=config.store_key(tmp_path))
    local_engine.downgrade(eng, "0003")
    assert local_engine.current_revision(eng) == "0003"
    eng.dispose()
    svc = Services(tmp_path)
    try:
        assert local_engine.current_revision(svc.engine) == local_engine.LOCAL_HEAD
        assert svc.daily_stats().total == 0
    finally:
        svc.close()
