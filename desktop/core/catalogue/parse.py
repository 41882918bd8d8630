"""Parse, validate and serialise the matter catalogue (JSON) that every comprehensive window works from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from desktop.core import centres as centre_directory
from desktop.core.errors import BadInput
from desktop.core.labels import MATERIAL_KIND_LABELS
from desktop.core.textcheck import forbidden_char, json_depth
from desktop.core.types import FORM_LABELS, MODE_LABELS, MaterialSpec, Matter

__all__ = ["DEFAULT_CENTRE_TYPES", "DEFAULT_REVIEW_STEPS", "REVIEW_STEP_CHOICES", "Catalogue", "catalogue_to_json", "parse_catalogue"]

DEFAULT_REVIEW_STEPS = ("handle", "review", "decide")
"""承办 → 审核 → 决定; a matter may say ["handle", "decide"] (一审一核) instead, nothing else."""
REVIEW_STEP_CHOICES = (DEFAULT_REVIEW_STEPS, ("handle", "decide"))
DEFAULT_CENTRE_TYPES = ("district", "street")
"""两个集中: a matter is taken at district centres, street/town centres, or (default) both."""

_APPLICANT_KINDS = ("person", "enterprise")
_MAX_ERRORS_SHOWN = 20

# Limits a real catalogue stays far inside; anything beyond is an error (or an attack), named by field.
MAX_CATALOGUE_CHARS = 8 * 1024 * 1024
MAX_DEPTH = 8
MAX_MATTERS = 5000
MAX_MATERIALS = 200
MAX_KEYWORDS = 100
MAX_COPIES = 99
MAX_DAYS = 1000  # working days; the longest statutory limits are a few hundred
_TEXT_LIMITS = {"version": 64, "code": 64, "name": 200, "department": 200, "standard": 2000, "legal_basis": 2000,
                "fee": 200, "keyword": 50, "commitment_text": 2000, "reconsideration_body": 200, "court": 200}
#: a material that is never 容缺, whatever its gap_allowed says (the application form, an identity document)
NEVER_GAP_KINDS = ("application_form", "identity_document")


@dataclass(frozen=True)
class Catalogue:
    version: str
    matters: tuple[Matter, ...]
    centres: tuple[centre_directory.CentreEntry, ...] = ()  # the centre directory (导办单), top-level "centres"

    def by_code(self) -> dict[str, Matter]:
        return {m.code: m for m in self.matters}


class _Problems:
    """Collects every validation problem so an administrator can fix a file in one pass."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []  # (field path, Chinese message)

    def add(self, field: str, message: str) -> None:
        self.items.append((field, message))

    def raise_if_any(self) -> None:
        if not self.items:
            return
        first_field, first_message = self.items[0]
        if len(self.items) == 1:
            message = first_message
        else:
            shown = [m for _, m in self.items[:_MAX_ERRORS_SHOWN]]
            more = len(self.items) - len(shown)
            message = f"事项目录有 {len(self.items)} 处错误：\n" + "\n".join(shown)
            if more:
                message += f"\n……另有 {more} 处错误未列出"
        error = BadInput("E_CATALOGUE_INVALID", message, field=first_field)
        error.problems = tuple(self.items)  # type: ignore[attr-defined]
        raise error


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _text_problem(value: Any, kind: str) -> str | None:
    """Why a text value is refused (too long, hidden characters), or None. Non-strings are judged elsewhere."""
    if not isinstance(value, str):
        return None
    limit = _TEXT_LIMITS[kind]
    if len(value) > limit:
        return f"过长（{len(value)} 个字符，最多 {limit} 个）"
    bad = forbidden_char(value, multiline=kind in ("standard", "legal_basis", "commitment_text"))
    if bad is not None:
        return f"含有不可见的控制字符或文字方向控制字符（U+{ord(bad):04X}）"
    return None


def _matter_label(raw: Any, index: int) -> str:
    code = raw.get("code") if isinstance(raw, dict) else None
    if isinstance(code, str) and code.strip():
        return f"事项 {code.strip()}（第 {index + 1} 项）"
    return f"事项（第 {index + 1} 项）"


