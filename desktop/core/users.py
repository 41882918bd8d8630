"""The window's users: adding, logging in, finding one by login; the plain audit line of a login."""

from __future__ import annotations

from db.local.models import AuditEntry, User
from desktop.core.auth import hash_password, verify_password
from desktop.core.errors import AuthError, BadInput, NotFound
from desktop.core.roles import ROLES
from desktop.core.store import Store
from desktop.core.types import Clerk


def _clerk(user: User) -> Clerk:
    return Clerk(login=user.login, name=user.name, staff_no=user.staff_no, role=user.role)


def add_user(store: Store, *, login: str, password: str, name: str, staff_no: str, role: str = "clerk") -> Clerk:
    if role not in ROLES:
        raise BadInput("E_ROLE", f"角色“{role}”无效", field="role")
    if len(password) < 8:
        raise BadInput("E_PASSWORD", "密码至少 8 位", field="password")
    with store.Session.begin() as s:
        user = s.get(User, login)
        if user is None:
            user = User(login=login, active=True)
            s.add(user)
        user.name, user.staff_no, user.role = name, staff_no, role
        user.password_hash = hash_password(password)
    return Clerk(login=login, name=name, staff_no=staff_no, role=role)


def login(store: Store, *, login: str, password: str) -> Clerk:
    with store.Reader() as s:
        user = s.get(User, login.strip())
    if user is None or not user.active or not verify_password(password, user.password_hash):
        raise AuthError("E_LOGIN", "工号或密码不正确", field="password")
    audit(store, login, "login")
    return _clerk(user)


def clerk(store: Store, login: str) -> Clerk:
    with store.Reader() as s:
        user = s.get(User, login)
    if user is None or not user.active:
        raise NotFound("E_USER", f"用户“{login}”不存在或已停用", field="clerk")
    return _clerk(user)


def default_clerk(store: Store) -> Clerk:
    login = store.setting("default_clerk")
    if not login:
        raise BadInput("E_NO_CLERK", "请用 --clerk 指定经办人工号", field="clerk")
    return clerk(store, login)


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
