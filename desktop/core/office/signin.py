"""Staff sign-in on a department PC: the password is checked against the argon2 hash the centre sent in
office.hello() (desktop.core.auth), with the window's rules: the same message and the same work for an
unknown login, an inactive one and a wrong password; five failures in a row lock the login for 15 minutes.

There is no store on a department PC: the failure counts live in `office-signin.json` (0600) in the data
folder, changed under the folder's lock so that two processes count every failure."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from desktop.core.auth import verify_password, verify_unknown
from desktop.core.config import home_lock, private_home, write_private
from desktop.core.errors import AuthError
from desktop.core.office.types import OfficeStaff
from desktop.core.users import LOCKOUT, MAX_FAILED_LOGINS, MAX_LOGIN

SIGNIN_FILE = "office-signin.json"
MAX_TRACKED = 1000  # logins whose failures are remembered (the oldest are forgotten beyond this)


def _locked_message(until: datetime) -> str:
    return f"该账号因连续 {MAX_FAILED_LOGINS} 次密码错误已锁定，请于 {until:%H:%M} 后再试"


def _path(home: Path) -> Path:
    return Path(home) / SIGNIN_FILE


def _read(home: Path) -> dict[str, dict[str, Any]]:
    try:
        value = json.loads(_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write(home: Path, values: dict[str, dict[str, Any]]) -> None:
    if len(values) > MAX_TRACKED:
        keep = sorted(values, key=lambda k: str(values[k].get("at", "")))[-MAX_TRACKED:]
        values = {k: values[k] for k in keep}
    tmp = _path(home).with_suffix(".tmp")
    write_private(tmp, json.dumps(values, ensure_ascii=False).encode("utf-8"), durable=True)
    os.replace(tmp, _path(home))


def locked_until(home: Path, login: str, now: datetime) -> datetime | None:
    entry = _read(home).get(login) or {}
    try:
        until = datetime.fromisoformat(entry["locked_until"]) if entry.get("locked_until") else None
    except ValueError:
        return None
    return until if until is not None and until > now else None


def _failed(home: Path, login: str, now: datetime) -> datetime | None:
    """Count one failure of `login`; returns the lock's end when this one locked it."""
    with home_lock(home):
        values = _read(home)
        entry = values.get(login) or {}
        count = int(entry.get("failed", 0)) + 1
        entry = {"failed": count, "at": now.isoformat()}
        until = None
        if count >= MAX_FAILED_LOGINS:
            until = now + LOCKOUT
            entry = {"failed": 0, "locked_until": until.isoformat(), "at": now.isoformat()}
        values[login] = entry
        _write(home, values)
    return until


def _succeeded(home: Path, login: str) -> None:
    with home_lock(home):
        values = _read(home)
        if values.pop(login, None) is not None:
            _write(home, values)


def sign_in(home: Path, staff: Iterable[dict[str, Any]], *, login: str, password: str, now: datetime
            ) -> OfficeStaff:
    """The staff member whose password this is, among `staff` (office.hello()'s list), or AuthError
    E_LOGIN (unknown, inactive or wrong: one message, one argon2 verification) or E_LOCKED."""
    home = private_home(Path(home))
    login = (login or "").strip()[:MAX_LOGIN]
    user = next((s for s in staff if isinstance(s, dict) and s.get("login") == login), None) if login else None
    if user is None or not user.get("active", True) or not user.get("password_hash"):
        verify_unknown(password)
        raise AuthError("E_LOGIN", "工号或密码不正确", field="password")
    until = locked_until(home, login, now)
    ok = verify_password(password, str(user["password_hash"]))  # always: a locked login costs the same
    if until is not None:
        raise AuthError("E_LOCKED", _locked_message(until), field="password")
    if not ok:
        until = _failed(home, login, now)
        if until is not None:
            raise AuthError("E_LOCKED", _locked_message(until), field="password")
        raise AuthError("E_LOGIN", "工号或密码不正确", field="password")
    _succeeded(home, login)
    return OfficeStaff(login=login, name=str(user.get("name") or login), staff_no=str(user.get("staff_no") or ""))
