"""Intake rules: turn one raw intake object into a checked, decided intake, or a BadInput naming the field."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from desktop.core.errors import BadInput
from desktop.core.identity import check_id, check_phone, check_uscc
from desktop.core.labels import REFUSAL_CATEGORY_LABELS
from desktop.core.textcheck import check_plain
from desktop.core.types import CaseMaterial, Enterprise, Matter, Person

MAX_NAME = 100
MAX_ENTERPRISE_NAME = 200
MAX_NOTE = 2000
MATERIAL_STATES = ("paper", "e_licence", "commitment", "gap", "missing", "defective")
PROVIDED_STATES = ("paper", "e_licence", "commitment", "gap")


@dataclass(frozen=True)
class CheckedIntake:
    """An intake that passed every check; `outcome` is decided by the rules, not by the clerk."""

    matter: Matter
    applicant: Person | Enterprise
    agent: Person | None
    materials: tuple[CaseMaterial, ...]
    outcome: str
    note: str
    warnings: tuple[str, ...]
    uscc_override: dict | None = None
    refusal_reason: str = ""
    apply_instead: str = ""
    result_note: str = ""
    refusal_category: str = ""


def _text(obj: Mapping[str, Any], key: str, field: str, *, required: bool = True, limit: int = 200) -> str:
    value = obj.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadInput("E_FIELD_TYPE", f"字段 {field} 应为文本", field=field)
    value = value.strip()
    if required and not value:
        raise BadInput("E_FIELD_REQUIRED", f"请填写 {_label(field)}", field=field)
    if len(value) > limit:
        raise BadInput("E_FIELD_TOO_LONG", f"{_label(field)} 过长（最多 {limit} 个字符）", field=field)
    check_plain(value, field, _label(field), multiline=key in _MULTILINE)
    return value


_MULTILINE = ("note", "reason", "apply_instead", "result")
#: the top-level fields of an intake (the documented JSON form); any other is refused, naming it
INTAKE_FIELDS = frozenset({"matter", "applicant", "agent", "materials", "outcome", "refusal", "note", "result",
                           "overrides"})
#: the fields of an intake's `refusal` object
REFUSAL_FIELDS = frozenset({"refusal_category", "reason", "apply_instead"})


_LABELS = {
    "name": "姓名/名称",
    "id_no": "证件号码",
    "id_type": "证件类型",
    "phone": "联系电话",
    "uscc": "统一社会信用代码",
    "note": "备注",
    "reason": "理由",
    "apply_instead": "应向何处申请",
    "result": "办理结果",
}


def _label(field: str) -> str:
    last = field.rsplit(".", 1)[-1]
    return _LABELS.get(last, field)


def check_person(obj: Any, field: str, *, phone_required: bool = False) -> tuple[Person, list[str]]:
    if not isinstance(obj, Mapping):
        raise BadInput("E_FIELD_TYPE", f"{field} 应为对象（姓名、证件类型、证件号码、电话）", field=field)
    name = _text(obj, "name", f"{field}.name", limit=MAX_NAME)
    id_type = _text(obj, "id_type", f"{field}.id_type", limit=40)
    id_no = _text(obj, "id_no", f"{field}.id_no", limit=64)
    checked = check_id(id_type, id_no, field=f"{field}.id_no")
    phone = _text(obj, "phone", f"{field}.phone", required=phone_required, limit=32)
    if phone:
        phone = check_phone(phone, field=f"{field}.phone")
    person = Person(
        name=name,
        id_type=id_type,
        id_no=checked.normalized,
        phone=phone,
        birth_date=checked.birth_date,
        sex=checked.sex,
    )
    return person, [f"{name}：{w}" for w in checked.warnings]


def check_applicant(obj: Any, uscc_override: dict | None) -> tuple[Person | Enterprise, list[str]]:
    if not isinstance(obj, Mapping):
        raise BadInput("E_FIELD_TYPE", "申请人信息应为对象", field="applicant")
    kind = obj.get("kind")
    if kind == "person":
        return check_person(obj, "applicant")
    if kind == "enterprise":
        name = _text(obj, "name", "applicant.name", limit=MAX_ENTERPRISE_NAME)
        uscc_raw = _text(obj, "uscc", "applicant.uscc", limit=40)
        uscc = check_uscc(uscc_raw, field="applicant.uscc")
        warnings: list[str] = []
        if not uscc.check_ok:
            if not uscc_override:
                raise BadInput(
                    "E_USCC_CHECK",
                    f"统一社会信用代码“{uscc.normalized}”校验位不符。若核实营业执照无误，可由值班长授权后继续受理。",
                    field="applicant.uscc",
                    overridable=True,
                )
            warnings.append(
                f"统一社会信用代码校验位不符，已由 {uscc_override['by']} 授权受理：{uscc_override['reason']}"
            )
        contact, contact_warnings = check_person(obj.get("contact"), "applicant.contact")
        return Enterprise(name=name, uscc=uscc.normalized, contact=contact), warnings + contact_warnings
    raise BadInput("E_APPLICANT_KIND", "申请人类型应为 person（个人）或 enterprise（企业）", field="applicant.kind")


def _gap_due(details: Mapping[str, Any], field: str, name: str, today: date | None) -> date:
    raw = details.get("gap_due")
    if not raw:
        raise BadInput("E_GAP_DUE", f"容缺材料“{name}”须写明承诺补交日期", field=f"{field}.gap_due")
    try:
        due = date.fromisoformat(str(raw))
    except ValueError as e:
        raise BadInput("E_GAP_DUE", f"容缺材料“{name}”的补交日期“{raw}”无效，应为 YYYY-MM-DD",
                       field=f"{field}.gap_due") from e
    if today is not None and due < today:
        raise BadInput("E_GAP_DUE", f"容缺材料“{name}”的补交日期不能早于今天", field=f"{field}.gap_due")
    return due


def check_materials(matter: Matter, raw: Any, today: date | None = None) -> tuple[CaseMaterial, ...]:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise BadInput("E_FIELD_TYPE", "materials 应为 {材料编码: 状态} 对象", field="materials")
    specs = {m.code: m for m in matter.materials}
    for code in raw:
        if code not in specs:
            raise BadInput(
                "E_MATERIAL_UNKNOWN", f"事项“{matter.name}”没有编码为 {code} 的材料", field=f"materials.{code}"
            )
    out: list[CaseMaterial] = []
    for spec in matter.materials:
        entry = raw.get(spec.code)
        if entry is None:
            if not spec.required:
                continue
            entry = "missing"
        details: Mapping[str, Any] = {}
        if isinstance(entry, Mapping):
            details = entry
            state = entry.get("state")
        else:
            state = entry
        field = f"materials.{spec.code}"
        if state not in MATERIAL_STATES:
            raise BadInput(
                "E_MATERIAL_STATE",
                f"材料“{spec.name}”的状态“{state}”无效（应为 {'/'.join(MATERIAL_STATES)}）",
                field=field,
            )
        if state == "e_licence" and not spec.e_licence:
            raise BadInput("E_E_LICENCE", f"材料“{spec.name}”不能以电子证照代替", field=field)
        if state == "commitment" and not matter.commitment_allowed:
            raise BadInput("E_COMMITMENT", f"事项“{matter.name}”不适用告知承诺", field=field)
        if state == "gap" and (matter.on_the_spot or not spec.gap_allowed):
            why = "当场办结的事项不能容缺受理" if matter.on_the_spot else "事项目录未允许该材料容缺受理"
            raise BadInput("E_GAP_NOT_ALLOWED", f"材料“{spec.name}”（{spec.code}）不能容缺：{why}", field=field)
        out.append(
            CaseMaterial(
                code=spec.code,
                name=spec.name,
                required=spec.required,
                form=spec.form,
                copies=spec.copies,
                state=state,
                standard=spec.standard,
                e_licence_ref=_text(details, "e_licence_ref", f"{field}.e_licence_ref", required=False, limit=128),
                reason=_text(details, "reason", f"{field}.reason", required=state == "defective", limit=500)
                if state == "defective" else "",
                gap_due=_gap_due(details, field, spec.name, today) if state == "gap" else None,
            )
        )
    return tuple(out)


def check_gap_dates(materials: tuple[CaseMaterial, ...], promised: date | None) -> None:
    """The 容缺 supply date is capped by the promised date: a material supplied after the decision is due
    cannot be promised. Without a promised date (一次性告知, or 待定 at year end) nothing caps it yet."""
    if promised is None:
        return
    for m in materials:
        if m.state == "gap" and m.gap_due is not None and m.gap_due > promised:
            raise BadInput("E_GAP_DUE", f"容缺材料“{m.name}”的补交日期 {m.gap_due.isoformat()} 晚于承诺办结日期 "
                           f"{promised.isoformat()}：补交日期不能晚于承诺办结日期", field=f"materials.{m.code}.gap_due")


def join_refusal(category: str, reason: str) -> str:
    """The refusal reason as stored and sent to the centre: its category's words, then the free text."""
    return f"{REFUSAL_CATEGORY_LABELS[category]}：{reason}" if category else reason


