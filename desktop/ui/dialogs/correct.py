"""更正: a typo in the applicant's or agent's particulars after printing, corrected with a reason.

The fields start as the case stores them; only what the clerk changed is sent (services.correct_case checks it
as the intake does), and every document already printed for the case is printed again marked 更正."""

from __future__ import annotations

from typing import Any

from desktop.core.cases.corrections import MAX_REASON
from desktop.core.labels import ID_TYPE_LABELS
from desktop.ui.dialogs.base import FormDialog
from desktop.ui.qt import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
    Signal,
)


class PersonFields:
    """Name, ID type, ID number and phone of one person, in a group box."""

    def __init__(self, box: QGroupBox, person, prefix: str) -> None:
        form = QFormLayout(box)
        self.name = QLineEdit(person.name, box)
        self.name.setObjectName(f"{prefix}NameEdit")
        self.id_type = QComboBox(box)
        for key, label in ID_TYPE_LABELS.items():
            self.id_type.addItem(label, key)
        self.id_type.setCurrentIndex(max(0, self.id_type.findData(person.id_type)))
        self.id_no = QLineEdit(person.id_no, box)
        self.id_no.setObjectName(f"{prefix}IdEdit")
        self.phone = QLineEdit(person.phone, box)
        self.phone.setObjectName(f"{prefix}PhoneEdit")
        form.addRow("姓名", self.name)
        form.addRow("证件类型", self.id_type)
        form.addRow("证件号码", self.id_no)
        form.addRow("联系电话", self.phone)

    def value(self) -> dict[str, Any]:
        out = {"name": self.name.text().strip(), "id_type": self.id_type.currentData(),
               "id_no": self.id_no.text().strip()}
        if self.phone.text().strip():
            out["phone"] = self.phone.text().strip()
        return out


def _person(p) -> dict[str, Any]:
    out = {"name": p.name, "id_type": p.id_type, "id_no": p.id_no}
    if p.phone:
        out["phone"] = p.phone
    return out


class CorrectDialog(FormDialog):
    """Emits `done_change(CaseChange)` after services.correct_case succeeded, then closes."""

    done_change = Signal(object)
    busy_text = "正在更正并重新出具文书…"

    def __init__(self, parent: QWidget | None, services, clerk, record) -> None:
        super().__init__(parent, services, clerk, title="更正办件信息", ok_text="确认更正", min_width=620)
        self.record = record
        self.change = None
        a = record.applicant
        about = QLabel(f"{record.case_no}　{record.matter.name}", self)
        about.setObjectName("summaryLabel")
        hint = QLabel("只改写错的内容；确认后，本件已出具的文书将重新出具并注明“更正”。", self)
        hint.setObjectName("hintLabel")
        hint.setWordWrap(True)
        applicant_box = QGroupBox("申请人", self)
        if a.kind == "enterprise":
            form = QFormLayout(applicant_box)
            self.enterprise_name = QLineEdit(a.name, applicant_box)
            self.enterprise_name.setObjectName("enterpriseNameEdit")
            self.uscc = QLineEdit(a.uscc, applicant_box)
            form.addRow("企业名称", self.enterprise_name)
            form.addRow("统一社会信用代码", self.uscc)
            contact_box = QGroupBox("经办人", applicant_box)
            form.addRow(contact_box)
            self.applicant = PersonFields(contact_box, a.contact, "contact")
        else:
            self.applicant = PersonFields(applicant_box, a, "applicant")
        boxes: list[QWidget] = [applicant_box]
        self.agent = None
        if record.agent is not None:
            agent_box = QGroupBox("代理人", self)
            self.agent = PersonFields(agent_box, record.agent, "agent")
            boxes.append(agent_box)
        self.reason_edit = QPlainTextEdit(self)
        self.reason_edit.setObjectName("correctReasonEdit")
        self.reason_edit.setTabChangesFocus(True)
        self.reason_edit.setFixedHeight(64)
        self.reason_edit.setPlaceholderText("例如：申请人姓名录入错误，经核对身份证原件更正")
        self.form.addRow("更正原因", self.reason_edit)
        self.lay_out(above=(about, hint, *boxes))
        self.applicant.name.setFocus()
        self.applicant.name.selectAll()

    def _applicant_value(self) -> dict[str, Any]:
        if self.record.applicant.kind == "enterprise":
            return {"kind": "enterprise", "name": self.enterprise_name.text().strip(),
                    "uscc": self.uscc.text().strip(), "contact": self.applicant.value()}
        return {"kind": "person", **self.applicant.value()}

    def _applicant_before(self) -> dict[str, Any]:
        a = self.record.applicant
        if a.kind == "enterprise":
            return {"kind": "enterprise", "name": a.name, "uscc": a.uscc, "contact": _person(a.contact)}
        return {"kind": "person", **_person(a)}

    def validate(self):
        changes: dict[str, Any] = {}
        if self._applicant_value() != self._applicant_before():
            changes["applicant"] = self._applicant_value()
        if self.agent is not None and self.agent.value() != _person(self.record.agent):
            changes["agent"] = self.agent.value()
        if not changes:
            self.fail("没有修改任何内容：请改正写错的信息", self.applicant.name)
            return None
        reason = self.reason_edit.toPlainText().strip()
        if not reason:
            self.fail("更正须写明原因", self.reason_edit)
            return None
        if len(reason) > MAX_REASON:
            self.fail(f"更正原因过长（最多 {MAX_REASON} 个字符）", self.reason_edit)
            return None
        return dict(case_no=self.record.case_no, changes=changes, reason=reason, clerk=self.clerk)

    def act(self, args) -> None:
        self.write(lambda svc: svc.correct_case(**args), self._done, changes=("cases", "documents"))

    def _done(self, change) -> None:
        self.change = change
        self.done_change.emit(change)
        self.accept()
