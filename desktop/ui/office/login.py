"""The department PC's sign-in: 工号 and 密码, checked by OfficeServices.sign_in (the centre's hashes) on
the writer thread; a wrong password or a locked login shows the service's Chinese message."""

from __future__ import annotations

from desktop.core.errors import YichuangError
from desktop.ui.dialogs.base import error_label
from desktop.ui.feedback import message_of
from desktop.ui.qt import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import DbOp


class OfficeLoginDialog(QDialog):
    """After `accept()`, `staff` is the signed-in OfficeStaff. `checked()` fires once an answer is shown."""

    checked = Signal()

    def __init__(self, parent: QWidget | None, services) -> None:
        super().__init__(parent)
        self.services = services
        self.staff = None
        self.setWindowTitle("一窗 · 后台审查 — 登录")
        self.setObjectName("officeLoginDialog")
        title = QLabel("一窗 · 后台审查", self)
        title.setObjectName("loginTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        info = services.stored_info()
        self.identity = QLabel(f"{info.centre_name}　{info.department}".strip(), self)
        self.identity.setObjectName("loginIdentity")
        self.identity.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.login_edit = QLineEdit(self)
        self.login_edit.setObjectName("loginEdit")
        self.login_edit.setPlaceholderText("工号或用户名")
        self.password_edit = QLineEdit(self)
        self.password_edit.setObjectName("passwordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("密码")
        self.error_label = error_label(self)
        form = QFormLayout()
        form.addRow("工号/用户名", self.login_edit)
        form.addRow("密码", self.password_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.login_button = QPushButton("登录", self)
        self.login_button.setObjectName("loginButton")
        self.buttons.addButton(self.login_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.login_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(36, 28, 36, 24)
        layout.setSpacing(14)
        for w in (title, self.identity):
            layout.addWidget(w)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.login_edit.setFocus()

    def submit(self) -> None:
        login = self.login_edit.text().strip()
        password = self.password_edit.text()
        if not login:
            self.error_label.setText("请输入工号或用户名")
            return
        if not password:
            self.error_label.setText("请输入密码")
            self.password_edit.setFocus()
            return
        self._busy(True)
        DbOp(self, lambda svc: svc.sign_in(login=login, password=password)).on_done(self._checked).run()

    def _busy(self, busy: bool) -> None:
        for w in (self.login_edit, self.password_edit, self.login_button):
            w.setEnabled(not busy)

    def _checked(self, staff, error) -> None:
        self._busy(False)
        if error is not None:
            self.error_label.setText(message_of(error))
            if isinstance(error, YichuangError):
                self.password_edit.clear()
                self.password_edit.setFocus()
            self.checked.emit()
            return
        self.staff = staff
        self.error_label.setText("")
        self.checked.emit()
        self.accept()
