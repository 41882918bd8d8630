"""A hand-built history of window 01 from Monday 2026-11-23 to Friday 2026-12-11, with figures counted by
hand (EXPECTED): what the statistics tests assert and what the sample report is rendered from.

Working days: 2026-11-23 .. 12-11 has no holiday, so the count is Monday to Friday. T-PER-001 promises 7
working days (statutory 15), T-PER-002 is 当场办结. A decision arrives the way the centre sends it: a `cases`
snapshot applied by the sync loop's apply_cases.
"""

from __future__ import annotations

from datetime import date, datetime

from tests.support.factories import person, residence_permit_intake

PERIOD = (date(2026, 11, 23), date(2026, 12, 11))
NOW = datetime(2026, 12, 11, 16, 0)

# A B C accepted, decided after 2 (early), 6 (in time) and 9 (late) working days; D 当场办结; E a notice on
# Monday, 补正 on Wednesday, decided after 6 working days, collected at the window (3 visits); F a notice
# still open; G refused; H accepted then withdrawn; I accepted then voided; J accepted, undecided, overdue;
# L received 12-02, due 12-11 (near due); two consultations; ratings 5, 4, 3, 1.
EXPECTED = {
    "received": 11, "accepted": 6, "completed": 1, "notices": 2, "pending_notice": 1, "refused": 1,
    "withdrawn": 1, "voided": 1, "consultations": 2,
    "decided": 5, "spot": 1, "early": 1, "in_time": 2, "promised_known": 5, "on_time_promised": 4,
    "on_time_promised_rate": 80.0, "statutory_known": 4, "on_time_statutory": 4, "on_time_statutory_rate": 100.0,
    "early_share": 25.0, "mean_days_decision": 4.6, "p90_days_decision": 9, "delivered": 1,
    "mean_days_delivery": 8.0, "p90_days_delivery": 8, "overdue_now": 1, "near_due_now": 1,
    "first_visits": 10, "first_notice": 2, "first_notice_share": 20.0, "finished": 5, "visits": 7,
    "mean_visits": 1.4, "stars": {5: 1, 4: 1, 3: 1, 2: 0, 1: 1}, "good_rate": 50.0,
}


def _at(clock, day: int, month: int = 11, hour: int = 10) -> None:
    clock.now = datetime(2026, month, day, hour, 0)


def decide(svc, case_no: str, when: datetime, *, approve: bool = True) -> None:
    """The centre's snapshot of a decided case, applied as the `cases` stream applies it."""
    from db.local.models import Case
    from desktop.core.cases.versions import case_payload
    from desktop.core.sync.loop import apply_cases

    stamp = when.isoformat() + "+08:00"
    with svc.store.Session.begin() as s:
        case = s.get(Case, case_no)
        data = {"case_no": case_no, "version": case.version + 1, "payload": case_payload(case),
                "status": "approved" if approve else "denied", "last_window_no": "01",
                "decision": {"decision": "approve" if approve else "deny", "doc_name": "居住证", "doc_no": "D-1",
                             "decided_at": stamp, "decided_by": "li", "decided_by_name": "李审批",
                             "department": "区公安分局", "reason": "" if approve else "不符合条件"},
                "steps": [{"event": "decision.approved" if approve else "decision.denied", "window_no": None,
                           "department": "区公安分局", "actor_name": "李审批", "at": stamp}]}
        apply_cases(svc.store, s, [{"key": case_no, "data": data}], when)


def build(svc, clock, decide=decide) -> dict[str, str]:
    """Make the history; returns the case numbers by letter. `decide(svc, case_no, when, approve=)` brings a
    decision (default: a snapshot applied locally; the central tests decide at the real centre)."""
    clerk = svc.login(login="demo", password="demo1234")
    boss = svc.login(login="super", password="super1234")
    spot = {"matter": "T-PER-002", "applicant": person(), "materials": {"L1": "paper"}}
    refused = residence_permit_intake() | {"outcome": "refused", "refusal": {
        "refusal_category": "other", "reason": "申请人不符合居住证申领条件", "apply_instead": ""}}
    no: dict[str, str] = {}
    _at(clock, 23)
    for k, intake in (("A", residence_permit_intake()), ("B", residence_permit_intake()),
                      ("C", residence_permit_intake()), ("D", spot), ("E", residence_permit_intake(M2="missing")),
                      ("F", residence_permit_intake(M3={"state": "defective", "reason": "劳动合同已过期"})), ("G", refused), ("H", residence_permit_intake()),
                      ("I", residence_permit_intake()), ("J", residence_permit_intake())):
        no[k] = svc.accept_application(intake=intake, clerk=clerk).case_no
    svc.record_consultation(asker_name="陈先生", question="居住证要带什么", answer="已告知", clerk=clerk,
                            matter_code="T-PER-001")
    svc.record_rating(case_no=no["A"], overall=5)
    svc.record_rating(case_no=no["D"], overall=4)
    svc.record_rating(case_no=no["B"], overall=3)
    svc.withdraw_case(case_no=no["H"], reason="申请人撤回申请", clerk=clerk)
    svc.void_case(case_no=no["I"], reason="录入错误", clerk=boss)
    _at(clock, 24)
    svc.record_consultation(asker_name="周女士", question="办事时间", answer="工作日 9:00-17:00", clerk=clerk)
    _at(clock, 25)
    svc.supplement_case(case_no=no["E"], materials={"M2": "paper"}, clerk=clerk)
    svc.record_rating(case_no=no["E"], overall=1, comment="补正跑了两趟")
    decide(svc, no["A"], datetime(2026, 11, 25, 15, 0))
    decide(svc, no["B"], datetime(2026, 12, 1, 15, 0))
    _at(clock, 2, 12)
    no["L"] = svc.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    decide(svc, no["E"], datetime(2026, 12, 3, 11, 0))
    decide(svc, no["C"], datetime(2026, 12, 4, 11, 0), approve=False)
    _at(clock, 7, 12)
    svc.hand_over_result(case_no=no["E"], clerk=clerk, receiver_name="王小明", how="window")
    clock.now = NOW
    return no
