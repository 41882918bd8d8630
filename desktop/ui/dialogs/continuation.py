"""Continuing a case found in 办件查询, at any window of the centre: 补正, 结果送达, 补打, 好差评, 更正, 撤回, 作废.

A mixin of LookupDialog. The buttons come from desktop.ui.actions.CASE_ACTIONS (a row whose permission the
clerk lacks, desktop.core.roles, is disabled). Pressing one first takes the case's lease at the centre on the
network thread (desktop/ui/dialogs/lease.py): another window holding it → its clerk, window and until when
on the message line, and nothing is done; offline → the clerk goes on and the status bar says so. The
continuing dialog opens over the lookup; when it closes the lease is released and the case read again.
"""

from __future__ import annotations

from desktop.core import roles
from desktop.core.cases.corrections import CLOSED, FINAL
from desktop.core.errors import AuthError
from desktop.ui.actions import CASE_ACTIONS
from desktop.ui.dialogs.base import set_note
from desktop.ui.dialogs.lease import CaseLease
from desktop.ui.feedback import print_documents, print_with_preview
from desktop.ui.qt import QDialog, QHBoxLayout, QLabel, QPushButton
from desktop.ui.tasks import QueryOp


def _why_not(clerk, permission: str) -> str:
    """The words of roles.require for a clerk who may not do `permission` ("" when he may)."""
    try:
        roles.require(clerk, permission)
    except AuthError as e:
        return e.message
    return ""


