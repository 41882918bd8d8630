"""Personal data at rest (issue 8, item 9): the window's disk is not trusted.

The store is encrypted (SQLCipher) with a key kept outside it, the data folder and the archived PDFs are
the user's only, a store left by an older version is encrypted on first open (a kill in the middle leaves
a usable store), and the payloads of operations the centre applied long ago are purged."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from db.central.errors import CentralUnreachable
from db.local import engine as local_engine
from desktop.cli import main as cli_main
from desktop.core import config, retention, sync
from desktop.core.errors import YichuangError
from desktop.core.services import Services, init_store
from tests.support.factories import person, residence_permit_intake, resident_id
from tests.support.fake_transport import FakeTransport
from tests.support.faultkit import child_env
from tests.support.rawdb import connect_store, make_plain_like_an_older_version

PHONE = "13987654321"
NAME = "欧阳明月"


def _intake(name: str, id_no: str, phone: str = PHONE) -> dict:
    return residence_permit_intake() | {"applicant": person(name, id_no, phone=phone)}


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _snapshot(home: Path) -> dict[str, str]:
    """Every file under `home` (relative path -> SHA-256 of its bytes)."""
    return {str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(home.rglob("*")) if p.is_file()}


def _store_files(home: Path) -> dict[str, bytes]:
    db = config.db_path(home)
    return {p.name: p.read_bytes() for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm"))
            if p.exists()}


def _payloads(home: Path, case_no: str) -> list[str]:
    con = connect_store(home)
    try:
        return [r[0] for r in con.execute("select payload from outbox where ref = ? order by seq", (case_no,))]
    finally:
        con.close()


# ---- the bytes on disk ------------------------------------------------------------------------------
def test_the_store_its_wal_shm_and_outbox_hold_no_id_number_or_phone_in_clear(services, clerk, home):
    id_no = resident_id("31010419851204332")
    results = [services.accept_application(intake=_intake(NAME, id_no), clerk=clerk) for _ in range(3)]
    # the data is there, through the key: the outbox payload carries the ID number and the phone
    payloads = _payloads(home, results[0].case_no)
    assert any(id_no in p and PHONE in p for p in payloads)
    files = _store_files(home)  # read while the store is open: the WAL holds the latest pages
    assert len(files["yichuang.db-wal"]) > 0 and "yichuang.db-shm" in files
    key = config.store_key(home)
    for name, data in files.items():
        assert not data.startswith(local_engine.PLAIN_HEADER), name
        for secret in (id_no, PHONE, NAME, key, "outbox", "case.upsert"):
            assert secret.encode("utf-8") not in data, f"{secret!r} in clear in {name}"
    services.close()  # checkpointed into the main file: still nothing in clear
    for name, data in _store_files(home).items():
        for secret in (id_no, PHONE, NAME):
            assert secret.encode("utf-8") not in data, f"{secret!r} in clear in {name}"
    with pytest.raises(sqlite3.DatabaseError):  # plain SQLite cannot read it
        con = sqlite3.connect(config.db_path(home))
        try:
            con.execute("select count(*) from outbox").fetchone()
        finally:
            con.close()


def test_the_data_folder_is_the_users_only_and_so_are_the_store_and_archived_pdfs(tmp_path, clock):
    old = os.umask(0o022)  # the usual umask: what an unprotected file would get is 0644
    try:
        home = tmp_path / "fresh"
        init_store(home, centre_code="310104", window_no="01", demo=True, clock=clock)
        svc = Services(home, clock=clock)
        try:
            clerk = svc.login(login="demo", password="demo1234")
            svc.import_catalogue((Path(__file__).parents[1] / "data" / "catalogue_test.json").read_text("utf-8"),
                                 actor=svc.login(login="admin", password="admin1234"))
            result = svc.accept_application(intake=_intake(NAME, resident_id("31010419851204332")), clerk=clerk)
            assert result.documents
            db = config.db_path(home)
            assert _mode(home) == 0o700
            for p in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
                assert _mode(p) == 0o600, p
            archived = [p for p in config.documents_dir(home).rglob("*")]
            assert any(p.suffix == ".pdf" for p in archived)
            for p in archived:
                assert _mode(p) == (0o700 if p.is_dir() else 0o600), p
            assert _mode(home / "secrets") == 0o700
            for p in (home / "secrets").iterdir():
                assert _mode(p) == 0o600, p
        finally:
            svc.close()
    finally:
        os.umask(old)


def test_the_key_lives_outside_the_store(home):
    key = config.store_key(home)
    assert len(key) == 64
    data = config.db_path(home).read_bytes()
    assert key.encode() not in data and bytes.fromhex(key) not in data


# ---- without the key ----------------------------------------------------------------------------------
def test_without_its_key_the_store_cannot_be_opened_and_nothing_changes(home, capsys):
    (home / "secrets" / f"{config.STORE_KEY_SERVICE}.json").unlink()  # the keyring entry is gone
    before = _snapshot(home)
    with pytest.raises(YichuangError) as e:
        Services(home)
    assert e.value.code == "E_STORE_KEY_MISSING" and "密钥" in e.value.message
    assert cli_main(["--home", str(home), "status"]) == 1
    err = capsys.readouterr().err
    assert "E_STORE_KEY_MISSING" in err and "已加密" in err and "未做任何修改" in err
    assert _snapshot(home) == before  # no new key was made, the store was not touched


def test_with_a_wrong_key_the_store_cannot_be_opened_and_nothing_changes(home):
    config.SecretStore(home, f"store-{config.store_id_path(home).read_text().strip()}",
                       service=config.STORE_KEY_SERVICE).set("ab" * 32)
    before = _snapshot(home)
    with pytest.raises(YichuangError) as e:
        Services(home)
    assert e.value.code == "E_STORE_KEY_WRONG" and "密钥" in e.value.message
    assert _snapshot(home) == before


# ---- a store left by an older version -----------------------------------------------------------------
def _plain_store_with_a_wal(home: Path, dest: Path) -> str:
    """Copy `home` to `dest` as an older version left it, with a committed change still only in its WAL
    (the older version was running). Returns the centre name that change wrote."""
    make_plain_like_an_older_version(home)
    marker = "旧版本最后写入的中心名称"
    con = sqlite3.connect(config.db_path(home))
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA wal_autocheckpoint=0")
        con.execute("update settings set value = ? where key = 'centre_name'", (marker,))
        con.commit()
        dest.mkdir()
        for name in ("yichuang.db", "yichuang.db-wal"):
            (dest / name).write_bytes((home / name).read_bytes())
    finally:
        con.close()
    for p in home.iterdir():
        if p.is_dir():
            shutil.copytree(p, dest / p.name)
        elif p.name not in ("yichuang.db", "yichuang.db-wal", "yichuang.db-shm"):
            shutil.copy2(p, dest / p.name)
    os.chmod(dest / "yichuang.db", 0o644)
    os.chmod(dest, 0o755)
    return marker


def test_a_plain_store_left_by_an_older_version_is_encrypted_when_first_opened(services, clerk, home, tmp_path):
    id_no = resident_id("31010419851204332")
    r = services.accept_application(intake=_intake(NAME, id_no), clerk=clerk)
    services.close()
    old = tmp_path / "old"
    marker = _plain_store_with_a_wal(home, old)
    assert config.db_path(old).read_bytes().startswith(local_engine.PLAIN_HEADER)
    assert id_no.encode() in config.db_path(old).read_bytes()  # the attack works on the old store
    assert not config.store_key(old)

    upgraded = Services(old)
    try:
        assert upgraded.window().centre_name == marker  # the WAL's change was folded in, not lost
        assert upgraded.case_record(case_no=r.case_no).applicant.id_no == id_no
    finally:
        upgraded.close()
    assert config.store_key(old)
    data = config.db_path(old).read_bytes()
    assert not data.startswith(local_engine.PLAIN_HEADER) and id_no.encode() not in data
    assert sorted(p.name for p in old.iterdir() if p.name.startswith("yichuang.db")) == ["yichuang.db"]
    assert _mode(old) == 0o700 and _mode(config.db_path(old)) == 0o600
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(config.db_path(old)).execute("select count(*) from cases").fetchone()


KILLED_OPEN = """
import os, signal, sys
n = [int(sys.argv[2])]
real_fsync, real_replace = os.fsync, os.replace

