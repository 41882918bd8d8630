"""One sync round with the central PostgreSQL: handshake, push the outbox in batches, pull case status.

Runs on whatever thread calls it (the GUI calls it from a worker, never the GUI thread). Every local
state change is its own short transaction, so a kill at any moment loses nothing: an op that was pushed
but not marked is pushed again and answered `duplicate` by the centre.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select

from db.central import CentralClient, CentralError, CentralUnreachable, ProtocolTooOld
from db.local.models import Case, OutboxOp, SyncCheckpoint
from desktop.core.config import SecretStore, join_secret, split_secret
from desktop.core.errors import BadInput, CentralUnavailable, ProtocolMismatch, YichuangError
from desktop.core.types import SyncResult, SyncStatus

PROTOCOL = 1
PUSH_BATCH = 500
PULL_BATCH = 1000
STREAMS = ("case_status",)


def _account(services) -> str:
    w = services.window()
    return f"{w.centre_code}-{w.window_no}"


def store_central_url(services, url: str) -> str:
    """Remember the central database URL; the password goes to the keyring (or a 0600 file), never
    into the plain settings. Returns where the secret went."""
    url = url.strip()
    if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        raise BadInput("E_CENTRAL_URL", "中心数据库地址应以 postgresql:// 开头", field="central_url")
    clean, password = split_secret(url)
    where = "none"
    if password:
        where = SecretStore(services.home, _account(services)).set(password)
    services.set_setting("central_url", clean)
    return where


def central_url(services) -> str | None:
    clean = services.setting("central_url")
    if not clean:
        return None
    return join_secret(clean, SecretStore(services.home, _account(services)).get())


def sync_status(services) -> SyncStatus:
    with services.Session() as s:
        pending = s.scalar(select(func.count()).select_from(OutboxOp).where(OutboxOp.state == "pending")) or 0
        oldest = s.scalar(select(func.min(OutboxOp.created_at)).where(OutboxOp.state == "pending"))
    last = services.setting("sync_last_success")
    online_flag = services.setting("sync_online")
    configured = bool(services.setting("central_url"))
    return SyncStatus(
        online=(online_flag == "1") if configured else None,
        queue_length=pending,
        oldest_pending_at=oldest,
        last_success_at=datetime.fromisoformat(last) if last else None,
        last_error=services.setting("sync_last_error"),
    )


def sync_round(services, *, central_url: str | None = None) -> SyncResult:
    """Push everything pending, then pull what the centre decided. Raises CentralUnavailable when the
    centre cannot be reached (what was acknowledged before the failure stays acknowledged)."""
    if central_url:
        store_central_url(services, central_url)
    url = globals()["central_url"](services)
    if not url:
        raise BadInput("E_NO_CENTRAL", "未配置中心数据库：请用 yichuang sync --central 地址，或在设置中填写")
    client = CentralClient(url)
    try:
        try:
            hello = client.handshake(PROTOCOL)
        except ProtocolTooOld as e:
            raise ProtocolMismatch("E_PROTOCOL", "客户端版本过旧，中心不再接受：请升级一窗客户端") from e
        window = services.window()
        if hello.get("centre_code") != window.centre_code or hello.get("window_no") != window.window_no:
            raise BadInput(
                "E_CENTRAL_WINDOW",
                f"该连接属于 {hello.get('centre_code')} 中心 {hello.get('window_no')} 号窗口，"
                f"与本窗口（{window.centre_code} / {window.window_no}）不符",
            )
        services.set_setting("sync_clock_skew", str(_skew_seconds(services, hello.get("server_time"))))
        result = _push_all(services, client)
        pulled = _pull_all(services, client)
        result = SyncResult(result.pushed, result.duplicate, result.rejected, pulled)
    except CentralUnreachable as e:
        _record_failure(services, e.message)
        raise CentralUnavailable("E_CENTRAL", e.message) from e
    except CentralError as e:
        _record_failure(services, e.message)
        raise YichuangError("E_CENTRAL_REFUSED", e.message) from e
    except YichuangError as e:
        _record_failure(services, e.message)
        raise
    finally:
        client.close()
    now = services.clock()
    services.set_setting("sync_last_success", now.isoformat())
    services.set_setting("sync_online", "1")
    services.set_setting("sync_last_error", "")
    return result


def _skew_seconds(services, server_time) -> int:
    if not server_time:
        return 0
    try:
        server = datetime.fromisoformat(str(server_time))
    except ValueError:
        return 0
    from desktop.core.clock import SHANGHAI

    local = services.clock().replace(tzinfo=SHANGHAI)
    return int((local - server).total_seconds())


def _record_failure(services, message: str) -> None:
    services.set_setting("sync_online", "0")
    services.set_setting("sync_last_error", message)


def _push_all(services, client: CentralClient) -> SyncResult:
    pushed = duplicate = rejected = 0
    after_seq = 0
    while True:
        with services.Session() as s:
            batch = s.execute(
                select(OutboxOp.seq, OutboxOp.op_id, OutboxOp.kind, OutboxOp.payload, OutboxOp.sha256)
                .where(OutboxOp.state == "pending", OutboxOp.seq > after_seq)
                .order_by(OutboxOp.seq)
                .limit(PUSH_BATCH)
            ).all()
        if not batch:
            break
        after_seq = batch[-1].seq
        answers = client.push(
            [{"op_id": b.op_id, "kind": b.kind, "payload": b.payload, "sha256": b.sha256} for b in batch]
        )
        by_id = {a["op_id"]: a for a in answers}
        now = services.clock()
        with services.Session.begin() as s:
            for b in batch:
                answer = by_id.get(b.op_id)
                op = s.get(OutboxOp, b.seq)
                op.attempts += 1
                op.last_attempt_at = now
                if answer is None:
                    op.last_error = "中心未返回该操作的结果"
                    continue
                status = answer.get("status")
                op.result = json.dumps(answer, ensure_ascii=False, default=str)
                if status in ("applied", "duplicate"):
                    op.state = status
                    op.acked_at = now
                    op.last_error = ""
                    if status == "applied":
                        pushed += 1
                    else:
                        duplicate += 1
                else:
                    op.state = "rejected"
                    op.last_error = str(answer.get("reason", "rejected"))
                    rejected += 1
    return SyncResult(pushed=pushed, duplicate=duplicate, rejected=rejected)


def _pull_all(services, client: CentralClient) -> int:
    total = 0
    for stream in STREAMS:
        while True:
            with services.Session() as s:
                cp = s.get(SyncCheckpoint, stream)
                after = cp.last_seq if cp else 0
            page = client.pull(stream, after, PULL_BATCH)
            rows = page.get("rows", [])
            if not rows:
                break
            with services.Session.begin() as s:
                for row in rows:
                    _apply_change(s, stream, row)
                cp = s.get(SyncCheckpoint, stream)
                if cp is None:
                    cp = SyncCheckpoint(stream=stream, last_seq=0)
                    s.add(cp)
                cp.last_seq = int(page.get("last_seq", rows[-1]["seq"]))
            total += len(rows)
            if len(rows) < PULL_BATCH:
                break
    return total


def _apply_change(s, stream: str, row: dict) -> None:
    if stream == "case_status":
        data = row.get("data") or {}
        case = s.get(Case, data.get("case_no") or row.get("key"))
        if case is not None and data.get("status"):
            case.status = data["status"]
