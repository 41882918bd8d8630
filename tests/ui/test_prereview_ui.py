"""网上预审 at the counter: find a pre-reviewed application by number, typed ID or a card on the reader, see
what was checked online, accept it with one key; the case keeps the online number and is taken only once."""

from __future__ import annotations

import dataclasses

import pytest

from desktop.core.errors import YichuangError
from desktop.ui.dialogs.prereview import PrereviewDialog
from desktop.ui.qt import Qt
from tests.support.idcard_sim import IdCardSim, SimCard
from tests.support.ids import LI_SI_ID

APP = "YW20260309000123"
INTAKE = {  # 居住证办理（首次申领）, every original to be checked at the counter
    "matter": "SH-PER-001",
    "applicant": {"kind": "person", "name": "李四", "id_type": "resident_id", "id_no": LI_SI_ID},
    "materials": {"ID": "paper", "PHOTO": "paper", "RESIDENCE": "paper"},
}


@pytest.fixture
def imported(services, clerk):
    services.import_prereviews(data=[{"app_no": APP, "submitted_at": "2026-03-09T20:15:00+08:00",
                                      "intake": INTAKE}], clerk=clerk)
    return APP


def open_dialog(qtbot, window) -> PrereviewDialog:
    qtbot.keyClick(window, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.active_dialog
    assert isinstance(dialog, PrereviewDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    return dialog


def search(qtbot, dialog, text: str) -> int:
    dialog.search_edit.clear()
    qtbot.keyClicks(dialog.search_edit, text)
    with qtbot.waitSignal(dialog.found, timeout=10_000) as blocker:
        qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return)
    return blocker.args[0]


def test_found_by_id_seen_and_accepted_in_one_key(qtbot, window, services, imported, print_log):
    dialog = open_dialog(qtbot, window)
    with qtbot.waitSignal(dialog.shown, timeout=10_000):
        assert search(qtbot, dialog, LI_SI_ID.lower()) == 1  # typed, any case
    assert services.lookup_cases(id_no=LI_SI_ID) == []  # Enter only searched
    text = dialog.detail.text()
    assert "居住证" in text and "李四" in text and "请核验原件" in text and "纸质收取" in text
    assert LI_SI_ID not in text and LI_SI_ID[:6] in text  # masked as on paper
    assert dialog.table.item(0, 0).text() == APP and dialog.table.item(0, 5).text() == "待核验原件"
    assert dialog.ok_button.isEnabled()
    with qtbot.waitSignal(dialog.taken, timeout=15_000) as blocker:
        qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    result = blocker.args[0]
    record = services.case_record(case_no=result.case_no)
    assert record.online_app_no == APP and record.applicant.name == "李四"
    assert window.last_result is result and result.case_no in window.message_label.text()
    assert {p.pdf_path for p in print_log} >= {d.path for d in result.documents} and result.documents
    assert [i.case_no for i in services.find_prereviews(app_no=APP)] == [result.case_no]

    # found again: shown as taken, and no key takes it a second time
    dialog = open_dialog(qtbot, window)
    with qtbot.waitSignal(dialog.shown, timeout=10_000):
        assert search(qtbot, dialog, APP.lower()) == 1
    assert result.case_no in dialog.detail.text() and not dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(300)
    assert "已受理为办件" in dialog.error_label.text()
    assert len(services.lookup_cases(id_no=LI_SI_ID)) == 1


def test_nothing_found_says_so_and_stores_nothing(qtbot, window, services, imported):
    dialog = open_dialog(qtbot, window)
    assert search(qtbot, dialog, "YW0000000000") == 0
    assert "没有找到" in dialog.error_label.text() and not dialog.ok_button.isEnabled()
    qtbot.keyClick(dialog.search_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(200)
    assert "请先查找并选中" in dialog.error_label.text()
    assert services.lookup_cases(id_no=LI_SI_ID) == []


def test_a_card_on_the_reader_finds_the_holders_application(qtbot, services, clerk, imported, print_log):
    from desktop.ui.main_window import MainWindow

    with IdCardSim(None) as sim:
        services.set_setting("idcard_port", sim.port)
        w = MainWindow(services, clerk)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        try:
            qtbot.waitUntil(lambda: w.idcard_state.text() == "读卡器就绪", timeout=5000)
            dialog = w.open_prereview()
            qtbot.waitUntil(dialog.isVisible, timeout=2000)
            with qtbot.waitSignal(dialog.shown, timeout=10_000):
                sim.card = SimCard(name="李四", id_no=LI_SI_ID)
            assert dialog.search_edit.text() == LI_SI_ID and dialog.items[0].app_no == APP
            assert w.form.person.name.text() == ""  # the card went to the dialog, not into the intake form
        finally:
            w.close()


def test_a_clerk_without_intake_cannot_accept(qtbot, services, clerk, imported, print_log):
    from desktop.ui.main_window import MainWindow

    outsider = dataclasses.replace(clerk, role="backoffice")
    w = MainWindow(services, outsider)
    qtbot.addWidget(w)
    try:
        assert not w.prereview_action.isEnabled() and w.open_prereview() is None
        with pytest.raises(YichuangError):
            services.accept_prereview(app_no=APP, clerk=outsider)
        assert services.lookup_cases(id_no=LI_SI_ID) == []
    finally:
        w.close()
