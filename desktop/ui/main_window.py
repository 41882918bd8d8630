"""The frame of a clerk's session: the intake view in the centre, the upload-queue dock, the status bar, menus.

Menus and shortcuts come from one table (desktop.ui.actions) with the permission each needs
(desktop.core.roles). The intake itself lives in desktop.ui.intake; the dialogs open from here.
Every write runs on the single writer thread (desktop.ui.tasks.DbOp) and windows refresh on `data_changed`.
"""

from __future__ import annotations

import logging

from desktop.core import roles
from desktop.core.memory import release_memory
from desktop.core.types import Clerk, IntakeResult, Matter
from desktop.ui.actions import ACTIONS, MENUS
from desktop.ui.dialogs.lease import CaseLease
from desktop.ui.feedback import presenter, print_with_preview, show_error
from desktop.ui.intake.applicant_feed import ApplicantScreenFeed
from desktop.ui.intake.controller import IntakeController
from desktop.ui.intake.idcard import IdCardIntake
from desktop.ui.intake.view import IntakeView
from desktop.ui.outbox_panel import OutboxPanel
from desktop.ui.qt import (
    QAction,
    QCloseEvent,
    QDialog,
    QDockWidget,
    QKeySequence,
    QMainWindow,
    Qt,
    QTimer,
    QWidget,
    Signal,
)
from desktop.ui.scan_watch import ScanFolderIntake
from desktop.ui.status import WindowStatusBar
from desktop.ui.sync_worker import SyncController
from desktop.ui.tasks import DbOp, QueryOp, bus, writer_for

log = logging.getLogger("yichuang.ui")


