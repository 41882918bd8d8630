"""What a clerk does at the window, as reusable test steps: pick a matter, type Chinese, accept and wait."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from tests.support.ids import ZHANG_SAN_ID


def commit_text(widget, text: str) -> None:
    """What fcitx/ibus does when the clerk picks Chinese characters: an input-method commit."""
    widget.setFocus()
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def pick_matter(qtbot, window, initials: str, downs: int = 0) -> None:
    search = window.matter_panel.search_edit
    search.setFocus()
    qtbot.keyClicks(search, initials)
    for _ in range(downs):
        qtbot.keyClick(search, Qt.Key.Key_Down)
    qtbot.keyClick(search, Qt.Key.Key_Return)


def ctrl_enter(qtbot, widget) -> None:
    qtbot.keyClick(widget, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def wait_intake(qtbot, window, trigger, timeout: int = 15_000):
    """Run `trigger()` (a key press or a call) and wait until the writer thread reports the intake;
    returns the IntakeResult, or None when nothing was stored."""
    with qtbot.waitSignal(window.intake_finished, timeout=timeout) as blocker:
        trigger()
    return blocker.args[0]


def wait_idle(qtbot, window, timeout: int = 15_000) -> None:
    """Wait until the writer thread has nothing queued."""
    qtbot.waitUntil(lambda: not window.writer.busy, timeout=timeout)


def fill_person(qtbot, window, name: str = "张三", id_no: str = ZHANG_SAN_ID) -> None:
    commit_text(window.form.person.name, name)
    qtbot.keyClicks(window.form.person.id_no, id_no)
