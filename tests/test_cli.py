"""The command line: JSON on stdout, exit 0 / 2 (bad input, nothing stored) / 1 (other failure)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core import config
from tests.support.factories import DATA, residence_permit_intake, resident_id
from tests.support.rawdb import connect_store


def run(capsys, *args: str) -> tuple[int, object, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


PASSWORDS = {"demo": "demo1234", "super": "super1234", "admin": "admin1234"}  # the demo users


@pytest.fixture
def as_user(monkeypatch):
    """`as_user("super")`: the arguments and the password (YICHUANG_PASSWORD) of a demo user for one command."""
    def use(login: str) -> tuple[str, str]:
        monkeypatch.setenv("YICHUANG_PASSWORD", PASSWORDS[login])
        return "--clerk", login
    return use


def _json_main(*args: str, password: str | None = None) -> tuple[int, object]:
    """main() with its stdout captured (module-scoped fixtures cannot use capsys)."""
    buffer = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(buffer):
        if password is not None:
            mp.setenv("YICHUANG_PASSWORD", password)
        code = main(list(args))
    return code, json.loads(buffer.getvalue())


@pytest.fixture(scope="module")
def cli_template(tmp_path_factory) -> Path:
    """A window made by the command line once per module: init --demo, then the test catalogue."""
    h = tmp_path_factory.mktemp("cli") / "w"
    code, out = _json_main("--home", str(h), "init", "--centre", "310104", "--window", "02", "--demo")
    assert code == 0 and out["created"] is True
    code, out = _json_main("--home", str(h), "catalogue", "import", str(DATA / "catalogue_test.json"),
                           "--clerk", "admin", password=PASSWORDS["admin"])
    assert code == 0 and out == {"version": "test-1", "matters": 3}
    return h


@pytest.fixture
def cli_home(tmp_path, cli_template):
    """This test's own copy of the module's command-line window."""
    return Path(shutil.copytree(cli_template, tmp_path / "w"))


def _cases(home: Path) -> int:
    con = connect_store(home)
    try:
        return con.execute("select count(*) from cases").fetchone()[0]
    finally:
        con.close()


def test_demo_init_loads_the_demo_catalogue(tmp_path, capsys):
    h = tmp_path / "demo"
    assert run(capsys, "--home", str(h), "init", "--centre", "310104", "--window", "01", "--demo")[0] == 0
    con = connect_store(h)
    count = con.execute("select matter_count from catalogue_versions where is_current").fetchone()[0]
    assert count >= 30
    # a second init is an upgrade, not a second catalogue
    assert run(capsys, "--home", str(h), "init", "--centre", "310104", "--window", "01", "--demo")[0] == 0
    assert con.execute("select count(*) from catalogue_versions").fetchone()[0] == 1


def test_intake_prints_case_outcome_documents_and_date(cli_home, tmp_path, capsys, as_user):
    f = tmp_path / "intake.json"
    f.write_text(json.dumps(residence_permit_intake(), ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "--home", str(cli_home), "intake", str(f), "--out", str(tmp_path / "pdf"),
                         *as_user("demo"))
    assert code == 0, err
    assert set(out) >= {"case_no", "outcome", "documents", "promised_date"}
    assert out["outcome"] == "accepted"
    assert all(Path(p).exists() and Path(p).parent == tmp_path / "pdf" for p in out["documents"])


def test_batch_intake_is_all_or_nothing(cli_home, tmp_path, capsys, as_user):
    bad = residence_permit_intake()
    bad["applicant"]["id_no"] = resident_id("31010419900101123")[:-1] + "Z"
    f = tmp_path / "batch.json"
    f.write_text(json.dumps([residence_permit_intake(), bad], ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "--home", str(cli_home), "intake", str(f), *as_user("demo"))
    assert code == 2 and out is None
    assert "第 2 件" in err
    assert _cases(cli_home) == 0
    f.write_text(json.dumps([residence_permit_intake()] * 3, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "--home", str(cli_home), "intake", str(f), *as_user("demo"))
    assert code == 0 and len(out) == 3 and _cases(cli_home) == 3


@pytest.mark.parametrize("content", ["{not json", "", "[]", '{"matter": "T-PER-001"}'])
def test_bad_intake_files_exit_2_with_a_chinese_message(cli_home, tmp_path, capsys, content, as_user):
    f = tmp_path / "bad.json"
    f.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "--home", str(cli_home), "intake", str(f), *as_user("demo"))
    assert code == 2 and out is None
    assert err.startswith("错误 ")
    assert _cases(cli_home) == 0


def test_corrupt_catalogue_changes_nothing(cli_home, tmp_path, capsys, as_user):
    con = connect_store(cli_home)
    versions_before = con.execute("select count(*) from catalogue_versions").fetchone()[0]
    text = (DATA / "catalogue_test.json").read_text(encoding="utf-8")
    f = tmp_path / "cat.json"
    f.write_text(text[: len(text) // 2], encoding="utf-8")
    code, out, err = run(capsys, "--home", str(cli_home), "catalogue", "import", str(f), *as_user("admin"))
    assert code == 2 and "错误" in err
    cat = json.loads(text)
    cat["version"] = "test-9"
    cat["matters"][1]["promised_days"] = 99
    f.write_text(json.dumps(cat, ensure_ascii=False), encoding="utf-8")
    code, out, err = run(capsys, "--home", str(cli_home), "catalogue", "import", str(f), *as_user("admin"))
    assert code == 2 and "T-ENT-001" in err
    assert con.execute("select version from catalogue_versions where is_current").fetchone() == ("test-1",)
    assert con.execute("select count(*) from catalogue_versions").fetchone()[0] == versions_before


def test_calendar_add_workdays(cli_home, capsys):
    code, out, _ = run(capsys, "--home", str(cli_home), "calendar", "add-workdays", "2026-02-12", "5")
    assert code == 0 and out["due"] == "2026-02-26"
    code, out, err = run(capsys, "--home", str(cli_home), "calendar", "add-workdays", "2027-06-01", "5")
    assert code == 2 and "2027" in err


def test_report_daily_writes_a_pdf(cli_home, tmp_path, capsys, as_user):
    code, out, err = run(capsys, "--home", str(cli_home), "report", "daily", "--date", "2026-11-23",
                         "--out", str(tmp_path / "r.pdf"), *as_user("demo"))
    assert code == 2 and "无权" in err and not (tmp_path / "r.pdf").exists()  # demo is a clerk
    code, out, _ = run(capsys, "--home", str(cli_home), "report", "daily", "--date", "2026-11-23",
                       "--out", str(tmp_path / "r.pdf"), *as_user("super"))
    assert code == 0 and (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert out["total"] == 0


def test_sync_to_an_unreachable_centre_exits_1(cli_home, capsys, tmp_path):
    from tests.support.tls import TestCA

    password = "pw-5e0f9c2a71d4"  # distinctive: three bytes like ":x@" turn up by chance in an encrypted file
    url = f"postgresql://yc_w_310104_02:{password}@127.0.0.1:9/central?connect_timeout=2"
    code, out, err = run(capsys, "--home", str(cli_home), "sync", "--central", url)
    assert code == 2 and out is None and "--ca-cert" in err  # no CA to pin: not even tried
    ca = TestCA().write(tmp_path / "ca.pem")
    code, out, err = run(capsys, "--home", str(cli_home), "sync", "--central", url, "--ca-cert", str(ca))
    assert code == 1 and out is None and "中心数据库" in err
    code, out, _ = run(capsys, "--home", str(cli_home), "status")
    assert out["online"] is None and "中心数据库" in out["last_error"]  # tried, failed, and not stored
    # no password in the store: neither in what it holds (decrypted) nor in its files as they lie on disk
    con = connect_store(cli_home)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        held = "\n".join(repr(row) for t in tables for row in con.execute(f'SELECT * FROM "{t}"'))
    finally:
        con.close()
    assert "sync_last_error" in held  # the settings were read: the failure is recorded there
    assert "yc_w_310104_02" not in held and password not in held
    for path in config.db_path(cli_home).parent.glob(config.db_path(cli_home).name + "*"):
        assert password.encode() not in path.read_bytes(), path
    assert not (cli_home / "central-ca.pem").exists()


def test_uninitialised_home_is_bad_input(tmp_path, capsys):
    code, _, err = run(capsys, "--home", str(tmp_path / "nothing"), "status")
    assert code == 2 and "init" in err


def test_console_script_runs_as_a_module(cli_home, tmp_path):
    env = dict(os.environ)
    proc = subprocess.run([sys.executable, "-m", "desktop", "--home", str(cli_home), "status"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["window_no"] == "02"


def test_a_corrupt_store_gets_a_clear_message_and_is_left_alone(tmp_path, capsys):
    home = tmp_path / "broken"
    home.mkdir()
    (home / "yichuang.db").write_bytes(b"not a database at all" * 100)
    code, out, err = run(capsys, "--home", str(home), "status")
    assert code == 1 and out is None
    assert "已损坏" in err and "E_STORE_CORRUPT" in err
    assert (home / "yichuang.db").read_bytes() == b"not a database at all" * 100


def test_status_prints_the_catalogue_version_and_the_clock_skew(cli_home, capsys):
    """Issue 8 item 11 / issue 18: while the last known skew exceeds 5 minutes, status says so."""
    from desktop.core.services import Services

    code, out, _ = run(capsys, "--home", str(cli_home), "status")
    assert code == 0 and out["catalogue_version"] == "test-1"
    assert (out["clock_skew_s"], out["clock_skew_warning"]) == (0, False)
    svc = Services(cli_home)
    try:
        svc.set_setting("sync_clock_skew", "-420")  # what the last handshake measured: 7 minutes slow
    finally:
        svc.close()
    code, out, _ = run(capsys, "--home", str(cli_home), "status")
    assert (out["clock_skew_s"], out["clock_skew_warning"]) == (-420, True)
