"""容缺 after the intake: the applicant supplies a promised material (`yichuang supply`), the case becomes its
next version and a receipt prints; a promised material whose date passed gets a 容缺候补通知书.

A supply is the history event `gap.supplied` whose detail reads 'NAME（CODE），承诺 YYYY-MM-DD 前补交': the
receipt (and `verify-documents`) takes every supply of the case up to its print from the history."""

from __future__ import annotations

from pathlib import Path

from db.local.models import Case
from desktop.core import caseno
from desktop.core.cases import records
from desktop.core.cases.gaphistory import SUPPLIED, document_args, supply_args, supply_detail
from desktop.core.cases.versions import record_case_change
from desktop.core.documents import archive
from desktop.core.documents.gapdocs import overdue_gaps
from desktop.core.errors import BadInput
from desktop.core.labels import MATERIAL_STATE_LABELS
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.types import Clerk, PrintedDocument

__all__ = ["SUPPLIED", "document_args", "print_gap_reminder", "supply_args", "supply_detail", "supply_gap"]

def supply_gap(store: Store, *, case_no: str, material: str, clerk: Clerk, out_dir: Path | None = None,
               paper: str = "a4") -> PrintedDocument:
    """The applicant brought a material taken as 容缺: it becomes received on paper, the case its next version
    (history `gap.supplied`, `case.upsert`), and the 容缺材料补交回执 prints. A material that is not an
    open 容缺 of the case is BadInput (E_MATERIAL_UNKNOWN / E_NOT_GAP), nothing stored."""
    require(clerk, "intake")
    case_no = caseno.normalise_case_no(case_no)
    record = records.case_record(store, case_no=case_no)
    found = next((m for m in record.materials if m.code == material), None)
    if found is None:
        raise BadInput("E_MATERIAL_UNKNOWN", f"办件 {case_no} 没有编码为 {material} 的材料", field="material")
    if found.state != "gap":
        raise BadInput("E_NOT_GAP", f"材料“{found.name}”不是待补交的容缺材料（当前："
                       f"{MATERIAL_STATE_LABELS.get(found.state, found.state)}）", field="material")
    now = store.clock()
    with store.Session.begin() as s:
        case = s.get(Case, case_no)
        row = next(m for m in case.materials if m.code == material)
        if row.state != "gap":  # supplied meanwhile (another process): say so, change nothing
            raise BadInput("E_NOT_GAP", f"材料“{row.name}”已补交", field="material")
        due = row.gap_due or now.date()
        row.state, row.gap_due = "paper", None
        record_case_change(s, case, clerk=clerk, event=SUPPLIED, detail=supply_detail(row.name, row.code, due),
                           now=now)
    updated = records.case_record(store, case_no=case_no)
    return archive.print_document(store, record=updated, kind="gap_receipt", paper=paper, out_dir=out_dir,
                                  clerk=clerk, extra=supply_args(store, case_no, until=now), issue=True)


def print_gap_reminder(store: Store, *, case_no: str, clerk: Clerk, out_dir: Path | None = None,
                       paper: str = "a4") -> PrintedDocument:
    """Print the 容缺候补通知书 for the 容缺 materials of a case whose promised date passed unsupplied: a new
    notice each time (no 补打 mark). None overdue is BadInput (E_NO_OVERDUE_GAP)."""
    require(clerk, "intake")
    record = records.case_record(store, case_no=case_no)
    now = store.clock()
    if not overdue_gaps(record, now.date()):
        raise BadInput("E_NO_OVERDUE_GAP", f"办件 {record.case_no} 没有逾期未补交的容缺材料", field="case_no")
    return archive.print_document(store, record=record, kind="gap_reminder", paper=paper, out_dir=out_dir,
                                  clerk=clerk, extra={"issued_at": now}, issue=True)
