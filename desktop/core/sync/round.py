"""A sync round: handshake, push the outbox (blobs first), pull the down streams.

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
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from db.central.errors import CentralError, CentralUnreachable, ProtocolTooOld
from db.central.wire import CHAIN_FIELDS
from db.local.models import Blob, OutboxOp, SyncCheckpoint
from desktop.core import chain, retention
from desktop.core.clock import SHANGHAI
from desktop.core.errors import BadInput, CentralUnavailable, ProtocolMismatch, YichuangError
from desktop.core.outbox.kinds import blobs_cited
from desktop.core.sync import loop
from desktop.core.sync import streams as down
from desktop.core.sync.link import CandidateLink, candidate_link
from desktop.core.sync.protocol import PROTOCOL
from desktop.core.sync.transport import Transport
from desktop.core.types import SyncResult

if TYPE_CHECKING:
    from desktop.core.store import Store

__all__ = [
    "BLOB_CHUNK_BYTES",
    "PUSH_BATCH",
    "client_identity",
    "link_central",
    "pull_streams",
    "push_outbox",
    "refuse_demo_store",
    "sync_round",
    "upload_blobs",
]

PUSH_BATCH = 1000
"""Ops per sync.push call; read at each push (tests lower it so a kill lands between batches)."""
BLOB_CHUNK_BYTES = 8 * 1024 * 1024  # raw bytes of blob content per sync.put_blobs call


_CHAIN_COLUMNS = tuple(getattr(OutboxOp, c) for c in CHAIN_FIELDS if hasattr(OutboxOp, c))
"""The outbox's chain columns (chain_seq, chain_prev, chain_mac) once the store has them."""


def client_identity(store: Store) -> dict[str, str]:
    """This machine's identity for the handshake: {"machine_id", "key_sha256", "window_key"} (hex), from the
    window key in the keyring (ChainKeyMissing, a clear Chinese message, where this computer has none)."""
    return chain.client_identity(store)


def _open_transport(store: Store, candidate: CandidateLink | None = None) -> Transport:
    """The real transport: the central PostgreSQL at the stored URL (or the candidate's), over TLS with
    the pinned CA."""
    from db.central.client import CentralClient  # psycopg (with asyncio, ~23 MB) loads at the first round

    if candidate is None:
        candidate = candidate_link(store)
    return CentralClient(candidate.url, ca_cert=candidate.ca_file, window_key=chain.window_key(store))


def link_central(store: Store, *, url: str | None = None, ca_cert: str | Path | None = None,
                 transport: Transport | None = None) -> str:
    """Point the window at its centre: a handshake over the new URL and/or CA first, and only when it
    succeeds (the centre answers as this window) are they stored. Returns where the password went.
    A failure raises like sync_round and leaves the stored link as it was."""
    refuse_demo_store(store)
    candidate = candidate_link(store, url, ca_cert)
    try:
        link = _open_transport(store, candidate) if transport is None else transport
        try:
            _greet(store, link)
        except CentralUnreachable as e:
            raise CentralUnavailable("E_CENTRAL", e.message) from e
        except CentralError as e:
            raise YichuangError("E_CENTRAL_REFUSED", e.message) from e
        finally:
            if transport is None:
                link.close()
        return candidate.commit(store)
    finally:
        candidate.discard()


def refuse_demo_store(store: Store) -> None:
    """BadInput (exit 2) on a store holding demo data (`yichuang demo-data`): it never reaches a centre."""
    if store.setting("demo_data") == "1":
        raise BadInput("E_DEMO_STORE", "本数据目录存有演示数据（yichuang demo-data 生成），仅供演示，不能与中心同步；"
                       "正式使用请另建数据目录（yichuang init）")


def _greet(store: Store, link: Transport) -> None:
    """The handshake: the centre must speak our protocol, answer as this very window, and know this machine
    (a window unbound since add-window or retire-window is bound now: trust on first use)."""
    me = client_identity(store)
    client = {"machine_id": me["machine_id"], "key_sha256": me["key_sha256"],
              "client_time": store.clock().replace(tzinfo=SHANGHAI).isoformat()}
    try:
        hello = link.handshake(PROTOCOL, client)
    except ProtocolTooOld as e:
        raise ProtocolMismatch("E_PROTOCOL", "客户端版本过旧，中心不再接受：请升级一窗客户端") from e
    if int(hello.get("protocol") or 0) < PROTOCOL:
        raise ProtocolMismatch(
            "E_CENTRAL_OLD",
            f"中心数据库版本过旧（协议 {hello.get('protocol')}，本客户端需要 {PROTOCOL}）：请联系管理员升级中心数据库",
        )
    window = store.window()
    if hello.get("centre_code") != window.centre_code or hello.get("window_no") != window.window_no:
        raise BadInput(
            "E_CENTRAL_WINDOW",
            f"该连接属于 {hello.get('centre_code')} 中心 {hello.get('window_no')} 号窗口，"
            f"与本窗口（{window.centre_code} / {window.window_no}）不符",
        )
    if hello.get("bound") is False and me["window_key"]:
        link.bind_window(me["machine_id"], me["window_key"])
    store.set_setting("sync_clock_skew", str(_skew_seconds(store, hello.get("server_time"))))


