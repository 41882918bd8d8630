"""How the UI tells the clerk things and asks him: Chinese messages from typed errors, never a traceback.

Everything modal goes through one `Presenter` (message boxes, file choosers, modal dialogs, print
previews). The program uses the real one; tests and benchmarks install their own with `use_presenter`,
so the product carries no switch for them.
"""

from __future__ import annotations

import logging
from pathlib import Path

from desktop.ui.printing import preview_or_save
from desktop.ui.qt import QDialog, QFileDialog, QMessageBox, QWidget

log = logging.getLogger("yichuang.ui")

INTERNAL_ERROR = "程序内部错误，本次操作未完成。请重试；若反复出现，请联系技术支持（详情已写入日志）。"


class Presenter:
    """Shows things to the clerk and asks him; the only place the UI opens a modal window."""

    def message(self, parent: QWidget | None, title: str, text: str, warning: bool = True) -> None:
        (QMessageBox.warning if warning else QMessageBox.information)(parent, title, text)

    def ask(self, parent: QWidget | None, title: str, text: str) -> bool:
        """A yes/no question the clerk must answer (e.g. an expired ID card); True for yes. No is the default."""
        buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        answer = QMessageBox.question(parent, title, text, buttons, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def open_file(self, parent: QWidget | None, caption: str, filters: str) -> str:
        """The file the clerk chose, or "" when he cancelled."""
        path, _ = QFileDialog.getOpenFileName(parent, caption, "", filters)
        return path

    def save_file(self, parent: QWidget | None, caption: str, suggested: str, filters: str) -> str:
        """Where the clerk chose to save a file, or "" when he cancelled."""
        path, _ = QFileDialog.getSaveFileName(parent, caption, suggested, filters)
        return path

    def exec(self, dialog: QDialog) -> int:
        """Run a modal dialog; its result code (QDialog.DialogCode)."""
        return dialog.exec()

    def print_pdf(self, parent: QWidget | None, pdf_path: Path) -> str:
        """Preview and print one PDF (save-as when no printer is installed); what happened."""
        return preview_or_save(parent, pdf_path)


_presenter = Presenter()


def presenter() -> Presenter:
    return _presenter


def use_presenter(new: Presenter) -> Presenter:
    """Install `new` as the UI's presenter; returns the previous one (to put back)."""
    global _presenter
    old, _presenter = _presenter, new
    return old


def message_of(error: BaseException) -> str:
    """The Chinese text a clerk reads for an error: a YichuangError's message, otherwise a generic one."""
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return message
    return INTERNAL_ERROR


def show_error(parent: QWidget | None, error: BaseException | str, title: str = "无法完成") -> None:
    """Show an error as a Chinese message box (an unexpected one is logged with its traceback)."""
    text = error if isinstance(error, str) else message_of(error)
    if not isinstance(error, str) and not hasattr(error, "message"):
        log.error("unexpected error", exc_info=error)
    log.info("error shown to clerk: %s", text)
    presenter().message(parent, title, text, warning=True)


def show_info(parent: QWidget | None, text: str, title: str = "提示") -> None:
    log.info("info shown to clerk: %s", text)
    presenter().message(parent, title, text, warning=False)


def print_with_preview(parent: QWidget | None, pdf_path: str | Path) -> str:
    """Preview and print one PDF through the presenter; never raises. Returns what happened:
    preview | saved | cancelled | failed (a test presenter may say "recorded")."""
    path = Path(pdf_path)
    try:
        return presenter().print_pdf(parent, path)
    except Exception as e:
        log.exception("printing %s failed", path)
        show_error(parent, f"打印失败：{getattr(e, 'args', [''])[0] or '未知原因'}。文书已保存在 {path}")
        return "failed"


def print_documents(parent: QWidget | None, paths: list[str]) -> list[str]:
    """Print several PDFs one after another (voucher first, as the services return them)."""
    return [print_with_preview(parent, p) for p in paths]
