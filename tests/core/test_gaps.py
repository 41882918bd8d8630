"""容缺: what the catalogue allows (never a form, an identity document, nor anything on an on-the-spot matter:
refused at import naming matter and material, and at intake), the supply date capped by the promised date,
`supply` closing a gap (next version, receipt), and an unsupplied gap past its date on the worklist with its
容缺候补通知书. Real store, real PDFs, the real command line."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.local.models import OutboxOp
from desktop.cli import main
from desktop.core.catalogue.parse import parse_catalogue
from desktop.core.errors import BadInput
from tests.support.factories import TEST_CATALOGUE, residence_permit_intake

pytestmark = pytest.mark.quick

DUE = "2026-11-30"  # a Monday, a week after the test clock's Monday 2026-11-23


def _text(path) -> str:
    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(path).pages)


def _catalogue(edit) -> str:
    raw = json.loads(TEST_CATALOGUE.read_text(encoding="utf-8"))
    edit(raw)
    return json.dumps(raw, ensure_ascii=False)


def _gap_case(services, clerk, due=DUE, **more):
    return services.accept_application(intake=residence_permit_intake(M3={"state": "gap", "gap_due": due}, **more),
                                       clerk=clerk)


# ---------------------------------------------------------------- the catalogue


@pytest.mark.parametrize(("matter", "material", "edit", "words"), [
    (0, 0, {"gap_allowed": True}, "身份证明材料不能容缺受理"),  # M1 is the identity document
    (0, 1, {"gap_allowed": True, "kind": "application_form"}, "申请书（表）不能容缺受理"),
    (2, 0, {"gap_allowed": True, "kind": "supporting"}, "当场办结的事项不能容缺受理"),  # T-PER-002 is on the spot
])
def test_a_catalogue_allowing_a_forbidden_gap_is_refused_naming_matter_and_material(matter, material, edit, words):
    def change(raw):
        raw["matters"][matter]["materials"][material].update(edit)

    with pytest.raises(BadInput) as e:
        parse_catalogue(_catalogue(change))
    raw = json.loads(TEST_CATALOGUE.read_text(encoding="utf-8"))
    m = raw["matters"][matter]
    assert e.value.code == "E_CATALOGUE_INVALID"
    assert e.value.field == f"matters[{matter}].materials[{material}].gap_allowed"
    assert m["code"] in e.value.message and m["materials"][material]["code"] in e.value.message
    assert words in e.value.message


@pytest.mark.parametrize(("key", "value"), [("gap_allowed", "yes"), ("kind", "passport"), ("kind", None)])
def test_the_new_material_fields_take_only_their_values(key, value):
    def change(raw):
        raw["matters"][0]["materials"][2][key] = value

    with pytest.raises(BadInput) as e:
        parse_catalogue(_catalogue(change))
    assert e.value.field == f"matters[0].materials[2].{key}"


def test_the_defaults_are_supporting_and_no_gap():
    def change(raw):
        for m in raw["matters"][0]["materials"]:
            m.pop("kind", None)
            m.pop("gap_allowed", None)

    specs = parse_catalogue(_catalogue(change)).matters[0].materials
    assert {s.kind for s in specs} == {"supporting"} and not any(s.gap_allowed for s in specs)


def test_the_demo_catalogue_marks_its_forms_and_identity_documents():
    from desktop.core.config import DEMO_CATALOGUE  # the file init --demo loads

    cat = parse_catalogue(DEMO_CATALOGUE.read_text(encoding="utf-8"))
    by_code = cat.by_code()
    kinds = {m.code: m.kind for m in by_code["SH-PER-001"].materials}
    assert kinds["ID"] == "identity_document"
    assert {m.kind for m in by_code["SH-ENT-001"].materials if m.code == "FORM"} == {"application_form"}
    assert any(m.gap_allowed for matter in cat.matters for m in matter.materials)
    for matter in cat.matters:
        for m in matter.materials:
            if "身份证" in m.name:
                assert m.kind == "identity_document", (matter.code, m.code)
            if m.gap_allowed:
                assert not matter.on_the_spot and m.kind == "supporting", (matter.code, m.code)


def test_the_command_line_import_exits_2_naming_matter_and_material(services, home, tmp_path, monkeypatch, capsys):
    services.close()

    def change(raw):
        raw["version"] = "test-gap-bad"
        raw["matters"][0]["materials"][0]["gap_allowed"] = True

    path = tmp_path / "cat.json"
    path.write_text(_catalogue(change), encoding="utf-8")
    monkeypatch.setenv("YICHUANG_PASSWORD", "admin1234")
    assert main(["--home", str(home), "catalogue", "import", str(path), "--clerk", "admin"]) == 2
    err = capsys.readouterr().err
    assert "T-PER-001" in err and "M1" in err and "gap_allowed" in err


# ---------------------------------------------------------------- the intake


@pytest.mark.parametrize(("intake", "code"), [
    (residence_permit_intake(M2={"state": "gap", "gap_due": DUE}), "M2"),  # not marked gap_allowed
    (residence_permit_intake(M1={"state": "gap", "gap_due": DUE}), "M1"),  # the identity document
    ({"matter": "T-PER-002", "applicant": residence_permit_intake()["applicant"],
      "materials": {"L1": {"state": "gap", "gap_due": DUE}}}, "L1"),  # on the spot
])
def test_a_gap_where_the_catalogue_does_not_allow_it_is_refused_nothing_stored(services, clerk, intake, code):
    with pytest.raises(BadInput) as e:
        services.accept_application(intake=intake, clerk=clerk)
    assert e.value.code == "E_GAP_NOT_ALLOWED" and e.value.field == f"materials.{code}"
    assert services.outbox() == []


def test_the_supply_date_is_capped_by_the_promised_date(services, clerk):
    promised = services.add_workdays(start=date(2026, 11, 23), days=7)
    late = (promised + timedelta(days=1)).isoformat()
    with pytest.raises(BadInput) as e:
        _gap_case(services, clerk, due=late)
    assert e.value.code == "E_GAP_DUE" and e.value.field == "materials.M3.gap_due"
    assert promised.isoformat() in e.value.message
    with pytest.raises(BadInput):  # in a batch: nothing of it is stored
        services.accept_batch(intakes=[residence_permit_intake(),
                                       residence_permit_intake(M3={"state": "gap", "gap_due": late})], clerk=clerk)
    assert services.outbox() == []
    r = _gap_case(services, clerk, due=promised.isoformat())  # on the promised date itself: allowed
    assert r.outcome == "accepted" and r.promised_date == promised


def test_at_the_supplement_visit_the_new_promised_date_caps_the_gap(services, clerk, clock):
    first = services.accept_application(intake=residence_permit_intake(
        M2="missing", M3={"state": "gap", "gap_due": "2026-12-31"}), clerk=clerk)
    assert first.outcome == "notice"  # no promised date yet: nothing caps it
    clock.now += timedelta(days=1)
    with pytest.raises(BadInput) as e:
        services.supplement_case(case_no=first.case_no, materials={"M2": "paper"}, clerk=clerk)
    assert e.value.code == "E_GAP_DUE"
    done = services.supplement_case(case_no=first.case_no, materials={
        "M2": "paper", "M3": {"state": "gap", "gap_due": "2026-12-01"}}, clerk=clerk)
    assert done.outcome == "accepted"


# ---------------------------------------------------------------- supply, receipt


def test_supply_closes_the_gap_as_the_next_version_and_prints_the_receipt(services, clerk, clock):
    r = _gap_case(services, clerk)
    clock.now = datetime(2026, 11, 27, 14, 5)
    doc = services.supply_gap(case_no=r.case_no, material="M3", clerk=clerk)
    assert doc.kind == "gap_receipt" and doc.reprint == 0
    record = services.case_record(case_no=r.case_no)
    assert {m.code: m.state for m in record.materials}["M3"] == "paper"
    history = services.case_history(case_no=r.case_no)
    assert history[-1][2] == "gap.supplied" and "承诺 2026-11-30 前补交" in history[-1][3]
    with services.store.Reader() as s:
        payloads = [json.loads(p) for p in s.scalars(select(OutboxOp.payload).where(OutboxOp.kind == "case.upsert"))]
    assert [p["version"] for p in payloads] == [1, 2]
    assert {m["code"]: m["state"] for m in payloads[-1]["materials"]}["M3"] == "paper"
    text = _text(doc.path)
    for needle in ("容缺材料补交回执", "劳动合同", "2026年11月30日", "补交时间：2026年11月27日14:05", "按期补交",
                   "本件容缺受理的材料已全部补齐", "补交人（签字）", "张敏"):
        assert needle in text, needle
    # the voucher and promise printed before the supply are checked against the version they came from
    assert services.verify_documents(case_no=r.case_no) == []


def test_a_late_supply_says_how_late(services, clerk, clock):
    r = _gap_case(services, clerk)
    clock.now = datetime(2026, 12, 2, 10, 0)
    doc = services.supply_gap(case_no=r.case_no, material="M3", clerk=clerk)
    assert "逾期2日补交" in _text(doc.path)


@pytest.mark.parametrize(("material", "code"), [("M2", "E_NOT_GAP"), ("M9", "E_MATERIAL_UNKNOWN")])
def test_supply_of_what_is_not_an_open_gap_is_refused_nothing_stored(services, clerk, material, code):
    r = _gap_case(services, clerk)
    before = len(services.outbox(limit=1000))
    with pytest.raises(BadInput) as e:
        services.supply_gap(case_no=r.case_no, material=material, clerk=clerk)
    assert e.value.code == code and e.value.field == "material"
    assert len(services.outbox(limit=1000)) == before


def test_a_gap_is_supplied_once(services, clerk):
    r = _gap_case(services, clerk)
    services.supply_gap(case_no=r.case_no, material="M3", clerk=clerk)
    with pytest.raises(BadInput) as e:
        services.supply_gap(case_no=r.case_no, material="M3", clerk=clerk)
    assert e.value.code == "E_NOT_GAP"


# ---------------------------------------------------------------- the worklist and the 候补通知书


def _gap_items(services, day):
    return [(i.kind, i.colour, i.due) for i in services.worklist(day=day) if i.kind.startswith("gap_")]


def test_an_open_gap_turns_yellow_near_its_date_and_red_after_it_until_supplied(services, clerk):
    r = _gap_case(services, clerk)
    due = date(2026, 11, 30)
    assert _gap_items(services, date(2026, 11, 23)) == []  # five working days ahead
    assert _gap_items(services, date(2026, 11, 26)) == [("gap_due", "yellow", due)]  # Thu: 2 working days
    assert _gap_items(services, date(2026, 11, 30)) == [("gap_due", "yellow", due)]  # the day itself
    assert _gap_items(services, date(2026, 12, 1)) == [("gap_overdue", "red", due)]
    item = next(i for i in services.worklist(day=date(2026, 12, 1)) if i.kind == "gap_overdue")
    assert item.case_no == r.case_no and "劳动合同" in item.detail and item.label == "容缺材料逾期未补交"
    services.supply_gap(case_no=r.case_no, material="M3", clerk=clerk)
    assert _gap_items(services, date(2026, 12, 1)) == []


def test_the_reminder_prints_only_for_an_overdue_gap_each_time_a_new_notice(services, clerk, clock):
    r = _gap_case(services, clerk)
    with pytest.raises(BadInput) as e:
        services.print_gap_reminder(case_no=r.case_no, clerk=clerk)
    assert e.value.code == "E_NO_OVERDUE_GAP"
    clock.now = datetime(2026, 12, 1, 9, 0)
    doc = services.print_gap_reminder(case_no=r.case_no, clerk=clerk)
    text = _text(doc.path)
    for needle in ("容缺候补通知书", "劳动合同", "与用人单位签订且在有效期内", "2026年11月30日", "至2026年12月01日",
                   "仍未收到（共1项）", "容缺受理承诺书", "终止办理", "申请人（签收）"):
        assert needle in text, needle
    clock.now = datetime(2026, 12, 4, 9, 0)
    again = services.print_gap_reminder(case_no=r.case_no, clerk=clerk)
    assert again.reprint == 0 and "至2026年12月04日" in _text(again.path)  # a new notice, not 补打
    assert services.verify_documents(case_no=r.case_no) == []
    services.supply_gap(case_no=r.case_no, material="M3", clerk=clerk)
    assert services.verify_documents(case_no=r.case_no) == []  # the reminders: from the version they came from
    with pytest.raises(BadInput):
        services.print_gap_reminder(case_no=r.case_no, clerk=clerk)


def _cli(home, *args):
    return main(["--home", str(home), *args])


def test_the_command_line_supply_gap_notice_and_worklist(services, clerk, home, monkeypatch, capsys, tmp_path):
    r = _gap_case(services, clerk)
    plain = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.close()
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")
    assert _cli(home, "gap-notice", plain.case_no, "--clerk", "demo") == 2
    assert "E_NO_OVERDUE_GAP" in capsys.readouterr().err
    # the command line reads the real clock, which is past the promised 2026-11-30
    assert _cli(home, "gap-notice", r.case_no, "--clerk", "demo") == 0
    assert "容缺候补通知书" in _text(json.loads(capsys.readouterr().out)["path"])
    assert _cli(home, "worklist", "--date", "2026-12-01", "--clerk", "demo") == 0
    items = json.loads(capsys.readouterr().out)
    assert {"case_no": r.case_no, "kind": "gap_overdue", "label": "容缺材料逾期未补交", "due": "2026-11-30",
            "colour": "red", "detail": "劳动合同（M3）", "window_no": "01"} in items
    assert _cli(home, "supply", r.case_no, "M2", "--clerk", "demo") == 2
    assert "E_NOT_GAP" in capsys.readouterr().err
    assert _cli(home, "supply", r.case_no, "M3", "--clerk", "demo", "--paper", "roll80", "--out", str(tmp_path)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["case_no"] == r.case_no and out["open_gaps"] == [] and out["documents"][0].startswith(str(tmp_path))
    assert "容缺材料补交回执" in _text(out["documents"][0])
    monkeypatch.delenv("YICHUANG_PASSWORD")
    assert _cli(home, "supply", r.case_no, "M3") == 2  # no clerk: nobody acts
