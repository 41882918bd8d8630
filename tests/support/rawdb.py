"""Raw SQL on a window's encrypted store, for tests that inspect or damage it behind the services' back.

The store is SQLCipher: a plain sqlite3 connection cannot read it. This opens it with the key the window
keeps (the test suite's secrets file) through the same DB-API module the product uses."""

from __future__ import annotations

from pathlib import Path

from db.local import engine as local_engine
from desktop.core import config


def connect_store(home: Path):
    """A DB-API connection (sqlite3-compatible) to the store in `home`, opened with its own key."""
    key = config.store_key(Path(home))
    assert key, f"no store key for {home}"
    return local_engine.connect(config.db_path(Path(home)), key)


def make_plain_like_an_older_version(home: Path) -> None:
    """Turn the encrypted store in `home` into what a version before encryption left: the same database as
    plain SQLite, no key, no store id, the folder 0755 and the file 0644 (the umask's modes)."""
    import os

    home = Path(home)
    path = config.db_path(home)
    plain = path.with_name("plain.db")
    con = connect_store(home)
    try:
        con.execute("ATTACH DATABASE ? AS plain KEY ''", (str(plain),))
        con.execute("SELECT sqlcipher_export('plain')")
        con.execute("DETACH DATABASE plain")
    finally:
        con.close()
    os.replace(plain, path)
    store_id = config.store_id_path(home)
    (home / "secrets" / f"{config.STORE_KEY_SERVICE}.json").unlink()
    store_id.unlink()
    os.chmod(path, 0o644)
    os.chmod(home, 0o755)


def set_user_name_unchecked(home: Path, login: str, name: str) -> None:
    """Store a user's name behind the services' back, as a version before the name check could have stored
    it (a name with characters the window now refuses)."""
    from db.local.models import User

    con = connect_store(home)
    try:
        con.execute(f"UPDATE {User.__tablename__} SET name = ? WHERE login = ?", (name, login))
        con.commit()
    finally:
        con.close()
