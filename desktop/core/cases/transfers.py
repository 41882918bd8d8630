"""Material transfer (材料流转): batches of accepted cases' materials to a back-office department.

States: waiting → sent → signed (签收) or returned (退回, with a reason). The window makes and sends a batch
(waiting → sent); the department signs for it or returns it at the centre, and the window learns it from the
`transfers` stream (desktop/core/sync/loop.py). Every change the window makes is one local transaction with
its `transfer.upsert` outbox operation (the whole batch, versioned), so it works offline and reaches the
centre exactly once like everything else. A batch may hold any accepted case of the centre that this window
has (its own or pulled), not yet signed for and not in another open batch (here or, as the centre's snapshot
says, at another window).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from db.local.models import Case, CaseCounter, CaseEvent, CentralCase, TransferBatch, TransferItem
from desktop.core.catalogue import storage as catalogue
from desktop.core.clock import to_iso
from desktop.core.errors import BadInput, NotFound
from desktop.core.outbox import enqueue
from desktop.core.store import Store
from desktop.core.textcheck import check_plain
from desktop.core.types import Clerk

CHANNELS = {"online": "网上流转", "express": "快递寄送"}
STATES = {"waiting": "待发送", "sent": "已发送", "signed": "已签收", "returned": "已退回"}
# which state the WINDOW may move a batch to (签收 and 退回 are the department's, at the centre)
NEXT = {"waiting": ("sent",), "sent": (), "signed": (), "returned": ()}
DEPARTMENT_STATES = ("signed", "returned")
TRANSFERABLE_OUTCOMES = ("accepted",)
TRANSFERABLE_STATUSES = ("received",)  # not yet signed for, decided, withdrawn or voided


@dataclass(frozen=True)
class TransferCase:
    case_no: str
    matter_code: str
    matter_name: str
    applicant_name: str
    received_at: datetime
    materials: tuple[tuple[str, str, int, str], ...]  # (name, form, copies, state)


@dataclass(frozen=True)
class TransferInfo:
    batch_no: str
    department: str
    channel: str
    tracking_no: str
    state: str
    return_reason: str
    created_at: datetime
    created_by: str
    sent_at: datetime | None
    closed_at: datetime | None
    cases: tuple[TransferCase, ...]


def _payload(batch: TransferBatch, case_nos: list[str], centre: str, window: str) -> dict:
    return {
        "batch_no": batch.batch_no, "centre_code": centre, "window_no": window,
        "department": batch.department, "channel": batch.channel, "tracking_no": batch.tracking_no,
        "state": batch.state, "return_reason": batch.return_reason, "case_nos": sorted(case_nos),
        "created_at": to_iso(batch.created_at), "sent_at": to_iso(batch.sent_at) if batch.sent_at else None,
        "closed_at": to_iso(batch.closed_at) if batch.closed_at else None, "version": batch.version,
    }


def awaiting_transfer(store: Store, *, department: str | None = None) -> dict[str, list[str]]:
    """Accepted cases not yet in any batch, by destination department (the matter's department)."""
    with store.Reader() as s:
        taken = _open_items()
        rows = s.execute(
            select(Case.case_no, Case.matter_code, Case.catalogue_version)
            .where(Case.outcome.in_(TRANSFERABLE_OUTCOMES), Case.status.in_(TRANSFERABLE_STATUSES),
                   Case.case_no.not_in(taken))
            .order_by(Case.received_at)
        ).all()
        elsewhere = _batched_elsewhere(s, [r[0] for r in rows])
    out: dict[str, list[str]] = {}
    for case_no, code, version in rows:
        if case_no in elsewhere:
            continue
        dept = catalogue.matter(store, code=code, version=version).department
        if department is None or dept == department:
            out.setdefault(dept, []).append(case_no)
    return out


def awaiting_transfer_cases(store: Store, *, department: str | None = None) -> dict[str, list[TransferCase]]:
    """Like awaiting_transfer, with each case's summary (one read, for the transfer view)."""
    pile = awaiting_transfer(store, department=department)
    with store.Reader() as s:
        return {dept: [_summary(s.get(Case, no)) for no in nos] for dept, nos in pile.items()}


def _summary(c: Case) -> TransferCase:
    return TransferCase(
        case_no=c.case_no, matter_code=c.matter_code, matter_name=c.matter_name,
        applicant_name=c.applicant_name, received_at=c.received_at,
        materials=tuple((m.name, m.form, m.copies, m.state) for m in c.materials
                        if m.state in ("paper", "commitment", "gap", "e_licence")),
    )


def create_transfer(store: Store, *, department: str, case_nos: list[str], channel: str, clerk: Clerk,
                    tracking_no: str = "") -> TransferInfo:
    if channel not in CHANNELS:
        raise BadInput("E_CHANNEL", "流转方式应为 online（网上流转）或 express（快递寄送）", field="channel")
    if not case_nos:
        raise BadInput("E_EMPTY_TRANSFER", "流转单中没有办件", field="case_nos")
    if len(set(case_nos)) != len(case_nos):
        raise BadInput("E_DUP_CASE", "流转单中有重复的办件", field="case_nos")
    tracking_no = tracking_no.strip()
    if len(tracking_no) > 64:
        raise BadInput("E_TRACKING", "快递单号过长", field="tracking_no")
    check_plain(tracking_no, "tracking_no", "快递单号", multiline=False)
    w = store.window()
    now = store.clock()
    with store.Session.begin() as s:
        for no in case_nos:
            case = s.get(Case, no)
            if case is None:
                raise NotFound("E_CASE", f"本窗口没有办件 {no}", field="case_nos")
            if case.outcome not in TRANSFERABLE_OUTCOMES:
                raise BadInput("E_NOT_ACCEPTED", f"办件 {no} 尚未受理，不能流转", field="case_nos")
            if case.status not in TRANSFERABLE_STATUSES:
                raise BadInput("E_CASE_STATUS", f"办件 {no} 当前状态为“{case.status}”，不能流转", field="case_nos")
            dept = catalogue.matter(store, code=case.matter_code, version=case.catalogue_version).department
            if dept != department:
                raise BadInput("E_DEPARTMENT", f"办件 {no} 应流转至“{dept}”，不是“{department}”", field="case_nos")
            if s.scalar(_open_items().where(TransferItem.case_no == no)):
                raise BadInput("E_IN_BATCH", f"办件 {no} 已在其他流转单中", field="case_nos")
            other = _batched_elsewhere(s, [no]).get(no)
            if other:
                raise BadInput("E_IN_BATCH", f"办件 {no} 已在其他窗口的流转单 {other} 中", field="case_nos")
        prefix = f"LZ{w.centre_code}{w.window_no}{now:%y%m%d}"
        counter = s.get(CaseCounter, prefix)
        if counter is None:
            counter = CaseCounter(prefix=prefix, last=0)
            s.add(counter)
        counter.last += 1
        batch = TransferBatch(batch_no=f"{prefix}{counter.last:03d}", department=department, channel=channel,
                              tracking_no=tracking_no, state="waiting", return_reason="", created_at=now,
                              created_by=clerk.login, version=1)
        s.add(batch)
        s.flush()
        for no in case_nos:
            s.add(TransferItem(batch_no=batch.batch_no, case_no=no))
            s.add(CaseEvent(case_no=no, at=now, actor=clerk.login, event="transfer", detail=batch.batch_no))
        enqueue(s, kind="transfer.upsert", ref=batch.batch_no, now=now,
                payload=_payload(batch, case_nos, w.centre_code, w.window_no))
        batch_no = batch.batch_no
    return transfer(store, batch_no=batch_no)


def advance_transfer(store: Store, *, batch_no: str, state: str, clerk: Clerk, tracking_no: str | None = None,
                     reason: str = "") -> TransferInfo:
    """Send a waiting batch (with a tracking number for express). 签收 and 退回 are the department's: the
    window learns them from the centre (the `transfers` stream), it never records them itself."""
    if state not in STATES:
        raise BadInput("E_TRANSFER_STATE", f"流转状态“{state}”无效", field="state")
    if state in DEPARTMENT_STATES:
        raise BadInput("E_TRANSFER_STATE", f"签收/退回由承办部门办理：窗口不能将流转单 {batch_no} 改为“{STATES[state]}”",
                       field="state")
    w = store.window()
    now = store.clock()
    with store.Session.begin() as s:
        batch = s.get(TransferBatch, batch_no)
        if batch is None:
            raise NotFound("E_TRANSFER", f"没有流转单 {batch_no}", field="batch_no")
        if state not in NEXT[batch.state]:
            raise BadInput("E_TRANSFER_STATE",
                           f"流转单 {batch_no} 当前为“{STATES[batch.state]}”，不能改为“{STATES[state]}”",
                           field="state")
        if tracking_no is not None:
            tracking_no = tracking_no.strip()
            check_plain(tracking_no, "tracking_no", "快递单号", multiline=False)
            batch.tracking_no = tracking_no
        if state == "sent" and batch.channel == "express" and not batch.tracking_no:
            raise BadInput("E_TRACKING", "快递寄送须填写快递单号", field="tracking_no")
        if state == "returned":
            if not reason.strip():
                raise BadInput("E_RETURN_REASON", "退回须写明原因", field="reason")
            batch.return_reason = reason.strip()[:1000]
        batch.state = state
        if state == "sent":
            batch.sent_at = now
        if state in ("signed", "returned"):
            batch.closed_at = now
        batch.version += 1
        case_nos = list(s.scalars(select(TransferItem.case_no).where(TransferItem.batch_no == batch_no)))
        for no in case_nos:
            s.add(CaseEvent(case_no=no, at=now, actor=clerk.login, event=f"transfer.{state}",
                            detail=f"{batch_no} {reason}".strip()))
        enqueue(s, kind="transfer.upsert", ref=batch_no, now=now,
                payload=_payload(batch, case_nos, w.centre_code, w.window_no))
    return transfer(store, batch_no=batch_no)


def _batched_elsewhere(s, case_nos: list[str]) -> dict[str, str]:
    """case_no -> the open batch the centre's snapshot puts it in, for those in a batch this window has not."""
    if not case_nos:
        return {}
    out = {}
    for case_no, text in s.execute(select(CentralCase.case_no, CentralCase.data_json)
                                   .where(CentralCase.case_no.in_(case_nos))):
        batch_no = json.loads(text).get("batch_no")
        if batch_no and s.get(TransferBatch, batch_no) is None:
            out[case_no] = batch_no
    return out


def _open_items():
    """Case numbers in a batch that still holds them (a returned batch releases its cases)."""
    return (select(TransferItem.case_no).join(TransferBatch, TransferBatch.batch_no == TransferItem.batch_no)
            .where(TransferBatch.state != "returned"))


def transfer(store: Store, *, batch_no: str) -> TransferInfo:
    with store.Reader() as s:
        batch = s.get(TransferBatch, batch_no)
        if batch is None:
            raise NotFound("E_TRANSFER", f"没有流转单 {batch_no}", field="batch_no")
        case_nos = list(s.scalars(select(TransferItem.case_no).where(TransferItem.batch_no == batch_no)))
        cases = [_summary(s.get(Case, no)) for no in case_nos]
        return TransferInfo(
            batch_no=batch.batch_no, department=batch.department, channel=batch.channel,
            tracking_no=batch.tracking_no, state=batch.state, return_reason=batch.return_reason,
            created_at=batch.created_at, created_by=batch.created_by, sent_at=batch.sent_at,
            closed_at=batch.closed_at, cases=tuple(cases),
        )


def transfers(store: Store, *, states: tuple[str, ...] | None = None) -> list[TransferInfo]:
    with store.Reader() as s:
        q = select(TransferBatch.batch_no).order_by(TransferBatch.created_at.desc())
        if states:
            q = q.where(TransferBatch.state.in_(states))
        nos = list(s.scalars(q))
    return [transfer(store, batch_no=n) for n in nos]
