"""Creating or upgrading a window's store: identity, calendar seeding, the demo users and catalogue."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.local import engine as local_engine
from db.local.models import CalendarDay, CalendarYear, Case, CaseCounter, OutboxOp, Setting, User
from desktop.core import centres, chain, config
from desktop.core.audit import record_audit
from desktop.core.auth import hash_password
from desktop.core.catalogue import storage as catalogue
from desktop.core.clock import Clock, shanghai_now
from desktop.core.errors import BadInput, YichuangError
from desktop.core.seal import keys as seal_keys
from desktop.core.store import Store, open_engine, put_setting
from desktop.core.types import Window
from desktop.core.workdays import seed_from_chinesecalendar, supported_seed_years

DEMO_USERS = (
    # login, password, name, staff number, role
    ("demo", "demo1234", "张敏", "A0101", "clerk"),
    ("super", "super1234", "李建国", "S0001", "supervisor"),
    ("admin", "admin1234", "王强", "M0001", "admin"),  # imports catalogues and manages users
)


_CENTRE_CODE = re.compile(r"[0-9]{6,12}")  # ASCII digits: str.isdigit() also takes ０１ and ²
_WINDOW_NO = re.compile(r"[0-9]{2}")


def check_identity(centre_code: str, window_no: str) -> None:
    """BadInput unless the centre code is 6–12 and the window number 2 ASCII digits (01–99): a
    fullwidth ０１ would pass str.isdigit() and break the case-number barcode later."""
    if not _CENTRE_CODE.fullmatch(centre_code):
        raise BadInput("E_CENTRE_CODE", "中心代码应为 6 至 12 位半角数字（行政区划代码）", field="centre")
    if not _WINDOW_NO.fullmatch(window_no) or window_no == "00":
        raise BadInput("E_WINDOW_NO", "窗口号应为 01 至 99 的两位半角数字", field="window")


def stored_identity(path: Path) -> tuple[str, str] | None:
    """(centre_code, window_no) of the store at `path`, or None when there is no store or no identity yet.
    Read directly (plain or with the store's key), so nothing is written (no migration) before init decides."""
    if not path.exists():
        return None
    if local_engine.is_plain(path):
        conn = sqlite3.connect(path)
    else:
        key = config.store_key(path.parent)
        if not key:
            return None  # open_engine then says the key is missing, with what to do
        conn = local_engine.connect(path, key)
    try:
        rows = dict(conn.execute(
            "SELECT key, value FROM settings WHERE key IN ('centre_code', 'window_no')").fetchall())
    except Exception as e:  # sqlite3 and sqlcipher3 raise their own OperationalError
        if "no such table" in str(e):
            return None
        raise
    finally:
        conn.close()
    if not rows.get("centre_code"):
        return None
    return rows.get("centre_code", ""), rows.get("window_no", "")


def init_store(
    home: Path, *, centre_code: str, window_no: str, centre_name: str = "", centre_phone: str = "",
    demo: bool = False, reassign: bool = False, clock: Clock = shanghai_now, centre_type: str | None = None,
) -> Path:
    """Create or upgrade the local store in `home` and set the window identity. Idempotent.

    The store gets its machine id (settings) and the window's chain key (OS keyring, desktop/core/chain.py).
    A store that already belongs to another centre or window is refused (BadInput, nothing written)
    unless `reassign`: then the identity changes, the key follows it, and the change is audited. A
    reassignment waits until every queued operation has been sent (they were made under the old window's
    numbers and would be refused under the new one)."""
    check_identity(centre_code, window_no)
    if centre_type is not None:
        centre_type = centres.check_centre_type(centre_type)
    path = config.db_path(home)
    old = stored_identity(path)
    changing = old is not None and old != (centre_code, window_no)
    if changing and not reassign:
        raise BadInput(
            "E_WINDOW_IDENTITY",
            f"本数据目录已是中心 {old[0]} {old[1]} 号窗口的数据，不能直接改为中心 {centre_code} {window_no} 号窗口；"
            "确需改派本电脑，请加 --reassign（改派会记入审计）", field="window")
    home.mkdir(parents=True, exist_ok=True)
    engine = open_engine(home, create=True)  # the data folder 0700, the store encrypted and 0600
    try:
        local_engine.upgrade(engine)
        if changing:
            _move_identity(engine, home, old, (centre_code, window_no))
        else:
            with Session(engine) as s, s.begin():
                put_setting(s, "centre_code", centre_code)
                put_setting(s, "window_no", window_no)
        key = chain.open_chain(engine, home, centre_code, window_no)
        Writer = local_engine.make_sessionmaker(engine)  # noqa: N806 - a sessionmaker
        chain.configure_sessions(Writer, key)
        with Writer.begin() as s:
            chain.ensure_machine_id(s)
            if centre_name or not s.get(Setting, "centre_name"):
                put_setting(s, "centre_name", centre_name or f"{centre_code} 社区事务受理服务中心")
            if centre_type is not None:  # (两个集中) kept as it was when init does not name it
                put_setting(s, "centre_type", centre_type)
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
            if changing:
                record_audit(s, window=_window(s), at=clock(), actor="system", action="window.reassigned",
                             ref=f"{centre_code}-{window_no}",
                             detail=f"本电脑由中心 {old[0]} {old[1]} 号窗口改派为中心 {centre_code} {window_no} 号窗口")
        if key is not None:
            chain.checkpoint(engine, home, centre_code, window_no)
    finally:
        engine.dispose()
    seal_keys.ensure_window_key(home, centre_code, window_no)  # the seal key pair; the centre certifies it
    if demo:
        store = Store(home, clock=clock)
        try:
            if catalogue.current_version(store) is None:
                catalogue.import_catalogue(store, config.DEMO_CATALOGUE.read_text(encoding="utf-8"), actor=None)
            if not store.setting("seal_certificate"):  # certified by the demo centre key (marked demo)
                seal_keys.install_demo(store)
        finally:
            store.close()
    return path


def _window(s: Session) -> Window:
    values = {r.key: r.value for r in s.scalars(select(Setting))}
    return Window(centre_code=values.get("centre_code", ""), centre_name=values.get("centre_name", ""),
                  window_no=values.get("window_no", ""), phone=values.get("centre_phone", ""))


def _move_identity(engine, home: Path, old: tuple[str, str], new: tuple[str, str]) -> None:
    """Reassign the store to another window: refused while operations wait to be sent; the chain's key
    and head follow the store to the new window's keyring entries (its chain continues)."""
    with Session(engine) as s, s.begin():
        pending = s.scalar(select(func.count()).select_from(OutboxOp).where(OutboxOp.state == "pending"))
        if pending:
            raise BadInput("E_REASSIGN_PENDING",
                           f"本窗口还有 {pending} 条操作未上传中心，请先同步（yichuang sync）再改派", field="window")
        key = chain.load_key(home, *old)
        if key is not None:
            chain.save_key(home, *new, key)
            held = chain.load_checkpoint(home, *old)
            if held:
                chain.save_checkpoint(home, *new, held)
        put_setting(s, "centre_code", new[0])
        put_setting(s, "window_no", new[1])


def restore_from_central(home: Path, *, centre_code: str, window_no: str, state: Mapping[str, Any],
                         clock: Clock = shanghai_now) -> dict[str, Any]:
    """Continue a window on a replacement computer from what the centre holds (sync.restore_state()):
    the daily case counters continue after the last serial the centre has (no number is ever reused),
    and the outbox chain continues the centre's head. Only into a store that has recorded nothing yet
    (made by init just before). Returns {"counters": n, "chain_head": seq}."""
    serials, head = _check_restore_state(state)
    engine = open_engine(home)
    try:
        with Session(engine) as s, s.begin():
            if s.scalar(select(func.count()).select_from(OutboxOp)) or s.scalar(
                    select(func.count()).select_from(Case)):
                raise BadInput("E_RESTORE_NOT_EMPTY",
                               "本数据目录已有办件或待上传的操作，不能再从中心恢复；请在新电脑的空数据目录中恢复",
                               field="home")
            for day, last in serials.items():
                prefix = f"{centre_code}{window_no}{day}"
                counter = s.get(CaseCounter, prefix)
                if counter is None:
                    s.add(CaseCounter(prefix=prefix, last=last))
                else:
                    counter.last = max(counter.last, last)
            put_setting(s, "chain_base", f"{head[0]}:{head[1]}")
        key = chain.open_chain(engine, home, centre_code, window_no)
        Writer = local_engine.make_sessionmaker(engine)  # noqa: N806
        chain.configure_sessions(Writer, key)
        with Writer.begin() as s:
            record_audit(s, window=_window(s), at=clock(), actor="system", action="window.restored",
                         ref=f"{centre_code}-{window_no}",
                         detail=f"从中心恢复：{len(serials)} 天的办件序号，链头第 {head[0]} 条")
        chain.checkpoint(engine, home, centre_code, window_no, base=head)
    finally:
        engine.dispose()
    return {"counters": len(serials), "chain_head": head[0]}


def _check_restore_state(state: Mapping[str, Any]) -> tuple[dict[str, int], tuple[int, str]]:
    """The centre's answer, checked: {"last_serials": {"YYMMDD": n}, "chain_head": {"seq", "mac"}}."""
    def bad(what: str) -> YichuangError:
        return YichuangError("E_RESTORE_STATE", f"中心返回的恢复数据无效（{what}），未做任何修改")

    if not isinstance(state, Mapping):
        raise bad("不是对象")
    serials = state.get("last_serials") or {}
    head = state.get("chain_head") or {"seq": 0, "mac": chain.ZERO}
    if not isinstance(serials, Mapping) or not isinstance(head, Mapping):
        raise bad("字段类型")
    out: dict[str, int] = {}
    for day, last in serials.items():
        if not (isinstance(day, str) and re.fullmatch(r"[0-9]{6}", day)) or isinstance(last, bool) \
                or not isinstance(last, int) or not 0 <= last <= 9999:
            raise bad(f"办件序号 {day!r}: {last!r}")
        out[day] = last
    seq, mac = head.get("seq"), head.get("mac")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0 or not (
            isinstance(mac, str) and re.fullmatch(r"[0-9a-f]{64}", mac)):
        raise bad("链头")
    return out, (seq, mac)


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
