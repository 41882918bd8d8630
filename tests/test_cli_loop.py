"""The loop's window steps on the command line (issues 9 and 15): supplement, handover, lookup, correct,
withdraw, void and transfer, against a real store made by the command line. Every refusal exits 2 with a
Chinese message naming the case, and leaves the store as it was."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core import caseno
from tests.support.factories import DATA, enterprise, person, residence_permit_intake, resident_id
from tests.support.rawdb import connect_store

PASSWORDS = {"demo": "demo1234", "super": "super1234", "admin": "admin1234"}  # the demo users
POLICE = "上海市公安局人口管理办公室"  # T-PER-001's department in the test catalogue
MARKET = "区市场监督管理局"  # T-ENT-001's


def run(capsys, *args: str) -> tuple[int, object, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def _json_main(*args: str, password: str | None = None) -> tuple[int, object]:
    buffer = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(buffer):
        if password is not None:
            mp.setenv("YICHUANG_PASSWORD", password)
        code = main(list(args))
    return code, json.loads(buffer.getvalue())


@pytest.fixture(scope="module")
def cli_template(tmp_path_factory) -> Path:
    """A window made by the command line once per module: init --demo, then the test catalogue."""
    h = tmp_path_factory.mktemp("cli-loop") / "w"
    assert _json_main("--home", str(h), "init", "--centre", "310104", "--window", "02", "--demo")[0] == 0
    code, out = _json_main("--home", str(h), "catalogue", "import", str(DATA / "catalogue_test.json"),
                           "--clerk", "admin", password=PASSWORDS["admin"])
    assert code == 0 and out["matters"] == 3
    return h


@pytest.fixture
def home(tmp_path, cli_template) -> Path:
    return Path(shutil.copytree(cli_template, tmp_path / "w"))


@pytest.fixture
def yc(home, capsys, monkeypatch, tmp_path):
    """`yc("intake", file, user="demo")`: one command on this test's window as `user` (None: no login)."""
    def call(*args: str, user: str | None = "demo") -> tuple[int, object, str]:
        extra: tuple[str, ...] = ()
        if user is not None:
            monkeypatch.setenv("YICHUANG_PASSWORD", PASSWORDS[user])
            extra = ("--clerk", user)
        return run(capsys, "--home", str(home), *args, *extra)
    return call


@pytest.fixture
def write(tmp_path):
    counter = iter(range(10_000))

    def w(obj, raw: str | None = None) -> str:
        f = tmp_path / f"in-{next(counter)}.json"
        f.write_text(raw if raw is not None else json.dumps(obj, ensure_ascii=False), encoding="utf-8")
        return str(f)
    return w


def _sql(home: Path, query: str, *params):
    con = connect_store(home)
    try:
        rows = con.execute(query, params).fetchall()
        con.commit()
    finally:
        con.close()
    return rows


def _snapshot(home: Path) -> tuple:
    """What a refusal must leave unchanged."""
    return tuple(_sql(home, f"select count(*) from {t}")[0][0] for t in (
        "cases", "case_events", "outbox", "documents", "transfer_batches", "transfer_items")) + tuple(
        _sql(home, "select case_no, status, version, applicant_json from cases order by case_no"))


def _intake(yc, write, obj=None) -> str:
    code, out, err = yc("intake", write(obj or residence_permit_intake()))
    assert code == 0, err
    return out["case_no"]


def _on_the_spot(yc, write) -> str:
    return _intake(yc, write, {"matter": "T-PER-002", "applicant": person(), "materials": {"L1": "paper"}})


def _refused(result, *words: str) -> None:
    code, out, err = result
    assert code == 2 and out is None, (code, out, err)
    for w in words:
        assert w in err, (w, err)


# ---------------------------------------------------------------- supplement


