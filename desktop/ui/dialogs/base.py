"""What the dialogs share: the red/green message line, the case-number field, Ctrl+Enter, and FormDialog.

A FormDialog is the look-alike shape of the workflow dialogs: fields in a form, one message line, OK and
Cancel. Its constructor order is every dialog's: (parent, services, actor, then the dialog's specifics).
OK calls `submit()`: `validate()` returns the values to act on (or None after `fail(...)`), then
`act(values)` usually starts a write with `self.write(op, done)`, which keeps the dialog busy (disabled,
the OK button saying what it does) until the writer thread answers; an error lands on the message line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from desktop.ui.feedback import message_of
from desktop.ui.qt import (
    QAbstractItemView,
    QAction,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QKeySequence,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    Qt,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)
from desktop.ui.tasks import DbOp, QueryOp


def error_label(parent: QWidget) -> QLabel:
    label = QLabel("", parent)
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    return label


def read_only_table(parent: QWidget, name: str, headers: Sequence[str], *, alternating: bool = True,
                    tab_leaves: bool = True) -> QTableWidget:
    """A list the clerk reads and picks one row from: whole rows, no editing, columns fit their content.
    With `tab_leaves`, Tab moves on to the next section instead of walking the cells."""
    table = QTableWidget(0, len(headers), parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(alternating)
    table.setTabKeyNavigation(not tab_leaves)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


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


def set_busy(dialog: QWidget, busy: bool, button: QPushButton | None = None, busy_text: str = "正在处理…") -> None:
    """Disable `dialog` while a background operation runs; `button` says what is happening meanwhile."""
    dialog.setEnabled(not busy)
    dialog.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)
    if button is not None:
        if busy:
            button.setProperty("idle_text", button.text())
            button.setText(busy_text)
        elif button.property("idle_text"):
            button.setText(button.property("idle_text"))


class FormDialog(QDialog):
    """A form, a message line and OK/Cancel; OK runs validate() then act(values).

    Subclasses build their fields into `self.form` (a right-aligned QFormLayout), then call
    `self.lay_out(above=..., below=...)` once. `ok_text` names the OK button; `buttons` may replace the
    standard Cancel (e.g. Save | Close). `self.services` and `self.clerk` (the actor, may be None) are set.
    """

    busy_text = "正在处理…"

    def __init__(
        self,
        parent: QWidget | None,
        services=None,
        actor=None,
        *,
        title: str,
        ok_text: str | None = "确定",
        buttons: QDialogButtonBox.StandardButton = QDialogButtonBox.StandardButton.Cancel,
        min_width: int = 520,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = actor
        self.setWindowTitle(title)
        self.setMinimumWidth(min_width)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.error_label = error_label(self)
        self.buttons = QDialogButtonBox(buttons, self)
        self.ok_button: QPushButton | None = None
        if ok_text:
            self.ok_button = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
            self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

    def lay_out(self, above: tuple = (), below: tuple = (), after_message: tuple = ()) -> QVBoxLayout:
        """above, the form, below, the message line, after_message, the buttons (top to bottom)."""
        layout = QVBoxLayout(self)
        for part in (*above, self.form, *below, self.error_label, *after_message, self.buttons):
            if isinstance(part, QLayout):
                layout.addLayout(part)
            else:
                layout.addWidget(part)
        return layout

    # ----- the flow: submit -> validate -> act
    def submit(self) -> None:
        values = self.validate()
        if values is not None:
            self.act(values)

    def validate(self) -> Any:
        """The values to act on, or None (after `fail(...)`) when something is missing. Default: {}."""
        return {}

    def act(self, values: Any) -> None:
        """Do it: by default close the dialog (a dialog that only collects values)."""
        self.accept()

    def fail(self, text: str, focus: QWidget | None = None) -> None:
        """Say what is wrong on the message line and put the cursor where it is to be fixed."""
        set_note(self.error_label, text)
        if focus is not None:
            focus.setFocus()

    def set_busy(self, busy: bool, button: QPushButton | None = None, busy_text: str | None = None) -> None:
        set_busy(self, busy, button if button is not None else self.ok_button, busy_text or self.busy_text)

    # ----- background work
    def write(self, op: Callable[[Any], Any], done: Callable[[Any], Any], *, changes: tuple[str, ...] = (),
              on_error: Callable[[BaseException], Any] | None = None) -> int:
        """Run `op(services)` on the writer thread with the dialog busy; then `done(result)`, or the error
        on the message line (and `on_error(error)` if given, e.g. to move the cursor)."""
        self.set_busy(True)

        def finished(result, error) -> None:
            self.set_busy(False)
            if error is not None:
                self.fail(error_text(error))
                if on_error is not None:
                    on_error(error)
                return
            done(result)

        return DbOp(self, op).changes(*changes).on_done(finished).run()

    def read(self, op: Callable[[Any], Any], done: Callable[[Any], Any],
             on_error: Callable[[BaseException], Any] | None = None) -> int:
        """Run `op(services)` on the reader thread; then `done(result)` or `on_error(error)` (default:
        the error on the message line). The dialog stays usable meanwhile."""

        def failed(error: BaseException) -> None:
            (on_error or (lambda e: self.fail(error_text(e))))(error)

        return QueryOp(self, op).success(done).failure(failed).run()
