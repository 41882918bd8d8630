"""Attacks on a window's own disk, through the command line: a clerk who edits the SQLite file (deletes a
case and its queued ops, rewrites a pending payload with a fresh SHA-256, wipes the audit table, reorders
ops) is caught by `yichuang audit verify`; the window identity takes ASCII digits only and changes only
with --reassign, audited; a replacement computer restores from the centre only over a pinned CA."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest

from db.central.wire import canonical_json, sha256_hex
from desktop.cli import main
from desktop.core import chain
from tests.support.factories import DATA, residence_permit_intake
from tests.support.rawdb import connect_store


def run(capsys, *args: str) -> tuple[int, object, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def _json_main(*args: str) -> tuple[int, object]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(list(args))
    return code, json.loads(buffer.getvalue())


@pytest.fixture(scope="module")
def chained_template(tmp_path_factory) -> Path:
    """A window made by the command line with four cases taken, each with its queued ops."""
    h = tmp_path_factory.mktemp("chain") / "w"
    assert _json_main("--home", str(h), "init", "--centre", "310104", "--window", "03", "--demo")[0] == 0
    with pytest.MonkeyPatch.context() as mp:  # the demo admin imports, the demo clerk takes the cases
        mp.setenv("YICHUANG_PASSWORD", "admin1234")
        assert _json_main("--home", str(h), "catalogue", "import", str(DATA / "catalogue_test.json"),
                          "--clerk", "admin")[0] == 0
        intake = h.parent / "intake.json"
        intake.write_text(json.dumps([residence_permit_intake() for _ in range(4)], ensure_ascii=False),
                          encoding="utf-8")
        mp.setenv("YICHUANG_PASSWORD", "demo1234")
        code, out = _json_main("--home", str(h), "intake", str(intake), "--clerk", "demo")
    assert code == 0 and len(out) == 4
    return h


@pytest.fixture
def home(tmp_path, chained_template) -> Path:
    return Path(shutil.copytree(chained_template, tmp_path / "w"))


def _sql(home: Path, *statements: str, params=()) -> list:
    con = connect_store(home)  # the clerk's own tool: no program, no key
    try:
        rows = []
        for st in statements:
            rows = con.execute(st, params).fetchall() if params else con.execute(st).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def _case_nos(home: Path) -> list[str]:
    return [r[0] for r in _sql(home, "SELECT case_no FROM cases ORDER BY case_no")]


def _erase_case(home: Path, case_no: str) -> None:
    for table in ("case_materials", "case_events", "documents", "documents_owed", "outbox"):
        column = "ref" if table == "outbox" else "case_no"
        _sql(home, f"DELETE FROM {table} WHERE {column} = ?", params=(case_no,))
    _sql(home, "DELETE FROM cases WHERE case_no = ?", params=(case_no,))


def test_an_untouched_store_verifies(home, capsys):
    code, out, err = run(capsys, "--home", str(home), "audit", "verify")
    assert code == 0, err
    assert out["ok"] is True and out["outbox"] >= 8 and out["audit"] >= 1 and out["broken"] == []


def test_erasing_a_case_and_its_queued_ops_is_named(home, capsys):
    second = _case_nos(home)[1]
    first_after = _sql(home, "SELECT min(seq) FROM outbox WHERE ref <> ? AND seq > (SELECT min(seq) "
                             "FROM outbox WHERE ref = ?)", params=(second, second))[0][0]
    _erase_case(home, second)
    code, out, err = run(capsys, "--home", str(home), "audit", "verify")
    assert code == 1
    assert out["broken"][0]["chain"] == "outbox"
    assert f"上传队列第 {first_after} 行" in err and "被删除" in err


def test_cutting_the_last_queued_ops_is_caught_by_the_head_kept_in_the_keyring(home, capsys):
    """No record follows the deleted ones, so no link breaks: the head the store had when it was last
    closed (kept in the keyring) names what is missing."""
    last, ref = _sql(home, "SELECT chain_seq, ref FROM outbox ORDER BY seq DESC LIMIT 1")[0]
    _sql(home, "DELETE FROM outbox WHERE seq >= (SELECT max(seq) FROM outbox WHERE ref <> ?)+1",
         params=(ref,))
    kept = _sql(home, "SELECT max(chain_seq) FROM outbox")[0][0]
    assert kept < last
    code, out, err = run(capsys, "--home", str(home), "audit", "verify")
    assert code == 1 and out["broken"][0]["chain"] == "outbox"
    assert f"链序号 {kept + 1} 至 {last}" in err and "记录缺失" in err


def test_cutting_the_first_ops_and_moving_the_chain_start_is_named(home, capsys):
    seq, mac = _sql(home, "SELECT chain_seq, chain_mac FROM outbox ORDER BY seq LIMIT 1 OFFSET 1")[0]
    _sql(home, "DELETE FROM outbox WHERE chain_seq <= ?", params=(seq,))
    _sql(home, "INSERT INTO settings (key, value) VALUES ('chain_base', ?)", params=(f"{seq}:{mac}",))
    code, out, err = run(capsys, "--home", str(home), "audit", "verify")
    assert code == 1 and "上传队列起点" in err


def test_rewriting_a_pending_payload_with_its_sha256_is_named(home, capsys):
    seq, payload = _sql(home, "SELECT seq, payload FROM outbox WHERE kind = 'case.upsert' "
                              "AND state = 'pending' ORDER BY seq LIMIT 1")[0]
    forged = json.loads(payload)
    forged["applicant_name"] = "李四"
    text = canonical_json(forged)
    _sql(home, "UPDATE outbox SET payload = ?, sha256 = ? WHERE seq = ?", params=(text, sha256_hex(text), seq))
    code, out, err = run(capsys, "--home", str(home), "audit", "verify")
    assert code == 1
    assert f"上传队列第 {seq} 行" in err and "签名不符" in err


def test_wiping_the_audit_table_is_named(home, capsys):
    _sql(home, "DELETE FROM audit")
    code, out, err = run(capsys, "--home", str(home), "audit", "verify")
    assert code == 1
    assert [b["chain"] for b in out["broken"]] == ["audit"]
    assert "审计记录" in err and "记录缺失" in err


def test_editing_an_audit_record_is_named(home, capsys):
    row_id = _sql(home, "SELECT min(id) FROM audit")[0][0]
    _sql(home, "UPDATE audit SET actor = 'nobody' WHERE id = ?", params=(row_id,))
    code, out, err = run(capsys, "--home", str(home), "audit", "verify")
    assert code == 1 and f"审计记录第 {row_id} 行" in err and "签名不符" in err


def test_reordering_ops_is_named(home, capsys):
    a, b = (r[0] for r in _sql(home, "SELECT seq FROM outbox ORDER BY seq LIMIT 2 OFFSET 2"))
    _sql(home, "UPDATE outbox SET seq = -1 WHERE seq = ?", params=(a,))
    _sql(home, "UPDATE outbox SET seq = ? WHERE seq = ?", params=(a, b))
    _sql(home, "UPDATE outbox SET seq = ? WHERE seq = -1", params=(b,))
    code, out, err = run(capsys, "--home", str(home), "audit", "verify")
    assert code == 1 and f"上传队列第 {a} 行" in err


def test_the_chain_key_is_nowhere_in_the_store_files(home):
    key = chain.load_key(home, "310104", "03")
    assert key is not None
    for p in home.rglob("*"):
        if p.is_file() and p.parent.name != "secrets":  # the file keyring stands in for the OS keyring
            data = p.read_bytes()
            assert key not in data and key.hex().encode() not in data, p


@pytest.mark.parametrize("centre, window", [("310104", "０１"), ("３１０１０４", "01"), ("310104", "٠١"),
                                            ("310104", "²³")])
def test_init_with_non_ascii_digits_is_refused_and_writes_nothing(tmp_path, capsys, centre, window):
    h = tmp_path / "w"
    code, out, err = run(capsys, "--home", str(h), "init", "--centre", centre, "--window", window)
    assert code == 2 and out is None and "半角数字" in err
    assert not h.exists()


def test_init_with_another_identity_is_refused_unless_reassigned_and_audited(home, capsys):
    before = _sql(home, "SELECT key, value FROM settings ORDER BY key")
    code, out, err = run(capsys, "--home", str(home), "init", "--centre", "310105", "--window", "03")
    assert code == 2 and "--reassign" in err
    assert _sql(home, "SELECT key, value FROM settings ORDER BY key") == before
    code, out, err = run(capsys, "--home", str(home), "init", "--centre", "310104", "--window", "07",
                         "--reassign")
    assert code == 2 and "未上传" in err  # the old window's ops are not sent yet
    _sql(home, "UPDATE outbox SET state = 'applied'")  # as if the sync had sent them
    code, out, err = run(capsys, "--home", str(home), "init", "--centre", "310104", "--window", "07",
                         "--reassign")
    assert code == 0, err
    assert dict(_sql(home, "SELECT key, value FROM settings WHERE key IN ('centre_code', 'window_no')")) == {
        "centre_code": "310104", "window_no": "07"}
    audit = _sql(home, "SELECT actor, action, detail FROM audit WHERE action = 'window.reassigned'")
    assert len(audit) == 1 and "03" in audit[0][2] and "07" in audit[0][2]
    queued = _sql(home, "SELECT payload FROM outbox WHERE kind = 'audit.recorded' AND state = 'pending'")
    assert any(json.loads(p)["action"] == "window.reassigned" for (p,) in queued)
    code, out, err = run(capsys, "--home", str(home), "audit", "verify")
    assert code == 0, err


def test_init_again_with_the_same_identity_is_still_fine(home, capsys):
    code, out, err = run(capsys, "--home", str(home), "init", "--centre", "310104", "--window", "03")
    assert code == 0, err
    assert run(capsys, "--home", str(home), "audit", "verify")[0] == 0


def test_restore_needs_the_ca_and_writes_nothing_without_it(tmp_path, capsys):
    h = tmp_path / "w"
    code, out, err = run(capsys, "--home", str(h), "init", "--centre", "310104", "--window", "01",
                         "--restore-from-central", "postgresql://yc_w_310104_01:pw@127.0.0.1:1/yc")
    assert code == 2 and "--ca-cert" in err and not h.exists()


def test_restore_from_an_unreachable_centre_writes_nothing(tmp_path, capsys):
    h = tmp_path / "w"
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", encoding="ascii")
    code, out, err = run(capsys, "--home", str(h), "init", "--centre", "310104", "--window", "01",
                         "--restore-from-central", "postgresql://yc_w_310104_01:pw@127.0.0.1:1/yc",
                         "--ca-cert", str(ca))
    assert code == 1 and "未做任何修改" in err and not h.exists()


def test_restore_into_an_existing_store_is_refused(home, tmp_path, capsys):
    ca = tmp_path / "ca.pem"
    ca.write_text("x", encoding="ascii")
    code, out, err = run(capsys, "--home", str(home), "init", "--centre", "310104", "--window", "03",
                         "--restore-from-central", "postgresql://u:p@127.0.0.1:1/yc", "--ca-cert", str(ca))
    assert code == 2 and "空的数据目录" in err