def split_refusal(text: str) -> tuple[str, str]:
    """(category, free text) of a stored refusal reason; ('', text) for one recorded before categories."""
    for category, words in REFUSAL_CATEGORY_LABELS.items():
        if text.startswith(words + "："):
            return category, text[len(words) + 1:]
    return "", text


def _check_refusal(refusal: Any) -> tuple[str, str, str]:
    """(category, reason, apply_instead) of an intake's `refusal` object, or BadInput naming the field."""
    if not isinstance(refusal, Mapping):
        raise BadInput("E_REFUSAL", "不予受理须写明类别（refusal_category）、理由和应向哪里申请", field="refusal")
    for key in refusal:
        if key not in REFUSAL_FIELDS:
            shown = key if isinstance(key, str) and key.isprintable() and len(key) <= 40 else repr(key)[:40]
            raise BadInput("E_FIELD_UNKNOWN", f"refusal 含有未知字段“{shown}”（可用字段："
                           + "、".join(sorted(REFUSAL_FIELDS)) + "）", field=f"refusal.{str(key)[:40]}")
    category = refusal.get("refusal_category")
    if category is None or category == "":
        raise BadInput("E_REFUSAL_CATEGORY", "不予受理须选择类别（refusal_category）："
                       + "、".join(f"{k}（{v}）" for k, v in REFUSAL_CATEGORY_LABELS.items()),
                       field="refusal.refusal_category")
    if category not in REFUSAL_CATEGORY_LABELS:
        shown = category if isinstance(category, str) and category.isprintable() else repr(category)[:40]
        raise BadInput("E_REFUSAL_CATEGORY", f"不予受理类别“{shown[:40]}”无效，应为 "
                       + "、".join(f"{k}（{v}）" for k, v in REFUSAL_CATEGORY_LABELS.items()),
                       field="refusal.refusal_category")
    reason = _text(refusal, "reason", "refusal.reason", limit=1000)
    apply_instead = _text(refusal, "apply_instead", "refusal.apply_instead", limit=500,
                          required=category == "not_competent")
    return category, reason, apply_instead


