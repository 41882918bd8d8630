"""待办清单: what is due — overdue (red) and near-due (yellow) decisions by promised and statutory date, expired
one-time notices, 容缺 materials due or overdue, results waiting for pick-up, documents owed, batches the
department returned, paused clocks and dates 待定 until next year's holidays are published (grey) — for this
window (本窗口: the cases taken or last handled here) or the whole centre (全中心: every case the window holds);
and printing what is owed and the 容缺候补通知书 of every case with an overdue 容缺 material."""

from __future__ import annotations

from desktop.core.worklist import SCOPES, WorkItem
from desktop.ui.dialogs.base import error_text, read_only_table, set_note
from desktop.ui.feedback import print_documents
from desktop.ui.qt import (
    QBrush,
    QColor,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import DbOp

HEADERS = ("提醒", "办件编号", "期限", "说明", "窗口")
COLOURS = {"red": "#b00020", "yellow": "#8a6d00", "grey": "#666666"}
MARKS = {"red": "● 超期", "yellow": "● 临近", "grey": "○ 等待"}
DUE_NOW = {"documents_owed", "pickup_waiting", "transfer_returned"}  # yellow, but owed now rather than near


def mark(item: WorkItem) -> str:
    return "● 须办" if item.colour == "yellow" and item.kind in DUE_NOW else MARKS[item.colour]


class WorklistDialog(QDialog):
    """`loaded(items)` after each (re)load; `printed(paths)` after the owed documents printed."""

    loaded = Signal(object)
    printed = Signal(object)

    def __init__(self, parent: QWidget | None, services, clerk, *, scope: str = "window",
                 items: list[WorkItem] | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.items: list[WorkItem] = []
        self.setWindowTitle("待办清单")
        self.scope_box = QComboBox(self)
        self.scope_box.setObjectName("scopeBox")
        for key, label in SCOPES.items():
            self.scope_box.addItem(label, key)
        self.scope_box.setCurrentIndex(max(0, self.scope_box.findData(scope)))
        self.scope_box.setToolTip("本窗口：本窗口受理或最近办理的办件；全中心：本窗口已同步的全中心办件")
        self.scope_box.currentIndexChanged.connect(lambda _i: self.reload())
        self.summary = QLabel("正在读取……", self)
        self.summary.setObjectName("summaryLabel")
        self.table = read_only_table(self, "worklistTable", HEADERS, alternating=False, tab_leaves=False)
        self.print_button = QPushButton("打印须补发的文书", self)
        self.print_button.setObjectName("printOwedButton")
        self.print_button.clicked.connect(self.print_owed)
        self.print_button.setEnabled(False)  # until the list says something is owed
        self.gap_button = QPushButton("打印容缺候补通知书", self)
        self.gap_button.setObjectName("printGapReminderButton")
        self.gap_button.clicked.connect(self.print_gap_reminders)
        self.gap_button.setEnabled(False)  # until a 容缺 material is overdue
        self.message = QLabel("", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.print_button)
        row.addWidget(self.gap_button)
        row.addStretch(1)
        top = QHBoxLayout()
        scope_label = QLabel("范围(&S)：", self)
        scope_label.setBuddy(self.scope_box)
        top.addWidget(scope_label)
        top.addWidget(self.scope_box)
        top.addSpacing(16)
        top.addWidget(self.summary, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(960, 480)
        if items is None:
            self.reload()
        else:  # the start of the day computed them already
            self._loaded(items, None)

    @property
    def scope(self) -> str:
        return self.scope_box.currentData()

    def reload(self) -> None:
        # a write: the worklist first computes any 待定 date the calendar now covers
        scope = self.scope
        self.summary.setText("正在读取……")
        DbOp(self, lambda svc: svc.worklist(scope=scope)).on_done(self._loaded).run()

    def _loaded(self, items, error) -> None:
        if error is not None:
            self.summary.setText(error_text(error))
            return
        self.items = list(items)
        counts = {c: sum(1 for i in self.items if i.colour == c) for c in COLOURS}
        self.summary.setText(f"{SCOPES[self.scope]}共 {len(self.items)} 项：超期 {counts['red']}，"
                             f"临近或须办 {counts['yellow']}，等待 {counts['grey']}")
        self.table.setRowCount(len(self.items))
        for r, item in enumerate(self.items):
            brush = QBrush(QColor(COLOURS[item.colour]))
            cells = (mark(item) + " " + item.label, item.case_no,
                     f"{item.due:%Y-%m-%d}" if item.due else "待定", item.detail,
                     f"{item.window_no} 号" if item.window_no else "")
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if c == 0:
                    cell.setForeground(brush)
                self.table.setItem(r, c, cell)
        owed = sum(1 for i in self.items if i.kind == "documents_owed")
        self.print_button.setEnabled(owed > 0)
        self.print_button.setText(f"打印须补发的文书（{owed}）")
        gaps = self.overdue_gap_cases()
        self.gap_button.setEnabled(bool(gaps))
        self.gap_button.setText(f"打印容缺候补通知书（{len(gaps)}）")
        self.loaded.emit(self.items)

    def overdue_gap_cases(self) -> list[str]:
        """The cases listed with a 容缺 material past its promised date, in list order."""
        return list(dict.fromkeys(i.case_no for i in self.items if i.kind == "gap_overdue"))

    def print_gap_reminders(self) -> None:
        clerk, cases = self.clerk, self.overdue_gap_cases()
        self.gap_button.setEnabled(False)
        DbOp(self, lambda svc: [svc.print_gap_reminder(case_no=c, clerk=clerk) for c in cases]).changes(
            "documents").on_done(self._printed).run()

    def print_owed(self) -> None:
        clerk = self.clerk
        self.print_button.setEnabled(False)
        DbOp(self, lambda svc: svc.print_owed_documents(clerk=clerk)).changes("documents").on_done(
            self._printed).run()

    def _printed(self, docs, error) -> None:
        if error is not None:
            set_note(self.message, error_text(error))
            self.reload()  # the buttons follow the list again
            return
        paths = [d.path for d in docs]
        print_documents(self, paths)
        set_note(self.message, f"已补发 {len(paths)} 份文书", ok=True)
        self.printed.emit(paths)
        self.reload()
