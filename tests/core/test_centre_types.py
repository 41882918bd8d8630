"""两个集中: a matter taken only at some kinds of centre (catalogue `centre_types`) and the window's own type
(`init --centre-type`): the wrong kind of centre refuses the intake (exit 2) naming where to go."""

from __future__ import annotations

import json

import pytest

from desktop.cli import main
from desktop.core.catalogue.parse import catalogue_to_json, parse_catalogue
from desktop.core.errors import BadInput
from tests.support.factories import DATA, residence_permit_intake
from tests.support.rawdb import connect_store

PASSWORDS = {"demo": "demo1234", "admin": "admin1234"}


def _catalogue(**centre_types) -> dict:
    data = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    for m in data["matters"]:
        if m["code"] in centre_types:
            m["centre_types"] = centre_types[m["code"]]
    return data


def test_parse_default_both_and_round_trip():
    cat = parse_catalogue(json.dumps(_catalogue(**{"T-PER-001": ["street"], "T-ENT-001": ["street", "district"]})))
    by = cat.by_code()
    assert by["T-PER-001"].centre_types == ("street",)
    assert by["T-ENT-001"].centre_types == ("district", "street")
    assert by["T-PER-002"].centre_types == ("district", "street")  # absent: both
    assert parse_catalogue(catalogue_to_json(cat)) == cat


@pytest.mark.parametrize("bad", [[], ["city"], "street", ["street", "street"], [1], {"street": True}])
def test_parse_refuses_bad_centre_types(bad):
    with pytest.raises(BadInput) as e:
        parse_catalogue(json.dumps(_catalogue(**{"T-PER-001": bad})))
    assert e.value.field == "matters[0].centre_types" and "centre_types" in e.value.message


def test_demo_catalogue_marks_personal_and_enterprise_matters():
    text = (DATA.parents[1] / "desktop" / "resources" / "catalogue" / "demo.json").read_text(encoding="utf-8")
    by = parse_catalogue(text).by_code()
    assert by["SH-PER-002"].centre_types == ("street",)
    assert by["SH-ENT-001"].centre_types == ("district",)


def run(capsys, *args, password=None, monkeypatch=None):
    if password is not None:
        monkeypatch.setenv("YICHUANG_PASSWORD", password)
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


@pytest.fixture
def home(tmp_path, capsys, monkeypatch):
    h = tmp_path / "w"
    code, _, err = run(capsys, "--home", h, "init", "--centre", "310104", "--window", "02", "--demo",
                       "--centre-type", "district")
    assert code == 0, err
    f = tmp_path / "cat.json"
    data = _catalogue(**{"T-PER-001": ["street"]})
    data["version"] = "test-centres"
    f.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    code, _, err = run(capsys, "--home", h, "catalogue", "import", f, "--clerk", "admin",
                       password=PASSWORDS["admin"], monkeypatch=monkeypatch)
    assert code == 0, err
    return h


def _cases(home) -> int:
    con = connect_store(home)
    try:
        return con.execute("select count(*) from cases").fetchone()[0]
    finally:
        con.close()


def test_status_shows_the_centre_type(home, capsys):
    code, out, _ = run(capsys, "--home", home, "status")
    assert code == 0 and out["centre_type"] == "district"


def test_a_street_matter_is_refused_at_a_district_centre(home, tmp_path, capsys, monkeypatch):
    f = tmp_path / "intake.json"
    f.write_text(json.dumps(residence_permit_intake(), ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "--home", home, "intake", f, "--clerk", "demo", password=PASSWORDS["demo"],
                         monkeypatch=monkeypatch)
    assert code == 2 and out is None
    assert "E_WRONG_CENTRE" in err and "不在区行政服务中心受理" in err and "街镇社区事务受理服务中心" in err
    assert _cases(home) == 0  # nothing half-stored
    # the same window re-made as a street centre takes it; its identity stays
    code, _, err = run(capsys, "--home", home, "init", "--centre", "310104", "--window", "02",
                       "--centre-type", "street")
    assert code == 0, err
    code, out, err = run(capsys, "--home", home, "intake", f, "--clerk", "demo", password=PASSWORDS["demo"],
                         monkeypatch=monkeypatch)
    assert code == 0, err
    assert _cases(home) == 1


def test_a_matter_for_both_is_taken_and_a_refusal_may_be_given_anywhere(home, tmp_path, capsys, monkeypatch):
    both = residence_permit_intake()
    both.update(matter="T-PER-002", materials={"L1": "paper"})
    refused = residence_permit_intake()
    refused.update(outcome="refused", refusal={"refusal_category": "not_competent", "reason": "两个集中",
                                               "apply_instead": "街镇社区事务受理服务中心"})
    refused["materials"] = {}
    for intake in (both, refused):
        f = tmp_path / "i.json"
        f.write_text(json.dumps(intake, ensure_ascii=False), encoding="utf-8")
        code, out, err = run(capsys, "--home", home, "intake", f, "--clerk", "demo", password=PASSWORDS["demo"],
                             monkeypatch=monkeypatch)
        assert code == 0, err
    assert out["outcome"] == "refused" and _cases(home) == 2


def test_init_refuses_an_unknown_centre_type(tmp_path, capsys):
    h = tmp_path / "x"
    code, _, err = run(capsys, "--home", h, "init", "--centre", "310104", "--window", "02", "--centre-type", "city")
    assert code == 2 and "中心类型“city”无效" in err and not h.exists()


def test_a_window_without_a_type_takes_every_matter(tmp_path, capsys, monkeypatch):
    """A window never told its type (every store before this change) refuses nothing: SH-PER-002 is a
    street matter in the demo catalogue, and the demo store takes it."""
    h = tmp_path / "w"
    assert run(capsys, "--home", h, "init", "--centre", "310104", "--window", "02", "--demo")[0] == 0
    code, out, _ = run(capsys, "--home", h, "status")
    assert out["centre_type"] == ""
    intake = residence_permit_intake()
    intake["matter"] = "SH-PER-002"
    f = tmp_path / "i.json"
    f.write_text(json.dumps(intake, ensure_ascii=False), encoding="utf-8")
    code, _, err = run(capsys, "--home", h, "intake", f, "--clerk", "demo", password=PASSWORDS["demo"],
                       monkeypatch=monkeypatch)
    assert "E_WRONG_CENTRE" not in err
