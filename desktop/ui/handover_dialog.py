"""结果送达: the applicant (or agent) collects the result; who received it is recorded, then the visit may be rated."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import YichuangError
from desktop.core.labels import DELIVERY_LABELS
from desktop.ui.dialog_parts import WorkflowDialog, case_no_edit, error_label, error_text
from desktop.ui.tasks import DbOp

HOW = DELIVERY_LABELS


class HandoverDialog(WorkflowDialog):
    """Emits `handed_over(case_no)` after services.hand_over_result succeeded, then closes."""

    handed_over = Signal(str)

    def __init__(self, parent: QWidget | None, services, clerk) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.case_no = ""
        self.setWindowTitle("结果送达")
        self.case_edit = case_no_edit(self, "handoverCaseEdit")
        self.case_info = QLabel("", self)
        self.case_info.setObjectName("hintLabel")
        self.case_info.setWordWrap(True)
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("receiverNameEdit")
        self.id_edit = QLineEdit(self)
        self.id_edit.setObjectName("receiverIdEdit")
        self.id_edit.setPlaceholderText("核验证件后填写证件号码（只保存后 4 位）")
        self.id_edit.setMaxLength(40)
        self.how_combo = QComboBox(self)
        self.how_combo.setObjectName("handoverHowCombo")
        for key, label in HOW.items():
            self.how_combo.addItem(label, key)
        self.error_label = error_label(self)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("办件编号", self.case_edit)
        form.addRow("", self.case_info)
        form.addRow("领取人姓名", self.name_edit)
        form.addRow("领取人证件", self.id_edit)
        form.addRow("送达方式", self.how_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = buttons.addButton("确认送达", QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        self.case_edit.editingFinished.connect(self.look_up)
        self.case_edit.setFocus()

    def look_up(self) -> bool:
        """Show the case's matter and applicant so the clerk can compare with the person at the counter."""
        text = self.case_edit.text().strip()
        if not text:
            self.case_info.setText("")
            return False
        try:
            record = self.services.case_record(case_no=text)
        except YichuangError as e:
            self.case_info.setText(e.message)
            return False
        self.case_info.setText(f"{record.matter.name}　申请人：{record.applicant.name}")
        if not self.name_edit.text():
            self.name_edit.setText(record.applicant.name if record.applicant.kind == "person" else "")
        return True

    def submit(self) -> None:
        self.set_busy(True, self.ok_button, "正在登记送达…")
        args = dict(case_no=self.case_edit.text().strip(), clerk=self.clerk, receiver_name=self.name_edit.text(), receiver_id_no=self.id_edit.text().strip(), how=self.how_combo.currentData())
        DbOp(self, lambda svc: svc.hand_over_result(**args)).on_done(self._done).run()

    def _done(self, case_no, error) -> None:
        self.set_busy(False, self.ok_button)
        if error is not None:
            self.error_label.setText(error_text(error))
            field = getattr(error, "field", "")
            (self.name_edit if field == "receiver_name" else self.case_edit).setFocus()
            return
        self.case_no = case_no
        self.handed_over.emit(case_no)
        self.accept()
