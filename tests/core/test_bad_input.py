"""Bad input and faults (issue 8, items 12, 13, 15, 16): a clear Chinese message naming the field, exit 2,
nothing stored; --out checked before the transaction; documents owed when a print fails after the commit;
a full disk is 磁盘空间不足, never a corrupt store; output files never follow a planted link."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core import caseno, config
from desktop.core.clock import shanghai_now
from desktop.core.documents.archive import write_new
from desktop.core.errors import BadInput
from tests.support.factories import DATA, person, residence_permit_intake
from tests.support.rawdb import connect_store

CONTROLS = ["\x00", "\x1b", "\u202e", "\u202a", "\u2066", "\u2069", "\u200b", "\u200f", "\x7f", "\x85",
            "\u2060", "\u061c", "\u00ad", "\U000e0041"]


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv("YICHUANG_PASSWORD", "admin1234")  # the demo admin may do every command here


def run(capsys, home: Path, *args: str) -> tuple[int, object, str]:
    code = main(["--home", str(home), *args, "--clerk", "admin"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def _sql(home: Path, query: str) -> list[tuple]:
    con = connect_store(home)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def _state(home: Path) -> tuple:
    return (_sql(home, "select version, is_current from catalogue_versions order by version"),
            _sql(home, "select count(*) from calendar_days"), _sql(home, "select count(*) from cases"),
            _sql(home, "select count(*) from outbox"))


def _catalogue(**changes) -> dict:
    cat = json.loads((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    cat["version"] = "test-2"
    for key, value in changes.items():
        if key == "version":
            cat["version"] = value
        elif key in ("copies",):
            cat["matters"][0]["materials"][0][key] = value
        else:
            cat["matters"][0][key] = value
    return cat


def _write(tmp_path: Path, data, name: str = "in.json") -> Path:
    f = tmp_path / name
    f.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return f


# ---- 15: catalogue and calendar imports ---------------------------------------------------------------
@pytest.mark.parametrize("ch", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_catalogue_import_refuses_hidden_controls_in_a_name(home, tmp_path, capsys, ch):
    before = _state(home)
    code, out, err = run(capsys, home, "catalogue", "import", str(_write(tmp_path, _catalogue(name=f"居住证{ch}办理"))))
    assert code == 2 and out is None and "matters[0].name" in err and f"U+{ord(ch):04X}" in err
    assert _state(home) == before


@pytest.mark.parametrize(("change", "field"), [
    ({"name": "长" * 100_000}, "matters[0].name"),
    ({"version": "v" * 100_000}, "version"),
    ({"copies": 10**30}, "matters[0].materials[0].copies"),
    ({"statutory_days": 10**6}, "matters[0].statutory_days"),
])
def test_catalogue_import_refuses_absurd_sizes(home, tmp_path, capsys, change, field):
    before = _state(home)
    code, out, err = run(capsys, home, "catalogue", "import", str(_write(tmp_path, _catalogue(**change))))
    assert code == 2 and out is None and field in err and err.startswith("错误 ")
    assert _state(home) == before


@pytest.mark.parametrize("name", ["元旦\u202e", "元旦\x1b[31m", "元" * 100_000])
def test_calendar_import_refuses_controls_and_long_names(home, tmp_path, capsys, name):
    before = _state(home)
    cal = {"years": [2030], "days": [{"date": "2030-01-01", "kind": "holiday", "name": name}]}
    code, out, err = run(capsys, home, "calendar", "import", str(_write(tmp_path, cal)))
    assert code == 2 and out is None and "days[0].name" in err
    assert _state(home) == before


# ---- 15: what any input file may not be --------------------------------------------------------------
def _bom(tmp_path: Path) -> Path:
    f = tmp_path / "bom.json"
    f.write_bytes(b"\xef\xbb\xbf" + json.dumps(residence_permit_intake()).encode("utf-8"))
    return f


def _surrogate(tmp_path: Path) -> Path:
    intake = json.dumps(residence_permit_intake()).replace('"name": "', '"name": "\\ud800', 1)
    return _write(tmp_path, intake, "surrogate.json")


def _deep(tmp_path: Path) -> Path:
    return _write(tmp_path, "[" * 100_000 + "]" * 100_000, "deep.json")


@pytest.mark.parametrize(("make", "words"), [
    (_bom, "BOM"), (_surrogate, "applicant.name"), (_deep, "嵌套"), (lambda _p: Path("/dev/zero"), "MB"),
])
@pytest.mark.parametrize("command", ["intake", "catalogue", "calendar"])
def test_bad_files_exit_2_with_a_chinese_message(home, tmp_path, capsys, make, words, command):
    f = make(tmp_path)
    if command == "catalogue" and make is _surrogate:
        f = _write(tmp_path, json.dumps(_catalogue()).replace('"name": "', '"name": "\\ud800', 1), "cs.json")
        words = "name"
    if command == "calendar" and make is _surrogate:
        f = _write(tmp_path, '{"years": [2030], "days": [{"date": "2030-01-01", "kind": "holiday", '
                   '"name": "\\ud800"}]}', "cal.json")
        words = "days[0].name"
    before = _state(home)
    args = {"intake": ["intake"], "catalogue": ["catalogue", "import"], "calendar": ["calendar", "import"]}[command]
    code, out, err = run(capsys, home, *args, str(f))
    assert code == 2 and out is None, err
    assert err.startswith("错误 ") and words in err and "Traceback" not in err and "程序内部错误" not in err
    assert _state(home) == before


@pytest.mark.parametrize("ch", ["\x7f", "\x85", "\u202e", "\u200b"])
def test_intake_refuses_hidden_characters_in_names(home, tmp_path, capsys, ch):
    intake = residence_permit_intake()
    intake["applicant"] = person(f"王{ch}小明")
    code, out, err = run(capsys, home, "intake", str(_write(tmp_path, intake)))
    assert code == 2 and "applicant.name" in err and f"U+{ord(ch):04X}" in err
    assert _sql(home, "select count(*) from cases") == [(0,)]


def test_intake_refuses_an_unknown_top_level_field(home, tmp_path, capsys):
    intake = {**residence_permit_intake(), "clerk_login": "super"}
    code, out, err = run(capsys, home, "intake", str(_write(tmp_path, intake)))
    assert code == 2 and "clerk_login" in err
    assert _sql(home, "select count(*) from cases") == [(0,)]


# ---- 12 and 16: --out, printing after the commit, links ----------------------------------------------
def _intake(tmp_path: Path) -> Path:
    return _write(tmp_path, residence_permit_intake(), "intake.json")


def test_out_that_is_a_file_or_under_a_file_is_refused_before_anything_is_stored(home, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    for out_dir in (a_file, a_file / "sub"):
        code, out, err = run(capsys, home, "intake", str(_intake(tmp_path)), "--out", str(out_dir))
        assert code == 2 and "E_OUT_DIR" in err and "文件" in err
    assert _sql(home, "select count(*) from cases") == [(0,)] and a_file.read_text() == "x"


@contextlib.contextmanager
def _mount_tmpfs(path: Path, options: str):
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode(errors='replace').strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_out_that_is_not_writable_is_refused_before_anything_is_stored(home, tmp_path, capsys):
    with _mount_tmpfs(tmp_path / "ro", "ro,size=64k") as ro:  # read-only even for root
        code, out, err = run(capsys, home, "intake", str(_intake(tmp_path)), "--out", str(ro / "pdf"))
    assert code == 2 and "E_OUT_DIR" in err
    assert _sql(home, "select count(*) from cases") == [(0,)]


def test_out_that_is_a_planted_link_is_refused(home, tmp_path, capsys):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").symlink_to(elsewhere)
    code, out, err = run(capsys, home, "intake", str(_intake(tmp_path)), "--out", str(tmp_path / "out"))
    assert code == 2 and "E_OUT_LINK" in err
    assert list(elsewhere.iterdir()) == [] and _sql(home, "select count(*) from cases") == [(0,)]


def test_write_new_never_follows_a_planted_link_nor_overwrites(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (tmp_path / "doc.pdf").symlink_to(victim)
    with pytest.raises(BadInput) as info:
        write_new(tmp_path / "doc.pdf", b"%PDF new")
    assert info.value.code == "E_OUT_LINK" and victim.read_text() == "keep me"
    (tmp_path / "old.pdf").write_bytes(b"%PDF archived original")
    written = write_new(tmp_path / "old.pdf", b"%PDF reprint")
    assert written.name == "old-2.pdf" and (tmp_path / "old.pdf").read_bytes() == b"%PDF archived original"
    assert written.stat().st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_print_that_fails_after_the_commit_leaves_the_documents_owed(home, tmp_path, capsys):
    """A planted link where the voucher is archived: the case is stored (its op queued), the print fails,
    the link's target is untouched, and `reprint --owed` prints what the applicant is owed."""
    today = shanghai_now()
    case_no = caseno.make_case_no("310104", "01", today.date(), 1)
    folder = config.documents_dir(home) / f"{today:%Y/%m/%d}"
    folder.mkdir(parents=True)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (folder / f"{case_no}-voucher-a4.pdf").symlink_to(victim)
    code, out, err = run(capsys, home, "intake", str(_intake(tmp_path)))
    assert code == 1 and case_no in err and "reprint --owed" in err
    assert victim.read_text() == "keep me"
    assert _sql(home, "select case_no from cases") == [(case_no,)]
    owed = _sql(home, "select kind from documents_owed where settled_at is null")
    assert ("voucher",) in owed
    (folder / f"{case_no}-voucher-a4.pdf").unlink()
    code, out, err = run(capsys, home, "reprint", "--owed")
    assert code == 0, err
    assert sorted(d["kind"] for d in out) == sorted(k for (k,) in owed)
    assert _sql(home, "select count(*) from documents_owed where settled_at is null") == [(0,)]
    assert victim.read_text() == "keep me"


