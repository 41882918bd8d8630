"""A week with intakes on its weekend (节假日办理), counted by hand: what the holiday statistics tests assert,
at the window and at the centre."""

from __future__ import annotations

from datetime import datetime

from tests.support.factories import person, residence_permit_intake

# Monday 2026-11-23 .. Sunday 2026-11-29 (no statutory holiday: Saturday and Sunday are the non-working days)
# Mon: F accepted. Sat: A accepted, B a notice (M2 missing), C 当场办结, D accepted then voided, W accepted then
# withdrawn. Sun: E accepted. Counted by hand: received 7; 节假日办理 4 (A B C E: D voided and W withdrawn are
# not counted), 11-28: 3 (1 accepted, 1 当场办结, 1 notice), 11-29: 1 (accepted).
HOLIDAY_ROWS = (("2026-11-28", 3, 1, 1, 1, 0), ("2026-11-29", 1, 1, 0, 0, 0))
HOLIDAY_TOTAL = ("合计", 4, 2, 1, 1, 0)


def build(services, clock) -> dict[str, str]:
    clerk = services.login(login="demo", password="demo1234")
    boss = services.login(login="super", password="super1234")
    spot = {"matter": "T-PER-002", "applicant": person(), "materials": {"L1": "paper"}}
    no: dict[str, str] = {}

    def take(key: str, when: datetime, intake: dict) -> None:
        clock.now = when
        no[key] = services.accept_application(intake=intake, clerk=clerk).case_no

    take("F", datetime(2026, 11, 23, 10), residence_permit_intake())
    take("A", datetime(2026, 11, 28, 9), residence_permit_intake())
    take("B", datetime(2026, 11, 28, 10), residence_permit_intake(M2="missing"))
    take("C", datetime(2026, 11, 28, 11), spot)
    take("D", datetime(2026, 11, 28, 14), residence_permit_intake())
    services.void_case(case_no=no["D"], reason="录入错误", clerk=boss)
    take("W", datetime(2026, 11, 28, 15), residence_permit_intake())
    services.withdraw_case(case_no=no["W"], reason="申请人撤回申请", clerk=clerk)
    take("E", datetime(2026, 11, 29, 10), residence_permit_intake())
    clock.now = datetime(2026, 11, 30, 9)
    return no