def test_supplement_prints_the_same_json_as_intake(yc, write, tmp_path):
    code, first, _ = yc("intake", write(residence_permit_intake(M2="missing")))
    assert code == 0 and first["outcome"] == "notice"
    code, out, err = yc("supplement", first["case_no"], write({"materials": {"M2": "paper"}}),
                        "--out", str(tmp_path / "pdf"))
    assert code == 0, err
    assert set(out) == set(first) and out["case_no"] == first["case_no"] and out["outcome"] == "accepted"
    assert out["documents"] and all(Path(p).parent == tmp_path / "pdf" for p in out["documents"])


def test_supplement_refuses_a_bad_file_and_stores_nothing(yc, write, home):
    case_no = _intake(yc, write, residence_permit_intake(M2="missing"))
    before = _snapshot(home)
    deep = "[" * 100 + "]" * 100
    for path, word in [
        (write({"materials": {"M2": "paper"}, "note": "x"}), "note"),
        (write({"materials": {"ZZ": "paper"}}), "ZZ"),
        (write({"materials": {"M2": "brought"}}), "brought"),
        (write({"materials": {}}), "materials"),
        (write([1]), "JSON 对象"),
        (write(None, raw=deep), ""),
        (write(None, raw="{not json"), ""),
    ]:
        _refused(yc("supplement", case_no, path), word)
    _refused(yc("supplement", caseno.make_case_no("310104", "02", _today(home), 999),
                write({"materials": {"M2": "paper"}})), "本窗口没有办件")
    _refused(yc("supplement", case_no, write({"materials": {"M2": "paper"}}), user=None), "--clerk")
    assert _snapshot(home) == before


def _today(home):
    from datetime import date
    return date.fromisoformat(_sql(home, "select received_day from cases limit 1")[0][0][:10])


# ---------------------------------------------------------------- handover


def test_handover_by_the_window_prints_the_receipt(yc, write):
    case_no = _on_the_spot(yc, write)
    code, out, err = yc("handover", case_no, "--receiver-name", "王小明")
    assert code == 0, err
    assert out["case_no"] == case_no and out["status"] == "delivered"
    assert len(out["documents"]) == 1 and Path(out["documents"][0]).exists()
    assert "delivery_receipt" in out["documents"][0]


def test_handover_refusals(yc, write, home):
    accepted = _intake(yc, write)
    on_spot = _on_the_spot(yc, write)
    before = _snapshot(home)
    _refused(yc("handover", on_spot, "--receiver-name", "王小明", "--by", "express"), "快递单号")
    _refused(yc("handover", accepted, "--receiver-name", "王小明"), accepted, "尚无办理结果")
    _refused(yc("handover", on_spot, "--receiver-name", " "), "领取人")
    assert _snapshot(home) == before
    _sql(home, "update cases set status = 'approved' where case_no = ?", accepted)  # the centre decided
    code, out, err = yc("handover", accepted, "--receiver-name", "王小明", "--by", "express",
                        "--tracking", "SF100200300")
    assert code == 0 and out["status"] == "delivered", err
    _refused(yc("handover", accepted, "--receiver-name", "王小明"), "已送达")


# ---------------------------------------------------------------- lookup


def test_lookup_by_each_selector(yc, write):
    case_no = _intake(yc, write)
    id_no = person()["id_no"]
    for args in (("--case", case_no), ("--id-no", id_no), ("--name", "王小明"), ("--phone", "13812345678")):
        code, out, err = yc("lookup", *args)
        assert code == 0, err
        assert [h["case_no"] for h in out] == [case_no]
        assert out[0]["applicant_id_no"] != id_no and out[0]["phone"] == "138****5678"
    assert yc("lookup", "--name", "无此人")[1] == []
    _refused(yc("lookup", "--name", "王小明", user=None), "--clerk")
    with pytest.raises(SystemExit) as e:  # two selectors: argparse's usage error
        main(["lookup", "--name", "王小明", "--phone", "13812345678"])
    assert e.value.code == 2


# ---------------------------------------------------------------- correct, withdraw, void


