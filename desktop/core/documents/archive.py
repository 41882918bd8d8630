"""Printing a case's documents: render, archive with the case (never overwriting an archived file), record
the print and queue its `document.printed` operation; reprints (补打), owed documents, the manifest."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select

from db.local.models import Document, DocumentNumber, DocumentOwed
from desktop.core import config
from desktop.core.cases import records
from desktop.core.clock import to_iso
from desktop.core.documents import numbers, registry
from desktop.core.errors import AuthError
from desktop.core.outbox import enqueue
from desktop.core.roles import can, require
from desktop.core.store import Store
from desktop.core.types import CaseRecord, Clerk, PrintedDocument


def _unused(path: Path) -> Path:
    """`path`, or the same name with -2, -3 … when an archived file already has it."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
    return candidate


def print_document(store: Store, *, record: CaseRecord, kind: str, paper: str = "a4", out_dir: Path | None = None,
                   clerk: Clerk | None = None, extra: dict[str, Any] | None = None, owed_id: int | None = None,
                   reissue: bool = False, issue: bool = False) -> PrintedDocument:
    """Render one document, archive it with its case (a reprint is marked 补打 with its count, on any paper),
    and queue a `document.printed` operation. Returns where the PDF is. A decision document's number is
    issued in the transaction that records its print (numbers.edition).

    `issue`: a new document handed over at a visit (its own number), never 补打 of an earlier one.
    `reissue`: a new edition of the document (its content changed, e.g. 待定 dates now known), not 补打.
    `owed_id`: the documents-owed entry this print settles, in the same transaction."""
    now = store.clock()
    who = clerk or record.clerk
    with store.Session.begin() as s:
        earlier, reprint, number = numbers.edition(s, store, case_no=record.case_no, kind=kind, now=now,
                                                   issue=issue, reissue=reissue)
        pdf = registry.render_case_document(kind, record, paper=paper, reprint=reprint, extra=extra,
                                            number=getattr(number, "doc_no", number) or "")
        name = f"{record.case_no}-{kind}-{paper}" + (f"-r{reprint}" if reprint else "") + (
            f"-e{earlier + 1}" if reissue else "") + ".pdf"
        archive = _unused(config.documents_dir(store.home) / f"{record.received_at:%Y/%m/%d}" / name)
        archive.parent.mkdir(parents=True, exist_ok=True)
        archive.write_bytes(pdf)
        digest = hashlib.sha256(pdf).hexdigest()
        path = archive
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            path = out_dir / name
            path.write_bytes(pdf)
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
        })
    return PrintedDocument(kind=kind, path=str(path), paper=paper, reprint=reprint, printed_at=now)


def print_visit(store: Store, record: CaseRecord, kinds: list[str], *, paper: str, out_dir: Path | None,
                clerk: Clerk | None = None) -> tuple[PrintedDocument, ...]:
    """Print what a visit hands over, each kind on `paper` where it allows it (else A4)."""
    return tuple(print_document(store, record=record, kind=k, paper=registry.kind(k).paper_for(paper),
                                out_dir=out_dir, clerk=clerk, issue=True) for k in kinds)


def reprint(store: Store, *, case_no: str, kind: str = "voucher", paper: str = "a4", clerk: Clerk) -> PrintedDocument:
    """Print a case's document again, marked 补打 with its count. A clerk reprints only his own cases; a
    supervisor any case of this window."""
    record = records.case_record(store, case_no=case_no)
    require(clerk, "reprint_own")
    if not can(clerk, "reprint_any") and record.clerk.login != clerk.login:
        raise AuthError("E_REPRINT_ROLE", f"办件 {record.case_no} 由 {record.clerk.name} 受理：请由本人或值班长补打",
                        field="case_no")
    extra = records.delivery_args(store, record.case_no) if kind == "delivery_receipt" else None
    return print_document(store, record=record, kind=kind, paper=paper, clerk=clerk, extra=extra)


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
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{info.batch_no}-manifest-{info.state}.pdf"
    path.write_bytes(pdf)
    return PrintedDocument(kind="transfer_manifest", path=str(path), paper="a4")
