"""Opens the local SQLite store (WAL, synchronous=FULL) and upgrades it with Alembic."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "local"
# The newest local revision; a test keeps it equal to the Alembic tree's head. Checking it with one SELECT
# lets a window open its store without importing Alembic unless an upgrade is really due.
LOCAL_HEAD = "0008_docno"


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


def _migrate(engine: Engine, action: str, revision: str) -> None:
    """Run an Alembic command with foreign keys off (SQLite rebuilds tables in batch mode, which a
    referencing table would otherwise block), then check the keys and turn them back on."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, where SQLite honours it
        try:
            cfg.attributes["connection"] = conn
            getattr(command, action)(cfg, revision)
            conn.commit()
            broken = raw.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"local store has broken references after {action} to {revision}: {broken[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Create or upgrade the local schema to `revision`; returns the revision now in place."""
    _migrate(engine, "upgrade", revision)
    return current_revision(engine) or ""


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        try:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except Exception:  # no alembic_version table: a store never migrated
            return None


def ensure_current(engine: Engine) -> str:
    """Upgrade the store if it is older than this program (a window's first start after an upgrade)."""
    rev = current_revision(engine)
    if rev == LOCAL_HEAD:
        return rev
    return upgrade(engine)


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, "downgrade", revision)


def integrity_check(engine: Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(text("PRAGMA integrity_check")).scalar_one()
