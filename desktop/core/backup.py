"""Backups of the window's store and restoring one (`yichuang backup`, `yichuang restore`, the GUI's daily
backup).

A backup is made with SQLite's online backup API while the store stays open: page by page, into a new file
keyed with the store's own key, so it is encrypted exactly like the store (SQLCipher; without this
computer's keyring it is unreadable). It is written under a temporary name, checked (quick_check), fsynced
and only then renamed to `yichuang-YYYYMMDD-HHMMSS.db`; a failure (a full disk) removes the temporary file
and leaves every earlier backup as it was. Rotation keeps the newest backup of each of the last
`backup_keep_daily` days and of each of the last `backup_keep_weekly` ISO weeks.

Restoring checks the file first (it must open with this store's key, pass integrity_check and belong to
this centre and window), refuses to replace a store that still has unsent operations unless forced, keeps
the replaced store aside in `replaced/`, and re-anchors the chain heads kept in the keyring to the restored
store (an audited act), so `audit verify` checks the restored chain rather than reporting the newer tail
as cut off.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from db.local import engine as local_engine
from desktop.core import config
from desktop.core.errors import BadInput, YichuangError, storage_failure

BACKUP_NAME = re.compile(r"^yichuang-(\d{8})-(\d{6})\.db$")
PARTIAL_SUFFIX = ".partial"
REPLACED_FOLDER = "replaced"
PAGES_PER_STEP = 256  # the online backup copies this many pages, then lets writers in


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    removed: tuple[Path, ...]  # older backups rotated away

    def as_json(self) -> dict:
        return {"path": str(self.path), "size": self.size, "removed": [str(p) for p in self.removed]}


def default_folder(home: Path) -> Path:
    return Path(home) / "backups"


def backup_folder(home: Path, setting: str = "", to: str | os.PathLike[str] | None = None) -> Path:
    """The folder backups go to: `to`, else the `backup_dir` setting, else <home>/backups. A symbolic link
    (planted to send the store's copy elsewhere) or a path that is a file is refused (BadInput)."""
    folder = Path(to) if to else (Path(setting) if setting else default_folder(home))
    if folder.is_symlink():
        raise BadInput("E_BACKUP_DIR", f"备份目录 {folder} 是符号链接，已拒绝（请直接给出真实目录）", field="to")
    if folder.exists() and not folder.is_dir():
        raise BadInput("E_BACKUP_DIR", f"备份目录 {folder} 不是文件夹", field="to")
    try:
        config.private_dir(folder)
    except OSError as e:
        raise BadInput("E_BACKUP_DIR", f"无法创建备份目录 {folder}：{e.strerror}", field="to") from e
    if folder.is_symlink():
        raise BadInput("E_BACKUP_DIR", f"备份目录 {folder} 是符号链接，已拒绝（请直接给出真实目录）", field="to")
    return folder


def list_backups(folder: Path) -> list[tuple[datetime, Path]]:
    """The finished backups in `folder`, oldest first (temporary files and anything else are ignored)."""
    found = []
    if not folder.is_dir():
        return found
    for p in folder.iterdir():
        m = BACKUP_NAME.match(p.name)
        if m and p.is_file() and not p.is_symlink():
            try:
                found.append((datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S"), p))
            except ValueError:
                continue
    return sorted(found)


def to_keep(backups: list[tuple[datetime, Path]], *, daily: int, weekly: int) -> set[Path]:
    """The newest backup of each of the last `daily` days that have one, and of each of the last `weekly`
    ISO weeks that have one (grandfather-father-son, without the grandfather)."""
    keep: set[Path] = set()
    days: dict[object, Path] = {}
    weeks: dict[object, Path] = {}
    for at, p in backups:  # oldest first: the newest of each day and week wins
        days[at.date()] = p
        weeks[at.isocalendar()[:2]] = p
    for key in sorted(days, reverse=True)[:daily]:
        keep.add(days[key])
    for key in sorted(weeks, reverse=True)[:weekly]:
        keep.add(weeks[key])
    if backups:
        keep.add(backups[-1][1])  # never rotate away the one just made
    return keep


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_backup(engine, key: str, folder: Path, *, now: datetime, daily: int = 7, weekly: int = 4) -> BackupResult:
    """Copy the open store (`engine`) into `folder` through the online backup API, keyed with `key`, then
    rotate. YichuangError (DiskFull for a full disk) with the earlier backups untouched when it fails."""
    final = folder / f"yichuang-{now:%Y%m%d-%H%M%S}.db"
    while final.exists():  # two backups in one second: the second takes the next free second's name
        now += timedelta(seconds=1)
        final = folder / f"yichuang-{now:%Y%m%d-%H%M%S}.db"
    tmp = final.with_name(final.name + PARTIAL_SUFFIX)
    try:
        for left in folder.glob("*" + PARTIAL_SUFFIX):  # a kill's leftover
            left.unlink()
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600))
        target = local_engine.connect(tmp, key)
        try:
            raw = engine.raw_connection()
            try:
                raw.driver_connection.backup(target, pages=PAGES_PER_STEP)
            finally:
                raw.close()
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            ok = target.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            target.close()
        if ok != "ok":
            raise YichuangError("E_BACKUP_CHECK", f"备份文件未通过校验（{ok}），已删除；原有备份未受影响。")
        _fsync(tmp)
        os.replace(tmp, final)
        local_engine.fsync_dir(folder)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        for extra in ("-journal", "-wal", "-shm"):
            tmp.with_name(tmp.name + extra).unlink(missing_ok=True)
        if isinstance(e, YichuangError):
            raise
        failure = storage_failure(e, f"备份目录 {folder}", folder=folder)
        if failure is not None:  # a full disk shows as SQLITE_FULL, EFBIG or a plain I/O error
            why = "磁盘空间不足" if failure.code == "E_DISK_FULL" else "磁盘读写出错（磁盘可能已满或不可用）"
            raise type(failure)(failure.code, f"写入备份失败（{folder}）：{why}。本次备份未完成，原有备份未受影响；"
                                "请清理或更换备份磁盘后重试。") from e
        if isinstance(e, Exception):
            raise YichuangError("E_BACKUP_FAILED", f"备份失败：{e}。原有备份未受影响。") from e
        raise
    kept = to_keep(list_backups(folder), daily=daily, weekly=weekly) | {final}  # never the one just made
    removed = []
    for _at, p in list_backups(folder):
        if p not in kept:
            p.unlink(missing_ok=True)
            removed.append(p)
    return BackupResult(path=final, size=final.stat().st_size, removed=tuple(removed))


def last_backup_at(folder: Path) -> datetime | None:
    found = list_backups(folder)
    return found[-1][0] if found else None


# ---- restore ------------------------------------------------------------------------------------------
def check_backup(path: Path, key: str) -> dict[str, str]:
    """The backup's settings (centre_code, window_no) once it opens with `key` and passes integrity_check;
    BadInput saying what is wrong otherwise (nothing is changed)."""
    if not path.is_file():
        raise BadInput("E_FILE", f"备份文件 {path} 不存在", field="file")
    if local_engine.is_plain(path):
        raise BadInput("E_BACKUP_INVALID", f"{path} 不是一窗的加密备份文件", field="file")
    try:
        con = local_engine.connect(path, key)
    except local_engine.sqlcipher.DatabaseError as e:
        raise BadInput("E_BACKUP_KEY", f"备份文件 {path} 无法用本窗口的密钥打开（不是本窗口的备份，或文件已损坏）",
                       field="file") from e
    try:
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        except local_engine.sqlcipher.DatabaseError as e:
            ok = str(e)
        if ok != "ok":
            raise BadInput("E_BACKUP_INVALID", f"备份文件 {path} 已损坏（完整性检查：{ok}），未恢复", field="file")
        try:
            rows = dict(con.execute("SELECT key, value FROM settings WHERE key IN ('centre_code', 'window_no')"))
            con.execute("SELECT version_num FROM alembic_version").fetchone()
        except local_engine.sqlcipher.DatabaseError as e:
            raise BadInput("E_BACKUP_INVALID", f"{path} 不是一窗的数据备份", field="file") from e
    finally:
        con.close()
    return rows


def pending_ops(home: Path) -> int | None:
    """How many operations the current store has not yet sent; None when it cannot be opened (damaged or
    keyless: then there is nothing readable to lose)."""
    path = config.db_path(home)
    if not path.exists():
        return 0
    key = config.store_key(home)
    if not key:
        return None
    try:
        con = local_engine.connect(path, key)
    except local_engine.sqlcipher.DatabaseError:
        return None
    try:
        return int(con.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0])
    except local_engine.sqlcipher.DatabaseError:
        return None
    finally:
        con.close()


