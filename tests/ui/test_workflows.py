"""A clerk's day beyond plain intake: material details, refusal, on-the-spot result, 补正, 流转, 送达, 好差评, 咨询, 异常件."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton
from sqlalchemy import update

from db.local.models import OutboxOp
from tests.support.clerk_actions import (
    commit_text,
    ctrl_enter,
    fill_person,
    pick_matter,
    wait_idle,
    wait_intake,
)
from tests.support.ids import LI_SI_ID, ZHANG_SAN_ID

ON_THE_SPOT = {  # 居住证签注: 当场办结
    "matter": "SH-PER-002",
    "applicant": {"kind": "person", "name": "张三", "id_type": "resident_id", "id_no": ZHANG_SAN_ID},
    "materials": {"ID": "paper", "PERMIT": "paper"},
}
TO_TRANSFER = {  # 居住证办理（首次申领）: accepted, decided by 上海市公安局
    "matter": "SH-PER-001",
    "applicant": {"kind": "person", "name": "李四", "id_type": "resident_id", "id_no": LI_SI_ID},
    "materials": {"ID": "paper", "PHOTO": "paper", "RESIDENCE": "paper"},
}


def ops(services, kind: str) -> list:
    return [o for o in services.outbox(limit=1000) if o.kind == kind]


def test_material_details_by_keyboard_go_into_the_case(qtbot, window, services):
    pick_matter(qtbot, window, "jzzbl")  # 居住证办理（首次申领）: ID*E, PHOTO*, RESIDENCE*E, EMPLOYMENT
    fill_person(qtbot, window)
    window.focus_materials()
    table = window.checklist
    qtbot.keyClick(table, Qt.Key.Key_2)  # 电子证照: the cursor goes to the licence number
    assert QApplication.focusWidget() is window.detail_editor.ref_edit
    qtbot.keyClicks(window.detail_editor.ref_edit, "DZZZ-310104-0001")
    qtbot.keyClick(window.detail_editor.ref_edit, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is table and table.currentRow() == 1
    qtbot.keyClick(table, Qt.Key.Key_4)  # 容缺受理: the promised date, +5 working days by default
    assert QApplication.focusWidget() is window.detail_editor.due_edit
    assert window.detail_editor.due_edit.date().toPython() == date(2026, 3, 17)
    qtbot.keyClick(window.detail_editor.due_edit, Qt.Key.Key_Return)
    qtbot.keyClick(table, Qt.Key.Key_6)  # 不符合要求: the reason
    assert QApplication.focusWidget() is window.detail_editor.reason_edit
    commit_text(window.detail_editor.reason_edit, "租赁合同未登记备案")
    assert "租赁合同未登记备案" in table.item(2, 0).text()
    qtbot.keyClick(window.detail_editor.reason_edit, Qt.Key.Key_Return)

    result = wait_intake(qtbot, window, lambda: ctrl_enter(qtbot, table))
    assert result is not None, window.message_label.text()
    assert result.outcome == "notice"  # a required material is defective
    materials = {m.code: m for m in services.case_record(case_no=result.case_no).materials}
    assert materials["ID"].state == "e_licence" and materials["ID"].e_licence_ref == "DZZZ-310104-0001"
    assert materials["PHOTO"].state == "gap" and materials["PHOTO"].gap_due == date(2026, 3, 17)
    assert materials["RESIDENCE"].state == "defective" and materials["RESIDENCE"].reason == "租赁合同未登记备案"
    assert {d.kind for d in result.documents} >= {"one_time_notice", "gap_promise"}


def test_defective_without_a_reason_is_refused_and_points_at_the_reason(qtbot, window, services):
    pick_matter(qtbot, window, "jzzqz")
    fill_person(qtbot, window)
    window.focus_materials()
    qtbot.keyClick(window.checklist, Qt.Key.Key_6)
    qtbot.keyClick(window.detail_editor.reason_edit, Qt.Key.Key_Return)
    assert wait_intake(qtbot, window, lambda: ctrl_enter(qtbot, window.checklist)) is None
    assert services.outbox() == []
    assert QApplication.focusWidget() is window.detail_editor.reason_edit
    assert window.message_label.text()


def test_double_ctrl_enter_makes_one_case(qtbot, window, services):
    pick_matter(qtbot, window, "jzzqz")
    fill_person(qtbot, window)
    window.focus_materials()
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    with qtbot.waitSignal(window.intake_finished, timeout=15_000):
        ctrl_enter(qtbot, window.checklist)
        assert not window.centralWidget().isEnabled() and window.busy_bar.isVisible()  # busy, locked
        ctrl_enter(qtbot, window)
        assert window.accept_intake() is None
    wait_idle(qtbot, window)
    assert len(ops(services, "case.upsert")) == 1
    assert window.centralWidget().isEnabled() and not window.busy_bar.isVisible()


def test_refusal_prints_the_refusal_notice(qtbot, window, services, print_log):
    pick_matter(qtbot, window, "jzzbl")
    fill_person(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F12)
    dialog = window.active_dialog
    assert dialog.windowTitle() == "不予受理"
    dialog.submit()
    assert "情形" in dialog.error_label.text()  # the Art. 32(1) ground is chosen, never defaulted
    dialog.category_combo.setCurrentIndex(dialog.category_combo.findData("not_competent"))
    dialog.submit()
    assert "理由" in dialog.error_label.text()
    dialog.reason_edit.setPlainText("申请人户籍及居住地均不在本区")
    dialog.submit()
    assert "何处申请" in dialog.error_label.text()  # not this authority's competence: where to apply instead
    dialog.apply_edit.setText("户籍所在地社区事务受理服务中心")
    result = wait_intake(qtbot, window, dialog.submit)
    assert result is not None and result.outcome == "refused"
    assert [d.kind for d in result.documents] == ["refusal_notice"]
    record = services.case_record(case_no=result.case_no)
    assert record.refusal_reason == "申请人户籍及居住地均不在本区" and record.refusal_category == "not_competent"
    assert record.apply_instead == "户籍所在地社区事务受理服务中心"
    assert print_log[-1].pdf_path == result.documents[0].path
    assert "不予受理" in window.result_panel.detail_label.text()


def test_on_the_spot_result_is_recorded(qtbot, window, services):
    pick_matter(qtbot, window, "jzzqz")
    assert window.result_edit.isVisible()
    fill_person(qtbot, window)
    window.focus_materials()
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    commit_text(window.result_edit, "已签注，有效期至2027-03-09")
    result = wait_intake(qtbot, window, lambda: ctrl_enter(qtbot, window.result_edit))
    assert result.outcome == "completed"
    assert services.case_record(case_no=result.case_no).result_note == "已签注，有效期至2027-03-09"
    assert not window.result_edit.isVisible()  # cleared for the next applicant


def test_consultation_is_recorded_with_its_first_responder(qtbot, window, services, clerk):
    pick_matter(qtbot, window, "jzzbl")
    qtbot.keyClick(window, Qt.Key.Key_F10)
    dialog = window.active_dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5_000)
    assert "SH-PER-001" in dialog.matter_label.text()
    commit_text(dialog.name_edit, "王五")
    qtbot.keyClicks(dialog.phone_edit, "13800138000")
    dialog.question_edit.setPlainText("居住证首次申领需要住满多久？")
    dialog.answer_edit.setPlainText("需在本市合法稳定居住满半年，并持有居住登记凭证。")
    ctrl_enter(qtbot, dialog.answer_edit)
    qtbot.waitUntil(lambda: dialog.record is not None, timeout=10_000)
    [stored] = services.consultations()
    assert stored.asker_name == "王五" and stored.matter_code == "SH-PER-001"
    assert stored.answered_by == f"{clerk.name}（{clerk.staff_no}）"
    assert len(ops(services, "consultation.recorded")) == 1
    assert "已登记咨询" in window.message_label.text()


def test_supplement_reopens_the_case_and_completes_it(qtbot, window, services, clerk):
    notice = services.accept_application(intake={**ON_THE_SPOT, "materials": {"ID": "paper"}}, clerk=clerk)
    assert notice.outcome == "notice"
    qtbot.keyClick(window, Qt.Key.Key_F6)
    dialog = window.active_dialog
    qtbot.keyClicks(dialog.case_edit, "3101040126031099999")  # a wrong number first
    with qtbot.waitSignal(dialog.looked_up, timeout=10_000):  # read on the reader thread
        qtbot.keyClick(dialog.case_edit, Qt.Key.Key_Return)
    assert dialog.error_label.text() and dialog.isVisible()
    dialog.case_edit.clear()
    qtbot.keyClicks(dialog.case_edit, notice.case_no)  # as a scanner types it, Enter at the end
    with qtbot.waitSignal(dialog.looked_up, timeout=10_000):
        qtbot.keyClick(dialog.case_edit, Qt.Key.Key_Return)
    assert window.supplement_record is not None and window.supplement_record.case_no == notice.case_no
    assert window.form.person.name.text() == "张三" and window.form.person.name.isReadOnly()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=5_000)  # the window is active again
    assert QApplication.focusWidget() is window.checklist and window.checklist.currentRow() == 1
    assert window.checklist.state(0) == "paper" and window.checklist.state(1) == "missing"
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)  # the residence permit arrived
    result = wait_intake(qtbot, window, lambda: ctrl_enter(qtbot, window.checklist))
    assert result is not None and result.case_no == notice.case_no and result.outcome == "completed"
    assert services.case_record(case_no=notice.case_no).outcome == "completed"
    assert window.supplement_record is None and not window.form.person.name.isReadOnly()
    assert notice.case_no in window.result_panel.case_label.text()


def test_supplement_refuses_a_case_that_is_not_waiting(qtbot, window, services, clerk):
    done = services.accept_application(intake=ON_THE_SPOT, clerk=clerk)
    qtbot.keyClick(window, Qt.Key.Key_F6)
    dialog = window.active_dialog
    dialog.case_edit.setText(done.case_no)
    with qtbot.waitSignal(dialog.looked_up, timeout=10_000):
        dialog.submit()
    assert "无需补正" in dialog.error_label.text() and window.supplement_record is None


def test_transfer_batch_from_pile_to_signed(qtbot, window, services, clerk):
    first = services.accept_application(intake=TO_TRANSFER, clerk=clerk).case_no
    second = services.accept_application(intake=TO_TRANSFER, clerk=clerk).case_no
    qtbot.keyClick(window, Qt.Key.Key_F7)
    dialog = window.active_dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5_000)
    assert dialog.checked_cases() == {}
    # Space on a department ticks all its cases
    top = dialog.pile.topLevelItem(0)
    assert "上海市公安局" in top.text(0) and top.childCount() == 2
    dialog.pile.setFocus()
    dialog.pile.setCurrentItem(top)
    qtbot.keyClick(dialog.pile, Qt.Key.Key_Space)
    assert dialog.checked_cases() == {"上海市公安局": [first, second]}
    dialog.channel_combo.setCurrentIndex(dialog.channel_combo.findData("express"))
    qtbot.keyClicks(dialog.tracking_edit, "SF1234567890")
    ctrl_enter(qtbot, dialog.tracking_edit)
    qtbot.waitUntil(lambda: bool(services.transfers()), timeout=10_000)
    wait_idle(qtbot, window)
    [batch] = services.transfers()
    assert batch.state == "waiting" and batch.channel == "express" and batch.tracking_no == "SF1234567890"
    assert {c.case_no for c in batch.cases} == {first, second}
    assert dialog.selected_batch() == batch.batch_no
    assert dialog.batches.item(0, 5).text() == "待发送"
    assert services.awaiting_transfer() == {}

    dialog.print_manifest()
    qtbot.waitUntil(lambda: bool(getattr(dialog, "last_manifest", "")), timeout=10_000)
    assert dialog.last_manifest.endswith(".pdf")
    dialog.advance("sent")
    wait_idle(qtbot, window)
    assert services.transfers()[0].state == "sent"
    assert dialog.batches.item(0, 5).text() == "已发送（待上传中心）"
    # 签收 and 退回 are the department's (they arrive by the centre's transfers stream): no button for them
    assert not [b.text() for b in dialog.findChildren(QPushButton) if "签收" in b.text() or "退回" in b.text()]
    dialog.advance("signed")  # and the services refuse it all the same
    wait_idle(qtbot, window)
    assert "签收/退回由承办部门办理" in dialog.message.text()
    assert services.transfers()[0].state == "sent"
    assert len(ops(services, "transfer.upsert")) == 2


def test_a_window_cannot_return_its_own_batch(qtbot, window, services, clerk):
    """退回 is the department's; the window learns it from the centre (tests/sync/test_loop_streams.py)."""
    case_no = services.accept_application(intake=TO_TRANSFER, clerk=clerk).case_no
    window.open_transfers()
    dialog = window.active_dialog
    assert dialog.check_case(case_no)
    dialog.create_batch()
    wait_idle(qtbot, window)
    dialog.advance("sent")
    wait_idle(qtbot, window)
    assert not hasattr(dialog, "returned_button") and not hasattr(dialog, "reason_edit")
    dialog.advance("returned")  # what a button would have done: refused by the services
    wait_idle(qtbot, window)
    assert "签收/退回由承办部门办理" in dialog.message.text()
    assert services.transfers()[0].state == "sent" and services.awaiting_transfer() == {}


