"""The window's working-day calendar as stored: read (cached until another import or pull changes it) and
written in the caller's transaction. The counting rules themselves are in workdays.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select

from db.local.models import CalendarDay, CalendarYear
from desktop.core.store import Store
from desktop.core.workdays import WorkdayCalendar, version_of


def calendar(store: Store) -> WorkdayCalendar:
    """The working-day calendar, reloaded when any store (another thread, the sync) imported one."""
    with store.Reader() as s:
        stamp = tuple(s.execute(select(func.count(), func.max(CalendarYear.imported_at))).one())
    cache = store.cache["calendar"]
    if cache.get("stamp") != stamp or "calendar" not in cache:
        with store.Reader() as s:
            cal = calendar_in(s)
        cache.update(stamp=stamp, calendar=cal, version=version_of(cal.overrides))
    return cache["calendar"]


def calendar_version(store: Store) -> str:
    """The version recorded with a case's dates (a hash of the overrides)."""
    calendar(store)
    return store.cache["calendar"]["version"]


def calendar_in(s) -> WorkdayCalendar:
    """The calendar as the session `s` sees it (including rows it has not committed yet)."""
    years = set(s.scalars(select(CalendarYear.year)))
    return WorkdayCalendar(years=years, overrides={r.day: r.kind for r in s.scalars(select(CalendarDay))})


def store_years(s, *, years: Iterable[int], rows: Iterable[tuple[date, str, str]], source: str,
                now: datetime) -> None:
    """Replace the given years' days with `rows` in the caller's transaction."""
    for y in set(years):
        for old in s.scalars(select(CalendarDay).where(
                CalendarDay.day >= date(y, 1, 1), CalendarDay.day <= date(y, 12, 31))):
            s.delete(old)
        s.merge(CalendarYear(year=y, source=source, imported_at=now))
    s.flush()
    for d, kind, name in rows:
        s.merge(CalendarDay(day=d, kind=kind, name=name or ""))
    s.flush()