#: the fields a catalogue file may hold; an import refuses any other (a typo must not pass silently), a
#: catalogue pulled from the centre only ignores them (a newer centre's file still loads on an older window)
CATALOGUE_FIELDS = frozenset({"version", "matters", "centres"})
MATTER_FIELDS = frozenset({
    "code", "name", "department", "mode", "applicant_kinds", "on_the_spot", "statutory_days", "promised_days",
    "commitment_allowed", "early_completion", "review_steps", "centre_types", "materials", "keywords",
    "legal_basis", "fee", "reconsideration_body", "court"})
MATERIAL_FIELDS = frozenset({
    "code", "name", "required", "form", "copies", "e_licence", "standard", "kind", "gap_allowed",
    "commitment_text"})


def _unknown_fields(raw: dict, known: frozenset[str], where: str, label: str, problems: _Problems) -> None:
    for key in raw:
        if key not in known:
            shown = key if isinstance(key, str) and key.isprintable() and len(key) <= 40 else repr(key)[:40]
            problems.add(f"{where}.{shown}", f"{label}：未知字段“{shown}”（可用字段：{'、'.join(sorted(known))}）")


def _material(raw: Any, where: str, label: str, problems: _Problems, strict: bool = True) -> MaterialSpec | None:
    if not isinstance(raw, dict):
        problems.add(where, f"{label}：应为对象")
        return None
    if strict:
        _unknown_fields(raw, MATERIAL_FIELDS, where, label, problems)
    ok = True

    def bad(key: str, message: str) -> None:
        nonlocal ok
        ok = False
        problems.add(f"{where}.{key}", f"{label}字段 {key}：{message}")

    code, name = raw.get("code"), raw.get("name")
    if not _text(code):
        bad("code", "不能为空")
    if not _text(name):
        bad("name", "不能为空")
    for key in ("code", "name", "standard"):
        problem = _text_problem(raw.get(key), key)
        if problem:
            bad(key, problem)
    if not isinstance(raw.get("required"), bool):
        bad("required", "应为 true 或 false")
    form = raw.get("form")
    if form not in FORM_LABELS:
        bad("form", "应为 original、copy 或 original_and_copy")
    copies = raw.get("copies")
    if not _is_int(copies) or copies < 1:
        bad("copies", "应为不小于 1 的整数")
    elif copies > MAX_COPIES:
        bad("copies", f"不能超过 {MAX_COPIES} 份")
    if not isinstance(raw.get("e_licence"), bool):
        bad("e_licence", "应为 true 或 false")
    standard = raw.get("standard", "")
    if standard is None:
        standard = ""
    if not isinstance(standard, str):
        bad("standard", "应为文字")
    kind = raw.get("kind", "supporting")
    if kind not in MATERIAL_KIND_LABELS:
        bad("kind", "应为 " + "、".join(MATERIAL_KIND_LABELS) + " 之一")
    gap_allowed = raw.get("gap_allowed", False)
    if not isinstance(gap_allowed, bool):
        bad("gap_allowed", "应为 true 或 false")
    elif gap_allowed and kind in NEVER_GAP_KINDS:
        bad("gap_allowed", f"{MATERIAL_KIND_LABELS[kind]}不能容缺受理")
    commitment_text = raw.get("commitment_text", "")
    if commitment_text is None:
        commitment_text = ""
    if not isinstance(commitment_text, str):
        bad("commitment_text", "应为文字")
    else:
        problem = _text_problem(commitment_text, "commitment_text")
        if problem:
            bad("commitment_text", problem)
    if not ok:
        return None
    return MaterialSpec(
        code=code.strip(),
        name=name.strip(),
        required=raw["required"],
        form=form,
        copies=copies,
        e_licence=raw["e_licence"],
        standard=standard.strip(),
        kind=kind,
        gap_allowed=gap_allowed,
        commitment_text=commitment_text.strip(),
    )


