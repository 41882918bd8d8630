"""The context every feature needs: one window's local store (engine, writer and reader sessions), its clock,
its data folder, its settings, and the caches derived from it, with an explicit invalidate().

A leaf: it imports only db.local and the pure core modules, never a feature module. Feature modules take a
`Store` as their first argument; the Services facade owns one and composes them. A Store is used from one
thread at a time (the GUI gives the sync worker its own).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import DatabaseError

from db.local import engine as local_engine
from db.local.models import Setting
from desktop.core import chain, config, settings
from desktop.core.clock import Clock, shanghai_now
from desktop.core.errors import BadInput, YichuangError, storage_failure
from desktop.core.types import Window

CACHES = ("catalogue", "calendar")


def open_engine(home: Path, *, create: bool = False) -> Engine:
    """An engine on the window's encrypted store, keyed from the OS keyring (or the 0600 secrets file).

    The data folder is made 0700 and the store file 0600 (its WAL and -shm inherit that mode). `create`:
    a missing store is created (with a new key). A plain store left by an older version is encrypted in
    place first (desktop.core.config.store_key keeps its new key before a byte is written). Without its
    key, or with a key that does not open it, YichuangError and nothing is changed."""
    home = Path(home)
    path = config.db_path(home)
    config.private_home(home)
    if not path.exists() and not create:
        raise BadInput("E_NOT_INITIALISED", f"本窗口尚未初始化：请先运行 yichuang init（数据目录 {home}）")
    for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if p.exists():
            os.chmod(p, 0o600)
    if not path.exists() or local_engine.is_plain(path):
        with config.home_lock(home):  # one process makes the key and encrypts; another waits, then opens
            key = _first_key(home, path)
    else:
        key = _existing_key(home, path)
    engine = local_engine.make_engine(path, key=key)
    try:
        engine.connect().close()
    except DatabaseError as e:
        engine.dispose()
        failure = storage_failure(e, str(path), folder=path.parent)
        if failure is not None:  # a full disk or a folder it cannot write is neither a wrong key nor damage
            raise failure from e
        raise YichuangError(
            "E_STORE_KEY_WRONG",
            f"本地数据库 {path} 无法用本机保存的密钥打开（密钥不符，或文件已损坏），未做任何修改。"
            "请联系技术人员（见运维说明）。",
        ) from e
    return engine


def _first_key(home: Path, path: Path) -> str:
    """Under the home's lock: the key of a store being created, or of a plain one, encrypted here."""
    if not path.exists():
        key = config.store_key(home, create=True)  # a key left without its store is used again
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return key
    if not local_engine.is_plain(path):  # another process encrypted it while this one waited
        return _existing_key(home, path)
    key = config.store_key(home, create=True)
    try:
        local_engine.encrypt_in_place(path, key)
    except local_engine.sqlcipher.DatabaseError as e:
        raise YichuangError(
            "E_STORE_ENCRYPT",
            f"本地数据库 {path} 加密失败，原文件未做任何修改：{e}。请联系技术人员。",
        ) from e
    return key


def _existing_key(home: Path, path: Path) -> str:
    key = config.store_key(home)
    if not key and not config.store_id_path(home).exists():  # never keyed here: not our store
        raise YichuangError(
            "E_STORE_CORRUPT",
            f"本地数据库文件 {path} 已损坏或不是一窗的数据文件（本机也没有它的密钥），未做任何修改。"
            "请联系技术人员从备份恢复（见运维说明）。",
        )
    if not key:
        raise YichuangError(
            "E_STORE_KEY_MISSING",
            f"本地数据库 {path} 已加密，但本机系统账户的密钥库中没有它的密钥，无法打开，未做任何修改。"
            "请在启用本窗口的电脑和系统账户下运行；如已更换电脑，请按运维说明从中心恢复本窗口"
            "（yichuang init --restore-from-central）。",
        )
    return key


class Store:
    """One window's local store. `Session` writes (BEGIN IMMEDIATE); `Reader` reads (deferred BEGIN,
    never waits for a writer). `cache` holds derived values by name; `invalidate(name)` drops them."""

    def __init__(self, home: Path, *, clock: Clock = shanghai_now):
        path = config.db_path(home)
        if not path.exists():
            raise BadInput(
                "E_NOT_INITIALISED",
                f"本窗口尚未初始化：请先运行 yichuang init --centre 中心代码 --window 窗口号（数据目录 {home}）",
            )
        self.home = Path(home)
        self.clock = clock
        self._closed = False
        self.engine = open_engine(self.home)
        try:
            local_engine.ensure_current(self.engine)  # a store left by an older version is upgraded here
        except DatabaseError as e:
            self.engine.dispose()
            failure = storage_failure(e, str(path), folder=path.parent)
            if failure is not None:  # a full disk or a folder it cannot write is not a corrupt store
                raise failure from e
            raise YichuangError(
                "E_STORE_CORRUPT",
                f"本地数据库文件 {path} 已损坏或不是一窗的数据文件，未做任何修改。"
                "请联系技术人员从备份恢复（见运维说明）。",
            ) from e
        self.Session = local_engine.make_sessionmaker(self.engine)
        self.Reader = local_engine.make_reader(self.engine)
        self.cache: dict[str, dict[str, Any]] = {name: {} for name in CACHES}
        # the window's key (OS keyring): every outbox op and audit record a session adds is chained with it
        centre, window = self._identity()
        self.chain_key = chain.open_chain(self.engine, self.home, centre, window) if centre else None
        chain.configure_sessions(self.Session, self.chain_key)

    def _identity(self) -> tuple[str, str]:
        with self.engine.connect() as conn:
            rows = dict(conn.execute(select(Setting.key, Setting.value).where(
                Setting.key.in_(("centre_code", "window_no")))).all())
        return rows.get("centre_code", ""), rows.get("window_no", "")

    def close(self) -> None:
        """Save the chains' heads and release the store; a second close does nothing."""
        if self._closed:
            return
        self._closed = True
        if self.chain_key is not None:  # the heads go to the keyring: a cut-off tail shows at verify
            centre, window = self._identity()
            chain.checkpoint(self.engine, self.home, centre, window)
        self.engine.dispose()

    def invalidate(self, *names: str) -> None:
        """Drop the derived values of `names` (all when none is given): after a catalogue or calendar
        arrives from elsewhere (an import, the sync)."""
        for name in names or CACHES:
            if name not in self.cache:
                raise ValueError(f"unknown cache {name!r}")
            self.cache[name].clear()

    # ----- settings and window identity
    def setting(self, key: str) -> str:
        """A declared setting's text (desktop/core/settings.py), or its declared default."""
        declared = settings.spec(key)
        with self.Reader() as s:
            row = s.get(Setting, key)
            return row.value if row else declared.default

    def set_setting(self, key: str, value: str) -> None:
        with self.Session.begin() as s:
            put_setting(s, key, value)

    def window(self) -> Window:
        with self.Reader() as s:
            values = {r.key: r.value for r in s.scalars(select(Setting))}
        return Window(
            centre_code=values.get("centre_code", ""),
            centre_name=values.get("centre_name", ""),
            window_no=values.get("window_no", ""),
            phone=values.get("centre_phone", ""),
            reconsideration_body=values.get("reconsideration_body", ""),
            court=values.get("court", ""),
        )


def put_setting(s, key: str, value: str) -> None:
    """Set a declared setting in the caller's transaction (ValueError for an undeclared key or a value of
    the wrong type: a programming error)."""
    value = settings.spec(key).check(value)
    row = s.get(Setting, key)
    if row is None:
        s.add(Setting(key=key, value=value))
    else:
        row.value = value
