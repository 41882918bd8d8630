"""Correcting, withdrawing and voiding a case. Each keeps the case and its history: the case becomes its next
version with one history event (`corrected`, `withdrawn`, `voided`) carrying the reason.

- 更正 (correct): a typo in the applicant's or agent's particulars after printing. Checked by the intake's
  own validators; every document already printed for the case is printed again as a corrected version
  (a new edition with the same number, marked 更正).
- 撤回 (withdraw): the applicant withdraws the application (a window clerk records it).
- 作废 (void): a case entered in error is voided by a supervisor.
Withdrawal and void are refused once the case is decided (approved / denied / result ready) or delivered,
and for a case already withdrawn or voided."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from db.local.models import Case, Document
from desktop.core import caseno
from desktop.core.cases import records
from desktop.core.cases.checks import applicant_json, check_applicant, check_person, person_json
from desktop.core.cases.versions import record_case_change
from desktop.core.documents import archive, registry
from desktop.core.errors import BadInput, NotFound
from desktop.core.labels import CASE_STATUS_LABELS, OUTCOME_LABELS, label
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.textcheck import check_plain
from desktop.core.types import Clerk, PrintedDocument

#: statuses that end a case at the window: nothing more may be done with it
CLOSED = ("withdrawn", "voided")
#: statuses after which a case can no longer be withdrawn or voided (decided at the back office, delivered)
FINAL = ("approved", "denied", "result_ready", "delivered")
#: the fields a correction file may hold
CORRECTABLE = ("applicant", "agent")
MAX_REASON = 500


@dataclass(frozen=True)
class CaseChange:
    """What a correction, withdrawal or void did: the case's new status and version, and what was printed."""

    case_no: str
    event: str
    status: str
    version: int
    reason: str
    documents: tuple[PrintedDocument, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"case_no": self.case_no, "event": self.event, "status": self.status,
                "status_label": label(CASE_STATUS_LABELS, self.status), "version": self.version,
                "reason": self.reason,
                "documents": [{"path": d.path, "kind": d.kind, "paper": d.paper} for d in self.documents]}


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BadInput("E_REASON_REQUIRED", f"{what}须写明原因", field="reason")
    if len(reason) > MAX_REASON:
        raise BadInput("E_FIELD_TOO_LONG", f"{what}原因过长（最多 {MAX_REASON} 个字符）", field="reason")
    check_plain(reason, "reason", f"{what}原因")
    return reason


def _case(s, case_no: str) -> Case:
    case = s.get(Case, case_no)
    if case is None:
        raise NotFound("E_CASE", f"本窗口没有办件 {case_no}", field="case_no")
    return case


def ensure_open(case_no: str, status: str, what: str) -> None:
    """BadInput naming the case when it was withdrawn or voided (nothing more may be done with it)."""
    if status in CLOSED:
        raise BadInput("E_CASE_CLOSED", f"办件 {case_no} {label(CASE_STATUS_LABELS, status)}，不能{what}",
                       field="case_no")


# ---------------------------------------------------------------- 更正


def check_correction(store: Store, *, case_no: str, changes: Any) -> tuple[dict[str, Any], str]:
    """The corrected applicant / agent (stored JSON form) of `changes` checked as intake checks them, and the
    case's matter name; BadInput naming the field at fault. `"agent": null` removes the agent."""
    if not isinstance(changes, Mapping):
        raise BadInput("E_FIELD_TYPE", "更正文件应为 JSON 对象（applicant、agent）", field="file")
    for key in changes:
        if key not in CORRECTABLE:
            shown = key if isinstance(key, str) and key.isprintable() and len(key) <= 40 else repr(key)[:40]
            raise BadInput("E_FIELD_UNKNOWN", f"更正文件含有未知字段“{shown}”（可更正：applicant、agent）",
                           field=str(key)[:40])
    if not changes:
        raise BadInput("E_NOTHING_TO_CORRECT", "更正文件中没有要更正的内容（applicant、agent）", field="file")
    record = records.case_record(store, case_no=case_no)
    out: dict[str, Any] = {}
    if "applicant" in changes:
        applicant, _warnings = check_applicant(changes["applicant"], None)
        if applicant.kind not in record.matter.applicant_kinds:
            raise BadInput("E_APPLICANT_KIND", f"事项“{record.matter.name}”不受理此类申请人", field="applicant.kind")
        out["applicant"] = applicant_json(applicant)
    if "agent" in changes:
        out["agent"] = person_json(check_person(changes["agent"], "agent")[0]) if changes["agent"] else None
    return out, record.matter.name


