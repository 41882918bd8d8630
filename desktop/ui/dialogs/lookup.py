"""办件查询 (Ctrl+L): a case's matter, applicant, dates, materials, history and documents; 值班长 manage its clock."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from desktop.core import roles
from desktop.core.errors import YichuangError
from desktop.core.labels import (
    DOCUMENT_LABELS,
    ID_TYPE_LABELS,
    OUTCOME_LABELS,
    PAPER_LABELS,
)
from desktop.core.labels import MATERIAL_STATE_LABELS as STATE_LABELS
from desktop.core.types import CaseRecord
from desktop.ui.case_history import (  # noqa: F401  (re-exported)
    ACTORS,
    HOW_LABELS,
    STATUS_LABELS,
    TRANSFER_STATUS,
    _day,
    event_detail,
    event_label,
    mask_id,
)
from desktop.ui.dialogs.base import case_no_edit, error_label, error_text, read_only_table, set_note
from desktop.ui.feedback import print_with_preview
from desktop.ui.qt import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    Qt,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import DbOp, QueryOp

MAX_EXTENSION_DAYS = 10

def _item(text: str, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if tip:
        item.setToolTip(tip)
    return item


def read_case(services, case_no: str, known_names: dict[str, str]):
    """On a worker thread: (record, history, documents, {login: name} of the history's people)."""
    record = services.case_record(case_no=case_no)
    history = services.case_history(case_no=record.case_no)
    documents = services.documents(case_no=record.case_no)
    names = {record.clerk.login: record.clerk.name}
    for _at, login, _event, _detail in history:
        if login and login not in ACTORS and login not in known_names and login not in names:
            try:
                names[login] = services.clerk(login).name
            except YichuangError:
                names[login] = login
    return record, history, documents, names


class LookupDialog(QDialog):
    """Look a case up by number. `changed` fires after a 值班长 changed the case's clock.

    The case is read on the reader thread; `loaded(ok)` fires once it (or why not) is on screen."""

    changed = Signal(str)  # case number
    loaded = Signal(bool)

    def __init__(self, parent: QWidget | None, services, clerk, case_no: str = "") -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.record: CaseRecord | None = None
        self.history: list[tuple[datetime, str, str, str]] = []
        self.documents: list = []
        self.paused = False
        self._names: dict[str, str] = {}  # login → name, for the history
        self.setWindowTitle("办件查询")

        self.case_edit = case_no_edit(self, "lookupCaseEdit")
        self.case_edit.setText(case_no)
        self.case_edit.returnPressed.connect(self.load_case)
        find = QPushButton("查询（Enter）", self)
        find.setAutoDefault(False)
        find.clicked.connect(self.load_case)
        top = QHBoxLayout()
        number = QLabel("办件编号(&N)", self)
        number.setBuddy(self.case_edit)
        top.addWidget(number)
        top.addWidget(self.case_edit, 1)
        top.addWidget(find)

        self.error_label = error_label(self)

        # what the applicant asks about: a headline, then the facts
        self.headline = QLabel("", self)
        self.headline.setObjectName("caseNoLabel")
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label = QLabel("", self)
        self.status_label.setObjectName("summaryLabel")
        self.status_label.setWordWrap(True)
        self.facts: dict[str, QLabel] = {}
        facts = QGridLayout()
        facts.setHorizontalSpacing(12)
        facts.setVerticalSpacing(4)
        columns = [  # left: who and what; right: the dates the applicant asks about
            [("matter", "办理事项"), ("applicant", "申请人"), ("clerk", "受理人"), ("outcome", "受理结果")],
            [("received", "收件时间"), ("promised", "承诺办结日期"), ("statutory", "法定办结日期"),
             ("supply", "补正期限")],
        ]
        for col, entries in enumerate(columns):
            facts.setColumnMinimumWidth(col * 2, 96)
            for row, (key, title) in enumerate(entries):
                label = QLabel(title, self)
                label.setObjectName("hintLabel")
                value = QLabel("", self)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setWordWrap(True)
                self.facts[key] = value
                facts.addWidget(label, row, col * 2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
                facts.addWidget(value, row, col * 2 + 1)
        facts.setColumnStretch(1, 1)
        facts.setColumnStretch(3, 1)

        self.materials = read_only_table(self, "lookupMaterials", ["材料", "必需", "收取情况", "说明"])
        self.history_table = read_only_table(self, "lookupHistory", ["时间", "经办人", "事件", "详情"])
        self.documents_table = read_only_table(self, "lookupDocuments", ["文书", "纸张", "文件"])
        self.documents_table.activated.connect(lambda _i: self.print_selected())  # Enter (and double-click)
        self.print_button = QPushButton("打开/打印所选文书(&P)", self)
        self.print_button.setEnabled(False)
        self.print_button.setAutoDefault(False)
        self.print_button.clicked.connect(self.print_selected)
        self.documents_table.itemSelectionChanged.connect(
            lambda: self.print_button.setEnabled(bool(self.documents_table.selectedItems()))
        )

        left = QVBoxLayout()
        left.addWidget(self._title("申请材料"))
        left.addWidget(self.materials, 3)
        left.addWidget(self._title("已出具文书"))
        left.addWidget(self.documents_table, 2)
        doc_row = QHBoxLayout()
        doc_hint = QLabel("选中后按回车或双击打开", self)
        doc_hint.setObjectName("hintLabel")
        doc_row.addWidget(doc_hint)
        doc_row.addStretch(1)
        doc_row.addWidget(self.print_button)
        left.addLayout(doc_row)
        right = QVBoxLayout()
        right.addWidget(self._title("办理经过"))
        right.addWidget(self.history_table, 1)
        lists = QHBoxLayout()
        lists.addLayout(left, 1)
        lists.addLayout(right, 1)

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
        body.addLayout(lists, 1)
        body.addWidget(self.clock_box)
        self.body.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.error_label)
        layout.addWidget(self.body, 1)
        layout.addWidget(buttons)
        self.resize(1180, 820)
        self.case_edit.setFocus()
        if case_no:
            self.load_case()

    def _title(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName("sectionTitle")
        return label

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

    # ----- reading
    def load_case(self) -> None:
        """Read the case, its history and its documents on the reader thread and show them."""
        case_no = self.case_edit.text().strip()
        if not case_no:
            self._fail("请输入或扫描办件编号")
            return
        known = dict(self._names)
        QueryOp(self, lambda svc: read_case(svc, case_no, known)).success(self._loaded).failure(
            lambda e: self._fail(error_text(e))
        ).run()

    def _loaded(self, found) -> None:
        self.record, self.history, self.documents, names = found
        self._names.update(names)
        self.case_edit.setText(self.record.case_no)
        self.case_edit.selectAll()  # the next scan replaces it
        self.error_label.setText("")
        self._show()
        self.body.show()
        self.loaded.emit(True)

    def _fail(self, text: str) -> None:
        self.record = None
        self.body.hide()
        self.error_label.setText(text)
        self.case_edit.selectAll()
        self.case_edit.setFocus()
        self.loaded.emit(False)

    def _show(self) -> None:
        r = self.record
        outcome = OUTCOME_LABELS.get(r.outcome, r.outcome)
        self.headline.setText(f"{r.case_no}　{r.matter.name}")
        self.paused, paused_since = self._pause_state()
        self.status_label.setText(self._status_text(paused_since))
        f = self.facts
        f["matter"].setText(f"{r.matter.name}（{r.matter.code}）")
        f["applicant"].setText(self._applicant_text())
        f["outcome"].setText(outcome)
        f["clerk"].setText(f"{r.clerk.name}" + (f"（{r.clerk.staff_no}）" if r.clerk.staff_no else ""))
        f["received"].setText(f"{r.received_at:%Y-%m-%d %H:%M}")
        pending = "待定（节假日安排公布后计算）" if r.deadline_pending else "—"
        f["promised"].setText((_day(r.promised_date) if r.promised_date or r.outcome != "accepted" else pending)
                              + ("（时限暂停中，恢复后顺延）" if self.paused else ""))
        statutory_pending = r.deadline_pending and r.outcome == "accepted" and r.matter.statutory_days is not None
        f["statutory"].setText(_day(r.statutory_date) if r.statutory_date or not statutory_pending else pending)
        f["supply"].setText((_day(r.supply_due) if r.supply_due else pending) if r.outcome == "notice" else "—")
        self._fill_materials()
        self._fill_history()
        self._fill_documents()
        self._update_clock_box()

    def _applicant_text(self) -> str:
        a = self.record.applicant
        if getattr(a, "kind", "person") == "enterprise":
            contact = a.contact
            text = f"{a.name}　统一社会信用代码 {a.uscc}　经办人 {contact.name} {mask_id(contact.id_no)}"
        else:
            id_type = ID_TYPE_LABELS.get(a.id_type, a.id_type)
            text = f"{a.name}　{id_type} {mask_id(a.id_no)}"
        agent = self.record.agent
        if agent is not None:
            text += f"\n代理人 {agent.name} {mask_id(agent.id_no)}"
        return text

    def _pause_state(self) -> tuple[bool, date | None]:
        """Whether the clock is paused now, and since when (as the case record says)."""
        since = self.record.paused_since
        return since is not None, since

    def _status_text(self, paused_since: date | None) -> str:
        """Where the case stands now, in one line the clerk can read out to the applicant."""
        r = self.record
        current = None
        for _at, _who, event, detail in self.history:
            if event == "status":
                current = STATUS_LABELS.get(detail.partition("：")[0].strip(), detail)
            elif event == "delivered":
                current = "结果已送达"
            elif event in TRANSFER_STATUS and (current is None or current in TRANSFER_STATUS.values()
                                               or current == STATUS_LABELS["received"]):
                current = TRANSFER_STATUS[event]
        if current is None or current == "已收件":
            current = {
                "accepted": "已受理，正在审批",
                "completed": "已当场办结",
                "notice": "待申请人补正材料",
                "refused": "不予受理",
            }.get(r.outcome, OUTCOME_LABELS.get(r.outcome, r.outcome))
        text = f"当前状态：{current}"
        if paused_since is not None:
            text += f"　｜　时限自 {paused_since:%Y-%m-%d} 起暂停"
        elif r.outcome == "accepted" and r.promised_date and current != "结果已送达":
            text += f"　｜　承诺 {r.promised_date:%Y-%m-%d} 前办结"
        if r.outcome == "notice" and r.supply_due:
            text += f"　｜　请于 {r.supply_due:%Y-%m-%d} 前补齐材料"
        return text

    def _fill_materials(self) -> None:
        t = self.materials
        t.setRowCount(0)
        for m in self.record.materials:
            row = t.rowCount()
            t.insertRow(row)
            note = m.reason or (f"承诺 {m.gap_due:%Y-%m-%d} 前补交" if m.gap_due else "") or m.e_licence_ref
            state = STATE_LABELS.get(m.state, m.state)
            t.setItem(row, 0, _item(m.name, m.standard))
            t.setItem(row, 1, _item("必需" if m.required else "—"))
            t.setItem(row, 2, _item(state))
            t.setItem(row, 3, _item(note, note))
            if m.state in ("missing", "defective"):
                t.item(row, 2).setForeground(Qt.GlobalColor.darkRed)

    def _fill_history(self) -> None:
        t = self.history_table
        t.setRowCount(0)
        for at, who, event, detail in self.history:
            row = t.rowCount()
            t.insertRow(row)
            text = event_detail(event, detail)
            t.setItem(row, 0, _item(f"{at:%Y-%m-%d %H:%M}"))
            t.setItem(row, 1, _item(self._who(who)))
            t.setItem(row, 2, _item(event_label(event)))
            t.setItem(row, 3, _item(text, text))

    def _who(self, login: str) -> str:
        if login in ACTORS:
            return ACTORS[login]
        if self.record is not None and login == self.record.clerk.login:
            return self.record.clerk.name
        if self.clerk is not None and login == self.clerk.login:
            return self.clerk.name
        return self._names.get(login, login)

    def _fill_documents(self) -> None:
        t = self.documents_table
        t.setRowCount(0)
        for d in self.documents:
            row = t.rowCount()
            t.insertRow(row)
            name = Path(d.path).name
            label = DOCUMENT_LABELS.get(d.kind, d.kind) + (f"（补打第 {d.reprint} 次）" if d.reprint else "")
            t.setItem(row, 0, _item(label))
            t.setItem(row, 1, _item(PAPER_LABELS.get(d.paper, d.paper)))
            t.setItem(row, 2, _item(name, d.path))
        if self.documents:
            t.selectRow(t.rowCount() - 1)
        self.print_button.setEnabled(bool(self.documents))

    def selected_document(self):
        rows = self.documents_table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.documents[rows[0].row()]

    def print_selected(self) -> str | None:
        """Open (preview and print) the selected document; returns what printing did."""
        doc = self.selected_document()
        if doc is None:
            self.error_label.setText("请先在“已出具文书”中选择一份文书")
            return None
        return print_with_preview(self, doc.path)

    # ----- 值班长: the decision clock
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
