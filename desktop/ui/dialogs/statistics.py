"""统计报表 (menu 统计, Ctrl+T, a supervisor): pick a period (today, this week, this or last month, this year, or
any range) and a scope (本窗口 / 全中心), see the summary figures, a bar chart of the volumes and of 好差评, and
every table of the report; export the same report as PDF, XLSX or CSV, or preview and print the PDF.

Every computation and every file runs on the reader thread (QueryOp): the window never waits for it. The
figures shown are the report's own text (StatsReport.summary_rows), the same the PDF and the XLSX hold."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from desktop.core.labels import RATING_LEVELS
from desktop.core.stats.figures import SCOPES, StatsReport
from desktop.core.stats.pdf import cell_text
from desktop.ui.dialogs.base import error_text, read_only_table, set_note
from desktop.ui.feedback import presenter, print_with_preview
from desktop.ui.qt import (
    QColor,
    QComboBox,
    QDate,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPainter,
    QPushButton,
    QSize,
    Qt,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import QueryOp

PERIODS = {"today": "今天", "week": "本周", "month": "本月", "last_month": "上月", "year": "本年", "custom": "自定义"}
EXPORTS = {"pdf": ("PDF 报表 (*.pdf)", ".pdf"), "xlsx": ("Excel 工作簿 (*.xlsx)", ".xlsx"),
           "csv": ("CSV 明细 (*.csv)", ".csv")}


def period_of(key: str, today: date) -> tuple[date, date]:
    """The days a preset covers, ending today at the latest (last month: the whole month)."""
    if key == "week":
        return today - timedelta(days=today.weekday()), today
    if key == "month":
        return today.replace(day=1), today
    if key == "last_month":
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if key == "year":
        return today.replace(month=1, day=1), today
    return today, today


class BarChart(QWidget):
    """Bars with their values and Chinese labels, from 0 (the PDF's charts, drawn for the screen)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.rows: list[tuple[str, int]] = []
        self.setMinimumHeight(170)

    def set_rows(self, rows: list[tuple[str, int]]) -> None:
        """(label, value) bars; the labels are short (告知 = 一次性告知) so that they fit under their bars."""
        self.rows = rows
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(420, 190)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = p.font()
        font.setPointSizeF(font.pointSizeF() * 0.85)
        p.setFont(font)
        w, h = self.width(), self.height()
        fm = p.fontMetrics()
        line = fm.height()
        p.drawText(0, 0, w, line, Qt.AlignmentFlag.AlignHCenter, self.title)
        if not self.rows:
            return
        top, bottom = line + 4 + line, h - line - 6
        top_value = max(max(n for _, n in self.rows), 1)
        slot = w / len(self.rows)
        bar = max(6.0, slot * 0.55)
        for i, (label, n) in enumerate(self.rows):
            x = i * slot + (slot - bar) / 2
            height = (bottom - top) * n / top_value
            p.fillRect(int(x), int(bottom - height), int(bar), int(height), QColor("#2f6db5"))
            p.drawText(int(i * slot), int(bottom - height - line - 2), int(slot), line,
                       Qt.AlignmentFlag.AlignHCenter, str(n))
            p.drawText(int(i * slot), int(bottom + 4), int(slot), line, Qt.AlignmentFlag.AlignHCenter, label)
        p.setPen(QColor("#888888"))
        p.drawLine(0, int(bottom), w, int(bottom))
        p.end()


class StatisticsDialog(QDialog):
    """`loaded(report or None)` after each computation; `exported(path)` after a file was written."""

    loaded = Signal(object)
    exported = Signal(str)

    def __init__(self, parent: QWidget | None, services, clerk, *, scope: str = "window") -> None:
        super().__init__(parent)
        self.services, self.clerk = services, clerk
        self.report: StatsReport | None = None
        self.setWindowTitle("统计报表")
        self.period_box = QComboBox(self)
        self.period_box.setObjectName("periodBox")
        for key, text in PERIODS.items():
            self.period_box.addItem(text, key)
        self.from_edit, self.to_edit = self._date_edit("fromEdit"), self._date_edit("toEdit")
        self.scope_box = QComboBox(self)
        self.scope_box.setObjectName("scopeBox")
        for key in ("window", "centre"):
            self.scope_box.addItem(SCOPES[key], key)
        self.scope_box.setCurrentIndex(max(0, self.scope_box.findData(scope)))
        self.scope_box.setToolTip("本窗口：本窗口受理的办件；全中心：本窗口已同步的全中心办件")
        self.run_button = QPushButton("统计(&R)", self)
        self.run_button.setObjectName("runButton")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.reload)
        self.period_box.currentIndexChanged.connect(self._preset)
        self.heading = QLabel("", self)
        self.heading.setObjectName("headingLabel")
        self.heading.setStyleSheet("font-weight: bold;")
        self.summary = read_only_table(self, "summaryTable", ("项目", "数值"))
        self.volume_chart = BarChart("办件量（件，咨询为次）", self)
        self.rating_chart = BarChart("好差评分布（次）", self)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("statsTabs")
        overview = QWidget(self)
        charts = QVBoxLayout()
        charts.addWidget(self.volume_chart, 1)
        charts.addWidget(self.rating_chart, 1)
        box = QHBoxLayout(overview)
        box.addWidget(self.summary, 5)
        box.addLayout(charts, 4)
        self.tabs.addTab(overview, "概况")
        self.export_buttons = {}
        row = QHBoxLayout()
        for kind, text in (("pdf", "导出 PDF(&P)"), ("xlsx", "导出 Excel(&X)"), ("csv", "导出明细 CSV(&C)")):
            button = QPushButton(text, self)
            button.setObjectName(f"export_{kind}")
            button.clicked.connect(lambda _c=False, k=kind: self.export(k))
            self.export_buttons[kind] = button
            row.addWidget(button)
        self.print_button = QPushButton("打印预览(&V)…", self)
        self.print_button.setObjectName("printButton")
        self.print_button.clicked.connect(self.print_preview)
        row.addWidget(self.print_button)
        row.addStretch(1)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        top = QHBoxLayout()
        for text, widget in (("期间(&D)：", self.period_box), ("从", self.from_edit), ("至", self.to_edit),
                             ("范围(&S)：", self.scope_box)):
            label = QLabel(text, self)
            label.setBuddy(widget)
            top.addWidget(label)
            top.addWidget(widget)
        top.addWidget(self.run_button)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        layout.addWidget(close)
        self.resize(1100, 760)
        self._set_buttons(False)
        self.period_box.setCurrentIndex(self.period_box.findData("month"))  # runs the first computation

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit(self)
        edit.setObjectName(name)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.dateChanged.connect(lambda _d: self._custom())
        return edit

    # ----- the period
    @property
    def period(self) -> tuple[date, date]:
        return self.from_edit.date().toPython(), self.to_edit.date().toPython()

    @property
    def scope(self) -> str:
        return self.scope_box.currentData()

    def set_period(self, start: date, end: date) -> None:
        """A range of one's own (自定义); call reload() to compute it."""
        self.period_box.blockSignals(True)
        self.period_box.setCurrentIndex(self.period_box.findData("custom"))
        self.period_box.blockSignals(False)
        self._set_dates(start, end)

    def _set_dates(self, start: date, end: date) -> None:
        for edit, d in ((self.from_edit, start), (self.to_edit, end)):
            edit.blockSignals(True)
            edit.setDate(QDate(d.year, d.month, d.day))
            edit.blockSignals(False)

    def _preset(self, _index: int) -> None:
        key = self.period_box.currentData()
        if key == "custom":
            return
        self._set_dates(*period_of(key, self.services.clock().date()))
        self.reload()

    def _custom(self) -> None:
        self.period_box.blockSignals(True)
        self.period_box.setCurrentIndex(self.period_box.findData("custom"))
        self.period_box.blockSignals(False)

    # ----- computing and showing
    def _set_buttons(self, ready: bool) -> None:
        for button in (*self.export_buttons.values(), self.print_button):
            button.setEnabled(ready)

    def reload(self) -> int:
        (start, end), scope, actor = self.period, self.scope, self.clerk
        self._set_buttons(False)
        self.run_button.setEnabled(False)
        self.heading.setText("正在统计……")
        return QueryOp(self, lambda svc: svc.statistics(start=start, end=end, scope=scope, actor=actor)).on_done(
            self._loaded).run()

    def _loaded(self, rep: StatsReport | None, error) -> None:
        self.run_button.setEnabled(True)
        if error is not None:
            self.report = None
            self.heading.setText("")
            set_note(self.message, error_text(error))
            self.loaded.emit(None)
            return
        self.report = rep
        set_note(self.message, "")
        days = f"，工作日 {rep.working_days} 天" if rep.working_days is not None else ""
        self.heading.setText(f"{rep.centre_name}　{rep.scope_label}　{rep.period_from:%Y-%m-%d} 至 "
                             f"{rep.period_to:%Y-%m-%d}{days}")
        rows = rep.summary_rows()
        self.summary.setRowCount(len(rows))
        for r, (label, value) in enumerate(rows):
            self.summary.setItem(r, 0, QTableWidgetItem(label))
            self.summary.setItem(r, 1, QTableWidgetItem(value))
        v = rep.volumes
        self.volume_chart.set_rows([("收件", v.received), ("受理", v.accepted), ("当场办结", v.completed),
                                    ("告知", v.notices), ("不予受理", v.refused), ("撤回", v.withdrawn),
                                    ("作废", v.voided), ("咨询", v.consultations)])
        self.rating_chart.set_rows([(RATING_LEVELS[k], n) for k, n in rep.satisfaction.by_stars])
        while self.tabs.count() > 1:
            widget = self.tabs.widget(1)
            self.tabs.removeTab(1)
            widget.deleteLater()
        for t in rep.tables:
            table = read_only_table(self, f"table_{t.key}", t.columns)
            body = list(t.rows) + ([t.total] if t.total else [])
            if t.more:  # a list the report holds the first rows of: say so first, and where the rest is
                body.insert(0, (t.omitted(len(t.rows), "件"),) + ("",) * (len(t.columns) - 1))
            table.setRowCount(len(body))
            for r, row in enumerate(body):
                for c, value in enumerate(row):
                    table.setItem(r, c, QTableWidgetItem(cell_text(value)))
            if t.more:  # the line across the whole row: it sizes no column
                table.setSpan(0, 0, 1, len(t.columns))
            self.tabs.addTab(table, t.title)
        self._set_buttons(True)
        self.loaded.emit(rep)

    # ----- files
    def _suggested(self, suffix: str) -> str:
        rep = self.report
        assert rep is not None
        return str(self.services.home / "reports" /
                   f"统计-{rep.period_from:%Y%m%d}-{rep.period_to:%Y%m%d}-{rep.scope}{suffix}")

    def export(self, kind: str, path: str | None = None) -> int | None:
        """Write the report shown (its period and scope) as `kind` (pdf | xlsx | csv) to `path`, or where the
        supervisor chooses."""
        if self.report is None:
            return None
        filters, suffix = EXPORTS[kind]
        path = path or presenter().save_file(self, "导出统计报表", self._suggested(suffix), filters)
        if not path:
            return None
        target = Path(path)
        if target.suffix.lower() != suffix:
            target = target.with_name(target.name + suffix)
        return self._write(kind, target, self._exported)

    def print_preview(self) -> int | None:
        """The PDF of the report shown, previewed and printed (saved under reports/ as well)."""
        if self.report is None:
            return None
        return self._write("pdf", Path(self._suggested(".pdf")), lambda path: (
            self._exported(path), print_with_preview(self, path)))

    def _write(self, kind: str, target: Path, done) -> int:
        rep, actor = self.report, self.clerk
        start, end, scope = rep.period_from, rep.period_to, rep.scope
        self._set_buttons(False)
        set_note(self.message, "正在生成……", ok=True)

        def finished(_rep, error) -> None:
            self._set_buttons(self.report is not None)
            if error is not None:
                set_note(self.message, error_text(error))
                return
            done(target)

        return QueryOp(self, lambda svc: svc.statistics(start=start, end=end, scope=scope, actor=actor,
                                                        **{kind: target})).on_done(finished).run()

    def _exported(self, path: Path) -> None:
        set_note(self.message, f"已导出：{path}", ok=True)
        self.exported.emit(str(path))