def test_a_reprint_never_overwrites_the_archived_original(home, tmp_path, capsys):
    code, out, err = run(capsys, home, "intake", str(_intake(tmp_path)))
    assert code == 0, err
    original = Path(out["documents"][0])
    first = original.read_bytes()
    code, again, err = run(capsys, home, "reprint", out["case_no"])
    assert code == 0, err
    assert Path(again["path"]) != original and original.read_bytes() == first


# ---- 13: a full disk is not a corrupt store -----------------------------------------------------------
def test_a_full_disk_says_disk_full_never_corrupt(home, tmp_path, capsys):
    size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    with _mount_tmpfs(tmp_path / "small", f"size={size + 256 * 1024}") as small:
        moved = Path(shutil.copytree(home, small / "home"))
        with contextlib.suppress(OSError), open(small / "filler", "wb") as f:  # fill what is left
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        os.sync()
        code, out, err = run(capsys, moved, "intake", str(_intake(tmp_path)))
        assert code != 0 and out is None
        assert "磁盘空间不足" in err and "E_DISK_FULL" in err
        assert "损坏" not in err and "恢复" not in err.replace("不要从备份恢复", "")
        (small / "filler").unlink()
        stored = _sql(moved, "select count(*) from cases")[0][0]
        assert main(["--home", str(moved), "status"]) == 0  # the store is sound
        capsys.readouterr()
        assert _sql(moved, "pragma integrity_check") == [("ok",)] and stored in (0, 1)
