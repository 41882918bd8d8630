"""值班长: 当日评价 — today's 好差评 at this window, 差评 first in red with their rectification owner and due date."""

from __future__ import annotations

from collections import Counter

from desktop.core.cases.closing import LEVELS
from desktop.core.errors import YichuangError
from desktop.ui.dialogs.base import read_only_table
from desktop.ui.qt import (
    QBrush,
    QColor,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

HEADERS = (
    "时间",
    "办件编号",
    "总体评价",
    "办事效率",
    "服务水平",
    "服务态度",
    "意见建议",
    "整改责任人",
    "整改期限",
)


def _level(value: int | None) -> str:
    return f"{value} {LEVELS[value]}" if value else "—"


class DailyRatingsDialog(QDialog):
    def __init__(self, parent: QWidget | None, services, clerk) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        day = services.clock().date()
        self.setWindowTitle(f"当日评价 — {day:%Y-%m-%d}")
        self.summary = QLabel("", self)
        self.summary.setObjectName("summaryLabel")
        self.table = read_only_table(self, "ratingsTable", HEADERS, alternating=False, tab_leaves=False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(1100, 500)
        try:
            self.ratings = services.ratings(day=day)
        except YichuangError as e:
            self.ratings = []
            self.summary.setText(e.message)
            return
        self._fill()

    def _fill(self) -> None:
        rows = sorted(self.ratings, key=lambda r: (not r.is_bad, r.rated_at))
        counts = Counter(r.overall for r in self.ratings)
        good = counts[5] + counts[4]
        bad = counts[2] + counts[1]
        self.summary.setText(
            f"共 {len(self.ratings)} 条：好评 {good}，中评 {counts[3]}，差评 {bad}"
            + ("（差评须当日联系评价人整改）" if bad else "")
        )
        self.table.setRowCount(len(rows))
        red = QBrush(QColor("#b00020"))
        for row, r in enumerate(rows):
            owner = r.rectify_owner
            if owner:
                try:
                    owner = f"{self.services.clerk(owner).name}（{owner}）"
                except YichuangError:
                    pass
            cells = [
                f"{r.rated_at:%H:%M}",
                r.case_no,
                _level(r.overall),
                _level(r.efficiency),
                _level(r.service),
                _level(r.attitude),
                r.comment,
                owner if r.is_bad else "",
                f"{r.rectify_due:%Y-%m-%d}" if r.is_bad and r.rectify_due else "",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if r.is_bad and col in (2, 7, 8):
                    item.setForeground(red)
                self.table.setItem(row, col, item)