def countdown():
    n[0] -= 1
    if n[0] == 0:
        os.kill(os.getpid(), signal.SIGKILL)

def fsync(fd):
    countdown()
    real_fsync(fd)

def replace(a, b, **kw):
    countdown()
    real_replace(a, b, **kw)

os.fsync, os.replace = fsync, replace
from pathlib import Path
from desktop.core.services import Services
Services(Path(sys.argv[1])).close()
"""


@pytest.mark.slow
def test_a_kill_at_any_step_of_the_encryption_leaves_a_usable_store(services, clerk, home, tmp_path):
    id_no = resident_id("31010419851204332")
    r = services.accept_application(intake=_intake(NAME, id_no), clerk=clerk)
    services.close()
    template = tmp_path / "old"
    marker = _plain_store_with_a_wal(home, template)
    killed_at = []
    for step in range(1, 30):
        trial = tmp_path / f"trial-{step}"
        shutil.copytree(template, trial)
        child = subprocess.run([sys.executable, "-c", KILLED_OPEN, str(trial), str(step)], env=child_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        if child.returncode == -signal.SIGKILL:
            killed_at.append(step)
        else:
            assert child.returncode == 0, child.stderr.decode()
        svc = Services(trial)  # whatever the kill left opens, with every change of the old store
        try:
            assert svc.window().centre_name == marker
            assert svc.case_record(case_no=r.case_no).applicant.id_no == id_no
        finally:
            svc.close()
        data = config.db_path(trial).read_bytes()
        assert not data.startswith(local_engine.PLAIN_HEADER) and id_no.encode() not in data
        assert not (trial / "yichuang.db.encrypting").exists()
        if child.returncode == 0:
            break
    else:
        pytest.fail("the child never got through the encryption")
    # the key (id file, secret), the encrypted copy and the rename: each durable step was a kill point
    assert len(killed_at) >= 5, killed_at


OPEN = """
import sys
from pathlib import Path
from desktop.core.services import Services
Services(Path(sys.argv[1])).close()
"""


def test_two_programs_opening_an_old_store_at_once_make_one_key(services, clerk, home, tmp_path):
    r = services.accept_application(intake=_intake(NAME, resident_id("31010419851204332")), clerk=clerk)
    services.close()
    old = tmp_path / "old"
    _plain_store_with_a_wal(home, old)
    children = [subprocess.Popen([sys.executable, "-c", OPEN, str(old)], env=child_env(),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(3)]
    for child in children:
        _, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()
    svc = Services(old)  # the key kept is the key the store was encrypted with
    try:
        assert svc.case_record(case_no=r.case_no).applicant.name == NAME
    finally:
        svc.close()


# ---- retention ------------------------------------------------------------------------------------------
def _judge_rejecting(id_no: str):
    return lambda kind, text: "拒收（测试）" if kind == "case.upsert" and id_no in text else None


def test_retention_purges_payloads_of_applied_ops_older_than_the_period_and_keeps_the_rest(services, clerk,
                                                                                           home, clock):
    ids = {k: resident_id(f"310104198512{n + 1:02d}332") for n, k in enumerate(("old", "recent", "rejected", "pending"))}
    start = clock.now
    centre = FakeTransport(judge=_judge_rejecting(ids["rejected"]))
    old = services.accept_application(intake=_intake("甲", ids["old"]), clerk=clerk)
    rejected = services.accept_application(intake=_intake("丙", ids["rejected"]), clerk=clerk)
    sync.sync_round(services, transport=centre)  # applied (and one rejected) on day 0
    clock.now = start + timedelta(days=2)
    recent = services.accept_application(intake=_intake("乙", ids["recent"]), clerk=clerk)
    sync.sync_round(services, transport=centre)  # applied on day 2
    pending = services.accept_application(intake=_intake("丁", ids["pending"]), clerk=clerk)
    centre.fail.append(CentralUnreachable("断网（测试）"))
    with pytest.raises(YichuangError):
        sync.sync_round(services, transport=centre)  # stays pending from day 2 on

    clock.now = start + timedelta(days=91)
    purged = retention.purge_applied_payloads(services.store)
    con = connect_store(home)
    try:
        rows = con.execute("select ref, state, acked_at, payload, sha256 from outbox").fetchall()
    finally:
        con.close()
    day0 = [r for r in rows if r[1] == "applied" and r[2] < str(start + timedelta(days=1))]
    assert purged == len(day0) and {r[0] for r in day0} >= {old.case_no}
    assert all(r[3] == retention.PURGED and len(r[4]) == 64 for r in day0)  # the record of what was sent stays
    assert [r[3] for r in rows if r[0] == old.case_no] == [retention.PURGED] * 3  # the case, its voucher, its 受理通知书
    kept = [r for r in rows if r not in day0]
    assert all(r[3] != retention.PURGED for r in kept)
    for name, case, state in (("rejected", rejected, "rejected"),  # not accepted by the centre
                              ("recent", recent, "applied"),  # applied 89 days ago
                              ("pending", pending, "pending")):  # not yet at the centre
        assert any(ids[name] in r[3] for r in kept if r[0] == case.case_no and r[1] == state), name
    assert services.case_record(case_no=old.case_no).applicant.id_no == ids["old"]  # the case itself stays
    assert retention.purge_applied_payloads(services.store) == 0  # nothing left to purge


def test_a_successful_sync_round_purges_by_the_retention_setting(services, clerk, home, clock):
    id_no = resident_id("31010419851204332")
    centre = FakeTransport()
    start = clock.now
    r = services.accept_application(intake=_intake(NAME, id_no), clerk=clerk)
    sync.sync_round(services, transport=centre)
    assert services.setting("outbox_retention_days") == "90"
    services.set_setting("outbox_retention_days", "120")
    clock.now = start + timedelta(days=91)
    sync.sync_round(services, transport=centre)
    assert any(id_no in p for p in _payloads(home, r.case_no))  # within 120 days: kept
    services.set_setting("outbox_retention_days", "90")
    sync.sync_round(services, transport=centre)
    assert not any(id_no in p for p in _payloads(home, r.case_no))
    assert any(id_no in text for _, text in centre.applied)  # the centre keeps the record


def test_secrets_of_one_service_are_kept_side_by_side(tmp_path):
    """Setting one secret (a window key) never drops another (the central password) from the 0600 file."""
    central = config.SecretStore(tmp_path, "310104-01")
    chain = config.SecretStore(tmp_path, "310104-01-chain")
    central.set("p@ss")
    chain.set("k" * 64)
    assert (central.get(), chain.get()) == ("p@ss", "k" * 64)
    assert config.store_key(tmp_path) == ""  # the store key is its own service, made only when asked
    key = config.store_key(tmp_path, create=True)
    assert config.store_key(tmp_path) == key and central.get() == "p@ss"
    assert _mode(tmp_path / "secrets") == 0o700
    assert {p.name: _mode(p) for p in (tmp_path / "secrets").iterdir()} == {
        "central.json": 0o600, f"{config.STORE_KEY_SERVICE}.json": 0o600}
