"""The window's chain: every outbox op and audit record is linked to the one before with the window's key
(kept in the keyring, not in the store); a store edited behind the program's back fails verification."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from db.local import engine as local_engine
from db.local.models import AuditEntry, OutboxOp
from desktop.core import chain, config
from desktop.core.bootstrap import init_store, restore_from_central
from desktop.core.errors import YichuangError
from desktop.core.services import Services
from tests.support.factories import TEST_CATALOGUE, residence_permit_intake
from tests.support.rawdb import connect_store


def _accept(services, clerk, n: int = 1) -> list[str]:
    return [services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
            for _ in range(n)]


def _ops(services) -> list[OutboxOp]:
    with services.Reader() as s:
        return list(s.query(OutboxOp).order_by(OutboxOp.seq))


def test_each_op_extends_the_chain_with_one_hmac_over_the_documented_text(services, clerk):
    _accept(services, clerk, 2)
    key = bytes.fromhex(services.client_identity()["window_key"])
    ops = _ops(services)
    assert [o.chain_seq for o in ops] == list(range(1, len(ops) + 1))
    prev = "0" * 64
    for o in ops:
        text = f"{o.chain_seq}|{prev}|{o.op_id}|{o.kind}|{o.sha256}".encode()
        assert o.chain_prev == prev
        assert o.chain_mac == hmac.new(key, text, hashlib.sha256).hexdigest()
        prev = o.chain_mac
    with services.Reader() as s:
        entries = list(s.query(AuditEntry).order_by(AuditEntry.id))
    assert [e.audit_seq for e in entries] == list(range(1, len(entries) + 1))
    assert services.verify_records().ok


def test_identity_for_the_handshake(services):
    ident = services.client_identity()
    assert len(ident["machine_id"]) == 32 and int(ident["machine_id"], 16) >= 0
    assert ident["key_sha256"] == hashlib.sha256(bytes.fromhex(ident["window_key"])).hexdigest()
    assert ident["machine_id"] == services.setting("machine_id")


def test_the_key_is_not_in_the_store_file(services, clerk, home):
    _accept(services, clerk, 2)  # the WAL holds fresh pages while the store is open
    key = bytes.fromhex(services.client_identity()["window_key"])
    files = [p for p in home.iterdir() if p.name.startswith(config.db_path(home).name)]
    assert any(p.name.endswith("-wal") for p in files)
    for p in files:
        data = p.read_bytes()
        for needle in (key, key.hex().encode(), key.hex().upper().encode()):
            assert needle not in data, p.name
    services.close()
    for p in home.iterdir():
        if p.name.startswith(config.db_path(home).name):
            assert key.hex().encode() not in p.read_bytes() and key not in p.read_bytes()


def test_a_copied_store_without_its_key_records_nothing(services, clerk, home, tmp_path, clock):
    _accept(services, clerk)
    services.close()
    (home / "secrets" / "central.json").unlink()  # the store file reaches a computer without the key
    svc = Services(home, clock=clock)
    try:
        before = len(_ops(svc))
        with pytest.raises(chain.ChainKeyMissing):
            svc.accept_application(intake=residence_permit_intake(), clerk=svc.login(login="demo",
                                                                                   password="demo1234"))
        assert len(_ops(svc)) == before
        with pytest.raises(chain.ChainKeyMissing):
            svc.client_identity()
    finally:
        svc.close()


def test_an_old_store_is_chained_once_when_its_key_is_made(services, clerk, home, clock):
    """A store from before the chain (revision 0007, ops queued, no key): the first open chains them in
    order; blanking the chain columns later does not get them signed again."""
    _accept(services, clerk, 2)
    services.close()
    engine = local_engine.make_engine(config.db_path(home), key=config.store_key(home))
    local_engine.downgrade(engine, "0007")
    engine.dispose()
    (home / "secrets" / "central.json").unlink()
    svc = Services(home, clock=clock)
    try:
        ops = _ops(svc)
        assert ops and [o.chain_seq for o in ops] == list(range(1, len(ops) + 1))
        assert svc.verify_records().ok
        _accept(svc, svc.login(login="demo", password="demo1234"))
        assert svc.verify_records().ok
    finally:
        svc.close()
    con = connect_store(home)
    con.execute("UPDATE outbox SET chain_seq = NULL, chain_prev = NULL, chain_mac = NULL")
    con.commit()
    con.close()
    svc = Services(home, clock=clock)
    try:
        report = svc.verify_records()
        assert not report.ok and "没有链签名" in report.breaks[0].reason
        assert all(o.chain_seq is None for o in _ops(svc))
    finally:
        svc.close()


class FakeCentreState:
    """What sync.restore_state() answers, in its documented shape (the real function is the centre's)."""

    def __init__(self, state):
        self.state = state

    def restore_state(self):
        return self.state


def test_a_replacement_computer_continues_numbers_and_chain_from_the_centre(tmp_path, clock):
    home = tmp_path / "new-pc"
    init_store(home, centre_code="310104", window_no="01", demo=True, clock=clock)
    day = f"{clock.now:%y%m%d}"
    head = {"seq": 17, "mac": "ab" * 32}
    centre = FakeCentreState({"last_serials": {day: 41, "261120": 7}, "chain_head": head})
    out = restore_from_central(home, centre_code="310104", window_no="01", state=centre.restore_state(),
                               clock=clock)
    assert out == {"counters": 2, "chain_head": 17}
    svc = Services(home, clock=clock)
    try:
        svc.import_catalogue(TEST_CATALOGUE.read_text(encoding="utf-8"),
                             actor=svc.login(login="admin", password="admin1234"))
        case_no = _accept(svc, svc.login(login="demo", password="demo1234"))[0]
        assert case_no[len("31010401") + 6:][:4] == "0042"  # after the centre's last serial, never reused
        ops = _ops(svc)
        assert ops[0].chain_seq == 18 and ops[0].chain_prev == head["mac"]
        assert svc.verify_records().ok
    finally:
        svc.close()


@pytest.mark.parametrize("state", [
    {"last_serials": {"２６１１２３": 3}, "chain_head": {"seq": 1, "mac": "ab" * 32}},
    {"last_serials": {"261123": 10**6}, "chain_head": {"seq": 1, "mac": "ab" * 32}},
    {"last_serials": {}, "chain_head": {"seq": -1, "mac": "ab" * 32}},
    {"last_serials": {}, "chain_head": {"seq": 1, "mac": "not hex"}},
    ["not", "an", "object"],
])
def test_a_malformed_centre_state_changes_nothing(tmp_path, clock, state):
    home = tmp_path / "new-pc"
    init_store(home, centre_code="310104", window_no="01", clock=clock)
    with pytest.raises(YichuangError) as err:
        restore_from_central(home, centre_code="310104", window_no="01", state=state, clock=clock)
    assert err.value.code == "E_RESTORE_STATE"
    con = connect_store(home)
    try:
        assert con.execute("select count(*) from case_counters").fetchone()[0] == 0
        assert con.execute("select count(*) from settings where key = 'chain_base'").fetchone()[0] == 0
    finally:
        con.close()


def test_restore_is_refused_into_a_store_that_has_recorded_cases(services, clerk, home, clock):
    _accept(services, clerk)
    services.close()
    with pytest.raises(YichuangError) as err:
        restore_from_central(home, centre_code="310104", window_no="01", clock=clock,
                             state={"last_serials": {}, "chain_head": {"seq": 3, "mac": "ab" * 32}})
    assert err.value.code == "E_RESTORE_NOT_EMPTY"


def test_there_is_no_way_to_delete_a_case():
    """A case that must disappear is voided with a reason (the loop issue adds that use case); no service
    deletes one."""
    assert not [name for name in dir(Services) if "delete" in name or "remove" in name]
