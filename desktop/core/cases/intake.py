"""Taking a case: check, number (offline, in the case's own transaction), store with its outbox operation,
then print; and 补正, when the applicant returns with what the one-time notice listed."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.local.models import Case, CaseCounter, CaseEvent, CaseMaterialRow
from desktop.core import caseno, centres, users, workcalendar
from desktop.core.audit import record_audit
from desktop.core.cases import deadlines, prereview, records
from desktop.core.cases.checks import (
    CheckedIntake,
    applicant_json,
    check_gap_dates,
    check_intake,
    check_materials,
    decide_outcome,
    join_refusal,
    person_json,
)
from desktop.core.cases.versions import case_payload, make_step, record_case_change
from desktop.core.catalogue import storage as catalogue
from desktop.core.documents import archive, registry
from desktop.core.errors import BadInput, YichuangError
from desktop.core.labels import CASE_STATUS_LABELS, OUTCOME_LABELS, label
from desktop.core.outbox import enqueue
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.types import CaseMaterial, CaseRecord, Clerk, Enterprise, IntakeResult, Window
from desktop.core.workdays import WorkdayCalendar


def check_application(store: Store, *, intake: dict[str, Any]) -> CheckedIntake:
    """Check an intake without storing anything (the GUI calls it to show problems before accepting)."""
    version = catalogue.current_version(store)
    if version is None:
        raise BadInput("E_NO_CATALOGUE", "尚未导入事项目录")
    item = check_intake(intake, lambda code: catalogue.matter(store, code=code, version=version),
                        today=store.clock().date())
    if item.outcome != "refused":  # a 不予受理 (naming where to apply instead) may be given anywhere
        centres.require_taken_here(item.matter, store.setting("centre_type"))
    return item


def _check_override(store: Store, override: dict) -> None:
    require(users.clerk(store, str(override["by"])), "override_approve", code="E_OVERRIDE_ROLE",
            field="overrides.uscc_check")


def accept_batch(store: Store, *, intakes: list[dict[str, Any]], clerk: Clerk, out_dir: Path | None = None,
                 paper: str = "a4", online_app_no: str = "") -> list[IntakeResult]:
    """Check every intake first; store all of them in one transaction, or nothing.

    `online_app_no`: a single intake taken from a pre-reviewed online application (网上预审): the case keeps
    the number and the pre-review is marked taken in the same transaction (refused when already taken).

    Documents are rendered after the commit (a voucher is never printed for a case that was not stored).
    A batch item that fails names its position in the message."""
    require(clerk, "intake")
    if paper not in registry.PAPERS:
        raise BadInput("E_PAPER", f"不支持的纸型：{paper}", field="paper")
    checked: list[CheckedIntake] = []
    cal = workcalendar.calendar(store)
    for i, raw in enumerate(intakes):
        try:
            item = check_application(store, intake=raw)
            if item.uscc_override:
                _check_override(store, item.uscc_override)
            if any(m.state == "gap" for m in item.materials):
                check_gap_dates(item.materials, deadlines.compute_deadlines(
                    cal, matter=item.matter, outcome=item.outcome, start=store.clock().date()).promised)
            checked.append(item)
        except YichuangError as e:
            if len(intakes) > 1:
                e.message = f"第 {i + 1} 件：{e.message}"
                e.field = f"[{i}].{e.field}" if e.field else f"[{i}]"
            raise
    now = store.clock()
    window = store.window()
    version = workcalendar.calendar_version(store)
    if online_app_no and len(checked) != 1:
        raise BadInput("E_PREREVIEW", "网上预审件须逐件受理", field="online_app_no")
    with store.Session.begin() as s:
        stored = [_store_case(s, item, clerk=clerk, window=window, now=now, cal=cal, calendar_version=version,
                              online_app_no=online_app_no)
                  for item in checked]
        # the documents each case owes, durable with the case: a print that fails or is killed leaves them
        # listed (yichuang reprint --owed), never a stored case silently without its voucher
        visits = []
        for record in stored:
            kinds = registry.kinds_for_visit(record.outcome, record.materials, first_visit=True)
            visits.append((record, kinds, archive.owe_documents(s, case_no=record.case_no, kinds=kinds, now=now,
                                                                reason="受理时打印")))
    results = []
    for record, kinds, owed_ids in visits:
        docs = archive.print_visit(store, record, kinds, paper=paper, out_dir=out_dir, owed_ids=owed_ids)
        results.append(IntakeResult(case_no=record.case_no, outcome=record.outcome, promised_date=record.promised_date,
                                    documents=docs, warnings=record.warnings + archive.print_warnings(docs),
                                    deadline_pending=record.deadline_pending))
    return results


def _material_rows(materials: tuple[CaseMaterial, ...]) -> list[CaseMaterialRow]:
    return [CaseMaterialRow(code=m.code, ordinal=i, name=m.name, required=m.required, form=m.form, copies=m.copies,
                            state=m.state, standard=m.standard, e_licence_ref=m.e_licence_ref, reason=m.reason,
                            gap_due=m.gap_due) for i, m in enumerate(materials)]


def _store_case(s: Session, item: CheckedIntake, *, clerk: Clerk, window: Window, now: datetime,
                cal: WorkdayCalendar, calendar_version: str, online_app_no: str = "") -> CaseRecord:
    day = now.date()
    holiday = not cal.is_workday(day)  # 节假日办理: marked; the clock still starts on the next working day
    matter = item.matter
    dates = deadlines.compute_deadlines(cal, matter=matter, outcome=item.outcome, start=day)
    complete_at = now if item.outcome in ("accepted", "completed") else None
    prefix = caseno.serial_prefix(window.centre_code, window.window_no, day)
    counter = s.get(CaseCounter, prefix)
    if counter is None:
        counter = CaseCounter(prefix=prefix, last=0)
        s.add(counter)
    counter.last += 1
    case_no = caseno.make_case_no(window.centre_code, window.window_no, day, counter.last)
    applicant = item.applicant
    id_no = applicant.uscc if isinstance(applicant, Enterprise) else applicant.id_no
    warnings = list(item.warnings)
    earlier = s.scalars(select(Case.case_no).where(
        Case.applicant_id_no == id_no, Case.matter_code == matter.code, Case.received_day == day)).all()
    if earlier:
        warnings.append(f"同一申请人今日已办理该事项：{'、'.join(earlier)}")
    if dates.pending:
        warnings.append(deadlines.pending_warning(cal, day))
    case = Case(
        case_no=case_no, matter_code=matter.code, matter_name=matter.name,
        catalogue_version=matter.catalogue_version, calendar_version=calendar_version,
        outcome=item.outcome, status="received", applicant_kind=applicant.kind,
        applicant_name=applicant.name, applicant_id_no=id_no,
        applicant_json=json.dumps(applicant_json(applicant), ensure_ascii=False),
        agent_json=json.dumps(person_json(item.agent), ensure_ascii=False) if item.agent else None,
        note=item.note, warnings_json=json.dumps(warnings, ensure_ascii=False),
        received_at=now, received_day=day, complete_at=complete_at, promised_date=dates.promised,
        statutory_date=dates.statutory, supply_due=dates.supply_due, clerk_login=clerk.login,
        clerk_name=clerk.name, centre_code=window.centre_code, window_no=window.window_no, version=1,
        last_window_no=window.window_no,
        updated_at=now, refusal_reason=join_refusal(item.refusal_category, item.refusal_reason),
        apply_instead=item.apply_instead,
        result_note=item.result_note, deadline_pending=dates.pending, online_app_no=online_app_no,
        holiday=holiday,
    )
    case.materials.extend(_material_rows(item.materials))
    s.add(case)
    if online_app_no:
        prereview.mark_taken(s, online_app_no, case_no)
    if item.uscc_override:
        record_audit(s, window=window, at=now, actor=str(item.uscc_override["by"]), action="override.uscc_check",
                     ref=case_no, detail=str(item.uscc_override["reason"]))
    s.add(CaseEvent(case_no=case_no, at=now, actor=clerk.login, event=item.outcome,
                    detail=OUTCOME_LABELS[item.outcome], window_no=window.window_no))
    if holiday:
        s.add(CaseEvent(case_no=case_no, at=now, actor=clerk.login, event="holiday_service",
                        detail="节假日办理：办理时限自下一个工作日起算", window_no=window.window_no))
    if online_app_no:
        s.add(CaseEvent(case_no=case_no, at=now, actor=clerk.login, event="prereview_taken",
                        detail=f"网上预审件 {online_app_no}：已核验原件", window_no=window.window_no))
    s.flush()
    enqueue(s, kind="case.upsert", ref=case_no, now=now,
            payload=case_payload(case, step=make_step(s, event=item.outcome, clerk=clerk, now=now)))
    return CaseRecord(
        case_no=case_no, matter=matter, applicant=applicant, agent=item.agent, materials=item.materials,
        outcome=item.outcome, received_at=now, promised_date=dates.promised, supply_due=dates.supply_due,
        statutory_date=dates.statutory, window=window, clerk=clerk, note=item.note,
        warnings=tuple(warnings), refusal_reason=item.refusal_reason, apply_instead=item.apply_instead,
        result_note=item.result_note, complete_at=complete_at, deadline_pending=dates.pending, decided_at=now,
        refusal_category=item.refusal_category, online_app_no=online_app_no, holiday=holiday,
    )


def supplement_case(store: Store, *, case_no: str, materials: dict[str, Any], clerk: Clerk,
                    out_dir: Path | None = None, paper: str = "a4") -> IntakeResult:
    """The applicant came back with what the one-time notice listed: the same case continues.

    `materials` gives the new state of the materials that changed. If the file is now complete the case is
    accepted (or completed) and the clock starts today; otherwise a new notice lists what is still missing.
    One transaction with its outbox op; documents print after the commit."""
    require(clerk, "intake")
    case_no = caseno.normalise_case_no(case_no)
    record = records.case_record(store, case_no=case_no)
    if record.status in ("withdrawn", "voided"):
        raise BadInput("E_CASE_CLOSED", f"办件 {case_no} {label(CASE_STATUS_LABELS, record.status)}，不能补正",
                       field="case_no")
    if record.outcome != "notice":
        raise BadInput("E_NOT_NOTICE", f"办件 {case_no} 不是待补正状态（当前：{OUTCOME_LABELS[record.outcome]}），无需补正",
                       field="case_no")
    merged: dict[str, Any] = {m.code: records.material_input(m) for m in record.materials}
    merged.update(materials)
    checked = check_materials(record.matter, merged, store.clock().date())
    outcome = decide_outcome(record.matter, checked)
    now = store.clock()
    day = now.date()
    cal = workcalendar.calendar(store)
    if outcome != "notice":  # the file is complete today: a 容缺 date cannot pass the new promised date
        check_gap_dates(checked, deadlines.compute_deadlines(cal, matter=record.matter, outcome=outcome,
                                                             start=day).promised)
    with store.Session.begin() as s:
        case = s.get(Case, case_no)
        case.materials.clear()
        s.flush()
        case.materials.extend(_material_rows(checked))
        case.outcome = outcome
        dates = deadlines.compute_deadlines(cal, matter=record.matter, outcome=outcome, start=day)
        case.supply_due = dates.supply_due
        if outcome != "notice":
            case.complete_at = now
            case.promised_date, case.statutory_date = dates.promised, dates.statutory
        case.deadline_pending = dates.pending
        case.calendar_version = workcalendar.calendar_version(store)
        record_case_change(s, case, clerk=clerk, event="supplemented", detail=OUTCOME_LABELS[outcome], now=now)
    updated = records.case_record(store, case_no=case_no)
    docs = archive.print_visit(store, updated, registry.kinds_for_visit(outcome, checked, first_visit=False),
                               paper=paper, out_dir=out_dir, clerk=clerk)
    return IntakeResult(case_no=case_no, outcome=outcome,
                        promised_date=updated.promised_date if outcome != "notice" else None,
                        documents=docs, deadline_pending=dates.pending,
                        warnings=(deadlines.pending_warning(cal, day),) if dates.pending else ())
