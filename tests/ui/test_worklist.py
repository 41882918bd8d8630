"""待办清单 (Ctrl+D): at year end the clerk sees the 待定 cases; once next year's holidays are imported, the
documents owed are listed and printed from the same dialog."""

from __future__ import annotations

import json
from datetime import datetime

from desktop.core.workdays import parse_calendar_file
from tests.support.factories import enterprise

CAL_2027 = {"years": [2027], "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]}


def _long_intake(services) -> dict:
    """A demo matter whose promised limit reaches past 2026-12-31 from 2026-12-21, all materials on paper."""
    from desktop.core import config

    catalogue = json.loads(config.DEMO_CATALOGUE.read_text(encoding="utf-8"))
    m = next(m for m in catalogue["matters"] if not m["on_the_spot"] and m["promised_days"] >= 9
             and "enterprise" in m["applicant_kinds"])
    return {"matter": m["code"], "applicant": enterprise(),
            "materials": {x["code"]: "paper" for x in m["materials"] if x["required"]}}


def test_worklist_lists_pending_dates_then_prints_what_is_owed(qtbot, window, services, clock, print_log):
    clock.now = datetime(2026, 12, 21, 9, 30)
    taken = services.accept_application(intake=_long_intake(services), clerk=window.clerk)
    assert taken.deadline_pending
    window.worklist_action.trigger()
    dialog = window.active_dialog
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    assert dialog.table.item(0, 1).text() == taken.case_no
    assert "待定" in dialog.table.item(0, 0).text() and dialog.table.item(0, 2).text() == "待定"
    assert not dialog.print_button.isEnabled()
    dialog.close()

    years, rows = parse_calendar_file(json.dumps(CAL_2027, ensure_ascii=False))
    services.import_calendar(years=years, rows=rows, source="2027.json",
                             actor=services.login(login="super", password="super1234"))
    window.worklist_action.trigger()
    dialog = window.active_dialog
    qtbot.waitUntil(lambda: dialog.print_button.isEnabled(), timeout=10_000)
    assert dialog.table.item(0, 1).text() == taken.case_no and "补发" in dialog.table.item(0, 0).text()
    with qtbot.waitSignal(dialog.printed, timeout=15_000) as printed:
        dialog.print_button.click()
    # the voucher and the 受理通知书 handed over with it (issue 10) are owed again
    assert len(printed.args[0]) == 2 and [p.pdf_path for p in print_log][-2:] == printed.args[0]
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=10_000)


def test_an_overdue_gap_is_listed_red_and_its_reminder_prints_from_the_worklist(qtbot, window, services, clock,
                                                                                   print_log):
    from tests.support.factories import person

    taken = services.accept_application(intake={"matter": "SH-PER-001", "applicant": person(), "materials": {
        "ID": "paper", "PHOTO": {"state": "gap", "gap_due": "2026-03-12"}, "RESIDENCE": "paper"}},
        clerk=window.clerk)
    assert taken.outcome == "accepted"
    clock.now = datetime(2026, 3, 16, 9, 0)
    window.worklist_action.trigger()
    dialog = window.active_dialog
    qtbot.waitUntil(lambda: dialog.gap_button.isEnabled(), timeout=10_000)
    row = next(r for r in range(dialog.table.rowCount()) if dialog.table.item(r, 1).text() == taken.case_no)
    assert "容缺材料逾期未补交" in dialog.table.item(row, 0).text() and "超期" in dialog.table.item(row, 0).text()
    assert "居住证照片回执" in dialog.table.item(row, 3).text()
    with qtbot.waitSignal(dialog.printed, timeout=15_000) as printed:
        dialog.gap_button.click()
    [path] = printed.args[0]
    assert "gap_reminder" in path and print_log[-1].pdf_path == path
    assert [d.kind for d in services.documents(case_no=taken.case_no)][-1] == "gap_reminder"
