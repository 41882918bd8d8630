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
