"""附加扫描件: attach a scanned material (PDF or image) to a case; stored once by content and queued."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import YichuangError
from desktop.ui.dialog_parts import error_label, error_text
from desktop.ui.tasks import DbOp


class AttachDialog(QDialog):
    """After accept(), `attachment` is what the services stored."""

    def __init__(self, parent: QWidget | None, services, clerk, case_no: str = "") -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.attachment = None
        self.setWindowTitle("附加扫描件")
        self.case_edit = QLineEdit(case_no, self)
        self.case_edit.setPlaceholderText("输入或扫描办件编号，回车")
        self.case_edit.returnPressed.connect(self.load_case)
        self.case_info = QLabel("", self)
        self.material_combo = QComboBox(self)
        self.file_edit = QLineEdit(self)
        self.file_edit.setPlaceholderText("扫描仪保存的 PDF 或图片文件")
        browse = QPushButton("选择文件…", self)
        browse.clicked.connect(self.browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(browse)
        self.error_label = error_label(self)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("办件编号", self.case_edit)
        form.addRow("", self.case_info)
        form.addRow("材料", self.material_combo)
        form.addRow("扫描件", file_row)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = buttons.addButton("附加", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)
        if case_no:
            self.load_case()

    def load_case(self) -> bool:
        self.material_combo.clear()
        try:
            record = self.services.case_record(case_no=self.case_edit.text().strip())
        except YichuangError as e:
            self.error_label.setText(e.message)
            return False
        self.error_label.setText("")
        self.case_info.setText(f"{record.matter.name}　申请人：{record.applicant.name}")
        for m in record.matter.materials:
            self.material_combo.addItem(m.name, m.code)
        self.material_combo.setFocus()
        return True

    def browse(self) -> None:
        if os.environ.get("YICHUANG_NO_DIALOGS"):
            return
        path, _ = QFileDialog.getOpenFileName(self, "选择扫描件", "", "扫描件 (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)")
        if path:
            self.file_edit.setText(path)

    def submit(self) -> None:
        if self.material_combo.count() == 0 and not self.load_case():
            return
        if not self.file_edit.text().strip():
            self.error_label.setText("请选择扫描件文件")
            return
        self.setEnabled(False)
        args = dict(case_no=self.case_edit.text().strip(), material_code=self.material_combo.currentData(), file=self.file_edit.text().strip(), clerk=self.clerk)
        DbOp(self, lambda svc: svc.attach_scan(**args)).on_done(self._done).run()

    def _done(self, attachment, error) -> None:
        self.setEnabled(True)
        if error is not None:
            self.error_label.setText(error_text(error))
            return
        self.attachment = attachment
        self.accept()
