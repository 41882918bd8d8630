"""补正: scan the one-time notice's barcode (or type the case number) to reopen a case waiting for materials."""

from __future__ import annotations

from desktop.core.labels import OUTCOME_LABELS
from desktop.ui.dialogs.base import FormDialog, case_no_edit, error_text
from desktop.ui.qt import QLabel, QWidget, Signal


class SupplementLookupDialog(FormDialog):
    """After accept(), `record` is the CaseRecord of a case in 一次性告知 (read on the reader thread).

    `looked_up(ok)` fires once the answer is on screen."""

    looked_up = Signal(bool)

    def __init__(self, parent: QWidget | None, services, clerk=None) -> None:
        super().__init__(parent, services, clerk, title="补正材料 — 调出办件", ok_text="调出办件")
        self.record = None
        hint = QLabel("请扫描《一次性告知单》上的条码，或输入办件编号后按回车。", self)
        hint.setWordWrap(True)
        self.case_edit = case_no_edit(self, "supplementCaseEdit")
        self.form.addRow("办件编号", self.case_edit)
        self.lay_out(above=(hint,))
        self.case_edit.setFocus()

    def validate(self):
        return self.case_edit.text().strip()

    def act(self, case_no: str) -> None:
        self.read(lambda svc: svc.case_record(case_no=case_no), self._found,
                  lambda e: self._fail(error_text(e)))

    def _found(self, record) -> None:
        if record.outcome != "notice":
            outcome = OUTCOME_LABELS.get(record.outcome, record.outcome)
            self._fail(f"办件 {record.case_no} 当前为“{outcome}”，不是待补正状态，无需补正")
            return
        self.record = record
        self.looked_up.emit(True)
        self.accept()

    def _fail(self, text: str) -> None:
        self.fail(text, self.case_edit)
        self.case_edit.selectAll()
        self.looked_up.emit(False)
