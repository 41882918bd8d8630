"""The centre-wide loop's down streams (protocol 5): every case of the centre (`cases`) and the back office's
answers on transfer batches (`transfers`), and the reconciliation of a case whose version the centre refused.

A window continues any case of its centre: a pulled case it does not have is materialised from the centre's
snapshot (its wire form, status, decision and steps); a newer version made at another window replaces ours
unless we have a version of our own waiting to be pushed (the centre settles that one by version). Every
snapshot is kept in `central_cases` (the encrypted store: it holds personal data; it is never logged), so a
case the centre refused from us is put back to what the centre has, and the dead-letter entry says in
Chinese which window's version won. A department's clock steps (pause, resume, extension) are folded into
the case's dates without a new version (desktop.core.sync.office_clock)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.local.models import (
    Case,
    CaseEvent,
    CaseMaterialRow,
    CentralCase,
    MatterRow,
    OutboxOp,
    TransferBatch,
    User,
)
from desktop.core.cases.versions import this_window_no
from desktop.core.catalogue import matter_from_json
from desktop.core.clock import SHANGHAI
from desktop.core.errors import YichuangError
from desktop.core.sync.office_clock import (
    fold_office_clock,
    is_office_clock_step,
    office_clock_detail,
    owe_clock_notice,
)

if TYPE_CHECKING:
    from desktop.core.store import Store

__all__ = ["apply_cases", "apply_transfers", "reconcile_rejected", "stale_reason"]

CENTRE = "centre"
Rows = list[dict[str, Any]]
_WINDOW_KEEPS = ("delivered", "withdrawn", "voided")  # a status of ours the centre has not heard of yet


def _time(value: str | None) -> datetime | None:
    """A wire time (ISO 8601, maybe with an offset) as the naive Shanghai time the store keeps."""
    if not value:
        return None
    t = datetime.fromisoformat(str(value))
    return t.astimezone(SHANGHAI).replace(tzinfo=None) if t.tzinfo else t


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _pending_upsert(s: Session, case_no: str) -> bool:
    return s.scalar(select(OutboxOp.seq).where(OutboxOp.ref == case_no, OutboxOp.kind == "case.upsert",
                                               OutboxOp.state == "pending").limit(1)) is not None


def _matter(s: Session, code: str, version: str):
    row = s.get(MatterRow, (version, code))
    if row is None:
        return None
    try:
        return matter_from_json(json.loads(row.data), version)
    except (YichuangError, ValueError):
        return None


def _set_from_payload(s: Session, case: Case, p: dict[str, Any]) -> None:
    """The case's fields as the wire form says (the window's own ones: clock shift, warnings stay)."""
    matter = _matter(s, p.get("matter_code") or case.matter_code, p.get("catalogue_version") or "")
    applicant = p.get("applicant") or {}
    case.matter_code = p.get("matter_code") or case.matter_code
    case.matter_name = matter.name if matter else (case.matter_name or case.matter_code)
    case.catalogue_version = p.get("catalogue_version") or case.catalogue_version or ""
    case.calendar_version = p.get("calendar_version") or ""
    case.outcome = p.get("outcome") or case.outcome
    case.applicant_kind = applicant.get("kind") or "person"
    case.applicant_name = applicant.get("name") or ""
    case.applicant_id_no = applicant.get("uscc") or applicant.get("id_no") or ""
    case.applicant_json = json.dumps(applicant, ensure_ascii=False)
    case.agent_json = json.dumps(p["agent"], ensure_ascii=False) if p.get("agent") else None
    case.note = p.get("note") or ""
    case.received_at = _time(p.get("received_at")) or case.received_at
    case.received_day = case.received_at.date()
    case.complete_at = _time(p.get("complete_at"))
    case.promised_date = _day(p.get("promised_date"))
    case.statutory_date = _day(p.get("statutory_date"))
    case.supply_due = _day(p.get("supply_due"))
    case.refusal_reason = p.get("refusal_reason") or ""
    case.apply_instead = p.get("apply_instead") or ""
    case.result_note = p.get("result_note") or ""
    case.paused_since = _day(p.get("paused_since"))
    case.extended_days = int(p.get("extended_days") or 0)
    case.office_clock_step = int(p.get("office_clock_step") or 0)  # the department clock steps in these dates
    if case.outcome == "notice":
        case.deadline_pending = case.supply_due is None
    elif case.outcome == "accepted":
        case.deadline_pending = case.promised_date is None or bool(
            matter and matter.statutory_days is not None and case.statutory_date is None)
    else:
        case.deadline_pending = False
    specs = {m.code: m for m in matter.materials} if matter else {}
    if case.materials:
        case.materials.clear()
        s.flush()
    for i, m in enumerate(p.get("materials") or []):
        spec = specs.get(m.get("code"))
        case.materials.append(CaseMaterialRow(
            code=m["code"], ordinal=i, name=spec.name if spec else m["code"],
            required=spec.required if spec else False, form=m.get("form") or "original",
            copies=int(m.get("copies") or 1), state=m.get("state") or "missing",
            standard=spec.standard if spec else "", e_licence_ref=m.get("e_licence_ref") or "",
            reason=m.get("reason") or "", gap_due=_day(m.get("gap_due"))))


def _clerk_name(s: Session, login: str, steps: list[dict[str, Any]], origin: str) -> str:
    with s.no_autoflush:
        user = s.get(User, login) if login else None
    if user is not None:
        return user.name
    first = next((st for st in steps if st.get("window_no") == origin and st.get("actor_name")), None)
    return (first or {}).get("actor_name") or login


def _materialise(s: Session, data: dict[str, Any], now: datetime) -> Case:
    p = data["payload"]
    origin = p.get("window_no") or ""
    case = Case(case_no=data["case_no"], clerk_login=p.get("clerk_login") or "",
                clerk_name=_clerk_name(s, p.get("clerk_login") or "", data.get("steps") or [], origin),
                centre_code=p.get("centre_code") or "", window_no=origin, warnings_json="[]",
                version=int(data.get("version") or p.get("version") or 1), updated_at=now,
                matter_code=p.get("matter_code") or "", status="received", clock_shift_days=0)
    with s.no_autoflush:
        _set_from_payload(s, case, p)
    s.add(case)
    return case


def _new_steps(data: dict[str, Any], before: CentralCase | None, here: str) -> list[dict[str, Any]]:
    """The steps this window has not recorded yet: those after the previous snapshot's, not taken here."""
    steps = data.get("steps") or []
    seen = 0
    if before is not None:
        try:
            seen = len(json.loads(before.data_json).get("steps") or [])
        except ValueError:
            seen = 0
    return [st for st in steps[seen:] if not (st.get("window_no") and st.get("window_no") == here)]


