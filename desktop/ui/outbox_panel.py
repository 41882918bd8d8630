"""The upload-queue panel: a table of the outbox, reloaded when the main window says data changed."""

from __future__ import annotations

from desktop.core.errors import YichuangError
from desktop.ui.outbox_model import OutboxTableModel
from desktop.ui.qt import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget


class OutboxPanel(QWidget):
    """Shows services.outbox(); call `refresh()` (connected to the data-changed signal)."""

    def __init__(self, services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.model = OutboxTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("outboxTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        for col in range(5):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.summary = QLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.refresh()

    def refresh(self, _what: str = "") -> None:
        try:
            items = self.services.outbox(limit=200)
        except YichuangError as e:
            self.summary.setText(e.message)
            return
        self.model.set_items(items)
        pending = sum(1 for i in items if i.state == "pending")
        rejected = sum(1 for i in items if i.state == "rejected")
        text = f"最近 {len(items)} 条上传记录，待上传 {pending} 条"
        if rejected:
            text += f"，被拒收 {rejected} 条（请值班长处理）"
        self.summary.setText(text)
