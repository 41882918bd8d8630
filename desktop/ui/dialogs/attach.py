"""附加扫描件: attach a scanned material (PDF or image) to a case; stored once by content and queued."""

from __future__ import annotations

from desktop.ui.dialogs.base import FormDialog, error_text
from desktop.ui.feedback import presenter
from desktop.ui.qt import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget, Signal


class AttachDialog(FormDialog):
    """After accept(), `attachment` is what the services stored. `loaded(ok)` after the case was read."""

    loaded = Signal(bool)

    def __init__(self, parent: QWidget | None, services, clerk, case_no: str = "") -> None:
        super().__init__(parent, services, clerk, title="附加扫描件", ok_text="附加", min_width=560)
        self.attachment = None
        self._submit_when_loaded = False  # 附加 pressed before the case was read: go on once it is
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
        self.form.addRow("办件编号", self.case_edit)
        self.form.addRow("", self.case_info)
        self.form.addRow("材料", self.material_combo)
        self.form.addRow("扫描件", file_row)
        self.lay_out()
        if case_no:
            self.load_case()

    def load_case(self) -> None:
        """Read the case on the reader thread; its materials fill the list (`loaded(ok)` follows)."""
        self.material_combo.clear()
        case_no = self.case_edit.text().strip()
        self.read(lambda svc: svc.case_record(case_no=case_no), self._show_case, self._no_case)

    def _show_case(self, record) -> None:
        self.fail("")
        self.case_info.setText(f"{record.matter.name}　申请人：{record.applicant.name}")
        for m in record.matter.materials:
            self.material_combo.addItem(m.name, m.code)
        self.material_combo.setFocus()
        self.loaded.emit(True)
        if self._submit_when_loaded:
            self._submit_when_loaded = False
            self.submit()

    def _no_case(self, error) -> None:
        self._submit_when_loaded = False
        self.fail(error_text(error))
        self.loaded.emit(False)

    def browse(self) -> None:
        path = presenter().open_file(self, "选择扫描件", "扫描件 (*.pdf *.png *.jpg *.jpeg *.tif *.tiff)")
        if path:
            self.file_edit.setText(path)

    def validate(self):
        if self.material_combo.count() == 0:
            self._submit_when_loaded = True
            self.load_case()
            return None
        if not self.file_edit.text().strip():
            self.fail("请选择扫描件文件")
            return None
        return dict(case_no=self.case_edit.text().strip(), material_code=self.material_combo.currentData(),
                    file=self.file_edit.text().strip(), clerk=self.clerk)

    def act(self, args) -> None:
        self.write(lambda svc: svc.attach_scan(**args), self._done)

    def _done(self, attachment) -> None:
        self.attachment = attachment
        self.accept()
