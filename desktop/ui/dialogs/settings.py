"""Settings: the window's identity (read-only), the central database address (password to the keyring) and
the centre's CA certificate the window pins."""

from __future__ import annotations

from desktop.ui.dialogs.base import FormDialog, error_text, set_note
from desktop.ui.feedback import presenter
from desktop.ui.qt import QDialogButtonBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget, Signal

SECRET_PLACES = {
    "keyring": "系统密钥环（钥匙串）",
    "file": "本机数据目录中的 secrets/central.json（仅本账户可读）",
    "none": "地址中没有密码，未保存密码",
}


class SettingsDialog(FormDialog):
    """The central address and CA are tried (a handshake with the centre) and only then stored, on the
    writer thread; `saved(where)` or `failed(message)` follows. A failure keeps the working link."""

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
        self.url_edit.setPlaceholderText("postgresql://窗口账号:密码@服务器:5432/数据库?sslmode=verify-full")
        self.url_edit.setMinimumWidth(460)
        self.form.addRow("中心数据库地址", self.url_edit)
        self.ca_edit = QLineEdit(self)
        self.ca_edit.setObjectName("centralCaEdit")
        self.ca_edit.setPlaceholderText("中心发放的 CA 证书文件（PEM）；已保存时可留空")
        browse = QPushButton("选择文件…", self)
        browse.setObjectName("centralCaBrowse")
        browse.clicked.connect(self.browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(browse)
        self.form.addRow("中心 CA 证书", ca_row)
        self.ca_state = QLabel(self._ca_state_text(), self)
        self.ca_state.setObjectName("centralCaState")
        self.form.addRow("", self.ca_state)
        hint = QLabel(
            "保存前先用该地址和 CA 证书连接中心（TLS 加密，并核对中心证书）；连接成功才保存，"
            "失败时原有设置不变。地址中的密码存入系统密钥环，没有密钥环时存入本机数据目录中"
            "仅本账户可读的文件；CA 证书复制到数据目录中。",
            self,
        )
        hint.setWordWrap(True)
        hint.setObjectName("hintLabel")
        self.result_label = self.error_label
        self.buttons.accepted.disconnect(self.submit)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.ok_button.clicked.connect(self.save)
        self.lay_out(below=(hint,))

    def _ca_state_text(self) -> str:
        kept = self.services.central_ca_file()
        return f"已保存：{kept}" if kept else "尚未保存 CA 证书：连接中心前必须选择"

    def browse_ca(self) -> None:
        path = presenter().open_file(self, "选择中心的 CA 证书", "证书文件 (*.pem *.crt);;所有文件 (*)")
        if path:
            self.ca_edit.setText(path)

    def save(self) -> int:
        """Try the address and CA with a handshake through services.set_central on the writer thread;
        stored only if it succeeds. Then `saved(where the password went)` or `failed(message)` fires, and
        the result line says it. Returns the job id."""
        url = self.url_edit.text()
        ca = self.ca_edit.text().strip() or None
        set_note(self.result_label, "正在连接中心数据库…")
        return self.write(lambda svc: (svc.set_central(url=url, ca_cert=ca), svc.setting("central_url")),
                          self._saved, changes=("settings",), on_error=self._failed)

    def _failed(self, error: BaseException) -> None:
        self.failed.emit(error_text(error))

    def _saved(self, result) -> None:
        where, shown_url = result
        self.url_edit.setText(shown_url)
        self.ca_edit.clear()
        self.ca_state.setText(self._ca_state_text())
        set_note(self.result_label, f"已连接并保存。密码保存位置：{SECRET_PLACES.get(where, where)}", ok=True)
        self.saved.emit(where)
