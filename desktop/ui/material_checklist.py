"""Centre column: the material checklist, one row per material; Space ticks 纸质收取/缺少, digits 1-6 pick a state."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from desktop.core.types import FORM_LABELS, STATE_LABELS, MaterialSpec, Matter

STATE_ORDER = ("paper", "e_licence", "commitment", "gap", "missing", "defective")  # digit keys 1..6
DEFAULT_STATE = "missing"
HEADERS = ("材料名称", "形式", "份数", "收取情况")
STATE_COLOURS = {
    "paper": "#e3f4e1",
    "e_licence": "#e1eefb",
    "commitment": "#efe6fa",
    "gap": "#fff4d6",
    "missing": "#fde4e4",
    "defective": "#fde4e4",
}


def allowed_states(matter: Matter, spec: MaterialSpec) -> tuple[str, ...]:
    """The states a clerk may choose for a material (e-licence and commitment only where permitted)."""
    return tuple(
        s
        for s in STATE_ORDER
        if (s != "e_licence" or spec.e_licence) and (s != "commitment" or matter.commitment_allowed)
    )


class MaterialChecklist(QTableWidget):
    """Emits `changed()` whenever a state changes. The state of row r is `state(r)`."""

    changed = Signal()
    rejected_key = Signal(str)  # a Chinese explanation when a digit names a state not allowed here

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(HEADERS), parent)
        self.setObjectName("materialChecklist")
        self.setHorizontalHeaderLabels(HEADERS)
        self.verticalHeader().setVisible(False)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.setWordWrap(True)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Fixed)
        self.setColumnWidth(3, 200)
        self.matter: Matter | None = None
        self.specs: list[MaterialSpec] = []
        self._states: list[str] = []

    def set_matter(self, matter: Matter | None) -> None:
        self.matter = matter
        self.specs = list(matter.materials) if matter else []
        self._states = [DEFAULT_STATE] * len(self.specs)
        self.setRowCount(len(self.specs))
        for row, spec in enumerate(self.specs):
            name = QTableWidgetItem(("＊" if spec.required else "") + spec.name)
            tip = "必需材料" if spec.required else "可选材料"
            if spec.standard:
                tip += f"\n要求：{spec.standard}"
            name.setToolTip(tip)
            self.setItem(row, 0, name)
            self.setItem(row, 1, QTableWidgetItem(FORM_LABELS.get(spec.form, spec.form)))
            copies = QTableWidgetItem(str(spec.copies))
            copies.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            self.setItem(row, 2, copies)
            combo = QComboBox()
            combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard stays on the table
            for i, state in enumerate(STATE_ORDER):
                if state in allowed_states(matter, spec):
                    combo.addItem(f"{i + 1} {STATE_LABELS[state]}", state)
            combo.currentIndexChanged.connect(lambda _i, r=row: self._combo_changed(r))
            self.setCellWidget(row, 3, combo)
            self._show_state(row)
        self.resizeRowsToContents()
        if self.specs:
            self.setCurrentCell(0, 0)
        self.changed.emit()

    def state(self, row: int) -> str:
        return self._states[row]

    def set_state(self, row: int, state: str) -> bool:
        """Set a row's state; False (and nothing changes) if that state is not allowed for the row."""
        if self.matter is None or state not in allowed_states(self.matter, self.specs[row]):
            return False
        self._states[row] = state
        self._show_state(row)
        self.changed.emit()
        return True

    def _combo_changed(self, row: int) -> None:
        combo = self.cellWidget(row, 3)
        state = combo.currentData()
        if state and state != self._states[row]:
            self._states[row] = state
            self._show_state(row)
            self.changed.emit()

    def _show_state(self, row: int) -> None:
        state = self._states[row]
        combo = self.cellWidget(row, 3)
        combo.blockSignals(True)
        combo.setCurrentIndex(combo.findData(state))
        combo.blockSignals(False)
        combo.setProperty("state", state)
        combo.style().unpolish(combo)
        combo.style().polish(combo)
        brush = QBrush(QColor(STATE_COLOURS.get(state, "#ffffff")))
        for col in range(3):
            item = self.item(row, col)
            if item is not None:
                item.setBackground(brush)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        row = self.currentRow()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if row >= 0 and mods == Qt.KeyboardModifier.NoModifier:
            if event.key() == Qt.Key.Key_Space:
                self.set_state(row, "missing" if self._states[row] == "paper" else "paper")
                if self._states[row] == "paper" and row + 1 < self.rowCount():
                    self.setCurrentCell(row + 1, 0)
                return
            if Qt.Key.Key_1 <= event.key() <= Qt.Key.Key_6:
                state = STATE_ORDER[event.key() - Qt.Key.Key_1]
                if not self.set_state(row, state):
                    self.rejected_key.emit(f"材料“{self.specs[row].name}”不能选择“{STATE_LABELS[state]}”")
                return
        super().keyPressEvent(event)

    def materials_json(self) -> dict[str, str]:
        """{material code: state} for the intake; an optional material still 缺少 is simply left out."""
        return {
            spec.code: state
            for spec, state in zip(self.specs, self._states, strict=True)
            if spec.required or state != "missing"
        }

    def required_counts(self) -> tuple[int, int]:
        """(required materials provided, required materials in total)."""
        provided = sum(
            1
            for s, st in zip(self.specs, self._states, strict=True)
            if s.required and st not in ("missing", "defective")
        )
        return provided, sum(1 for s in self.specs if s.required)

    def row_of(self, code: str) -> int:
        for row, spec in enumerate(self.specs):
            if spec.code == code:
                return row
        return -1