@dataclass(frozen=True)
class RestoreResult:
    restored_from: Path
    replaced_kept_at: Path | None
    unsent_overwritten: int | None

    def as_json(self) -> dict:
        return {"restored_from": str(self.restored_from),
                "replaced_kept_at": str(self.replaced_kept_at) if self.replaced_kept_at else None,
                "unsent_overwritten": self.unsent_overwritten}


def _set_aside(home: Path, now: datetime) -> Path | None:
    """Move the current store (and its -wal/-shm, so nothing of it is lost) into <home>/replaced/."""
    path = config.db_path(home)
    if not path.exists():
        return None
    aside = config.private_dir(home / REPLACED_FOLDER) / f"yichuang-{now:%Y%m%d-%H%M%S}.db"
    n = 1
    while aside.exists():
        aside = aside.with_name(f"yichuang-{now:%Y%m%d-%H%M%S}-{n}.db")
        n += 1
    for extra in ("-wal", "-shm"):
        side = path.with_name(path.name + extra)
        if side.exists():
            os.replace(side, aside.with_name(aside.name + extra))
    os.replace(path, aside)
    return aside


def restore(home: Path, file: Path, *, force: bool, now: datetime) -> RestoreResult:
    """Replace the store of `home` with the backup `file` (see the module's text). The caller opens the
    restored store afterwards to re-anchor the chain heads and audit the restore."""
    home = Path(home)
    key = config.store_key(home)
    if not key:
        raise YichuangError("E_STORE_KEY_MISSING", "本机密钥库中没有本窗口数据库的密钥，无法打开任何备份；"
                            "已更换电脑的，请按运维说明从中心恢复（yichuang init --restore-from-central）。")
    file = Path(file)
    ident = check_backup(file, key)
    current = stored_identity(home, key)
    if current and (ident.get("centre_code"), ident.get("window_no")) != current:
        raise BadInput("E_BACKUP_WINDOW", f"备份属于中心 {ident.get('centre_code')} {ident.get('window_no')} 号窗口，"
                       f"本机是中心 {current[0]} {current[1]} 号窗口，未恢复", field="file")
    behind = _behind_current(home, key, file)
    if behind and not force:
        raise BadInput("E_BACKUP_OLDER", f"本窗口已连接中心，而备份早于当前数据库（{behind}）：恢复后会再次使用中心已有的"
                       "受理号和操作链位置。请改用较新的备份，或从中心恢复（yichuang init --restore-from-central）；"
                       "确需恢复，请加 --force", field="force")
    unsent = pending_ops(home)
    if unsent and not force:
        raise BadInput("E_UNSENT_OPS", f"当前数据库还有 {unsent} 条操作尚未上传到中心，恢复会丢失它们：请先同步"
                       "（yichuang sync）；确需覆盖，请加 --force（被替换的数据库会保留在 replaced 文件夹）",
                       field="force")
    path = config.db_path(home)
    incoming = path.with_name(path.name + ".restoring")
    incoming.unlink(missing_ok=True)
    with config.home_lock(home):
        try:
            shutil.copyfile(file, incoming)
            os.chmod(incoming, 0o600)
            _fsync(incoming)
        except OSError as e:
            incoming.unlink(missing_ok=True)
            failure = storage_failure(e, f"数据目录 {home}", folder=home)
            raise (failure or YichuangError("E_RESTORE", f"无法复制备份文件：{e}")) from e
        aside = _set_aside(home, now)
        os.replace(incoming, path)
        local_engine.fsync_dir(home)
    return RestoreResult(restored_from=file, replaced_kept_at=aside, unsent_overwritten=unsent)


