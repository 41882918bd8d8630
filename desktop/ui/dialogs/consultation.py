"""咨询登记 (首问负责): who asked what, the answer given, and by whom; recorded through services.record_consultation."""

from __future__ import annotations

from desktop.core.errors import YichuangError
from desktop.core.types import Matter
from desktop.ui.dialogs.base import FormDialog, ctrl_enter_does
from desktop.ui.qt import QLabel, QLineEdit, QPlainTextEdit, QWidget, Signal

FIELD_OF = {"asker_name": "name", "asker_phone": "phone", "question": "question", "answer": "answer"}


class ConsultationDialog(FormDialog):
    """Emits `recorded(ConsultationRecord)` and closes once the consultation is stored."""

    recorded = Signal(object)
    busy_text = "正在登记…"

    def __init__(self, parent: QWidget | None, services, clerk, matter: Matter | None = None) -> None:
        super().__init__(parent, services, clerk, title="咨询登记（首问负责）", ok_text="登记（Ctrl+Enter）",
                         min_width=600)
        self.ok_button.setDefault(False)
        self.record = None
        self.name_edit = QLineEdit(self)
        self.name_edit.setObjectName("askerNameEdit")
        self.phone_edit = QLineEdit(self)
        self.phone_edit.setObjectName("askerPhoneEdit")
        self.phone_edit.setPlaceholderText("可不填；需回复时请留电话")
        self.matter_edit = QLineEdit(self)
        self.matter_edit.setObjectName("consultMatterEdit")
        self.matter_edit.setPlaceholderText("事项编码、名称或拼音首字母，可不填")
        self.matter_label = QLabel("", self)
        self.matter_label.setObjectName("hintLabel")
        self.question_edit = QPlainTextEdit(self)
        self.question_edit.setObjectName("questionEdit")
        self.question_edit.setTabChangesFocus(True)
        self.question_edit.setFixedHeight(80)
        self.answer_edit = QPlainTextEdit(self)
        self.answer_edit.setObjectName("answerEdit")
        self.answer_edit.setTabChangesFocus(True)
        self.answer_edit.setFixedHeight(110)
        owner = QLabel(f"首问责任人：{clerk.name}（{clerk.staff_no}）", self)
        owner.setObjectName("hintLabel")
        self.form.addRow("咨询人姓名", self.name_edit)
        self.form.addRow("联系电话", self.phone_edit)
        self.form.addRow("咨询事项", self.matter_edit)
        self.form.addRow("", self.matter_label)
        self.form.addRow("咨询内容", self.question_edit)
        self.form.addRow("答复内容", self.answer_edit)
        ctrl_enter_does(self, self.submit)
        self.lay_out(below=(owner,))
        self._matter: Matter | None = None
        self.matter_edit.textChanged.connect(self._find_matter)
        if matter is not None:
            self.matter_edit.setText(matter.code)
        self.name_edit.setFocus()

    def _find_matter(self, text: str) -> None:
        """Resolve what the clerk typed to one matter (the best search hit), shown under the field.

        The catalogue search runs on the GUI's in-memory index (as in the intake's search box)."""
        self._matter = None
        text = text.strip()
        if not text:
            self.matter_label.setText("")
            return
        try:
            found = self.services.search_matters(query=text, limit=1)
        except YichuangError as e:
            self.matter_label.setText(e.message)
            return
        if found:
            self._matter = found[0]
            self.matter_label.setText(f"→ {found[0].name}（{found[0].code}）")
        else:
            self.matter_label.setText("没有找到该事项（可清空不填）")

    def validate(self):
        if self.matter_edit.text().strip() and self._matter is None:
            self.fail("咨询事项没有找到：请修改或清空", self.matter_edit)
            return None
        return dict(asker_name=self.name_edit.text(), asker_phone=self.phone_edit.text(),
                    matter_code=self._matter.code if self._matter else "",
                    question=self.question_edit.toPlainText(), answer=self.answer_edit.toPlainText(),
                    clerk=self.clerk)

    def act(self, args) -> None:
        self.write(lambda svc: svc.record_consultation(**args), self._done, on_error=self._focus_field)

    def _focus_field(self, error) -> None:
        widget = {
            "name": self.name_edit,
            "phone": self.phone_edit,
            "question": self.question_edit,
            "answer": self.answer_edit,
        }.get(FIELD_OF.get(getattr(error, "field", "") or "", ""))
        if widget is not None:
            widget.setFocus()

    def _done(self, record) -> None:
        self.record = record
        self.recorded.emit(record)
        self.accept()
