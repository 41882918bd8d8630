"""办件查询 (Ctrl+L) and 节假日日历: a clerk looks a case up; a 值班长 pauses, resumes, extends and imports a calendar."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from PySide6.QtCore import Qt

from desktop.core.privacy import mask_id
from desktop.core.services import Services
from desktop.ui.dialogs.lookup import LookupDialog
from desktop.ui.status import NEXT_YEAR_WARNING, WindowStatusBar
from tests.support.clerk_actions import fill_person, pick_matter, wait_idle, wait_intake
from tests.support.clock import UI_NOW
from tests.support.ids import LI_SI_ID

TO_DECIDE = {  # 居住证办理（首次申领）: accepted, decided by 上海市公安局
    "matter": "SH-PER-001",
    "applicant": {"kind": "person", "name": "李四", "id_type": "resident_id", "id_no": LI_SI_ID},
    "materials": {"ID": "paper", "PHOTO": "paper", "RESIDENCE": "paper"},
}


def open_lookup(qtbot, window, case_no: str) -> LookupDialog:
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dialog = window.active_dialog
    assert isinstance(dialog, LookupDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    qtbot.keyClicks(dialog.case_edit, case_no)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):  # read on the reader thread
        qtbot.keyClick(dialog.case_edit, Qt.Key.Key_Return)
    assert dialog.record is not None, dialog.error_label.text()
    return dialog


def column(table, col: int) -> list[str]:
    return [table.item(r, col).text() for r in range(table.rowCount())]


def test_mask_shows_first_six_and_last_four():
    assert mask_id("11010519491231002X") == "110105********002X"


def test_lookup_after_intake_shows_history_documents_and_masked_id(qtbot, window, services, print_log):
    pick_matter(qtbot, window, "jzzbl")
    fill_person(qtbot, window, name="李四", id_no=LI_SI_ID)
    window.focus_materials()
    for _ in range(3):
        qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    result = wait_intake(qtbot, window, window.accept_intake)
    assert result is not None, window.message_label.text()

    dialog = open_lookup(qtbot, window, result.case_no)
    assert "居住证" in dialog.facts["matter"].text()
    applicant = dialog.facts["applicant"].text()
    assert mask_id(LI_SI_ID) in applicant and LI_SI_ID not in applicant
    assert dialog.facts["outcome"].text() == "受理"
    assert dialog.facts["promised"].text() == f"{services.case_record(case_no=result.case_no).promised_date}"
    assert "纸质收取" in column(dialog.materials, 2)
    assert column(dialog.history_table, 2) == ["受理"]
    assert column(dialog.history_table, 1) == [window.clerk.name]
    docs = services.documents(case_no=result.case_no)
    assert dialog.documents_table.rowCount() == len(docs) >= 1
    assert "收件凭证" in column(dialog.documents_table, 0)
    assert not dialog.clock_box.isVisible()  # a clerk does not manage the clock

    dialog.documents_table.setFocus()
    dialog.documents_table.selectRow(0)
    before = len(print_log)
    qtbot.keyClick(dialog.documents_table, Qt.Key.Key_Return)
    assert len(print_log) == before + 1 and print_log[-1].pdf_path == docs[0].path

    qtbot.keyClicks(dialog.case_edit, "3101040126031099999")
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        qtbot.keyClick(dialog.case_edit, Qt.Key.Key_Return)
    assert dialog.record is None and "3101040126031099999" in dialog.error_label.text()
    assert dialog.body.isHidden()


def test_supervisor_pauses_and_resumes_the_clock(qtbot, super_window, clock):
    services, supervisor = super_window.services, super_window.clerk
    case_no = services.accept_application(intake=TO_DECIDE, clerk=services.login(login="demo", password="demo1234")).case_no
    before = services.case_record(case_no=case_no)
    dialog = open_lookup(qtbot, super_window, case_no)
    assert dialog.clock_box.isVisible() and dialog.pause_button.isEnabled() and not dialog.resume_button.isEnabled()

    dialog.pause_button.click()  # no reason: refused, in Chinese
    wait_idle(qtbot, super_window)
    assert "理由" in dialog.clock_note.text()
    dialog.reason_edit.setText("现场核查")
    dialog.pause_button.click()
    wait_idle(qtbot, super_window)
    events = services.case_history(case_no=case_no)
    assert [(e[2], e[3]) for e in events][-1] == ("clock.paused", "现场核查")
    assert events[-1][1] == supervisor.login
    assert "时限暂停" in column(dialog.history_table, 2) and "暂停" in dialog.status_label.text()
    assert dialog.resume_button.isEnabled() and not dialog.pause_button.isEnabled()

    clock.now = datetime(2026, 3, 13, 10, 0)  # three days later, a Friday
    dialog.resume_button.click()
    wait_idle(qtbot, super_window)
    last = services.case_history(case_no=case_no)[-1]
    assert last[2] == "clock.resumed"
    skipped = int(last[3].split()[0])
    assert skipped == 3 and f"{skipped} 个工作日不计入时限" in dialog.clock_note.text()  # 03-11, 03-12, 03-13
    after = services.case_record(case_no=case_no)
    # accepted Tuesday 03-10: 10 working days promised (03-24), 15 statutory (03-31); each moves by 3
    assert (before.promised_date, before.statutory_date) == (date(2026, 3, 24), date(2026, 3, 31))
    assert after.promised_date == date(2026, 3, 27)
    assert after.statutory_date == date(2026, 4, 3)  # 清明 is 04-04..06, so Friday 04-03 still counts
    assert str(after.promised_date) in dialog.facts["promised"].text()
    assert "时限恢复" in column(dialog.history_table, 2)


def test_extension_needs_a_supervisor_approver(qtbot, super_window):
    services = super_window.services
    case_no = services.accept_application(intake=TO_DECIDE, clerk=super_window.clerk).case_no
    before = services.case_record(case_no=case_no)
    dialog = open_lookup(qtbot, super_window, case_no)
    dialog.reason_edit.setText("需专家评审")
    dialog.days_spin.setValue(5)
    qtbot.keyClicks(dialog.approver_edit, "demo")
    qtbot.keyClicks(dialog.approver_password, "demo1234")
    dialog.extend_button.click()
    wait_idle(qtbot, super_window)
    assert "无权批准延期" in dialog.clock_note.text()  # roles.require names who may not approve
    assert services.case_record(case_no=case_no).promised_date == before.promised_date

    dialog.approver_edit.setText("super")
    dialog.approver_password.setText("super1234")
    dialog.extend_button.click()
    wait_idle(qtbot, super_window)
    after = services.case_record(case_no=case_no)
    assert after.promised_date == services.add_workdays(start=before.promised_date, days=5)
    assert services.case_history(case_no=case_no)[-1][2] == "clock.extended"
    assert "已延期 5 个工作日" in dialog.clock_note.text() and "延期" in column(dialog.history_table, 2)

    dialog.days_spin.setValue(6)  # 5 + 6 > 10: the services refuse it in Chinese
    dialog.reason_edit.setText("再次延期")
    dialog.approver_password.setText("super1234")
    dialog.extend_button.click()
    wait_idle(qtbot, super_window)
    assert "不得超过 10 个工作日" in dialog.clock_note.text()


def calendar_file(tmp_path, name: str, data) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


CAL_2027 = {
    "years": [2027],
    "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-02-06", "kind": "holiday", "name": "春节"},
        {"date": "2027-02-07", "kind": "holiday", "name": "春节"},
        {"date": "2027-02-08", "kind": "holiday", "name": "春节"},
        {"date": "2027-02-20", "kind": "workday", "name": "春节"},
    ],
}


def open_calendar(qtbot, window):
    window.calendar_action.trigger()
    dialog = window.active_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    return dialog


def test_calendar_import_adds_the_year(qtbot, super_window, home, tmp_path, quiet_presenter):
    dialog = open_calendar(qtbot, super_window)
    assert "2026 年" in dialog.years_label.text() and "2027" not in dialog.years_label.text()
    quiet_presenter.files.append(calendar_file(tmp_path, "2027.json", CAL_2027))  # what the clerk picks
    dialog.choose_button.click()  # 导入日历文件: the file chooser answers, the file is read
    assert dialog.path_edit.text().endswith("2027.json")
    assert "2027 年：放假 4 天，调休上班 1 天" in dialog.preview_label.text()
    assert dialog.confirm_button.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=10_000):
        qtbot.keyClick(dialog.confirm_button, Qt.Key.Key_Space)
    assert "2027 年" in dialog.years_label.text() and "已导入" in dialog.note_label.text()
    fresh = Services(home, clock=super_window.services.clock)
    try:
        assert fresh.calendar().has_year(2027)
        assert fresh.add_workdays(start=date(2026, 12, 31), days=1) == date(2027, 1, 4)
    finally:
        fresh.close()


@pytest.mark.parametrize("content", ["{not json", json.dumps({"years": [2027], "days": [
    {"date": "2027-02-20", "kind": "workday", "name": "春节"}]})])
def test_corrupt_calendar_file_changes_nothing(qtbot, super_window, home, tmp_path, content):
    dialog = open_calendar(qtbot, super_window)
    dialog.path_edit.setText(calendar_file(tmp_path, "bad.json", content))
    qtbot.keyClick(dialog.path_edit, Qt.Key.Key_Return)
    assert "日历文件有误，未导入" in dialog.note_label.text()
    assert not dialog.confirm_button.isEnabled()
    dialog.confirm_import()
    wait_idle(qtbot, super_window)
    fresh = Services(home, clock=super_window.services.clock)
    try:
        assert not fresh.calendar().has_year(2027)
    finally:
        fresh.close()


def test_calendar_is_for_supervisors_only(window):
    assert not window.calendar_action.isEnabled()
    window.open_calendar()
    assert window.active_dialog is None


def test_next_year_warning_from_november_until_imported(qtbot, home, tmp_path):
    services = Services(home, clock=lambda: datetime(2026, 11, 2, 9, 0))
    try:
        clerk = services.login(login="demo", password="demo1234")
        bar = WindowStatusBar(services, clerk)
        qtbot.addWidget(bar)
        assert NEXT_YEAR_WARNING in bar.calendar_warning.text() and not bar.calendar_warning.isHidden()
        assert not bar.check_calendar([2025, 2026, 2027])
        assert bar.calendar_warning.isHidden()
    finally:
        services.close()
    march = Services(home, clock=lambda: UI_NOW)
    try:
        bar = WindowStatusBar(march, march.login(login="demo", password="demo1234"))
        qtbot.addWidget(bar)
        assert bar.calendar_warning.isHidden()  # before November nothing is said
    finally:
        march.close()


def test_pausing_and_resuming_print_the_applicants_written_notice(qtbot, super_window, clock, print_log):
    """Art. 42, 45: the applicant is told in writing; the window sends the notice to the printer."""
    services = super_window.services
    case_no = services.accept_application(intake=TO_DECIDE,
                                          clerk=services.login(login="demo", password="demo1234")).case_no
    dialog = open_lookup(qtbot, super_window, case_no)
    printed_before = len(print_log)
    dialog.reason_edit.setText("专家评审")
    dialog.pause_button.click()
    wait_idle(qtbot, super_window)
    qtbot.waitUntil(lambda: len(print_log) == printed_before + 1, timeout=10_000)
    assert "clock_notice" in print_log[-1].pdf_path
    clock.now = datetime(2026, 3, 13, 10, 0)
    dialog.resume_button.click()
    wait_idle(qtbot, super_window)
    qtbot.waitUntil(lambda: len(print_log) == printed_before + 2, timeout=10_000)
    assert "clock_notice" in print_log[-1].pdf_path and print_log[-1].pdf_path != print_log[-2].pdf_path
