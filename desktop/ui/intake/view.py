"""The intake view: matter search and guide on the left; applicant form, material checklist and buttons in the centre.

A mixin of MainWindow (the frame): it builds the widgets as the window's attributes, which the intake
controller and the clerk-action tests use by name.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from desktop.core.errors import YichuangError
from desktop.ui.applicant_form import ApplicantForm
from desktop.ui.intake.parts import ACCEPT_TEXT, ResultPanel
from desktop.ui.material_checklist import GAP_DEFAULT_DAYS, MaterialChecklist
from desktop.ui.material_detail import MaterialDetailEditor
from desktop.ui.matter_panel import MatterPanel
from desktop.ui.qt import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    Qt,
    QVBoxLayout,
    QWidget,
)


class IntakeView:
    """Widgets of the intake; `self` is the MainWindow."""

    def _build_intake_view(self) -> None:
        services = self.services
        # left: matter search and guide
        self.matter_panel = MatterPanel(services, self)
        self.matter_panel.matter_chosen.connect(self.choose_matter)

        # centre: result, applicant, materials, buttons
        self.result_panel = ResultPanel(self)
        self.form = ApplicantForm(self)
        self.checklist = MaterialChecklist(self)
        self.checklist.changed.connect(self._update_summary)
        self.checklist.rejected_key.connect(self.set_message)
        self.checklist.gap_default = self._gap_default
        self.detail_editor = MaterialDetailEditor(self.checklist, self)
        self.detail_editor.today = lambda: self.services.clock().date()
        self.checklist.detail_wanted.connect(self.detail_editor.open_for)
        self.detail_editor.done.connect(self._detail_done)
        self.supplement_banner = QLabel("", self)
        self.supplement_banner.setObjectName("supplementBanner")
        self.supplement_banner.setWordWrap(True)
        self.supplement_banner.hide()
        self.result_edit = QLineEdit(self)
        self.result_edit.setObjectName("resultEdit")
        self.result_edit.setPlaceholderText(
            "当场办结事项：填写当场出具的结果，例如“已签注，有效期至 2027-03-09”"
        )
        self.result_label = QLabel("办理结果", self)
        self.result_label.setBuddy(self.result_edit)
        self.matter_title = QLabel("请先在左侧选择办理事项（F2）", self)
        self.matter_title.setObjectName("matterTitle")
        materials_title = QLabel("申请材料（F4）", self)
        materials_title.setObjectName("sectionTitle")
        self.materials_hint = QLabel("空格：纸质收取 ⇄ 缺少（并跳到下一行）　数字 1–6：选择收取情况", self)
        self.materials_hint.setObjectName("hintLabel")
        self.summary_label = QLabel("", self)
        self.summary_label.setObjectName("summaryLabel")
        self.message_label = QLabel("", self)
        self.message_label.setObjectName("messageLine")
        self.message_label.setWordWrap(True)
        self.accept_button = QPushButton(ACCEPT_TEXT, self)
        self.accept_button.setObjectName("acceptButton")
        self.accept_button.clicked.connect(self.accept_intake)
        self.print_button = QPushButton("打印（Ctrl+P）", self)
        self.print_button.setObjectName("printButton")
        self.print_button.setEnabled(False)
        self.print_button.clicked.connect(self.print_last)
        self.clear_button = QPushButton("清空（Ctrl+N）", self)
        self.clear_button.clicked.connect(self.new_intake)
        self.refuse_button = QPushButton("不予受理（F12）", self)
        self.refuse_button.setObjectName("refuseButton")
        self.refuse_button.clicked.connect(self.refuse_intake)
        self.consult_button = QPushButton("咨询登记（F10）", self)
        self.consult_button.clicked.connect(self.open_consultation)
        self.busy_bar = QProgressBar(self)
        self.busy_bar.setObjectName("busyBar")
        self.busy_bar.setRange(0, 0)  # indeterminate
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(160)
        self.busy_bar.hide()

        centre = QWidget(self)
        centre.setObjectName("centrePane")
        col = QVBoxLayout(centre)
        col.setContentsMargins(8, 0, 0, 0)
        col.setSpacing(8)
        col.addWidget(self.result_panel)
        col.addWidget(self.supplement_banner)
        col.addWidget(self.matter_title)
        col.addWidget(self.form)
        head = QHBoxLayout()
        head.addWidget(materials_title)
        head.addStretch(1)
        head.addWidget(self.materials_hint)
        col.addLayout(head)
        col.addWidget(self.checklist, 1)
        col.addWidget(self.detail_editor)
        result_row = QHBoxLayout()
        result_row.addWidget(self.result_label)
        result_row.addWidget(self.result_edit, 1)
        col.addLayout(result_row)
        self.keys_hint = QLabel("Ctrl+L 办件查询　F6 补正　F7 材料流转　F8 结果送达　F11 好差评　Ctrl+R 补打", self)
        self.keys_hint.setObjectName("hintLabel")
        summary_row = QHBoxLayout()
        summary_row.addWidget(self.summary_label, 1)
        summary_row.addWidget(self.keys_hint)
        col.addLayout(summary_row)
        col.addWidget(self.message_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.clear_button)
        buttons.addWidget(self.consult_button)
        buttons.addStretch(1)
        buttons.addWidget(self.busy_bar)
        buttons.addWidget(self.refuse_button)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.accept_button)
        col.addLayout(buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.matter_panel)
        splitter.addWidget(centre)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setSizes([400, 1000])
        splitter.setChildrenCollapsible(False)
        outer = QWidget(self)
        outer_layout = QVBoxLayout(outer)
        outer_layout.setContentsMargins(10, 8, 10, 4)
        outer_layout.addWidget(splitter)
        self.setCentralWidget(outer)

    def _set_tab_order(self) -> None:
        chain = [
            self.matter_panel.search_edit,
            self.matter_panel.results,
            *self.form.focus_chain(),
            self.checklist,
            self.result_edit,
            self.accept_button,
            self.refuse_button,
            self.print_button,
            self.clear_button,
            self.consult_button,
        ]
        for a, b in pairwise(chain):
            QWidget.setTabOrder(a, b)

    def focus_search(self) -> None:
        self.matter_panel.search_edit.setFocus()
        self.matter_panel.search_edit.selectAll()

    def focus_applicant(self) -> None:
        self.form.first_field().setFocus()

    def focus_materials(self) -> None:
        self.checklist.setFocus()
        if self.checklist.rowCount() and self.checklist.currentRow() < 0:
            self.checklist.setCurrentCell(0, 0)

    def _update_summary(self) -> None:
        if self.matter is None:
            self.summary_label.setText("")
            return
        got, total = self.checklist.required_counts()
        text = f"必需材料已收 {got}/{total} 项"
        if got < total:
            text += (
                "　→ 将出具《一次性告知单》" if self.supplement_record else "　→ 受理时将出具《一次性告知单》"
            )
        elif self.matter.on_the_spot:
            text += "　→ 当场办结"
        else:
            text += "　→ 受理"
        gaps = sum(1 for r in range(self.checklist.rowCount()) if self.checklist.state(r) == "gap")
        if gaps and got == total:
            text += f"（容缺 {gaps} 项，另打印《容缺受理承诺书》）"
        self.summary_label.setText(text)

    def set_message(self, text: str, kind: str = "error") -> None:
        self.message_label.setText(text)
        self.message_label.setProperty("kind", kind)
        self.message_label.style().unpolish(self.message_label)
        self.message_label.style().polish(self.message_label)

    def _gap_default(self) -> date:
        """容缺: the promised supply date offered by default, 5 working days from today."""
        today = self.services.clock().date()
        try:
            return self.services.add_workdays(start=today, days=GAP_DEFAULT_DAYS)
        except YichuangError:
            return today + timedelta(days=GAP_DEFAULT_DAYS)

    def _detail_done(self) -> None:
        """Enter in the detail editor: back to the checklist, on the next row."""
        row = self.checklist.currentRow()
        self.checklist.setFocus()
        if 0 <= row < self.checklist.rowCount() - 1:
            self.checklist.setCurrentCell(row + 1, 0)

    def _show_result_field(self, on: bool) -> None:
        self.result_label.setVisible(on)
        self.result_edit.setVisible(on)

