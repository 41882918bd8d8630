"""Sync rounds with the central PostgreSQL: handshake, push the outbox (blobs first), pull the four streams.

Runs on whatever thread calls it (the GUI calls it from a worker, never the GUI thread). Every local
state change is its own short transaction, so a kill at any moment loses nothing: an op that was pushed
but not marked is pushed again and answered `duplicate` by the centre; a pulled page is applied in one
transaction together with its checkpoint, so it is applied whole or pulled again.

Memory stays flat with queue size: the outbox is read one batch at a time (only seq, op_id, kind,
payload and sha256 of that batch), blobs are read one bounded chunk at a time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update

from db.central import PROTOCOL as CENTRAL_PROTOCOL
from db.central import CentralClient, CentralError, CentralUnreachable, ProtocolTooOld
from db.local.models import (
    AuditEntry,
    Blob,
    CalendarDay,
    CalendarYear,
    Case,
    CaseEvent,
    CatalogueVersion,
    OutboxOp,
    SyncCheckpoint,
    User,
)
from desktop.core.audit import record_audit
from desktop.core.cases import deadlines
from desktop.core.catalogue import parse_catalogue
from desktop.core.catalogue.storage import store_catalogue
from desktop.core.config import SecretStore, join_secret, split_secret
from desktop.core.errors import BadInput, CentralUnavailable, ProtocolMismatch, YichuangError
from desktop.core.types import SyncResult, SyncStatus

PROTOCOL = CENTRAL_PROTOCOL
"""Protocol this client speaks; the centre must speak at least this much (new kinds and streams)."""
PUSH_BATCH = 1000
BLOB_CHUNK_BYTES = 8 * 1024 * 1024  # raw bytes of blob content per sync.put_blobs call
STREAMS = ("catalogue", "calendar", "users", "case_status")
PULL_LIMITS = {"catalogue": 1, "calendar": 20, "users": 500, "case_status": 1000}
PULL_BATCH = PULL_LIMITS["case_status"]
CENTRE_ACTOR = "centre"


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
    with services.Reader() as s:
        pending = s.scalar(select(func.count()).select_from(OutboxOp).where(OutboxOp.state == "pending")) or 0
        oldest = s.scalar(select(func.min(OutboxOp.created_at)).where(OutboxOp.state == "pending"))
        rejected = s.scalar(select(func.count()).select_from(OutboxOp).where(OutboxOp.state == "rejected")) or 0
    last = services.setting("sync_last_success")
    online_flag = services.setting("sync_online")
    configured = bool(services.setting("central_url"))
    return SyncStatus(
        online=(online_flag == "1") if configured else None,
        queue_length=pending,
        oldest_pending_at=oldest,
        last_success_at=datetime.fromisoformat(last) if last else None,
        last_error=services.setting("sync_last_error"),
        rejected=rejected,
    )


def clock_skew_seconds(services) -> int:
    """Local clock minus the centre's, in seconds, as measured by the last handshake (0 if never)."""
    try:
        return int(services.setting("sync_clock_skew", "0") or 0)
    except ValueError:
        return 0


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
        if int(hello.get("protocol") or 0) < PROTOCOL:
            raise ProtocolMismatch(
                "E_CENTRAL_OLD",
                f"中心数据库版本过旧（协议 {hello.get('protocol')}，本客户端需要 {PROTOCOL}）：请联系管理员升级中心数据库",
            )
        window = services.window()
        if hello.get("centre_code") != window.centre_code or hello.get("window_no") != window.window_no:
            raise BadInput(
                "E_CENTRAL_WINDOW",
                f"该连接属于 {hello.get('centre_code')} 中心 {hello.get('window_no')} 号窗口，"
                f"与本窗口（{window.centre_code} / {window.window_no}）不符",
            )
        services.set_setting("sync_clock_skew", str(_skew_seconds(services, hello.get("server_time"))))
        result = push_outbox(services, client)
        pulled = pull_streams(services, client)
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


