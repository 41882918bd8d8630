"""Creating or upgrading a window's store: identity, calendar seeding, the demo users and catalogue."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.local import engine as local_engine
from db.local.models import CalendarDay, CalendarYear, Setting, User
from desktop.core import config
from desktop.core.auth import hash_password
from desktop.core.catalogue import storage as catalogue
from desktop.core.clock import Clock, shanghai_now
from desktop.core.errors import BadInput
from desktop.core.store import Store, open_engine, put_setting
from desktop.core.workdays import seed_from_chinesecalendar, supported_seed_years

DEMO_USERS = (
    # login, password, name, staff number, role
    ("demo", "demo1234", "张敏", "A0101", "clerk"),
    ("super", "super1234", "李建国", "S0001", "supervisor"),
)


def init_store(
    home: Path, *, centre_code: str, window_no: str, centre_name: str = "", centre_phone: str = "",
    demo: bool = False, clock: Clock = shanghai_now,
) -> Path:
    """Create or upgrade the local store in `home` and set the window identity. Idempotent."""
    if not (centre_code.isdigit() and 6 <= len(centre_code) <= 12):
        raise BadInput("E_CENTRE_CODE", "中心代码应为 6 至 12 位数字（行政区划代码）", field="centre")
    if not (window_no.isdigit() and len(window_no) == 2 and window_no != "00"):
        raise BadInput("E_WINDOW_NO", "窗口号应为 01 至 99 的两位数字", field="window")
    path = config.db_path(home)
    engine = open_engine(home, create=True)  # the data folder 0700, the store encrypted and 0600
    try:
        local_engine.upgrade(engine)
        with Session(engine) as s, s.begin():
            put_setting(s, "centre_code", centre_code)
            put_setting(s, "window_no", window_no)
            if centre_name or not s.get(Setting, "centre_name"):
                put_setting(s, "centre_name", centre_name or f"{centre_code} 社区事务受理服务中心")
            if centre_phone or not s.get(Setting, "centre_phone"):
                put_setting(s, "centre_phone", centre_phone or ("021-12345678" if demo else ""))
            if not s.scalar(select(func.count()).select_from(CalendarYear)):
                _seed_calendar(s, clock)
            if demo:
                for login, password, name, staff_no, role in DEMO_USERS:
                    if s.get(User, login) is None:
                        s.add(User(login=login, name=name, staff_no=staff_no, role=role,
                                   password_hash=hash_password(password), active=True))
                if not s.get(Setting, "default_clerk"):
                    put_setting(s, "default_clerk", "demo")
    finally:
        engine.dispose()
    if demo:
        store = Store(home, clock=clock)
        try:
            if catalogue.current_version(store) is None:
                catalogue.import_catalogue(store, config.DEMO_CATALOGUE.read_text(encoding="utf-8"))
        finally:
            store.close()
    return path


def _seed_calendar(s: Session, clock: Clock) -> None:
    """Last year to next year from the chinesecalendar package: only the years it really has data for are
    marked covered (a year it lacks stays unknown, never guessed)."""
    now = clock()
    years = range(now.year - 2, now.year + 2)
    rows = seed_from_chinesecalendar(years)
    for y in sorted(set(years) & supported_seed_years()):
        s.add(CalendarYear(year=y, source="chinesecalendar", imported_at=now))
    for d, kind, name in rows:
        s.merge(CalendarDay(day=d, kind=kind, name=name or ""))
