"""值班长: 异常件 — upload operations the centre rejected (dead-letter list), with 重试 and 标记已处理."""

from __future__ import annotations

from desktop.core.errors import YichuangError
from desktop.ui.dialogs.base import error_label, error_text, set_note
from desktop.ui.outbox_model import OutboxTableModel
from desktop.ui.qt import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import DbOp


class RejectedOpsDialog(QDialog):
    """Lists services.outbox(states=("rejected",)); actions run on the writer. `changed()` after each one."""

    changed = Signal()

    def __init__(self, parent: QWidget | None, services, clerk) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.setWindowTitle("异常件（上传被拒）")
        intro = QLabel(
            "以下操作被中心拒收，不影响其他办件上传。核实原因后：可“重试”（重新排队上传），"
            "或写明处理说明后“标记已处理”。",
            self,
        )
        intro.setWordWrap(True)
        self.model = OutboxTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("rejectedTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.retry_button = QPushButton("重试（重新上传）", self)
        self.retry_button.clicked.connect(self.retry)
        self.note_edit = QLineEdit(self)
        self.note_edit.setObjectName("resolveNoteEdit")
        self.note_edit.setPlaceholderText("处理说明（标记已处理时必填），例如：已电话联系中心，线下补录")
        self.resolve_button = QPushButton("标记已处理", self)
        self.resolve_button.clicked.connect(self.resolve)
        self.message = error_label(self)
        actions = QHBoxLayout()
        actions.addWidget(self.retry_button)
        actions.addWidget(self.note_edit, 1)
        actions.addWidget(self.resolve_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(actions)
        layout.addWidget(self.message)
        self.resize(1000, 520)
        self.refresh()
        self.table.setFocus()

    def refresh(self) -> None:
        try:
            items = self.services.outbox(limit=1000, states=("rejected",))
        except YichuangError as e:
            set_note(self.message, e.message)
            return
        self.model.set_items(items)
        if items:
            self.table.selectRow(0)
        elif not self.message.text():
            set_note(self.message, "没有被拒收的操作", ok=True)

    def selected_ids(self) -> list[str]:
        """The chosen rows' op ids: the selection, or else the row under the cursor."""
        rows = {i.row() for i in self.table.selectionModel().selectedIndexes()}
        current = self.table.currentIndex()
        if not rows and current.isValid():
            rows = {current.row()}
        return [self.model.item(r).op_id for r in sorted(rows) if r < self.model.rowCount()]

    def _run(self, fn, done_text: str, **kwargs) -> None:
        ids = self.selected_ids()
        if not ids:
            set_note(self.message, "请先选择要处理的操作")
            return
        self.setEnabled(False)

        def finished(_result, error) -> None:
            self.setEnabled(True)
            if error is not None:
                set_note(self.message, error_text(error))
                return
            self.note_edit.clear()
            set_note(self.message, done_text.format(n=len(ids)), ok=True)
            self.refresh()
            self.changed.emit()

        args = dict(op_ids=ids, actor=self.clerk, **kwargs)
        DbOp(self, lambda svc: fn(svc)(**args)).on_done(finished).run()

    def retry(self) -> None:
        self._run(lambda svc: svc.retry_rejected, "已将 {n} 条重新排队，下次同步时上传")

    def resolve(self) -> None:
        note = self.note_edit.text().strip()
        if not note:
            set_note(self.message, "请写明处理说明")
            self.note_edit.setFocus()
            return
        self._run(lambda svc: svc.resolve_rejected, "已将 {n} 条标记为已处理", note=note)
