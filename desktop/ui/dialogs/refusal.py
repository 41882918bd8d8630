"""不予受理: the clerk states why the application cannot be accepted here and where to apply instead."""

from __future__ import annotations

from desktop.ui.dialogs.base import FormDialog
from desktop.ui.qt import QLabel, QLineEdit, QPlainTextEdit, QWidget

RIGHTS_NOTE = "《不予受理通知书》将写明申请人依法享有申请行政复议或者提起行政诉讼的权利。"


class RefusalDialog(FormDialog):
    """After accept(), `refusal` is {"reason", "apply_instead"} for the intake (the window submits it)."""

    def __init__(self, parent: QWidget | None, services, clerk, matter_name: str) -> None:
        super().__init__(parent, services, clerk, title="不予受理", ok_text="不予受理并打印通知书", min_width=560)
        self.refusal: dict[str, str] | None = None
        head = QLabel(f"事项：{matter_name}" if matter_name else "", self)
        head.setObjectName("sectionTitle")
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setObjectName("refusalReasonEdit")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setPlaceholderText("例如：申请事项不属于本中心受理范围")
        self.reason_edit.setFixedHeight(90)
        self.apply_edit = QLineEdit(self)
        self.apply_edit.setObjectName("applyInsteadEdit")
        self.apply_edit.setPlaceholderText("例如：请向上海市公安局出入境管理局申请")
        rights = QLabel(RIGHTS_NOTE, self)
        rights.setObjectName("hintLabel")
        rights.setWordWrap(True)
        self.form.addRow("不予受理理由", self.reason_edit)
        self.form.addRow("应向何处申请", self.apply_edit)
        self.lay_out(above=(head,), below=(rights,))
        self.reason_edit.setFocus()

    def validate(self):
        reason = self.reason_edit.toPlainText().strip()
        where = self.apply_edit.text().strip()
        if not reason:
            self.fail("请写明不予受理的理由", self.reason_edit)
            return None
        if not where:
            self.fail("请写明申请人应向何处申请", self.apply_edit)
            return None
        return {"reason": reason, "apply_instead": where}

    def act(self, refusal) -> None:
        self.refusal = refusal
        self.accept()
