"""The login dialog: 工号/用户名 and 密码; Enter submits; a wrong password shows the service's Chinese message."""

from __future__ import annotations

from collections.abc import Callable

from desktop.core.errors import YichuangError
from desktop.ui.dialogs.base import error_label, error_text
from desktop.ui.qt import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import DbOp


class LoginDialog(QDialog):
    """Asks for a login and password and checks them with services.login on the writer thread.

    `services` is a Services object or a zero-argument callable returning one (the app passes a
    callable so the window appears before the database layer is imported). After `accept()`,
    `clerk` is the logged-in Clerk and `services` the Services object. `checked()` fires when the
    answer to a login attempt is on screen.
    """

    shown = Signal()
    checked = Signal()

    def __init__(self, parent: QWidget | None, services: object | Callable[[], object]) -> None:
        super().__init__(parent)
        self.services = services if not callable(services) else None
        self._factory = services if callable(services) else None
        self.clerk = None
        self.setWindowTitle("一窗 · 综合窗口受理 — 登录")
        self.setObjectName("loginDialog")

        title = QLabel("一窗 · 综合窗口受理", self)
        title.setObjectName("loginTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.identity = QLabel("", self)
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
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.addRow("工号/用户名", self.login_edit)
        form.addRow("密码", self.password_edit)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.login_button = QPushButton("登录", self)
        self.login_button.setObjectName("loginButton")  # named before the box polishes it (style sheet)
        self.buttons.addButton(self.login_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.login_button.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(36, 28, 36, 24)
        layout.setSpacing(14)
        layout.addWidget(title)
        layout.addWidget(self.identity)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.login_edit.setFocus()

    # The services are created after the dialog is on screen (start-up time), or at the latest on submit.
    def open_services(self):
        """The Services object, opened now if the factory has not run yet (raises YichuangError)."""
        if self.services is None and self._factory is not None:
            self.services = self._factory()
            self._show_identity()
        return self.services

    def load_services_later(self) -> None:
        QTimer.singleShot(0, self._load_quietly)

    def _load_quietly(self) -> None:
        try:
            self.open_services()
        except YichuangError as e:
            self.error_label.setText(e.message)
            self.login_button.setEnabled(False)

    def _show_identity(self) -> None:
        try:
            w = self.services.window()
            self.identity.setText(f"{w.centre_name}　{w.window_no} 号窗口")
        except YichuangError:
            self.identity.setText("")

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.services is not None and not self.identity.text():
            self._show_identity()
        self.shown.emit()

    def submit(self) -> None:
        """Check the credentials; on success accept the dialog, otherwise show why and stay."""
        login = self.login_edit.text().strip()
        if not login:
            self.error_label.setText("请输入工号或用户名")
            self.login_edit.setFocus()
            return
        if not self.password_edit.text():
            # Enter in the login field moves on to the password rather than failing a login.
            if not self.login_edit.hasFocus():
                self.error_label.setText("请输入密码")
            self.password_edit.setFocus()
            return
        try:
            self.open_services()
        except YichuangError as e:
            self.error_label.setText(e.message)
            return
        password = self.password_edit.text()
        self._set_busy(True)
        DbOp(self, lambda svc: svc.login(login=login, password=password)).on_done(self._checked).run()

    def _set_busy(self, busy: bool) -> None:
        for w in (self.login_edit, self.password_edit, self.login_button):
            w.setEnabled(not busy)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)

    def _checked(self, clerk, error) -> None:
        """On the GUI thread, once the writer thread checked the password."""
        self._set_busy(False)
        if error is not None:
            self.error_label.setText(error_text(error))
            if isinstance(error, YichuangError):
                self.password_edit.clear()
                # a locked login (five wrong passwords in a row) says until when; another person may log in
                (self.login_edit if error.code == "E_LOCKED" else self.password_edit).setFocus()
            self.checked.emit()
            return
        self.clerk = clerk
        self.error_label.setText("")
        self.checked.emit()
        self.accept()
