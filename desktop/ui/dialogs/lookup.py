"""办件查询 (Ctrl+L): find a case by number, ID number, applicant name or phone (an applicant who lost the
voucher), any case of the centre this window has pulled; read its matter, applicant, dates, materials,
history and documents; continue it (补正, 结果送达, 补打, 好差评, 更正, 撤回, 作废) under its lease at the centre
(desktop/ui/dialogs/continuation.py); 值班长 also manage its clock (desktop/ui/dialogs/clock_box.py)."""

from __future__ import annotations

from datetime import datetime

from desktop.core.labels import CASE_STATUS_LABELS, OUTCOME_LABELS
from desktop.core.types import CaseRecord
from desktop.ui.case_history import (  # noqa: F401  (re-exported)
    ACTORS,
    HOW_LABELS,
    STATUS_LABELS,
    TRANSFER_STATUS,
    event_detail,
    event_label,
    mask_id,
)
from desktop.ui.dialogs.base import case_no_edit, error_label, error_text, read_only_table, set_note
from desktop.ui.dialogs.case_view import CaseView, _item, read_case
from desktop.ui.dialogs.clock_box import MAX_EXTENSION_DAYS, ClockControls  # noqa: F401  (re-exported)
from desktop.ui.dialogs.continuation import CaseContinuation
from desktop.ui.qt import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import QueryOp

#: how the clerk looks a case up (services.lookup_cases keyword → what the field is)
SELECTORS = {"case_no": "办件编号", "id_no": "证件号码", "name": "申请人姓名", "phone": "联系电话"}
SELECTOR_HINTS = {"case_no": "扫描文书条码或输入办件编号", "id_no": "完整的证件号码（身份证号、统一社会信用代码）",
                  "name": "申请人姓名（完整）", "phone": "申请人、联系人或代理人的联系电话"}
HIT_HEADERS = ("办件编号", "事项", "申请人", "证件号码", "联系电话", "状态", "收件时间", "受理窗口")


