"""Issue 15 against the real centre: a batch made on the command line while the window is offline reaches the
department's inbox after sync, and the department's 签收 shows on the window's `transfer --list`."""

from __future__ import annotations

import json

import pytest

from db.central import OfficeClient, add_department, upsert_user
from desktop.core.auth import hash_password
from tests.support.central_ops import publish_store_catalogues
from tests.support.factories import residence_permit_intake

DEPARTMENT = "上海市公安局人口管理办公室"


@pytest.fixture
def yc(home, monkeypatch, capsys):
    from desktop.cli import main

    def run(*args, password="demo1234"):
        monkeypatch.setenv("YICHUANG_PASSWORD", password)
        code = main(["--home", str(home), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_an_offline_batch_reaches_the_department_and_its_signing_comes_back(
        pg, services, clerk, yc, window, central_url, central_ca):
    cases = [services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no for _ in range(2)]

    # offline: no centre configured yet; the batch is made, its manifest printed, and queued
    code, out, err = yc("transfer", "--department", DEPARTMENT, "--clerk", "demo")
    assert code == 0, err
    batch = json.loads(out)
    assert batch["department"] == DEPARTMENT and sorted(batch["cases"]) == sorted(cases)
    assert batch["documents"] and all(p.endswith(".pdf") for p in batch["documents"])
    code, out, _ = yc("transfer", "--list")
    assert code == 0 and [(b["batch_no"], b["state"]) for b in json.loads(out)] == [(batch["batch_no"], "queued")]

    # the link comes back: the batch reaches the department's inbox
    url = window("310104", "01", centre_name="徐汇区行政服务中心", catalogue=None)
    publish_store_catalogues(central_url, services)
    services.set_central(url=url)
    assert services.sync_round().rejected == 0
    code, out, _ = yc("transfer", "--list")
    assert [b["state"] for b in json.loads(out)] == ["sent"]

    office_url = add_department(central_url, "310104", DEPARTMENT)
    upsert_user(central_url, {"login": "li.shen", "name": "李审", "staff_no": "B001", "role": "backoffice",
                              "password_hash": hash_password("office1234"), "active": True,
                              "centre_code": "310104", "department": DEPARTMENT})
    office = OfficeClient(office_url + "&" + pg.tls_query.lstrip("?").replace("sslmode=verify-full&", ""),
                          ca_cert=central_ca)
    inbox = office.inbox("li.shen")
    assert [(b["batch_no"], sorted(c["case_no"] for c in b["cases"])) for b in inbox] == [
        (batch["batch_no"], sorted(cases))]
    office.sign("li.shen", batch["batch_no"])

    # the department's 签收 comes back to the window's list
    services.sync_round()
    code, out, _ = yc("transfer", "--list")
    listed = json.loads(out)
    assert [(b["batch_no"], b["state"]) for b in listed] == [(batch["batch_no"], "signed")]
    # and a signed case cannot go into a second batch
    code, out, err = yc("transfer", "--department", DEPARTMENT, cases[0], "--clerk", "demo")
    assert code == 2 and out == "" and cases[0] in err