def _position(path: Path, key: str) -> tuple[bool, int, dict[str, int]] | None:
    """(linked to a centre, the outbox chain's last position, the last case-number serial per prefix) of
    a store file; None when it cannot be read."""
    try:
        con = local_engine.connect(path, key)
    except local_engine.sqlcipher.DatabaseError:
        return None
    try:
        linked = con.execute("SELECT count(*) FROM settings WHERE key = 'central_url' AND value != ''").fetchone()[0]
        seq = con.execute("SELECT coalesce(max(chain_seq), 0) FROM outbox").fetchone()[0]
        serials = dict(con.execute("SELECT prefix, last FROM case_counters"))
    except local_engine.sqlcipher.DatabaseError:
        return None
    finally:
        con.close()
    return bool(linked), int(seq), {str(k): int(v) for k, v in serials.items()}


def _behind_current(home: Path, key: str, file: Path) -> str:
    """Where the backup is behind the current store of a window linked to a centre, in words ('' when it
    is not, the store is not linked, or either cannot be read): what the centre may already hold."""
    path = config.db_path(home)
    current = _position(path, key) if path.exists() else None
    incoming = _position(file, key)
    if current is None or incoming is None or not current[0]:
        return ""
    said = []
    if incoming[1] < current[1]:
        said.append(f"操作链位置 {incoming[1]}，当前 {current[1]}")
    for prefix, last in sorted(current[2].items()):
        if incoming[2].get(prefix, 0) < last:
            said.append(f"受理号 {prefix} 序号 {incoming[2].get(prefix, 0)}，当前 {last}")
            break
    return "；".join(said)


def stored_identity(home: Path, key: str) -> tuple[str, str] | None:
    path = config.db_path(home)
    if not path.exists():
        return None
    try:
        con = local_engine.connect(path, key)
    except local_engine.sqlcipher.DatabaseError:
        return None
    try:
        rows = dict(con.execute("SELECT key, value FROM settings WHERE key IN ('centre_code', 'window_no')"))
    except local_engine.sqlcipher.DatabaseError:
        return None
    finally:
        con.close()
    return (rows["centre_code"], rows["window_no"]) if "centre_code" in rows else None
