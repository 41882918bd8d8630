"""Small pieces every workflow dialog shares: the red error line, the case-number field, the busy state."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QPushButton, QWidget

from desktop.ui.feedback import message_of


def error_label(parent: QWidget) -> QLabel:
    label = QLabel("", parent)
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    return label


def set_note(label: QLabel, text: str, ok: bool = False) -> None:
    """Show a message in red (problem) or green (done) in the same label."""
    label.setObjectName("okLabel" if ok else "errorLabel")
    label.setText(text)
    label.style().unpolish(label)
    label.style().polish(label)


def case_no_edit(parent: QWidget, name: str) -> QLineEdit:
    """A field a barcode scanner types into (it ends with Enter): digits and letters, no spaces."""
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setPlaceholderText("扫描文书条码或输入办件编号")
    edit.setMaxLength(40)
    return edit


def ctrl_enter_does(widget: QWidget, slot: Callable[[], None]) -> QAction:
    """Ctrl+Enter (main or keypad Enter) anywhere in `widget`'s window runs `slot`, even in a text box."""
    action = QAction(widget)
    action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.triggered.connect(lambda _checked=False: slot())
    widget.addAction(action)
    return action


def error_text(error: BaseException) -> str:
    return message_of(error)


class WorkflowDialog(QDialog):
    """A dialog whose main button starts a service write; while it runs the dialog is disabled."""

    def set_busy(self, busy: bool, button: QPushButton | None = None, busy_text: str = "正在处理…") -> None:
        self.setEnabled(not busy)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)
        if button is not None:
            if busy:
                button.setProperty("idle_text", button.text())
                button.setText(busy_text)
            elif button.property("idle_text"):
                button.setText(button.property("idle_text"))
