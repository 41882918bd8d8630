"""Where a window keeps its data, and how it keeps the central database secret (keyring or a 0600 file)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import platformdirs

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
    """The central-database password: in the OS keyring, or in a 0600 file in the home where there is none.

    YICHUANG_SECRET_STORE=file forces the file (tests, and machines whose keyring would prompt).
    """

    SERVICE = "yichuang-central"

    def __init__(self, home: Path, account: str):
        self.home = home
        self.account = account
        self._file = home / "secrets" / "central.json"

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
                kr.set_password(self.SERVICE, self.account, password)
                return "keyring"
            except Exception:
                pass
        self._file.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self._file.parent, 0o700)
        held = self._read_file()  # other accounts (the chain key, the central password) stay
        held[self.account] = password
        tmp = self._file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(held, fh)
        os.replace(tmp, self._file)
        return "file"

    def get(self) -> str:
        kr = self._keyring()
        if kr is not None:
            try:
                value = kr.get_password(self.SERVICE, self.account)
                if value:
                    return value
            except Exception:
                pass
        return self._read_file().get(self.account, "")

    def _read_file(self) -> dict[str, str]:
        if self._file.exists():
            return json.loads(self._file.read_text(encoding="utf-8"))
        return {}
