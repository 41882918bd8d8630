"""补打: type or scan a case number and choose the document; the services mark the copy as a reprint.

A clerk may reprint only the cases he took himself; a supervisor may reprint any case of the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core import roles
from desktop.core.errors import YichuangError
from desktop.core.labels import DOCUMENT_LABELS, PAPER_LABELS
from desktop.ui.dialog_parts import error_label, error_text
from desktop.ui.tasks import DbOp

REPRINT_KINDS = {k: DOCUMENT_LABELS[k] for k in
                 ("voucher", "one_time_notice", "acceptance_notice", "refusal_notice", "gap_promise")}
PAPERS = PAPER_LABELS


class ReprintDialog(QDialog):
    """After accept(), `document` is the PrintedDocument the services produced."""

    def __init__(self, parent: QWidget | None, services, clerk) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.document = None
        self.setWindowTitle("补打文书")
        self.case_edit = QLineEdit(self)
        self.case_edit.setObjectName("reprintCaseEdit")
        self.case_edit.setPlaceholderText("输入或扫描办件编号")
        self.kind_combo = QComboBox(self)
        for key, label in REPRINT_KINDS.items():
            self.kind_combo.addItem(label, key)
        self.paper_combo = QComboBox(self)
        for key, label in PAPERS.items():
            self.paper_combo.addItem(label, key)
        self.error_label = error_label(self)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("办件编号", self.case_edit)
        form.addRow("文书", self.kind_combo)
        form.addRow("纸张", self.paper_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        ok = buttons.addButton("补打", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)

    def submit(self) -> None:
        case_no = self.case_edit.text().strip()
        try:
            record = self.services.case_record(case_no=case_no)
        except YichuangError as e:
            self._fail(e.message)
            return
        if not roles.can(self.clerk, "reprint_any") and record.clerk.login != self.clerk.login:
            self._fail(
                f"办件 {record.case_no} 由 {record.clerk.name} 受理：只能补打本人受理的办件，其他请找值班长"
            )
            return
        self.setEnabled(False)
        args = dict(case_no=record.case_no, kind=self.kind_combo.currentData(), paper=self.paper_combo.currentData(), clerk=self.clerk)
        DbOp(self, lambda svc: svc.reprint(**args)).on_done(self._done).run()

    def _done(self, document, error) -> None:
        self.setEnabled(True)
        if error is not None:
            self._fail(error_text(error))
            return
        self.document = document
        self.accept()

    def _fail(self, text: str) -> None:
        self.error_label.setText(text)
        self.case_edit.selectAll()
        self.case_edit.setFocus()