def sync_round(store: Store, *, central_url: str | None = None, ca_cert: str | Path | None = None,
               transport: Transport | None = None) -> SyncResult:
    """Push everything pending, then pull what the centre decided. Raises CentralUnavailable when the
    centre cannot be reached (what was acknowledged before the failure stays acknowledged).

    `transport` defaults to the central PostgreSQL at the stored URL over TLS with the stored CA; a new
    `central_url` and/or `ca_cert` is tried first and stored only once the handshake over it succeeded
    (a typo never replaces the working link). A transport passed in stays open, one opened here is
    closed here."""
    refuse_demo_store(store)
    candidate = candidate_link(store, central_url, ca_cert) if (central_url or ca_cert) else None
    owned = transport is None
    try:
        link = _open_transport(store, candidate) if transport is None else transport
    except BaseException:
        if candidate is not None:
            candidate.discard()
        raise
    try:
        try:
            _greet(store, link)
            if candidate is not None:
                candidate.commit(store)
            result = push_outbox(store, link)
            pulled = pull_streams(store, link)
            loop.reconcile_rejected(store)  # a case whose version lost goes back to the centre's
            result = SyncResult(result.pushed, result.duplicate, result.rejected, pulled)
        except CentralUnreachable as e:
            _record_failure(store, e.message)
            raise CentralUnavailable("E_CENTRAL", e.message) from e
        except CentralError as e:
            _record_failure(store, e.message)
            raise YichuangError("E_CENTRAL_REFUSED", e.message) from e
        except YichuangError as e:
            _record_failure(store, e.message)
            raise
        finally:
            if owned:
                link.close()
    finally:
        if candidate is not None:
            candidate.discard()
    now = store.clock()
    store.set_setting("sync_last_success", now.isoformat())
    store.set_setting("sync_online", "1")
    store.set_setting("sync_last_error", "")
    retention.purge_applied_payloads(store)  # what the centre has for good leaves the window's disk
    return result


def _skew_seconds(store: Store, server_time) -> int:
    if not server_time:
        return 0
    try:
        server = datetime.fromisoformat(str(server_time))
    except ValueError:
        return 0
    local = store.clock().replace(tzinfo=SHANGHAI)
    return int((local - server).total_seconds())


def _record_failure(store: Store, message: str) -> None:
    store.set_setting("sync_online", "0")
    store.set_setting("sync_last_error", message)


# ---- up -------------------------------------------------------------------------------------------
def push_outbox(store: Store, transport: Transport, *, batch_size: int | None = None) -> SyncResult:
    """Push pending ops oldest first, one bounded batch (PUSH_BATCH) at a time; blobs a batch cites go first.

    Each batch's answers are recorded in one local transaction. Rejected ops become state "rejected"
    (the dead-letter list) and the next batch goes on regardless. While the centre works on batch k+1
    this thread records the answers to batch k (one helper thread makes the calls, one at a time), so
    at most two batches are held in memory."""
    refuse_demo_store(store)
    batch_size = batch_size or PUSH_BATCH
    pushed = duplicate = rejected = 0
    after_seq = 0
    in_flight = None  # (batch, future of its answers)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="yc-push") as pool:
        while True:
            with store.Reader() as s:
                batch = s.execute(
                    select(OutboxOp.seq, OutboxOp.op_id, OutboxOp.kind, OutboxOp.payload, OutboxOp.sha256,
                           *_CHAIN_COLUMNS)
                    .where(OutboxOp.state == "pending", OutboxOp.seq > after_seq)
                    .order_by(OutboxOp.seq)
                    .limit(batch_size)
                ).all()
            nxt = None
            if batch:
                after_seq = batch[-1].seq
                refs = blobs_cited(batch)
                if refs and in_flight is not None:  # blob uploads share the connection: drain first
                    p, d, r = _record_answers(store, in_flight[0], in_flight[1].result())
                    pushed, duplicate, rejected = pushed + p, duplicate + d, rejected + r
                    in_flight = None
                ops = [_envelope(b) for b in batch]
                nxt = (batch, pool.submit(_push_with_blobs, store, transport, refs, ops))
            if in_flight is not None:
                try:
                    answers = in_flight[1].result()
                except BaseException:
                    if nxt is not None:
                        nxt[1].exception()  # let the next call finish before the error propagates
                    raise
                p, d, r = _record_answers(store, in_flight[0], answers)
                pushed, duplicate, rejected = pushed + p, duplicate + d, rejected + r
            if nxt is None:
                break
            in_flight = nxt
    return SyncResult(pushed=pushed, duplicate=duplicate, rejected=rejected)


