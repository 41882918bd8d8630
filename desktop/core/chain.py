"""The window's tamper-evident record: its machine id, its key (OS keyring, never the store) and the two
HMAC chains over the outbox and the audit table, with their verification (`yichuang audit verify`).

Every outbox operation and every audit record carries a sequence number (1.., gapless), the MAC of the
record before it ("0"*64 for the first) and its own MAC:
    outbox: HMAC-SHA256(key, f"{chain_seq}|{chain_prev}|{op_id}|{kind}|{sha256}")
    audit:  HMAC-SHA256(key, f"{audit_seq}|{audit_prev}|{at}|{actor}|{action}|{ref}|{detail}")
The centre keeps each window's key and head and refuses an operation that does not extend it; locally a
clerk who edits the SQLite file (deletes, rewrites, reorders) breaks a MAC or the sequence, and the head
the store had when it was last closed is kept in the keyring too, so a cut-off tail or a wiped table
shows as well.

Chaining happens in a `before_flush` hook on every ORM session, so a row added anywhere (record_audit,
users.audit, the sync streams, enqueue) is chained in the transaction that adds it: one HMAC per row and
one indexed SELECT of the head per flush. A session without the key (`session.info["chain_key"]`) that
adds such a row fails (ChainKeyMissing): nothing is ever written unchained.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, event, inspect, select, text
from sqlalchemy.orm import Session

from db.central.wire import sha256_hex
from db.local.models import AuditEntry, OutboxOp, Setting
from desktop.core.config import SecretStore
from desktop.core.errors import YichuangError
from desktop.core.types import Window

__all__ = [
    "ZERO", "ChainBreak", "ChainKeyMissing", "ChainReport", "audit_mac", "client_identity", "key_account",
    "op_mac", "open_chain", "verify",
]

ZERO = "0" * 64


class Store(Protocol):
    """What this module needs of desktop.core.store.Store (which imports this module: no import back)."""

    home: Path
    chain_key: bytes | None
    Reader: Any

    def setting(self, key: str) -> str: ...
    def window(self) -> Window: ...


class ChainKeyMissing(YichuangError):
    """The store has a chain but this computer's keyring holds no key for it (a copied store, or a key
    removed): nothing can be recorded. CLI exit 1."""


def _key_missing() -> ChainKeyMissing:
    return ChainKeyMissing(
        "E_CHAIN_KEY",
        "本机密钥环中没有本窗口的签名密钥（数据文件可能是从另一台电脑复制来的，或密钥被删除），"
        "无法记录任何操作。请联系管理员：停用旧电脑后用 yichuang init --restore-from-central 在本机重新启用本窗口。",
    )


# ---- the formulas -----------------------------------------------------------------------------------
def at_text(at: datetime) -> str:
    """A time as the store keeps it (naive Shanghai wall-clock, microseconds), so a MAC computed before
    the insert matches the value read back."""
    return at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def op_mac(key: bytes, seq: int, prev: str, op_id: str, kind: str, sha256: str) -> str:
    return hmac.new(key, f"{seq}|{prev}|{op_id}|{kind}|{sha256}".encode(), hashlib.sha256).hexdigest()


def audit_mac(key: bytes, seq: int, prev: str, at: datetime, actor: str, action: str, ref: str,
              detail: str) -> str:
    msg = f"{seq}|{prev}|{at_text(at)}|{actor}|{action}|{ref}|{detail}"
    return hmac.new(key, msg.encode(), hashlib.sha256).hexdigest()


# ---- the key and the head in the keyring ------------------------------------------------------------
def key_account(centre_code: str, window_no: str) -> str:
    return f"{centre_code}-{window_no}-chain"


def _head_account(centre_code: str, window_no: str) -> str:
    return f"{centre_code}-{window_no}-chain-head"


def load_key(home: Path, centre_code: str, window_no: str) -> bytes | None:
    value = SecretStore(home, key_account(centre_code, window_no)).get()
    try:
        key = bytes.fromhex(value)
    except ValueError:
        return None
    return key if len(key) == 32 else None


def save_key(home: Path, centre_code: str, window_no: str, key: bytes) -> None:
    SecretStore(home, key_account(centre_code, window_no)).set(key.hex())


def load_checkpoint(home: Path, centre_code: str, window_no: str) -> dict[str, Any]:
    """{"base": [seq, mac], "outbox": [seq, mac], "audit": [seq, mac]} as last written, or {}."""
    value = SecretStore(home, _head_account(centre_code, window_no)).get()
    try:
        data = json.loads(value) if value else {}
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def save_checkpoint(home: Path, centre_code: str, window_no: str, data: dict[str, Any]) -> None:
    SecretStore(home, _head_account(centre_code, window_no)).set(json.dumps(data, sort_keys=True))


# ---- heads ------------------------------------------------------------------------------------------
def _base(conn) -> tuple[int, str]:
    """Where the outbox chain starts: (0, ZERO), or the centre's head for a window restored from it."""
    row = conn.execute(text("SELECT value FROM settings WHERE key = 'chain_base'")).scalar()
    if row:
        seq, mac = row.split(":", 1)
        return int(seq), mac
    return 0, ZERO


