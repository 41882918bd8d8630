"""Typed errors with stable codes; the UI and the CLI show `message` (Chinese) to people."""

from __future__ import annotations


class YichuangError(Exception):
    """Base of every error a service reports on purpose.

    `code` is stable (for tests and logs), `message` is the Chinese text a clerk reads,
    `field` names the input field at fault where there is one (for example `applicant.id_no`).
    """

    exit_code = 1

    def __init__(self, code: str, message: str, *, field: str | None = None, overridable: bool = False):
        super().__init__(f"{code}: {message}" + (f" [{field}]" if field else ""))
        self.code = code
        self.message = message
        self.field = field
        self.overridable = overridable


class BadInput(YichuangError):
    """The input is wrong; nothing was stored. CLI exit code 2."""

    exit_code = 2


class NotFound(BadInput):
    """A referenced thing (matter, case, user) does not exist."""


class CalendarNoData(BadInput):
    """The working-day calendar has no data for the year asked; never guessed."""


class AuthError(BadInput):
    """Login failed or the user lacks the role."""


class CentralUnavailable(YichuangError):
    """The central database could not be reached or refused the connection. CLI exit code 1."""


class ProtocolMismatch(YichuangError):
    """Window and centre speak different protocol versions: the window must be upgraded."""


class CaseLeased(BadInput):
    """Another window of the centre holds the case's lease: it is being handled there right now (exit 2)."""

    def __init__(self, *, window_no: str, clerk_name: str, until: str, case_no: str = ""):
        super().__init__("E_CASE_LEASED", f"{clerk_name}，{window_no} 号窗口正在办理此件（至 {until}）",
                         field="case_no")
        self.window_no, self.clerk_name, self.until, self.case_no = window_no, clerk_name, until, case_no


class DiskFull(YichuangError):
    """The disk (or the user's quota) is full: nothing is corrupt, and nothing was half-stored."""


class PrintOwed(YichuangError):
    """The case is stored, but a document could not be printed; it is recorded as owed (reprint --owed)."""


DISK_FULL_MESSAGE = ("磁盘空间不足：{where}。已保存的数据完好，本次操作未保存。请清理磁盘（删除不需要的文件、"
                     "清空回收站）或联系技术人员扩容后重试；不要从备份恢复数据库。")
_FULL_ERRNOS = {28, 122, 27}  # ENOSPC, EDQUOT, EFBIG (a file-size limit)
_LOW_SPACE = 1024 * 1024  # below this, an I/O error of the store is taken for a full disk


def _low_space(folder) -> bool:
    import shutil

    try:
        return folder is not None and shutil.disk_usage(folder).free < _LOW_SPACE
    except OSError:
        return False


def storage_failure(exc: BaseException, where: str, folder=None) -> YichuangError | None:
    """A clear error for a full disk, or a store that cannot be opened or read, found anywhere in `exc`'s
    chain (an OSError's errno, SQLite's error name); else None. A full disk shows up in SQLite as SQLITE_FULL
    or, when the shared-memory or WAL file cannot grow, as an I/O error (SQLITE_IOERR_SHMSIZE …): with
    `folder` given, an I/O error there with almost no free space is a full disk. None of these is ever
    reported as a corrupt store (only SQLITE_CORRUPT / SQLITE_NOTADB are)."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        name = getattr(e, "sqlite_errorname", "") or ""
        text = str(e).lower()
        if (isinstance(e, OSError) and e.errno in _FULL_ERRNOS) or name == "SQLITE_FULL" or "disk is full" in text:
            return DiskFull("E_DISK_FULL", DISK_FULL_MESSAGE.format(where=where))
        if name.startswith(("SQLITE_IOERR", "SQLITE_CANTOPEN")) or "disk i/o error" in text \
                or "unable to open database file" in text:
            if _low_space(folder):
                return DiskFull("E_DISK_FULL", DISK_FULL_MESSAGE.format(where=where))
            if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
                return YichuangError("E_STORE_OPEN", f"无法打开本地数据库（{where}）：可能是文件夹无写入权限或所在磁盘"
                                     "不可用。数据库文件未被修改；请检查磁盘和权限后重试。")
            return YichuangError("E_STORE_IO", f"读写本地数据库时发生磁盘错误（{where}）。数据库文件未被修改；请检查"
                                 "磁盘空间和磁盘状态后重试，如仍出错请联系技术人员。")
        e = e.__cause__ or e.__context__ or getattr(e, "orig", None)
    return None
