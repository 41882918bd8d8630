"""Backups and restore: an encrypted copy through SQLite's online backup API, rotated; a restore that checks the
file, refuses to drop unsent operations unless forced, keeps the replaced store and leaves a verifiable chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core import backup, config
from desktop.core.services import Services
from tests.support.factories import residence_permit_intake
from tests.support.rawdb import connect_store


def _cases(home: Path) -> list[str]:
    con = connect_store(home)
    try:
        return [r[0] for r in con.execute("SELECT case_no FROM cases ORDER BY case_no")]
    finally:
        con.close()


def _cli(capsys, *args: str) -> tuple[int, object, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_backup_is_encrypted_with_the_stores_key_and_restores_round_trip(home, services, clerk, capsys):
    first = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    result = services.backup()
    services.close()
    assert result.path.parent == home / "backups" and result.path.name.startswith("yichuang-")
    assert not result.path.read_bytes().startswith(b"SQLite format 3")  # encrypted, like the store
    assert oct(result.path.stat().st_mode & 0o777) == "0o600"
    assert backup.check_backup(result.path, config.store_key(home))["window_no"] == "01"

    svc = Services(home)  # a second case after the backup
    second = svc.accept_application(intake=residence_permit_intake(), clerk=svc.login(login="demo",
                                                                                     password="demo1234")).case_no
    svc.close()
    assert _cases(home) == sorted([first, second])

    # both cases are still queued: restore refuses, says how many, changes nothing
    code, _, err = _cli(capsys, "--home", str(home), "restore", str(result.path))
    assert code == 2 and "E_UNSENT_OPS" in err
    pending = backup.pending_ops(home)
    assert pending and f"{pending} 条操作尚未上传" in err
    assert _cases(home) == sorted([first, second])
    assert not (home / "replaced").exists()

    code, out, _ = _cli(capsys, "--home", str(home), "restore", str(result.path), "--force")
    assert code == 0 and out["unsent_overwritten"] == pending
    assert _cases(home) == [first]  # the store as it was at the backup
    kept = Path(out["replaced_kept_at"])
    assert kept.parent == home / "replaced" and kept.is_file()
    con = connect_store(home)  # the replaced store is kept whole, with the second case
    con.close()
    # the chain heads in the keyring follow the restored store: verify passes, and the restore is audited
    code, report, _ = _cli(capsys, "--home", str(home), "audit", "verify")
    assert code == 0 and report["ok"], report
    con = connect_store(home)
    try:
        assert con.execute("SELECT count(*) FROM audit WHERE action = 'store.restored'").fetchone()[0] == 1
    finally:
        con.close()


def test_restore_refuses_a_damaged_or_foreign_file_and_changes_nothing(home, services, tmp_path, capsys):
    good = services.backup().path
    services.close()
    damaged = tmp_path / "damaged.db"
    data = bytearray(good.read_bytes())
    data[5000:5100] = b"\x00" * 100  # a page whose HMAC no longer matches
    damaged.write_bytes(bytes(data))
    before = config.db_path(home).read_bytes()
    code, _, err = _cli(capsys, "--home", str(home), "restore", str(damaged), "--force")
    assert code == 2 and ("E_BACKUP_INVALID" in err or "E_BACKUP_KEY" in err)
    plain = tmp_path / "plain.db"
    plain.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4080)
    code, _, err = _cli(capsys, "--home", str(home), "restore", str(plain))
    assert code == 2 and "E_BACKUP_INVALID" in err
    assert config.db_path(home).read_bytes() == before and not (home / "replaced").exists()


def test_a_symlink_planted_as_the_backup_folder_is_refused(home, services, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = tmp_path / "backups-link"
    link.symlink_to(elsewhere)
    from desktop.core.errors import BadInput

    with pytest.raises(BadInput) as e:
        services.backup(to=link)
    assert e.value.code == "E_BACKUP_DIR" and list(elsewhere.iterdir()) == []
    services.set_setting("backup_dir", str(link))
    with pytest.raises(BadInput):
        services.backup()
    assert list(elsewhere.iterdir()) == []


def test_rotation_keeps_seven_days_and_four_weeks():
    start = datetime(2026, 9, 1, 8, 0)
    backups = [(start + timedelta(days=d, hours=h), Path(f"b{d:03d}-{h}"))
               for d in range(60) for h in (0, 9)]  # two a day for 60 days
    keep = backup.to_keep(backups, daily=7, weekly=4)
    newest_day = (start + timedelta(days=59)).date()
    days = {at.date() for at, p in backups if p in keep}
    # the last 7 days, each by its newest backup, and the newest of 4 ISO weeks (the latest weeks overlap)
    assert {newest_day - timedelta(days=i) for i in range(7)} <= days
    assert all(p.name.endswith("-9") for _at, p in backups if p in keep)
    weeks = {at.isocalendar()[:2] for at, p in backups if p in keep}
    assert len(weeks) == 4
    assert len(keep) <= 7 + 4


def test_a_full_disk_during_backup_leaves_the_earlier_backups_intact(home, services, tmp_path):
    """RLIMIT_FSIZE in a child process makes every write past 64 KiB fail (EFBIG), as a full disk does."""
    for _ in range(3):
        services.backup()
    services.close()
    folder = home / "backups"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    child = f"""
