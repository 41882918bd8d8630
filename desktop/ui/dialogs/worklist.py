"""待办清单: what is due at this window — overdue (red) and near-due (yellow) decisions, expired one-time notices,
容缺 materials due or overdue, documents owed, dates 待定 until next year's holidays are published (grey) — and
printing what is owed and the 容缺候补通知书 of every case with an overdue 容缺 material."""

from __future__ import annotations

from desktop.core.worklist import WorkItem
from desktop.ui.dialogs.base import error_text, read_only_table, set_note
from desktop.ui.feedback import print_documents
from desktop.ui.qt import (
    QBrush,
    QColor,
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

HEADERS = ("提醒", "办件编号", "期限", "说明")
COLOURS = {"red": "#b00020", "yellow": "#8a6d00", "grey": "#666666"}
MARKS = {"red": "● 超期", "yellow": "● 临近", "grey": "○ 等待"}


class WorklistDialog(QDialog):
    """`loaded(items)` after each (re)load; `printed(paths)` after the owed documents printed."""

    loaded = Signal(object)
    printed = Signal(object)

    def __init__(self, parent: QWidget | None, services, clerk) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.items: list[WorkItem] = []
        self.setWindowTitle("待办清单")
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
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(900, 480)
        self.reload()

    def reload(self) -> None:
        # a write: the worklist first computes any 待定 date the calendar now covers
        DbOp(self, lambda svc: svc.worklist()).on_done(self._loaded).run()

    def _loaded(self, items, error) -> None:
        if error is not None:
            self.summary.setText(error_text(error))
            return
        self.items = list(items)
        counts = {c: sum(1 for i in self.items if i.colour == c) for c in COLOURS}
        self.summary.setText(f"共 {len(self.items)} 项：超期 {counts['red']}，临近或须办 {counts['yellow']}，"
                             f"等待 {counts['grey']}")
        self.table.setRowCount(len(self.items))
        for r, item in enumerate(self.items):
            brush = QBrush(QColor(COLOURS[item.colour]))
            cells = (MARKS[item.colour] + " " + item.label, item.case_no,
                     f"{item.due:%Y-%m-%d}" if item.due else "待定", item.detail)
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
