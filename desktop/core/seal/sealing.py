"""A decision document rendered with its seal QR, and the content hash the seal signs.

The content is the document's text as verify-documents reads it (documents.verify.pdf_lines: every line of
every page, label and value), each line's spaces collapsed to one so that the hash does not depend on how a
PDF reader spaces columns. The document is rendered with a blank seal box first, hashed, signed, then
rendered again with the code in the box: the two renders lay out the same text at the same places."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from desktop.core.documents import registry
from desktop.core.documents.sealmark import SealMark
from desktop.core.documents.verify import pdf_lines
from desktop.core.store import Store
from desktop.core.types import CaseRecord

from . import codec, keys


def canonical_lines(lines: list[str]) -> list[str]:
    return [" ".join(line.split()) for line in lines if line.strip()]


def content_hash(pdf: bytes) -> bytes:
    """SHA-256 of a document's canonical text (what the seal signs and verify-seal recomputes)."""
    return hashlib.sha256("\n".join(canonical_lines(pdf_lines(pdf))).encode("utf-8")).digest()


def render_sealed(store: Store, kind: str, record: CaseRecord, *, paper: str, reprint: int, number: str,
                  now: datetime, extra: Mapping[str, Any] | None = None) -> tuple[bytes, str]:
    """(PDF, warning): a decision document (one with a number) with the window's seal QR; without a valid
    certificate the document prints without it and the warning says why (never an unsigned code)."""

    def render(seal: SealMark | None) -> bytes:
        return registry.render_case_document(kind, record, paper=paper, reprint=reprint, extra=extra,
                                             number=number, seal=seal)

    if not registry.kind(kind).number_code or not number:
        return render(None), ""
    signer, why = keys.signer(store)
    if signer is None:
        return render(None), why
    blank = SealMark(None)
    first = render(blank)
    if not blank.used:  # a decision document without a seal area: nothing to put the code beside
        return first, ""
    digest = content_hash(first)
    payload = codec.sign_payload(signer.key, signer.certificate, issued=now.date(), case_no=record.case_no,
                                 doc_no=number, content_hash=digest)
    pdf = render(SealMark(payload.text()))
    if content_hash(pdf) != digest:  # the code must not move any text: a defect, never a wrong seal
        raise RuntimeError(f"sealed {kind} text differs from the text its seal signs")
    return pdf, ""
