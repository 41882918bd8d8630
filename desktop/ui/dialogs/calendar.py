"""节假日日历 (值班长): which years have holiday data, and importing a year's published arrangement from a JSON file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from desktop.core import roles
from desktop.core.errors import YichuangError
from desktop.core.workdays import parse_calendar_file
from desktop.ui.dialogs.base import error_label, error_text, set_note
from desktop.ui.feedback import presenter
from desktop.ui.qt import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import DbOp


def years_text(years: Iterable[int]) -> str:
    years = sorted(years)
    return "、".join(f"{y} 年" for y in years) if years else "（无）"


def _import_and_read_years(services, **kwargs) -> list[int]:
    """On the writer thread: import, then the years as that Services now sees them."""
    services.import_calendar(**kwargs)
    return sorted(services.calendar().years)


class CalendarDialog(QDialog):
    """`imported(years)` fires after an import with every year that now has data."""

    imported = Signal(object)  # sorted list of years

    def __init__(self, parent: QWidget | None, services, clerk) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.parsed: tuple[set[int], list] | None = None
        self.years: list[int] = sorted(services.calendar().years)
        self.setWindowTitle("节假日日历")

        self.years_label = QLabel("", self)
        self.years_label.setObjectName("summaryLabel")
        self.years_label.setWordWrap(True)
        explain = QLabel(
            "办理时限按工作日计算：每年国务院公布次年放假安排后，请导入该年度的日历文件。"
            "没有日历数据的年份无法计算承诺办结日期。",
            self,
        )
        explain.setObjectName("hintLabel")
        explain.setWordWrap(True)

        self.path_edit = QLineEdit(self)
        self.path_edit.setObjectName("calendarPathEdit")
        self.path_edit.setPlaceholderText("日历文件（JSON）的路径，回车读取")
        self.path_edit.returnPressed.connect(self.read_file)
        self.choose_button = QPushButton("导入日历文件…(&I)", self)
        self.choose_button.setAutoDefault(False)
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.choose_button)

        self.preview_label = QLabel("", self)
        self.preview_label.setWordWrap(True)
        self.note_label = error_label(self)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭（Esc）")
        buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        self.confirm_button = buttons.addButton("确认导入(&Y)", QDialogButtonBox.ButtonRole.ActionRole)
        self.confirm_button.setAutoDefault(False)
        self.confirm_button.setEnabled(False)
        self.confirm_button.clicked.connect(self.confirm_import)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.years_label)
        layout.addWidget(explain)
        layout.addSpacing(8)
        layout.addLayout(file_row)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.note_label)
        layout.addStretch(1)
        layout.addWidget(buttons)
        self.setMinimumWidth(620)
        self._show_years()
        self.path_edit.setFocus()

    @property
    def allowed(self) -> bool:
        return roles.can(self.clerk, "calendar_import")

    def _show_years(self) -> None:
        self.years_label.setText(f"已有节假日安排的年份：{years_text(self.years)}")

    def choose_file(self) -> None:
        """导入日历文件: pick the file, then read it (typing the path and Enter does the same)."""
        path = presenter().open_file(self, "选择节假日日历文件", "日历文件 (*.json)")
        if not path:
            return
        self.path_edit.setText(path)
        self.read_file()

    def read_file(self) -> bool:
        """Parse the file and show what it holds; nothing is stored until 确认导入."""
        self.parsed = None
        self.confirm_button.setEnabled(False)
        self.preview_label.setText("")
        text_path = self.path_edit.text().strip()
        if not text_path:
            set_note(self.note_label, "请选择或填写日历文件的路径")
            self.path_edit.setFocus()
            return False
        path = Path(text_path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            set_note(self.note_label, f"无法读取文件 {path.name}：请确认文件存在，且为 UTF-8 编码的 JSON 文件")
            return False
        try:
            years, rows = parse_calendar_file(text)
        except YichuangError as e:
            set_note(self.note_label, f"日历文件有误，未导入：{e.message}")
            return False
        self.parsed = (years, rows)
        lines = []
        for y in sorted(years):
            kinds = Counter(kind for d, kind, _n in rows if d.year == y)
            line = f"{y} 年：放假 {kinds.get('holiday', 0)} 天，调休上班 {kinds.get('workday', 0)} 天"
            if y in self.years:
                line += "（将替换已有的该年安排）"
            lines.append(line)
        self.preview_label.setText("文件 " + path.name + " 包含：\n" + "\n".join(lines))
        set_note(self.note_label, "请核对后按“确认导入”（Alt+Y）", ok=True)
        self.confirm_button.setEnabled(self.allowed)
        if not self.allowed:
            set_note(self.note_label, "只有值班长可以导入日历")
        self.confirm_button.setFocus()
        return True

    def confirm_import(self) -> None:
        if self.parsed is None or not self.allowed:
            return
        years, rows = self.parsed
        source = Path(self.path_edit.text().strip()).name
        self.setEnabled(False)
        args = dict(years=sorted(years), rows=rows, source=source, actor=self.clerk)
        DbOp(self, lambda svc: _import_and_read_years(svc, **args)).on_done(self._done).run()

    def _done(self, years, error) -> None:
        self.setEnabled(True)
        if error is not None:
            set_note(self.note_label, error_text(error))
            return
        imported = sorted(self.parsed[0]) if self.parsed else []
        self.parsed = None
        self.confirm_button.setEnabled(False)
        self.years = list(years)
        self._show_years()
        self.preview_label.setText("")
        set_note(self.note_label, f"已导入 {years_text(imported)} 的节假日安排", ok=True)
        self.path_edit.selectAll()
        self.path_edit.setFocus()
        self.imported.emit(self.years)

