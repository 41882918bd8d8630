"""Opens the local SQLite store (WAL, synchronous=FULL) and upgrades it with Alembic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "local"


def _on_connect(dbapi_conn, _record) -> None:
    # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE below takes the write lock up front.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def _on_begin(conn) -> None:
    # A writer takes the lock when it begins (IMMEDIATE), so two writers never fail on a lock upgrade;
    # a reader (engine option yc_read) begins deferred and, in WAL mode, never waits for a writer.
    if conn.get_execution_options().get("yc_read"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(db_path: Path) -> Engine:
    """An engine on the store at `db_path`; every transaction is BEGIN IMMEDIATE with synchronous=FULL."""
    engine = create_engine(f"sqlite:///{db_path}", future=True)
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that write: every transaction is BEGIN IMMEDIATE."""
    return sessionmaker(engine, expire_on_commit=False)


def make_reader(engine: Engine) -> sessionmaker[Session]:
    """Sessions that only read: deferred BEGIN, safe to open while a writer holds the lock."""
    return sessionmaker(engine.execution_options(yc_read=True), expire_on_commit=False)


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Create or upgrade the local schema to `revision`; returns the revision now in place."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
        conn.commit()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() or ""


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
        conn.commit()


def integrity_check(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("PRAGMA integrity_check")).scalar_one()
