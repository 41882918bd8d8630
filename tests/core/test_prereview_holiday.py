"""网上预审 (import, find by number or ID, accept in one key keeping the online number), intake files that
name an unknown field, and 节假日办理 (a non-working-day intake is marked; the clock starts on the next
working day)."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.local.models import OutboxOp
from desktop.cli import main
from desktop.core.errors import BadInput
from tests.support.factories import residence_permit_intake

APP = "YW20261123000123"


def text_of(path) -> str:
    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(str(path)).pages)


def run(capsys, monkeypatch, *args, password="demo1234"):
    monkeypatch.setenv("YICHUANG_PASSWORD", password)
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def case_count(services) -> int:
    return len(services.lookup_cases(id_no=residence_permit_intake()["applicant"]["id_no"]))


def last_payload(services, kind: str) -> dict:
    with services.Reader() as s:
        return json.loads(s.scalar(select(OutboxOp.payload).where(OutboxOp.kind == kind)
                                   .order_by(OutboxOp.seq.desc()).limit(1)))


def test_an_intake_file_with_a_typo_is_refused_naming_the_field(services, home, tmp_path, capsys, monkeypatch):
    intake = residence_permit_intake()
    intake["materails"] = intake.pop("materials")
    f = tmp_path / "i.json"
    f.write_text(json.dumps(intake, ensure_ascii=False), encoding="utf-8")
    services.close()
    code, out, err = run(capsys, monkeypatch, "--home", home, "intake", f, "--clerk", "demo")
    assert code == 2 and out is None
    assert "E_FIELD_UNKNOWN" in err and "materails" in err
    from desktop.core.services import Services

    svc = Services(home)
    try:
        assert svc.documents_owed() == [] and case_count(svc) == 0  # no notice for everything
    finally:
        svc.close()


def _file(tmp_path, records) -> str:
    f = tmp_path / "pre.json"
    f.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return str(f)


@pytest.mark.parametrize("bad, field", [
    ({"app_no": APP, "intake": residence_permit_intake(), "aplicant": "x"}, "[1].aplicant"),
    ({"app_no": APP, "intake": {**residence_permit_intake(), "materails": {}}}, "[1].intake.materails"),
    ({"app_no": "x", "intake": residence_permit_intake()}, "[1].app_no"),
    ({"app_no": APP}, "[1].intake"),
])
def test_a_bad_prereview_file_is_refused_whole(services, clerk, bad, field):
    good = {"app_no": "YW20261123000001", "intake": residence_permit_intake()}
    with pytest.raises(BadInput) as e:
        services.import_prereviews(data=[good, bad], clerk=clerk)
    assert e.value.field == field
    assert services.find_prereviews(app_no="YW20261123000001") == []  # nothing half-stored


def test_prereview_import_find_and_accept_in_one_key(services, home, tmp_path, capsys, monkeypatch):
    intake = residence_permit_intake()
    record = {"app_no": APP.lower(), "submitted_at": "2026-11-22T20:15:00+08:00", "intake": intake}
    path = _file(tmp_path, [record])
    services.close()
    code, out, err = run(capsys, monkeypatch, "--home", home, "prereview", "import", path, "--clerk", "demo")
    assert code == 0, err and out == {"imported": [APP]}
    code, out, err = run(capsys, monkeypatch, "--home", home, "prereview", "import", path, "--clerk", "demo")
    assert code == 0, err  # the same file again: kept once
    id_no = intake["applicant"]["id_no"]
    code, found, err = run(capsys, monkeypatch, "--home", home, "prereview", "list", "--id-no", id_no)
    assert code == 0 and [f["app_no"] for f in found] == [APP]
    assert found[0]["applicant_id_no"] != id_no and found[0]["state"] == "待核验原件"  # masked

    out_dir = tmp_path / "docs"
    code, result, err = run(capsys, monkeypatch, "--home", home, "prereview", "accept", APP, "--clerk", "demo",
                            "--out", out_dir)
    assert code == 0, err and result["outcome"] == "accepted"
    voucher = next(p for p in result["documents"] if "voucher" in p)
    assert f"网上预审申请编号：{APP}" in text_of(voucher)
    code, _, err = run(capsys, monkeypatch, "--home", home, "prereview", "accept", APP, "--clerk", "demo")
    assert code == 2 and "E_PREREVIEW_TAKEN" in err and result["case_no"] in err  # never two cases

    from desktop.core.services import Services

    svc = Services(home)
    try:
        assert svc.case_record(case_no=result["case_no"]).online_app_no == APP
        assert last_payload(svc, "case.upsert")["online_app_no"] == APP
        assert svc.find_prereviews(app_no=APP)[0].case_no == result["case_no"]
        assert any(e == "prereview_taken" for _, _, e, _ in svc.case_history(case_no=result["case_no"]))
    finally:
        svc.close()
    changed = dict(record, intake={**intake, "note": "改过"})
    code, _, err = run(capsys, monkeypatch, "--home", home, "prereview", "import", _file(tmp_path, changed),
                       "--clerk", "demo")
    assert code == 2 and "E_PREREVIEW_DIFFERS" in err


def test_an_intake_on_a_saturday_is_marked_holiday_service(services, clerk, clock, tmp_path):
    clock.now = datetime(2026, 11, 28, 10, 0)  # a Saturday
    assert not services.calendar().is_workday(clock.now.date())
    result = services.accept_application(intake=residence_permit_intake(), clerk=clerk, out_dir=tmp_path)
    record = services.case_record(case_no=result.case_no)
    assert record.holiday
    history = services.case_history(case_no=result.case_no)
    assert any(e == "holiday_service" and "节假日办理" in d for _, _, e, d in history)
    voucher = next(d for d in result.documents if d.kind == "voucher")
    assert "节假日办理" in text_of(voucher.path)
    assert last_payload(services, "case.upsert")["holiday"] is True
    # the clock: the Saturday counts nothing, Monday 30th is the first working day
    days = record.matter.promised_days
    assert result.promised_date == services.add_workdays(start=date(2026, 11, 29), days=days)
    assert result.promised_date == services.add_workdays(start=date(2026, 11, 27), days=days)

    clock.now = datetime(2026, 11, 30, 10, 0)  # Monday: not marked
    monday = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert not services.case_record(case_no=monday.case_no).holiday
    assert "holiday" not in last_payload(services, "case.upsert")
    assert not any(e == "holiday_service" for _, _, e, _ in services.case_history(case_no=monday.case_no))
