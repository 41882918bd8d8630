"""Supervisor authorisation of a failed USCC check: the supervisor logs in here and gives a reason."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.core import roles
from desktop.ui.dialog_parts import error_label, error_text
from desktop.ui.tasks import DbOp


class OverrideDialog(QDialog):
    """After accept(), `override` is {"by": login, "reason": reason} for the intake's "overrides".

    The login is checked on the writer thread; `checked()` fires when the answer is on screen."""

    checked = Signal()

    def __init__(self, parent: QWidget | None, services, problem: str) -> None:
        super().__init__(parent)
        self.services = services
        self.override: dict | None = None
        self.setWindowTitle("值班长授权")
        explain = QLabel(problem, self)
        explain.setWordWrap(True)
        explain.setObjectName("overrideProblem")
        self.login_edit = QLineEdit(self)
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setPlaceholderText("例如：已核对营业执照原件，代码与执照一致")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setFixedHeight(80)
        self.error_label = error_label(self)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("值班长工号", self.login_edit)
        form.addRow("密码", self.password_edit)
        form.addRow("授权理由", self.reason_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        ok = buttons.addButton("授权并受理", QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setDefault(True)
        buttons.accepted.connect(self.submit)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def submit(self) -> None:
        login = self.login_edit.text().strip()
        reason = self.reason_edit.toPlainText().strip()
        if not reason:
            self.error_label.setText("请写明授权理由")
            self.reason_edit.setFocus()
            return
        password = self.password_edit.text()
        self.setEnabled(False)
        DbOp(self, lambda svc: svc.login(login=login, password=password)).on_done(
            lambda who, error: self._checked(who, error, reason)
        ).run()

    def _checked(self, who, error, reason: str) -> None:
        """On the GUI thread, after the writer checked the login (a login is recorded: a write)."""
        self.setEnabled(True)
        if error is not None:
            self.error_label.setText(error_text(error))
            self.password_edit.clear()
            self.checked.emit()
            return
        if not roles.can(who, "override_approve"):
            self.error_label.setText(f"{who.name} 不是值班长，无权授权")
            self.checked.emit()
            return
        self.override = {"by": who.login, "reason": reason}
        self.checked.emit()
        self.accept()
