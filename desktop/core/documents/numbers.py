"""Document numbers (文号) of decision documents: authority short name + kind + 〔year〕 + serial.

Windows number offline, so the serial carries the window number: window 01 + a 5-digit per-window,
per-kind, per-year counter, e.g. 徐汇受〔2026〕0100123号. A number is issued in the transaction that records
the print (`issue_number`); a 补打 or a new edition of the same decision prints the number already issued (`latest`).
The register is the local table `document_numbers` (one row per number, with the print that issued it)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.local.models import Document, DocumentNumber
from desktop.core.errors import BadInput
from desktop.core.types import Window

from .registry import kind as document_kind

MAX_SERIAL = 99999

_SUFFIXES = ("社区事务受理服务中心", "行政服务中心", "政务服务中心", "服务中心", "中心")


def default_short_name(centre_name: str) -> str:
    """The authority short name derived from a centre's name: the district (county) without 区/县,
    e.g. 徐汇区行政服务中心 → 徐汇, 上海市浦东新区行政服务中心 → 浦东; a city-level centre (上海市…) → 沪;
    else the name without its 服务中心 suffix."""
    name = (centre_name or "").strip()
    rest = name.removeprefix("上海市")
    m = re.match(r"^(.{2,4}?)(?:新区|区|县)", rest)
    if m:
        return m.group(1)
    if rest != name:
        return "沪"
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def format_number(short_name: str, code: str, year: int, window_no: str, serial: int) -> str:
    return f"{short_name}{code}〔{year}〕{window_no}{serial:05d}号"


def latest(s: Session, *, case_no: str, kind: str) -> str | None:
    """The number last issued to a case's document of `kind` (what a 补打 prints), or None."""
    return s.scalar(select(DocumentNumber.doc_no).where(
        DocumentNumber.case_no == case_no, DocumentNumber.kind == kind,
    ).order_by(DocumentNumber.issued_at.desc(), DocumentNumber.serial.desc()).limit(1))


def for_document(s: Session, *, case_no: str, kind: str, document_id: int) -> str | None:
    """The number a given archived print carries: the latest issued at or before that print."""
    return s.scalar(select(DocumentNumber.doc_no).where(
        DocumentNumber.case_no == case_no, DocumentNumber.kind == kind,
        DocumentNumber.document_id <= document_id,
    ).order_by(DocumentNumber.document_id.desc()).limit(1))


def issue_number(s: Session, *, window: Window, short_name: str, code: str, case_no: str, kind: str,
          now: datetime) -> DocumentNumber:
    """Issue the next number of `code` this year, in the caller's (writer) transaction. The caller sets
    `document_id` once the print's row exists. Serials above 99999 in a year are refused."""
    year = now.year
    last = s.scalar(select(func.max(DocumentNumber.serial)).where(
        DocumentNumber.code == code, DocumentNumber.year == year,
        DocumentNumber.window_no == window.window_no)) or 0
    if last >= MAX_SERIAL:
        raise BadInput("E_DOC_NUMBER", f"本窗口 {year} 年的{code}字文号已用完（{MAX_SERIAL}）", field="kind")
    row = DocumentNumber(doc_no=format_number(short_name, code, year, window.window_no, last + 1), code=code,
                         year=year, window_no=window.window_no, serial=last + 1, case_no=case_no, kind=kind,
                         issued_at=now)
    s.add(row)
    return row


def short_name(store) -> str:
    """The authority short name of this centre: the `authority_short_name` setting, else derived."""
    return store.setting("authority_short_name").strip() or default_short_name(store.window().centre_name)


def edition(s: Session, store, *, case_no: str, kind: str, now: datetime, issue: bool = False,
            reissue: bool = False) -> tuple[int, int, DocumentNumber | str | None]:
    """Which edition a print of a case's document is, in the writer transaction that records it:
    (earlier prints of the kind on any paper, the 补打 count, the number). `issue`: a new document handed
    over at a visit (a second one-time notice is new: its own number, no 补打 mark); `reissue`: a new edition
    of the same decision (same number, no mark); else a 补打 of the latest edition, counted across paper
    sizes. A new number is a DocumentNumber row (the caller links it to its print); a reprinted one its text."""
    marks = list(s.scalars(select(Document.reprint).where(Document.case_no == case_no, Document.kind == kind)
                          .order_by(Document.id)))
    reprint = 0
    if not (issue or reissue) and marks:
        last_issue = max((i for i, r in enumerate(marks) if r == 0), default=0)
        reprint = len(marks) - last_issue
    code = document_kind(kind).number_code
    if not code:
        return len(marks), reprint, None
    number = None if issue else latest(s, case_no=case_no, kind=kind)
    if number is None:
        return len(marks), reprint, issue_number(s, window=store.window(), short_name=short_name(store), code=code,
                                                 case_no=case_no, kind=kind, now=now)
    return len(marks), reprint, number