def _outbox_head(conn) -> tuple[int, str]:
    row = conn.execute(text(
        "SELECT chain_seq, chain_mac FROM outbox WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1"
    )).first()
    return (row[0], row[1]) if row else _base(conn)


def _audit_head(conn) -> tuple[int, str]:
    row = conn.execute(text(
        "SELECT audit_seq, audit_mac FROM audit WHERE audit_seq IS NOT NULL ORDER BY audit_seq DESC LIMIT 1"
    )).first()
    return (row[0], row[1]) if row else (0, ZERO)


def heads(engine: Engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {"outbox": list(_outbox_head(conn)), "audit": list(_audit_head(conn))}


# ---- chaining new rows ------------------------------------------------------------------------------
def _link_op(key: bytes, op: OutboxOp, seq: int, prev: str) -> str:
    op.chain_seq, op.chain_prev = seq, prev
    op.chain_mac = op_mac(key, seq, prev, op.op_id, op.kind, op.sha256)
    return op.chain_mac


def _link_audit(key: bytes, entry: AuditEntry, seq: int, prev: str) -> str:
    entry.ref = entry.ref or ""
    entry.detail = entry.detail or ""
    entry.audit_seq, entry.audit_prev = seq, prev
    entry.audit_mac = audit_mac(key, seq, prev, entry.at, entry.actor, entry.action, entry.ref, entry.detail)
    return entry.audit_mac


@event.listens_for(Session, "before_flush")
def _chain_new_rows(session: Session, _flush_context, _instances) -> None:
    ops: list[OutboxOp] = []
    entries: list[AuditEntry] = []
    for obj in session.new:
        if isinstance(obj, OutboxOp) and obj.chain_seq is None:
            ops.append(obj)
        elif isinstance(obj, AuditEntry) and obj.audit_seq is None:
            entries.append(obj)
    if not ops and not entries:
        return
    key = session.info.get("chain_key")
    if key is None:
        raise _key_missing()
    conn = session.connection()
    if ops:
        ops.sort(key=lambda o: inspect(o).insert_order)  # the order they were added is the order inserted
        seq, prev = _outbox_head(conn)
        for op in ops:
            seq += 1
            prev = _link_op(key, op, seq, prev)
    if entries:
        entries.sort(key=lambda e: inspect(e).insert_order)
        seq, prev = _audit_head(conn)
        for entry in entries:
            seq += 1
            prev = _link_audit(key, entry, seq, prev)


# ---- opening a store's chain --------------------------------------------------------------------------
def _any_chained(s: Session) -> bool:
    return (s.scalar(select(OutboxOp.seq).where(OutboxOp.chain_seq.is_not(None)).limit(1)) is not None
            or s.scalar(select(AuditEntry.id).where(AuditEntry.audit_seq.is_not(None)).limit(1)) is not None)


def _chain_legacy(s: Session, key: bytes) -> None:
    """Chain the rows a store had before it had a chain (upgraded from revision 0007), in their order."""
    conn = s.connection()
    seq, prev = _outbox_head(conn)
    for row_seq, op_id, kind, sha in conn.execute(text(
            "SELECT seq, op_id, kind, sha256 FROM outbox WHERE chain_seq IS NULL ORDER BY seq")).all():
        seq += 1
        mac = op_mac(key, seq, prev, op_id, kind, sha)
        conn.execute(text("UPDATE outbox SET chain_seq = :n, chain_prev = :p, chain_mac = :m WHERE seq = :s"),
                     {"n": seq, "p": prev, "m": mac, "s": row_seq})
        prev = mac
    seq, prev = _audit_head(conn)
    for entry in s.scalars(select(AuditEntry).where(AuditEntry.audit_seq.is_(None)).order_by(AuditEntry.id)):
        seq += 1
        prev = _link_audit(key, entry, seq, prev)
    s.flush()


def ensure_machine_id(s: Session) -> str:
    row = s.get(Setting, "machine_id")
    if row is None or not row.value:
        value = uuid.uuid4().hex
        s.merge(Setting(key="machine_id", value=value))
        return value
    return row.value


def open_chain(engine: Engine, home: Path, centre_code: str, window_no: str) -> bytes | None:
    """This window's key, made now if the store has none yet: at `init` of a new store, or at the first
    open of a store upgraded from before the chain, whose rows are then chained in the same transaction
    (the key is not in the store, so the migration could not). A store that already has chained rows
    but whose key is not in this computer's keyring gets None: it can be read and verified as far as
    that goes, and any write that records something fails with ChainKeyMissing.

    Rows are chained here only while the key is being made, never later: a clerk who blanks the chain
    columns in the file does not get them re-signed."""
    key = load_key(home, centre_code, window_no)
    if key is not None:
        return key
    with Session(engine) as s, s.begin():
        if _any_chained(s):
            return None
        key = secrets.token_bytes(32)
        ensure_machine_id(s)
        _chain_legacy(s, key)
        save_key(home, centre_code, window_no, key)  # before the commit: no chained rows without their key
    return key


def configure_sessions(sessionmaker, key: bytes | None) -> None:
    """Sessions from `sessionmaker` chain what they add with `key` (None: they refuse to add records)."""
    sessionmaker.configure(info={"chain_key": key})


def checkpoint(engine: Engine, home: Path, centre_code: str, window_no: str,
               base: tuple[int, str] | None = None) -> None:
    """Keep the chains' heads in the keyring (at close, after init and restore), so a tail cut off the
    file or a wiped table shows at verify. `base` records where a restored window's chain starts."""
    data = load_checkpoint(home, centre_code, window_no)
    now = heads(engine)
    if base is not None:
        now["base"] = list(base)
    elif "base" in data:
        now["base"] = data["base"]
    if now != data:
        save_checkpoint(home, centre_code, window_no, now)


def client_identity(store: Store) -> dict[str, str]:
    """What the handshake sends and bind_window registers: {"machine_id", "key_sha256", "window_key"}
    (hex). ChainKeyMissing when this computer's keyring has no key for the window."""
    if store.chain_key is None:
        raise _key_missing()
    return {"machine_id": store.setting("machine_id"),
            "key_sha256": hashlib.sha256(store.chain_key).hexdigest(),
            "window_key": store.chain_key.hex()}


def window_key(store: Store) -> tuple[str, str, bytes] | None:
    """(centre code, window number, key): what this window signs its calls through the centre pooler's
    shared entry with (db.central.client.CentralClient's window_key); None where this computer has no key
    (the call then says so if it meets the shared entry)."""
    if store.chain_key is None:
        return None
    w = store.window()
    return (w.centre_code, w.window_no, store.chain_key)


# ---- verification -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainBreak:
    chain: str  # outbox | audit
    record: str  # names the record, in Chinese, for the clerk and the administrator
    reason: str

    def message(self) -> str:
        return f"{self.record}：{self.reason}"


@dataclass(frozen=True)
class ChainReport:
    outbox: int  # records checked
    audit: int
    breaks: tuple[ChainBreak, ...]  # the first break of each chain, outbox first

    @property
    def ok(self) -> bool:
        return not self.breaks

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "outbox": self.outbox, "audit": self.audit,
                "broken": [{"chain": b.chain, "record": b.record, "reason": b.reason} for b in self.breaks]}