def _matter(raw: Any, index: int, version: str, problems: _Problems, strict: bool = True) -> Matter | None:
    where = f"matters[{index}]"
    label = _matter_label(raw, index)
    if not isinstance(raw, dict):
        problems.add(where, f"{label}：应为对象")
        return None
    before = len(problems.items)
    if strict:
        _unknown_fields(raw, MATTER_FIELDS, where, label, problems)

    def bad(key: str, message: str) -> None:
        problems.add(f"{where}.{key}", f"{label}字段 {key}：{message}")

    for key in ("code", "name", "department"):
        if not _text(raw.get(key)):
            bad(key, "不能为空" if key in raw else "缺少此字段")
    for key in ("code", "name", "department", "legal_basis", "fee"):
        problem = _text_problem(raw.get(key), key)
        if problem:
            bad(key, problem)
    mode = raw.get("mode")
    if mode not in MODE_LABELS:
        bad("mode", "应为 " + "、".join(MODE_LABELS) + " 之一")
    kinds = raw.get("applicant_kinds")
    if not isinstance(kinds, list) or not kinds:
        bad("applicant_kinds", "应至少包含一种申请人类型（person 或 enterprise）")
    elif any(k not in _APPLICANT_KINDS for k in kinds):
        bad("applicant_kinds", "只能包含 person 或 enterprise")
    elif len(set(kinds)) != len(kinds):
        bad("applicant_kinds", "有重复项")
    on_the_spot = raw.get("on_the_spot")
    if not isinstance(on_the_spot, bool):
        bad("on_the_spot", "应为 true 或 false")
    commitment = raw.get("commitment_allowed")
    if not isinstance(commitment, bool):
        bad("commitment_allowed", "应为 true 或 false")
    early = raw.get("early_completion", False)
    if not isinstance(early, bool):
        bad("early_completion", "应为 true 或 false")

    statutory = raw.get("statutory_days", "missing")
    statutory_ok = statutory is None or (_is_int(statutory) and 0 <= statutory <= MAX_DAYS)
    if not statutory_ok:
        bad("statutory_days", f"不能超过 {MAX_DAYS} 个工作日" if _is_int(statutory) and statutory > MAX_DAYS
            else "应为非负整数或 null（无法定时限）")
    promised = raw.get("promised_days")
    promised_ok = _is_int(promised) and 0 <= promised <= MAX_DAYS
    if not promised_ok:
        bad("promised_days", f"不能超过 {MAX_DAYS} 个工作日" if _is_int(promised) and promised > MAX_DAYS
            else "应为非负整数")
    elif promised == 0 and on_the_spot is False:
        bad("promised_days", "只有当场办结的事项承诺时限可以为 0")
    if promised_ok and statutory_ok and _is_int(statutory):
        if promised > statutory:
            bad("promised_days", f"承诺时限 {promised} 个工作日超过法定时限 {statutory} 个工作日")
        if early is True and promised * 10 > statutory * 7:
            bad(
                "early_completion",
                f"提前办结要求承诺时限比法定时限至少缩短 30 %（法定 {statutory} 日，承诺最多 "
                f"{statutory * 7 // 10} 日，当前 {promised} 日）",
            )
    if early is True and statutory is None:
        bad("early_completion", "没有法定时限的事项不能标记为提前办结")
    steps = raw.get("review_steps")
    if steps is None:
        steps = list(DEFAULT_REVIEW_STEPS)
    elif not isinstance(steps, list) or tuple(steps) not in REVIEW_STEP_CHOICES:
        bad("review_steps", "应为 [\"handle\", \"review\", \"decide\"]（承办、审核、决定）"
            "或 [\"handle\", \"decide\"]（一审一核）")
    centre_types = raw.get("centre_types")
    if centre_types is None:
        centre_types = list(DEFAULT_CENTRE_TYPES)
    elif (not isinstance(centre_types, list) or not centre_types or len(set(map(str, centre_types))) != len(centre_types)
          or any(t not in DEFAULT_CENTRE_TYPES for t in centre_types)):
        bad("centre_types", "应为 [\"district\"]（区行政服务中心）、[\"street\"]（街镇社区事务受理服务中心）"
            "或 [\"district\", \"street\"]（两类中心都受理，缺省）")
        centre_types = list(DEFAULT_CENTRE_TYPES)

    keywords = raw.get("keywords", [])
    if keywords is None:
        keywords = []
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        bad("keywords", "应为文字列表")
        keywords = []
    elif len(keywords) > MAX_KEYWORDS:
        bad("keywords", f"最多 {MAX_KEYWORDS} 个关键词")
        keywords = []
    else:
        for k in keywords:
            problem = _text_problem(k, "keyword")
            if problem:
                bad("keywords", f"关键词“{k[:20]}”{problem}")
                keywords = []
                break
    for key, default in (("legal_basis", ""), ("fee", "不收费"), ("reconsideration_body", ""), ("court", "")):
        value = raw.get(key, default)
        problem = _text_problem(value, key) if key in ("reconsideration_body", "court") else None
        if not isinstance(value, str):
            bad(key, "应为文字")
        elif problem:
            bad(key, problem)

    materials_raw = raw.get("materials")
    materials: list[MaterialSpec] = []
    if not isinstance(materials_raw, list):
        bad("materials", "应为材料列表")
    elif len(materials_raw) > MAX_MATERIALS:
        bad("materials", f"最多 {MAX_MATERIALS} 项材料")
    else:
        seen: dict[str, int] = {}
        for j, m_raw in enumerate(materials_raw):
            m_code = m_raw.get("code") if isinstance(m_raw, dict) else None
            m_label = (
                f"{label}材料 {m_code}（第 {j + 1} 项）" if _text(m_code) else f"{label}材料（第 {j + 1} 项）"
            )
            spec = _material(m_raw, f"{where}.materials[{j}]", m_label, problems, strict)
            if spec is None:
                continue
            if spec.code in seen:
                problems.add(
                    f"{where}.materials[{j}].code",
                    f"{m_label}字段 code：材料编码 {spec.code} 与第 {seen[spec.code] + 1} 项重复",
                )
                continue
            seen[spec.code] = j
            if spec.gap_allowed and on_the_spot is True:
                problems.add(f"{where}.materials[{j}].gap_allowed",
                             f"{m_label}字段 gap_allowed：当场办结的事项不能容缺受理")
                continue
            materials.append(spec)

    if len(problems.items) != before:
        return None
    return Matter(
        code=raw["code"].strip(),
        name=raw["name"].strip(),
        department=raw["department"].strip(),
        mode=mode,
        applicant_kinds=tuple(kinds),
        on_the_spot=on_the_spot,
        statutory_days=statutory,
        promised_days=promised,
        commitment_allowed=commitment,
        materials=tuple(materials),
        keywords=tuple(k.strip() for k in keywords if k.strip()),
        legal_basis=raw.get("legal_basis", "").strip(),
        fee=raw.get("fee", "不收费").strip() or "不收费",
        early_completion=early,
        catalogue_version=version,
        reconsideration_body=raw.get("reconsideration_body", "").strip(),
        court=raw.get("court", "").strip(),
        review_steps=tuple(steps) if isinstance(steps, list) else DEFAULT_REVIEW_STEPS,
        centre_types=tuple(t for t in DEFAULT_CENTRE_TYPES if t in centre_types),
    )


