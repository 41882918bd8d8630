"""补打: type or scan a case number and choose the document; the services mark the copy as a reprint."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import YichuangError

REPRINT_KINDS = {"voucher": "收件凭证", "one_time_notice": "一次性告知单", "acceptance_notice": "受理通知书"}
PAPERS = {"a4": "A4 纸", "roll80": "80 毫米热敏纸"}


class ReprintDialog(QDialog):
    """After accept(), `document` is the PrintedDocument the services produced."""

    def __init__(self, services, clerk, parent: QWidget | None = None) -> None:
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
        self.error_label = QLabel("", self)
        self.error_label.setObjectName("errorLabel")
        self.error_label.setWordWrap(True)
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
        try:
            self.document = self.services.reprint(
                case_no=self.case_edit.text().strip(),
                kind=self.kind_combo.currentData(),
                paper=self.paper_combo.currentData(),
                clerk=self.clerk,
            )
        except YichuangError as e:
            self.error_label.setText(e.message)
            self.case_edit.selectAll()
            self.case_edit.setFocus()
            return
        self.accept()