def _op_name(row) -> str:
    return f"上传队列第 {row.seq} 行（链序号 {row.chain_seq}，操作 {row.op_id}，{row.kind} {row.ref}）"


def _audit_name(row) -> str:
    return f"审计记录第 {row.id} 行（链序号 {row.audit_seq}，{row.action} {row.ref}）"


def _check_tail(chain: str, seen: dict[int, str], last: int, held: Any) -> ChainBreak | None:
    """The head kept in the keyring must still be in the chain, with the same MAC."""
    if not (isinstance(held, list) and len(held) == 2):
        return None
    seq, mac = int(held[0]), str(held[1])
    name = "上传队列" if chain == "outbox" else "审计记录"
    if seq > last:
        return ChainBreak(chain, f"{name}链序号 {last + 1} 至 {seq}",
                          f"记录缺失：本机上次关闭时链头为第 {seq} 条，现在只到第 {last} 条（记录被删除）")
    if seq in seen and seen[seq] != mac:
        return ChainBreak(chain, f"{name}链序号 {seq}", "与本机上次关闭时记下的链头不符（记录被替换）")
    return None


def _walk(chain: str, rows: Iterable[Any], base: tuple[int, str], held: Any,
          link: Callable[[Any], tuple[str, int | None, str | None, str | None, str, str | None]],
          ) -> tuple[int, ChainBreak | None]:
    """Walk one chain in order from `base`. `link(row)` gives (name, seq, prev, mac, the MAC the row should
    carry, a content problem or None); the first break is returned with how many rows were read."""
    expected, prev = base
    seen: dict[int, str] = {}
    n = 0
    for row in rows:
        n += 1
        expected += 1
        name, seq, row_prev, mac, should_be, problem = link(row)
        if seq is None or mac is None:
            return n, ChainBreak(chain, name, "没有链签名（记录是绕过本程序写入的）")
        if seq != expected:
            return n, ChainBreak(chain, name, f"链序号应为 {expected}（此前的记录被删除或顺序被调换）")
        if row_prev != prev:
            return n, ChainBreak(chain, name, "与前一条记录的签名不衔接（前一条被删除、替换或顺序被调换）")
        if not hmac.compare_digest(mac, should_be):
            return n, ChainBreak(chain, name, "签名不符（记录内容被改动）")
        if problem:
            return n, ChainBreak(chain, name, problem)
        seen[seq] = mac
        prev = mac
    return n, _check_tail(chain, seen, expected, held)