class CaseContinuation:
    """The continue buttons, the lease and the continuing dialogs (mixed into LookupDialog)."""

    def _build_case_actions(self) -> QHBoxLayout:
        self.lease = CaseLease(self)
        self.child: QDialog | None = None
        self.continuing = ""  # the CASE_ACTIONS name being continued (lease asked or dialog open)
        self.case_buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        title = QLabel("继续办理：", self)
        title.setObjectName("sectionTitle")
        row.addWidget(title)
        for spec in CASE_ACTIONS:
            button = QPushButton(spec.text, self)
            button.setObjectName(f"continue_{spec.name}")
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, name=spec.name: self.continue_case(name))
            row.addWidget(button)
            self.case_buttons[spec.name] = button
        row.addStretch(1)
        return row

    def _state_allows(self, name: str) -> str:
        """Why the case's state rules `name` out ("" when it does not): a hint; the services decide."""
        r, status = self.record, self.status
        if r is None:
            return "请先查到办件"
        if status in CLOSED and name != "reprint":
            return f"办件已{'撤回' if status == 'withdrawn' else '作废'}，不能再办理"
        if name == "supplement" and r.outcome != "notice":
            return "只有待补正（已出具一次性告知单）的办件可以补正"
        if name == "handover" and status == "delivered":
            return "结果已送达"
        if name in ("withdraw", "void") and (status in FINAL or r.outcome == "completed"):
            return "已办结或已送达的办件不能撤回或作废"
        return ""

    def _update_actions(self) -> None:
        for spec in CASE_ACTIONS:
            button = self.case_buttons[spec.name]
            why = _why_not(self.clerk, spec.permission) or self._state_allows(spec.name)
            button.setEnabled(not why and not self.continuing)
            button.setToolTip(why)

    # ----- the lease, then the dialog
    def continue_case(self, name: str) -> None:
        """Take the case's lease, then go on with CASE_ACTIONS[name] (refused on the message line)."""
        spec = next(s for s in CASE_ACTIONS if s.name == name)
        if self.record is None or self.continuing:
            return
        why = _why_not(self.clerk, spec.permission)
        if why:  # the button is disabled; a shortcut or a script still ends here
            set_note(self.error_label, why)
            return
        self.continuing = name
        self._update_actions()
        set_note(self.error_label, "正在向中心确认此件无其他窗口办理…", ok=True)
        self.lease.take(self.record.case_no, self.clerk, lambda lease: self._leased(spec, lease), self._refused)

    def _refused(self, text: str) -> None:
        self.continuing = ""
        self._update_actions()
        set_note(self.error_label, text)
        self.lease_refused.emit(text)

    def _leased(self, spec, lease) -> None:
        if self.record is None or self.record.case_no != lease.case_no:
            self.continuing = ""
            self.lease.release()
            return
        set_note(self.error_label, lease.note)
        if lease.note:
            self.note.emit(f"办件 {lease.case_no}：{lease.note}")
        getattr(self, spec.handler)()

    def _open_child(self, dialog: QDialog) -> QDialog:
        """Open the continuing dialog over the lookup; when it closes, the lease goes back and the case is read
        again."""
        self.child = dialog
        dialog.finished.connect(lambda _result: self._child_done(dialog))
        dialog.open()
        self.continued.emit(self.continuing)
        return dialog

    def _child_done(self, dialog: QDialog) -> None:
        if self.child is dialog:
            self.child = None
        self.continuing = ""
        self.lease.release()
        self.reload()
        self.activateWindow()

    def _changed(self, what: str) -> None:
        if self.record is not None:
            self.changed.emit(self.record.case_no)
        set_note(self.error_label, what, ok=True)

    # ----- the continuing dialogs (CASE_ACTIONS handlers)
    def continue_supplement(self) -> None:
        """补正 goes on in the intake view: the lookup closes and hands the lease over (see MainWindow)."""
        record = self.record
        leased = self.lease.hand_over()
        self.continuing = ""
        self.supplement_requested.emit(record, leased)
        self.accept()

    def continue_handover(self) -> None:
        from desktop.ui.dialogs.handover import HandoverDialog

        dialog = HandoverDialog(self, self.services, self.clerk, case_no=self.record.case_no)

        def handed_over(case_no: str) -> None:
            self._changed(f"办件 {case_no} 的结果已送达，请领取人在送达回执上签字")

            def print_receipt(documents) -> None:
                receipts = [d for d in documents if d.kind == "delivery_receipt"]
                if receipts:
                    print_with_preview(self, receipts[-1].path)

            QueryOp(self, lambda svc: svc.documents(case_no=case_no)).success(print_receipt).run()

        dialog.handed_over.connect(handed_over)
        self._open_child(dialog)

    def continue_reprint(self) -> None:
        from desktop.ui.dialogs.reprint import ReprintDialog

        dialog = ReprintDialog(self, self.services, self.clerk, case_no=self.record.case_no)

        def reprinted() -> None:
            if dialog.document is not None:
                self._changed(f"已补打：{dialog.document.path}")
                print_with_preview(self, dialog.document.path)

        dialog.accepted.connect(reprinted)
        self._open_child(dialog)

    def continue_rating(self) -> None:
        from desktop.ui.dialogs.rating import RatingDialog

        dialog = RatingDialog(self, self.services, self.clerk, self.record.case_no)
        dialog.rated.connect(lambda record: self._changed(f"已记录评价：{record.case_no} {record.level}"))
        self._open_child(dialog)

    def continue_correct(self) -> None:
        from desktop.ui.dialogs.correct import CorrectDialog

        dialog = CorrectDialog(self, self.services, self.clerk, self.record)

        def corrected(change) -> None:
            self._changed(f"办件 {change.case_no} 已更正，已重新出具 {len(change.documents)} 份更正文书")
            print_documents(self, [d.path for d in change.documents])

        dialog.done_change.connect(corrected)
        self._open_child(dialog)

    def continue_withdraw(self) -> None:
        from desktop.ui.dialogs.withdraw import WithdrawDialog

        dialog = WithdrawDialog(self, self.services, self.clerk, self.record)
        dialog.done_change.connect(lambda change: self._changed(f"办件 {change.case_no} 已撤回，记录保留"))
        self._open_child(dialog)

    def continue_void(self) -> None:
        from desktop.ui.dialogs.void import VoidDialog

        dialog = VoidDialog(self, self.services, self.clerk, self.record)
        dialog.done_change.connect(lambda change: self._changed(f"办件 {change.case_no} 已作废，记录保留"))
        self._open_child(dialog)
