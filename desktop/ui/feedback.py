"""How the UI tells the clerk things: Chinese messages from typed errors, never a traceback; no modal boxes in tests."""

from __future__ import annotations

import logging
import os

from PySide6.QtWidgets import QMessageBox, QWidget

log = logging.getLogger("yichuang.ui")

INTERNAL_ERROR = "程序内部错误，本次操作未完成。请重试；若反复出现，请联系技术支持（详情已写入日志）。"


def no_dialogs() -> bool:
    """True in tests and headless runs (YICHUANG_NO_DIALOGS=1): never open a modal dialog."""
    return os.environ.get("YICHUANG_NO_DIALOGS", "") not in ("", "0")


def message_of(error: BaseException) -> str:
    """The Chinese text a clerk reads for an error: a YichuangError's message, otherwise a generic one."""
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message
    return INTERNAL_ERROR


def show_error(parent: QWidget | None, error: BaseException | str, title: str = "无法完成") -> None:
    """Show an error as a Chinese message box (only logged when dialogs are off)."""
    text = error if isinstance(error, str) else message_of(error)
    if not isinstance(error, str) and not hasattr(error, "message"):
        log.error("unexpected error", exc_info=error)
    log.info("error shown to clerk: %s", text)
    if no_dialogs():
        return
    QMessageBox.warning(parent, title, text)


def show_info(parent: QWidget | None, text: str, title: str = "提示") -> None:
    log.info("info shown to clerk: %s", text)
    if no_dialogs():
        return
    QMessageBox.information(parent, title, text)
