"""值班长 manage a case's decision clock from 办件查询: pause, resume, or extend with an approver.

A mixin of LookupDialog (desktop/ui/dialogs/lookup.py): `_clock_box()` makes the box; the changes run on the
writer, then the case is read again (desktop.ui.dialogs.case_view.read_case) and shown."""

from __future__ import annotations

from desktop.core import roles
from desktop.ui.case_history import _day
from desktop.ui.dialogs.base import error_label, error_text, set_note
from desktop.ui.dialogs.case_view import read_case
from desktop.ui.feedback import print_with_preview
from desktop.ui.qt import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    Qt,
    QVBoxLayout,
)
from desktop.ui.tasks import DbOp

MAX_EXTENSION_DAYS = 10


class ClockControls:
    """The 值班长's clock box and its three changes (mixed into LookupDialog)."""

    def _clock_box(self) -> QGroupBox:
        """值班长: pause, resume or extend the decision clock of an accepted case."""
        box = QGroupBox("办理时限（值班长）", self)
        self.reason_edit = QLineEdit(box)
        self.reason_edit.setObjectName("clockReasonEdit")
        self.reason_edit.setPlaceholderText("暂停或延期的理由，例如“现场核查”“专家评审”")
        self.days_spin = QSpinBox(box)
        self.days_spin.setRange(1, MAX_EXTENSION_DAYS)
        self.days_spin.setSuffix(" 个工作日")
        self.approver_edit = QLineEdit(box)
        self.approver_edit.setPlaceholderText("批准延期的值班长登录名")
        self.approver_password = QLineEdit(box)
        self.approver_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.approver_password.setPlaceholderText("值班长密码")
        self.pause_button = QPushButton("暂停计时(&T)", box)
        self.resume_button = QPushButton("恢复计时(&R)", box)
        self.extend_button = QPushButton("延期(&E)", box)
        for b in (self.pause_button, self.resume_button, self.extend_button):
            b.setAutoDefault(False)
        self.pause_button.clicked.connect(self.pause_clock)
        self.resume_button.clicked.connect(self.resume_clock)
        self.extend_button.clicked.connect(self.extend_deadline)
        self.clock_note = error_label(box)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("理由", self.reason_edit)
        approve = QHBoxLayout()
        approve.addWidget(self.days_spin)
        approve.addWidget(QLabel("批准人", box))
        approve.addWidget(self.approver_edit, 1)
        approve.addWidget(QLabel("密码", box))
        approve.addWidget(self.approver_password, 1)
        form.addRow("延期", approve)
        row = QHBoxLayout()
        row.addWidget(self.clock_note, 1)
        row.addWidget(self.pause_button)
        row.addWidget(self.resume_button)
        row.addWidget(self.extend_button)
        layout = QVBoxLayout(box)
        layout.addLayout(form)
        layout.addLayout(row)
        box.setVisible(False)
        return box

    @property
    def may_manage_clock(self) -> bool:
        return roles.can(self.clerk, "clock_pause")

    def _update_clock_box(self) -> None:
        r = self.record
        self.clock_box.setVisible(self.may_manage_clock and r is not None)
        if r is None:
            return
        delivered = any(e == "delivered" for _a, _w, e, _d in self.history)
        live = r.outcome == "accepted" and not delivered
        self.pause_button.setEnabled(live and not self.paused)
        self.resume_button.setEnabled(live and self.paused)
        self.extend_button.setEnabled(live)
        set_note(self.clock_note, "" if live else "只有已受理、尚未送达的办件才计算办理时限，无需操作")

    def _run(self, op, done_text, **kwargs) -> None:
        """Run `op(services, case_no=, clerk=, **kwargs)` on the writer; then reload and say what changed."""
        if not self.may_manage_clock or self.record is None:
            return
        self.clock_box.setEnabled(False)
        case_no = self.record.case_no

        def done(answer, error) -> None:
            self.clock_box.setEnabled(True)
            if error is not None:
                set_note(self.clock_note, error_text(error))
                return
            result, found = answer
            self.reason_edit.clear()
            self.approver_password.clear()
            self._loaded(found)
            set_note(self.clock_note, done_text(result), ok=True)
            notices = [d for d in found[2] if d.kind == "clock_notice"]
            if notices:  # the written notice to the applicant (Art. 42, 45), printed by the change itself
                print_with_preview(self, notices[-1].path)
            self.changed.emit(case_no)

        args = dict(case_no=case_no, clerk=self.clerk, **kwargs)
        known = dict(self._names)

        def change_and_reread(svc):  # on the writer: the change, then the case as it now is
            return op(svc, **args), read_case(svc, case_no, known)

        DbOp(self, change_and_reread).changes("cases").on_done(done).run()

    def pause_clock(self) -> None:
        """暂停计时: hearings, inspection, testing, expert review are not counted (a reason is required)."""
        self._run(lambda svc, **a: svc.pause_clock(**a), lambda _r: "已暂停计时：恢复后，承诺和法定办结日期按暂停的工作日顺延",
                  reason=self.reason_edit.text().strip())

    def resume_clock(self) -> None:
        def text(skipped) -> str:
            promised = _day(self.record.promised_date) if self.record else "—"
            return f"已恢复计时：{skipped} 个工作日不计入时限，承诺办结日期现为 {promised}"

        self._run(lambda svc, **a: svc.resume_clock(**a), text)

    def extend_deadline(self) -> None:
        if not self.approver_edit.text().strip() or not self.approver_password.text():
            set_note(self.clock_note, "延期须由值班长批准：请填写批准人登录名和密码")
            (self.approver_password if self.approver_edit.text().strip() else self.approver_edit).setFocus()
            return
        days = self.days_spin.value()

        def text(_r) -> str:
            promised = _day(self.record.promised_date) if self.record else "—"
            return f"已延期 {days} 个工作日，承诺办结日期现为 {promised}"

        self._run(lambda svc, **a: svc.extend_deadline(**a), text, days=days, reason=self.reason_edit.text().strip(),
                  approver_login=self.approver_edit.text().strip(), approver_password=self.approver_password.text())
