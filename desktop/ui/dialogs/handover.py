"""结果送达: the result goes home: collected at the window, sent by express (the tracking number recorded when
it is handed to the courier) or issued as an e-licence; who received it is recorded, then the visit may be rated."""

from __future__ import annotations

from desktop.core.labels import DELIVERY_LABELS
from desktop.ui.dialogs.base import FormDialog, case_no_edit, error_text
from desktop.ui.qt import QComboBox, QLabel, QLineEdit, QWidget, Signal

HOW = DELIVERY_LABELS


class HandoverDialog(FormDialog):
    """Emits `handed_over(case_no)` after services.hand_over_result succeeded, then closes.

    Leaving the case-number field reads the case on the reader thread; `looked_up(ok)` says when it is shown."""

    handed_over = Signal(str)
    looked_up = Signal(bool)
    busy_text = "正在登记送达…"

    def __init__(self, parent: QWidget | None, services, clerk, case_no: str = "") -> None:
        super().__init__(parent, services, clerk, title="结果送达", ok_text="确认送达", min_width=560)
        self.case_no = ""
        self.case_edit = case_no_edit(self, "handoverCaseEdit")
        self.case_edit.setText(case_no)
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
        self.tracking_edit = QLineEdit(self)
        self.tracking_edit.setObjectName("handoverTrackingEdit")
        self.tracking_edit.setMaxLength(64)
        self.how_combo.currentIndexChanged.connect(lambda _i: self._how_changed())
        self.form.addRow("办件编号", self.case_edit)
        self.form.addRow("", self.case_info)
        self.form.addRow("领取人姓名", self.name_edit)
        self.form.addRow("领取人证件", self.id_edit)
        self.form.addRow("送达方式", self.how_combo)
        self.form.addRow("快递单号", self.tracking_edit)
        self.lay_out()
        self._how_changed()
        self.case_edit.editingFinished.connect(self.look_up)
        if case_no:
            self.look_up()
            self.name_edit.setFocus()
        else:
            self.case_edit.setFocus()

    def _how_changed(self) -> None:
        """A tracking number only for express (required then: recorded when handed to the courier)."""
        express = self.how_combo.currentData() == "express"
        self.tracking_edit.setEnabled(express)
        self.tracking_edit.setPlaceholderText("交寄快递时扫描或输入快递单号（必填）" if express else "仅快递送达时填写")
        if not express:
            self.tracking_edit.clear()

    def look_up(self) -> None:
        """Show the case's matter and applicant so the clerk can compare with the person at the counter."""
        text = self.case_edit.text().strip()
        if not text:
            self.case_info.setText("")
            return
        self.read(lambda svc: svc.case_record(case_no=text), self._show_case, self._no_case)

    def _show_case(self, record) -> None:
        self.case_info.setText(f"{record.matter.name}　申请人：{record.applicant.name}")
        if not self.name_edit.text():
            self.name_edit.setText(record.applicant.name if record.applicant.kind == "person" else "")
        self.looked_up.emit(True)

    def _no_case(self, error) -> None:
        self.case_info.setText(error_text(error))
        self.looked_up.emit(False)

    def validate(self):
        return dict(case_no=self.case_edit.text().strip(), clerk=self.clerk, receiver_name=self.name_edit.text(),
                    receiver_id_no=self.id_edit.text().strip(), how=self.how_combo.currentData(),
                    tracking_no=self.tracking_edit.text().strip())

    def act(self, args) -> None:
        self.write(lambda svc: svc.hand_over_result(**args), self._done, on_error=self._focus_field)

    def _focus_field(self, error) -> None:
        field = getattr(error, "field", "")
        {"receiver_name": self.name_edit, "tracking_no": self.tracking_edit}.get(field, self.case_edit).setFocus()

    def _done(self, case_no) -> None:
        self.case_no = case_no
        self.handed_over.emit(case_no)
        self.accept()
