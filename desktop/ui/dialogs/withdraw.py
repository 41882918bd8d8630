"""撤回: the applicant withdraws the application; the clerk records it with the reason (the case and its history
stay in the record, counted apart in statistics). `CaseChangeDialog` is also the shape of 作废 (void.py)."""

from __future__ import annotations

from desktop.core.cases.corrections import MAX_REASON
from desktop.ui.dialogs.base import FormDialog
from desktop.ui.qt import QLabel, QPlainTextEdit, QWidget, Signal


class CaseChangeDialog(FormDialog):
    """One case, one reason, one service call. Emits `done_change(CaseChange)` after it succeeded, then closes."""

    done_change = Signal(object)
    title = ""
    verb = ""  # 撤回 / 作废
    hint = ""
    busy_text = "正在登记…"

    def __init__(self, parent: QWidget | None, services, clerk, record) -> None:
        super().__init__(parent, services, clerk, title=self.title, ok_text=f"确认{self.verb}", min_width=560)
        self.record = record
        self.change = None
        about = QLabel(f"{record.case_no}　{record.matter.name}\n申请人：{record.applicant.name}", self)
        about.setObjectName("summaryLabel")
        hint = QLabel(self.hint, self)
        hint.setObjectName("hintLabel")
        hint.setWordWrap(True)
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setObjectName(f"{type(self).__name__}Reason")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setFixedHeight(80)
        self.form.addRow(f"{self.verb}原因", self.reason_edit)
        self.lay_out(above=(about, hint))
        self.reason_edit.setFocus()

    def validate(self):
        reason = self.reason_edit.toPlainText().strip()
        if not reason:
            self.fail(f"{self.verb}须写明原因", self.reason_edit)
            return None
        if len(reason) > MAX_REASON:
            self.fail(f"{self.verb}原因过长（最多 {MAX_REASON} 个字符）", self.reason_edit)
            return None
        return dict(case_no=self.record.case_no, reason=reason, clerk=self.clerk)

    @staticmethod
    def call(svc, args):
        """The service call (on the writer thread: it must not touch the dialog)."""
        raise NotImplementedError

    def act(self, args) -> None:
        call = type(self).call
        self.write(lambda svc: call(svc, args), self._done, changes=("cases",),
                   on_error=lambda _e: self.reason_edit.setFocus())

    def _done(self, change) -> None:
        self.change = change
        self.done_change.emit(change)
        self.accept()


class WithdrawDialog(CaseChangeDialog):
    title = "撤回办件"
    verb = "撤回"
    hint = "申请人撤回申请：办件及其办理经过保留，不再流转、审批或送达。已作出决定或已送达的办件不能撤回。"

    @staticmethod
    def call(svc, args):
        return svc.withdraw_case(**args)