def decide_outcome(matter: Matter, materials: tuple[CaseMaterial, ...]) -> str:
    """The outcome rule: any required material missing or defective gives a one-time notice."""
    if any(m.required and m.state in ("missing", "defective") for m in materials):
        return "notice"
    return "completed" if matter.on_the_spot else "accepted"


def check_intake(raw: Any, find_matter: Callable[[str], Matter], today: date | None = None) -> CheckedIntake:
    """Check one raw intake object (the documented JSON form) and decide its outcome.

    `find_matter` raises NotFound for an unknown code. Raises BadInput naming the field at fault.
    The outcome follows the material rule, except that the clerk may refuse (不予受理: `"outcome":
    "refused"` with `"refusal": {"refusal_category", "reason", "apply_instead"}`), where no material is
    required; `apply_instead` is required for the category `not_competent` (Art. 32(1)(2)).
    """
    if not isinstance(raw, Mapping):
        raise BadInput("E_FIELD_TYPE", "受理数据应为 JSON 对象")
    for key in raw:
        if key not in INTAKE_FIELDS:
            shown = key if isinstance(key, str) and key.isprintable() and len(key) <= 40 else repr(key)[:40]
            raise BadInput("E_FIELD_UNKNOWN", f"受理数据含有未知字段“{shown}”（可用字段："
                           + "、".join(sorted(INTAKE_FIELDS)) + "）", field=str(key)[:40])
    code = raw.get("matter")
    if not isinstance(code, str) or not code.strip():
        raise BadInput("E_FIELD_REQUIRED", "请选择办理事项", field="matter")
    matter = find_matter(code.strip())
    override = raw.get("overrides", {}) or {}
    uscc_override = override.get("uscc_check") if isinstance(override, Mapping) else None
    if uscc_override is not None and not (
        isinstance(uscc_override, Mapping) and uscc_override.get("by") and uscc_override.get("reason")
    ):
        raise BadInput("E_OVERRIDE", "授权须写明授权人和理由", field="overrides.uscc_check")
    if uscc_override is not None:
        _text(uscc_override, "by", "overrides.uscc_check.by", limit=64)
        _text(uscc_override, "reason", "overrides.uscc_check.reason", limit=500)
    applicant, warnings = check_applicant(raw.get("applicant"), uscc_override)
    if applicant.kind not in matter.applicant_kinds:
        kinds = "、".join({"person": "个人", "enterprise": "企业"}[k] for k in matter.applicant_kinds)
        raise BadInput(
            "E_APPLICANT_KIND",
            f"事项“{matter.name}”只受理{kinds}申请",
            field="applicant.kind",
        )
    agent = None
    if raw.get("agent"):
        agent, agent_warnings = check_person(raw.get("agent"), "agent")
        warnings += agent_warnings
    requested = raw.get("outcome")
    if requested not in (None, "", "refused"):
        raise BadInput("E_OUTCOME", "受理结果由材料情况决定；只能主动选择“不予受理”（refused）", field="outcome")
    refusal_reason = apply_instead = refusal_category = ""
    if requested == "refused":
        refusal_category, refusal_reason, apply_instead = _check_refusal(raw.get("refusal"))
        materials = check_materials(matter, {k: v for k, v in (raw.get("materials") or {}).items()}, today) \
            if raw.get("materials") else ()
        materials = tuple(m for m in materials if m.state != "missing")
        outcome = "refused"
    else:
        materials = check_materials(matter, raw.get("materials"), today)
        outcome = decide_outcome(matter, materials)
    note = _text(raw, "note", "note", required=False, limit=MAX_NOTE)
    result_note = _text(raw, "result", "result", required=False, limit=1000) if outcome == "completed" else ""
    return CheckedIntake(
        matter=matter,
        applicant=applicant,
        agent=agent,
        materials=materials,
        outcome=outcome,
        note=note,
        warnings=tuple(warnings),
        uscc_override=dict(uscc_override) if uscc_override else None,
        refusal_reason=refusal_reason,
        apply_instead=apply_instead,
        result_note=result_note,
        refusal_category=refusal_category,
    )


def person_json(p: Person) -> dict:
    return {"kind": "person", "name": p.name, "id_type": p.id_type, "id_no": p.id_no, "phone": p.phone}


def applicant_json(a: Person | Enterprise) -> dict:
    if isinstance(a, Enterprise):
        return {"kind": "enterprise", "name": a.name, "uscc": a.uscc, "contact": person_json(a.contact)}
    return person_json(a)


def person_from_json(d: Mapping[str, Any]) -> Person:
    return Person(name=d["name"], id_type=d["id_type"], id_no=d["id_no"], phone=d.get("phone", ""))


def applicant_from_json(d: Mapping[str, Any]) -> Person | Enterprise:
    if d.get("kind") == "enterprise":
        return Enterprise(name=d["name"], uscc=d["uscc"], contact=person_from_json(d["contact"]))
    return person_from_json(d)
