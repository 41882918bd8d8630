"""Tests for loading the matter catalogue: the demo file, and every rule that rejects a bad file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from desktop.core.catalogue import Catalogue, catalogue_to_json, parse_catalogue
from desktop.core.errors import BadInput
from desktop.core.search import MatterIndex

DEMO = Path(__file__).resolve().parents[2] / "desktop" / "resources" / "catalogue" / "demo.json"


@pytest.fixture(scope="module")
def demo() -> Catalogue:
    return parse_catalogue(DEMO.read_text(encoding="utf-8"))


def test_demo_parses(demo):
    assert demo.version == "2026.11-demo"
    assert len(demo.matters) >= 32
    assert all(m.catalogue_version == "2026.11-demo" for m in demo.matters)


def test_demo_covers_what_the_windows_need(demo):
    ms = demo.matters
    assert {m.mode for m in ms} == {"online_full", "delegated", "entrusted_receipt", "local"}
    assert any("person" in m.applicant_kinds for m in ms)
    assert any("enterprise" in m.applicant_kinds for m in ms)
    spot = [m for m in ms if m.on_the_spot]
    assert len(spot) >= 3 and all(m.promised_days == 0 for m in spot)
    assert any(m.statutory_days is None for m in ms)
    assert any(m.early_completion for m in ms)
    assert any(m.commitment_allowed for m in ms)
    assert all(m.promised_days <= 20 for m in ms)
    assert all(m.statutory_days is None or m.statutory_days <= 30 for m in ms)
    assert all(m.fee == "不收费" and m.legal_basis and m.keywords for m in ms)
    materials = [s for m in ms for s in m.materials]
    assert any(s.e_licence for s in materials)
    assert all(s.standard for s in materials)
    names = {m.name for m in ms}
    for expected in (
        "企业设立登记",
        "营业执照变更登记",
        "公共场所卫生许可",
        "灵活就业登记",
        "城乡居民医保参保登记",
        "生育医疗费用报销",
        "老年综合津贴申领",
        "廉租住房申请",
    ):
        assert expected in names


def test_demo_round_trips(demo):
    assert parse_catalogue(catalogue_to_json(demo)) == demo


def test_demo_is_searchable(demo):
    index = MatterIndex(demo.matters)
    assert index.search("yyzz")[0].name == "营业执照变更登记"
    assert index.search("餐饮")[0].code == "SH-ENT-004"


def test_truncated_json():
    text = DEMO.read_text(encoding="utf-8")
    with pytest.raises(BadInput) as info:
        parse_catalogue(text[: len(text) // 2])
    e = info.value
    assert e.code == "E_CATALOGUE_JSON"
    assert "行" in e.message and "列" in e.message


# --- every validation rule names the matter and the field ------------------------------------


def base_matter(code: str = "310101-001") -> dict:
    return {
        "code": code,
        "name": "食品经营许可",
        "department": "黄浦区市场监督管理局",
        "mode": "delegated",
        "applicant_kinds": ["enterprise"],
        "on_the_spot": False,
        "statutory_days": 20,
        "promised_days": 5,
        "commitment_allowed": True,
        "early_completion": True,
        "materials": [
            {
                "code": "LIC",
                "name": "营业执照",
                "required": True,
                "form": "original",
                "copies": 1,
                "e_licence": True,
            },
            {
                "code": "FORM",
                "name": "申请书",
                "required": True,
                "form": "original",
                "copies": 1,
                "e_licence": False,
                "standard": "签字盖章",
            },
        ],
        "keywords": ["餐饮"],
        "legal_basis": "《中华人民共和国食品安全法》",
        "fee": "不收费",
    }


def file_with(third: dict) -> str:
    """A catalogue whose third matter (index 2) is the one under test."""
    return json.dumps(
        {"version": "t1", "matters": [base_matter("A-1"), base_matter("A-2"), third]}, ensure_ascii=False
    )


def rejected(text: str) -> BadInput:
    with pytest.raises(BadInput) as info:
        parse_catalogue(text)
    assert info.value.code == "E_CATALOGUE_INVALID"
    return info.value


def test_minimal_file_is_accepted():
    cat = parse_catalogue(file_with(base_matter()))
    m = cat.matters[2]
    assert m.code == "310101-001"
    assert m.applicant_kinds == ("enterprise",)
    assert m.materials[0].standard == ""
    assert m.materials[1].standard == "签字盖章"


def test_optional_fields_default():
    raw = base_matter()
    for key in ("keywords", "legal_basis", "fee", "early_completion"):
        del raw[key]
    m = parse_catalogue(file_with(raw)).matters[2]
    assert (m.keywords, m.legal_basis, m.fee, m.early_completion) == ((), "", "不收费", False)


def test_message_format_from_the_brief():
    raw = base_matter()
    raw["promised_days"] = -1
    e = rejected(file_with(raw))
    assert e.message == "事项 310101-001（第 3 项）字段 promised_days：应为非负整数"
    assert e.field == "matters[2].promised_days"


def _set(path: str, value):
    def change(raw: dict) -> None:
        target = raw
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is _DELETE:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value

    return change


_DELETE = object()

RULES = [
    ("missing name", _set("name", _DELETE), "name"),
    ("empty name", _set("name", "  "), "name"),
    ("missing department", _set("department", _DELETE), "department"),
    ("bad mode", _set("mode", "offline"), "mode"),
    ("no applicant kind", _set("applicant_kinds", []), "applicant_kinds"),
    ("unknown applicant kind", _set("applicant_kinds", ["robot"]), "applicant_kinds"),
    ("on_the_spot not bool", _set("on_the_spot", "yes"), "on_the_spot"),
    ("statutory string", _set("statutory_days", "20"), "statutory_days"),
    ("statutory missing", _set("statutory_days", _DELETE), "statutory_days"),
    ("promised bool", _set("promised_days", True), "promised_days"),
    ("promised float", _set("promised_days", 2.5), "promised_days"),
    ("promised zero, not on the spot", _set("promised_days", 0), "promised_days"),
    ("promised over statutory", _set("promised_days", 25), "promised_days"),
    ("early but not 30 % shorter", _set("promised_days", 15), "early_completion"),
    ("commitment not bool", _set("commitment_allowed", None), "commitment_allowed"),
    ("keywords not list", _set("keywords", "餐饮"), "keywords"),
    ("materials missing", _set("materials", _DELETE), "materials"),
    ("copies zero", _set("materials.1.copies", 0), "materials[1].copies"),
    ("bad form", _set("materials.0.form", "scan"), "materials[0].form"),
    ("material without name", _set("materials.0.name", ""), "materials[0].name"),
    ("required not bool", _set("materials.0.required", 1), "materials[0].required"),
    ("e_licence missing", _set("materials.0.e_licence", _DELETE), "materials[0].e_licence"),
    ("duplicate material code", _set("materials.1.code", "LIC"), "materials[1].code"),
]


@pytest.mark.parametrize(("label", "change", "field"), RULES, ids=[r[0] for r in RULES])
def test_each_rule_names_matter_and_field(label, change, field):
    raw = copy.deepcopy(base_matter())
    change(raw)
    e = rejected(file_with(raw))
    assert e.field == f"matters[2].{field}"
    assert "事项 310101-001（第 3 项）" in e.message
    assert field.split(".")[-1] in e.message


def test_material_errors_name_the_material():
    raw = base_matter()
    raw["materials"][1]["copies"] = 0
    e = rejected(file_with(raw))
    assert "材料 FORM（第 2 项）字段 copies" in e.message


def test_on_the_spot_may_promise_zero_days():
    raw = base_matter()
    raw.update(on_the_spot=True, promised_days=0, statutory_days=None, early_completion=False)
    assert parse_catalogue(file_with(raw)).matters[2].promised_days == 0


def test_early_completion_boundary_is_exactly_70_percent():
    raw = base_matter()
    raw["promised_days"] = 14  # 70 % of 20
    assert parse_catalogue(file_with(raw)).matters[2].early_completion


def test_early_completion_needs_a_statutory_limit():
    raw = base_matter()
    raw["statutory_days"] = None
    e = rejected(file_with(raw))
    assert e.field == "matters[2].early_completion"


def test_duplicate_matter_code():
    e = rejected(file_with(base_matter("A-1")))
    assert e.field == "matters[2].code"
    assert "事项 A-1（第 3 项）字段 code" in e.message
    assert "第 1 项重复" in e.message


def test_missing_code_names_the_index():
    raw = base_matter()
    del raw["code"]
    e = rejected(file_with(raw))
    assert e.field == "matters[2].code"
    assert "事项（第 3 项）字段 code" in e.message


def test_all_problems_are_listed():
    raw = base_matter()
    raw["mode"] = "x"
    raw["materials"][0]["copies"] = 0
    e = rejected(file_with(raw))
    assert "2 处错误" in e.message
    assert [field for field, _ in e.problems] == ["matters[2].mode", "matters[2].materials[0].copies"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"matters": []}', "version"),
        ('{"version": "v", "matters": []}', "matters"),
        ('{"version": "v"}', "matters"),
        ("[1, 2]", "catalogue"),
        ('{"version": "v", "matters": [5]}', "matters[0]"),
    ],
)
def test_top_level_shape(text, field):
    assert rejected(text).field == field


def test_an_import_refuses_unknown_fields_by_name_and_a_pulled_catalogue_ignores_them():
    """Issue 18: a typo (`materails`, `requird`) must not pass an import silently; a catalogue the centre
    publishes with a newer field still loads on an older window (the pull is not strict)."""
    raw = base_matter()
    raw["future_field"] = {"anything": 1}
    raw["materials"][0]["requird"] = True
    text = json.loads(file_with(raw))
    text["matters_note"] = "x"
    text = json.dumps(text, ensure_ascii=False)
    with pytest.raises(BadInput) as e:
        parse_catalogue(text)
    assert e.value.code == "E_CATALOGUE_INVALID"
    assert "未知字段“future_field”" in e.value.message and "未知字段“requird”" in e.value.message
    assert "未知字段“matters_note”" in e.value.message
    assert any(f == "matters[2].future_field" for f, _ in e.value.problems)
    assert parse_catalogue(text, strict=False).matters[2].code == "310101-001"
