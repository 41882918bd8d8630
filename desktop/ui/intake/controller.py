"""The intake controller: accept, 补正 and refuse, each one write on the writer thread (DbOp).

A mixin of MainWindow. While a write runs the form is disabled and a second Ctrl+Enter does nothing,
so one intake can never become two cases; `intake_finished(result or None)` fires when it is done.
"""

from __future__ import annotations

from typing import Any

from desktop.core import centres
from desktop.core.errors import YichuangError
from desktop.core.types import IntakeResult, Matter
from desktop.ui.feedback import message_of, presenter, print_documents
from desktop.ui.intake.parts import ACCEPT_TEXT, BUSY_TEXT, SUPPLEMENT_TEXT
from desktop.ui.tasks import DbOp, QueryOp


class IntakeController:
    """Intake actions; `self` is the MainWindow (it has the intake view's widgets and `writer`)."""

    def choose_matter(self, matter: Matter) -> None:
        self.matter = matter
        self.matter_title.setText(f"{matter.name}　<span style='color:#555'>{matter.code}</span>")
        if self.supplement_record is not None:
            self._leave_supplement()
        self.form.set_allowed_kinds(matter.applicant_kinds)
        self.checklist.set_matter(matter)
        self._show_result_field(matter.on_the_spot)
        self.form.clear_errors()
        centre_type = self.matter_panel.centre_type
        self.set_message("" if centres.taken_here(matter, centre_type)
                         else centres.wrong_centre_message(matter, centre_type))  # 两个集中: said before intake
        self.focus_applicant()

    def build_intake(self) -> dict[str, Any]:
        """The intake object (desktop.core.cases.checks format) from what is on screen."""
        intake: dict[str, Any] = {"matter": self.matter.code if self.matter else ""}
        intake.update(self.form.intake_part())
        intake["materials"] = self.checklist.materials_json()
        if self.matter is not None and self.matter.on_the_spot and self.result_edit.text().strip():
            intake["result"] = self.result_edit.text().strip()
        return intake

    def show_input_error(self, error: YichuangError) -> None:
        """Put the message next to the field it names and in the message line; focus that field."""
        self.set_message(error.message)
        field = error.field or ""
        if field == "matter":
            self.focus_search()
            return
        if field in ("result", "refusal.reason", "refusal.apply_instead"):
            if field == "result":
                self.result_edit.setFocus()
            return
        if field.startswith("materials."):
            parts = field.split(".")
            row = self.checklist.row_of(parts[1])
            if row >= 0:
                self.checklist.setCurrentCell(row, 0)
                if len(parts) > 2:  # a detail: the reason or the promised date
                    self.detail_editor.open_for(row)
                    return
            self.checklist.setFocus()
            return
        box = self.form.box_for(field) if field else None
        if box is not None:
            box.set_error(error.message)
            box.widget.setFocus()

    def ask_override(self, problem: str) -> dict | None:
        """Ask a supervisor to authorise (a modal dialog, through the presenter); None when refused."""
        from desktop.ui.dialogs.override import OverrideDialog

        dialog = OverrideDialog(self, self.services, self.clerk, problem)
        return dialog.override if presenter().exec(dialog) else None

    @property
    def intake_busy(self) -> bool:
        return self.writer.busy

    def accept_intake(self, overrides: dict | None = None) -> int | None:
        """受理 (Ctrl+Enter): send the intake to the writer thread; the answer comes by `intake_finished`.

        Returns the writer's job id, or None when nothing was sent (busy, no matter). While a job runs the
        window is disabled and a second Ctrl+Enter does nothing, so one intake can never become two cases.
        """
        if self.intake_busy:
            self.set_message("正在处理上一件，请稍候…", "ok")
            return None
        if self.supplement_record is not None:
            return self.submit_supplement()
        self.form.clear_errors()
        self.set_message("")
        if self.matter is None:
            self.set_message("请先选择办理事项")
            self.focus_search()
            self.intake_finished.emit(None)
            return None
        intake = self.build_intake()
        if overrides:
            intake["overrides"] = overrides
        return self._submit_intake(intake)

    def refuse_intake(self) -> None:
        """不予受理 (F12): ask why and where to apply instead, then store and print the refusal notice."""
        if self.intake_busy:
            return
        if self.supplement_record is not None:
            self.set_message("补正中的办件不能改为不予受理：请先按 Ctrl+N 退出补正")
            return
        if self.matter is None:
            self.set_message("请先选择办理事项，再出具不予受理通知书")
            self.focus_search()
            return
        from desktop.ui.dialogs.refusal import RefusalDialog

        dialog = RefusalDialog(self, self.services, self.clerk, self.matter.name)
        dialog.accepted.connect(lambda: self.refuse_with(dialog.refusal))
        self._open(dialog)

    def refuse_with(self, refusal: dict[str, str] | None) -> int | None:
        """Store the intake on screen as 不予受理 with {"reason", "apply_instead"}."""
        if not refusal or self.matter is None or self.intake_busy:
            return None
        self.form.clear_errors()
        self.set_message("")
        intake = self.build_intake()
        intake["outcome"] = "refused"
        intake["refusal"] = dict(refusal)
        return self._submit_intake(intake)

    def _submit_intake(self, intake: dict[str, Any]) -> int:
        self._set_busy(True)
        clerk = self.clerk
        op = DbOp(self, lambda svc: svc.accept_application(intake=intake, clerk=clerk)).changes("cases")
        return op.on_done(lambda result, error: self._intake_done(intake, result, error)).run()

    def _intake_done(self, intake: dict[str, Any], result: IntakeResult | None, error) -> None:
        """On the GUI thread, after the writer stored (or refused to store) the intake."""
        self._set_busy(False)
        if error is not None:
            if (
                isinstance(error, YichuangError)
                and error.code == "E_USCC_CHECK"
                and error.overridable
                and not intake.get("overrides")
            ):
                self.show_input_error(error)
                granted = self.ask_override(error.message)
                if granted:
                    self._submit_intake({**intake, "overrides": {"uscc_check": granted}})
                    return
        self._finish(result, error)

    def _finish(self, result: IntakeResult | None, error) -> None:
        """The end of an accept or 补正 on the GUI thread: show the error, or the result and its documents."""
        if error is not None:
            if isinstance(error, YichuangError):
                self.show_input_error(error)
                if error.code == "E_WRONG_CENTRE" and self.matter is not None:
                    self.print_guide(self.matter.code)
            else:
                self.set_message(message_of(error))
            self.intake_finished.emit(None)
            return
        self._accepted(result)
        self.intake_finished.emit(result)

    def print_guide(self, code: str) -> int:
        """两个集中: the 导办单 of a matter not taken here (where to go, what to bring), rendered off the GUI thread
        into the data folder, then previewed/printed."""
        clerk = self.clerk
        out = self.services.home / "guides" / f"guide-{code}-{self.services.clock():%Y%m%d-%H%M%S}.pdf"

        def printed(path) -> None:
            self.set_message(f"{self.message_label.text()} 已打印导办单。")
            print_documents(self, [str(path)])

        op = QueryOp(self, lambda svc: svc.print_guide(matter_code=code, out=out, clerk=clerk))
        return op.success(printed).failure(lambda e: self.set_message(message_of(e))).run()

    def _set_busy(self, busy: bool) -> None:
        """Lock the form while the writer works: nothing can be edited or submitted twice."""
        self.centralWidget().setEnabled(not busy)
        for action in (self.accept_action, self.refuse_action, self.new_action, self.supplement_action):
            action.setEnabled(not busy)
        self.busy_bar.setVisible(busy)
        self.accept_button.setText(
            BUSY_TEXT if busy else (SUPPLEMENT_TEXT if self.supplement_record else ACCEPT_TEXT)
        )
        if busy:
            self.set_message(BUSY_TEXT, "ok")

    def _accepted(self, result: IntakeResult) -> None:
        self.last_result = result
        self.result_panel.show_result(result, self.matter.name if self.matter else "")
        self.print_button.setEnabled(True)
        self.print_action.setEnabled(True)
        verb = {"refused": "已出具不予受理通知书", "notice": "已出具一次性告知单"}.get(
            result.outcome, "已受理"
        )
        self.set_message(f"{verb}：{result.case_no}，正在打印文书", "ok")
        self.new_intake(keep_message=True)
        self.print_last()
        self.focus_search()

    def open_supplement(self) -> None:
        if self.intake_busy:
            return
        from desktop.ui.dialogs.supplement import SupplementLookupDialog

        dialog = SupplementLookupDialog(self, self.services, self.clerk)
        dialog.accepted.connect(lambda: self.load_supplement(dialog.record))
        self._open(dialog)

    def load_supplement(self, record) -> None:
        """Reopen a case waiting for materials: its applicant (read-only) and its materials as stored."""
        self.new_intake(keep_message=False)
        self.supplement_record = record
        self.matter = record.matter
        self.matter_panel.show_matter(record.matter)
        self.matter_title.setText(
            f"补正：{record.matter.name}　<span style='color:#555'>{record.case_no}</span>"
        )
        self.form.show_case_people(record.applicant, record.agent)
        self.form.note.setText(record.note)
        self.form.set_read_only(True)
        self.checklist.set_matter(record.matter, record.materials)
        self._show_result_field(False)
        due = f"，告知补正期限 {record.promised_date:%Y-%m-%d}" if record.promised_date else ""
        self.supplement_banner.setText(
            f"补正办件 {record.case_no}（{record.received_at:%Y-%m-%d} 出具一次性告知单{due}）："
            "把补交的材料改为“纸质收取”等，按 Ctrl+Enter 受理；Ctrl+N 放弃补正"
        )
        self.supplement_banner.show()
        self.accept_button.setText(SUPPLEMENT_TEXT)
        self.refuse_button.setEnabled(False)
        self._update_summary()
        self.set_message("")
        self.focus_materials()
        first_gap = next(
            (
                r
                for r in range(self.checklist.rowCount())
                if self.checklist.state(r) in ("missing", "defective")
            ),
            0,
        )
        self.checklist.setCurrentCell(first_gap, 0)

    def submit_supplement(self) -> int | None:
        record = self.supplement_record
        if record is None:
            return None
        self.set_message("")
        self._set_busy(True)
        case_no, materials, clerk = record.case_no, self.checklist.materials_json(), self.clerk
        op = DbOp(self, lambda svc: svc.supplement_case(case_no=case_no, materials=materials, clerk=clerk))
        return op.changes("cases").on_done(self._supplement_done).run()

    def _supplement_done(self, result: IntakeResult | None, error) -> None:
        self._set_busy(False)
        self._finish(result, error)

    def _leave_supplement(self) -> None:
        self.supplement_record = None
        self.form.set_read_only(False)
        self.supplement_banner.hide()
        self.accept_button.setText(ACCEPT_TEXT)
        self.refuse_button.setEnabled(True)

    def print_last(self) -> None:
        """Print (or preview) the documents of the last accepted case."""
        if self.last_result is None:
            self.set_message("还没有可打印的文书：请先受理")
            return
        paths = [d.path for d in self.last_result.documents]
        self.last_printed = paths
        print_documents(self, paths)
        self.data_changed.emit("documents")

    def new_intake(self, keep_message: bool = False) -> None:
        """Clear the form for the next applicant; the search box gets the focus."""
        if self.intake_busy:
            return
        if self.supplement_record is not None:
            self._leave_supplement()
        self.matter = None
        self.form.clear()
        self.result_edit.clear()
        self._show_result_field(False)
        self.checklist.set_matter(None)
        self.matter_title.setText("请先在左侧选择办理事项（F2）")
        self.matter_panel.reset()
        if not keep_message:
            self.set_message("")
        self._update_summary()
        self.focus_search()

