"""Centre column, top: applicant (个人/企业), optional agent (代办人) and note; builds the intake's people part."""

from __future__ import annotations

from typing import Any

from desktop.core.types import ID_TYPE_LABELS
from desktop.ui.qt import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    Qt,
    QVBoxLayout,
    QWidget,
)

KIND_LABELS = {"person": "个人", "enterprise": "企业"}
SOURCE_CARD, SOURCE_TYPED = "读卡", "手工"


class FieldBox(QWidget):
    """An input with its own error line underneath (hidden while there is no error)."""

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.widget = widget
        self.error = QLabel("", self)
        self.error.setObjectName("fieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        layout.addWidget(self.error)

    def set_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.widget.setProperty("invalid", bool(text))
        self.widget.style().unpolish(self.widget)
        self.widget.style().polish(self.widget)


def _grid() -> QGridLayout:
    grid = QGridLayout()
    grid.setHorizontalSpacing(10)
    grid.setVerticalSpacing(8)
    grid.setColumnStretch(1, 3)
    grid.setColumnStretch(3, 2)
    grid.setColumnMinimumWidth(0, 96)
    grid.setColumnMinimumWidth(2, 80)
    return grid


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    label.setContentsMargins(0, 6, 0, 0)
    return label


class PersonFields:
    """姓名, 证件类型, 证件号码, 电话 laid out on two rows of a grid; `boxes` maps field name to FieldBox."""

    def __init__(self, grid: QGridLayout, first_row: int, prefix: str, name_label: str = "姓名") -> None:
        self.name = QLineEdit()
        self.name.setObjectName(f"{prefix}NameEdit")
        self.id_type = QComboBox()
        self.id_type.setObjectName(f"{prefix}IdTypeCombo")
        for key, label in ID_TYPE_LABELS.items():
            self.id_type.addItem(label, key)
        self.id_no = QLineEdit()
        self.id_no.setObjectName(f"{prefix}IdNoEdit")
        self.id_no.setPlaceholderText("18 位身份证号可含 X")
        self.phone = QLineEdit()
        self.phone.setObjectName(f"{prefix}PhoneEdit")
        self.phone.setPlaceholderText("手机或固定电话")
        self.boxes = {
            k: FieldBox(w)
            for k, w in (
                ("name", self.name),
                ("id_type", self.id_type),
                ("id_no", self.id_no),
                ("phone", self.phone),
            )
        }
        self.name_label = _label(name_label, self.name)
        grid.addWidget(self.name_label, first_row, 0)
        grid.addWidget(self.boxes["name"], first_row, 1)
        grid.addWidget(_label("证件类型", self.id_type), first_row, 2)
        grid.addWidget(self.boxes["id_type"], first_row, 3)
        grid.addWidget(_label("证件号码", self.id_no), first_row + 1, 0)
        grid.addWidget(self.boxes["id_no"], first_row + 1, 1)
        grid.addWidget(_label("联系电话", self.phone), first_row + 1, 2)
        grid.addWidget(self.boxes["phone"], first_row + 1, 3)
        # where each identity field came from: 读卡 (the ID card reader) or 手工 (typed)
        self.sources: dict[str, str] = {}
        self.source_label = QLabel("")
        self.source_label.setObjectName(f"{prefix}SourceLabel")
        self.source_label.hide()
        grid.addWidget(self.source_label, first_row + 2, 1, 1, 3)
        for key, edit in (("name", self.name), ("id_no", self.id_no)):
            edit.textEdited.connect(lambda _text, key=key: self._typed(key))
        self.id_type.activated.connect(lambda _i: self._typed("id_type"))

    def source(self, field: str) -> str:
        """读卡 when the field came from the ID card reader (and was not changed since), else 手工."""
        return self.sources.get(field, SOURCE_TYPED)

    def fill_from_card(self, card) -> None:
        """Fill name, ID type and number from a read ID card (desktop.core.devices.idcard.IdCard)."""
        self.name.setText(card.name)
        self.id_type.setCurrentIndex(max(0, self.id_type.findData("resident_id")))
        self.id_no.setText(card.id_no)
        self.sources = {"name": SOURCE_CARD, "id_type": SOURCE_CARD, "id_no": SOURCE_CARD}
        self._show_sources()

    def _typed(self, field: str) -> None:
        if self.sources.pop(field, None) is not None:
            self._show_sources()

    def _show_sources(self) -> None:
        labels = {"name": "姓名", "id_type": "证件类型", "id_no": "证件号码"}
        for key, widget in (("name", self.name), ("id_type", self.id_type), ("id_no", self.id_no)):
            widget.setProperty("source", "card" if key in self.sources else "typed")
            widget.setToolTip(f"来源：{self.source(key)}")
        card = [labels[k] for k in labels if k in self.sources]
        typed = [labels[k] for k in labels if k not in self.sources]
        text = f"{SOURCE_CARD}：{'、'.join(card)}" + (f"　{SOURCE_TYPED}：{'、'.join(typed)}" if typed else "")
        self.source_label.setText(text if card else "")
        self.source_label.setVisible(bool(card))

    def widgets(self) -> list[QWidget]:
        return [self.name, self.id_type, self.id_no, self.phone]

    def as_json(self) -> dict[str, str]:
        return {
            "name": self.name.text().strip(),
            "id_type": self.id_type.currentData(),
            "id_no": self.id_no.text().strip(),
            "phone": self.phone.text().strip(),
        }

    def show(self, person) -> None:
        """Fill from a stored Person (a case that reopens for 补正)."""
        self.name.setText(person.name)
        self.id_type.setCurrentIndex(max(0, self.id_type.findData(person.id_type)))
        self.id_no.setText(person.id_no)
        self.phone.setText(person.phone)
        self.sources = {}
        self._show_sources()

    def is_empty(self) -> bool:
        return not any((self.name.text().strip(), self.id_no.text().strip(), self.phone.text().strip()))

    def clear(self) -> None:
        for w in (self.name, self.id_no, self.phone):
            w.clear()
        self.id_type.setCurrentIndex(0)
        self.sources = {}
        self._show_sources()


class ApplicantForm(QWidget):
    """The applicant, agent and note fields. `intake_part()` returns the intake keys it owns."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = QComboBox(self)
        self.kind.setObjectName("applicantKindCombo")
        for key, label in KIND_LABELS.items():
            self.kind.addItem(label, key)

        self.applicant_group = QGroupBox("申请人", self)
        grid = _grid()
        self.kind_label = _label("申请人类型", self.kind)
        grid.addWidget(self.kind_label, 0, 0)
        self.kind_box = FieldBox(self.kind)
        grid.addWidget(self.kind_box, 0, 1)
        self.enterprise_name = QLineEdit()
        self.enterprise_name.setObjectName("enterpriseNameEdit")
        self.uscc = QLineEdit()
        self.uscc.setObjectName("usccEdit")
        self.uscc.setPlaceholderText("18 位统一社会信用代码")
        self.enterprise_boxes = {"name": FieldBox(self.enterprise_name), "uscc": FieldBox(self.uscc)}
        self.enterprise_labels = [_label("企业名称", self.enterprise_name), _label("信用代码", self.uscc)]
        grid.addWidget(self.enterprise_labels[0], 1, 0)
        grid.addWidget(self.enterprise_boxes["name"], 1, 1)
        grid.addWidget(self.enterprise_labels[1], 1, 2)
        grid.addWidget(self.enterprise_boxes["uscc"], 1, 3)
        self.person = PersonFields(grid, 2, "applicant")
        self.applicant_group.setLayout(grid)

        self.agent_group = QGroupBox("代办人（他人代为办理时勾选填写）", self)
        self.agent_group.setObjectName("agentGroup")
        self.agent_group.setCheckable(True)
        self.agent_group.setChecked(False)
        self.agent_grid = agent_grid = _grid()
        self.agent = PersonFields(agent_grid, 0, "agent")
        self.agent_group.setLayout(agent_grid)
        self.agent_group.toggled.connect(self._agent_toggled)
        self._agent_toggled(False)

        note_grid = _grid()
        self.note = QLineEdit(self)
        self.note.setObjectName("noteEdit")
        self.note.setPlaceholderText("可不填")
        self.note_box = FieldBox(self.note)
        note_grid.addWidget(_label("备注", self.note), 0, 0)
        note_grid.addWidget(self.note_box, 0, 1, 1, 3)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.applicant_group)
        layout.addWidget(self.agent_group)
        layout.addLayout(note_grid)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()

    # ----- state
    def applicant_kind(self) -> str:
        return self.kind.currentData()

    def set_allowed_kinds(self, kinds: tuple[str, ...]) -> None:
        """Offer only the applicant kinds the matter accepts, and pick the first."""
        current = self.applicant_kind()
        self.kind.blockSignals(True)
        self.kind.clear()
        for key in kinds or tuple(KIND_LABELS):
            self.kind.addItem(KIND_LABELS.get(key, key), key)
        index = self.kind.findData(current)
        self.kind.setCurrentIndex(max(index, 0))
        self.kind.blockSignals(False)
        self._kind_changed()

    def _kind_changed(self, *_args) -> None:
        enterprise = self.applicant_kind() == "enterprise"
        for w in [*self.enterprise_boxes.values(), *self.enterprise_labels]:
            w.setVisible(enterprise)
        self.person.name_label.setText("联系人" if enterprise else "姓名")
        self.applicant_group.setTitle("申请企业及联系人" if enterprise else "申请人")

    def _agent_toggled(self, on: bool) -> None:
        """The agent's fields take room only when an agent is present."""
        for i in range(self.agent_grid.count()):
            w = self.agent_grid.itemAt(i).widget()
            if w is not None:
                w.setVisible(on)
        self.agent_group.setProperty("collapsed", not on)
        self.agent_group.style().unpolish(self.agent_group)
        self.agent_group.style().polish(self.agent_group)

    def first_field(self) -> QWidget:
        return self.enterprise_name if self.applicant_kind() == "enterprise" else self.person.name

    def focus_chain(self) -> list[QWidget]:
        """Tab order, top to bottom (the main window links it to the checklist and buttons)."""
        chain: list[QWidget] = [
            self.kind,
            self.enterprise_name,
            self.uscc,
            *self.person.widgets(),
            self.agent_group,
            *self.agent.widgets(),
            self.note,
        ]
        return chain

    def fill_from_card(self, card) -> str:
        """A placed ID card fills the agent's fields while the agent section is open, else the applicant's
        (an enterprise's contact person); returns "agent" or "applicant"."""
        if self.agent_group.isChecked() and self.agent_group.isEnabled():
            self.agent.fill_from_card(card)
            return "agent"
        self.person.fill_from_card(card)
        return "applicant"

    def intake_part(self) -> dict[str, Any]:
        person = self.person.as_json()
        if self.applicant_kind() == "enterprise":
            applicant: dict[str, Any] = {
                "kind": "enterprise",
                "name": self.enterprise_name.text().strip(),
                "uscc": self.uscc.text().strip(),
                "contact": person,
            }
        else:
            applicant = {"kind": "person", **person}
        part: dict[str, Any] = {"applicant": applicant, "note": self.note.text().strip()}
        if self.agent_group.isChecked() and not self.agent.is_empty():
            part["agent"] = self.agent.as_json()
        return part

    def show_case_people(self, applicant, agent) -> None:
        """Show a stored case's applicant and agent (read-only use: 补正 reopens a case)."""
        self.set_allowed_kinds((applicant.kind,))
        if applicant.kind == "enterprise":
            self.enterprise_name.setText(applicant.name)
            self.uscc.setText(applicant.uscc)
            self.person.show(applicant.contact)
        else:
            self.person.show(applicant)
        self.agent_group.setChecked(agent is not None)
        if agent is not None:
            self.agent.show(agent)

    def set_read_only(self, read_only: bool) -> None:
        """Lock the people fields (a reopened case keeps its applicant), or unlock them."""
        for w in (self.enterprise_name, self.uscc, self.note, *self.person.widgets(), *self.agent.widgets()):
            if isinstance(w, QLineEdit):
                w.setReadOnly(read_only)
                w.style().unpolish(w)  # the style sheet greys read-only fields
                w.style().polish(w)
            else:
                w.setEnabled(not read_only)
        self.kind.setEnabled(not read_only)
        self.agent_group.setEnabled(not read_only)

    # ----- errors
    def box_for(self, field: str) -> FieldBox | None:
        """The FieldBox a service error's `field` names (e.g. applicant.id_no, applicant.contact.phone)."""
        parts = field.split(".")
        enterprise = self.applicant_kind() == "enterprise"
        if parts[0] == "note":
            return self.note_box
        if parts[0] == "agent" and len(parts) > 1:
            return self.agent.boxes.get(parts[1])
        if parts[0] != "applicant":
            return None
        if len(parts) == 1:
            return self.person.boxes["name"]
        if parts[1] == "kind":
            return self.kind_box
        if parts[1] == "contact" and len(parts) > 2:
            return self.person.boxes.get(parts[2])
        if enterprise and parts[1] in self.enterprise_boxes:
            return self.enterprise_boxes[parts[1]]
        return self.person.boxes.get(parts[1])

    def all_boxes(self) -> list[FieldBox]:
        return [
            self.kind_box,
            self.note_box,
            *self.enterprise_boxes.values(),
            *self.person.boxes.values(),
            *self.agent.boxes.values(),
        ]

    def clear_errors(self) -> None:
        for box in self.all_boxes():
            box.set_error("")

    def clear(self) -> None:
        self.clear_errors()
        self.enterprise_name.clear()
        self.uscc.clear()
        self.person.clear()
        self.agent.clear()
        self.agent_group.setChecked(False)
        self.note.clear()
