"""Qt table model over the outbox items that services.outbox() returns (newest first)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from desktop.core.labels import OUTBOX_KIND_LABELS, OUTBOX_STATE_LABELS  # noqa: F401  (re-exported)
from desktop.core.types import OutboxItem
from desktop.ui.qt import QAbstractTableModel, QBrush, QColor, QModelIndex, QPersistentModelIndex, Qt

HEADERS = ("时间", "类型", "办件编号", "状态", "尝试次数", "错误")
_STATE_COLOURS = {"pending": "#8a5a00", "rejected": "#b00020", "applied": "#1b5e20", "duplicate": "#1b5e20"}

Index = QModelIndex | QPersistentModelIndex


class OutboxTableModel(QAbstractTableModel):
    """Read-only rows of OutboxItem; `set_items` replaces them all (the panel reloads on data changed)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._items: list[OutboxItem] = []

    def set_items(self, items: Sequence[OutboxItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

    def item(self, row: int) -> OutboxItem:
        return self._items[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._items[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if col == 0:
                return item.created_at.strftime("%m-%d %H:%M:%S")
            if col == 1:
                return OUTBOX_KIND_LABELS.get(item.kind, item.kind)
            if col == 2:
                return item.ref
            if col == 3:
                return OUTBOX_STATE_LABELS.get(item.state, item.state)
            if col == 4:
                return str(item.attempts)
            if col == 5:
                return item.last_error
        if role == Qt.ItemDataRole.ForegroundRole and col == 3 and item.state in _STATE_COLOURS:
            return QBrush(QColor(_STATE_COLOURS[item.state]))
        if role == Qt.ItemDataRole.TextAlignmentRole and col == 4:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None
