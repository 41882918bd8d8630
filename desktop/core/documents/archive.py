"""Printing a case's documents: render, archive with the case (never overwriting an archived file), record
the print and queue its `document.printed` operation; reprints (补打), owed documents, the manifest."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from db.local.models import CaseEvent, Document, DocumentNumber, DocumentOwed
from desktop.core import config
from desktop.core.backup_clerks import active_backup
from desktop.core.cases import records
from desktop.core.clock import to_iso
from desktop.core.documents import numbers, registry
from desktop.core.documents.signer import document_clerk
from desktop.core.errors import AuthError, BadInput, DiskFull, PrintOwed, YichuangError, storage_failure
from desktop.core.outbox import enqueue
from desktop.core.roles import can, require
from desktop.core.store import Store
from desktop.core.types import CaseRecord, Clerk, PrintedDocument


def check_out_dir(out_dir: Path) -> Path:
    """The folder `--out` names, created if missing and proven writable, or BadInput (E_OUT_DIR / E_OUT_LINK):
    called before anything is stored, so a bad `--out` never leaves a stored case without its documents."""
    p = Path(out_dir)
    if p.is_symlink():
        raise BadInput("E_OUT_LINK", f"输出文件夹 {p} 是符号链接：为防止文书被写到别处，请给出真实的文件夹", field="out")
    if p.exists() and not p.is_dir():
        raise BadInput("E_OUT_DIR", f"输出位置 {p} 是一个文件，不是文件夹", field="out")
    existing = p
    while not os.path.lexists(existing) and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput("E_OUT_DIR", f"输出位置 {p} 位于文件 {existing} 之下，无法在其中创建文件夹", field="out")
    try:
        p.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".yichuang-probe-", dir=p)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        failure = storage_failure(e, str(p))
        if failure is not None:
            raise failure from e
        raise BadInput("E_OUT_DIR", f"输出文件夹 {p} 无法写入（{e.strerror}），请换一个文件夹", field="out") from e
    return p


def write_new(path: Path, data: bytes) -> Path:
    """Write `data` as `path`, or as the same name with -2, -3 … when that name is taken: through a temporary
    file (created exclusively, never through a link) that is fsynced and then linked into place, so an
    archived file is never overwritten, a crash never leaves half a PDF under the real name, and a planted
    symbolic link is refused (E_OUT_LINK), never followed. Returns the path written."""
    folder = path.parent
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        candidate, n = path, 1
        while True:
            if candidate.is_symlink():
                raise BadInput("E_OUT_LINK", f"{candidate} 是符号链接，已拒绝写入（文书不会写到链接指向的位置）",
                               field="out")
            try:
                os.link(tmp, candidate)  # fails if the name exists: never replaces anything
                break
            except FileExistsError:
                n += 1
                candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
            except OSError as e:
                if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
                if os.path.lexists(candidate):  # a file system without hard links: rename to a free name
                    n += 1
                    candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
                    continue
                os.rename(tmp, candidate)
                break
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return candidate


def owe_documents(s, *, case_no: str, kinds: list[str], now, reason: str) -> list[int]:
    """Record, in the caller's transaction (the case's own), that `kinds` are owed for `case_no`; each print
    settles its entry. A print that fails, or a process killed while printing, leaves them listed for
    `yichuang reprint --owed` and the worklist."""
    rows = [DocumentOwed(case_no=case_no, kind=k, reason=reason, created_at=now) for k in kinds]
    s.add_all(rows)
    s.flush()
    return [r.id for r in rows]


def print_document(store: Store, *, record: CaseRecord, kind: str, paper: str = "a4", out_dir: Path | None = None,
                   clerk: Clerk | None = None, extra: dict[str, Any] | None = None, owed_id: int | None = None,
                   reissue: bool = False, issue: bool = False, corrected: bool = False) -> PrintedDocument:
    """Render one document, archive it with its case (a reprint is marked 补打 with its count, on any paper),
    and queue a `document.printed` operation. Returns where the PDF is. A decision document's number is
    issued in the transaction that records its print (numbers.edition).

    `issue`: a new document handed over at a visit (its own number), never 补打 of an earlier one.
    `reissue`: a new edition of the document (its content changed, e.g. 待定 dates now known), not 补打.
    `owed_id`: the documents-owed entry this print settles, in the same transaction.
    `corrected`: a corrected version after a correction of the case, marked 更正 (with `reissue`)."""
    if corrected:
        record = replace(record, corrected=True)
    now = store.clock()
    who = clerk or record.clerk
    with store.Session.begin() as s:
        earlier, reprint, number = numbers.edition(s, store, case_no=record.case_no, kind=kind, now=now,
                                                   issue=issue, reissue=reissue)
        record = replace(record, clerk=document_clerk(s, record=record, kind=kind, reprint=reprint, printer=who,
                                                      at=now))
        from desktop.core.seal.sealing import render_sealed  # the seal QR of a decision document

        pdf, warning = render_sealed(store, kind, record, paper=paper, reprint=reprint, extra=extra, now=now,
                                     number=getattr(number, "doc_no", number) or "")
        name = f"{record.case_no}-{kind}-{paper}" + (f"-r{reprint}" if reprint else "") + (
            f"-e{earlier + 1}" if reissue else "") + ".pdf"
        folder = config.documents_dir(store.home) / f"{record.received_at:%Y/%m/%d}"
        try:
            config.private_dir(folder)  # 0700 folders, 0600 files: the archive holds personal data
            archive = write_new(folder / name, pdf)  # never overwrites, never follows a planted link
            path = archive
            if out_dir is not None:
                out_dir.mkdir(parents=True, exist_ok=True)
                path = write_new(out_dir / name, pdf)
        except OSError as e:
            raise storage_failure(e, str(folder)) or e
        digest = hashlib.sha256(pdf).hexdigest()
        doc = Document(case_no=record.case_no, kind=kind, paper=paper, path=str(archive), sha256=digest,
                       reprint=reprint, printed_at=now, clerk_login=who.login)
        s.add(doc)
        if isinstance(number, DocumentNumber):
            s.flush()
            number.document_id = doc.id
        if owed_id is not None:
            owed = s.get(DocumentOwed, owed_id)
            if owed is not None and owed.settled_at is None:
                owed.settled_at = now
        enqueue(s, kind="document.printed", ref=record.case_no, now=now, payload={
            "case_no": record.case_no, "kind": kind, "sha256": digest, "printed_at": to_iso(now),
            "reprint": reprint, "paper": paper, "clerk_login": who.login,
            **({"corrected": True} if corrected else {}),
        })
    return PrintedDocument(kind=kind, path=str(path), paper=paper, reprint=reprint, printed_at=now, warning=warning)


def print_visit(store: Store, record: CaseRecord, kinds: list[str], *, paper: str, out_dir: Path | None,
                clerk: Clerk | None = None, owed_ids: list[int] | None = None) -> tuple[PrintedDocument, ...]:
    """Print what a visit hands over (each a new document with its own number), each kind on `paper` where
    it allows it (else A4). `owed_ids` (from `owe_documents`, one per kind) are settled as each prints; a
    failure raises PrintOwed naming the case, and what was not printed stays owed."""
    owed = owed_ids or [None] * len(kinds)
    printed = []
    for k, owed_id in zip(kinds, owed, strict=True):
        try:
            printed.append(print_document(store, record=record, kind=k, paper=registry.kind(k).paper_for(paper),
                                          out_dir=out_dir, clerk=clerk, owed_id=owed_id, issue=True))
        except (OSError, YichuangError) as e:
            if owed_ids is None:
                raise
            why = e.message if isinstance(e, YichuangError) else (e.strerror or str(e))
            code = e.code if isinstance(e, DiskFull) else "E_PRINT_OWED"
            raise PrintOwed(code, f"办件 {record.case_no} 已受理并保存，但文书未能打印：{why}。未打印的文书已记入"
                            "待补发文书，排除问题后请运行 yichuang reprint --owed（或在待办清单中补发）",
                            field=getattr(e, "field", None)) from e
    return tuple(printed)


def print_warnings(docs) -> tuple[str, ...]:
    """The clerk's warnings from a visit's prints (each said once), e.g. a decision printed without its seal."""
    return tuple(dict.fromkeys(d.warning for d in docs if d.warning))


def reprint(store: Store, *, case_no: str, kind: str = "voucher", paper: str = "a4", clerk: Clerk) -> PrintedDocument:
    """Print a case's document again, marked 补打 with its count. A clerk reprints only cases he took or
    continued (at any window of the centre: a pulled case he supplemented or handed over counts) and, as
    its clerk's B角 during the period, the absent clerk's cases; a supervisor any case of this window."""
    record = records.case_record(store, case_no=case_no)
    require(clerk, "reprint_own")
    if not can(clerk, "reprint_any") and record.clerk.login != clerk.login and not _acted_on(
            store, record.case_no, clerk.login) and not _backup_today(store, record.clerk.login, clerk.login):
        raise AuthError("E_REPRINT_ROLE", f"办件 {record.case_no} 由 {record.clerk.name} 受理：请由本人或值班长补打",
                        field="case_no")
    extra = records.delivery_args(store, record.case_no) if kind == "delivery_receipt" else None
    return print_document(store, record=record, kind=kind, paper=paper, clerk=clerk, extra=extra)


def _backup_today(store: Store, absent: str, login: str) -> bool:
    with store.Reader() as s:
        return active_backup(s, absent_login=absent, backup_login=login, day=store.clock().date())


def _acted_on(store: Store, case_no: str, login: str) -> bool:
    with store.Reader() as s:
        return s.scalar(select(CaseEvent.id).where(CaseEvent.case_no == case_no, CaseEvent.actor == login)
                        .limit(1)) is not None


def documents_owed(store: Store) -> list[tuple[int, str, str, str]]:
    """(id, case_no, kind, reason) of every document owed and not yet printed, oldest first."""
    with store.Reader() as s:
        rows = s.scalars(select(DocumentOwed).where(DocumentOwed.settled_at.is_(None)).order_by(DocumentOwed.id))
        return [(r.id, r.case_no, r.kind, r.reason) for r in rows]


def print_owed_documents(store: Store, *, clerk: Clerk, out_dir: Path | None = None,
                         paper: str = "a4") -> list[PrintedDocument]:
    """Print every document owed (a new edition, not 补打), each settling its entry."""
    require(clerk, "intake")
    printed = []
    for owed_id, case_no, kind, _reason in documents_owed(store):
        record = records.case_record(store, case_no=case_no)
        printed.append(print_document(store, record=record, kind=kind, paper=registry.kind(kind).paper_for(paper),
                                      out_dir=out_dir, clerk=clerk, owed_id=owed_id, reissue=True))
    return printed


def print_transfer_manifest(store: Store, *, info, clerk: Clerk, out_dir: Path | None = None) -> PrintedDocument:
    """The printable manifest (流转清单) of a batch, archived under documents/transfers/."""
    pdf = registry.kind("transfer_manifest").renderer_fn()(info, window=store.window(), clerk=clerk)
    folder = out_dir or config.documents_dir(store.home) / "transfers"
    config.private_dir(folder)
    path = folder / f"{info.batch_no}-manifest-{info.state}.pdf"
    path = write_new(path, pdf)
    return PrintedDocument(kind="transfer_manifest", path=str(path), paper="a4")
