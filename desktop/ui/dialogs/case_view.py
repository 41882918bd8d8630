"""The case as the 办件查询 dialog shows it: headline, status line, facts, materials, history and documents.

A mixin of LookupDialog (desktop/ui/dialogs/lookup.py): `_build_case_view()` makes the widgets and returns the
facts grid and the lists; `_show()` fills them from `self.record`, `self.history`, `self.documents`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from desktop.core.errors import YichuangError
from desktop.core.labels import (
    DOCUMENT_LABELS,
    ID_TYPE_LABELS,
    OUTCOME_LABELS,
    PAPER_LABELS,
)
from desktop.core.labels import MATERIAL_STATE_LABELS as STATE_LABELS
from desktop.ui.case_history import (
    ACTORS,
    STATUS_LABELS,
    TRANSFER_STATUS,
    _day,
    event_detail,
    event_label,
    mask_id,
)
from desktop.ui.dialogs.base import read_only_table
from desktop.ui.feedback import print_with_preview
from desktop.ui.qt import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    Qt,
    QTableWidgetItem,
    QVBoxLayout,
)

#: statuses the case's own status says better than its local history (they may come from the centre)
PULLED_STATUSES = ("signed", "in_review", "approved", "denied", "delivered", "withdrawn", "voided")


def _item(text: str, tip: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    if tip:
        item.setToolTip(tip)
    return item



def read_case(services, case_no: str, known_names: dict[str, str]):
    """On a worker thread: (record, history, documents, {login: name} of the history's people, status)."""
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
    hits = services.lookup_cases(case_no=record.case_no)
    return record, history, documents, names, (hits[0].status if hits else "")


class CaseView:
    """The case's widgets and how they are filled (mixed into LookupDialog)."""

    def _build_case_view(self):
        """Make the case's widgets; returns (facts grid, the two lists side by side)."""
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
        return facts, lists

    def _title(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName("sectionTitle")
        return label

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
        if getattr(self, "status", "") in PULLED_STATUSES:  # what the centre or this window settled last
            current = STATUS_LABELS.get(self.status, self.status)
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