def matter_from_json(raw: Any, version: str) -> Matter:
    """One stored matter (its JSON as imported) back into a Matter, by the same rules as the import."""
    problems = _Problems()
    matter = _matter(raw, 0, version, problems, strict=False)  # stored: it passed its own import or pull
    problems.raise_if_any()
    assert matter is not None
    return matter


def parse_catalogue(text: str, *, strict: bool = True) -> Catalogue:
    """Parse and validate a catalogue file; raise BadInput naming every matter and field at fault.

    Codes: E_CATALOGUE_JSON (not JSON; the message gives line and column) and E_CATALOGUE_INVALID
    (the message lists every problem, `field` is the first one's path such as
    `matters[2].promised_days`; the list is also on the exception as `problems`). `strict` (an import, a
    publication): an unknown field anywhere is refused, named (a typo such as `materails` must not pass);
    not strict (a catalogue pulled from the centre): unknown fields are ignored so that a newer centre's
    catalogue still loads on an older window.
    """
    if len(text) > MAX_CATALOGUE_CHARS:
        raise BadInput("E_CATALOGUE_JSON", f"事项目录过大（超过 {MAX_CATALOGUE_CHARS} 个字符）", field="catalogue")
    if json_depth(text) > MAX_DEPTH:
        raise BadInput("E_CATALOGUE_JSON", f"事项目录嵌套层数超过 {MAX_DEPTH} 层", field="catalogue")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            "E_CATALOGUE_JSON",
            f"事项目录不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列（{exc.msg}）",
            field="catalogue",
        ) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise BadInput("E_CATALOGUE_JSON", f"事项目录不是有效的 JSON（{exc}）", field="catalogue") from None
    problems = _Problems()
    if not isinstance(data, dict):
        problems.add("catalogue", "事项目录应为 JSON 对象，包含 version 和 matters")
        problems.raise_if_any()
    if strict:
        _unknown_fields(data, CATALOGUE_FIELDS, "catalogue", "事项目录", problems)
    version = data.get("version")
    if not _text(version):
        problems.add("version", "字段 version：目录版本不能为空")
        version = ""
    elif _text_problem(version, "version"):
        problems.add("version", f"字段 version：{_text_problem(version, 'version')}")
        version = ""
    matters_raw = data.get("matters")
    if not isinstance(matters_raw, list) or not matters_raw:
        problems.add("matters", "字段 matters：应为非空的事项列表")
        problems.raise_if_any()
    if len(matters_raw) > MAX_MATTERS:
        problems.add("matters", f"字段 matters：最多 {MAX_MATTERS} 个事项")
        problems.raise_if_any()
    matters: list[Matter] = []
    codes: dict[str, int] = {}
    for i, raw in enumerate(matters_raw):
        matter = _matter(raw, i, version.strip(), problems, strict)
        if matter is None:
            continue
        if matter.code in codes:
            problems.add(
                f"matters[{i}].code",
                f"{_matter_label(raw, i)}字段 code：事项编码与第 {codes[matter.code] + 1} 项重复",
            )
            continue
        codes[matter.code] = i
        matters.append(matter)
    found: list[tuple[str, str]] = []
    directory = centre_directory.parse_directory(data.get("centres"), found)
    for field, message in found:
        problems.add(field, message)
    problems.raise_if_any()
    return Catalogue(version=version.strip(), matters=tuple(matters), centres=directory)


