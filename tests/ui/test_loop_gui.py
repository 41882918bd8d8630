"""The centre-wide loop at the window, as a clerk does it: a case taken at window 03 is found here by the
applicant's phone and continued (补正) under its lease; a case window 03 is handling shows who and until when,
and nothing is done; offline the clerk goes on with a note in the status bar; a clerk cannot void, a 值班长
can; 更正 and 撤回 from 办件查询; a batch the department returned shows its reason.

The centre is the fake one (tests/support/fake_transport.py), shared by this window (01) and window 03: this
window's lease calls reach it through the one place the services open a link for a lease (leases._open).
YICHUANG_SCREENSHOT=1 also saves the lookup dialog as docs/screenshot-lookup.png and the transfer dialog as
docs/screenshot-transfer.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from db.central.errors import CentralUnreachable
from desktop.core import sync
from desktop.core.cases import leases
from desktop.core.errors import AuthError, CaseLeased
from desktop.core.services import Services, init_store
from desktop.ui.dialogs.correct import CorrectDialog
from desktop.ui.dialogs.lookup import LookupDialog
from desktop.ui.dialogs.rating import RatingDialog
from desktop.ui.dialogs.void import VoidDialog
from desktop.ui.dialogs.withdraw import WithdrawDialog
from tests.support.clerk_actions import commit_text, ctrl_enter, wait_idle, wait_intake
from tests.support.fake_transport import FakeCentre, FakeTransport
from tests.support.ids import LI_SI_ID, ZHANG_SAN_ID

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-lookup.png"
PHONE = "13912345678"
WAITING = {  # 居住证签注 with the permit still missing: 一次性告知, waiting for 补正
    "matter": "SH-PER-002",
    "applicant": {"kind": "person", "name": "张三", "id_type": "resident_id", "id_no": ZHANG_SAN_ID, "phone": PHONE},
    "materials": {"ID": "paper"},
}
ACCEPTED = {  # 居住证办理（首次申领）: accepted, transferred to 上海市公安局
    "matter": "SH-PER-001",
    "applicant": {"kind": "person", "name": "李四", "id_type": "resident_id", "id_no": LI_SI_ID},
    "materials": {"ID": "paper", "PHOTO": "paper", "RESIDENCE": "paper"},
}


@pytest.fixture
def centre() -> FakeCentre:
    return FakeCentre(server_time="2026-03-10T09:30:00+08:00")  # the UI tests' morning


@pytest.fixture
def at_centre(monkeypatch, centre):
    """This window (01) is online: its leases are asked of the fake centre. Returns its transport."""
    link = FakeTransport("310104", "01", centre=centre)
    monkeypatch.setattr(leases, "_open", lambda _store: link)
    return link


@pytest.fixture
def window03(tmp_path, clock, centre):
    """Window 03 of the same centre, where 王芳 works."""
    home = tmp_path / "w03"
    init_store(home, centre_code="310104", window_no="03", centre_name="徐汇区行政服务中心", demo=True, clock=clock)
    svc = Services(home, clock=clock)
    admin = svc.login(login="admin", password="admin1234")
    wang = svc.add_user(login="wangfang", password="wangfang1", name="王芳", staff_no="C0303", role="clerk",
                        actor=admin)
    yield svc, wang, FakeTransport("310104", "03", centre=centre)
    svc.close()


def taken_at_03(window03, intake=WAITING) -> str:
    svc, wang, link = window03
    case_no = svc.accept_application(intake=intake, clerk=wang).case_no
    assert sync.sync_round(svc.store, transport=link).pushed >= 1
    return case_no


def pull(services, at_centre) -> None:
    sync.sync_round(services.store, transport=at_centre)


def open_lookup(qtbot, window) -> LookupDialog:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    dialog = window.active_dialog
    assert isinstance(dialog, LookupDialog)
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    return dialog


def find(qtbot, dialog, selector: str, text: str) -> None:
    dialog.set_selector(selector)
    if text.isascii():
        qtbot.keyClicks(dialog.case_edit, text)
    else:  # Chinese comes from the input method
        commit_text(dialog.case_edit, text)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):  # read on the reader thread
        qtbot.keyClick(dialog.case_edit, Qt.Key.Key_Return)
    assert dialog.record is not None, dialog.error_label.text()


def press(qtbot, dialog, name: str) -> None:
    """The clerk presses a 继续办理 button (its Alt+letter does the same)."""
    qtbot.mouseClick(dialog.case_buttons[name], Qt.MouseButton.LeftButton)


def column(table, col: int) -> list[str]:
    return [table.item(r, col).text() for r in range(table.rowCount())]


def test_a_case_taken_at_03_is_found_by_phone_and_supplemented_here(qtbot, window, services, window03, at_centre,
                                                                     centre):
    case_no = taken_at_03(window03)
    pull(services, at_centre)

    dialog = open_lookup(qtbot, window)
    find(qtbot, dialog, "phone", PHONE)  # the applicant lost the one-time notice
    assert dialog.record.case_no == case_no and dialog.hits_table.isHidden()  # one case: shown at once
    assert dialog.facts["clerk"].text().startswith("王芳") and "待申请人补正" in dialog.status_label.text()
    assert PHONE not in dialog.facts["applicant"].text()
    assert dialog.case_buttons["supplement"].isEnabled() and not dialog.case_buttons["void"].isEnabled()
    if os.environ.get("YICHUANG_SCREENSHOT"):
        dialog.grab().save(str(SCREENSHOT))

    press(qtbot, dialog, "supplement")  # the lease first, then the intake view reopens the case
    qtbot.waitUntil(lambda: window.supplement_record is not None, timeout=10_000)
    assert window.supplement_record.case_no == case_no and not dialog.isVisible()
    assert centre.leases[case_no]["window_no"] == "01" and centre.leases[case_no]["clerk_name"] == "张敏"
    assert window.case_lease.case_no == case_no  # held by the window while the clerk ticks the materials

    qtbot.waitUntil(lambda: window.checklist.hasFocus(), timeout=5_000)
    assert window.checklist.state(1) == "missing"
    window.checklist.setCurrentCell(1, 0)
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)  # the permit arrived
    result = wait_intake(qtbot, window, lambda: ctrl_enter(qtbot, window.checklist))
    assert result is not None and result.case_no == case_no and result.outcome == "completed"
    qtbot.waitUntil(lambda: case_no not in centre.leases, timeout=10_000)  # given back
    assert window.case_lease.case_no == ""

    pull(services, at_centre)  # and the centre has 01's version, by 张敏
    assert centre.cases[case_no]["payload"]["version"] == 2 and centre.cases[case_no]["last_window_no"] == "01"
    assert centre.cases[case_no]["steps"][-1]["actor_name"] == "张敏"


def test_a_case_window_03_is_handling_shows_who_and_nothing_is_done(qtbot, window, services, window03, at_centre,
                                                                    centre, print_log):
    case_no = taken_at_03(window03)
    pull(services, at_centre)
    window03[2].lease_case(case_no, "wangfang", "王芳")  # 王芳 is on it at window 03

    dialog = open_lookup(qtbot, window)
    find(qtbot, dialog, "case_no", case_no)
    for name in ("supplement", "correct", "withdraw"):
        with qtbot.waitSignal(dialog.lease_refused, timeout=10_000) as refused:
            press(qtbot, dialog, name)
        assert refused.args == ["王芳，03 号窗口正在办理此件（至 09:40）"]
        assert dialog.error_label.text() == "王芳，03 号窗口正在办理此件（至 09:40）"
        assert dialog.child is None and dialog.isVisible() and window.supplement_record is None
        assert dialog.case_buttons[name].isEnabled()  # the clerk may try again later
    assert centre.leases[case_no]["window_no"] == "03"
    # the services refuse it too: a script or a stale dialog cannot go round the lease
    with pytest.raises(CaseLeased):
        services.withdraw_case(case_no=case_no, reason="申请人撤回", clerk=window.clerk)
    with pytest.raises(CaseLeased):
        services.supplement_case(case_no=case_no, materials={"PERMIT": "paper"}, clerk=window.clerk)
    assert services.case_record(case_no=case_no).outcome == "notice"
    assert [h.status for h in services.lookup_cases(case_no=case_no)] == ["received"]
    assert not any(o.kind == "case.upsert" and o.ref == case_no for o in services.outbox(states=("pending",)))

    centre.release("03", case_no)  # 王芳 is done: now this window may go on
    with qtbot.waitSignal(dialog.continued, timeout=10_000):
        press(qtbot, dialog, "rating")
    assert isinstance(dialog.child, RatingDialog) and centre.leases[case_no]["window_no"] == "01"
    dialog.child.reject()
    qtbot.waitUntil(lambda: case_no not in centre.leases, timeout=10_000)  # released when the dialog closes


def test_offline_the_clerk_goes_on_and_the_status_bar_says_so(qtbot, window, services, window03, at_centre,
                                                             centre):
    case_no = taken_at_03(window03)
    pull(services, at_centre)
    at_centre.fail.append(CentralUnreachable("no route to host"))

    dialog = open_lookup(qtbot, window)
    find(qtbot, dialog, "case_no", case_no)
    with qtbot.waitSignal(dialog.continued, timeout=10_000):
        press(qtbot, dialog, "rating")
    assert isinstance(dialog.child, RatingDialog) and dialog.child.case_edit.text() == case_no
    assert "离线" in window.status.activity.text() and case_no in window.status.activity.text()
    assert case_no not in centre.leases


def test_a_clerk_cannot_void_a_supervisor_can(qtbot, window, super_window, services, clerk, at_centre, centre):
    case_no = services.accept_application(intake=ACCEPTED, clerk=clerk).case_no
    pull(services, at_centre)

    dialog = open_lookup(qtbot, window)
    find(qtbot, dialog, "case_no", case_no)
    void = dialog.case_buttons["void"]
    assert not void.isEnabled() and "值班长" in void.toolTip()
    assert dialog.case_buttons["withdraw"].isEnabled()  # 撤回 is a clerk's
    qtbot.keyClick(dialog, Qt.Key.Key_Z, Qt.KeyboardModifier.AltModifier)  # the key of a disabled button
    dialog.continue_case("void")  # and the handler itself, as a stale shortcut would call it
    assert "无权作废办件" in dialog.error_label.text() and dialog.child is None
    assert ("lease_case", case_no) not in at_centre.calls  # the centre was not even asked
    forced = VoidDialog(dialog, services, clerk, dialog.record)  # a dialog built round the table
    forced.reason_edit.setPlainText("误录")
    forced.submit()
    wait_idle(qtbot, window)
    assert "无权作废办件" in forced.error_label.text() and forced.change is None
    with pytest.raises(AuthError):
        services.void_case(case_no=case_no, reason="误录", clerk=clerk)
    assert services.lookup_cases(case_no=case_no)[0].status == "received"
    dialog.reject()

    boss = open_lookup(qtbot, super_window)
    find(qtbot, boss, "case_no", case_no)
    assert boss.case_buttons["void"].isEnabled()
    with qtbot.waitSignal(boss.continued, timeout=10_000):
        press(qtbot, boss, "void")
    form = boss.child
    assert isinstance(form, VoidDialog) and centre.leases[case_no]["window_no"] == "01"
    form.submit()  # no reason: refused, in Chinese
    assert "作废须写明原因" in form.error_label.text()
    commit_text(form.reason_edit, "重复录入，以另一件为准")
    with qtbot.waitSignal(boss.loaded, timeout=10_000):  # done, released, read again
        form.submit()
    assert form.change.status == "voided"
    assert "已作废" in boss.status_label.text()
    assert [n for n, b in boss.case_buttons.items() if b.isEnabled()] == ["reprint"]
    qtbot.waitUntil(lambda: case_no not in centre.leases, timeout=10_000)


def test_correct_a_name_then_the_applicant_withdraws(qtbot, window, services, clerk, at_centre, centre, print_log):
    case_no = services.accept_application(intake=ACCEPTED, clerk=clerk).case_no
    pull(services, at_centre)
    dialog = open_lookup(qtbot, window)
    find(qtbot, dialog, "name", "李四")

    with qtbot.waitSignal(dialog.continued, timeout=10_000):
        press(qtbot, dialog, "correct")
    form = dialog.child
    assert isinstance(form, CorrectDialog) and form.applicant.id_no.text() == LI_SI_ID
    commit_text(form.reason_edit, "姓名录入错误，核对身份证原件更正")
    form.submit()
    assert "没有修改任何内容" in form.error_label.text()  # nothing changed yet
    form.applicant.name.clear()
    commit_text(form.applicant.name, "李思")
    printed = len(print_log)
    with qtbot.waitSignal(dialog.loaded, timeout=15_000):
        form.submit()
    assert form.change.event == "corrected" and form.change.documents
    assert len(print_log) == printed + len(form.change.documents)  # every document again, marked 更正
    assert "李思" in dialog.facts["applicant"].text() and "更正" in column(dialog.history_table, 2)
    qtbot.waitUntil(lambda: case_no not in centre.leases, timeout=10_000)

    with qtbot.waitSignal(dialog.continued, timeout=10_000):
        press(qtbot, dialog, "withdraw")
    form = dialog.child
    assert isinstance(form, WithdrawDialog)
    commit_text(form.reason_edit, "申请人已在外区办理，申请撤回")
    with qtbot.waitSignal(dialog.loaded, timeout=15_000):
        form.submit()
    assert services.lookup_cases(case_no=case_no)[0].status == "withdrawn"
    assert "已撤回" in dialog.status_label.text()
    assert not dialog.case_buttons["correct"].isEnabled() and not dialog.case_buttons["handover"].isEnabled()


def test_a_batch_the_department_returned_shows_its_reason(qtbot, window, services, clerk, at_centre, centre):
    case_no = services.accept_application(intake=ACCEPTED, clerk=clerk).case_no
    batch = services.create_transfer(department="上海市公安局", case_nos=[case_no], channel="online", clerk=clerk)
    services.advance_transfer(batch_no=batch.batch_no, state="sent", clerk=clerk)
    pull(services, at_centre)
    centre.return_batch(batch.batch_no, "居住证明为复印件，请补交原件", by_name="王科员")
    pull(services, at_centre)

    qtbot.keyClick(window, Qt.Key.Key_F7)
    dialog = window.active_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5_000)
    assert dialog.select_batch(batch.batch_no)
    row = dialog.batches.currentRow()
    assert dialog.batches.item(row, 5).text() == "部门已退回"
    assert dialog.batches.item(row, 8).text() == "居住证明为复印件，请补交原件"
    assert dialog.batches.item(row, 7).text() != "—"  # when the department answered
    assert "退回原因：居住证明为复印件，请补交原件" in dialog.batch_detail.text()
    assert dialog.check_case(case_no)  # the case is back on the pile, ready for a new batch
    assert not dialog.sent_button.isEnabled()
    if os.environ.get("YICHUANG_SCREENSHOT"):
        dialog.grab().save(str(SCREENSHOT.with_name("screenshot-transfer.png")))


def test_two_cases_of_one_applicant_are_listed_and_the_clerk_picks_one(qtbot, window, services, clerk):
    first = services.accept_application(intake=ACCEPTED, clerk=clerk).case_no
    second = services.accept_application(intake=ACCEPTED, clerk=clerk).case_no
    dialog = open_lookup(qtbot, window)
    dialog.set_selector("id_no")
    qtbot.keyClicks(dialog.case_edit, LI_SI_ID)
    with qtbot.waitSignal(dialog.searched, timeout=10_000) as listed:
        qtbot.keyClick(dialog.case_edit, Qt.Key.Key_Return)
    assert listed.args == [2] and dialog.hits_table.isVisible() and dialog.body.isHidden()
    assert column(dialog.hits_table, 0) == [second, first]  # newest first
    assert LI_SI_ID not in column(dialog.hits_table, 3)  # masked
    dialog.hits_table.selectRow(1)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        qtbot.keyClick(dialog.hits_table, Qt.Key.Key_Return)
    assert dialog.record.case_no == first and dialog.body.isVisible()
