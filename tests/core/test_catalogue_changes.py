"""Rules reach the counter: a new catalogue version shows each clerk what changed per matter until he
acknowledges it (services, CLI)."""

from __future__ import annotations

import copy
import json

from desktop.cli import main
from tests.support.factories import DATA


def new_version(data: dict) -> dict:
    d = copy.deepcopy(data)
    d["version"] = "test-2"
    m = d["matters"][0]
    m["promised_days"] = 5
    removed = m["materials"].pop()  # M4 no longer asked for
    m["materials"][1]["copies"] = 2
    m["materials"].append({**removed, "code": "M9", "name": "新增的证明材料"})
    d["matters"].pop()  # the last matter is withdrawn
    return d, removed["name"], m["materials"][1]["name"]


def test_a_clerk_sees_what_changed_until_he_acknowledges(services, clerk, supervisor, clock):
    first = services.catalogue_changes(clerk=clerk)  # the test store went from the demo catalogue to test-1
    services.acknowledge_catalogue(version=first.version, clerk=clerk)
    assert services.catalogue_changes(clerk=clerk) is None
    clock.advance(days=1)
    data = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    new, removed, copies_changed = new_version(data)
    admin = services.login(login="admin", password="admin1234")
    services.import_catalogue(json.dumps(new, ensure_ascii=False), actor=admin)
    changes = services.catalogue_changes(clerk=clerk)
    assert (changes.version, changes.previous) == ("test-2", "test-1")
    by = {m.code: m for m in changes.matters}
    first = by["T-PER-001"]
    assert first.kind == "changed"
    assert "新增材料：新增的证明材料" in first.details and f"取消材料：{removed}" in first.details
    assert any(d.startswith(f"材料变更：{copies_changed}") and "份数 1→2" in d for d in first.details)
    assert "承诺时限：7 个工作日→5 个工作日" in first.details
    gone = data["matters"][-1]["code"]
    assert by[gone].kind == "removed"
    assert all(m.code in ("T-PER-001", gone) for m in changes.matters)  # unchanged matters are not listed

    services.acknowledge_catalogue(version="test-2", clerk=clerk)
    assert services.catalogue_changes(clerk=clerk) is None
    assert services.catalogue_changes(clerk=supervisor) is not None  # each clerk acknowledges for himself


def test_cli_catalogue_changes_and_ack(services, home, capsys, monkeypatch):
    data = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    new, _, _ = new_version(data)
    admin = services.login(login="admin", password="admin1234")
    services.import_catalogue(json.dumps(new, ensure_ascii=False), actor=admin)
    services.close()
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")
    assert main(["--home", str(home), "catalogue", "changes", "--clerk", "demo"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["current"] == "test-2" and out["changes"]["matters"] and not out["acknowledged"]
    assert main(["--home", str(home), "catalogue", "changes", "--clerk", "demo", "--ack"]) == 0
    assert json.loads(capsys.readouterr().out)["acknowledged"]
    assert main(["--home", str(home), "catalogue", "changes", "--clerk", "demo"]) == 0
    assert json.loads(capsys.readouterr().out)["changes"] is None