def _matter_json(m: Matter) -> dict[str, Any]:
    return {
        "code": m.code,
        "name": m.name,
        "department": m.department,
        "mode": m.mode,
        "applicant_kinds": list(m.applicant_kinds),
        "on_the_spot": m.on_the_spot,
        "statutory_days": m.statutory_days,
        "promised_days": m.promised_days,
        "commitment_allowed": m.commitment_allowed,
        "early_completion": m.early_completion,
        **({"review_steps": list(m.review_steps)} if m.review_steps != DEFAULT_REVIEW_STEPS else {}),
        **({"centre_types": list(m.centre_types)} if m.centre_types != DEFAULT_CENTRE_TYPES else {}),
        "materials": [
            {
                "code": s.code,
                "name": s.name,
                "required": s.required,
                "form": s.form,
                "copies": s.copies,
                "e_licence": s.e_licence,
                "standard": s.standard,
                "kind": s.kind,
                "gap_allowed": s.gap_allowed,
                "commitment_text": s.commitment_text,
            }
            for s in m.materials
        ],
        "keywords": list(m.keywords),
        "legal_basis": m.legal_basis,
        "fee": m.fee,
        "reconsideration_body": m.reconsideration_body,
        "court": m.court,
    }


def catalogue_to_json(cat: Catalogue) -> str:
    """Serialise a catalogue in the import format; parse_catalogue(catalogue_to_json(c)) == c."""
    data: dict[str, Any] = {"version": cat.version, "matters": [_matter_json(m) for m in cat.matters]}
    if cat.centres:
        data["centres"] = centre_directory.directory_json(cat.centres)
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
