"""Opens the local store (SQLCipher: SQLite encrypted page by page; WAL, synchronous=FULL) and upgrades it
with Alembic.

The store is one SQLCipher 4 database keyed with a raw 256-bit key (no passphrase KDF: the key is random,
kept by the caller in the OS keyring, never in the store). Every page of the database, of its WAL and of
its rollback journal is AES-256 encrypted and HMAC-authenticated; the -shm index holds no row data. A
store written by an older version (plain SQLite) is encrypted in place by `encrypt_in_place`.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import sqlcipher3.dbapi2 as sqlcipher
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "local"
# The newest local revision; a test keeps it equal to the Alembic tree's head. Checking it with one SELECT
# lets a window open its store without importing Alembic unless an upgrade is really due.
LOCAL_HEAD = "0014_case_counts"

PLAIN_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every unencrypted SQLite database
_KEY = re.compile(r"[0-9a-f]{64}")


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("the store key is 64 lower-case hex digits (32 random bytes)")
    return key


def connect(db_path: Path, key: str) -> sqlcipher.Connection:
    """A DB-API connection to the store, keyed and proven (a wrong key or a damaged first page raises
    sqlcipher.DatabaseError here, before any statement of the caller runs). Tests use it for raw SQL."""
    con = sqlcipher.connect(str(db_path), check_same_thread=False)
    try:
        con.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is our error to report, not stderr noise
        con.execute(f"PRAGMA key = \"x'{_check_key(key)}'\"")
        con.execute("PRAGMA temp_store = MEMORY")  # sorts and temp tables never reach a plain temp file
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        con.close()
        raise
    return con


def is_plain(db_path: Path) -> bool:
    """True for an unencrypted SQLite store (left by an older version) or an empty file."""
    with open(db_path, "rb") as fh:
        head = fh.read(len(PLAIN_HEADER))
    return head == PLAIN_HEADER or head == b""


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (no-op on Windows, whose NTFS journals it)."""
    if sys.platform == "win32":  # no directory handles there; the rename is journaled by NTFS
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def encrypt_in_place(db_path: Path, key: str) -> None:
    """Turn the plain store at `db_path` into an encrypted one with `key`, safely: the plain store's WAL is
    folded in and switched off, an encrypted copy is written beside it, checked, fsynced, then renamed over
    the plain file. A kill at any point leaves either the plain store (encrypted again at the next open) or
    the encrypted one; never half of each. The caller keeps `key` durably BEFORE calling this."""
    _check_key(key)
    tmp = db_path.with_name(db_path.name + ".encrypting")
    plain = sqlcipher.connect(str(db_path), isolation_level=None)
    try:
        plain.execute("PRAGMA cipher_log_level = NONE")
        plain.execute("PRAGMA busy_timeout = 10000")
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        # rollback-journal mode: closing removes the -wal and -shm, which must never be read against the
        # encrypted file that takes this name
        plain.execute("PRAGMA journal_mode = DELETE")
        version = plain.execute("PRAGMA user_version").fetchone()[0]
        if tmp.exists():
            tmp.unlink()  # a copy left by a kill: start again
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        plain.execute(f"ATTACH DATABASE ? AS encrypted KEY \"x'{key}'\"", (str(tmp),))
        plain.execute("SELECT sqlcipher_export('encrypted')")
        plain.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        plain.execute("DETACH DATABASE encrypted")
    finally:
        plain.close()
    check = connect(tmp, key)
    try:
        ok = check.execute("PRAGMA quick_check").fetchone()[0]
        check.execute("PRAGMA journal_mode = WAL")
    finally:
        check.close()
    if ok != "ok":
        tmp.unlink()
        raise sqlcipher.DatabaseError(f"the encrypted copy of {db_path.name} failed its check: {ok}")
    fd = os.open(tmp, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, db_path)
    fsync_dir(db_path.parent)


def _on_connect(dbapi_conn, _record) -> None:
    # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE below takes the write lock up front.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA secure_delete=ON")  # text a row loses (a purged payload) is overwritten in the file
    cur.close()


def _on_begin(conn) -> None:
    # A writer takes the lock when it begins (IMMEDIATE), so two writers never fail on a lock upgrade;
    # a reader (engine option yc_read) begins deferred and, in WAL mode, never waits for a writer.
    if conn.get_execution_options().get("yc_read"):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(db_path: Path, *, key: str) -> Engine:
    """An engine on the encrypted store at `db_path` opened with `key` (64 hex digits); every write
    transaction is BEGIN IMMEDIATE with synchronous=FULL. SQLAlchemy's SQLite dialect drives the SQLCipher
    DB-API module, so its errors map to sqlalchemy.exc as plain SQLite's do."""
    _check_key(key)
    engine = create_engine(f"sqlite:///{db_path}", module=sqlcipher, creator=lambda: connect(db_path, key),
                           future=True)
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