def test_handover_then_a_bad_rating_becomes_a_rectification_item(qtbot, window, services, clerk):
    case_no = services.accept_application(intake=ON_THE_SPOT, clerk=clerk).case_no
    qtbot.keyClick(window, Qt.Key.Key_F8)
    dialog = window.active_dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5_000)
    qtbot.keyClicks(dialog.case_edit, case_no)
    with qtbot.waitSignal(dialog.looked_up, timeout=10_000):  # read on the reader thread
        qtbot.keyClick(dialog.case_edit, Qt.Key.Key_Tab)
    assert "居住证签注" in dialog.case_info.text() and dialog.name_edit.text() == "张三"
    qtbot.keyClicks(dialog.id_edit, ZHANG_SAN_ID)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.case_no == case_no, timeout=10_000)
    assert services.case_history(case_no=case_no)[-1][2] == "delivered"
    # then the applicant is invited to rate; nothing is preselected
    qtbot.waitUntil(lambda: window.active_dialog is not dialog, timeout=5_000)
    rating = window.active_dialog
    assert rating.case_edit.text() == case_no
    assert rating.overall.checkedId() == -1
    assert all(c.currentData() is None for c in rating.dimension_combos.values())
    rating.submit()
    assert "请选择" in rating.error_label.text()
    qtbot.keyClick(rating, Qt.Key.Key_1)  # 非常不满意
    rating.dimension_combos["attitude"].setCurrentIndex(rating.dimension_combos["attitude"].findData(1))
    commit_text(rating.comment_edit, "等候时间太长")
    rating.submit()
    qtbot.waitUntil(lambda: rating.record is not None, timeout=10_000)
    [stored] = services.ratings()
    assert stored.overall == 1 and stored.attitude == 1 and stored.efficiency is None
    assert stored.comment == "等候时间太长" and stored.rectify_owner == "super"
    text = rating.follow_up.text()
    assert rating.follow_up.isVisible() and "整改" in text and "李建国" in text and "2026-03-10" in text
    assert len(ops(services, "rating.recorded")) == 1


