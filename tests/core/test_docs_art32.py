"""不予受理 (行政许可法 Art. 32(1)): the ground is chosen from the three categories (an unknown or missing one is
refused, nothing stored), `not_competent` must say where to apply instead, and the notice names the
reconsideration body and the court from the matter's catalogue entry, else from the window's settings.
Real store, real PDFs (text via pypdf)."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.local.models import OutboxOp
from desktop.cli import main
from desktop.core.cases.checks import join_refusal, split_refusal
from desktop.core.catalogue.parse import catalogue_to_json, parse_catalogue
from desktop.core.errors import AuthError, BadInput
from tests.support.factories import TEST_CATALOGUE, residence_permit_intake

pytestmark = pytest.mark.quick


def _text(path) -> str:
    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(path).pages)


def _refused(category, reason="申请人户籍在外省，本市居住证由居住地派出所受理", apply_instead="居住地派出所户籍窗口"):
    refusal = {"reason": reason, "apply_instead": apply_instead}
    if category is not None:
        refusal["refusal_category"] = category
    return residence_permit_intake() | {"outcome": "refused", "refusal": refusal}


def _notice(services, clerk, intake) -> str:
    r = services.accept_application(intake=intake, clerk=clerk)
    [doc] = r.documents
    assert doc.kind == "refusal_notice"
    return _text(doc.path)


def _catalogue_with(**matter_fields) -> str:
    raw = json.loads(TEST_CATALOGUE.read_text(encoding="utf-8"))
    raw["version"] = "test-art32"
    raw["matters"][0].update(matter_fields)
    return json.dumps(raw, ensure_ascii=False)


@pytest.mark.parametrize(("category", "words", "item"), [
    ("not_permit", "申请事项依法不需要取得行政许可的情形", "第三十二条第一款第（一）项"),
    ("not_competent", "申请事项依法不属于本行政机关职权范围的情形", "第三十二条第一款第（二）项"),
    ("other", "其他依法不予受理的情形", "第三十二条第一款的规定"),
])
def test_each_category_prints_its_ground_and_item_of_article_32(services, clerk, category, words, item):
    text = _notice(services, clerk, _refused(category))
    assert words in text and item in text and "决定不予受理" in text
    assert "申请人户籍在外省，本市居住证由居住地派出所受理" in text  # the free text, as given
    for other, other_words in (("not_permit", "不需要取得行政许可"), ("not_competent", "不属于本行政机关职权范围")):
        if other != category:
            assert other_words not in text


def test_the_record_keeps_the_category_apart_from_the_free_text(services, clerk):
    r = services.accept_application(intake=_refused("not_competent"), clerk=clerk)
    record = services.case_record(case_no=r.case_no)
    assert record.refusal_category == "not_competent"
    assert record.refusal_reason == "申请人户籍在外省，本市居住证由居住地派出所受理"
    assert services.verify_documents(case_no=r.case_no) == []  # re-rendered from the record: the same paper
    with services.store.Reader() as s:  # the centre receives the reason in words, the category's first
        payload = json.loads(s.scalar(select(OutboxOp.payload).where(OutboxOp.kind == "case.upsert")))
    assert payload["refusal_reason"] == "申请事项依法不属于本行政机关职权范围：申请人户籍在外省，本市居住证由居住地派出所受理"
    assert split_refusal(join_refusal("not_competent", "x")) == ("not_competent", "x")
    assert split_refusal("一个旧的理由") == ("", "一个旧的理由")


@pytest.mark.parametrize("category", [None, "", "wrong", 3, "NOT_PERMIT"])
def test_a_missing_or_unknown_category_is_refused_and_nothing_is_stored(services, clerk, category):
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=_refused(category), clerk=clerk)
    assert e.value.code == "E_REFUSAL_CATEGORY" and e.value.field == "refusal.refusal_category"
    assert "not_permit" in e.value.message and "not_competent" in e.value.message
    assert services.outbox() == []


def test_not_competent_must_say_where_to_apply_the_others_need_not(services, clerk):
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=_refused("not_competent", apply_instead=""), clerk=clerk)
    assert e.value.field == "refusal.apply_instead"
    assert services.outbox() == []
    text = _notice(services, clerk, _refused("not_permit", reason="居住登记不属于行政许可", apply_instead=""))
    assert "请向" not in text and "不需要取得行政许可" in text


def test_an_unknown_field_in_the_refusal_is_named(services, clerk):
    intake = _refused("other")
    intake["refusal"]["categroy"] = "other"
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=intake, clerk=clerk)
    assert e.value.code == "E_FIELD_UNKNOWN" and "categroy" in e.value.message


def test_the_matter_names_the_reconsideration_body_and_the_court(services, clerk):
    admin = services.login(login="admin", password="admin1234")
    services.set_preference(key="reconsideration_body", value="上海市徐汇区人民政府", actor=admin)
    services.set_preference(key="court", value="上海市徐汇区人民法院", actor=admin)
    services.import_catalogue(_catalogue_with(reconsideration_body="上海市人民政府", court="上海市第三中级人民法院"),
                              actor=admin)
    text = _notice(services, clerk, _refused("other"))
    assert "六十日内向上海市人民政府申请行政复议" in text
    assert "六个月内向上海市第三中级人民法院提起行政诉讼" in text
    assert "徐汇区人民政府" not in text  # the matter's own entry wins over the window's setting


def test_without_the_matter_fields_the_window_settings_name_them(services, clerk):
    admin = services.login(login="admin", password="admin1234")
    services.set_preference(key="reconsideration_body", value="上海市徐汇区人民政府", actor=admin)
    services.set_preference(key="court", value="上海铁路运输法院", actor=admin)
    text = _notice(services, clerk, _refused("not_permit"))
    assert "六十日内向上海市徐汇区人民政府申请行政复议" in text
    assert "六个月内向上海铁路运输法院提起行政诉讼" in text


def test_with_neither_the_rights_are_still_stated_unnamed(services, clerk):
    text = _notice(services, clerk, _refused("not_permit"))
    assert "六十日内依法申请行政复议" in text and "六个月内依法向人民法院提起行政诉讼" in text


def test_the_new_matter_fields_are_checked_and_survive_a_round_trip():
    cat = parse_catalogue(_catalogue_with(reconsideration_body="上海市人民政府", court="上海市第三中级人民法院"))
    assert cat.matters[0].reconsideration_body == "上海市人民政府"
    assert parse_catalogue(catalogue_to_json(cat)) == cat
    for bad in (7, "x" * 201, "上海\u202e政府"):
        with pytest.raises(BadInput) as e:
            parse_catalogue(_catalogue_with(court=bad))
        assert e.value.field == "matters[0].court" and "T-PER-001" in e.value.message


def test_only_an_administrator_sets_a_preference_and_only_a_known_one(services, clerk):
    admin = services.login(login="admin", password="admin1234")
    with pytest.raises(AuthError):
        services.set_preference(key="court", value="上海铁路运输法院", actor=clerk)
    for key in ("centre_code", "central_url", "no_such_setting", "sync_online"):
        with pytest.raises(BadInput) as e:
            services.set_preference(key=key, value="1", actor=admin)
        assert e.value.code == "E_SETTING"
    with pytest.raises(BadInput):
        services.set_preference(key="outbox_retention_days", value="many", actor=admin)
    with pytest.raises(BadInput):
        services.set_preference(key="court", value="法院\x07", actor=admin)
    assert services.setting("court") == ""


def test_the_command_line_refuses_an_unknown_category_with_exit_2(services, home, tmp_path, monkeypatch, capsys):
    services.close()
    path = tmp_path / "refuse.json"
    path.write_text(json.dumps(_refused("not_mine"), ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")
    assert main(["--home", str(home), "intake", str(path), "--clerk", "demo"]) == 2
    err = capsys.readouterr().err
    assert "E_REFUSAL_CATEGORY" in err and "refusal.refusal_category" in err
    path.write_text(json.dumps(_refused("not_competent"), ensure_ascii=False), encoding="utf-8")
    assert main(["--home", str(home), "intake", str(path), "--clerk", "demo"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "refused"
    assert main(["--home", str(home), "setting", "set", "court", "上海铁路运输法院", "--clerk", "demo"]) == 2
    monkeypatch.setenv("YICHUANG_PASSWORD", "admin1234")
    assert main(["--home", str(home), "setting", "set", "court", "上海铁路运输法院", "--clerk", "admin"]) == 0
    assert json.loads(capsys.readouterr().out) == {"key": "court", "value": "上海铁路运输法院"}
    assert main(["--home", str(home), "setting", "set", "window_no", "09", "--clerk", "admin"]) == 2
