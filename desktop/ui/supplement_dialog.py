"""补正: scan the one-time notice's barcode (or type the case number) to reopen a case waiting for materials."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from desktop.core.errors import YichuangError
from desktop.core.types import OUTCOME_LABELS
from desktop.ui.dialog_parts import WorkflowDialog, case_no_edit, error_label


class SupplementLookupDialog(WorkflowDialog):
    """After accept(), `record` is the CaseRecord of a case in 一次性告知 (read through services.case_record)."""

    def __init__(self, parent: QWidget | None, services) -> None:
        super().__init__(parent)
        self.services = services
        self.record = None
        self.setWindowTitle("补正材料 — 调出办件")
        hint = QLabel("请扫描《一次性告知单》上的条码，或输入办件编号后按回车。", self)
        hint.setWordWrap(True)
        self.case_edit = case_no_edit(self, "supplementCaseEdit")
        self.error_label = error_label(self)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("办件编号", self.case_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        ok = buttons.addButton("调出办件", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)
        self.case_edit.setFocus()

    def submit(self) -> None:
        try:
            record = self.services.case_record(case_no=self.case_edit.text().strip())
        except YichuangError as e:
            self._fail(e.message)
            return
        if record.outcome != "notice":
            outcome = OUTCOME_LABELS.get(record.outcome, record.outcome)
            self._fail(f"办件 {record.case_no} 当前为“{outcome}”，不是待补正状态，无需补正")
            return
        self.record = record
        self.accept()

    def _fail(self, text: str) -> None:
        self.error_label.setText(text)
        self.case_edit.selectAll()
        self.case_edit.setFocus()
