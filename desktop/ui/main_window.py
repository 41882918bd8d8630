"""The intake window: matter search and guide on the left, applicant form and material checklist in the centre."""

from __future__ import annotations

import logging
from itertools import pairwise
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.core.errors import YichuangError
from desktop.core.types import OUTCOME_LABELS, Clerk, IntakeResult, Matter
from desktop.ui.applicant_form import ApplicantForm
from desktop.ui.feedback import message_of, no_dialogs, show_error
from desktop.ui.material_checklist import MaterialChecklist
from desktop.ui.matter_panel import MatterPanel
from desktop.ui.outbox_panel import OutboxPanel
from desktop.ui.printing import print_documents, print_with_preview
from desktop.ui.status import WindowStatusBar
from desktop.ui.sync_worker import SyncController

log = logging.getLogger("yichuang.ui")

SUPERVISOR_ROLES = ("supervisor", "admin")
ACCEPT_KEYS = ("Ctrl+Return", "Ctrl+Enter")


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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        top = QHBoxLayout()
        top.addWidget(self.case_label)
        top.addStretch(1)
        top.addWidget(self.detail_label)
        layout.addLayout(top)
        layout.addWidget(self.warning_label)
        self.hide()

    def show_result(self, result: IntakeResult, matter_name: str) -> None:
        self.case_label.setText(f"上一件　{result.case_no}")
        outcome = OUTCOME_LABELS.get(result.outcome, result.outcome)
        when = "　请按一次性告知单补齐材料" if result.outcome == "notice" else ""
        if result.promised_date:
            when = "" if result.outcome == "completed" else f"　承诺办结日期 {result.promised_date:%Y-%m-%d}"
        self.detail_label.setText(f"{matter_name}　<b>{outcome}</b>{when}")
        self.warning_label.setText("\n".join(f"⚠ {w}" for w in result.warnings))
        self.warning_label.setVisible(bool(result.warnings))
        self.show()


class MainWindow(QMainWindow):
    """One clerk's session at the window. Calls only `services`; `data_changed(what)` drives refreshes."""

    data_changed = Signal(str)

    def __init__(self, services, clerk: Clerk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.matter: Matter | None = None
        self.last_result: IntakeResult | None = None
        self.last_printed: list[str] = []
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
        self.accept_button = QPushButton("受理（Ctrl+Enter）", self)
        self.accept_button.setObjectName("acceptButton")
        self.accept_button.clicked.connect(self.accept_intake)
        self.print_button = QPushButton("打印（Ctrl+P）", self)
        self.print_button.setObjectName("printButton")
        self.print_button.setEnabled(False)
        self.print_button.clicked.connect(self.print_last)
        self.clear_button = QPushButton("清空（Ctrl+N）", self)
        self.clear_button.clicked.connect(self.new_intake)

        centre = QWidget(self)
        centre.setObjectName("centrePane")
        col = QVBoxLayout(centre)
        col.setContentsMargins(8, 0, 0, 0)
        col.setSpacing(8)
        col.addWidget(self.result_panel)
        col.addWidget(self.matter_title)
        col.addWidget(self.form)
        head = QHBoxLayout()
        head.addWidget(materials_title)
        head.addStretch(1)
        head.addWidget(self.materials_hint)
        col.addLayout(head)
        col.addWidget(self.checklist, 1)
        col.addWidget(self.summary_label)
        col.addWidget(self.message_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
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
        case_menu.addActions([self.accept_action, self.print_action, self.new_action])
        case_menu.addSeparator()
        case_menu.addAction(self._action("搜索事项", self.focus_search, ("F2", "Ctrl+F")))
        case_menu.addAction(self._action("填写申请人", self.focus_applicant, "F3"))
        case_menu.addAction(self._action("勾选材料", self.focus_materials, "F4"))
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
        self.reprint_action = self._action("补打文书…", self.open_reprint, "Ctrl+R")
        self.supervisor_menu.addActions([self.daily_action, self.reprint_action])
        allowed = self.clerk.role in SUPERVISOR_ROLES
        self.supervisor_menu.setEnabled(allowed)
        self.daily_action.setEnabled(allowed)
        self.reprint_action.setEnabled(allowed)
        if not allowed:
            self.supervisor_menu.setToolTip("仅值班长可用")

    def _set_tab_order(self) -> None:
        chain = [
            self.matter_panel.search_edit,
            self.matter_panel.results,
            *self.form.focus_chain(),
            self.checklist,
            self.accept_button,
            self.print_button,
            self.clear_button,
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
        self.form.set_allowed_kinds(matter.applicant_kinds)
        self.checklist.set_matter(matter)
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
            text += "　→ 受理时将出具《一次性告知单》"
        elif self.matter.on_the_spot:
            text += "　→ 当场办结"
        else:
            text += "　→ 受理"
        self.summary_label.setText(text)

    def set_message(self, text: str, kind: str = "error") -> None:
        self.message_label.setText(text)
        self.message_label.setProperty("kind", kind)
        self.message_label.style().unpolish(self.message_label)
        self.message_label.style().polish(self.message_label)

    def build_intake(self) -> dict[str, Any]:
        """The intake object (desktop.core.intake format) from what is on screen."""
        intake: dict[str, Any] = {"matter": self.matter.code if self.matter else ""}
        intake.update(self.form.intake_part())
        intake["materials"] = self.checklist.materials_json()
        return intake

    def show_input_error(self, error: YichuangError) -> None:
        """Put the message next to the field it names and in the message line; focus that field."""
        self.set_message(error.message)
        field = error.field or ""
        if field == "matter":
            self.focus_search()
            return
        if field.startswith("materials."):
            row = self.checklist.row_of(field.split(".")[1])
            if row >= 0:
                self.checklist.setCurrentCell(row, 0)
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

    def accept_intake(self, overrides: dict | None = None) -> IntakeResult | None:
        """受理: check, then store and print. Nothing is stored when the check fails."""
        self.form.clear_errors()
        self.set_message("")
        if self.matter is None:
            self.set_message("请先选择办理事项")
            self.focus_search()
            return None
        intake = self.build_intake()
        if overrides:
            intake["overrides"] = overrides
        try:
            self.services.check_application(intake=intake)
            result = self.services.accept_application(intake=intake, clerk=self.clerk)
        except YichuangError as e:
            if e.code == "E_USCC_CHECK" and e.overridable and not overrides:
                self.show_input_error(e)
                granted = self.ask_override(e.message)
                if granted:
                    return self.accept_intake({"uscc_check": granted})
                return None
            self.show_input_error(e)
            return None
        except Exception as e:
            log.exception("accept failed")
            self.set_message(message_of(e))
            return None
        self._accepted(result)
        return result

    def _accepted(self, result: IntakeResult) -> None:
        self.last_result = result
        self.result_panel.show_result(result, self.matter.name if self.matter else "")
        self.print_button.setEnabled(True)
        self.print_action.setEnabled(True)
        self.set_message(f"已受理：{result.case_no}，正在打印文书", "ok")
        self.data_changed.emit("cases")
        self.new_intake(keep_message=True)
        self.print_last()
        self.focus_search()

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
        self.matter = None
        self.form.clear()
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

    def open_reprint(self) -> None:
        from desktop.ui.reprint_dialog import ReprintDialog

        if no_dialogs():
            return
        dialog = ReprintDialog(self.services, self.clerk, self)
        if dialog.exec() and dialog.document is not None:
            print_with_preview(self, dialog.document.path)
            self.data_changed.emit("documents")

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
        self.sync.stop()
        self.status_timer.stop()
        self.sync.pool.waitForDone(3000)
        super().closeEvent(event)
