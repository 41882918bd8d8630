"""The intake window: matter search and guide on the left, applicant form and material checklist in the centre.

Intake, 补正 and every other write run on the single writer thread (desktop.ui.writer); the window is busy
meanwhile and hears the result by signal. The workflow dialogs (流转, 送达, 好差评, 咨询, 不予受理) open from here.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import YichuangError
from desktop.core.types import OUTCOME_LABELS, Clerk, IntakeResult, Matter
from desktop.ui.applicant_form import ApplicantForm
from desktop.ui.feedback import message_of, no_dialogs, show_error
from desktop.ui.material_checklist import GAP_DEFAULT_DAYS, MaterialChecklist
from desktop.ui.material_detail import MaterialDetailEditor
from desktop.ui.matter_panel import MatterPanel
from desktop.ui.outbox_panel import OutboxPanel
from desktop.ui.printing import print_documents, print_with_preview
from desktop.ui.status import WindowStatusBar
from desktop.ui.sync_worker import SyncController
from desktop.ui.writer import ServiceWriter

log = logging.getLogger("yichuang.ui")

SUPERVISOR_ROLES = ("supervisor", "admin")
ACCEPT_KEYS = ("Ctrl+Return", "Ctrl+Enter")
ACCEPT_TEXT = "受理（Ctrl+Enter）"
SUPPLEMENT_TEXT = "补正受理（Ctrl+Enter）"
BUSY_TEXT = "正在受理并生成文书，请稍候…"


class ResultPanel(QFrame):
    """The last accepted case: number, outcome, date and warnings, kept on screen for the applicant."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultPanel")
        self.case_label = QLabel("", self)
        self.case_label.setObjectName("caseNoLabel")
        self.case_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label = QLabel("", self)
        self.detail_label.setObjectName("resultDetail")
        self.warning_label = QLabel("", self)
        self.warning_label.setObjectName("warningLabel")
        self.warning_label.setWordWrap(True)
        self.rating_hint = QLabel("申请人可对本次服务评价：F11", self)
        self.rating_hint.setObjectName("hintLabel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        top = QHBoxLayout()
        top.addWidget(self.case_label)
        top.addStretch(1)
        top.addWidget(self.detail_label)
        layout.addLayout(top)
        bottom = QHBoxLayout()
        bottom.addWidget(self.warning_label, 1)
        bottom.addWidget(self.rating_hint)
        layout.addLayout(bottom)
        self.hide()

    def show_result(self, result: IntakeResult, matter_name: str) -> None:
        self.case_label.setText(f"上一件　{result.case_no}")
        outcome = OUTCOME_LABELS.get(result.outcome, result.outcome)
        when = "　请按一次性告知单补齐材料" if result.outcome == "notice" else ""
        if result.outcome == "refused":
            when = "　已出具不予受理通知书"
        if result.promised_date:
            when = "" if result.outcome == "completed" else f"　承诺办结日期 {result.promised_date:%Y-%m-%d}"
        elif result.deadline_pending and result.outcome == "accepted":
            when = "　承诺办结日期待定（节假日安排公布后告知）"
        self.detail_label.setText(f"{matter_name}　<b>{outcome}</b>{when}")
        self.warning_label.setText("\n".join(f"⚠ {w}" for w in result.warnings))
        self.warning_label.setVisible(bool(result.warnings))
        self.show()


class MainWindow(QMainWindow):
    """One clerk's session at the window. Calls only `services`; `data_changed(what)` drives refreshes."""

    data_changed = Signal(str)
    intake_finished = Signal(object)  # IntakeResult, or None when nothing was stored

    def __init__(self, services, clerk: Clerk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.matter: Matter | None = None
        self.last_result: IntakeResult | None = None
        self.last_printed: list[str] = []
        self.supplement_record = None  # the CaseRecord reopened for 补正, or None for a new intake
        self.active_dialog: QDialog | None = None
        self.writer = ServiceWriter(services.home, services.clock, self)
        window = services.window()
        self.setWindowTitle(f"一窗 · 综合窗口受理 — {window.centre_name} {window.window_no} 号窗口")

        # left: matter search and guide
        self.matter_panel = MatterPanel(services, self)
        self.matter_panel.matter_chosen.connect(self.choose_matter)

        # centre: result, applicant, materials, buttons
        self.result_panel = ResultPanel(self)
        self.form = ApplicantForm(self)
        self.checklist = MaterialChecklist(self)
        self.checklist.changed.connect(self._update_summary)
        self.checklist.rejected_key.connect(self.set_message)
        self.checklist.gap_default = self._gap_default
        self.detail_editor = MaterialDetailEditor(self.checklist, self)
        self.detail_editor.today = lambda: self.services.clock().date()
        self.checklist.detail_wanted.connect(self.detail_editor.open_for)
        self.detail_editor.done.connect(self._detail_done)
        self.supplement_banner = QLabel("", self)
        self.supplement_banner.setObjectName("supplementBanner")
        self.supplement_banner.setWordWrap(True)
        self.supplement_banner.hide()
        self.result_edit = QLineEdit(self)
        self.result_edit.setObjectName("resultEdit")
        self.result_edit.setPlaceholderText(
            "当场办结事项：填写当场出具的结果，例如“已签注，有效期至 2027-03-09”"
        )
        self.result_label = QLabel("办理结果", self)
        self.result_label.setBuddy(self.result_edit)
        self.matter_title = QLabel("请先在左侧选择办理事项（F2）", self)
        self.matter_title.setObjectName("matterTitle")
        materials_title = QLabel("申请材料（F4）", self)
        materials_title.setObjectName("sectionTitle")
        self.materials_hint = QLabel("空格：纸质收取 ⇄ 缺少（并跳到下一行）　数字 1–6：选择收取情况", self)
        self.materials_hint.setObjectName("hintLabel")
        self.summary_label = QLabel("", self)
        self.summary_label.setObjectName("summaryLabel")
        self.message_label = QLabel("", self)
        self.message_label.setObjectName("messageLine")
        self.message_label.setWordWrap(True)
        self.accept_button = QPushButton(ACCEPT_TEXT, self)
        self.accept_button.setObjectName("acceptButton")
        self.accept_button.clicked.connect(self.accept_intake)
        self.print_button = QPushButton("打印（Ctrl+P）", self)
        self.print_button.setObjectName("printButton")
        self.print_button.setEnabled(False)
        self.print_button.clicked.connect(self.print_last)
        self.clear_button = QPushButton("清空（Ctrl+N）", self)
        self.clear_button.clicked.connect(self.new_intake)
        self.refuse_button = QPushButton("不予受理（F12）", self)
        self.refuse_button.setObjectName("refuseButton")
        self.refuse_button.clicked.connect(self.refuse_intake)
        self.consult_button = QPushButton("咨询登记（F10）", self)
        self.consult_button.clicked.connect(self.open_consultation)
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("busyBar")
        self.busy_bar.setRange(0, 0)  # indeterminate
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(160)
        self.busy_bar.hide()
        self.writer.went_busy.connect(lambda: self.status.set_activity("正在保存…"))
        self.writer.went_idle.connect(lambda: self.status.set_activity(""))

        centre = QWidget(self)
        centre.setObjectName("centrePane")
        col = QVBoxLayout(centre)
        col.setContentsMargins(8, 0, 0, 0)
        col.setSpacing(8)
        col.addWidget(self.result_panel)
        col.addWidget(self.supplement_banner)
        col.addWidget(self.matter_title)
        col.addWidget(self.form)
        head = QHBoxLayout()
        head.addWidget(materials_title)
        head.addStretch(1)
        head.addWidget(self.materials_hint)
        col.addLayout(head)
        col.addWidget(self.checklist, 1)
        col.addWidget(self.detail_editor)
        result_row = QHBoxLayout()
        result_row.addWidget(self.result_label)
        result_row.addWidget(self.result_edit, 1)
        col.addLayout(result_row)
        self.keys_hint = QLabel("Ctrl+L 办件查询　F6 补正　F7 材料流转　F8 结果送达　F11 好差评　Ctrl+R 补打", self)
        self.keys_hint.setObjectName("hintLabel")
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.summary_label, 1)
        summary_row.addWidget(self.keys_hint)
        col.addLayout(summary_row)
        col.addWidget(self.message_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.consult_button)
        buttons.addStretch(1)
        buttons.addWidget(self.busy_bar)
        buttons.addWidget(self.refuse_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.accept_button)
        col.addLayout(buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.matter_panel)
        splitter.addWidget(centre)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([400, 1000])
        splitter.setChildrenCollapsible(False)
        outer = QWidget(self)
        outer_layout = QVBoxLayout(outer)
        outer_layout.setContentsMargins(10, 8, 10, 4)
        outer_layout.addWidget(splitter)
        self.setCentralWidget(outer)

        # bottom: the upload queue
        self.outbox_panel = OutboxPanel(services, self)
        self.outbox_dock = QDockWidget("上传队列（F9）", self)
        self.outbox_dock.setObjectName("outboxDock")
        self.outbox_dock.setWidget(self.outbox_panel)
        self.outbox_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.outbox_dock)
        self.outbox_dock.hide()

        self.status = WindowStatusBar(services, clerk, self)
        self.setStatusBar(self.status)
        self.data_changed.connect(self.outbox_panel.refresh)
        self.data_changed.connect(self.status.refresh)

        self.sync = SyncController(services.home, lambda: bool(self.services.setting("central_url")), self)
        self.sync.round_started.connect(lambda: self.status.set_activity("正在同步…"))
        self.sync.round_finished.connect(self._sync_finished)
        self.status_timer = QTimer(self)
        self.status_timer.timeout.connect(self.status.refresh)
        self.status_timer.start(30_000)

        self._build_menus()
        self._set_tab_order()
        self.resize(1440, 900)
        self._show_result_field(False)
        self._update_summary()
        self.matter_panel.search_edit.setFocus()

    # ----- menus and keys
    def _action(self, text: str, slot, keys: tuple[str, ...] | str | None = None) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in ((keys,) if isinstance(keys, str) else keys)])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        case_menu = bar.addMenu("办件(&C)")
        self.accept_action = self._action("受理", self.accept_intake, ACCEPT_KEYS)
        self.print_action = self._action("打印本件文书", self.print_last, "Ctrl+P")
        self.print_action.setEnabled(False)
        self.new_action = self._action("清空，接待下一位", self.new_intake, "Ctrl+N")
        self.refuse_action = self._action("不予受理…", self.refuse_intake, "F12")
        case_menu.addActions([self.accept_action, self.refuse_action, self.print_action, self.new_action])
        case_menu.addSeparator()
        case_menu.addAction(self._action("搜索事项", self.focus_search, ("F2", "Ctrl+F")))
        case_menu.addAction(self._action("填写申请人", self.focus_applicant, "F3"))
        case_menu.addAction(self._action("勾选材料", self.focus_materials, "F4"))
        case_menu.addSeparator()
        self.supplement_action = self._action("补正材料（扫描告知单）…", self.open_supplement, "F6")
        self.transfer_action = self._action("材料流转…", self.open_transfers, "F7")
        self.handover_action = self._action("结果送达…", self.open_handover, "F8")
        self.consult_action = self._action("咨询登记（首问负责）…", self.open_consultation, "F10")
        self.rating_action = self._action("好差评…", self.open_rating, "F11")
        self.reprint_action = self._action("补打文书…", self.open_reprint, "Ctrl+R")
        self.attach_action = self._action("附加扫描件…", self.open_attach, "Ctrl+U")
        self.lookup_action = self._action("办件查询…", self.open_lookup, "Ctrl+L")
        case_menu.addActions(
            [
                self.supplement_action,
                self.transfer_action,
                self.handover_action,
                self.consult_action,
                self.rating_action,
                self.reprint_action,
                self.attach_action,
                self.lookup_action,
            ]
        )
        case_menu.addSeparator()
        case_menu.addAction(self._action("退出", self.close, "Ctrl+Q"))

        sync_menu = bar.addMenu("同步(&S)")
        self.sync_action = self._action("立即同步", self.sync_now, "F5")
        sync_menu.addAction(self.sync_action)
        outbox_toggle = self.outbox_dock.toggleViewAction()
        outbox_toggle.setText("上传队列")
        outbox_toggle.setShortcut(QKeySequence("F9"))
        sync_menu.addAction(outbox_toggle)
        sync_menu.addSeparator()
        sync_menu.addAction(self._action("设置…", self.open_settings))

        self.supervisor_menu = bar.addMenu("值班长(&Z)")
        self.daily_action = self._action("打印当日统计", self.print_daily_report)
        self.rejected_action = self._action("异常件（上传被拒）…", self.open_rejected)
        self.ratings_action = self._action("当日评价…", self.open_daily_ratings)
        self.calendar_action = self._action("节假日日历…", self.open_calendar)
        self.supervisor_menu.addActions([self.daily_action, self.rejected_action, self.ratings_action])
        self.supervisor_menu.addSeparator()
        self.supervisor_menu.addAction(self.calendar_action)
        allowed = self.clerk.role in SUPERVISOR_ROLES
        self.supervisor_menu.setEnabled(allowed)
        for action in (self.daily_action, self.rejected_action, self.ratings_action, self.calendar_action):
            action.setEnabled(allowed)
        if not allowed:
            self.supervisor_menu.setToolTip("仅值班长可用")

    def _set_tab_order(self) -> None:
        chain = [
            self.matter_panel.search_edit,
            self.matter_panel.results,
            *self.form.focus_chain(),
            self.checklist,
            self.result_edit,
            self.accept_button,
            self.refuse_button,
            self.print_button,
            self.clear_button,
            self.consult_button,
        ]
        for a, b in pairwise(chain):
            QWidget.setTabOrder(a, b)

    def focus_search(self) -> None:
        self.matter_panel.search_edit.setFocus()
        self.matter_panel.search_edit.selectAll()

    def focus_applicant(self) -> None:
        self.form.first_field().setFocus()

    def focus_materials(self) -> None:
        self.checklist.setFocus()
        if self.checklist.rowCount() and self.checklist.currentRow() < 0:
            self.checklist.setCurrentCell(0, 0)

    # ----- the intake
    def choose_matter(self, matter: Matter) -> None:
        self.matter = matter
        self.matter_title.setText(f"{matter.name}　<span style='color:#555'>{matter.code}</span>")
        if self.supplement_record is not None:
            self._leave_supplement()
        self.form.set_allowed_kinds(matter.applicant_kinds)
        self.checklist.set_matter(matter)
        self._show_result_field(matter.on_the_spot)
        self.form.clear_errors()
        self.set_message("")
        self.focus_applicant()

    def _update_summary(self) -> None:
        if self.matter is None:
            self.summary_label.setText("")
            return
        got, total = self.checklist.required_counts()
        text = f"必需材料已收 {got}/{total} 项"
        if got < total:
            text += (
                "　→ 将出具《一次性告知单》" if self.supplement_record else "　→ 受理时将出具《一次性告知单》"
            )
        elif self.matter.on_the_spot:
            text += "　→ 当场办结"
        else:
            text += "　→ 受理"
        gaps = sum(1 for r in range(self.checklist.rowCount()) if self.checklist.state(r) == "gap")
        if gaps and got == total:
            text += f"（容缺 {gaps} 项，另打印《容缺受理承诺书》）"
        self.summary_label.setText(text)

    def set_message(self, text: str, kind: str = "error") -> None:
        self.message_label.setText(text)
        self.message_label.setProperty("kind", kind)
        self.message_label.style().unpolish(self.message_label)
        self.message_label.style().polish(self.message_label)

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
        """Ask a supervisor to authorise (tests replace this); None when refused or dialogs are off."""
        if no_dialogs():
            return None
        from desktop.ui.override_dialog import OverrideDialog

        dialog = OverrideDialog(self.services, problem, self)
        return dialog.override if dialog.exec() else None

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
        from desktop.ui.refusal_dialog import RefusalDialog

        dialog = RefusalDialog(self.matter.name, self)
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
        return self.writer.submit(
            "accept_application",
            lambda result, error: self._intake_done(intake, result, error),
            intake=intake,
            clerk=self.clerk,
        )

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
            elif isinstance(error, YichuangError):
                self.show_input_error(error)
            else:
                self.set_message(message_of(error))
            self.intake_finished.emit(None)
            return
        self._accepted(result)
        self.intake_finished.emit(result)

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
        self.data_changed.emit("cases")
        self.new_intake(keep_message=True)
        self.print_last()
        self.focus_search()

    def _gap_default(self) -> date:
        """容缺: the promised supply date offered by default, 5 working days from today."""
        today = self.services.clock().date()
        try:
            return self.services.add_workdays(start=today, days=GAP_DEFAULT_DAYS)
        except YichuangError:
            return today + timedelta(days=GAP_DEFAULT_DAYS)

    def _detail_done(self) -> None:
        """Enter in the detail editor: back to the checklist, on the next row."""
        row = self.checklist.currentRow()
        self.checklist.setFocus()
        if 0 <= row < self.checklist.rowCount() - 1:
            self.checklist.setCurrentCell(row + 1, 0)

    def _show_result_field(self, on: bool) -> None:
        self.result_label.setVisible(on)
        self.result_edit.setVisible(on)

    # ----- 补正: the applicant returns with what the one-time notice listed
    def open_supplement(self) -> None:
        if self.intake_busy:
            return
        from desktop.ui.supplement_dialog import SupplementLookupDialog

        dialog = SupplementLookupDialog(self.services, self)
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
        return self.writer.submit(
            "supplement_case",
            self._supplement_done,
            case_no=record.case_no,
            materials=self.checklist.materials_json(),
            clerk=self.clerk,
        )

    def _supplement_done(self, result: IntakeResult | None, error) -> None:
        self._set_busy(False)
        if error is not None:
            if isinstance(error, YichuangError):
                self.show_input_error(error)
            else:
                self.set_message(message_of(error))
            self.intake_finished.emit(None)
            return
        self._accepted(result)
        self.intake_finished.emit(result)

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

    # ----- sync
    def sync_now(self) -> None:
        if not self.sync.sync_now():
            self.status.set_activity("同步正在进行中…")

    def _sync_finished(self, result, error: str) -> None:
        if error:
            self.status.set_activity(f"同步未完成：{error}")
        elif result is not None:
            self.status.set_activity(
                f"同步完成：上传 {result.pushed} 条，下载 {result.pulled} 条"
                + (f"，拒收 {result.rejected} 条" if result.rejected else "")
            )
        self.data_changed.emit("sync")

    # ----- dialogs
    def open_settings(self) -> None:
        from desktop.ui.settings_dialog import SettingsDialog

        SettingsDialog(self.services, self).exec()
        self.data_changed.emit("settings")

    def _open(self, dialog: QDialog) -> QDialog:
        """Show a workflow dialog window-modally without blocking (tests drive it through `active_dialog`)."""
        if self.active_dialog is not None and self.active_dialog is not dialog:
            self.active_dialog.deleteLater()
        self.active_dialog = dialog
        dialog.open()
        return dialog

    def open_reprint(self) -> None:
        """补打 (Ctrl+R): a clerk reprints his own cases, a supervisor any case of the window."""
        from desktop.ui.reprint_dialog import ReprintDialog

        dialog = ReprintDialog(self.services, self.clerk, self, writer=self.writer)

        def reprinted() -> None:
            if dialog.document is not None:
                self.set_message(f"已补打：{dialog.document.path}", "ok")
                print_with_preview(self, dialog.document.path)
                self.data_changed.emit("documents")

        dialog.accepted.connect(reprinted)
        self._open(dialog)

    def open_attach(self) -> None:
        """附加扫描件 (Ctrl+U): a scanned material for the last case, or a case typed or scanned."""
        from desktop.ui.attach_dialog import AttachDialog

        last = self.last_result.case_no if self.last_result is not None else ""
        dialog = AttachDialog(self.services, self.clerk, self, writer=self.writer, case_no=last)

        def attached() -> None:
            if dialog.attachment is not None:
                self.set_message(f"扫描件已附在办件 {dialog.attachment.case_no} 下，待上传", "ok")
                self.data_changed.emit("outbox")

        dialog.accepted.connect(attached)
        self._open(dialog)

    def open_lookup(self, case_no: str | None = None) -> None:
        """办件查询 (Ctrl+L): progress of a case for an applicant who asks; 值班长 also manage its clock."""
        from desktop.ui.lookup_dialog import LookupDialog

        dialog = LookupDialog(self.services, self.clerk, self, writer=self.writer, case_no=case_no or "")

        def changed(no: str) -> None:
            self.set_message(f"办件 {no} 的办理时限已更新", "ok")
            self.data_changed.emit("cases")

        dialog.changed.connect(changed)
        self._open(dialog)

    def open_calendar(self) -> None:
        """值班长: the holiday calendar, and importing next year's arrangement."""
        from desktop.ui.calendar_dialog import CalendarDialog

        if self.clerk.role not in SUPERVISOR_ROLES:
            return
        dialog = CalendarDialog(self.services, self.clerk, self, writer=self.writer)

        def imported(years) -> None:
            self.status.check_calendar(years)
            self.data_changed.emit("calendar")

        dialog.imported.connect(imported)
        self._open(dialog)

    def open_transfers(self) -> None:
        """材料流转 (F7)."""
        from desktop.ui.transfer_dialog import TransferDialog

        dialog = TransferDialog(self.services, self.clerk, self.writer, self)
        dialog.changed.connect(lambda: self.data_changed.emit("transfers"))
        self._open(dialog)

    def open_handover(self) -> None:
        """结果送达 (F8), then the applicant is invited to rate."""
        from desktop.ui.handover_dialog import HandoverDialog

        dialog = HandoverDialog(self.services, self.clerk, self.writer, self)

        def handed_over(case_no: str) -> None:
            self.set_message(f"办件 {case_no} 的结果已送达，请申请人在送达回执上签字", "ok")
            self.data_changed.emit("cases")
            receipts = [d for d in self.services.documents(case_no=case_no) if d.kind == "delivery_receipt"]
            if receipts:
                print_with_preview(self, receipts[-1].path)
            QTimer.singleShot(0, lambda: self.open_rating(case_no))

        dialog.handed_over.connect(handed_over)
        self._open(dialog)

    def open_rating(self, case_no: str | None = None) -> None:
        """好差评 (F11): for the given case, or the last case taken at this window."""
        from desktop.ui.rating_dialog import RatingDialog

        if case_no is None and self.last_result is not None:
            case_no = self.last_result.case_no
        dialog = RatingDialog(self.services, case_no or "", self.writer, self)

        def rated(record) -> None:
            self.set_message(f"已记录评价：{record.case_no} {record.level}", "ok")
            self.data_changed.emit("ratings")

        dialog.rated.connect(rated)
        self._open(dialog)

    def open_consultation(self) -> None:
        """咨询登记 (F10): 首问负责, the current matter filled in if one is chosen."""
        from desktop.ui.consultation_dialog import ConsultationDialog

        dialog = ConsultationDialog(self.services, self.clerk, self.writer, self.matter, self)

        def recorded(record) -> None:
            self.set_message(f"已登记咨询：{record.asker_name}（首问责任人 {record.answered_by}）", "ok")
            self.data_changed.emit("consultations")

        dialog.recorded.connect(recorded)
        self._open(dialog)

    def open_rejected(self) -> None:
        """值班长: the dead-letter list of operations the centre rejected."""
        from desktop.ui.rejected_ops_dialog import RejectedOpsDialog

        if self.clerk.role not in SUPERVISOR_ROLES:
            return
        dialog = RejectedOpsDialog(self.services, self.clerk, self.writer, self)
        dialog.changed.connect(lambda: self.data_changed.emit("outbox"))
        self._open(dialog)

    def open_daily_ratings(self) -> None:
        from desktop.ui.ratings_dialog import DailyRatingsDialog

        if self.clerk.role not in SUPERVISOR_ROLES:
            return
        self._open(DailyRatingsDialog(self.services, self))

    def print_daily_report(self) -> str | None:
        """Supervisor: today's statistics as a PDF, then preview/print it. Returns the PDF path."""
        day = self.services.clock().date()
        out = self.services.home / "reports" / f"daily-{day:%Y%m%d}.pdf"
        try:
            path = self.services.print_daily_report(day=day, out=out)
        except YichuangError as e:
            show_error(self, e)
            return None
        self.status.set_activity(f"当日统计已生成：{path}")
        print_with_preview(self, path)
        return str(path)

    # ----- lifecycle
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.sync.timer.isActive() and not self.sync.running:
            self.sync.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.writer.close()
        self.sync.stop()
        self.status_timer.stop()
        self.sync.pool.waitForDone(3000)
        super().closeEvent(event)
