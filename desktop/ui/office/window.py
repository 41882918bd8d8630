"""The department's main window: 收件箱 (transfer batches addressed to the department: 签收, or 退回 with a
reason) and 审查中 (cases signed for or in review with their deadlines and next step; the selected case's
history, the review-step form, the decision form and the 办理时限 form: pause, resume, extend). Reads run on the reader thread, actions on the
writer thread, each through OfficeServices; after an action both lists are read again."""

from __future__ import annotations

from datetime import datetime

from desktop.core.clock import SHANGHAI
from desktop.core.office import BATCH_STATE_LABELS, STATUS_LABELS, STEP_LABELS
from desktop.ui.dialogs.base import error_label, read_only_table, set_note
from desktop.ui.feedback import message_of
from desktop.ui.office.clock_form import ClockForm
from desktop.ui.office.forms import DecisionForm, ReviewForm
from desktop.ui.qt import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    Qt,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import DbOp, QueryOp

BATCH_HEADERS = ("批次号", "窗口", "状态", "件数", "发送时间", "退回理由")
BATCH_CASE_HEADERS = ("办件编号", "事项", "申请人", "承诺期限", "法定期限")
CASE_HEADERS = ("办件编号", "事项", "申请人", "状态", "承诺期限", "剩余日历天数", "下一步")


def _cell(text: object) -> QTableWidgetItem:
    return QTableWidgetItem("" if text is None else str(text))


def _when(iso: str) -> str:
    """A time the centre sent (ISO, any offset) as Shanghai wall-clock time, to the minute."""
    if not iso:
        return ""
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:16]
    if at.tzinfo is not None:
        at = at.astimezone(SHANGHAI)
    return at.strftime("%Y-%m-%d %H:%M")


