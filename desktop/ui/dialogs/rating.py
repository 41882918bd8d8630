"""好差评: the applicant rates this visit (voluntary, nothing preselected); a 差评 shows its rectification owner and due date."""

from __future__ import annotations

from desktop.core.cases.closing import LEVELS
from desktop.core.errors import YichuangError
from desktop.ui.dialogs.base import FormDialog, case_no_edit, set_note
from desktop.ui.qt import (
    QButtonGroup,
    QComboBox,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QKeyEvent,
    QLabel,
    QLineEdit,
    QRadioButton,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)

DIMENSIONS = (("efficiency", "办事效率"), ("service", "服务水平"), ("attitude", "服务态度"))
INVITATION = "欢迎您对本次服务进行评价。评价自愿，不评价不影响办理。"
FALLBACK_NOTE = "（窗口代录：仅在申请人评价屏不可用时使用，记录为“窗口人员代录”）"


def stars(n: int) -> str:
    return "★" * n + "☆" * (5 - n)


class RatingDialog(FormDialog):
    """Emits `rated(RatingRecord)`. A 好评/中评 closes the dialog; a 差评 stays open to show the follow-up.

    `clerk` is the clerk at the window (may be None): the rating itself is the applicant's."""

    rated = Signal(object)
    busy_text = "正在提交…"

    def __init__(self, parent: QWidget | None, services, clerk=None, case_no: str = "") -> None:
        super().__init__(parent, services, clerk, title="好差评", ok_text="提交评价", buttons=QDialogButtonBox.StandardButton.NoButton)
        self.record = None
        self.skip_button = self.buttons.addButton("不评价", QDialogButtonBox.ButtonRole.RejectRole)
        invite = QLabel(INVITATION + "\n" + FALLBACK_NOTE, self)
        invite.setWordWrap(True)
        self.case_edit = case_no_edit(self, "ratingCaseEdit")
        self.case_edit.setText(case_no)

        self.overall_box = QGroupBox("总体评价（按数字键 1–5 选择）", self)
        self.overall = QButtonGroup(self)
        self.overall.setExclusive(True)
        col = QVBoxLayout(self.overall_box)
        for value in sorted(LEVELS, reverse=True):
            button = QRadioButton(f"{value}　{stars(value)}　{LEVELS[value]}", self.overall_box)
            button.setObjectName(f"level{value}")
            self.overall.addButton(button, value)
            col.addWidget(button)

        self.dimension_combos: dict[str, QComboBox] = {}
        dims = QGroupBox("分项评价（可不评）", self)
        grid = QGridLayout(dims)
        for i, (key, label) in enumerate(DIMENSIONS):
            combo = QComboBox(dims)
            combo.setObjectName(f"{key}Combo")
            combo.addItem("不评价", None)
            for value in sorted(LEVELS, reverse=True):
                combo.addItem(f"{stars(value)} {LEVELS[value]}", value)
            self.dimension_combos[key] = combo
            grid.addWidget(QLabel(label, dims), i, 0)
            grid.addWidget(combo, i, 1)
        self.comment_edit = QLineEdit(self)
        self.comment_edit.setObjectName("ratingCommentEdit")
        self.comment_edit.setPlaceholderText("意见或建议，可不填")
        self.follow_up = QLabel("", self)
        self.follow_up.setObjectName("rectifyLabel")
        self.follow_up.setWordWrap(True)
        self.follow_up.hide()

        self.form.addRow("办件编号", self.case_edit)
        self.form.addRow("意见建议", self.comment_edit)
        self.lay_out(above=(invite, self.overall_box, dims), after_message=(self.follow_up,))
        if case_no:
            self.overall_box.setFocus()
        else:
            self.case_edit.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Digits 1-5 choose the overall level (when the cursor is not in a text field)."""
        key = event.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_5 and not isinstance(self.focusWidget(), QLineEdit):
            self.overall.button(key - Qt.Key.Key_0).setChecked(True)
            self.overall.button(key - Qt.Key.Key_0).setFocus()
            return
        super().keyPressEvent(event)

    def choose(self, overall: int) -> None:
        self.overall.button(overall).setChecked(True)

    def validate(self):
        if self.record is not None:  # a 差评 was stored and its follow-up is on screen
            self.accept()
            return None
        overall = self.overall.checkedId()
        if overall < 1:
            self.fail("请选择总体评价（1–5），或按“不评价”关闭")
            return None
        return dict(case_no=self.case_edit.text().strip(), overall=overall, comment=self.comment_edit.text(),
                    source="clerk_fallback",
                    **{k: c.currentData() for k, c in self.dimension_combos.items()})

    def act(self, args) -> None:
        self.write(lambda svc: svc.record_rating(**args), self._done)

    def _done(self, record) -> None:
        self.record = record
        self.rated.emit(record)
        if not record.is_bad:
            self.accept()
            return
        owner = record.rectify_owner or "（未指定）"
        try:
            who = self.services.clerk(record.rectify_owner)
            owner = f"{who.name}（{record.rectify_owner}）"
        except YichuangError:
            pass
        due = f"{record.rectify_due:%Y-%m-%d}" if record.rectify_due else "—"
        self.follow_up.setText(
            f"已记录“{record.level}”，并已转为整改事项：责任人 {owner}，整改期限 {due}（当日联系评价人）。"
        )
        set_note(self.error_label, "")
        self.follow_up.show()
        self.ok_button.setText("关闭")
        self.skip_button.hide()
        for w in (self.overall_box, self.comment_edit, *self.dimension_combos.values(), self.case_edit):
            w.setEnabled(False)
        self.ok_button.setFocus()
