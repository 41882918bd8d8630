"""Left column: one search box for matters (name, code, pinyin initials) and the selected matter's guide."""

from __future__ import annotations

from html import escape

from desktop.core import centres
from desktop.core.errors import YichuangError
from desktop.core.types import FORM_LABELS, MODE_LABELS, Matter
from desktop.ui.qt import (
    QColor,
    QEvent,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QObject,
    Qt,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
    Signal,
)

SEARCH_LIMIT = 20


def guide_html(matter: Matter) -> str:
    """The 办事指南 of a matter as simple HTML for a QTextBrowser."""
    days = f"承诺 {matter.promised_days} 个工作日"
    if matter.statutory_days is not None:
        days += f"（法定 {matter.statutory_days} 个工作日）"
    if matter.on_the_spot:
        days = "当场办结"
    flags = []
    if matter.early_completion:
        flags.append("提前办结")
    if matter.commitment_allowed:
        flags.append("可告知承诺")
    kinds = "、".join({"person": "个人", "enterprise": "企业"}.get(k, k) for k in matter.applicant_kinds)
    rows = [
        ("事项编码", matter.code),
        ("实施部门", matter.department),
        ("办理方式", MODE_LABELS.get(matter.mode, matter.mode)),
        ("办理时限", days + ("　" + "、".join(flags) if flags else "")),
        ("申请对象", kinds),
        ("收费", matter.fee or "不收费"),
    ]
    parts = [
        f"<h3 style='margin:0 0 6px 0'>{escape(matter.name)}</h3>",
        "<table cellspacing='0' cellpadding='2'>",
    ]
    for k, v in rows:
        parts.append(f"<tr><td style='color:#555;white-space:nowrap'>{k}</td><td>{escape(str(v))}</td></tr>")
    parts.append("</table><p style='margin:8px 0 2px 0'><b>申请材料</b></p><ol style='margin-left:-20px'>")
    for m in matter.materials:
        tags = [FORM_LABELS.get(m.form, m.form), f"{m.copies} 份"]
        tags.append("必需" if m.required else "可选")
        if m.e_licence:
            tags.append("可用电子证照")
        line = f"{escape(m.name)}<span style='color:#555'>（{'，'.join(tags)}）</span>"
        if m.standard:
            line += f"<br><span style='color:#444'>要求：{escape(m.standard)}</span>"
        parts.append(f"<li style='margin-bottom:4px'>{line}</li>")
    parts.append("</ol>")
    if matter.legal_basis:
        parts.append(f"<p style='margin:4px 0'><b>设定依据</b><br>{escape(matter.legal_basis)}</p>")
    return "".join(parts)


class MatterPanel(QWidget):
    """Emits `matter_chosen(Matter)` when the clerk picks a result (Enter, Down+Enter, or double-click)."""

    matter_chosen = Signal(object)

    def __init__(self, services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.search_edit = QLineEdit(self)
        self.search_edit.setObjectName("matterSearch")
        self.search_edit.setPlaceholderText("搜索事项：名称、编码或拼音首字母（F2）")
        self.search_edit.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setObjectName("matterResults")
        self.results.setMaximumHeight(220)
        self.hint = QLabel("", self)
        self.hint.setObjectName("hintLabel")
        self.guide = QTextBrowser(self)
        self.guide.setObjectName("matterGuide")
        self.guide.setOpenLinks(False)
        self.guide.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.guide.setHtml(
            "<p style='color:#666'>在上方输入事项名称、编码或拼音首字母（如 “hj” 查户籍），"
            "按 ↓ 选择、回车确定。选定后这里显示办事指南。</p>"
        )
        title = QLabel("办理事项", self)
        title.setObjectName("sectionTitle")
        guide_title = QLabel("办事指南", self)
        guide_title.setObjectName("sectionTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.search_edit)
        layout.addWidget(self.results)
        layout.addWidget(self.hint)
        layout.addWidget(guide_title)
        layout.addWidget(self.guide, 1)
        self.current: Matter | None = None
        self.centre_type = services.setting("centre_type")  # 两个集中 ('' = every matter is taken here)
        self._found: list[Matter] = []
        self.search_edit.textChanged.connect(self.update_results)
        self.search_edit.installEventFilter(self)
        self.results.installEventFilter(self)
        self.results.itemActivated.connect(lambda _item: self.choose_current())

    def update_results(self, text: str) -> None:
        """Re-run the search on every keystroke (the index is in memory)."""
        self.results.clear()
        self._found = []
        query = text.strip()
        if not query:
            self.hint.setText("")
            return
        try:
            self._found = self.services.search_matters(query=query, limit=SEARCH_LIMIT)
        except YichuangError as e:
            self.hint.setText(e.message)
            return
        for m in self._found:
            item = QListWidgetItem(f"{m.name}　{m.code}")
            item.setData(Qt.ItemDataRole.UserRole, m.code)
            item.setToolTip(f"{m.department} · {MODE_LABELS.get(m.mode, m.mode)}")
            if not centres.taken_here(m, self.centre_type):  # 两个集中: shown, marked, refused at intake
                item.setText(f"{m.name}　{m.code}　〔本中心不受理，请到{centres.where_to_go(m)}〕")
                item.setForeground(QColor("#b00020"))
                item.setToolTip(centres.wrong_centre_message(m, self.centre_type))
            self.results.addItem(item)
        if self._found:
            self.results.setCurrentRow(0)
            self.hint.setText(f"找到 {len(self._found)} 项，↓ 选择，回车确定")
        else:
            self.hint.setText("没有找到匹配的事项")

    def choose_current(self) -> bool:
        row = self.results.currentRow()
        if row < 0 or row >= len(self._found):
            return False
        self.show_matter(self._found[row])
        self.matter_chosen.emit(self._found[row])
        return True

    def show_matter(self, matter: Matter | None) -> None:
        self.current = matter
        if matter is None:
            self.guide.clear()
            return
        banner = ""
        if not centres.taken_here(matter, self.centre_type):
            banner = (f"<p style='background:#fdecea;color:#b00020;padding:6px'><b>"
                      f"{escape(centres.wrong_centre_message(matter, self.centre_type))}</b></p>")
        self.guide.setHtml(banner + guide_html(matter))

    def reset(self) -> None:
        """Ready for the next applicant: empty search, guide kept until another matter is chosen."""
        self.search_edit.clear()
        self.search_edit.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        plain = not (
            event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
        )
        if watched is self.search_edit and plain:
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.results.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                row = max(0, min(self.results.count() - 1, self.results.currentRow() + step))
                self.results.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                return self.choose_current()
        if watched is self.results and plain and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            return self.choose_current()
        return False