def test_a_good_rating_after_intake_closes_the_dialog(qtbot, window, services):
    pick_matter(qtbot, window, "jzzqz")
    fill_person(qtbot, window)
    window.focus_materials()
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    result = wait_intake(qtbot, window, lambda: ctrl_enter(qtbot, window.checklist))
    qtbot.keyClick(window, Qt.Key.Key_F11)
    rating = window.active_dialog
    assert rating.case_edit.text() == result.case_no
    rating.choose(5)
    rating.submit()
    qtbot.waitUntil(lambda: not rating.isVisible(), timeout=10_000)
    assert services.ratings()[0].overall == 5 and services.ratings()[0].rectify_owner == ""


def test_clerk_reprints_only_own_cases(qtbot, window, services, supervisor, clerk, print_log):
    theirs = services.accept_application(intake=ON_THE_SPOT, clerk=supervisor).case_no
    mine = services.accept_application(intake=ON_THE_SPOT, clerk=clerk).case_no
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    dialog = window.active_dialog
    dialog.case_edit.setText(theirs)
    with qtbot.waitSignal(dialog.refused, timeout=10_000):  # the services refuse (on the writer thread)
        dialog.submit()
    assert "请由本人或值班长补打" in dialog.error_label.text()
    dialog.case_edit.setText(mine)
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.document is not None, timeout=10_000)
    assert dialog.document.path.endswith("-r1.pdf")
    assert print_log[-1].pdf_path == dialog.document.path