def test_correct_reprints_as_corrected(yc, write, home, tmp_path):
    case_no = _intake(yc, write)
    code, out, err = yc("correct", case_no, write({"applicant": person(name="王晓明")}), "--reason", "姓名笔误",
                        "--out", str(tmp_path / "fixed"))
    assert code == 0, err
    assert out["event"] == "corrected" and out["version"] == 2
    assert [d["kind"] for d in out["documents"]] == ["voucher", "acceptance_notice"]
    assert all(Path(d["path"]).parent == tmp_path / "fixed" for d in out["documents"])
    assert _sql(home, "select applicant_name from cases where case_no = ?", case_no)[0][0] == "王晓明"
    code, out, _ = yc("verify-documents", case_no, "--json", user=None)
    assert code == 0 and out["differences"] == []


def test_correct_refusals(yc, write, home):
    case_no = _intake(yc, write)
    before = _snapshot(home)
    good = resident_id("31010419900101123")
    bad = person(id_no=good[:-1] + ("0" if good[-1] != "0" else "1"))
    _refused(yc("correct", case_no, write({"applicant": bad}), "--reason", "r"), "校验")
    _refused(yc("correct", case_no, write({"applicant": person(), "matter": "T-ENT-001"}), "--reason", "r"),
             "matter")
    _refused(yc("correct", case_no, write({"applicant": enterprise()}), "--reason", "r"))  # not for this matter
    _refused(yc("correct", case_no, write({"applicant": person(name="王晓明")}), "--reason", ""), "原因")
    assert _snapshot(home) == before


def test_withdraw_then_everything_else_is_refused(yc, write, home):
    case_no = _intake(yc, write)
    code, out, err = yc("withdraw", case_no, "--reason", "申请人撤回")
    assert code == 0 and out["status"] == "withdrawn", err
    before = _snapshot(home)
    _refused(yc("withdraw", case_no, "--reason", "again"), case_no)
    _refused(yc("transfer", "--department", POLICE, case_no), case_no, "已撤回")
    _refused(yc("correct", case_no, write({"applicant": person(name="王晓明")}), "--reason", "r"), case_no)
    assert _snapshot(home) == before
    events = [r[0] for r in _sql(home, "select event from case_events where case_no = ? order by id", case_no)]
    assert events == ["accepted", "withdrawn"]


def test_withdraw_after_delivery_is_refused(yc, write, home):
    case_no = _on_the_spot(yc, write)
    assert yc("handover", case_no, "--receiver-name", "王小明")[0] == 0
    before = _snapshot(home)
    _refused(yc("withdraw", case_no, "--reason", "撤回"), case_no, "已送达")
    assert _snapshot(home) == before


def test_only_a_supervisor_voids(yc, write, home):
    case_no = _intake(yc, write)
    before = _snapshot(home)
    _refused(yc("void", case_no, "--reason", "录入错误"), "无权作废办件")
    _refused(yc("void", caseno.make_case_no("310104", "02", _today(home), 999), "--reason", "x", user="super"),
             "本窗口没有办件")
    assert _snapshot(home) == before
    code, out, err = yc("void", case_no, "--reason", "录入错误", user="super")
    assert code == 0 and out["status"] == "voided", err
    _refused(yc("transfer", "--department", POLICE, case_no), case_no, "已作废")


# ---------------------------------------------------------------- transfer (issue 15)


def test_transfer_without_case_numbers_takes_every_accepted_case_of_the_department(yc, write, home, tmp_path):
    a, b = _intake(yc, write), _intake(yc, write)
    notice = _intake(yc, write, residence_permit_intake(M2="missing"))
    other = _intake(yc, write, {"matter": "T-ENT-001", "applicant": enterprise(),
                                "materials": {"E1": "paper", "E2": "paper"}})
    code, out, err = yc("transfer", "--department", POLICE, "--out", str(tmp_path / "m"))
    assert code == 0, err
    assert set(out) == {"batch_no", "department", "cases", "documents"}
    assert out["department"] == POLICE and sorted(out["cases"]) == sorted([a, b])
    assert notice not in out["cases"] and other not in out["cases"]
    [manifest] = out["documents"]
    assert Path(manifest).exists() and Path(manifest).parent == tmp_path / "m"
    code, listed, err = yc("transfer", "--list", user=None)
    assert code == 0, err
    [batch] = listed
    assert batch["batch_no"] == out["batch_no"] and batch["state"] == "queued" and batch["batch_state"] == "sent"
    assert sorted(batch["cases"]) == sorted([a, b])
    # nothing left for that department now
    before = _snapshot(home)
    _refused(yc("transfer", "--department", POLICE), POLICE, "没有待流转")
    assert _snapshot(home) == before