class MainWindow(IntakeView, IntakeController, IdCardIntake, ApplicantScreenFeed, ScanFolderIntake, QMainWindow):
    """One clerk's session at the window. Calls only `services`; `data_changed(what)` drives refreshes."""

    data_changed = Signal(str)
    intake_finished = Signal(object)  # IntakeResult, or None when nothing was stored
    daily_report_ready = Signal(str)  # the daily report's PDF path
    start_of_day_checked = Signal(object)  # the worklist offered at the day's first login, or None

    def __init__(self, services, clerk: Clerk, parent: QWidget | None = None, *, start_of_day: bool = False) -> None:
        """`start_of_day`: this window opens right after a login (the program's start, not a test's frame):
        the first login of the day on this window opens the 待办清单 when something is due."""
        super().__init__(parent)
        self._start_of_day = start_of_day
        self.services = services
        self.clerk = clerk
        self.matter: Matter | None = None
        self.last_result: IntakeResult | None = None
        self.last_printed: list[str] = []
        self.supplement_record = None  # the CaseRecord reopened for 补正, or None for a new intake
        self.active_dialog: QDialog | None = None
        self.writer = writer_for(services)
        self.case_lease = CaseLease(self)  # the lease of a case continued in the intake view (补正)
        window = services.window()
        self.setWindowTitle(f"一窗 · 综合窗口受理 — {window.centre_name} {window.window_no} 号窗口")
        self._build_intake_view()
        self.writer.went_busy.connect(self._writer_busy)
        self.writer.went_idle.connect(self._writer_idle)
        bus().data_changed.connect(self.data_changed)

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
        self.start_idcard_reader()
        self.start_applicant_screen()
        self.start_scan_folder()
        # Start-up leaves megabytes of freed objects (login, catalogue index, widgets) that glibc keeps
        # resident: hand them back once the event loop turns (issue 13, a lighter client).
        QTimer.singleShot(0, release_memory)

    # ----- menus and keys
    def _writer_busy(self) -> None:
        self.status.set_activity("正在保存…")

    def _writer_idle(self) -> None:
        self.status.set_activity("")

    def can(self, permission: str) -> bool:
        """May the clerk of this session do `permission`? (desktop.core.roles decides.)"""
        return roles.can(self.clerk, permission)

    def _build_menus(self) -> None:
        """Menus, shortcuts and `<name>_action` attributes from desktop.ui.actions.ACTIONS."""
        bar = self.menuBar()
        menus = {key: bar.addMenu(text) for key, text in MENUS.items()}
        for spec in ACTIONS:
            action = QAction(spec.text, self)
            if spec.keys:
                action.setShortcuts([QKeySequence(k) for k in spec.keys])
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            handler = getattr(self, spec.handler)
            action.triggered.connect(lambda _checked=False, h=handler: h())
            if spec.permission is not None and not self.can(spec.permission):
                action.setEnabled(False)
            self.addAction(action)
            setattr(self, f"{spec.name}_action", action)
            if spec.separator_before:
                menus[spec.menu].addSeparator()
            menus[spec.menu].addAction(action)
            if spec.name == "sync":
                outbox_toggle = self.outbox_dock.toggleViewAction()
                outbox_toggle.setText("上传队列")
                outbox_toggle.setShortcut(QKeySequence("F9"))
                menus["sync"].addAction(outbox_toggle)
        self.print_action.setEnabled(False)
        self.supervisor_menu = menus["supervisor"]
        if not any(a.isEnabled() for a in self.supervisor_menu.actions() if not a.isSeparator()):
            self.supervisor_menu.setEnabled(False)
            self.supervisor_menu.setToolTip("仅值班长可用")

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
        if result is not None and result.pulled:
            self.check_catalogue()

    # ----- dialogs
    catalogue_dialog = None

    def check_catalogue(self) -> int:
        """目录更新: the clerk sees what a new catalogue version changed until he acknowledges it."""
        from desktop.ui.dialogs.catalogue_changes import check_catalogue_changes

        return check_catalogue_changes(self)

    def open_settings(self) -> None:
        from desktop.ui.dialogs.settings import SettingsDialog

        presenter().exec(SettingsDialog(self, self.services, self.clerk))
        self.data_changed.emit("settings")

    def open_doctor(self) -> None:
        """帮助 → 自检: the checks of `yichuang doctor`, with 复制 for a support call."""
        from desktop.ui.dialogs.doctor import DoctorDialog

        self._open(DoctorDialog(self, self.services))

    def _open(self, dialog: QDialog) -> QDialog:
        """Show a workflow dialog window-modally without blocking (tests drive it through `active_dialog`)."""
        if self.active_dialog is not None and self.active_dialog is not dialog:
            self.active_dialog.deleteLater()
        self.active_dialog = dialog
        dialog.finished.connect(lambda _result: self.activateWindow())  # the keyboard comes back here
        dialog.open()
        return dialog

    def open_reprint(self) -> None:
        """补打 (Ctrl+R): a clerk reprints his own cases, a supervisor any case of the window."""
        from desktop.ui.dialogs.reprint import ReprintDialog

        dialog = ReprintDialog(self, self.services, self.clerk)

        def reprinted() -> None:
            if dialog.document is not None:
                self.set_message(f"已补打：{dialog.document.path}", "ok")
                print_with_preview(self, dialog.document.path)
                self.data_changed.emit("documents")

        dialog.accepted.connect(reprinted)
        self._open(dialog)

    def open_attach(self, case_no: str | None = None, file: str = "") -> QDialog:
        """附加扫描件 (Ctrl+U): a scanned material for the current case, or a case typed or scanned; `file`: a
        scan from the watched folder."""
        from desktop.ui.dialogs.attach import AttachDialog

        dialog = AttachDialog(self, self.services, self.clerk, case_no=self.current_case_no() if case_no is None
                              else case_no)
        if file:
            dialog.file_edit.setText(file)

        def attached() -> None:
            if dialog.attachment is not None:
                self.set_message(f"扫描件已附在办件 {dialog.attachment.case_no} 下，待上传", "ok")
                self.data_changed.emit("outbox")

        dialog.accepted.connect(attached)
        return self._open(dialog)

    def open_prereview(self, text: str = "") -> QDialog | None:
        """网上预审件受理 (Ctrl+Shift+W): find a pre-reviewed online application by number or ID card (typed or
        placed on the reader), check the originals, accept it with Ctrl+Enter; its documents are printed."""
        from desktop.ui.dialogs.prereview import PrereviewDialog

        if self.intake_busy or not self.can("intake"):
            return None
        dialog = PrereviewDialog(self, self.services, self.clerk, text=text)

        def taken(result) -> None:
            self.last_result = result
            self.result_panel.show_result(result, dialog.detail_matter_name())
            self.print_button.setEnabled(True)
            self.print_action.setEnabled(True)
            self.set_message(f"已受理网上预审件：{result.case_no}，正在打印文书", "ok")
            self.print_last()
            self.data_changed.emit("cases")

        dialog.taken.connect(taken)
        return self._open(dialog)

    def open_lookup(self, case_no: str | None = None) -> None:
        """办件查询 (Ctrl+L): find a case of the centre (number, ID, name, phone) and continue it under its
        lease; 值班长 also manage its clock."""
        from desktop.ui.dialogs.lookup import LookupDialog

        dialog = LookupDialog(self, self.services, self.clerk, case_no=case_no or "")

        def changed(no: str) -> None:
            self.set_message(f"办件 {no} 已更新", "ok")
            self.data_changed.emit("cases")

        def supplement(record, leased: str) -> None:  # 补正 goes on in the intake view, under the lease
            self.load_supplement(record)
            self.case_lease.adopt(leased, self.clerk)

        dialog.changed.connect(changed)
        dialog.note.connect(self.status.set_activity)
        dialog.supplement_requested.connect(supplement)
        self._open(dialog)

    def _leave_supplement(self) -> None:
        """A 补正 ends (done or given up): the case's lease, if this window holds it, goes back to the centre."""
        super()._leave_supplement()
        self.case_lease.release()

    def open_calendar(self) -> None:
        """值班长: the holiday calendar, and importing next year's arrangement."""
        from desktop.ui.dialogs.calendar import CalendarDialog

        if not self.can("calendar_import"):
            return
        dialog = CalendarDialog(self, self.services, self.clerk)

        def imported(years) -> None:
            self.status.check_calendar(years)
            self.data_changed.emit("calendar")

        dialog.imported.connect(imported)
        self._open(dialog)

    def open_transfers(self) -> None:
        """材料流转 (F7)."""
        from desktop.ui.dialogs.transfer import TransferDialog

        dialog = TransferDialog(self, self.services, self.clerk)
        dialog.changed.connect(lambda: self.data_changed.emit("transfers"))
        self._open(dialog)

    def open_handover(self) -> None:
        """结果送达 (F8), then the applicant is invited to rate."""
        from desktop.ui.dialogs.handover import HandoverDialog

        dialog = HandoverDialog(self, self.services, self.clerk)

        def handed_over(case_no: str) -> None:
            self.set_message(f"办件 {case_no} 的结果已送达，请申请人在送达回执上签字", "ok")
            self.data_changed.emit("cases")

            def print_receipt(documents) -> None:
                receipts = [d for d in documents if d.kind == "delivery_receipt"]
                if receipts:
                    print_with_preview(self, receipts[-1].path)
                QTimer.singleShot(0, lambda: self.invite_rating(case_no, "handover"))

            QueryOp(self, lambda svc: svc.documents(case_no=case_no)).success(print_receipt).run()

        dialog.handed_over.connect(handed_over)
        self._open(dialog)

    def open_rating(self, case_no: str | None = None) -> None:
        """好差评 (F11), the clerk's fallback when the applicant's screen cannot be used (recorded as such): for the
        given case, or the last case taken at this window."""
        from desktop.ui.dialogs.rating import RatingDialog

        if case_no is None and self.last_result is not None:
            case_no = self.last_result.case_no
        dialog = RatingDialog(self, self.services, self.clerk, case_no or "")

        def rated(record) -> None:
            self.set_message(f"已记录评价：{record.case_no} {record.level}", "ok")
            self.data_changed.emit("ratings")

        dialog.rated.connect(rated)
        self._open(dialog)

    def open_consultation(self) -> None:
        """咨询登记 (F10): 首问负责, the current matter filled in if one is chosen."""
        from desktop.ui.dialogs.consultation import ConsultationDialog

        dialog = ConsultationDialog(self, self.services, self.clerk, self.matter)

        def recorded(record) -> None:
            self.set_message(f"已登记咨询：{record.asker_name}（首问责任人 {record.answered_by}）", "ok")
            self.data_changed.emit("consultations")

        dialog.recorded.connect(recorded)
        self._open(dialog)

    def open_rejected(self) -> None:
        """值班长: the dead-letter list of operations the centre rejected."""
        from desktop.ui.dialogs.rejected_ops import RejectedOpsDialog

        if not self.can("deadletter_resolve"):
            return
        dialog = RejectedOpsDialog(self, self.services, self.clerk)
        dialog.changed.connect(lambda: self.data_changed.emit("outbox"))
        self._open(dialog)

    def worklist_scope(self) -> str:
        """The 值班长 watches the whole centre; a clerk his own window (the dialog switches either way)."""
        return "centre" if self.can("report_print") else "window"

    def open_worklist(self, items=None) -> None:
        """待办清单 (Ctrl+D): what is due at this window or the centre, and the documents owed to print."""
        from desktop.ui.dialogs.worklist import WorklistDialog

        self._open(WorklistDialog(self, self.services, self.clerk, scope=self.worklist_scope(), items=items))

    def check_start_of_day(self) -> int:
        """The first login of the day on this window is shown the 待办清单 when it is not empty; later logins
        are not. Runs on the writer thread; `start_of_day_checked(items or None)` tells when it is done."""
        clerk, scope = self.clerk, self.worklist_scope()

        def checked(items) -> None:
            if items:
                self.open_worklist(items)
            self.start_of_day_checked.emit(items)

        def failed(error) -> None:  # the day's work goes on; the list is one Ctrl+D away
            log.warning("start-of-day worklist failed: %s", error)
            self.set_message("待办清单未能读取，可按 Ctrl+D 重试", "error")
            self.start_of_day_checked.emit(None)

        return DbOp(self, lambda svc: svc.start_of_day_worklist(clerk=clerk, scope=scope)).success(
            checked).failure(failed).run()

    def open_statistics(self) -> None:
        """统计报表 (Ctrl+T, a supervisor): any period, this window or the centre, exported or printed."""
        from desktop.ui.dialogs.statistics import StatisticsDialog

        if not self.can("report_print"):
            return
        self._open(StatisticsDialog(self, self.services, self.clerk))

    def open_daily_ratings(self) -> None:
        from desktop.ui.dialogs.ratings import DailyRatingsDialog

        if not self.can("report_print"):
            return
        self._open(DailyRatingsDialog(self, self.services, self.clerk))

    def print_daily_report(self) -> int | None:
        """值班长: today's statistics as a PDF, rendered on the writer thread, then previewed/printed.

        Returns the job id; `daily_report_ready(path)` fires on the GUI thread when the PDF exists."""
        if not self.can("report_print"):
            return None
        day = self.services.clock().date()
        out = self.services.home / "reports" / f"daily-{day:%Y%m%d}.pdf"

        def ready(path) -> None:
            self.status.set_activity(f"当日统计已生成：{path}")
            print_with_preview(self, path)
            self.daily_report_ready.emit(str(path))

        actor = self.clerk
        op = DbOp(self, lambda svc: svc.print_daily_report(day=day, out=out, actor=actor)).changes("documents")
        return op.success(ready).failure(lambda e: show_error(self, e)).run()

    # ----- lifecycle
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.sync.timer.isActive() and not self.sync.running:
            self.sync.start()
        if self._start_of_day:
            self._start_of_day = False
            QTimer.singleShot(0, self.check_start_of_day)
            QTimer.singleShot(0, self.check_catalogue)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop_idcard_reader()
        self.stop_applicant_screen()
        self.writer.close()
        self.sync.stop()
        self.status_timer.stop()
        self.sync.pool.waitForDone(3000)
        super().closeEvent(event)
