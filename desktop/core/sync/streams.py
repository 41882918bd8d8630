"""The down streams: one apply function per stream, and the table that names them.

Each apply function runs inside the local transaction that also moves the stream's checkpoint, so a
page is applied whole or pulled again. Adding a stream is one entry in STREAMS plus its apply function
(and the centre's publishing side)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from db.local.models import AuditEntry, CalendarDay, CalendarYear, Case, CaseEvent, CatalogueVersion, User
from desktop.core.backup_clerks import apply_backups
from desktop.core.cases import deadlines
from desktop.core.catalogue import parse_catalogue
from desktop.core.catalogue.storage import store_catalogue
from desktop.core.errors import BadInput, YichuangError
from desktop.core.sync.loop import apply_cases, apply_transfers

if TYPE_CHECKING:
    from desktop.core.store import Store

__all__ = ["CENTRE_ACTOR", "PULL_LIMITS", "STREAMS", "Stream", "apply_backups", "apply_calendar", "apply_case_status",
           "apply_cases", "apply_catalogue", "apply_transfers", "apply_users"]

CENTRE_ACTOR = "centre"
Rows = list[dict[str, Any]]


def apply_case_status(store: Store, s: Session, rows: Rows, now: datetime) -> None:
    """Case.status follows the centre; a CaseEvent records each real change (not echoes of our own)."""
    keys = {(r.get("data") or {}).get("case_no") or r.get("key") for r in rows}
    current = dict(s.execute(select(Case.case_no, Case.status).where(Case.case_no.in_(keys))).all())
    changed: dict[str, str] = {}
    events = []
    for r in rows:
        data = r.get("data") or {}
        case_no = data.get("case_no") or r.get("key")
        status = data.get("status")
        if case_no not in current or not status or current[case_no] == status:
            continue
        current[case_no] = changed[case_no] = status
        note = data.get("note") or ""
        events.append({"case_no": case_no, "at": now, "actor": CENTRE_ACTOR, "event": "status",
                       "detail": f"{status}：{note}" if note else status})
    if changed:
        table = Case.__table__
        s.connection().execute(
            update(table).where(table.c.case_no == bindparam("b_case")).values(status=bindparam("b_status")),
            [{"b_case": k, "b_status": v} for k, v in changed.items()],
        )
        s.connection().execute(insert(CaseEvent.__table__), events)


def apply_catalogue(store: Store, s: Session, rows: Rows, now: datetime) -> None:
    """A new catalogue version is stored and made current (as an import does); a version already here
    is left as it is. Older versions stay, so a queued case keeps its version."""

    for r in rows:
        data = r.get("data") or {}
        text = data.get("text") or ""
        version = data.get("version") or r.get("key")
        if not version or s.get(CatalogueVersion, version) is not None:
            continue
        try:
            catalogue = parse_catalogue(text, strict=False)  # a newer centre's fields are ignored
            if catalogue.version != version:
                raise BadInput("E_CATALOGUE_VERSION", f"目录版本号不符：{catalogue.version} ≠ {version}")
        except YichuangError as e:  # a bad catalogue must not stop the stream: record it and go on
            s.add(AuditEntry(at=now, actor=CENTRE_ACTOR, action="catalogue.refused", ref=str(version)[:64],
                             detail=e.message))
            continue
        store_catalogue(s, catalogue, text, now=now, source="pulled")


def apply_calendar(store: Store, s: Session, rows: Rows, now: datetime) -> None:
    """Replace the covered years' calendar rows with the centre's."""
    for r in rows:
        data = r.get("data") or {}
        years = sorted({int(y) for y in data.get("years") or []})
        source = str(data.get("source") or "central")[:64]
        for y in years:
            s.execute(delete(CalendarDay).where(CalendarDay.day >= date(y, 1, 1), CalendarDay.day <= date(y, 12, 31)))
            s.execute(delete(CalendarYear).where(CalendarYear.year == y))
        s.flush()
        s.add_all(CalendarYear(year=y, source=source, imported_at=now) for y in years)
        days = {}
        for d in data.get("days") or []:
            day = date.fromisoformat(d["date"])
            if day.year in years:
                days[day] = {"day": day, "kind": d["kind"], "name": d.get("name") or ""}
        if days:
            s.execute(insert(CalendarDay), list(days.values()))
        s.add(AuditEntry(at=now, actor=CENTRE_ACTOR, action="calendar.pulled", ref=source,
                         detail=",".join(str(y) for y in years)))
    s.flush()
    deadlines.recompute_pending_in(store, s, actor=CENTRE_ACTOR)  # 待定 dates the new years cover


def apply_users(store: Store, s: Session, rows: Rows, now: datetime) -> None:
    """Create or update the window's users as the centre publishes them (last one wins)."""
    for r in rows:
        data = r.get("data") or {}
        login = data.get("login") or r.get("key")
        if not login:
            continue
        user = s.get(User, login)
        if user is None:
            if not data.get("password_hash"):
                continue
            user = User(login=login, active=True)
            s.add(user)
        user.name = data.get("name") or user.name or login
        user.staff_no = data.get("staff_no") or ""
        user.role = data.get("role") or "clerk"
        if data.get("password_hash"):
            user.password_hash = data["password_hash"]
        user.active = bool(data.get("active", True))
        s.flush()


@dataclass(frozen=True)
class Stream:
    """A down stream: its name at the centre, the protocol that introduced it, rows per page, the
    function that applies a page, and the store caches a page makes stale."""

    name: str
    introduced: int
    page_limit: int
    apply: Callable[[Store, Session, Rows, datetime], None]
    invalidates: tuple[str, ...] = ()


STREAMS: dict[str, Stream] = {s.name: s for s in (
    Stream("catalogue", 2, 1, apply_catalogue, invalidates=("catalogue",)),
    Stream("calendar", 2, 20, apply_calendar, invalidates=("calendar",)),
    Stream("users", 2, 500, apply_users),
    Stream("case_status", 1, 1000, apply_case_status),
    Stream("cases", 5, 500, apply_cases),
    Stream("transfers", 5, 500, apply_transfers),
    Stream("backups", 5, 500, apply_backups),
)}
"""Pulled in this order every round (users and the catalogue before the cases that name them; `cases` after
the older `case_status`, so the centre's full snapshot has the last word)."""

PULL_LIMITS = {s.name: s.page_limit for s in STREAMS.values()}
"""Rows per page by stream; read at each pull (tests lower them to make pages small)."""
