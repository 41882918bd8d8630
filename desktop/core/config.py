"""Where a window keeps its data (a folder only its user can read), and how it keeps its secrets: the
central database password and the store's encryption key (OS keyring, or a 0600 file where there is none)."""

from __future__ import annotations

import json
import os
import secrets
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import platformdirs

from db.local.engine import fsync_dir

APP_NAME = "yichuang"
# Windows has always used %LOCALAPPDATA%\Yichuang; Linux $XDG_DATA_HOME/yichuang (~/.local/share/yichuang).
HOME_FOLDER = "Yichuang" if sys.platform == "win32" else APP_NAME
# Package data: installed with the package (wheel, editable install and the frozen build alike).
RESOURCES = Path(__file__).resolve().parents[1] / "resources"
DEMO_CATALOGUE = RESOURCES / "catalogue" / "demo.json"


def default_home() -> Path:
    """The per-user data folder: YICHUANG_HOME if set, else the platform's user data folder."""
    env = os.environ.get("YICHUANG_HOME")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir(HOME_FOLDER, appauthor=False, roaming=False))


def db_path(home: Path) -> Path:
    return home / "yichuang.db"


def private_dir(path: Path) -> Path:
    """Create `path` and any missing parent with mode 0700 (readable by this user only); an existing
    folder keeps its mode. Returns `path`."""
    path = Path(path)
    if path.is_dir():
        return path
    if not path.parent.is_dir():
        private_dir(path.parent)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        if not path.is_dir():
            raise
    os.chmod(path, 0o700)  # mkdir's mode is masked by the umask
    return path


def private_home(home: Path) -> Path:
    """The window's data folder, created if missing, made 0700 (a folder left 0755 by an older version is
    closed too)."""
    private_dir(home)
    if sys.platform != "win32":  # %LOCALAPPDATA% is already the user's own there
        os.chmod(home, 0o700)
    return home


@contextmanager
def home_lock(home: Path) -> Iterator[None]:
    """Hold the data folder's lock file exclusively (another process opening the same store waits): for
    the moments a store is created or encrypted, when two processes must not each make a key."""
    fd = os.open(Path(home) / "store.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if sys.platform == "win32":
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for 10 s, then raises: wait on
                    break
                except OSError:
                    continue
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def write_private(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Write a file readable by this user only (0600); `durable`: fsync it before returning."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        if durable:
            fh.flush()
            os.fsync(fh.fileno())
    os.chmod(path, 0o600)  # an existing file keeps its old mode through O_CREAT: make sure


def documents_dir(home: Path) -> Path:
    return home / "documents"


def split_secret(url: str) -> tuple[str, str]:
    """Split a connection URL into (url without password, password)."""
    parts = urlsplit(url)
    password = parts.password or ""
    if not password:
        return url, ""
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    clean = parts._replace(netloc=f"{user}@{netloc[1]}")
    return urlunsplit(clean), password


def join_secret(url: str, password: str) -> str:
    if not password:
        return url
    parts = urlsplit(url)
    user, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


class SecretStore:
    """A window secret (the central-database password, the store key): in the OS keyring, or in a 0600 file
    in the home's 0700 secrets folder where there is none. One file per service holds every account of it.

    YICHUANG_SECRET_STORE=file forces the file (tests, and machines whose keyring would prompt).
    """

    SERVICE = "yichuang-central"

    def __init__(self, home: Path, account: str, *, service: str = SERVICE):
        self.home = home
        self.account = account
        self.service = service
        self._file = home / "secrets" / ("central.json" if service == self.SERVICE else f"{service}.json")

    def _keyring(self):
        if os.environ.get("YICHUANG_SECRET_STORE") == "file":
            return None
        try:
            import keyring
            from keyring.backends import fail

            kr = keyring.get_keyring()
            if isinstance(kr, fail.Keyring) or getattr(kr, "priority", 0) < 1:
                return None
            return keyring
        except Exception:
            return None

    def set(self, password: str) -> str:
        """Store the password; returns where ("keyring" or "file")."""
        kr = self._keyring()
        if kr is not None:
            try:
                kr.set_password(self.service, self.account, password)
                return "keyring"
            except Exception:
                pass
        private_dir(self._file.parent)
        os.chmod(self._file.parent, 0o700)
        values = self._read_file()
        values[self.account] = password  # the other accounts in the file stay
        tmp = self._file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(values, fh)
            fh.flush()
            os.fsync(fh.fileno())  # a secret (the store key above all) is on disk before it is relied on
        os.replace(tmp, self._file)
        fsync_dir(self._file.parent)
        return "file"

    def _read_file(self) -> dict[str, str]:
        if not self._file.exists():
            return {}
        return json.loads(self._file.read_text(encoding="utf-8"))

    def get(self) -> str:
        kr = self._keyring()
        if kr is not None:
            try:
                value = kr.get_password(self.service, self.account)
                if value:
                    return value
            except Exception:
                pass
        return self._read_file().get(self.account, "")


STORE_KEY_SERVICE = "yichuang-store"


def store_id_path(home: Path) -> Path:
    """A random id naming this store's key in the keyring (not a secret: it lets a moved or copied data
    folder find its key, and two data folders on one PC keep two keys)."""
    return home / "store.id"


def store_key(home: Path, *, create: bool = False) -> str:
    """The store's encryption key (64 hex digits) from the keyring (or the secrets file), "" when there is
    none. With `create`, a missing key is made (32 random bytes) and kept, durably, before it is returned:
    a caller creating or encrypting a store never holds a key that is not saved."""
    id_file = store_id_path(home)
    store_id = id_file.read_text(encoding="ascii").strip() if id_file.exists() else ""
    if not store_id:
        if not create:
            return ""
        store_id = uuid.uuid4().hex
        tmp = id_file.with_name(id_file.name + ".tmp")
        write_private(tmp, store_id.encode("ascii"), durable=True)
        os.replace(tmp, id_file)
        fsync_dir(home)
    secret = SecretStore(home, f"store-{store_id}", service=STORE_KEY_SERVICE)
    key = secret.get()
    if key or not create:
        return key
    key = secrets.token_hex(32)
    secret.set(key)
    return key