def correct_case(store: Store, *, case_no: str, changes: Any, reason: str, clerk: Clerk,
                 out_dir: Path | None = None) -> CaseChange:
    """Correct the applicant's or agent's particulars, then print every document already printed for the case
    again as a corrected version (marked 更正, on the paper it was last printed on). One transaction for
    the case and its outbox op; documents print after the commit."""
    require(clerk, "case_correct")
    case_no = caseno.normalise_case_no(case_no)
    reason = _reason(reason, "更正")
    fixed, _matter = check_correction(store, case_no=case_no, changes=changes)
    now = store.clock()
    with store.Session.begin() as s:
        case = _case(s, case_no)
        ensure_open(case_no, case.status, "更正")
        before = {"applicant": json.loads(case.applicant_json),
                  "agent": json.loads(case.agent_json) if case.agent_json else None}
        changed = sorted(k for k, v in fixed.items() if before[k] != v)
        if not changed:
            raise BadInput("E_NOTHING_TO_CORRECT", f"更正内容与办件 {case_no} 的现有记录相同", field="file")
        if "applicant" in fixed:
            a = fixed["applicant"]
            case.applicant_json = json.dumps(a, ensure_ascii=False)
            case.applicant_kind = a["kind"]
            case.applicant_name = a["name"]
            case.applicant_id_no = a["uscc"] if a["kind"] == "enterprise" else a["id_no"]
        if "agent" in fixed:
            case.agent_json = json.dumps(fixed["agent"], ensure_ascii=False) if fixed["agent"] else None
        detail = json.dumps({"reason": reason, "fields": changed}, ensure_ascii=False)
        record_case_change(s, case, clerk=clerk, event="corrected", detail=detail, now=now)
        version, status = case.version, case.status
        printed = _printed_kinds(s, case_no)
    record = records.case_record(store, case_no=case_no)
    docs = []
    for kind, paper in printed:
        extra = None
        if kind == "delivery_receipt":
            extra = records.delivery_args(store, case_no)
        elif kind == "clock_notice":
            extra = records.clock_args(store, case_no)
        docs.append(archive.print_document(store, record=record, kind=kind, paper=paper, out_dir=out_dir,
                                           clerk=clerk, extra=extra, reissue=True, corrected=True))
    return CaseChange(case_no=case_no, event="corrected", status=status, version=version, reason=reason,
                      documents=tuple(docs))


def _printed_kinds(s, case_no: str) -> list[tuple[str, str]]:
    """(kind, paper of its latest print) of every per-case document printed for the case, in first-print order."""
    latest: dict[str, str] = {}
    for kind, paper in s.execute(select(Document.kind, Document.paper).where(Document.case_no == case_no)
                                 .order_by(Document.id)):
        if kind in registry.KINDS and registry.KINDS[kind].per_case:
            latest[kind] = paper
    return list(latest.items())


# ---------------------------------------------------------------- 撤回 and 作废


def _close(store: Store, *, case_no: str, reason: str, clerk: Clerk, status: str, permission: str,
           what: str) -> CaseChange:
    require(clerk, permission)
    case_no = caseno.normalise_case_no(case_no)
    reason = _reason(reason, what)
    now = store.clock()
    with store.Session.begin() as s:
        case = _case(s, case_no)
        ensure_open(case_no, case.status, what)
        if case.status in FINAL:
            raise BadInput("E_CASE_FINAL", f"办件 {case_no} {label(CASE_STATUS_LABELS, case.status)}，不能{what}",
                           field="case_no")
        if case.outcome == "completed" or (status == "withdrawn" and case.outcome == "refused"):
            raise BadInput("E_CASE_FINAL", f"办件 {case_no} 已{OUTCOME_LABELS[case.outcome]}，不能{what}",
                           field="case_no")
        case.status = status
        record_case_change(s, case, clerk=clerk, event=status, detail=reason, now=now)
        version = case.version
    return CaseChange(case_no=case_no, event=status, status=status, version=version, reason=reason)


def withdraw_case(store: Store, *, case_no: str, reason: str, clerk: Clerk) -> CaseChange:
    """The applicant withdraws the application (撤回): status `withdrawn`, the case and its history kept."""
    return _close(store, case_no=case_no, reason=reason, clerk=clerk, status="withdrawn",
                  permission="case_withdraw", what="撤回")


def void_case(store: Store, *, case_no: str, reason: str, clerk: Clerk) -> CaseChange:
    """A supervisor voids a case (作废): status `voided`, the case and its history kept."""
    return _close(store, case_no=case_no, reason=reason, clerk=clerk, status="voided", permission="case_void",
                  what="作废")


def open_for_transfer(store: Store, case_nos: list[str]) -> None:
    """BadInput naming the first case that was withdrawn or voided, or already decided or delivered (a
    transfer refuses it); unknown cases are left to the transfer's own check."""
    with store.Reader() as s:
        for no in case_nos:
            case = s.get(Case, no)
            if case is None:
                continue
            ensure_open(no, case.status, "流转")
            if case.status in FINAL:
                raise BadInput("E_CASE_FINAL", f"办件 {no} {label(CASE_STATUS_LABELS, case.status)}，不能流转",
                               field="case_nos")


def closed_case_nos(store: Store) -> set[str]:
    """Every case of the store that may not be transferred any more: withdrawn, voided, decided or delivered."""
    with store.Reader() as s:
        return set(s.scalars(select(Case.case_no).where(Case.status.in_(CLOSED + FINAL))))