import resource, sys
from pathlib import Path
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
from desktop.cli import main
sys.exit(main(["--home", {str(home)!r}, "backup"]))
"""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "YICHUANG_SECRET_STORE": "file"}
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 1, out.stderr
    assert ("E_DISK_FULL" in out.stderr or "E_STORE_IO" in out.stderr) and "原有备份未受影响" in out.stderr
    assert "内部错误" not in out.stderr
    after = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert after == before  # no partial file left, nothing rotated away, every byte as it was
    for name in after:
        backup.check_backup(folder / name, config.store_key(home))


def test_an_older_backup_of_a_window_linked_to_a_centre_is_refused_unless_forced(home, services, clerk, capsys):
    """A backup from before cases the centre already holds would number cases and chain ops again at
    positions the centre has: refused (exit 2, nothing changed) while the store is linked, unless --force."""
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    old = services.backup()
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.close()
    before = _cases(home)

    def acknowledge_all() -> None:  # every op acknowledged by the centre: nothing unsent to lose
        con = connect_store(home)
        try:
            con.execute("UPDATE outbox SET state = 'applied'")
            con.commit()
        finally:
            con.close()
        assert backup.pending_ops(home) == 0

    acknowledge_all()

    # not linked to a centre: an older backup restores as before (nothing unsent)
    code, out, _ = _cli(capsys, "--home", str(home), "restore", str(old.path))
    assert code == 0, out
    assert len(_cases(home)) == 1
    acknowledge_all()
    code, _, err = _cli(capsys, "--home", str(home), "restore", out["replaced_kept_at"])  # back to both
    assert code == 0 and _cases(home) == before, err
    acknowledge_all()

    con = connect_store(home)
    try:
        con.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('central_url', 'postgresql://centre/yc')")
        con.commit()
        head = con.execute("SELECT max(chain_seq) FROM outbox").fetchone()[0]
    finally:
        con.close()
    kept = sorted((home / "replaced").iterdir())
    code, _, err = _cli(capsys, "--home", str(home), "restore", str(old.path))
    assert code == 2 and "E_BACKUP_OLDER" in err and "早于当前数据库" in err and f"当前 {head}" in err, err
    assert _cases(home) == before and sorted((home / "replaced").iterdir()) == kept  # nothing changed

    # a backup as new as the store is not refused
    svc = Services(home)
    same = svc.backup()
    svc.close()
    acknowledge_all()
    code, _, err = _cli(capsys, "--home", str(home), "restore", str(same.path))
    assert code == 0 and _cases(home) == before, err
    acknowledge_all()

    code, out, _ = _cli(capsys, "--home", str(home), "restore", str(old.path), "--force")
    assert code == 0 and len(_cases(home)) == 1
