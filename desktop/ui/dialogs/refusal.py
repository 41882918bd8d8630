"""不予受理: the clerk chooses the Art. 32(1) ground, states why, and where to apply instead (required when the
matter is not this authority's competence)."""

from __future__ import annotations

from desktop.core.labels import REFUSAL_CATEGORY_LABELS
from desktop.ui.dialogs.base import FormDialog
from desktop.ui.qt import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

RIGHTS_NOTE = ("《不予受理通知书》将写明不予受理的法定情形，以及申请人依法申请行政复议（60 日内）或者提起"
               "行政诉讼（6 个月内）的权利和受理机关。")


class RefusalDialog(FormDialog):
    """After accept(), `refusal` is {"refusal_category", "reason", "apply_instead"} for the intake (the window
    submits it)."""

    def __init__(self, parent: QWidget | None, services, clerk, matter_name: str) -> None:
        super().__init__(parent, services, clerk, title="不予受理", ok_text="不予受理并打印通知书", min_width=560)
        self.refusal: dict[str, str] | None = None
        head = QLabel(f"事项：{matter_name}" if matter_name else "", self)
        head.setObjectName("sectionTitle")
        self.category_combo = QComboBox(self)
        self.category_combo.setObjectName("refusalCategoryCombo")
        self.category_combo.addItem("请选择不予受理的情形", "")
        for key, label in REFUSAL_CATEGORY_LABELS.items():
            self.category_combo.addItem(label, key)
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setObjectName("refusalReasonEdit")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setPlaceholderText("写明具体事实，例如：申请人户籍及居住地均不在本区")
        self.reason_edit.setFixedHeight(90)
        self.apply_edit = QLineEdit(self)
        self.apply_edit.setObjectName("applyInsteadEdit")
        self.apply_edit.setPlaceholderText("不属于本机关职权范围时必填，例如：上海市公安局出入境管理局")
        rights = QLabel(RIGHTS_NOTE, self)
        rights.setObjectName("hintLabel")
        rights.setWordWrap(True)
        self.form.addRow("不予受理情形", self.category_combo)
        self.form.addRow("具体理由", self.reason_edit)
        self.form.addRow("应向何处申请", self.apply_edit)
        self.lay_out(above=(head,), below=(rights,))
        self.category_combo.setFocus()

    def validate(self):
        category = self.category_combo.currentData() or ""
        reason = self.reason_edit.toPlainText().strip()
        where = self.apply_edit.text().strip()
        if not category:
            self.fail("请选择不予受理的情形（行政许可法第三十二条第一款）", self.category_combo)
            return None
        if not reason:
            self.fail("请写明不予受理的具体理由", self.reason_edit)
            return None
        if category == "not_competent" and not where:
            self.fail("不属于本机关职权范围的，请写明申请人应向何处申请", self.apply_edit)
            return None
        return {"refusal_category": category, "reason": reason, "apply_instead": where}

    def act(self, refusal) -> None:
        self.refusal = refusal
        self.accept()
