"""网上预审 at the counter: find a pre-reviewed online application by its number or the applicant's ID card
(typed, or placed on the reader), see what was checked online, check the originals and accept it with one
key (Ctrl+Enter). The case keeps the online application number (services.accept_prereview)."""

from __future__ import annotations

from html import escape

from desktop.core.labels import MATERIAL_STATE_LABELS, OUTCOME_LABELS
from desktop.core.privacy import mask_id
from desktop.ui.dialogs.base import FormDialog, ctrl_enter_does, error_text, read_only_table
from desktop.ui.qt import QHBoxLayout, QLabel, QLineEdit, QPushButton, QTableWidgetItem, QWidget, Signal

HEADERS = ("网上申请编号", "事项", "申请人", "证件号码", "提交时间", "状态")
ACCEPT_TEXT = "原件核验无误，受理（Ctrl+Enter）"


def detail_html(item, checked, problem: str) -> str:
    """What was checked online, for the clerk: matter, people (ID masked), each material's online state, the
    outcome the rules give, and which originals to check at the counter."""
    if item.case_no:
        return f"网上申请 {escape(item.app_no)} 已受理为办件 <b>{escape(item.case_no)}</b>，无需再次受理。"
    if checked is None:
        return f"<span style='color:#b00020'>网上申请 {escape(item.app_no)} 不能按原样受理：{escape(problem)}</span>"
    who = checked.applicant
    number = getattr(who, "uscc", "") or getattr(who, "id_no", "")
    lines = [f"<b>{escape(checked.matter.name)}</b>（{escape(checked.matter.code)}）",
             f"申请人：{escape(who.name)}　{escape(mask_id(number))}"]
    if checked.agent is not None:
        lines.append(f"代办人：{escape(checked.agent.name)}　{escape(mask_id(checked.agent.id_no))}")
    lines.append(f"网上提交：{escape(item.submitted_at or '—')}")
    lines.append("网上预审的材料：")
    for m in checked.materials:
        state = MATERIAL_STATE_LABELS.get(m.state, m.state)
        colour = "#b00020" if m.state in ("missing", "defective") else "#1b5e20"
        lines.append(f"　· {escape(m.name)}：<span style='color:{colour}'>{escape(state)}</span>")
    originals = [m.name for m in checked.materials if m.state == "paper"]
    if originals:
        lines.append("<b>请核验原件：</b>" + escape("、".join(originals)))
    outcome = OUTCOME_LABELS.get(checked.outcome, checked.outcome)
    lines.append(f"受理后：<b>{escape(outcome)}</b>")
    lines += [f"<span style='color:#8a5a00'>提示：{escape(w)}</span>" for w in checked.warnings]
    return "<br>".join(lines)


class PrereviewDialog(FormDialog):
    """`found(n)` after a search is on screen, `shown(app_no)` after a pre-review's detail is; after accept(),
    `result` is the IntakeResult of the case taken."""

    found = Signal(int)
    shown = Signal(str)
    taken = Signal(object)

    def __init__(self, parent: QWidget | None, services, clerk, text: str = "") -> None:
        super().__init__(parent, services, clerk, title="网上预审件受理", ok_text=ACCEPT_TEXT, min_width=760)
        self.result = None
        self.items: list = []
        self.current = None  # (item, checked, problem) of the pre-review on screen
        self.ok_button.setDefault(False)  # Enter searches; accepting is Ctrl+Enter (or the button)
        self.ok_button.setAutoDefault(False)
        self.ok_button.setEnabled(False)
        hint = QLabel("输入网上申请编号或申请人证件号码后按回车，或在读卡器上放申请人身份证。", self)
        hint.setWordWrap(True)
        self.search_edit = QLineEdit(text, self)
        self.search_edit.setObjectName("prereviewSearch")
        self.search_edit.setMaxLength(40)
        self.search_edit.setPlaceholderText("网上申请编号 / 证件号码")
        self.search_edit.returnPressed.connect(self.search)
        find = QPushButton("查找", self)
        find.setAutoDefault(False)
        find.clicked.connect(self.search)
        row = QHBoxLayout()
        row.addWidget(self.search_edit, 1)
        row.addWidget(find)
        self.form.addRow("查找", row)
        self.table = read_only_table(self, "prereviewTable", HEADERS)
        self.table.itemSelectionChanged.connect(self._selected)
        self.detail = QLabel("", self)
        self.detail.setObjectName("prereviewDetail")
        self.detail.setWordWrap(True)
        self.detail.setMinimumHeight(160)
        self.lay_out(below=(self.table, self.detail), above=(hint,))
        ctrl_enter_does(self, self.submit)
        self.search_edit.setFocus()
        if text:
            self.search()

    # ----- finding
    def use_card(self, card) -> None:
        """An ID card placed on the reader while this dialog is open: find its holder's pre-reviews."""
        self.search_edit.setText(card.id_no)
        self.search()

    def search(self) -> None:
        text = self.search_edit.text()
        self.current = None
        self.ok_button.setEnabled(False)
        self.detail.setText("")
        self.read(lambda svc: svc.search_prereviews(text=text), self._show_items, self._no_items)

    def _no_items(self, error) -> None:
        self.fail(error_text(error), self.search_edit)
        self.found.emit(0)

    def _show_items(self, items) -> None:
        self.items = list(items)
        self.table.setRowCount(0)
        for item in self.items:
            r = self.table.rowCount()
            self.table.insertRow(r)
            state = f"已受理 {item.case_no}" if item.case_no else "待核验原件"
            for c, text in enumerate((item.app_no, item.matter_code, item.applicant_name,
                                      item.applicant_id_masked, item.submitted_at, state)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        if not self.items:
            self.fail(f"没有找到“{self.search_edit.text().strip()}”的网上预审件（请核对编号，或先导入网上预审数据）",
                      self.search_edit)
        else:
            self.fail("")
            self.table.selectRow(0)  # waiting ones come first
        self.found.emit(len(self.items))

    def _selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.items):
            return
        app_no = self.items[rows[0].row()].app_no
        self.current = None
        self.ok_button.setEnabled(False)
        self.read(lambda svc: svc.prereview_detail(app_no=app_no), self._show_detail)

    def _show_detail(self, detail) -> None:
        item, checked, problem = detail
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.items[rows[0].row()].app_no != item.app_no:
            return  # the clerk moved on meanwhile
        self.current = detail
        self.detail.setText(detail_html(item, checked, problem))
        self.ok_button.setEnabled(not item.case_no and checked is not None)
        self.shown.emit(item.app_no)

    def detail_matter_name(self) -> str:
        checked = self.current[1] if self.current else None
        return checked.matter.name if checked is not None else ""

    # ----- accepting: one key
    def validate(self):
        if self.current is None:
            self.fail("请先查找并选中一件网上预审件", self.search_edit)
            return None
        item, checked, problem = self.current
        if item.case_no:
            self.fail(f"网上申请 {item.app_no} 已受理为办件 {item.case_no}")
            return None
        if checked is None:
            self.fail(f"网上申请 {item.app_no} 不能按原样受理：{problem}")
            return None
        return item.app_no

    def act(self, app_no: str) -> None:
        clerk = self.clerk
        self.write(lambda svc: svc.accept_prereview(app_no=app_no, clerk=clerk), self._done, changes=("cases",))

    def _done(self, result) -> None:
        self.result = result
        self.taken.emit(result)
        self.accept()
