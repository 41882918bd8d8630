"""Settings: the window's identity (read-only) and the central database address (password to the keyring)."""

from __future__ import annotations

from desktop.ui.dialogs.base import FormDialog, error_text, set_note
from desktop.ui.qt import QDialogButtonBox, QLabel, QLineEdit, QWidget, Signal

SECRET_PLACES = {
    "keyring": "系统密钥环（钥匙串）",
    "file": "本机数据目录中的 secrets/central.json（仅本账户可读）",
    "none": "地址中没有密码，未保存密码",
}


class SettingsDialog(FormDialog):
    """The central address is stored on the writer thread; `saved(where)` or `failed(message)` follows."""

    saved = Signal(str)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None, services, clerk=None) -> None:
        buttons = QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        super().__init__(parent, services, clerk, title="设置", ok_text=None, buttons=buttons, min_width=0)
        w = services.window()
        self.form.addRow("中心名称", QLabel(w.centre_name, self))
        self.form.addRow("中心代码", QLabel(w.centre_code, self))
        self.form.addRow("窗口号", QLabel(w.window_no, self))
        self.form.addRow("数据目录", QLabel(str(services.home), self))
        self.url_edit = QLineEdit(services.setting("central_url"), self)
        self.url_edit.setObjectName("centralUrlEdit")
        self.url_edit.setPlaceholderText("postgresql://窗口账号:密码@服务器:5432/数据库")
        self.url_edit.setMinimumWidth(460)
        self.form.addRow("中心数据库地址", self.url_edit)
        hint = QLabel(
            "保存时地址中的密码会从地址中移除，存入系统密钥环；没有密钥环时存入本机数据目录中"
            "仅本账户可读的文件。地址本身保存在本地设置中。",
            self,
        )
        hint.setWordWrap(True)
        hint.setObjectName("hintLabel")
        self.result_label = self.error_label
        self.buttons.accepted.disconnect(self.submit)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.ok_button.clicked.connect(self.save)
        self.lay_out(below=(hint,))

    def save(self) -> int:
        """Store the address through services.set_central on the writer thread. Then `saved(where the
        password went)` or `failed(message)` fires, and the result line says it. Returns the job id."""
        url = self.url_edit.text()
        return self.write(lambda svc: (svc.set_central(url=url), svc.setting("central_url")), self._saved,
                          changes=("settings",), on_error=lambda e: self.failed.emit(error_text(e)))

    def _saved(self, result) -> None:
        where, shown_url = result
        self.url_edit.setText(shown_url)
        set_note(self.result_label, f"已保存。密码保存位置：{SECRET_PLACES.get(where, where)}", ok=True)
        self.saved.emit(where)
