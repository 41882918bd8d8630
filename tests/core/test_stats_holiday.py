"""节假日办理 counted: intakes on non-working days are their own figure in the statistics (summary, a table per
day, the PDF and the XLSX), counted by hand in tests/support/holiday_history.py."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook
from pypdf import PdfReader

from tests.support.holiday_history import HOLIDAY_ROWS, HOLIDAY_TOTAL
from tests.support.holiday_history import build as _history


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
