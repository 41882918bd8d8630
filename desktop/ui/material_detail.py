"""Under the checklist: the one extra input a material state needs (reason, promised supply date, licence number)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from desktop.ui.material_checklist import MaterialChecklist
from desktop.ui.qt import (
    QDate,
    QDateEdit,
    QEvent,
    QFrame,
    QHBoxLayout,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QObject,
    QStackedWidget,
    Qt,
    QWidget,
    Signal,
)

PROMPTS = {
    "defective": "不符合要求的原因",
    "gap": "承诺补交日期",
    "e_licence": "电子证照编号（可扫码，可不填）",
}
HINTS = {
    "defective": "必填，将写入《一次性告知单》。回车返回材料清单",
    "gap": "将写入《容缺受理承诺书》。↑↓ 调整日期，回车返回材料清单",
    "e_licence": "回车返回材料清单",
}


class MaterialDetailEditor(QFrame):
    """Edits the details of the checklist's current row in place; `done()` when the clerk presses Enter/Esc."""

    done = Signal()

    def __init__(self, checklist: MaterialChecklist, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("materialDetail")
        self.checklist = checklist
        self.row = -1
        self.state = ""
        self.today: Callable[[], date] = date.today  # the main window gives the services' clock
        self.prompt = QLabel("", self)
        self.prompt.setObjectName("detailPrompt")
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("defectReasonEdit")
        self.reason_edit.setPlaceholderText("例如：复印件不清晰、已过有效期、缺少盖章")
        self.due_edit = QDateEdit(self)
        self.due_edit.setObjectName("gapDueEdit")
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setDisplayFormat("yyyy-MM-dd")
        self.ref_edit = QLineEdit(self)
        self.ref_edit.setObjectName("eLicenceRefEdit")
        self.ref_edit.setPlaceholderText("扫描或输入电子证照编号")
        self.stack = QStackedWidget(self)
        for w in (self.reason_edit, self.due_edit, self.ref_edit):
            self.stack.addWidget(w)
            w.installEventFilter(self)
        self.hint = QLabel("", self)
        self.hint.setObjectName("hintLabel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.prompt)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.hint)
        self.reason_edit.textEdited.connect(lambda t: self._store("reason", t.strip()))
        self.ref_edit.textEdited.connect(lambda t: self._store("e_licence_ref", t.strip()))
        self.due_edit.dateChanged.connect(lambda d: self._store("gap_due", d.toPython()))
        checklist.currentCellChanged.connect(lambda row, *_: self.follow(row))
        checklist.changed.connect(lambda: self.follow(checklist.currentRow()))
        self.hide()

    def editor(self) -> QWidget:
        return {"defective": self.reason_edit, "gap": self.due_edit, "e_licence": self.ref_edit}[self.state]

    def follow(self, row: int) -> None:
        """Show the editor for `row` if its state has details, else hide (never steals the focus)."""
        if row < 0 or row >= self.checklist.rowCount():
            self.row, self.state = -1, ""
            self.hide()
            return
        state = self.checklist.state(row)
        if state not in PROMPTS:
            self.row, self.state = -1, ""
            self.hide()
            return
        if row == self.row and state == self.state and self.isVisible():
            return
        self.row, self.state = row, state
        name = self.checklist.specs[row].name
        self.prompt.setText(f"“{name}”{PROMPTS[state]}：")
        self.hint.setText(HINTS[state])
        details = self.checklist.details(row)
        self.stack.setCurrentWidget(self.editor())
        for w in (self.reason_edit, self.ref_edit, self.due_edit):
            w.blockSignals(True)
        self.reason_edit.setText(details.get("reason", ""))
        self.ref_edit.setText(details.get("e_licence_ref", ""))
        due: date | None = details.get("gap_due")
        today = QDate(self.today())
        self.due_edit.setMinimumDate(min(today, QDate(due)) if due else today)
        self.due_edit.setDate(QDate(due) if due else today)
        for w in (self.reason_edit, self.ref_edit, self.due_edit):
            w.blockSignals(False)
        self.show()

    def open_for(self, row: int) -> None:
        """The clerk chose a state with details: show its editor and put the cursor there."""
        self.follow(row)
        if self.isVisible():
            self.editor().setFocus()
            if isinstance(self.editor(), QLineEdit):
                self.editor().selectAll()

    def _store(self, key: str, value) -> None:
        if self.row >= 0:
            self.checklist.set_detail(self.row, key, value)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if mods == Qt.KeyboardModifier.NoModifier and event.key() in (
                Qt.Key.Key_Return,
                Qt.Key.Key_Enter,
                Qt.Key.Key_Escape,
            ):
                self.done.emit()
                return True
        return False