def _envelope(row: Any) -> dict[str, Any]:
    """One op as sync.push takes it; a chained op (a bound window) carries its place in the chain."""
    op = {"op_id": row.op_id, "kind": row.kind, "payload": row.payload, "sha256": row.sha256}
    for key in CHAIN_FIELDS:
        value = getattr(row, key, None)
        if value is not None:
            op[key] = value
    return op


def _push_with_blobs(store: Store, transport: Transport, refs: set[str], ops: list[dict[str, Any]]):
    upload_blobs(store, transport, refs)
    return transport.push(ops)


_MARK = (
    "UPDATE outbox SET state = ?, acked_at = ?, last_error = ?, result = ?, attempts = attempts + 1, "
    "last_attempt_at = ? WHERE seq = ?"
)


def _record_answers(store: Store, batch: Sequence[Any], answers: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Mark one batch with the centre's answers in one local transaction (a plain executemany: this is
    the hot path of a long queue)."""
    by_id = {a.get("op_id"): a for a in answers}
    now = store.clock()
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
    with store.Session.begin() as s:
        s.connection().exec_driver_sql(_MARK, params)
    return counts["applied"], counts["duplicate"], counts["rejected"]


def _blob_path(store: Store, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else Path(store.home) / p


def upload_blobs(store: Store, transport: Transport, shas: Iterable[str]) -> int:
    """Upload the not-yet-uploaded blobs among `shas` in chunks of at most BLOB_CHUNK_BYTES, marking each
    chunk uploaded in a local transaction once the centre holds it. Returns how many were marked.

    A blob whose file is missing or no longer matches its hash is left alone: the op that refers to it
    is then rejected "blob missing" and waits in the dead-letter list."""
    shas = sorted(set(shas))
    if not shas:
        return 0
    with store.Reader() as s:
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
        stored = set(transport.put_blobs(chunk))
        chunk, size = [], 0
        if not stored:
            return 0
        with store.Session.begin() as s:
            s.execute(update(Blob).where(Blob.sha256.in_(sorted(stored))).values(uploaded=True))
        return len(stored)

    for sha, path in rows:
        try:
            data = _blob_path(store, path).read_bytes()
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


# ---- down -----------------------------------------------------------------------------------------
def pull_streams(store: Store, transport: Transport, streams: Sequence[str] = tuple(down.STREAMS)) -> int:
    """Pull every stream page by page from its checkpoint; each page is applied in one local transaction
    together with its new checkpoint, then the store drops the caches that page made stale. Returns the
    number of rows applied.

    The first page of every stream comes in one call when the transport has `pull_all` (central c0015: one
    round trip and one log-in check instead of one per stream); the streams are still applied in their order,
    each paged to its end with `pull` before the next (a later stream's first page was read earlier, which
    only makes it older: the next round continues from its checkpoint)."""
    first = _first_pages(store, transport, streams)
    total = 0
    for name in streams:
        stream = down.STREAMS[name]
        limit = down.PULL_LIMITS.get(name, stream.page_limit)
        while True:
            page = first.pop(name, None)
            if page is None:
                with store.Reader() as s:
                    cp = s.get(SyncCheckpoint, name)
                    after = cp.last_seq if cp else 0
                page = transport.pull(name, after, limit)
            rows = page.get("rows", [])
            if not rows:
                break
            now = store.clock()
            with store.Session.begin() as s:
                stream.apply(store, s, rows, now)
                cp = s.get(SyncCheckpoint, name)
                if cp is None:
                    cp = SyncCheckpoint(stream=name, last_seq=0)
                    s.add(cp)
                cp.last_seq = int(page.get("last_seq", rows[-1]["seq"]))
            if stream.invalidates:
                store.invalidate(*stream.invalidates)
            total += len(rows)
            if len(rows) < limit:
                break
    return total


def _first_pages(store: Store, transport: Transport, streams: Sequence[str]) -> dict[str, dict[str, Any]]:
    """{stream: its next page} from one transport.pull_all call, or {} when the transport has none."""
    pull_all = getattr(transport, "pull_all", None)
    if pull_all is None or not streams:
        return {}
    with store.Reader() as s:
        cps = {cp.stream: cp.last_seq for cp in s.scalars(select(SyncCheckpoint))}
    limits = {name: down.PULL_LIMITS.get(name, down.STREAMS[name].page_limit) for name in streams}
    return dict(pull_all({name: cps.get(name, 0) for name in streams}, limits))
