"""Small pieces of the intake view: the last-result panel and the texts of the accept button."""

from __future__ import annotations

from desktop.core.labels import OUTCOME_LABELS
from desktop.core.types import IntakeResult
from desktop.ui.qt import QFrame, QHBoxLayout, QLabel, Qt, QVBoxLayout, QWidget

ACCEPT_TEXT = "受理（Ctrl+Enter）"
SUPPLEMENT_TEXT = "补正受理（Ctrl+Enter）"
BUSY_TEXT = "正在受理并生成文书，请稍候…"


class ResultPanel(QFrame):
    """The last accepted case: number, outcome, date and warnings, kept on screen for the applicant."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultPanel")
        self.case_label = QLabel("", self)
        self.case_label.setObjectName("caseNoLabel")
        self.case_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label = QLabel("", self)
        self.detail_label.setObjectName("resultDetail")
        self.warning_label = QLabel("", self)
        self.warning_label.setObjectName("warningLabel")
        self.warning_label.setWordWrap(True)
        self.rating_hint = QLabel("申请人可对本次服务评价：F11", self)
        self.rating_hint.setObjectName("hintLabel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(2)
        top = QHBoxLayout()
        top.addWidget(self.case_label)
        top.addStretch(1)
        top.addWidget(self.detail_label)
        layout.addLayout(top)
        bottom = QHBoxLayout()
        bottom.addWidget(self.warning_label, 1)
        bottom.addWidget(self.rating_hint)
        layout.addLayout(bottom)
        self.hide()

    def show_result(self, result: IntakeResult, matter_name: str) -> None:
        self.case_label.setText(f"上一件　{result.case_no}")
        outcome = OUTCOME_LABELS.get(result.outcome, result.outcome)
        when = "　请按一次性告知单补齐材料" if result.outcome == "notice" else ""
        if result.outcome == "refused":
            when = "　已出具不予受理通知书"
        if result.promised_date:
            when = "" if result.outcome == "completed" else f"　承诺办结日期 {result.promised_date:%Y-%m-%d}"
        elif result.deadline_pending and result.outcome == "accepted":
            when = "　承诺办结日期待定（节假日安排公布后告知）"
        self.detail_label.setText(f"{matter_name}　<b>{outcome}</b>{when}")
        self.warning_label.setText("\n".join(f"⚠ {w}" for w in result.warnings))
        self.warning_label.setVisible(bool(result.warnings))
        self.show()
