"""导办单: the centre directory carried in the catalogue, `yichuang guide CODE --out FILE.pdf`, and the guide
printed when an intake is refused for the wrong kind of centre (两个集中)."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader

from desktop.cli import main
from desktop.core.catalogue.parse import catalogue_to_json, parse_catalogue
from desktop.core.errors import BadInput
from tests.support.factories import DATA, residence_permit_intake

DEMO = DATA.parents[1] / "desktop" / "resources" / "catalogue" / "demo.json"
STREET = {"code": "310104003", "name": "田林街道社区事务受理服务中心", "type": "street",
          "address": "田林路 200 号", "phone": "021-64856111", "hours": "周一至周五 8:30–17:00"}
DISTRICT = {"code": "310104000", "name": "徐汇区行政服务中心", "type": "district",
            "address": "漕溪北路 336 号", "phone": "021-64872222", "hours": "周一至周六"}


def text_of(path) -> str:
    """The PDF's text without spaces and line breaks (a table cell wraps a long name)."""
    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(str(path)).pages)


def _catalogue(centres) -> str:
    data = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    data["matters"][0]["centre_types"] = ["street"]
    data["centres"] = centres
    return json.dumps(data, ensure_ascii=False)


def test_the_directory_parses_and_round_trips():
    cat = parse_catalogue(_catalogue([STREET, DISTRICT]))
    assert [c.name for c in cat.centres] == [STREET["name"], DISTRICT["name"]]
    assert parse_catalogue(catalogue_to_json(cat)) == cat
    assert parse_catalogue(_catalogue(None)).centres == ()  # absent: an empty directory


@pytest.mark.parametrize("bad, field", [
    ({**STREET, "adress": "x"}, "centres[0].adress"),  # a typo is refused, naming it
    ({**STREET, "type": "city"}, "centres[0].type"),
    ({**STREET, "phone": 12345}, "centres[0].phone"),
    ({**STREET, "address": ""}, "centres[0]"),
    ("徐汇区行政服务中心", "centres[0]"),
])
def test_a_bad_directory_entry_is_refused(bad, field):
    with pytest.raises(BadInput) as e:
        parse_catalogue(_catalogue([bad]))
    assert e.value.field == field


def test_duplicate_centre_codes_are_refused():
    with pytest.raises(BadInput) as e:
        parse_catalogue(_catalogue([STREET, STREET]))
    assert e.value.field == "centres[1].code"


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


@pytest.fixture
def district(tmp_path, capsys):
    h = tmp_path / "w"
    code, _, err = run(capsys, "--home", h, "init", "--centre", "310104", "--window", "02", "--demo",
                       "--centre-type", "district")
    assert code == 0, err
    return h


def test_guide_names_the_right_centres_what_to_bring_and_not_this_one(district, tmp_path, capsys):
    out = tmp_path / "g" / "guide.pdf"
    code, result, err = run(capsys, "--home", district, "guide", "SH-PER-002", "--out", out)
    assert code == 0, err and result["pdf"] == str(out)
    text = text_of(out)
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    streets = [c for c in demo["centres"] if c["type"] == "street"]
    assert streets and all(c["name"] in text and c["phone"] in text and c["address"].replace(" ", "") in text for c in streets)
    assert "漕溪北路" not in text  # the district centre does not take it: not listed
    assert "不在本中心" in text and "导" in text
    matter = next(m for m in demo["matters"] if m["code"] == "SH-PER-002")
    for m in matter["materials"]:
        assert m["name"] in text
    assert "网上办理" not in text  # SH-PER-002 is not online_full


def test_guide_of_an_online_matter_gives_the_online_route(district, tmp_path, capsys):
    out = tmp_path / "online.pdf"
    code, _, err = run(capsys, "--home", district, "guide", "SH-PER-015", "--out", out)
    assert code == 0, err
    assert "全程网上办理" in text_of(out) and "帮办" in text_of(out)


def test_guide_refuses_an_unknown_matter_and_a_non_pdf_name(district, tmp_path, capsys):
    code, _, err = run(capsys, "--home", district, "guide", "NO-SUCH", "--out", tmp_path / "x.pdf")
    assert code == 2 and "NO-SUCH" in err and not (tmp_path / "x.pdf").exists()
    code, _, err = run(capsys, "--home", district, "guide", "SH-PER-002", "--out", tmp_path / "x.txt")
    assert code == 2 and ".pdf" in err and not (tmp_path / "x.txt").exists()


def test_a_wrong_centre_refusal_prints_the_guide(district, tmp_path, capsys, monkeypatch):
    intake = residence_permit_intake()
    intake["matter"] = "SH-PER-002"
    intake["materials"] = {}
    f = tmp_path / "intake.json"
    f.write_text(json.dumps(intake, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")
    out_dir = tmp_path / "docs"
    code, out, err = run(capsys, "--home", district, "intake", f, "--clerk", "demo", "--out", out_dir)
    assert code == 2 and out is None and "E_WRONG_CENTRE" in err and "导办单" in err
    [guide] = list(out_dir.glob("guide-SH-PER-002-*.pdf"))
    assert str(guide) in err and "田林街道" in text_of(guide) and "张敏" in text_of(guide)
