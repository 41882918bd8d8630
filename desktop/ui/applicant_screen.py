"""The applicant's screen (评价屏): a second top-level window facing the person across the counter.

It shows what the clerk does as he does it: the matter, the materials as they are ticked (the one-time
notice forming live: 缺少：… in red), the promised date, the applicant's identity masked as on paper
(desktop.core.privacy); at the end of the visit the 好差评 pad: nothing preselected, the overall level and
the three dimensions as large buttons, a comment, 提交 / 不评价. The rating is recorded from here
(source applicant_screen); the clerk's F11 dialog remains as a fallback (source clerk_fallback).

Placement: on the second screen (QGuiApplication.screens()) full screen when there is one; on one screen a
movable window, off unless the setting `applicant_screen` is 1 (0 switches it off everywhere).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from desktop.core.cases.closing import LEVELS
from desktop.core.privacy import mask_id, mask_phone
from desktop.core.types import STATE_LABELS, Matter
from desktop.ui.qt import (
    QButtonGroup,
    QGridLayout,
    QGuiApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import DbOp

DIMENSIONS = (("efficiency", "办事效率"), ("service", "服务水平"), ("attitude", "服务态度"))
WELCOME = "您好，欢迎办理业务"
INVITE = "请您对本次服务进行评价（自愿，不评价不影响办理）"
THANKS = "感谢您的评价！"
STYLE = """
QWidget#applicantScreen { background: #f7f9fc; }
QLabel { font-size: 26px; }
QLabel#bigTitle { font-size: 40px; font-weight: bold; color: #0b3d91; }
QLabel#missingLine { color: #c00000; font-size: 30px; font-weight: bold; }
QLabel#promisedLine { font-size: 30px; color: #0b6b2b; }
QPushButton { font-size: 28px; min-height: 72px; min-width: 120px; padding: 6px 14px; }
QPushButton:checked { background: #0b3d91; color: white; }
QLineEdit { font-size: 28px; min-height: 64px; }
"""


def wants_screen(setting: str, screen_count: int) -> bool:
    """Open the applicant's screen? '1' always, '0' never, '' (default) only when a second screen exists."""
    if setting == "0":
        return False
    return setting == "1" or screen_count > 1


class ApplicantScreen(QWidget):
    """`rated(RatingRecord)` when the applicant submitted; `skipped(case_no)` when he chose not to rate."""

    rated = Signal(object)
    skipped = Signal(str)
    failed = Signal(str)

    def __init__(self, services, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.services = services
        self.setObjectName("applicantScreen")
        self.setWindowTitle("一窗 · 申请人评价屏")
        self.setStyleSheet(STYLE)
        self.case_no = ""
        self.occasion: str | None = None
        self.stack = QStackedWidget(self)
        lay = QVBoxLayout(self)
        lay.addWidget(self.stack)
        self._build_welcome()
        self._build_progress()
        self._build_pad()
        self._build_thanks()
        self.resize(1280, 800)

    # ----- pages
    def _build_welcome(self) -> None:
        page = QWidget(self)
        col = QVBoxLayout(page)
        self.welcome_label = QLabel(WELCOME, page)
        self.welcome_label.setObjectName("bigTitle")
        self.welcome_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        col.addWidget(self.welcome_label)
        self.stack.addWidget(page)

    def _build_progress(self) -> None:
        page = QWidget(self)
        col = QVBoxLayout(page)
        self.matter_label = QLabel("", page)
        self.matter_label.setObjectName("bigTitle")
        self.matter_label.setWordWrap(True)
        self.person_label = QLabel("", page)
        self.person_label.setObjectName("personLine")
        self.materials_label = QLabel("", page)
        self.materials_label.setObjectName("materialsList")
        self.materials_label.setWordWrap(True)
        self.materials_label.setTextFormat(Qt.TextFormat.RichText)
        self.missing_label = QLabel("", page)
        self.missing_label.setObjectName("missingLine")
        self.missing_label.setWordWrap(True)
        self.promised_label = QLabel("", page)
        self.promised_label.setObjectName("promisedLine")
        self.promised_label.setWordWrap(True)
        for w in (self.matter_label, self.person_label, self.materials_label, self.missing_label,
                  self.promised_label):
            col.addWidget(w)
        col.addStretch(1)
        self.stack.addWidget(page)

    def _level_row(self, parent: QWidget, name: str) -> tuple[QButtonGroup, QHBoxLayout]:
        group = QButtonGroup(parent)
        group.setExclusive(True)
        row = QHBoxLayout()
        for value in sorted(LEVELS, reverse=True):
            button = QPushButton(f"{'★' * value}\n{LEVELS[value]}", parent)
            button.setObjectName(f"{name}{value}")
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # touch: no keyboard focus ring
            group.addButton(button, value)
            row.addWidget(button)
        return group, row

    def _build_pad(self) -> None:
        page = QWidget(self)
        col = QVBoxLayout(page)
        self.invite_label = QLabel(INVITE, page)
        self.invite_label.setObjectName("bigTitle")
        self.invite_label.setWordWrap(True)
        col.addWidget(self.invite_label)
        col.addWidget(QLabel("总体评价", page))
        self.overall, row = self._level_row(page, "overall")
        col.addLayout(row)
        grid = QGridLayout()
        self.dimensions: dict[str, QButtonGroup] = {}
        for i, (key, label) in enumerate(DIMENSIONS):
            grid.addWidget(QLabel(f"{label}（可不评）", page), i, 0)
            group, row = self._level_row(page, key)
            self.dimensions[key] = group
            grid.addLayout(row, i, 1)
        col.addLayout(grid)
        self.comment_edit = QLineEdit(page)
        self.comment_edit.setObjectName("padComment")
        self.comment_edit.setPlaceholderText("意见或建议（可不填）")
        col.addWidget(self.comment_edit)
        self.pad_note = QLabel("", page)
        self.pad_note.setObjectName("missingLine")
        col.addWidget(self.pad_note)
        buttons = QHBoxLayout()
        self.submit_button = QPushButton("提交评价", page)
        self.submit_button.setObjectName("padSubmit")
        self.skip_button = QPushButton("不评价", page)
        self.skip_button.setObjectName("padSkip")
        self.submit_button.clicked.connect(self.submit)
        self.skip_button.clicked.connect(self.skip)
        buttons.addStretch(1)
        buttons.addWidget(self.skip_button)
        buttons.addWidget(self.submit_button)
        col.addLayout(buttons)
        self.stack.addWidget(page)

    def _build_thanks(self) -> None:
        page = QWidget(self)
        col = QVBoxLayout(page)
        self.thanks_label = QLabel(THANKS, page)
        self.thanks_label.setObjectName("bigTitle")
        self.thanks_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thanks_label.setWordWrap(True)
        col.addWidget(self.thanks_label)
        self.stack.addWidget(page)

    # ----- placement
    def place(self) -> bool:
        """Full screen on the second screen when there is one (True); else a movable window (False)."""
        screens = QGuiApplication.screens()
        if len(screens) > 1:
            other = screens[1]
            self.setScreen(other)
            self.setGeometry(other.geometry())
            self.showFullScreen()
            return True
        self.showNormal()
        return False

    # ----- what the clerk does
    def show_welcome(self) -> None:
        self.stack.setCurrentIndex(0)

    def show_intake(self, *, matter: Matter | None, applicant: dict[str, Any], states: list[tuple[str, bool, str]],
                    promised: date | None) -> None:
        """The intake as it forms: `states` = (material name, required, state) in the matter's order."""
        if matter is None:
            self.show_welcome()
            return
        self.stack.setCurrentIndex(1)
        self.matter_label.setText(f"办理事项：{matter.name}")
        self.person_label.setText(masked_person(applicant))
        rows = []
        for name, required, state in states:
            mark = "✔" if state not in ("missing", "defective") else "✘"
            colour = "#0b6b2b" if mark == "✔" else "#c00000"
            rows.append(f"<span style='color:{colour}'>{mark}</span> {name}"
                        f"{'' if required else '（可选）'}　<span style='color:#555'>{STATE_LABELS.get(state, state)}</span>")
        self.materials_label.setText("<br>".join(rows))
        missing = [name for name, required, state in states if required and state in ("missing", "defective")]
        self.missing_label.setText(f"缺少：{'、'.join(missing)}" if missing else "")
        self.missing_label.setVisible(bool(missing))
        if missing:
            self.promised_label.setText(f"材料补齐后 {matter.promised_days} 个工作日内办结"
                                        if not matter.on_the_spot else "材料补齐后当场办结")
        elif matter.on_the_spot:
            self.promised_label.setText("当场办结")
        elif promised is not None:
            self.promised_label.setText(f"承诺办结日期：{promised:%Y年%m月%d日}")
        else:
            self.promised_label.setText(f"受理后 {matter.promised_days} 个工作日内办结")

    def ask_rating(self, case_no: str, occasion: str | None = None) -> None:
        """The 好差评 pad for `case_no`, nothing preselected."""
        self.case_no, self.occasion = case_no, occasion
        for group in (self.overall, *self.dimensions.values()):
            group.setExclusive(False)
            for b in group.buttons():
                b.setChecked(False)
            group.setExclusive(True)
        self.comment_edit.clear()
        self.pad_note.setText("")
        self.submit_button.setEnabled(True)
        self.skip_button.setEnabled(True)
        self.stack.setCurrentIndex(2)

    @property
    def asking(self) -> bool:
        return self.stack.currentIndex() == 2 and bool(self.case_no)

    def submit(self) -> int | None:
        overall = self.overall.checkedId()
        if overall < 1:
            self.pad_note.setText("请先选择总体评价，或点“不评价”")
            return None
        args = dict(case_no=self.case_no, overall=overall, comment=self.comment_edit.text(), occasion=self.occasion,
                    source="applicant_screen",
                    **{k: (g.checkedId() if g.checkedId() > 0 else None) for k, g in self.dimensions.items()})
        self.submit_button.setEnabled(False)
        self.skip_button.setEnabled(False)

        def done(record) -> None:
            self.case_no = ""
            self.thanks_label.setText(THANKS if not record.is_bad else
                                      f"{THANKS}\n您的意见已转为整改事项，工作人员将于当日与您联系。")
            self.stack.setCurrentIndex(3)
            self.rated.emit(record)

        def failed(error) -> None:
            from desktop.ui.feedback import message_of

            self.pad_note.setText(message_of(error))
            self.submit_button.setEnabled(True)
            self.skip_button.setEnabled(True)
            self.failed.emit(message_of(error))

        return DbOp(self, lambda svc: svc.record_rating(**args)).changes("ratings").success(done).failure(failed).run()

    def skip(self) -> None:
        case_no, self.case_no = self.case_no, ""
        self.thanks_label.setText("感谢您的配合，祝您生活愉快！")
        self.stack.setCurrentIndex(3)
        self.skipped.emit(case_no)


def masked_person(applicant: dict[str, Any]) -> str:
    """The applicant as the screen shows him: name in full, ID number and phone masked as on paper."""
    if not applicant:
        return ""
    if applicant.get("kind") == "enterprise":
        contact = applicant.get("contact") or {}
        text = f"申请单位：{applicant.get('name', '')}　统一社会信用代码：{mask_id(applicant.get('uscc', ''))}"
        if contact.get("name"):
            text += f"\n联系人：{contact.get('name')}　{mask_phone(contact.get('phone', ''))}"
        return text
    text = f"申请人：{applicant.get('name', '')}"
    if applicant.get("id_no"):
        text += f"　证件号码：{mask_id(applicant['id_no'])}"
    if applicant.get("phone"):
        text += f"　电话：{mask_phone(applicant['phone'])}"
    return text