def test_transfer_list_shows_signed_and_returned_with_the_reason(yc, write, home):
    first = yc("transfer", "--department", POLICE, _intake(yc, write))[1]["batch_no"]
    second = yc("transfer", "--department", POLICE, _intake(yc, write))[1]["batch_no"]
    # what the centre's transfers stream leaves on the window once the department acted and the ops landed
    _sql(home, "update outbox set state = 'applied' where kind = 'transfer.upsert'")
    _sql(home, "update transfer_batches set state = 'signed' where batch_no = ?", first)
    _sql(home, "update transfer_batches set state = 'returned', return_reason = '材料不清晰' where batch_no = ?",
         second)
    listed = {b["batch_no"]: b for b in yc("transfer", "--list", user=None)[1]}
    assert listed[first]["state"] == "signed"
    assert (listed[second]["state"], listed[second]["return_reason"]) == ("returned", "材料不清晰")


def test_every_transfer_refusal_names_the_case_and_writes_nothing(yc, write, home):
    accepted = _intake(yc, write)
    in_batch = _intake(yc, write)
    assert yc("transfer", "--department", POLICE, in_batch)[0] == 0
    notice = _intake(yc, write, residence_permit_intake(M2="missing"))
    refused = _intake(yc, write, {**residence_permit_intake(), "outcome": "refused",
                                  "refusal": {"refusal_category": "not_competent", "reason": "不属于本中心受理范围",
                                              "apply_instead": "户籍地派出所"}})
    on_spot = _on_the_spot(yc, write)
    market = _intake(yc, write, {"matter": "T-ENT-001", "applicant": enterprise(),
                                 "materials": {"E1": "paper", "E2": "paper"}})
    withdrawn = _intake(yc, write)
    assert yc("withdraw", withdrawn, "--reason", "撤回")[0] == 0
    voided = _intake(yc, write)
    assert yc("void", voided, "--reason", "作废", user="super")[0] == 0
    unknown = caseno.make_case_no("310104", "02", _today(home), 999)
    before = _snapshot(home)
    for case_no, words in [
        (notice, ("尚未受理",)), (refused, ("尚未受理",)), (on_spot, ("尚未受理",)),
        (in_batch, ("已在其他流转单中",)), (market, (MARKET,)), (withdrawn, ("已撤回",)),
        (voided, ("已作废",)), (unknown, ("本窗口没有办件",)),
    ]:
        # the good case first: the whole batch is refused, nothing is written
        _refused(yc("transfer", "--department", POLICE, accepted, case_no), case_no, *words)
    _refused(yc("transfer", "--department", POLICE, accepted, accepted), accepted, "重复")
    _refused(yc("transfer", "--department", POLICE, "not-a-case"), "not-a-case")
    _refused(yc("transfer", "--department", MARKET, accepted), accepted, POLICE)
    _refused(yc("transfer", accepted), "--department")
    _refused(yc("transfer", "--department", POLICE, accepted, user=None), "--clerk")
    _refused(yc("transfer", "--list", "--department", POLICE, user=None), "--list")
    assert _snapshot(home) == before
    # a returned batch gives its cases back: they may be transferred again
    _sql(home, "update transfer_batches set state = 'returned', return_reason = '退回' "
               "where batch_no in (select batch_no from transfer_items where case_no = ?)", in_batch)
    code, out, err = yc("transfer", "--department", POLICE, in_batch)
    assert code == 0 and out["cases"] == [in_batch], err