def _calendar(s: Session, steps: list[dict[str, Any]], cal: list):
    """The working-day calendar as the session sees it, read once per batch and only when a department clock
    step needs it."""
    if not cal and any(is_office_clock_step(st) for st in steps):
        from desktop.core import workcalendar

        cal.append(workcalendar.calendar_in(s))
    return cal[0] if cal else None


def apply_cases(store: Store, s: Session, rows: Rows, now: datetime) -> None:
    """Materialise or update the centre's cases; keep every snapshot (see the module docstring)."""
    here = this_window_no(s)
    cal_once: list = []
    for r in rows:
        data = r.get("data") or {}
        case_no = data.get("case_no") or r.get("key")
        payload = data.get("payload")
        if not case_no or not isinstance(payload, dict):
            continue
        data = {**data, "case_no": case_no}
        version = int(data.get("version") or payload.get("version") or 0)
        before = s.get(CentralCase, case_no)
        new_steps = _new_steps(data, before, here)
        case = s.get(Case, case_no)
        pending = case is not None and _pending_upsert(s, case_no)
        if case is None:
            case = _materialise(s, data, now)
            case.last_window_no = data.get("last_window_no") or payload.get("window_no") or ""
        elif version > case.version and not pending:
            _set_from_payload(s, case, payload)
            case.version = version
            case.updated_at = now
            case.last_window_no = data.get("last_window_no") or case.last_window_no
        status = data.get("status") or case.status
        if not (pending and case.status in _WINDOW_KEEPS):
            case.status = status
        decision = data.get("decision")
        case.decision_json = json.dumps(decision, ensure_ascii=False, sort_keys=True) if decision else ""
        cal = _calendar(s, data.get("steps") or [], cal_once)
        if cal is not None:
            fold_office_clock(case, data.get("steps") or [], cal)
        for st in new_steps:
            clock = cal is not None and is_office_clock_step(st)
            detail = office_clock_detail(cal, st) if clock else st.get("department") or ""
            s.add(CaseEvent(case_no=case_no, at=_time(st.get("at")) or now,
                            actor=(st.get("actor_name") or st.get("department") or CENTRE)[:64],
                            event=str(st.get("event") or "step")[:32], window_no=st.get("window_no") or "",
                            detail=detail))
            if clock:
                owe_clock_notice(s, case, here=here, now=now,
                                 reason=f"{st.get('department') or ''}{_CLOCK_WORDS.get(st['event'], '')}：须向申请人送达")
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        if before is None:
            s.add(CentralCase(case_no=case_no, version=version, data_json=text, pulled_at=now))
        else:
            before.version, before.data_json, before.pulled_at = version, text, now
        s.flush()


