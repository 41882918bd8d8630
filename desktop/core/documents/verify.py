"""Does the paper still say what the record says? Every archived document of a case is rendered again from the
case's history, with the kind, paper and 补打 count of that print, and its text compared line by line with
the archived PDF's text (a PDF embeds times, font subsets and ids, so bytes never match; the content must).

The record a print is rendered from is the case version in force when it was printed: the `case.upsert`
operation queued last before that print's `document.printed` operation (both are kept in the outbox, in
the order the transactions committed). A print made from the case's current version is rendered from the
live case row, so a record changed after printing (outside the application) shows up as a difference;
a print made from an earlier version (the voucher of a first visit, before 补正) from that version's frozen
wire form. None of the renderers reads the clock: the only times printed (收件时间, 告知时间, 送达时间) come
from the record and its history, and the 送达回执's delivery is the `delivered` event at or before the
print time. Nothing here writes to the store."""

from __future__ import annotations

import difflib
import hashlib
import io
import json
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from db.local.models import Case, CaseEvent, Document, OutboxOp, User
from desktop.core import caseno
from desktop.core.cases import gaphistory, records
from desktop.core.cases.checks import applicant_from_json, person_from_json, split_refusal
from desktop.core.catalogue import storage as catalogue
from desktop.core.clock import SHANGHAI
from desktop.core.documents import numbers, registry
from desktop.core.documents.signer import document_clerk
from desktop.core.errors import YichuangError
from desktop.core.labels import DOCUMENT_LABELS
from desktop.core.store import Store
from desktop.core.types import CaseMaterial, CaseRecord, Clerk

#: what `field` says when the archived file itself is the problem
FILE_MISSING = "存档文件"
FILE_CHANGED = "存档文件校验值"
NOT_RENDERABLE = "按记录无法生成"


@dataclass(frozen=True)
class Difference:
    """One line where an archived document and its fresh render disagree (or its file is missing/altered)."""

    case_no: str
    kind: str
    paper: str
    reprint: int
    printed_at: datetime
    path: str
    field: str  # the label the differing line starts with, e.g. 申请人
    archived: str  # the archived line ('' when the fresh render has a line the archive lacks)
    rendered: str  # the line rendered now from the record ('' when the archive has one more)

    @property
    def document(self) -> str:
        """'收件凭证 (a4)' or '收件凭证 (roll80，补打第1次)'."""
        extra = f"，补打第{self.reprint}次" if self.reprint else ""
        return f"{DOCUMENT_LABELS.get(self.kind, self.kind)} ({self.paper}{extra})"

    def describe(self) -> str:
        """'收件凭证 (a4)：申请人：存档为“申请人 张三”，按记录应为“申请人 张三丰”'."""
        return (f"{self.document}：{self.field}：存档为“{self.archived or '（无）'}”，"
                f"按记录应为“{self.rendered or '（无）'}”")

    def as_json(self) -> dict[str, Any]:
        return {"case_no": self.case_no, "document": self.document, "kind": self.kind, "paper": self.paper,
                "reprint": self.reprint, "printed_at": self.printed_at.isoformat(), "path": self.path,
                "field": self.field, "archived": self.archived, "rendered": self.rendered,
                "text": self.describe()}


def verify_documents(store: Store, case_no: str) -> list[Difference]:
    """Every difference between the archived documents of a case and their renders from its history,
    in print order; [] when every document matches. NotFound for a case this window does not have."""
    case_no = caseno.normalise_case_no(case_no)
    live = records.case_record(store, case_no=case_no)  # NotFound("E_CASE") first
    with store.Reader() as s:
        rows = list(s.scalars(select(Document).where(Document.case_no == case_no).order_by(Document.id)))
        current_version = s.get(Case, case_no).version
        versions = _versions_at_print(s, case_no)
        corrected = _corrected_prints(s, case_no)
        s.expunge_all()
    found: list[Difference] = []
    for row in rows:
        payload = versions.get((row.kind, row.sha256))
        if payload is None or payload.get("version") == current_version:
            record = live
        else:
            record = record_from_payload(store, live, payload, printed_at=row.printed_at)
        with store.Reader() as s:
            user = s.get(User, row.clerk_login)
            printer = Clerk(login=row.clerk_login, name=user.name if user else row.clerk_login,
                            staff_no=user.staff_no if user else "", role=user.role if user else "clerk")
            record = replace(record, clerk=document_clerk(s, record=record, kind=row.kind, reprint=row.reprint,
                                                                  printer=printer, before_id=row.id,
                                                                  at=row.printed_at))
        if (row.kind, row.sha256) in corrected:
            record = replace(record, corrected=True)
        found += _compare(store, row, record)
    return found


