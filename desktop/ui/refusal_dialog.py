"""不予受理: the clerk states why the application cannot be accepted here and where to apply instead."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.dialog_parts import WorkflowDialog, error_label

RIGHTS_NOTE = "《不予受理通知书》将写明申请人依法享有申请行政复议或者提起行政诉讼的权利。"


class RefusalDialog(WorkflowDialog):
    """After accept(), `refusal` is {"reason", "apply_instead"} for the intake (the window submits it)."""

    def __init__(self, parent: QWidget | None, matter_name: str) -> None:
        super().__init__(parent)
        self.refusal: dict[str, str] | None = None
        self.setWindowTitle("不予受理")
        head = QLabel(f"事项：{matter_name}" if matter_name else "", self)
        head.setObjectName("sectionTitle")
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setObjectName("refusalReasonEdit")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setPlaceholderText("例如：申请事项不属于本中心受理范围")
        self.reason_edit.setFixedHeight(90)
        self.apply_edit = QLineEdit(self)
        self.apply_edit.setObjectName("applyInsteadEdit")
        self.apply_edit.setPlaceholderText("例如：请向上海市公安局出入境管理局申请")
        rights = QLabel(RIGHTS_NOTE, self)
        rights.setObjectName("hintLabel")
        rights.setWordWrap(True)
        self.error_label = error_label(self)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("不予受理理由", self.reason_edit)
        form.addRow("应向何处申请", self.apply_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = buttons.addButton("不予受理并打印通知书", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addLayout(form)
        layout.addWidget(rights)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.reason_edit.setFocus()

    def submit(self) -> None:
        reason = self.reason_edit.toPlainText().strip()
        where = self.apply_edit.text().strip()
        if not reason:
            self.error_label.setText("请写明不予受理的理由")
            self.reason_edit.setFocus()
            return
        if not where:
            self.error_label.setText("请写明申请人应向何处申请")
            self.apply_edit.setFocus()
            return
        self.refusal = {"reason": reason, "apply_instead": where}
        self.accept()
