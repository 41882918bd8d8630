"""What the centre publishes, through the CLI, reaches a window at its next sync; decisions come back."""

from __future__ import annotations

import json

import pytest

from desktop.cli import main
from tests.support.central_ops import mark_signed, publish_store_catalogues
from tests.support.factories import DATA, residence_permit_intake


def run(capsys, *args: str):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


@pytest.fixture
def linked(services, window, central_url):
    services.set_central(url=window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None))
    publish_store_catalogues(central_url, services)
    return central_url


def test_catalogue_calendar_user_and_decision_round_trip(services, clerk, linked, capsys, tmp_path):
    url = linked
    cat = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    cat["version"] = "central-2"
    cat["matters"][0]["name"] = "居住证办理（中心发布）"
    cat_file = tmp_path / "cat.json"
    cat_file.write_text(json.dumps(cat, ensure_ascii=False), encoding="utf-8")
    assert run(capsys, "central", "publish-catalogue", url, str(cat_file))[0] == 0
    cal_file = tmp_path / "cal.json"
    cal_file.write_text(json.dumps({"years": [2027], "days": [{"date": "2027-01-01", "kind": "holiday",
                                                              "name": "元旦"}]}, ensure_ascii=False))
    assert run(capsys, "central", "publish-calendar", url, str(cal_file))[0] == 0
    code, out, err = run(capsys, "central", "add-user", url, "c0303", "--password", "pass12345", "--name", "周丽",
                         "--staff-no", "C0303", "--centre", "310104")
    assert code == 0, err
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.sync_round()
    mark_signed(url, r.case_no)
    assert run(capsys, "central", "decide", url, r.case_no, "approved", "--note", "准予许可")[0] == 0
    services.sync_round()

    assert services.current_catalogue_version() == "central-2"
    assert services.matter(code="T-PER-001").name == "居住证办理（中心发布）"
    assert services.case_record(case_no=r.case_no).matter.name == "居住证办理"  # keeps its version
    assert 2027 in services.calendar().years
    assert services.login(login="c0303", password="pass12345").name == "周丽"
    assert services.case_record(case_no=r.case_no).status == "approved"


def test_a_bad_catalogue_is_refused_before_it_is_published(linked, capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "x", "matters": [{"code": "A"}]}', encoding="utf-8")
    code, out, err = run(capsys, "central", "publish-catalogue", linked, str(bad))
    assert code == 2 and out is None and "事项" in err
