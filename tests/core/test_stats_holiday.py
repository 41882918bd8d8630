"""节假日办理 counted: intakes on non-working days are their own figure in the statistics (summary, a table per
day, the PDF and the XLSX), counted by hand below."""

from __future__ import annotations

from datetime import date, datetime

from openpyxl import load_workbook
from pypdf import PdfReader

from tests.support.factories import person, residence_permit_intake

# Monday 2026-11-23 .. Sunday 2026-11-29 (no statutory holiday: Saturday and Sunday are the non-working days)
# Mon: F accepted. Sat: A accepted, B a notice (M2 missing), C 当场办结, D accepted then voided, W accepted then
# withdrawn. Sun: E accepted. Counted by hand: received 7; 节假日办理 4 (A B C E: D voided and W withdrawn are
# not counted), 11-28: 3 (1 accepted, 1 当场办结, 1 notice), 11-29: 1 (accepted).
HOLIDAY_ROWS = (("2026-11-28", 3, 1, 1, 1, 0), ("2026-11-29", 1, 1, 0, 0, 0))
HOLIDAY_TOTAL = ("合计", 4, 2, 1, 1, 0)


def _history(services, clock) -> dict[str, str]:
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


def test_holiday_intakes_are_their_own_figure(services, clock, tmp_path):
    no = _history(services, clock)
    marked = {k for k, case_no in no.items() if services.case_record(case_no=case_no).holiday}
    assert marked == {"A", "B", "C", "D", "W", "E"}  # every weekend intake is marked 节假日办理
    boss = services.login(login="super", password="super1234")
    rep = services.statistics(start=date(2026, 11, 23), end=date(2026, 11, 29), scope="window", actor=boss,
                              pdf=tmp_path / "r.pdf", xlsx=tmp_path / "r.xlsx")
    assert rep.volumes.received == 7 and rep.volumes.holiday == 4
    assert rep.as_json()["volumes"]["holiday"] == 4
    assert ("节假日办理", "4 件") in rep.summary_rows()
    table = rep.table("holiday")
    assert table.rows == HOLIDAY_ROWS and table.total == HOLIDAY_TOTAL

    wb = load_workbook(tmp_path / "r.xlsx")
    summary = {r[0]: r[1] for r in wb["概况"].iter_rows(values_only=True) if r and r[0]}
    assert summary["节假日办理"] == "4 件"
    sheet = [tuple(r) for r in wb[table.title[:31]].iter_rows(values_only=True)]
    assert sheet[0] == table.columns and tuple(sheet[1:4]) == (*HOLIDAY_ROWS, HOLIDAY_TOTAL)

    text = "".join((p.extract_text() or "") for p in PdfReader(tmp_path / "r.pdf").pages)
    text = "".join(text.split())
    assert "节假日办理4件" in text and table.title in text and "2026-11-28" in text


def test_a_week_without_weekend_intakes_counts_none(services, clock, tmp_path):
    _history(services, clock)
    boss = services.login(login="super", password="super1234")
    rep = services.statistics(start=date(2026, 11, 23), end=date(2026, 11, 27), scope="window", actor=boss)
    assert rep.volumes.received == 1 and rep.volumes.holiday == 0
    assert rep.table("holiday").rows == () and rep.table("holiday").total == ("合计", 0, 0, 0, 0, 0)