class LookupDialog(CaseContinuation, ClockControls, CaseView, QDialog):
    """Look a case up. `changed(case_no)` fires after the case was changed from here (clock, continuation).

    Reads run on the reader thread: `searched(n)` fires when a search by ID, name or phone listed n cases;
    `loaded(ok)` once a case (or why not) is on screen. Continuing: `lease_refused(text)` when another window
    holds the case, `continued(name)` when the continuing dialog is open, `note(text)` for the window's status
    bar (e.g. continuing offline), `supplement_requested(record, leased_case_no)` hands a 补正 to the intake
    view."""

    changed = Signal(str)  # case number
    loaded = Signal(bool)
    searched = Signal(int)
    note = Signal(str)
    lease_refused = Signal(str)
    continued = Signal(str)
    supplement_requested = Signal(object, str)

    def __init__(self, parent: QWidget | None, services, clerk, case_no: str = "") -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.record: CaseRecord | None = None
        self.status = ""  # the case's status (desktop.core.labels.CASE_STATUS_LABELS)
        self.history: list[tuple[datetime, str, str, str]] = []
        self.documents: list = []
        self.hits: list = []
        self.paused = False
        self._names: dict[str, str] = {}  # login → name, for the history
        self.setWindowTitle("办件查询")

        self.selector_combo = QComboBox(self)
        self.selector_combo.setObjectName("lookupSelector")
        for key, text in SELECTORS.items():
            self.selector_combo.addItem(text, key)
        self.selector_combo.currentIndexChanged.connect(self._selector_changed)
        self.case_edit = case_no_edit(self, "lookupCaseEdit")
        self.case_edit.setMaxLength(200)
        self.case_edit.setText(case_no)
        self.case_edit.returnPressed.connect(self.search)
        find = QPushButton("查询（Enter）", self)
        find.setAutoDefault(False)
        find.clicked.connect(self.search)
        top = QHBoxLayout()
        by = QLabel("查询方式(&F)", self)
        by.setBuddy(self.selector_combo)
        top.addWidget(by)
        top.addWidget(self.selector_combo)
        top.addWidget(self.case_edit, 1)
        top.addWidget(find)

        self.error_label = error_label(self)
        self.hits_table = read_only_table(self, "lookupHits", HIT_HEADERS)
        self.hits_table.activated.connect(lambda index: self.open_hit(index.row()))  # Enter (and double-click)
        self.hits_table.setMaximumHeight(180)
        self.hits_table.hide()

        facts, lists = self._build_case_view()
        actions = self._build_case_actions()
        self.clock_box = self._clock_box()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭（Esc）")
        buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        buttons.rejected.connect(self.reject)

        self.body = QWidget(self)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.headline)
        body.addWidget(self.status_label)
        body.addLayout(facts)
        body.addLayout(actions)
        body.addLayout(lists, 1)
        body.addWidget(self.clock_box)
        self.body.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(self.hits_table)
        layout.addWidget(self.body, 1)
        layout.addWidget(buttons)
        self.resize(1180, 860)
        self.case_edit.setFocus()
        if case_no:
            self.load_case()

    # ----- finding the case
    def _selector_changed(self) -> None:
        self.case_edit.setPlaceholderText(SELECTOR_HINTS[self.selector_combo.currentData()])
        self.case_edit.selectAll()
        self.case_edit.setFocus()

    def set_selector(self, key: str) -> None:
        self.selector_combo.setCurrentIndex(self.selector_combo.findData(key))

    def search(self) -> None:
        """By case number: read that case. By ID, name or phone: list the cases found (one found opens)."""
        selector = self.selector_combo.currentData()
        if selector == "case_no":
            self.load_case()
            return
        text = self.case_edit.text().strip()
        if not text:
            self._fail(f"请输入要查询的{SELECTORS[selector]}")
            return
        QueryOp(self, lambda svc: svc.lookup_cases(**{selector: text})).success(
            lambda hits: self._listed(hits, selector)).failure(lambda e: self._fail(error_text(e))).run()

    def _listed(self, hits: list, selector: str) -> None:
        self.hits = hits
        t = self.hits_table
        t.setRowCount(0)
        for h in hits:
            row = t.rowCount()
            t.insertRow(row)
            status = CASE_STATUS_LABELS.get(h.status, h.status) if h.status != "received" else \
                OUTCOME_LABELS.get(h.outcome, h.outcome)
            cells = (h.case_no, h.matter_name, h.applicant_name, h.applicant_id_masked, h.phone_masked or "—",
                     status, f"{h.received_at:%Y-%m-%d %H:%M}", f"{h.window_no} 号窗口 {h.clerk_name}")
            for col, text in enumerate(cells):
                t.setItem(row, col, _item(text, text))
        self.searched.emit(len(hits))
        if not hits:
            self.hits_table.hide()
            self._fail(f"没有找到{SELECTORS[selector]}为“{self.case_edit.text().strip()}”的办件"
                       "（本窗口只能查到本中心已同步到本窗口的办件）")
            return
        self.hits_table.setVisible(len(hits) > 1)
        if len(hits) == 1:
            self.open_hit(0)
            return
        self.record = None
        self.body.hide()
        set_note(self.error_label, f"找到 {len(hits)} 件：请选择一件，按回车或双击查看", ok=True)
        t.selectRow(0)
        t.setFocus()

    def open_hit(self, row: int) -> None:
        if 0 <= row < len(self.hits):
            self._read(self.hits[row].case_no)

    def load_case(self) -> None:
        """Read the case typed or scanned, its history and its documents on the reader thread and show them."""
        case_no = self.case_edit.text().strip()
        if not case_no:
            self._fail("请输入或扫描办件编号")
            return
        self.hits_table.hide()
        self._read(case_no)

    def _read(self, case_no: str) -> None:
        known = dict(self._names)
        QueryOp(self, lambda svc: read_case(svc, case_no, known)).success(self._loaded).failure(
            lambda e: self._fail(error_text(e))
        ).run()

    def reload(self) -> None:
        """Read the shown case again (after a change made from here)."""
        if self.record is not None:
            self._read(self.record.case_no)

    def _loaded(self, found) -> None:
        self.record, self.history, self.documents, names, self.status = found
        self._names.update(names)
        if self.selector_combo.currentData() == "case_no":
            self.case_edit.setText(self.record.case_no)
            self.case_edit.selectAll()  # the next scan replaces it
        set_note(self.error_label, "")
        self._show()
        self._update_actions()
        self.body.show()
        self.loaded.emit(True)

    def _fail(self, text: str) -> None:
        self.record = None
        self.body.hide()
        set_note(self.error_label, text)
        self.case_edit.selectAll()
        self.case_edit.setFocus()
        self.loaded.emit(False)

    # ----- closing: the lease goes back to the centre
    def done(self, result: int) -> None:
        self.lease.release()
        super().done(result)