# ---- up -------------------------------------------------------------------------------------------
def push_outbox(services, client: CentralClient, *, batch_size: int = PUSH_BATCH) -> SyncResult:
    """Push pending ops oldest first, one bounded batch at a time; blobs a batch refers to go first.

    Each batch's answers are recorded in one local transaction. Rejected ops become state "rejected"
    (the dead-letter list) and the next batch goes on regardless. While the centre works on batch k+1
    this thread records the answers to batch k (one helper thread makes the calls, one at a time), so
    at most two batches are held in memory."""
    from concurrent.futures import ThreadPoolExecutor

    pushed = duplicate = rejected = 0
    after_seq = 0
    in_flight = None  # (batch, future of its answers)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="yc-push") as pool:
        while True:
            with services.Reader() as s:
                batch = s.execute(
                    select(OutboxOp.seq, OutboxOp.op_id, OutboxOp.kind, OutboxOp.payload, OutboxOp.sha256)
                    .where(OutboxOp.state == "pending", OutboxOp.seq > after_seq)
                    .order_by(OutboxOp.seq)
                    .limit(batch_size)
                ).all()
            nxt = None
            if batch:
                after_seq = batch[-1].seq
                refs = _blob_refs(batch)
                if refs and in_flight is not None:  # blob uploads share the connection: drain first
                    p, d, r = _record_answers(services, in_flight[0], in_flight[1].result())
                    pushed, duplicate, rejected = pushed + p, duplicate + d, rejected + r
                    in_flight = None
                ops = [{"op_id": b.op_id, "kind": b.kind, "payload": b.payload, "sha256": b.sha256} for b in batch]
                nxt = (batch, pool.submit(_push_with_blobs, services, client, refs, ops))
            if in_flight is not None:
                try:
                    answers = in_flight[1].result()
                except BaseException:
                    if nxt is not None:
                        nxt[1].exception()  # let the next call finish before the error propagates
                    raise
                p, d, r = _record_answers(services, in_flight[0], answers)
                pushed, duplicate, rejected = pushed + p, duplicate + d, rejected + r
            if nxt is None:
                break
            in_flight = nxt
    return SyncResult(pushed=pushed, duplicate=duplicate, rejected=rejected)


def _push_with_blobs(services, client: CentralClient, refs: set[str], ops: list[dict[str, Any]]):
    upload_blobs(services, client, refs)
    return client.push(ops)


_MARK = (
    "UPDATE outbox SET state = ?, acked_at = ?, last_error = ?, result = ?, attempts = attempts + 1, "
    "last_attempt_at = ? WHERE seq = ?"
)