def _verify_outbox(s: Session, key: bytes, base: tuple[int, str], held: Any) -> tuple[int, ChainBreak | None]:
    def link(row):
        should_be = op_mac(key, row.chain_seq, row.chain_prev, row.op_id, row.kind, row.sha256) \
            if row.chain_seq is not None and row.chain_mac is not None else ""
        problem = None
        if (row.payload or row.state == "pending") and sha256_hex(row.payload) != row.sha256:
            problem = "内容与其摘要不符（待上传的内容被改动）"
        return _op_name(row), row.chain_seq, row.chain_prev, row.chain_mac, should_be, problem

    return _walk("outbox", s.execute(select(OutboxOp).order_by(OutboxOp.seq)).scalars(), base, held, link)


def _verify_audit(s: Session, key: bytes, held: Any) -> tuple[int, ChainBreak | None]:
    def link(row):
        should_be = audit_mac(key, row.audit_seq, row.audit_prev, row.at, row.actor, row.action, row.ref or "",
                              row.detail or "") if row.audit_seq is not None and row.audit_mac is not None else ""
        return _audit_name(row), row.audit_seq, row.audit_prev, row.audit_mac, should_be, None

    return _walk("audit", s.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars(), (0, ZERO), held,
                 link)


def verify(store: Store) -> ChainReport:
    """Check both chains of the store against this window's key and the heads kept in the keyring."""
    if store.chain_key is None:
        raise _key_missing()
    window = store.window()
    held = load_checkpoint(store.home, window.centre_code, window.window_no)
    with store.Reader() as s:
        base = _base(s.connection())
        held_base = held.get("base", [0, ZERO]) if held else list(base)
        if not isinstance(held_base, list) or tuple(held_base) != base:
            return ChainReport(0, 0, (ChainBreak("outbox", "上传队列起点",
                                                 "起点与本机密钥环中记下的不符（设置被改动）"),))
        n_ops, op_break = _verify_outbox(s, store.chain_key, base, held.get("outbox"))
        n_audit, audit_break = _verify_audit(s, store.chain_key, held.get("audit"))
    breaks: Iterable[ChainBreak | None] = (op_break, audit_break)
    return ChainReport(n_ops, n_audit, tuple(b for b in breaks if b is not None))
