"""The 办理时限 form of the department window: 暂停计时 with a reason (听证、检验、检测、鉴定、专家评审…),
恢复计时, and 延长期限 once by 1..10 working days with a reason and the approving head's name (Art. 42).
`submitted((op, values))` after desktop.core.office.forms checked the input (a problem shows on its
message line, nothing sent): op is "pause" ({"reason"}), "resume" ({}) or "extend" ({"days", "reason",
"approver"}). The centre checks again (a second pause, a second extension, a case not held)."""

from __future__ import annotations

from desktop.core.errors import YichuangError
from desktop.ui.dialogs.base import error_label, set_note
from desktop.ui.qt import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
    Signal,
)

MAX_DAYS = 10


class ClockForm(QGroupBox):
    submitted = Signal(object)

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__("办理时限", parent)
        self.setObjectName("clockForm")
        self.state_label = QLabel("—", self)
        self.state_label.setObjectName("clockState")
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("clockReason")
        self.reason_edit.setPlaceholderText("理由（必填）：听证、检验、检测、鉴定、专家评审…")
        self.pause_button = QPushButton("暂停计时", self)
        self.pause_button.setObjectName("clockPause")
        self.resume_button = QPushButton("恢复计时", self)
        self.resume_button.setObjectName("clockResume")
        self.days = QSpinBox(self)
        self.days.setObjectName("extendDays")
        self.days.setRange(1, MAX_DAYS)
        self.days.setValue(MAX_DAYS)
        self.days.setSuffix(" 个工作日")
        self.approver_edit = QLineEdit(self)
        self.approver_edit.setObjectName("extendApprover")
        self.approver_edit.setPlaceholderText("批准的负责人姓名")
        self.extend_button = QPushButton("延长期限", self)
        self.extend_button.setObjectName("clockExtend")
        self.note = error_label(self)
        self.pause_button.clicked.connect(self.submit_pause)
        self.resume_button.clicked.connect(lambda: self.submitted.emit(("resume", {})))
        self.extend_button.clicked.connect(self.submit_extend)
        for edit in (self.reason_edit, self.approver_edit):
            edit.textEdited.connect(lambda _text: set_note(self.note, ""))
        clock_row = QHBoxLayout()
        clock_row.addWidget(self.pause_button)
        clock_row.addWidget(self.resume_button)
        clock_row.addStretch(1)
        extend_row = QHBoxLayout()
        extend_row.addWidget(self.days)
        extend_row.addWidget(self.approver_edit, 1)
        extend_row.addWidget(self.extend_button)
        form = QFormLayout(self)
        form.addRow("当前", self.state_label)
        form.addRow("理由", self.reason_edit)
        form.addRow("", clock_row)
        form.addRow("延长", extend_row)
        form.addRow(self.note)
        self.set_case(None)

    def set_case(self, case) -> None:
        """The selected ReviewCase (None: nothing selected): what may be done to its clock now."""
        paused = case is not None and case.paused
        extended = case.extended_days if case is not None else 0
        if case is None:
            text = "—"
        elif paused:
            text = f"已暂停（自 {case.paused_on:%Y-%m-%d}）"
        else:
            text = "计时中"
        if extended:
            text += f"；已延长 {extended} 个工作日"
        self.state_label.setText(text)
        self.pause_button.setEnabled(case is not None and not paused)
        self.resume_button.setEnabled(paused)
        for w in (self.days, self.approver_edit, self.extend_button):
            w.setEnabled(case is not None and not extended)
        self.reason_edit.setEnabled(case is not None)

    def submit_pause(self) -> None:
        from desktop.core.office import forms

        try:
            reason = forms.reason(self.reason_edit.text(), "暂停理由")
        except YichuangError as e:
            set_note(self.note, e.message)
            return
        set_note(self.note, "")
        self.submitted.emit(("pause", {"reason": reason}))

    def submit_extend(self) -> None:
        from desktop.core.office import forms

        try:
            days = forms.extension_days(self.days.value())
            reason = forms.reason(self.reason_edit.text(), "延长理由")
            approver = forms.approver(self.approver_edit.text())
        except YichuangError as e:
            set_note(self.note, e.message)
            return
        set_note(self.note, "")
        self.submitted.emit(("extend", {"days": days, "reason": reason, "approver": approver}))

    def done(self, error: str = "") -> None:
        if error:
            set_note(self.note, error)
            return
        self.reason_edit.clear()
        self.approver_edit.clear()
        set_note(self.note, "已记录：各窗口同步后调整办结日期并向申请人送达告知书", ok=True)