def _record_answers(services, batch: Sequence[Any], answers: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Mark one batch with the centre's answers in one local transaction (a plain executemany: this is
    the hot path of a long queue)."""
    by_id = {a.get("op_id"): a for a in answers}
    now = services.clock()
    acked = now.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DateTime storage form
    counts = {"applied": 0, "duplicate": 0, "rejected": 0}
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
    params = []
    for b in batch:
        answer = by_id.get(b.op_id)
        if answer is None:
            params.append(("pending", None, "中心未返回该操作的结果", "", acked, b.seq))
            continue
        status = answer.get("status")
        if status in ("applied", "duplicate"):
            counts[status] += 1
            params.append((status, acked, "", dumps(answer), acked, b.seq))
        else:
            counts["rejected"] += 1
            params.append(("rejected", None, str(answer.get("reason", "rejected")), dumps(answer), acked, b.seq))
    with services.Session.begin() as s:
        s.connection().exec_driver_sql(_MARK, params)
    return counts["applied"], counts["duplicate"], counts["rejected"]


def _blob_refs(batch: Sequence[Any]) -> set[str]:
    refs: set[str] = set()
    for b in batch:
        if b.kind == "attachment.linked":
            try:
                sha = json.loads(b.payload).get("sha256")
            except (ValueError, AttributeError):
                continue
            if isinstance(sha, str):
                refs.add(sha.lower())
    return refs


def _blob_path(services, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else Path(services.home) / p


def upload_blobs(services, client: CentralClient, shas: Iterable[str]) -> int:
    """Upload the not-yet-uploaded blobs among `shas` in chunks of at most BLOB_CHUNK_BYTES, marking each
    chunk uploaded in a local transaction once the centre holds it. Returns how many were marked.

    A blob whose file is missing or no longer matches its hash is left alone: the op that refers to it
    is then rejected "blob missing" and waits in the dead-letter list."""
    shas = sorted(set(shas))
    if not shas:
        return 0
    with services.Reader() as s:
        rows = s.execute(
            select(Blob.sha256, Blob.path).where(Blob.sha256.in_(shas), Blob.uploaded.is_(False))
        ).all()
    marked = 0
    chunk: list[tuple[str, bytes]] = []
    size = 0

    def flush() -> int:
        nonlocal chunk, size
        if not chunk:
            return 0
        stored = set(client.put_blobs(chunk))
        chunk, size = [], 0
        if not stored:
            return 0
        with services.Session.begin() as s:
            s.execute(update(Blob).where(Blob.sha256.in_(sorted(stored))).values(uploaded=True))
        return len(stored)

    for sha, path in rows:
        try:
            data = _blob_path(services, path).read_bytes()
        except OSError:
            continue
        if hashlib.sha256(data).hexdigest() != sha:
            continue
        if chunk and size + len(data) > BLOB_CHUNK_BYTES:
            marked += flush()
        chunk.append((sha, data))
        size += len(data)
    marked += flush()
    return marked


# ---- the dead-letter list -------------------------------------------------------------------------
def rejected_ops(services, *, limit: int = 200) -> list[dict[str, Any]]:
    """The dead-letter list, newest first: what the centre refused and why (for the supervisor)."""
    with services.Reader() as s:
        rows = s.execute(
            select(OutboxOp.op_id, OutboxOp.kind, OutboxOp.ref, OutboxOp.created_at, OutboxOp.attempts,
                   OutboxOp.last_error)
            .where(OutboxOp.state == "rejected").order_by(OutboxOp.seq.desc()).limit(limit)
        ).all()
    return [dict(r._mapping) for r in rows]


def _close_rejected(services, op_ids: Iterable[str], *, to_state: str, actor: str, action: str,
                    detail: str) -> int:
    """Move rejected ops to `to_state` with one audit record each (queued for the centre too)."""
    ids = sorted(set(op_ids))
    if not ids:
        return 0
    now = services.clock()
    with services.Session.begin() as s:
        found = s.execute(
            select(OutboxOp.op_id, OutboxOp.last_error)
            .where(OutboxOp.op_id.in_(ids), OutboxOp.state == "rejected")
        ).all()
        if found:
            s.execute(
                update(OutboxOp)
                .where(OutboxOp.op_id.in_([f.op_id for f in found]), OutboxOp.state == "rejected")
                .values(state=to_state, last_error="" if to_state == "pending" else OutboxOp.last_error)
            )
            window = services.window()
            for f in found:
                record_audit(s, window=window, at=now, actor=actor, action=action, ref=f.op_id,
                             detail=detail.format(error=f.last_error))
    return len(found)


def retry_rejected(services, op_ids: Iterable[str], *, by: str = "") -> int:
    """Put rejected ops back in the queue (state "pending"): the centre did not record a rejected op, so
    it judges it afresh next round. Returns how many went back. One audit entry per op."""
    return _close_rejected(services, op_ids, to_state="pending", actor=by or "system", action="outbox.retry",
                           detail="重新发送（上次被拒原因：{error}）")


def resolve_rejected(services, op_ids: Iterable[str], by: str, note: str) -> int:
    """Close rejected ops for good (state "resolved", kept, never sent again), with who and why in the
    audit log. Returns how many were resolved."""
    by, note = (by or "").strip(), (note or "").strip()
    if not by:
        raise BadInput("E_FIELD_REQUIRED", "请指明处理人", field="by")
    if not note:
        raise BadInput("E_FIELD_REQUIRED", "请填写处理说明", field="note")
    return _close_rejected(services, op_ids, to_state="resolved", actor=by, action="outbox.resolve",
                           detail=note.replace("{", "{{").replace("}", "}}") + "（被拒原因：{error}）")


# ---- down -----------------------------------------------------------------------------------------
def pull_streams(services, client: CentralClient, streams: Sequence[str] = STREAMS) -> int:
    """Pull every stream page by page from its checkpoint; each page is applied in one local transaction
    together with its new checkpoint. Returns the number of rows applied."""
    total = 0
    for stream in streams:
        limit = PULL_LIMITS.get(stream, PULL_BATCH)
        while True:
            with services.Reader() as s:
                cp = s.get(SyncCheckpoint, stream)
                after = cp.last_seq if cp else 0
            page = client.pull(stream, after, limit)
            rows = page.get("rows", [])
            if not rows:
                break
            now = services.clock()
            with services.Session.begin() as s:
                APPLY[stream](services, s, rows, now)
                cp = s.get(SyncCheckpoint, stream)
                if cp is None:
                    cp = SyncCheckpoint(stream=stream, last_seq=0)
                    s.add(cp)
                cp.last_seq = int(page.get("last_seq", rows[-1]["seq"]))
            services.invalidate("catalogue", "calendar")
            total += len(rows)
            if len(rows) < limit:
                break
    return total


def _apply_case_status(services, s, rows: list[dict[str, Any]], now: datetime) -> None:
    """Case.status follows the centre; a CaseEvent records each real change (not echoes of our own)."""
    keys = {(r.get("data") or {}).get("case_no") or r.get("key") for r in rows}
    current = dict(s.execute(select(Case.case_no, Case.status).where(Case.case_no.in_(keys))).all())
    changed: dict[str, str] = {}
    events = []
    for r in rows:
        data = r.get("data") or {}
        case_no = data.get("case_no") or r.get("key")
        status = data.get("status")
        if case_no not in current or not status or current[case_no] == status:
            continue
        current[case_no] = changed[case_no] = status
        note = data.get("note") or ""
        events.append({"case_no": case_no, "at": now, "actor": CENTRE_ACTOR, "event": "status",
                       "detail": f"{status}：{note}" if note else status})
    if changed:
        table = Case.__table__
        s.connection().execute(
            update(table).where(table.c.case_no == bindparam("b_case")).values(status=bindparam("b_status")),
            [{"b_case": k, "b_status": v} for k, v in changed.items()],
        )
        s.connection().execute(insert(CaseEvent.__table__), events)


def _apply_catalogue(services, s, rows: list[dict[str, Any]], now: datetime) -> None:
    """A new catalogue version is stored and made current (services.store_catalogue, as an import does);
    a version already here is left as it is. Older versions stay, so a queued case keeps its version."""

    for r in rows:
        data = r.get("data") or {}
        text = data.get("text") or ""
        version = data.get("version") or r.get("key")
        if not version or s.get(CatalogueVersion, version) is not None:
            continue
        try:
            catalogue = parse_catalogue(text)
            if catalogue.version != version:
                raise BadInput("E_CATALOGUE_VERSION", f"目录版本号不符：{catalogue.version} ≠ {version}")
        except YichuangError as e:  # a bad catalogue must not stop the stream: record it and go on
            s.add(AuditEntry(at=now, actor=CENTRE_ACTOR, action="catalogue.refused", ref=str(version)[:64],
                             detail=e.message))
            continue
        store_catalogue(s, catalogue, text, now=now, source="pulled")


def _apply_calendar(services, s, rows: list[dict[str, Any]], now: datetime) -> None:
    """Replace the covered years' calendar rows with the centre's."""
    for r in rows:
        data = r.get("data") or {}
        years = sorted({int(y) for y in data.get("years") or []})
        source = str(data.get("source") or "central")[:64]
        for y in years:
            s.execute(delete(CalendarDay).where(CalendarDay.day >= date(y, 1, 1), CalendarDay.day <= date(y, 12, 31)))
            s.execute(delete(CalendarYear).where(CalendarYear.year == y))
        s.flush()
        s.add_all(CalendarYear(year=y, source=source, imported_at=now) for y in years)
        days = {}
        for d in data.get("days") or []:
            day = date.fromisoformat(d["date"])
            if day.year in years:
                days[day] = {"day": day, "kind": d["kind"], "name": d.get("name") or ""}
        if days:
            s.execute(insert(CalendarDay), list(days.values()))
        s.add(AuditEntry(at=now, actor=CENTRE_ACTOR, action="calendar.pulled", ref=source,
                         detail=",".join(str(y) for y in years)))
    s.flush()
    deadlines.recompute_pending_in(services, s, actor=CENTRE_ACTOR)  # 待定 dates the new years cover


def _apply_users(services, s, rows: list[dict[str, Any]], now: datetime) -> None:
    """Create or update the window's users as the centre publishes them (last one wins)."""
    for r in rows:
        data = r.get("data") or {}
        login = data.get("login") or r.get("key")
        if not login:
            continue
        user = s.get(User, login)
        if user is None:
            if not data.get("password_hash"):
                continue
            user = User(login=login, active=True)
            s.add(user)
        user.name = data.get("name") or user.name or login
        user.staff_no = data.get("staff_no") or ""
        user.role = data.get("role") or "clerk"
        if data.get("password_hash"):
            user.password_hash = data["password_hash"]
        user.active = bool(data.get("active", True))
        s.flush()


APPLY = {
    "case_status": _apply_case_status,
    "catalogue": _apply_catalogue,
    "calendar": _apply_calendar,
    "users": _apply_users,
}
