"""Settings: the window's identity (read-only) and the central database address (password to the keyring)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.dialog_parts import error_label, error_text
from desktop.ui.tasks import DbOp

SECRET_PLACES = {
    "keyring": "系统密钥环（钥匙串）",
    "file": "本机数据目录中的 secrets/central.json（仅本账户可读）",
    "none": "地址中没有密码，未保存密码",
}


class SettingsDialog(QDialog):
    """The central address is stored on the writer thread; `saved(where)` or `failed(message)` follows."""

    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None, services) -> None:
        super().__init__(parent)
        self.services = services
        self.setWindowTitle("设置")
        w = services.window()
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("中心名称", QLabel(w.centre_name, self))
        form.addRow("中心代码", QLabel(w.centre_code, self))
        form.addRow("窗口号", QLabel(w.window_no, self))
        form.addRow("数据目录", QLabel(str(services.home), self))
        self.url_edit = QLineEdit(services.setting("central_url"), self)
        self.url_edit.setObjectName("centralUrlEdit")
        self.url_edit.setPlaceholderText("postgresql://窗口账号:密码@服务器:5432/数据库")
        self.url_edit.setMinimumWidth(460)
        form.addRow("中心数据库地址", self.url_edit)
        hint = QLabel(
            "保存时地址中的密码会从地址中移除，存入系统密钥环；没有密钥环时存入本机数据目录中"
            "仅本账户可读的文件。地址本身保存在本地设置中。",
            self,
        )
        hint.setWordWrap(True)
        hint.setObjectName("hintLabel")
        self.result_label = error_label(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).clicked.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.result_label)
        layout.addWidget(buttons)

    def save(self) -> int:
        """Store the address through services.set_central on the writer thread. Then `saved(where the
        password went)` or `failed(message)` fires, and the result line says it. Returns the job id."""
        url = self.url_edit.text()
        self.setEnabled(False)
        op = DbOp(self, lambda svc: (svc.set_central(url=url), svc.setting("central_url")))
        return op.changes("settings").on_done(self._saved).run()

    def _saved(self, result, error) -> None:
        self.setEnabled(True)
        if error is not None:
            self._show(error_text(error), ok=False)
            self.failed.emit(error_text(error))
            return
        where, shown_url = result
        self.url_edit.setText(shown_url)
        self._show(f"已保存。密码保存位置：{SECRET_PLACES.get(where, where)}", ok=True)
        self.saved.emit(where)

    def _show(self, text: str, ok: bool) -> None:
        self.result_label.setObjectName("okLabel" if ok else "errorLabel")
        self.result_label.setText(text)
        self.result_label.style().unpolish(self.result_label)
        self.result_label.style().polish(self.result_label)
