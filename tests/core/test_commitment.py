"""告知承诺书: every material accepted on a written commitment prints one, with the catalogue's promise text (or
the default wording naming the material and its standard), the applicant's signature line and the date line;
it prints with the voucher whenever such a material exists, and never otherwise."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pytest
from pypdf import PdfReader

from desktop.core.catalogue.parse import parse_catalogue
from desktop.core.documents import registry, render_commitment_letter
from desktop.core.errors import BadInput
from tests.support.doc_samples import sample_case
from tests.support.factories import TEST_CATALOGUE, enterprise

pytestmark = pytest.mark.quick


def _text(path_or_bytes) -> str:
    src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(src).pages)


def _food_permit(**materials) -> dict:
    states = {"E1": "e_licence", "E2": "commitment"} | materials
    return {"matter": "T-ENT-001", "applicant": enterprise(), "materials": states}


def test_a_commitment_prints_the_letter_with_the_voucher_in_the_catalogues_words(services, clerk):
    r = services.accept_application(intake=_food_permit(), clerk=clerk)
    assert r.outcome == "accepted"
    kinds = [d.kind for d in r.documents]
    assert kinds == ["voucher", "acceptance_notice", "commitment_letter"]
    text = _text(r.documents[2].path)
    for needle in ("告知承诺书", "行政机关告知", "申请人承诺", "食品安全管理制度", "企业自行制定并盖章",
                   "本单位已制定食品安全管理制度并落实到岗，开业前接受现场核查。",  # the catalogue's commitment_text
                   "承诺人（签字/盖章）", "承诺日期", "上海一窗餐饮管理有限公司", "区市场监督管理局"):
        assert needle in text, needle
    assert "营业执照" not in text.split("申请人承诺")[1]  # only the committed material is promised
    assert services.verify_documents(case_no=r.case_no) == []


def test_no_commitment_no_letter(services, clerk):
    r = services.accept_application(intake=_food_permit(E2="paper"), clerk=clerk)
    assert "commitment_letter" not in [d.kind for d in r.documents]
    with pytest.raises(BadInput) as e:
        render_commitment_letter(replace(sample_case(), materials=sample_case().materials[:2]))
    assert e.value.code == "E_NO_COMMITMENT"


def test_a_one_time_notice_visit_with_a_commitment_also_hands_over_the_letter():
    case = sample_case()  # M05 on commitment, M03 missing: a one-time notice
    assert registry.kinds_for_visit("notice", case.materials, first_visit=True) == [
        "voucher", "one_time_notice", "gap_promise", "commitment_letter"]
    assert "commitment_letter" not in registry.kinds_for_visit("refused", case.materials, first_visit=True)


def test_without_catalogue_text_the_default_promise_names_the_material_and_its_standard():
    text = _text(render_commitment_letter(sample_case()))
    assert "共同生活家庭成员声明" in text and "申请人签署的告知承诺书" in text
    assert "已知晓行政机关告知的全部内容" in text and "愿意承担相应的法律责任" in text
    assert "本人张三" in text and "代理人（签字）" in text  # the sample has an agent


def test_each_promise_uses_its_own_materials_text():
    case = sample_case()
    specs = case.matter.materials + (
        replace(case.matter.materials[0], code="M05", name="共同生活家庭成员声明", commitment_text="我家共三口人。"),)
    text = _text(render_commitment_letter(replace(case, matter=replace(case.matter, materials=specs))))
    assert "共同生活家庭成员声明：我家共三口人。" in text
    assert "已知晓行政机关告知的全部内容" not in text


def test_the_catalogue_checks_commitment_text():
    raw = json.loads(TEST_CATALOGUE.read_text(encoding="utf-8"))
    raw["matters"][1]["materials"][1]["commitment_text"] = ["not", "text"]
    with pytest.raises(BadInput) as e:
        parse_catalogue(json.dumps(raw, ensure_ascii=False))
    assert e.value.field == "matters[1].materials[1].commitment_text"
    assert "T-ENT-001" in e.value.message and "E2" in e.value.message
    raw["matters"][1]["materials"][1]["commitment_text"] = "承" * 2001
    with pytest.raises(BadInput):
        parse_catalogue(json.dumps(raw, ensure_ascii=False))
