"""Supervisor authorisation of a failed USCC check: the supervisor logs in here and gives a reason."""

from __future__ import annotations

from desktop.core import roles
from desktop.ui.dialogs.base import FormDialog
from desktop.ui.qt import QLabel, QLineEdit, QPlainTextEdit, QWidget, Signal


class OverrideDialog(FormDialog):
    """After accept(), `override` is {"by": login, "reason": reason} for the intake's "overrides".

    `clerk` is the clerk asking (may be None). The supervisor's login is checked on the writer thread
    (a login is recorded: a write); `checked()` fires when the answer is on screen."""

    checked = Signal()

    def __init__(self, parent: QWidget | None, services, clerk, problem: str) -> None:
        super().__init__(parent, services, clerk, title="值班长授权", ok_text="授权并受理")
        self.override: dict | None = None
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
        self.form.addRow("值班长工号", self.login_edit)
        self.form.addRow("密码", self.password_edit)
        self.form.addRow("授权理由", self.reason_edit)
        self.lay_out(above=(explain,))

    def validate(self):
        reason = self.reason_edit.toPlainText().strip()
        if not reason:
            self.fail("请写明授权理由", self.reason_edit)
            return None
        return dict(login=self.login_edit.text().strip(), password=self.password_edit.text(), reason=reason)

    def act(self, v) -> None:
        login, password, reason = v["login"], v["password"], v["reason"]
        self.write(lambda svc: svc.login(login=login, password=password),
                   lambda who: self._checked(who, reason), on_error=self._refused)

    def _refused(self, _error) -> None:
        self.password_edit.clear()
        self.checked.emit()

    def _checked(self, who, reason: str) -> None:
        """On the GUI thread, after the writer checked the login."""
        if not roles.can(who, "override_approve"):
            self.fail(f"{who.name} 不是值班长，无权授权")
            self.checked.emit()
            return
        self.override = {"by": who.login, "reason": reason}
        self.checked.emit()
        self.accept()