def supervisor_window(qtbot, services, supervisor):
    from desktop.ui.main_window import MainWindow

    w = MainWindow(services, supervisor)
    qtbot.addWidget(w)
    return w


def test_supervisor_retries_and_resolves_rejected_ops(qtbot, services, supervisor):
    for _ in range(2):
        services.accept_application(intake=ON_THE_SPOT, clerk=supervisor)
    with services.Session.begin() as s:
        s.execute(update(OutboxOp).where(OutboxOp.kind == "case.upsert")
                  .values(state="rejected", last_error="办件编号属于其他中心"))
    w = supervisor_window(qtbot, services, supervisor)
    assert w.rejected_action.isEnabled()
    w.open_rejected()
    dialog = w.active_dialog
    assert dialog.model.rowCount() == 2
    assert dialog.model.data(dialog.model.index(0, 5)) == "办件编号属于其他中心"
    dialog.table.selectRow(0)
    retried = dialog.selected_ids()
    dialog.retry()
    qtbot.waitUntil(lambda: not w.writer.busy, timeout=10_000)
    assert dialog.model.rowCount() == 1, dialog.message.text()
    assert [o.state for o in services.outbox(limit=100) if o.op_id in retried] == ["pending"]
    dialog.table.selectRow(0)
    dialog.resolve()
    assert "处理说明" in dialog.message.text()
    commit_text(dialog.note_edit, "已与中心核对，线下补录")
    dialog.resolve()
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 0, timeout=10_000)
    assert services.outbox(limit=100, states=("rejected",)) == []
    w.close()


