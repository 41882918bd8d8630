"""The sync round's own logic against the fake transport: no PostgreSQL here (tests/sync has the real one)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from sqlalchemy import select

from db.central.errors import CentralUnreachable, ProtocolTooOld
from db.local.models import Blob, CaseAttachment, OutboxOp, SyncCheckpoint
from desktop.core import outbox, sync
from desktop.core.errors import BadInput, CentralUnavailable, ProtocolMismatch
from desktop.core.outbox.kinds import KINDS
from desktop.core.sync import streams
from desktop.core.sync.protocol import CHAIN_PROTOCOL
from tests.support.factories import residence_permit_intake
from tests.support.fake_transport import FakeTransport, NotInATest
from tests.support.rawdb import connect_store


@pytest.fixture
def centre() -> FakeTransport:
    return FakeTransport("310104", "01")


def states(services) -> dict[str, str]:
    with services.Reader() as s:
        return dict(s.execute(select(OutboxOp.op_id, OutboxOp.state)).all())


def test_the_fake_centre_refuses_to_exist_outside_a_test(monkeypatch):
    monkeypatch.delenv("PYTEST_CURRENT_TEST")
    with pytest.raises(NotInATest):
        FakeTransport()


def test_the_protocol_is_the_newest_kind_stream_or_feature():
    assert KINDS["audit.recorded"].introduced == 3
    assert CHAIN_PROTOCOL == 4  # the window binding and the chain of operations
    assert sync.PROTOCOL == 5 == streams.STREAMS["cases"].introduced  # the centre-wide loop's streams
    assert sync.PROTOCOL == max([CHAIN_PROTOCOL] + [k.introduced for k in KINDS.values()] +
                                [s.introduced for s in streams.STREAMS.values()])
    assert isinstance(FakeTransport(), sync.Transport)


def test_ops_are_pushed_once_and_the_transport_stays_open(services, clerk, centre):
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    first = sync.sync_round(services, transport=centre)
    # the case, its voucher and its 受理通知书 (printed with the voucher since issue 10)
    assert (first.pushed, first.duplicate, first.rejected) == (3, 0, 0)
    assert [k for k, _ in centre.applied] == ["case.upsert", "document.printed", "document.printed"]
    assert centre.calls[0] == ("handshake", sync.PROTOCOL)
    again = sync.sync_round(services, transport=centre)
    assert (again.pushed, again.duplicate, again.rejected) == (0, 0, 0)
    assert set(states(services).values()) == {"applied"}
    assert centre.closed == 0  # the caller's transport is the caller's to close
    status = sync.sync_status(services)
    assert status.online is None and status.queue_length == 0  # no URL stored: not "configured"
    assert services.setting("sync_last_success") == "2026-11-23T09:30:00"


def test_a_lost_acknowledgement_comes_back_duplicate(services, clerk, centre, home):
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    sync.sync_round(services, transport=centre)
    con = connect_store(home)
    con.execute("update outbox set state='pending', acked_at=null")
    con.commit()
    con.close()
    again = sync.sync_round(services, transport=centre)
    assert (again.pushed, again.duplicate) == (0, 3)
    assert len(centre.applied) == 3


def test_rejections_wait_in_the_dead_letter_list_and_never_block(services, clerk, home):
    centre = FakeTransport(judge=lambda kind, text: "unknown case" if kind == "rating.recorded" else None)
    with services.Session.begin() as s:
        bad = outbox.enqueue(s, kind="rating.recorded", ref="x", now=services.clock(), payload={
            "case_no": "310104012611239999", "centre_code": "310104", "overall": 5,
            "rated_at": "2026-11-23T09:30:00+08:00"}).op_id
        forged = outbox.enqueue(s, kind="audit.recorded", ref="y", now=services.clock(), payload={
            "centre_code": "310104", "at": "2026-11-23T09:30:00+08:00", "actor": "a", "action": "b"}).op_id
    con = connect_store(home)  # the frozen text changed after its hash was taken
    con.execute("update outbox set payload = replace(payload, '\"a\"', '\"z\"') where op_id = ?", (forged,))
    con.commit()
    con.close()
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    result = sync.sync_round(services, transport=centre)
    assert (result.pushed, result.rejected) == (3, 2)
    dead = {d["op_id"]: d["last_error"] for d in sync.rejected_ops(services)}
    assert dead == {bad: "unknown case", forged: "hash mismatch"}
    assert sync.retry_rejected(services, [bad], actor=services.clerk("super")) == 1
    assert sync.sync_status(services).queue_length == 2  # the op again, and the audit record of the retry


def test_a_blob_goes_up_before_the_push_that_cites_it(services, clerk, centre, home):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    sync.sync_round(services, transport=centre)
    scan = b"%PDF-1.4 scanned contract" * 100
    sha = hashlib.sha256(scan).hexdigest()
    path = home / "blobs" / sha[:2] / sha
    path.parent.mkdir(parents=True)
    path.write_bytes(scan)
    with services.Session.begin() as s:
        s.add(Blob(sha256=sha, path=str(path.relative_to(home)), size=len(scan), mime="application/pdf",
                   uploaded=False))
        s.flush()
        s.add(CaseAttachment(case_no=r.case_no, material_code="M3", sha256=sha, filename="c.pdf",
                             added_at=services.clock()))
        op = outbox.enqueue(s, kind="attachment.linked", ref=r.case_no, now=services.clock(), payload={
            "case_no": r.case_no, "material_code": "M3", "sha256": sha.upper()})
        op_id = op.op_id
    centre.calls.clear()
    assert sync.sync_round(services, transport=centre).pushed == 1
    names = [name for name, _ in centre.calls]
    assert names == ["handshake", "put_blobs", "push"] + ["pull"] * len(streams.STREAMS)
    assert centre.calls[1][1] == [sha] and op_id in centre.calls[2][1]
    assert centre.blobs[sha] == scan
    with services.Reader() as s:
        assert s.get(Blob, sha).uploaded is True


def test_push_goes_in_batches_of_push_batch(services, clerk, centre, monkeypatch):
    from desktop.core.sync import round as sync_round

    for _ in range(3):
        services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    monkeypatch.setattr(sync_round, "PUSH_BATCH", 2)
    sync.sync_round(services, transport=centre)
    assert [len(ids) for name, ids in centre.calls if name == "push"] == [2, 2, 2, 2, 1]  # 3 × (case + 2 prints)


def test_an_unreachable_centre_keeps_what_was_acknowledged(services, clerk, centre, monkeypatch):
    from desktop.core.sync import round as sync_round

    for _ in range(2):
        services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    monkeypatch.setattr(sync_round, "PUSH_BATCH", 2)
    real_push = centre.push
    pushes = []

    def push_then_fail(ops):  # the second batch never gets an answer
        pushes.append(len(ops))
        if len(pushes) == 2:
            raise CentralUnreachable("无法连接中心数据库：测试断线")
        return real_push(ops)

    centre.push = push_then_fail
    with pytest.raises(CentralUnavailable):
        sync.sync_round(services, transport=centre)
    assert pushes == [2, 2, 2]  # 6 ops; the third batch was already on its way when the second failed
    assert sorted(states(services).values()) == ["applied", "applied"] + ["pending"] * 4
    status = sync.sync_status(services)
    assert services.setting("sync_online") == "0" and "测试断线" in status.last_error


@pytest.mark.parametrize("hello, code", [({"protocol": 2}, "E_CENTRAL_OLD"),
                                         ({"centre_code": "310105"}, "E_CENTRAL_WINDOW")])
def test_a_centre_that_does_not_fit_is_refused_before_anything_moves(services, clerk, centre, hello, code):
    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    centre.hello.update(hello)
    with pytest.raises((ProtocolMismatch, BadInput)) as e:
        sync.sync_round(services, transport=centre)
    assert e.value.code == code
    assert [name for name, _ in centre.calls] == ["handshake"]
    assert set(states(services).values()) == {"pending"}


def test_a_centre_that_no_longer_accepts_us_says_upgrade(services, centre):
    centre.fail.append(ProtocolTooOld("客户端版本过旧，请升级", sqlstate="YC001"))
    with pytest.raises(ProtocolMismatch) as e:
        sync.sync_round(services, transport=centre)
    assert e.value.code == "E_PROTOCOL"


def test_streams_are_applied_by_page_with_their_checkpoint_and_drop_stale_caches(services, centre, monkeypatch):
    assert services.calendar().add_workdays(date(2026, 11, 23), 1) == date(2026, 11, 24)  # warm the cache
    dropped = []
    real = services.invalidate
    monkeypatch.setattr(services, "invalidate", lambda *names: (dropped.append(names), real(*names)))
    monkeypatch.setitem(streams.PULL_LIMITS, "users", 2)
    centre.publish("calendar", "2026", {"years": [2026], "days": [
        {"date": "2026-11-24", "kind": "holiday", "name": "测试假日"}], "source": "test"})
    for n in range(5):
        centre.publish("users", f"u{n}", {"login": f"u{n}", "name": f"用户{n}", "role": "clerk",
                                          "password_hash": "x"})
    result = sync.sync_round(services, transport=centre)
    assert result.pulled == 6
    assert dropped == [("calendar",)]
    assert services.calendar().add_workdays(date(2026, 11, 23), 1) == date(2026, 11, 25)
    assert [after for name, (stream, after, _) in
            [(n, d) for n, d in centre.calls if n == "pull"] if stream == "users"] == [0, 3, 5]
    with services.Reader() as s:
        assert s.get(SyncCheckpoint, "users").last_seq == 6
        assert s.get(SyncCheckpoint, "calendar").last_seq == 1
    assert sync.sync_round(services, transport=centre).pulled == 0


def test_enqueue_refuses_unknown_kinds_and_missing_keys(services):
    with services.Session.begin() as s:
        with pytest.raises(ValueError, match="unknown operation kind"):
            outbox.enqueue(s, kind="case.teleport", ref="x", now=services.clock(), payload={})
        with pytest.raises(ValueError, match="lacks required key.*overall"):
            outbox.enqueue(s, kind="rating.recorded", ref="x", now=services.clock(), payload={
                "case_no": "x", "centre_code": "310104", "rated_at": "2026-11-23T09:30:00+08:00"})
    assert states(services) == {}