def _versions_at_print(s, case_no: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, sha256) of each print of the case -> the `case.upsert` payload in force when it was printed."""
    ops = s.execute(select(OutboxOp.kind, OutboxOp.payload).where(
        OutboxOp.ref == case_no, OutboxOp.kind.in_(("case.upsert", "document.printed"))).order_by(OutboxOp.seq))
    out: dict[tuple[str, str], dict[str, Any]] = {}
    version: dict[str, Any] | None = None
    for kind, text in ops:
        payload = json.loads(text)
        if kind == "case.upsert":
            version = payload
        elif version is not None:
            out.setdefault((payload["kind"], payload["sha256"]), version)
    return out


def _corrected_prints(s, case_no: str) -> set[tuple[str, str]]:
    """(kind, sha256) of each print of the case made as a corrected version (marked 更正)."""
    ops = s.scalars(select(OutboxOp.payload).where(OutboxOp.ref == case_no, OutboxOp.kind == "document.printed"))
    return {(p["kind"], p["sha256"]) for p in map(json.loads, ops) if p.get("corrected")}


def _time(value: str) -> datetime:
    """A wire time (ISO 8601 with offset) as the naive Shanghai time the store keeps."""
    t = datetime.fromisoformat(value)
    return t.astimezone(SHANGHAI).replace(tzinfo=None) if t.tzinfo else t


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def record_from_payload(store: Store, live: CaseRecord, p: dict[str, Any], *, printed_at: datetime) -> CaseRecord:
    """The case as one of its frozen `case.upsert` versions describes it (window and clerk as today: the
    wire form carries the clerk's login only), with the window's latest decision as of `printed_at`."""
    matter = catalogue.matter(store, code=p["matter_code"], version=p["catalogue_version"])
    specs = {m.code: m for m in matter.materials}
    materials = []
    for m in p["materials"]:
        spec = specs.get(m["code"])
        materials.append(CaseMaterial(
            code=m["code"], name=spec.name if spec else m["code"], required=spec.required if spec else False,
            form=m["form"], copies=m["copies"], state=m["state"], standard=spec.standard if spec else "",
            e_licence_ref=m.get("e_licence_ref") or "", reason=m.get("reason") or "", gap_due=_day(m.get("gap_due")),
        ))
    outcome = p["outcome"]
    promised, statutory, supply_due = _day(p["promised_date"]), _day(p["statutory_date"]), _day(p["supply_due"])
    if outcome == "notice":
        pending = supply_due is None
    elif outcome == "accepted":
        pending = promised is None or (matter.statutory_days is not None and statutory is None)
    else:
        pending = False
    clerk = live.clerk
    if p["clerk_login"] != clerk.login:
        with store.Reader() as s:
            user = s.get(User, p["clerk_login"])
        clerk = Clerk(login=p["clerk_login"], name=user.name if user else p["clerk_login"],
                      staff_no=user.staff_no if user else "", role="clerk")
    refusal_category, refusal_reason = split_refusal(p.get("refusal_reason") or "")
    return replace(
        live, matter=matter, applicant=applicant_from_json(p["applicant"]),
        agent=person_from_json(p["agent"]) if p.get("agent") else None, materials=tuple(materials),
        outcome=outcome, received_at=_time(p["received_at"]),
        promised_date=promised if outcome != "notice" else None, statutory_date=statutory, supply_due=supply_due,
        clerk=clerk, note=p.get("note") or "", refusal_reason=refusal_reason, refusal_category=refusal_category,
        apply_instead=p.get("apply_instead") or "", result_note=p.get("result_note") or "",
        complete_at=_time(p["complete_at"]) if p.get("complete_at") else None, status=p["status"],
        paused_since=_day(p.get("paused_since")), extended_days=p.get("extended_days") or 0,
        deadline_pending=pending, decided_at=_decided_at(store, live.case_no, printed_at),
    )


def _decided_at(store: Store, case_no: str, at: datetime) -> datetime | None:
    """When the window last decided on the file (受理, 一次性告知, 补正 …) at or before `at`."""
    with store.Reader() as s:
        return s.scalar(select(CaseEvent.at).where(
            CaseEvent.case_no == case_no, CaseEvent.event.in_(records.DECISION_EVENTS), CaseEvent.at <= at,
        ).order_by(CaseEvent.id.desc()).limit(1))


def _extra(store: Store, row: Document) -> dict[str, Any] | None:
    """What a print took from the history besides the record: the 送达回执's delivery at its print time, the
    容缺 supplies a 补交回执 lists, a 候补通知书's issue time."""
    if row.kind in ("gap_receipt", "gap_reminder"):
        return gaphistory.document_args(store, row.kind, row.case_no, row.printed_at)
    if row.kind != "delivery_receipt":
        return None
    try:  # the delivery (and the decision it handed over, a courier's proof) as of the print
        return records.delivery_args(store, row.case_no, until=row.printed_at)
    except YichuangError:
        return None


def _number(store: Store, row: Document) -> str:
    """The document number (文号) that print carried, from the numbers issued in the store."""
    with store.Reader() as s:
        return numbers.for_document(s, case_no=row.case_no, kind=row.kind, document_id=row.id) or ""


def _compare(store: Store, row: Document, record: CaseRecord) -> list[Difference]:
    def diff(field: str, archived: str, rendered: str) -> Difference:
        return Difference(case_no=row.case_no, kind=row.kind, paper=row.paper, reprint=row.reprint,
                          printed_at=row.printed_at, path=row.path, field=field, archived=archived,
                          rendered=rendered)

    path = Path(row.path)
    try:
        archived_pdf = path.read_bytes()
    except OSError:
        return [diff(FILE_MISSING, "（缺失）", str(path.name))]
    found = []
    if hashlib.sha256(archived_pdf).hexdigest() != row.sha256:
        found.append(diff(FILE_CHANGED, hashlib.sha256(archived_pdf).hexdigest(), row.sha256))
    from desktop.core.documents import sealmark  # reportlab, only when comparing

    old = pdf_lines(archived_pdf)
    seal = sealmark.SealMark(None) if sealmark.sealed_text(old) else None  # a sealed print: the same box
    try:
        fresh = registry.render_case_document(row.kind, record, paper=row.paper, reprint=row.reprint,
                                              extra=_extra(store, row), number=_number(store, row), seal=seal)
    except YichuangError as e:  # the record no longer allows this document at all
        return [*found, diff(NOT_RENDERABLE, "（已打印）", e.message)]
    new = pdf_lines(fresh)
    for field, a, b in line_differences(old, new):
        found.append(diff(field, a, b))
    return found


# ---------------------------------------------------------------- text of a PDF, compared line by line

_CELL_GAP = re.compile(r"\s{2,}")


def pdf_lines(pdf: bytes) -> list[str]:
    """The text of every page as laid out (a table row stays one line: label, then value), blank lines
    dropped and trailing spaces cut. An unreadable PDF is a single line saying so."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(pdf))
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError) as e:
        return [f"（无法读取的 PDF：{type(e).__name__}）"]
    return [line.rstrip() for text in pages for line in text.splitlines() if line.strip()]


def line_differences(old: list[str], new: list[str]) -> list[tuple[str, str, str]]:
    """(field, old line, new line) for each line that differs, the field named by the label the line
    starts with (or, for a continuation line, the label of the line it continues)."""
    out = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            a = old[i1 + k] if i1 + k < i2 else ""
            b = new[j1 + k] if j1 + k < j2 else ""
            field = field_of(a, b, old[:i1 + k] if a else new[:j1 + k])
            out.append((field, a.strip(), b.strip()))
    return out


def field_of(a: str, b: str, before: list[str]) -> str:
    """The label naming a differing line: the cell before the first differing cell of a label/value row
    ('申请人      张三'), the words before '：' ('办件编号：…'), or the label of the line it continues."""
    line = a or b
    cells = _CELL_GAP.split(line.strip())
    if len(cells) > 1 and cells[0].isdigit() and not line[:1].isspace():  # a numbered table row
        return f"第{cells[0]}行 {cells[1]}"
    if line.strip().endswith("：") and len(cells) == 1 and (not a or not b or a.strip() != b.strip()):
        return "称呼"  # '张三：' opening a notice: the name itself is the value
    if a and b:
        cells_a, cells_b = _CELL_GAP.split(a.strip()), _CELL_GAP.split(b.strip())
        first = next((i for i, (x, y) in enumerate(zip(cells_a, cells_b)) if x != y),
                     min(len(cells_a), len(cells_b)))
        if first % 2 == 1 and not a[:1].isspace():
            return cells_a[first - 1]
        if first < len(cells_a) and first % 2 == 0 and "：" in cells_a[first]:
            return cells_a[first].split("：", 1)[0].strip()
    label = _label(line)
    if label:
        return label
    for earlier in reversed(before):  # a continuation line: the label of the row it belongs to
        label = _label(earlier)
        if label:
            return label
    return line.strip()[:12]


def _label(line: str) -> str:
    """The label a line starts with: text before '：', or the first cell of a row starting at the margin
    that has a value after it; '' for an indented (continuation) line."""
    if not line or line[:1].isspace():
        return ""
    head = line.split("：", 1)[0] if "：" in line else ""
    cells = _CELL_GAP.split(line.strip())
    if head and len(head) <= 12 and (not cells or len(head) <= len(cells[0])):
        return head.strip()
    return cells[0] if len(cells) > 1 else ""