def apply_transfers(store: Store, s: Session, rows: Rows, now: datetime) -> None:
    """The back office signed for or returned one of OUR batches: the batch follows, a returned batch's cases
    go back to the pile (awaiting transfer), each case records it. Other windows' batches and echoes of our
    own pushes change nothing."""
    for r in rows:
        data = r.get("data") or {}
        batch = s.get(TransferBatch, data.get("batch_no") or r.get("key") or "")
        state = data.get("state")
        if batch is None or state not in ("signed", "returned") or batch.state == state:
            continue
        batch.state = state
        batch.return_reason = (data.get("return_reason") or "")[:1000] if state == "returned" else batch.return_reason
        batch.closed_at = _time(data.get("closed_at")) or now
        batch.version = max(batch.version, int(data.get("version") or 0))
        who = data.get("signed_by_name") or batch.department
        for case_no in data.get("case_nos") or []:
            case = s.get(Case, case_no)
            if case is None:
                continue
            if state == "returned":
                detail = f"{batch.batch_no} 被{batch.department}退回：{batch.return_reason}，办件回到待流转"
                if case.status == "signed":
                    case.status = "received"
            else:
                detail = f"{batch.batch_no} 已由{batch.department}签收（{who}）"
            s.add(CaseEvent(case_no=case_no, at=batch.closed_at, actor=CENTRE, event=f"transfer.{state}",
                            detail=detail, window_no=""))
        s.flush()


_CLOCK_WORDS = {"clock.paused": "暂停计时", "clock.resumed": "恢复计时", "clock.extended": "延长办理期限"}
_STALE = re.compile(r"stale version: the centre has version (\d+) of case (\S+) \(last changed by window (\S+)\), "
                    r"this op carries (\d+)")
_LEASED = re.compile(r"case (\S+) is being handled by window (\S+) \((.*)\) until (.+?)\s*$")


def stale_reason(reason: str) -> str | None:
    """The Chinese reason for a version the centre refused because another window's won; None for any other
    refusal (it stays as it is in the dead-letter list)."""
    m = _STALE.search(reason or "")
    if m:
        have, _case, window, mine = m.groups()
        return (f"中心已采用 {window} 号窗口办理的第 {have} 版，本窗口的第 {mine} 版未被采用："
                f"办件已恢复为中心的版本，如需修改请重新办理")
    m = _LEASED.search(reason or "")
    if m:
        _case, window, name, until = m.groups()
        try:
            until_t = _time(until)
        except ValueError:
            until_t = None
        when = f"{until_t:%H:%M}" if until_t else until
        return (f"{name}，{window} 号窗口当时正在办理此件（至 {when}），本窗口的修改未被采用："
                f"办件已恢复为中心的版本，如需修改请重新办理")
    return None


def reconcile_rejected(store: Store) -> int:
    """After a round: every case.upsert the centre refused because another window's version won is put back
    to the centre's snapshot (kept in central_cases), with a history event; the dead-letter entry keeps a
    Chinese reason naming the window that won. Returns how many cases were restored."""
    now = store.clock()
    restored = 0
    with store.Session.begin() as s:
        ops = s.scalars(select(OutboxOp).where(OutboxOp.kind == "case.upsert", OutboxOp.state == "rejected")
                        .order_by(OutboxOp.seq)).all()
        done: set[str] = set()
        for op in ops:
            reason = stale_reason(op.last_error)
            snapshot = s.get(CentralCase, op.ref)
            if reason is None or snapshot is None:
                continue
            op.last_error = reason
            if op.ref in done or _pending_upsert(s, op.ref):
                continue
            data = json.loads(snapshot.data_json)
            case = s.get(Case, op.ref)
            if case is None:
                continue
            _set_from_payload(s, case, data["payload"])
            cal = _calendar(s, data.get("steps") or [], [])
            if cal is not None:
                fold_office_clock(case, data.get("steps") or [], cal)
            case.version = snapshot.version
            case.status = data.get("status") or case.status
            case.decision_json = (json.dumps(data["decision"], ensure_ascii=False, sort_keys=True)
                                  if data.get("decision") else "")
            case.last_window_no = data.get("last_window_no") or case.last_window_no
            case.updated_at = now
            s.add(CaseEvent(case_no=op.ref, at=now, actor=CENTRE, event="restored", detail=reason, window_no=""))
            done.add(op.ref)
            restored += 1
    return restored
