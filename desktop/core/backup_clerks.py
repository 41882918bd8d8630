"""AB角: a supervisor names a backup clerk (B角) for a clerk (A角) for a period (from–to, both days included).

During the period the backup may continue, reprint and hand over the absent clerk's cases at any window of
the centre: each version he makes carries `backup_for` (the absent clerk's login) in its step, and the
documents he prints name him with "B角（代 张敏）". Outside the period he is just a clerk. An assignment
made at one window reaches every window of the centre: the `backup.assigned` operation goes up, the centre
publishes it on the `backups` stream, every window applies it (apply_backups)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.local.models import Backup, Setting, User
from desktop.core.clock import SHANGHAI, to_iso
from desktop.core.errors import BadInput
from desktop.core.outbox import enqueue
from desktop.core.roles import require
from desktop.core.types import Clerk

if TYPE_CHECKING:
    from desktop.core.store import Store

__all__ = ["MAX_DAYS", "BackupRecord", "active_backup", "apply_backups", "assign_backup", "backups"]

MAX_DAYS = 366
"""The longest period a backup is named for (a year); the centre holds the same limit."""
_WINDOW_ROLES = ("clerk", "supervisor")


@dataclass(frozen=True)
class BackupRecord:
    id: str
    clerk_login: str
    clerk_name: str
    backup_login: str
    backup_name: str
    date_from: date
    date_to: date
    assigned_by: str
    assigned_at: datetime
    window_no: str

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "clerk": self.clerk_login, "clerk_name": self.clerk_name,
                "backup": self.backup_login, "backup_name": self.backup_name,
                "from": self.date_from.isoformat(), "to": self.date_to.isoformat(),
                "assigned_by": self.assigned_by, "assigned_at": to_iso(self.assigned_at),
                "window_no": self.window_no}


def _day(value: date | str, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise BadInput("E_DATE", f"日期“{str(value)[:20]}”应为 YYYY-MM-DD", field=field) from None


def _window_user(s: Session, login: str, field: str, what: str) -> User:
    user = s.get(User, (login or "").strip())
    if user is None or not user.active or user.role not in _WINDOW_ROLES:
        raise BadInput("E_BACKUP_USER", f"{what}“{login[:40]}”不是本中心在岗的窗口工作人员", field=field)
    return user


def assign_backup(store: Store, *, clerk_login: str, backup_login: str, date_from: date | str,
                  date_to: date | str, by: Clerk) -> BackupRecord:
    """A supervisor names `backup_login` as the B角 of `clerk_login` from `date_from` to `date_to`; queued
    for the centre (operation backup.assigned). AuthError for a clerk; BadInput for an unknown or inactive
    user, the clerk himself as backup, dates out of order or a period over a year."""
    require(by, "backup_assign")
    start, end = _day(date_from, "from"), _day(date_to, "to")
    if start > end:
        raise BadInput("E_BACKUP_PERIOD", "起始日期不能晚于结束日期", field="from")
    if (end - start).days + 1 > MAX_DAYS:
        raise BadInput("E_BACKUP_PERIOD", f"B角期限最长 {MAX_DAYS} 天", field="to")
    if (clerk_login or "").strip() == (backup_login or "").strip():
        raise BadInput("E_BACKUP_SELF", "B角不能是本人", field="backup")
    now = store.clock()
    with store.Session.begin() as s:
        clerk = _window_user(s, clerk_login, "clerk", "A角")
        backup = _window_user(s, backup_login, "backup", "B角")
        setting = s.get(Setting, "window_no")
        window_no = setting.value if setting else ""
        row = Backup(id=str(uuid.uuid4()), clerk_login=clerk.login, backup_login=backup.login, date_from=start,
                     date_to=end, assigned_by=by.login, assigned_at=now, window_no=window_no)
        s.add(row)
        w = store.window()
        enqueue(s, kind="backup.assigned", ref=row.id, now=now, payload={
            "id": row.id, "centre_code": w.centre_code, "window_no": window_no, "clerk_login": clerk.login,
            "backup_login": backup.login, "date_from": start.isoformat(), "date_to": end.isoformat(),
            "assigned_by": by.login, "assigned_at": to_iso(now)})
        record = _record(s, row)
    return record


def _record(s: Session, row: Backup) -> BackupRecord:
    def name(login: str) -> str:
        user = s.get(User, login)
        return user.name if user else login

    return BackupRecord(id=row.id, clerk_login=row.clerk_login, clerk_name=name(row.clerk_login),
                        backup_login=row.backup_login, backup_name=name(row.backup_login), date_from=row.date_from,
                        date_to=row.date_to, assigned_by=row.assigned_by, assigned_at=row.assigned_at,
                        window_no=row.window_no)


def backups(store: Store, *, on: date | None = None) -> list[BackupRecord]:
    """Every assignment this window knows (made here or pulled), newest period first; `on`: only those in
    force that day."""
    with store.Reader() as s:
        q = select(Backup)
        if on is not None:
            q = q.where(Backup.date_from <= on, Backup.date_to >= on)
        rows = s.scalars(q.order_by(Backup.date_from.desc(), Backup.assigned_at.desc())).all()
        return [_record(s, r) for r in rows]


def active_backup(s: Session, *, absent_login: str, backup_login: str, day: date) -> bool:
    """Is `backup_login` the B角 of `absent_login` on `day`?"""
    if not absent_login or not backup_login or absent_login == backup_login:
        return False
    return s.scalar(select(Backup.id).where(
        Backup.clerk_login == absent_login, Backup.backup_login == backup_login, Backup.date_from <= day,
        Backup.date_to >= day).limit(1)) is not None


def apply_backups(store: Store, s: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    """The `backups` stream: every assignment of the centre, kept once by its id (our own come back too)."""
    for r in rows:
        d = r.get("data") or {}
        key = str(d.get("id") or r.get("key") or "")
        try:
            start, end = date.fromisoformat(d["date_from"]), date.fromisoformat(d["date_to"])
        except (KeyError, TypeError, ValueError):
            continue
        if not key or s.get(Backup, key) is not None:
            continue
        at = d.get("assigned_at")
        try:
            t = datetime.fromisoformat(str(at)) if at else now
        except ValueError:
            t = now
        assigned_at = t.astimezone(SHANGHAI).replace(tzinfo=None) if t.tzinfo else t
        s.add(Backup(id=key, clerk_login=str(d.get("clerk_login") or ""), backup_login=str(d.get("backup_login") or ""),
                     date_from=start, date_to=end, assigned_by=str(d.get("assigned_by") or ""),
                     assigned_at=assigned_at, window_no=str(d.get("window_no") or "")))
    s.flush()