class OfficeWindow(QMainWindow):
    """`loaded` after both lists were read; `detail_loaded` after the selected case's history; `acted(ok)`
    after an action's answer is on screen."""

    loaded = Signal()
    detail_loaded = Signal()
    acted = Signal(bool)

    def __init__(self, services, staff) -> None:
        super().__init__()
        self.services = services
        self.staff = staff
        self.batches = []
        self.cases = []
        self.detail = None
        info = services.stored_info()
        self.setObjectName("officeWindow")
        self.setWindowTitle(f"一窗 · 后台审查 — {info.department}")
        self.header = QLabel(f"{info.centre_name or info.centre_code}　{info.department}　经办人：{staff.name}（{staff.login}）", self)
        self.header.setObjectName("officeHeader")
        self.refresh_button = QPushButton("刷新", self)
        self.refresh_button.setObjectName("refreshButton")
        self.refresh_button.clicked.connect(self.reload)
        self.status = error_label(self)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.refresh_button)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._inbox_tab(), "收件箱")
        self.tabs.addTab(self._cases_tab(), "审查中")
        body = QWidget(self)
        layout = QVBoxLayout(body)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.status)
        self.setCentralWidget(body)
        self.resize(1280, 800)
        self.reload()

    # ----- layout
    def _inbox_tab(self) -> QWidget:
        tab = QWidget(self)
        self.batch_table = read_only_table(tab, "batchTable", BATCH_HEADERS)
        self.batch_table.itemSelectionChanged.connect(self._batch_selected)
        self.batch_cases = read_only_table(tab, "batchCases", BATCH_CASE_HEADERS)
        self.sign_button = QPushButton("签收", tab)
        self.sign_button.setObjectName("signButton")
        self.sign_button.clicked.connect(self.sign_selected)
        self.return_reason = QLineEdit(tab)
        self.return_reason.setObjectName("returnReason")
        self.return_reason.setPlaceholderText("退回理由（退回时必填）")
        self.return_button = QPushButton("退回", tab)
        self.return_button.setObjectName("returnButton")
        self.return_button.clicked.connect(self.return_selected)
        actions = QHBoxLayout()
        actions.addWidget(self.sign_button)
        actions.addWidget(self.return_reason, 1)
        actions.addWidget(self.return_button)
        split = QSplitter(Qt.Orientation.Vertical, tab)
        split.addWidget(self.batch_table)
        split.addWidget(self.batch_cases)
        layout = QVBoxLayout(tab)
        layout.addWidget(split, 1)
        layout.addLayout(actions)
        self._batch_selected()
        return tab

    def _cases_tab(self) -> QWidget:
        tab = QWidget(self)
        self.case_table = read_only_table(tab, "caseTable", CASE_HEADERS)
        self.case_table.itemSelectionChanged.connect(self._case_selected)
        self.history = QTextBrowser(tab)
        self.history.setObjectName("caseHistory")
        self.history.setMinimumHeight(150)
        self.review_form = ReviewForm(tab)
        self.review_form.submitted.connect(self.review_selected)
        self.decision_form = DecisionForm(tab)
        self.decision_form.submitted.connect(self.decide_selected)
        self.clock_form = ClockForm(tab)
        self.clock_form.submitted.connect(self.clock_selected)
        right = QWidget(tab)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(QLabel("办理过程", right))
        rl.addWidget(self.history, 1)
        rl.addWidget(self.review_form)
        rl.addWidget(self.decision_form)
        rl.addWidget(self.clock_form)
        split = QSplitter(Qt.Orientation.Horizontal, tab)
        split.addWidget(self.case_table)
        split.addWidget(right)
        split.setSizes([640, 560])
        layout = QVBoxLayout(tab)
        layout.addWidget(split)
        return tab

    # ----- reading
    def reload(self) -> None:
        staff = self.staff
        QueryOp(self, lambda svc: (svc.inbox(staff=staff), svc.cases(staff=staff))).on_done(self._show).run()

    def _show(self, result, error) -> None:
        if error is not None:
            set_note(self.status, message_of(error))
            self.loaded.emit()
            return
        set_note(self.status, "")
        self.batches, self.cases = result
        keep_batch, keep_case = self.selected_batch_no(), self.selected_case_no()
        self._fill_batches()
        self._fill_cases()
        self._select(self.batch_table, [b.batch_no for b in self.batches], keep_batch)
        self._select(self.case_table, [c.case_no for c in self.cases], keep_case)
        self._batch_selected()
        self._case_selected()
        self.loaded.emit()

    @staticmethod
    def _select(table, keys: list[str], key: str) -> None:
        if key in keys:
            table.selectRow(keys.index(key))
        else:
            table.clearSelection()

    def _fill_batches(self) -> None:
        t = self.batch_table
        t.setRowCount(len(self.batches))
        for r, b in enumerate(self.batches):
            values = (b.batch_no, b.window_no, BATCH_STATE_LABELS.get(b.state, b.state), len(b.cases),
                      _when(b.sent_at), b.return_reason)
            for c, v in enumerate(values):
                t.setItem(r, c, _cell(v))

    def _fill_cases(self) -> None:
        t = self.case_table
        today = self.services.clock().date()
        t.setRowCount(len(self.cases))
        for r, c in enumerate(self.cases):
            left = c.days_left(today)
            left_text = "" if left is None else (f"超期 {-left} 天" if left < 0 else f"{left} 天")
            if c.paused:
                left_text = f"暂停计时（自 {c.paused_on:%m-%d}）"
            values = (c.case_no, c.matter_code, c.applicant_name, STATUS_LABELS.get(c.status, c.status),
                      c.promised_date or "", left_text, STEP_LABELS.get(c.next_step, c.next_step or "—"))
            for col, v in enumerate(values):
                item = _cell(v)
                if col == 5 and left is not None and left <= 3 and not c.paused:
                    item.setForeground(Qt.GlobalColor.red)
                t.setItem(r, col, item)

    def selected_batch_no(self) -> str:
        rows = self.batch_table.selectionModel().selectedRows() if self.batch_table.selectionModel() else []
        return self.batches[rows[0].row()].batch_no if rows and rows[0].row() < len(self.batches) else ""

    def selected_case_no(self) -> str:
        rows = self.case_table.selectionModel().selectedRows() if self.case_table.selectionModel() else []
        return self.cases[rows[0].row()].case_no if rows and rows[0].row() < len(self.cases) else ""

    def _batch_selected(self) -> None:
        batch = next((b for b in self.batches if b.batch_no == self.selected_batch_no()), None)
        cases = batch.cases if batch else ()
        self.batch_cases.setRowCount(len(cases))
        for r, c in enumerate(cases):
            for col, v in enumerate((c.case_no, c.matter_code, c.applicant_name, c.promised_date or "",
                                     c.statutory_date or "")):
                self.batch_cases.setItem(r, col, _cell(v))
        can_act = batch is not None and batch.state == "sent"
        for w in (self.sign_button, self.return_button, self.return_reason):
            w.setEnabled(can_act)

    def _case_selected(self) -> None:
        case = next((c for c in self.cases if c.case_no == self.selected_case_no()), None)
        self.review_form.set_step(case.next_step if case else "")
        self.decision_form.set_enabled_for(case.next_step if case else "")
        self.clock_form.set_case(case)
        if case is None:
            self.history.clear()
            self.detail = None
            return
        staff, case_no = self.staff, case.case_no
        QueryOp(self, lambda svc: svc.case(staff=staff, case_no=case_no)).on_done(self._show_detail).run()

    def _show_detail(self, detail, error) -> None:
        if error is not None:
            self.history.setPlainText(message_of(error))
        elif detail.case_no == self.selected_case_no():
            self.detail = detail
            lines = [f"办件 {detail.case_no}　{STATUS_LABELS.get(detail.status, detail.status)}"]
            for s in detail.steps:
                where = f"{s.window_no} 号窗口" if s.window_no else (s.department or "")
                lines.append(f"{_when(s.at)}　{s.label}　{where}　{s.actor_name}"
                             + (f"：{s.opinion}" if s.opinion else ""))
            self.history.setPlainText("\n".join(lines))
        self.detail_loaded.emit()

    # ----- actions
    def _act(self, op, form=None) -> None:
        def done(_result, error) -> None:
            text = message_of(error) if error is not None else ""
            if form is not None:
                form.done(text)
            set_note(self.status, text or "已完成", ok=not text)
            self.acted.emit(error is None)
            if error is None:
                self.reload()

        DbOp(self, op).on_done(done).run()

    def sign_selected(self) -> None:
        batch_no, staff = self.selected_batch_no(), self.staff
        if batch_no:
            self._act(lambda svc: svc.sign(staff=staff, batch_no=batch_no))

    def return_selected(self) -> None:
        batch_no, staff, reason = self.selected_batch_no(), self.staff, self.return_reason.text()
        if not batch_no:
            return
        if not reason.strip():
            set_note(self.status, "请填写退回理由")
            self.return_reason.setFocus()
            self.acted.emit(False)
            return
        self.return_reason.clear()
        self._act(lambda svc: svc.return_batch(staff=staff, batch_no=batch_no, reason=reason))

    def review_selected(self, values) -> None:
        step, opinion = values
        case_no, staff = self.selected_case_no(), self.staff
        if case_no:
            self._act(lambda svc: svc.review(staff=staff, case_no=case_no, step=step, opinion=opinion),
                      self.review_form)

    def decide_selected(self, decision) -> None:
        case_no, staff = self.selected_case_no(), self.staff
        if case_no:
            self._act(lambda svc: svc.decide(staff=staff, case_no=case_no, decision=decision), self.decision_form)

    def clock_selected(self, values) -> None:
        """暂停计时 / 恢复计时 / 延长期限 of the selected case (ClockForm checked the input)."""
        op, args = values
        case_no, staff = self.selected_case_no(), self.staff
        if not case_no:
            return
        if op == "pause":
            self._act(lambda svc: svc.pause(staff=staff, case_no=case_no, reason=args["reason"]), self.clock_form)
        elif op == "resume":
            self._act(lambda svc: svc.resume(staff=staff, case_no=case_no), self.clock_form)
        else:
            self._act(lambda svc: svc.extend(staff=staff, case_no=case_no, **args), self.clock_form)
