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


# ---------------------------------------------------------------- the start of the day and the scope switch

def _gap_overdue_case(services, clerk, clock):
    """A demo case whose 容缺 photo was due Thursday 2026-03-12; the clock moves on to Monday 03-16."""
    from tests.support.factories import person

    taken = services.accept_application(intake={"matter": "SH-PER-001", "applicant": person(), "materials": {
        "ID": "paper", "PHOTO": {"state": "gap", "gap_due": "2026-03-12"}, "RESIDENCE": "paper"}}, clerk=clerk)
    clock.now = datetime(2026, 3, 16, 8, 50)
    return taken.case_no


def _log_in(qtbot, services, clerk):
    """What the program does after a login: the main window, told that it starts a session."""
    from desktop.ui.main_window import MainWindow

    w = MainWindow(services, clerk, start_of_day=True)
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.start_of_day_checked, timeout=10_000) as checked:
        w.show()
    return w, checked.args[0]


def test_the_first_login_of_the_day_opens_the_worklist_and_later_logins_do_not(qtbot, services, clerk, clock,
                                                                                print_log):
    case_no = _gap_overdue_case(services, clerk, clock)
    first, items = _log_in(qtbot, services, clerk)
    dialog = first.active_dialog
    assert [i.case_no for i in items] == [case_no] and dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "待办清单" and dialog.scope == "window"
    assert dialog.table.rowCount() == 1 and dialog.table.item(0, 1).text() == case_no
    assert "超期" in dialog.table.item(0, 0).text() and dialog.table.item(0, 4).text() == "01 号"
    assert dialog.summary.text().startswith("本窗口共 1 项")
    dialog.grab().save(str(services.home / "worklist-start-of-day.png"))
    dialog.close()
    first.close()

    clock.now = datetime(2026, 3, 16, 13, 30)  # after lunch the 值班长 logs in: not the day's first login
    later, none = _log_in(qtbot, services, services.login(login="super", password="super1234"))
    assert none is None and later.active_dialog is None
    later.close()

    clock.now = datetime(2026, 3, 17, 8, 50)  # the next morning the 值班长 is first: the whole centre
    morning, items = _log_in(qtbot, services, services.login(login="super", password="super1234"))
    assert [i.case_no for i in items] == [case_no] and morning.active_dialog.scope == "centre"
    morning.close()


def test_an_empty_first_login_opens_nothing_and_still_is_the_days_first(qtbot, services, clerk, clock, print_log):
    first, items = _log_in(qtbot, services, clerk)
    assert items == [] and first.active_dialog is None
    first.close()
    _gap_overdue_case(services, clerk, clock)
    clock.now = datetime(2026, 3, 10, 16, 0)  # the same day, something due by now: still not the first login
    again, none = _log_in(qtbot, services, clerk)
    assert none is None and again.active_dialog is None
    again.close()


def test_the_scope_switch_shows_the_centres_cases_the_window_holds(qtbot, window, services, clock, tmp_path):
    from desktop.core import sync
    from desktop.core.services import Services, init_store
    from tests.support.factories import person
    from tests.support.fake_transport import FakeCentre, FakeTransport

    server_time = "2026-03-10T09:30:00+08:00"
    centre = FakeCentre(server_time)
    init_store(tmp_path / "w2", centre_code="310104", window_no="02", centre_name="徐汇区行政服务中心", demo=True,
               clock=clock)
    other = Services(tmp_path / "w2", clock=clock)
    try:
        theirs = other.accept_application(intake={"matter": "SH-PER-001", "applicant": person(), "materials": {
            "ID": "paper", "PHOTO": {"state": "gap", "gap_due": "2026-03-12"}, "RESIDENCE": "paper"}},
            clerk=other.login(login="demo", password="demo1234")).case_no
        sync.sync_round(other.store, transport=FakeTransport("310104", "02", centre=centre, server_time=server_time))
    finally:
        other.close()
    window_no = services.window().window_no
    sync.sync_round(services.store, transport=FakeTransport("310104", window_no, centre=centre,
                                                            server_time=server_time))
    clock.now = datetime(2026, 3, 16, 9, 0)
    window.worklist_action.trigger()
    dialog = window.active_dialog
    qtbot.waitUntil(lambda: dialog.summary.text().startswith("本窗口共 0 项"), timeout=10_000)
    assert dialog.table.rowCount() == 0 and not dialog.gap_button.isEnabled()
    dialog.scope_box.setCurrentIndex(dialog.scope_box.findData("centre"))
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=10_000)
    assert dialog.summary.text().startswith("全中心共 1 项")
    assert dialog.table.item(0, 1).text() == theirs and dialog.table.item(0, 4).text() == "02 号"
    assert dialog.gap_button.isEnabled()
    dialog.scope_box.setCurrentIndex(dialog.scope_box.findData("window"))
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 0, timeout=10_000)