def test_supervisor_sees_todays_ratings_bad_first(qtbot, services, supervisor):
    a = services.accept_application(intake=ON_THE_SPOT, clerk=supervisor).case_no
    b = services.accept_application(intake=ON_THE_SPOT, clerk=supervisor).case_no
    services.record_rating(case_no=a, overall=5)
    services.record_rating(case_no=b, overall=2, comment="态度一般")
    w = supervisor_window(qtbot, services, supervisor)
    w.open_daily_ratings()
    dialog = w.active_dialog
    assert "好评 1" in dialog.summary.text() and "差评 1" in dialog.summary.text()
    assert dialog.table.item(0, 1).text() == b and "李建国" in dialog.table.item(0, 7).text()
    w.close()


def test_clerk_has_no_supervisor_lists(window):
    assert not window.rejected_action.isEnabled() and not window.ratings_action.isEnabled()
    window.open_rejected()
    assert window.active_dialog is None


def test_clerk_attaches_a_scan_to_the_last_case(qtbot, window, services, tmp_path):
    result = services.accept_application(intake=TO_TRANSFER, clerk=window.clerk)
    window.last_result = result
    scan = tmp_path / "residence.pdf"
    scan.write_bytes(b"%PDF-1.4 scanned tenancy registration" * 200)
    qtbot.keyClick(window, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    dialog = window.active_dialog
    qtbot.waitUntil(lambda: dialog.material_combo.count() > 0, timeout=10_000)  # read on the reader thread
    assert dialog.case_edit.text() == result.case_no and dialog.material_combo.count() == 4
    dialog.material_combo.setCurrentIndex(dialog.material_combo.findData("RESIDENCE"))
    qtbot.keyClicks(dialog.file_edit, str(scan))
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.attachment is not None, timeout=10_000)
    [op] = ops(services, "attachment.linked")
    assert op.ref == result.case_no
    assert "扫描件已附" in window.message_label.text()


def test_the_gap_key_works_only_where_the_catalogue_allows_a_gap(qtbot, window, services):
    from desktop.ui.material_checklist import allowed_states

    pick_matter(qtbot, window, "jzzbl")  # 居住证办理（首次申领）: ID is an identity document, PHOTO may be 容缺
    window.focus_materials()
    table = window.checklist
    table.setCurrentCell(0, 0)
    before = table.state(0)
    qtbot.keyClick(table, Qt.Key.Key_4)
    assert table.state(0) == before  # the identity document never becomes 容缺
    matter = services.matter(code="SH-PER-002")  # on the spot: no material may be 容缺
    assert all("gap" not in allowed_states(matter, spec) for spec in matter.materials)
