"""The window's users: adding (by an administrator, audited), logging in (argon2id, lockout after five failed
logins in a row, the same work for an unknown login), unlocking, finding one by login; the local audit line.

The GUI's login dialog, the approver's password in the GUI and the command line's `--clerk` all come through
`login`, so the lockout and the audit are the same everywhere."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from db.local.models import AuditEntry, User
from desktop.core.audit import record_audit
from desktop.core.auth import hash_password, needs_rehash, verify_password, verify_unknown
from desktop.core.errors import AuthError, BadInput, NotFound
from desktop.core.roles import ROLES, require
from desktop.core.store import Store
from desktop.core.textcheck import check_plain, without_refused
from desktop.core.types import Clerk

MAX_FAILED_LOGINS = 5  # in a row; the next wrong password locks the login
LOCKOUT = timedelta(minutes=15)
MAX_LOGIN = 64


def _clerk(user: User) -> Clerk:
    # a name or staff number stored before they were checked (or pulled from an older centre) goes into
    # every op this clerk makes: without the characters the centre refuses
    return Clerk(login=user.login, name=without_refused(user.name or ""), staff_no=without_refused(user.staff_no or ""),
                 role=user.role)


def has_users(store: Store) -> bool:
    with store.Reader() as s:
        return bool(s.scalar(select(func.count()).select_from(User)))


def add_user(store: Store, *, login: str, password: str, name: str, staff_no: str, role: str = "clerk",
             actor: Clerk | None = None) -> Clerk:
    """Add or change a user. `actor` must be an administrator (logged in), except for the first user of a
    store that has none. Audited, and the audit record goes to the centre."""
    if has_users(store):
        require(actor, "user_manage")
    login = (login or "").strip()
    if not login or len(login) > MAX_LOGIN or not login.isprintable():
        raise BadInput("E_LOGIN_NAME", f"登录名应为 1 至 {MAX_LOGIN} 个可见字符", field="login")
    if role not in ROLES:
        raise BadInput("E_ROLE", f"角色“{role}”无效", field="role")
    # the name goes into every step this user records, which every window of the centre shows
    check_plain(name or "", "name", "姓名", multiline=False)
    check_plain(staff_no or "", "staff_no", "工号", multiline=False)
    if len(password) < 8:
        raise BadInput("E_PASSWORD", "密码至少 8 位", field="password")
    window = store.window()
    now = store.clock()
    with store.Session.begin() as s:
        user = s.get(User, login)
        action = "user.change" if user is not None else "user.add"
        if user is None:
            user = User(login=login, active=True, failed_logins=0)
            s.add(user)
        user.name, user.staff_no, user.role = name, staff_no, role
        user.password_hash = hash_password(password)
        record_audit(s, window=window, at=now, actor=actor.login if actor else login, action=action, ref=login,
                     detail=f"{name}（{staff_no}），角色 {role}" + ("" if actor else "，本窗口第一个用户"))
    return Clerk(login=login, name=name, staff_no=staff_no, role=role)


def _locked_message(until: datetime) -> str:
    return (f"该账号因连续 {MAX_FAILED_LOGINS} 次密码错误已锁定，请于 {until:%H:%M} 后再试，"
            "或请值班长解锁")


def login(store: Store, *, login: str, password: str) -> Clerk:
    """The user whose password this is, or AuthError: E_LOGIN (unknown login, inactive, wrong password; the
    same message and the same argon2 work for all three) or E_LOCKED. Every failure is audited; five in a
    row lock the login for 15 minutes. A correct password replaces an outdated hash (PBKDF2) by argon2id."""
    login = (login or "").strip()[:MAX_LOGIN]
    now = store.clock()
    with store.Reader() as s:
        user = s.get(User, login) if login else None
    if user is None or not user.active:
        verify_unknown(password)
        audit(store, login or "?", "login.failed", detail="unknown or inactive login")
        raise AuthError("E_LOGIN", "工号或密码不正确", field="password")
    locked = user.locked_until is not None and user.locked_until > now
    ok = verify_password(password, user.password_hash)  # always: a locked login costs the same
    if locked:
        audit(store, login, "login.refused_locked", detail=f"locked until {user.locked_until.isoformat()}")
        raise AuthError("E_LOCKED", _locked_message(user.locked_until), field="password")
    if not ok:
        with store.Session.begin() as s:
            s.execute(update(User).where(User.login == login).values(failed_logins=User.failed_logins + 1))
            row = s.get(User, login)
            count = row.failed_logins
            s.add(AuditEntry(at=now, actor=login, action="login.failed", ref=login,
                             detail=f"wrong password ({count} in a row)"))
            if count >= MAX_FAILED_LOGINS:
                row.locked_until = now + LOCKOUT
                row.failed_logins = 0
                record_audit(s, window=store.window(), at=now, actor=login, action="login.locked", ref=login,
                             detail=f"{MAX_FAILED_LOGINS} failed logins in a row; locked until "
                                    f"{row.locked_until.isoformat()}")
        if count >= MAX_FAILED_LOGINS:
            raise AuthError("E_LOCKED", _locked_message(now + LOCKOUT), field="password")
        raise AuthError("E_LOGIN", "工号或密码不正确", field="password")
    with store.Session.begin() as s:
        row = s.get(User, login)
        row.failed_logins = 0
        row.locked_until = None
        if needs_rehash(row.password_hash):
            row.password_hash = hash_password(password)
        s.add(AuditEntry(at=now, actor=login, action="login", ref="", detail=""))
    return _clerk(user)


def unlock_user(store: Store, *, login: str, actor: Clerk) -> None:
    """Lift a lockout (a supervisor). Audited, and the audit record goes to the centre."""
    require(actor, "user_unlock")
    now = store.clock()
    with store.Session.begin() as s:
        user = s.get(User, login)
        if user is None:
            raise NotFound("E_USER", f"用户“{login}”不存在", field="login")
        user.failed_logins = 0
        user.locked_until = None
        record_audit(s, window=store.window(), at=now, actor=actor.login, action="user.unlock", ref=login)


def clerk(store: Store, login: str) -> Clerk:
    with store.Reader() as s:
        user = s.get(User, login)
    if user is None or not user.active:
        raise NotFound("E_USER", f"用户“{login}”不存在或已停用", field="clerk")
    return _clerk(user)


def user_label(store: Store, login: str) -> str:
    """'李建国（S0001）' for a login, the login itself if unknown, '' for none."""
    if not login:
        return ""
    with store.Reader() as s:
        user = s.get(User, login)
    return f"{user.name}（{user.staff_no}）" if user else login


def audit(store: Store, actor: str, action: str, ref: str = "", detail: str = "") -> None:
    """A local audit line in its own transaction (not queued for the centre)."""
    with store.Session.begin() as s:
        s.add(AuditEntry(at=store.clock(), actor=actor, action=action, ref=ref, detail=detail))
