"""Centre column: the material checklist, one row per material; Space ticks 纸质收取/缺少, digits 1-6 pick a state.

A row in 电子证照 / 容缺受理 / 不符合要求 carries details (licence reference, promised supply date, reason)
that the MaterialDetailEditor below the table edits; they go into the intake as {"state": ..., ...}.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from desktop.core.types import FORM_LABELS, STATE_LABELS, CaseMaterial, MaterialSpec, Matter
from desktop.ui.qt import (
    QAbstractItemView,
    QBrush,
    QColor,
    QComboBox,
    QHeaderView,
    QKeyEvent,
    Qt,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
    Signal,
)

STATE_ORDER = ("paper", "e_licence", "commitment", "gap", "missing", "defective")  # digit keys 1..6
DEFAULT_STATE = "missing"
DETAIL_STATES = ("e_licence", "gap", "defective")  # states that ask the clerk for one more thing
GAP_DEFAULT_DAYS = 5
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
    """The states a clerk may choose for a material (e-licence, commitment and 容缺 only where permitted)."""
    return tuple(
        s
        for s in STATE_ORDER
        if (s != "e_licence" or spec.e_licence) and (s != "commitment" or matter.commitment_allowed)
        and (s != "gap" or (spec.gap_allowed and not matter.on_the_spot))
    )


class MaterialChecklist(QTableWidget):
    """Emits `changed()` whenever a state changes. The state of row r is `state(r)`."""

    changed = Signal()
    rejected_key = Signal(str)  # a Chinese explanation when a digit names a state not allowed here
    detail_wanted = Signal(int)  # the clerk chose a state with details for this row: open its editor

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
        self._details: list[dict[str, Any]] = []
        # the promised supply date offered for 容缺 (the main window supplies working days)
        self.gap_default: Callable[[], date] = lambda: date.today() + timedelta(days=GAP_DEFAULT_DAYS)

    def set_matter(self, matter: Matter | None, materials: tuple[CaseMaterial, ...] | None = None) -> None:
        """Show a matter's materials, all 缺少; or, for a case that reopens, the states it was stored with."""
        self.matter = matter
        self.specs = list(matter.materials) if matter else []
        self._states = [DEFAULT_STATE] * len(self.specs)
        self._details = [{} for _ in self.specs]
        stored = {m.code: m for m in materials or ()}
        for row, spec in enumerate(self.specs):
            m = stored.get(spec.code)
            if m is not None:
                self._states[row] = m.state
                if m.e_licence_ref:
                    self._details[row]["e_licence_ref"] = m.e_licence_ref
                if m.reason:
                    self._details[row]["reason"] = m.reason
                if m.gap_due:
                    self._details[row]["gap_due"] = m.gap_due
        self.setRowCount(len(self.specs))
        for row, spec in enumerate(self.specs):
            name = QTableWidgetItem("")
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
            self._show_name(row)
        self.resizeRowsToContents()
        if self.specs:
            self.setCurrentCell(0, 0)
        self.changed.emit()

    def state(self, row: int) -> str:
        return self._states[row]

    def details(self, row: int) -> dict[str, Any]:
        return dict(self._details[row])

    def set_state(self, row: int, state: str) -> bool:
        """Set a row's state; False (and nothing changes) if that state is not allowed for the row."""
        if self.matter is None or state not in allowed_states(self.matter, self.specs[row]):
            return False
        self._states[row] = state
        if state == "gap" and not self._details[row].get("gap_due"):
            self._details[row]["gap_due"] = self.gap_default()
        self._show_state(row)
        self.changed.emit()
        return True

    def set_detail(self, row: int, key: str, value: Any) -> None:
        """Record a licence reference, promised date or reason for a row (empty text removes it)."""
        if value in ("", None):
            self._details[row].pop(key, None)
        else:
            self._details[row][key] = value
        self._show_name(row)
        self.changed.emit()

    def detail_text(self, row: int) -> str:
        """The one-line summary of a row's details shown under its name."""
        state, d = self._states[row], self._details[row]
        if state == "defective":
            return f"原因：{d['reason']}" if d.get("reason") else "原因：（请填写）"
        if state == "gap":
            due = d.get("gap_due")
            return f"承诺 {due:%Y-%m-%d} 前补交" if due else "承诺补交日期：（请填写）"
        if state == "e_licence" and d.get("e_licence_ref"):
            return f"证照编号：{d['e_licence_ref']}"
        return ""

    def _show_name(self, row: int) -> None:
        spec = self.specs[row]
        item = self.item(row, 0)
        if item is None:
            return
        text = ("＊" if spec.required else "") + spec.name
        extra = self.detail_text(row)
        item.setText(f"{text}\n　{extra}" if extra else text)
        self.resizeRowToContents(row)

    def _combo_changed(self, row: int) -> None:
        combo = self.cellWidget(row, 3)
        state = combo.currentData()
        if state and state != self._states[row]:
            self.set_state(row, state)
            if state in DETAIL_STATES:
                self.setCurrentCell(row, 0)
                self.detail_wanted.emit(row)

    def _show_state(self, row: int) -> None:
        state = self._states[row]
        combo = self.cellWidget(row, 3)
        combo.blockSignals(True)
        combo.setCurrentIndex(combo.findData(state))
        combo.blockSignals(False)
        combo.setProperty("state", state)
        combo.style().unpolish(combo)
        combo.style().polish(combo)
        self._show_name(row)
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
                elif state in DETAIL_STATES:
                    self.detail_wanted.emit(row)
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._states[row] in DETAIL_STATES:
                self.detail_wanted.emit(row)
                return
        super().keyPressEvent(event)

    def material_entry(self, row: int) -> str | dict[str, Any]:
        """One material as the intake wants it: the bare state, or {"state": ..., details}."""
        state, d = self._states[row], self._details[row]
        if state == "defective":
            return {"state": state, "reason": d.get("reason", "")}
        if state == "gap":
            due = d.get("gap_due")
            return {"state": state, "gap_due": due.isoformat() if due else ""}
        if state == "e_licence" and d.get("e_licence_ref"):
            return {"state": state, "e_licence_ref": d["e_licence_ref"]}
        return state

    def materials_json(self) -> dict[str, str | dict[str, Any]]:
        """{material code: state or details} for the intake; an optional material still 缺少 is left out."""
        return {
            spec.code: self.material_entry(row)
            for row, (spec, state) in enumerate(zip(self.specs, self._states, strict=True))
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
