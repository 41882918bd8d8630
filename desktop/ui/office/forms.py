"""The review-step form (the next step of the case, and the opinion) and the decision form (准予许可:
document name and number, e-licence reference, copies; 不予许可: reason). Each emits `submitted(values)`
after the input was checked by desktop.core.office (a problem shows on its message line, nothing sent)."""

from __future__ import annotations

from desktop.core.errors import YichuangError
from desktop.core.office import STEP_LABELS, decision
from desktop.ui.dialogs.base import error_label, set_note
from desktop.ui.qt import (
    QButtonGroup,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
    Signal,
)


class ReviewForm(QGroupBox):
    """The next review step of the selected case (承办 or 审核) with the opinion; `submitted((step,
    opinion))` when 提交 is pressed with an opinion."""

    submitted = Signal(object)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__("审查步骤", parent)
        self.setObjectName("reviewForm")
        self.step = ""
        self.step_label = QLabel("—", self)
        self.step_label.setObjectName("reviewStep")
        self.opinion_edit = QPlainTextEdit(self)
        self.opinion_edit.setObjectName("opinionEdit")
        self.opinion_edit.setPlaceholderText("审查意见（必填）")
        self.opinion_edit.setFixedHeight(80)
        self.submit_button = QPushButton("提交审查意见", self)
        self.submit_button.setObjectName("reviewSubmit")
        self.submit_button.clicked.connect(self.submit)
        self.note = error_label(self)
        self.opinion_edit.textChanged.connect(lambda: set_note(self.note, ""))
        form = QFormLayout(self)
        form.addRow("当前步骤", self.step_label)
        form.addRow("审查意见", self.opinion_edit)
        form.addRow("", self.submit_button)
        form.addRow(self.note)
        self.set_step("")

    def set_step(self, step: str) -> None:
        """Show the step to record ("" or "decide": nothing to record here)."""
        self.step = step if step in ("handle", "review") else ""
        self.step_label.setText(STEP_LABELS.get(step, "—") if step else "—")
        if step == "decide":
            self.step_label.setText("审查步骤已完成，请在下方作出决定")
        for w in (self.opinion_edit, self.submit_button):
            w.setEnabled(bool(self.step))

    def submit(self) -> None:
        from desktop.core.office import forms

        try:
            opinion = forms.opinion(self.opinion_edit.toPlainText())
        except YichuangError as e:
            set_note(self.note, e.message)
            return
        set_note(self.note, "")
        self.submitted.emit((self.step, opinion))

    def done(self, error: str = "") -> None:
        if error:
            set_note(self.note, error)
        else:
            self.opinion_edit.clear()
            set_note(self.note, "已记录", ok=True)


class DecisionForm(QGroupBox):
    """准予许可 or 不予许可 with their fields; `submitted(Decision)` once the input is checked."""

    submitted = Signal(object)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__("作出决定", parent)
        self.setObjectName("decisionForm")
        self.approve = QRadioButton("准予许可", self)
        self.approve.setObjectName("decisionApprove")
        self.deny = QRadioButton("不予许可", self)
        self.deny.setObjectName("decisionDeny")
        self.approve.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.approve)
        group.addButton(self.deny)
        self.doc_name = QLineEdit(self)
        self.doc_name.setObjectName("docName")
        self.doc_name.setPlaceholderText("如：准予行政许可决定书")
        self.doc_no = QLineEdit(self)
        self.doc_no.setObjectName("docNo")
        self.doc_no.setPlaceholderText("文号")
        self.e_licence = QLineEdit(self)
        self.e_licence.setObjectName("eLicenceRef")
        self.e_licence.setPlaceholderText("电子证照编号（可不填）")
        self.copies = QSpinBox(self)
        self.copies.setObjectName("copies")
        self.copies.setRange(1, 99)
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("denyReason")
        self.reason.setPlaceholderText("不予许可的理由（必填）")
        self.reason.setFixedHeight(60)
        self.submit_button = QPushButton("提交决定", self)
        self.submit_button.setObjectName("decisionSubmit")
        self.submit_button.clicked.connect(self.submit)
        self.note = error_label(self)
        kinds = QHBoxLayout()
        kinds.addWidget(self.approve)
        kinds.addWidget(self.deny)
        kinds.addStretch(1)
        form = QFormLayout()
        form.addRow("决定", kinds)
        form.addRow("文书名称", self.doc_name)
        form.addRow("文号", self.doc_no)
        form.addRow("电子证照", self.e_licence)
        form.addRow("份数", self.copies)
        form.addRow("理由", self.reason)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.submit_button)
        layout.addWidget(self.note)
        self.approve.toggled.connect(self._kind_changed)
        for edit in (self.doc_name, self.doc_no, self.e_licence):  # a message about the input goes once it changes
            edit.textEdited.connect(lambda _text: set_note(self.note, ""))
        self.reason.textChanged.connect(lambda: set_note(self.note, ""))
        self._kind_changed()
        self.set_enabled_for("")

    def _kind_changed(self) -> None:
        approve = self.approve.isChecked()
        for w in (self.doc_name, self.doc_no, self.e_licence, self.copies):
            w.setEnabled(approve and self._open)
        self.reason.setEnabled(not approve and self._open)

    _open = False

    def set_enabled_for(self, next_step: str) -> None:
        """Open only when the case's next step is the decision."""
        self._open = next_step == "decide"
        for w in (self.approve, self.deny, self.submit_button):
            w.setEnabled(self._open)
        self._kind_changed()

    def submit(self) -> None:
        try:
            if self.approve.isChecked():
                value = decision("approve", doc_name=self.doc_name.text(), doc_no=self.doc_no.text(),
                                 e_licence_ref=self.e_licence.text(), copies=self.copies.value())
            else:
                value = decision("deny", reason_text=self.reason.toPlainText())
        except YichuangError as e:
            set_note(self.note, e.message)
            return
        set_note(self.note, "")
        self.submitted.emit(value)

    def done(self, error: str = "") -> None:
        if error:
            set_note(self.note, error)
            return
        for w in (self.doc_name, self.doc_no, self.e_licence):
            w.clear()
        self.reason.clear()
        self.copies.setValue(1)
        set_note(self.note, "决定已提交", ok=True)
