"""A clerk at the window: search a matter by pinyin initials, fill the applicant, tick materials, accept."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.support.clerk_actions import commit_text, pick_matter, wait_intake
from tests.support.ids import LI_SI_ID, ZHANG_SAN_ID

VALID_USCC = "91512081MA62K0260E"
BAD_CHECK_USCC = "91512081MA62K02600"  # well-formed, wrong check character


def text_of(pdf_path: str) -> str:
    return "".join(page.extract_text() or "" for page in PdfReader(pdf_path).pages)


def test_search_by_pinyin_initials_updates_per_keystroke(qtbot, window):
    search = window.matter_panel.search_edit
    qtbot.keyClicks(search, "j")
    after_one = window.matter_panel.results.count()
    qtbot.keyClicks(search, "zzqz")
    assert after_one >= window.matter_panel.results.count() >= 1
    assert window.matter_panel.results.item(0).text().startswith("居住证签注")


def test_clerk_accepts_a_complete_person_intake(qtbot, window, services, print_log):
    pick_matter(qtbot, window, "jzzqz")
    assert window.matter is not None and window.matter.name == "居住证签注"
    assert "上海市公安局" in window.matter_panel.guide.toPlainText()  # the guide stays visible
    assert QApplication.focusWidget() is window.form.person.name

    commit_text(window.form.person.name, "张三")
    assert window.form.person.name.text() == "张三"
    qtbot.keyClicks(window.form.person.id_no, ZHANG_SAN_ID)
    qtbot.keyClicks(window.form.person.phone, "13800138000")
    window.focus_materials()
    for _ in range(window.checklist.rowCount()):
        qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    assert [window.checklist.state(r) for r in range(window.checklist.rowCount())] == ["paper", "paper"]

    wait_intake(
        qtbot, window, lambda: qtbot.keyClick(window.form.person.phone, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    )

    result = window.last_result
    assert result is not None, window.message_label.text()
    assert result.outcome == "completed"
    record = services.case_record(case_no=result.case_no)
    assert record.applicant.name == "张三" and record.applicant.id_no == ZHANG_SAN_ID
    voucher = next(d for d in result.documents if d.kind == "voucher")
    assert result.case_no in text_of(voucher.path)
    if shutil.which("zbarimg") and shutil.which("pdftoppm"):  # the barcode on the voucher decodes
        out = Path(voucher.path).with_suffix("")
        subprocess.run(["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", voucher.path, str(out)], check=True)
        png = next(out.parent.glob(out.name + "*.png"))
        decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True).stdout
        assert result.case_no in decoded.split()
    assert [r.pdf_path for r in print_log] == [d.path for d in result.documents]
    assert window.result_panel.isVisible() and result.case_no in window.result_panel.case_label.text()
    assert "当场办结" in window.result_panel.detail_label.text()

    model = window.outbox_panel.model
    rows = [(model.data(model.index(r, 2)), model.data(model.index(r, 3))) for r in range(model.rowCount())]
    assert (result.case_no, "待上传") in rows
    assert "待上传" in window.status.queue.text()

    # ready for the next applicant
    assert window.matter is None and window.form.person.name.text() == ""
    assert QApplication.focusWidget() is window.matter_panel.search_edit


def test_missing_material_gives_a_one_time_notice(qtbot, window, services):
    pick_matter(qtbot, window, "jzzqz")
    window.form.person.name.setText("李四")
    qtbot.keyClicks(window.form.person.id_no, LI_SI_ID)
    window.focus_materials()
    qtbot.keyClick(window.checklist, Qt.Key.Key_2)  # 电子证照免于提交 for the ID card
    assert window.checklist.state(0) == "e_licence"
    assert "一次性告知" in window.summary_label.text()
    result = wait_intake(qtbot, window, window.accept_intake)
    assert result is not None and result.outcome == "notice"
    assert {d.kind for d in result.documents} == {"voucher", "one_time_notice"}
    assert "一次性告知" in window.result_panel.detail_label.text()


def test_bad_id_shows_the_chinese_error_and_stores_nothing(qtbot, window, services):
    pick_matter(qtbot, window, "jzzqz")
    window.form.person.name.setText("王五")
    qtbot.keyClicks(window.form.person.id_no, ZHANG_SAN_ID[:-1] + "1")
    window.focus_materials()
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    assert wait_intake(
        qtbot, window, lambda: qtbot.keyClick(window.checklist, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    ) is None

    assert window.last_result is None
    assert services.outbox() == []
    box = window.form.person.boxes["id_no"]
    assert box.error.isVisible()
    assert "居民身份证号码校验位错误" in box.error.text()
    assert window.message_label.text() == box.error.text()
    assert QApplication.focusWidget() is window.form.person.id_no
    assert window.form.person.name.text() == "王五"  # nothing cleared: the clerk corrects and retries


def test_digit_for_a_state_not_allowed_is_refused(qtbot, window):
    pick_matter(qtbot, window, "jzzqz")
    window.focus_materials()
    qtbot.keyClick(window.checklist, Qt.Key.Key_Down)
    qtbot.keyClick(window.checklist, Qt.Key.Key_2)  # the residence permit has no e-licence
    assert window.checklist.state(1) == "missing"
    assert "不能选择" in window.message_label.text()
    qtbot.keyClick(window.checklist, Qt.Key.Key_3)  # 告知承诺 not allowed for this matter either
    assert window.checklist.state(1) == "missing"


def test_uscc_check_failure_is_overridden_by_a_supervisor(qtbot, window, services):
    asked = []

    def supervisor_says_yes(problem: str) -> dict:
        asked.append(problem)
        return {"by": "super", "reason": "已核对营业执照原件"}

    window.ask_override = supervisor_says_yes
    pick_matter(qtbot, window, "yyzz")
    assert window.form.applicant_kind() == "enterprise"
    assert QApplication.focusWidget() is window.form.enterprise_name
    window.form.enterprise_name.setText("上海一窗测试有限公司")
    qtbot.keyClicks(window.form.uscc, BAD_CHECK_USCC)
    window.form.person.name.setText("李四")
    qtbot.keyClicks(window.form.person.id_no, LI_SI_ID)
    window.focus_materials()
    for _ in range(3):
        qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    result = wait_intake(qtbot, window, window.accept_intake)
    assert asked and "校验位" in asked[0]
    assert result is not None, window.message_label.text()
    assert any("授权" in w for w in result.warnings)
    assert "授权" in window.result_panel.warning_label.text()


def test_uscc_override_refused_stores_nothing(qtbot, window, services):
    window.ask_override = lambda problem: None
    pick_matter(qtbot, window, "yyzz")
    window.form.enterprise_name.setText("上海一窗测试有限公司")
    window.form.uscc.setText(BAD_CHECK_USCC)
    window.form.person.name.setText("李四")
    window.form.person.id_no.setText(LI_SI_ID)
    assert wait_intake(qtbot, window, window.accept_intake) is None
    assert services.outbox() == []
    assert window.form.enterprise_boxes["uscc"].error.isVisible()


def test_same_applicant_twice_today_shows_the_duplicate_warning(qtbot, window):
    for _ in range(2):
        pick_matter(qtbot, window, "jzzqz")
        window.form.person.name.setText("张三")
        window.form.person.id_no.setText(ZHANG_SAN_ID)
        result = wait_intake(qtbot, window, window.accept_intake)
        assert result is not None
    assert any("今日已办理" in w for w in result.warnings)
    assert "今日已办理" in window.result_panel.warning_label.text()


def test_keyboard_only_intake(qtbot, window, services):
    """The whole intake with no mouse event: search, pick, type, tick, accept."""
    qtbot.keyClicks(QApplication.focusWidget(), "jzzqz")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    commit_text(QApplication.focusWidget(), "张三")  # already focused: the name field
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)  # 证件类型: keep 居民身份证
    assert QApplication.focusWidget() is window.form.person.id_type
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), ZHANG_SAN_ID)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "13800138000")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F4)
    assert QApplication.focusWidget() is window.checklist
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    focused = QApplication.focusWidget()
    wait_intake(qtbot, window, lambda: qtbot.keyClick(focused, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier))
    assert window.last_result is not None, window.message_label.text()
    record = services.case_record(case_no=window.last_result.case_no)
    assert record.applicant.phone.endswith("13800138000")
    assert [m.state for m in record.materials] == ["paper", "paper"]
    assert QApplication.focusWidget() is window.matter_panel.search_edit
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert window.last_printed == [d.path for d in window.last_result.documents]


def test_agent_section(qtbot, window, services):
    pick_matter(qtbot, window, "jzzqz")
    window.form.person.name.setText("张三")
    window.form.person.id_no.setText(ZHANG_SAN_ID)
    window.form.agent_group.setChecked(True)
    window.form.agent.name.setText("李四")
    window.form.agent.id_no.setText("123")
    assert wait_intake(qtbot, window, window.accept_intake) is None
    assert window.form.agent.boxes["id_no"].error.isVisible()
    window.form.agent.id_no.setText(LI_SI_ID)
    result = wait_intake(qtbot, window, window.accept_intake)
    assert result is not None
    assert services.case_record(case_no=result.case_no).agent.name == "李四"


def test_accept_without_a_matter_asks_for_one(qtbot, window, services):
    assert wait_intake(qtbot, window, window.accept_intake) is None
    assert "请先选择办理事项" in window.message_label.text()
    assert services.outbox() == []


def test_supervisor_menu_disabled_for_a_clerk(window):
    assert not window.supervisor_menu.isEnabled()
    assert not window.daily_action.isEnabled()


def test_supervisor_prints_the_daily_report(qtbot, services, supervisor, print_log):
    from desktop.ui.main_window import MainWindow

    w = MainWindow(services, supervisor)
    qtbot.addWidget(w)
    assert w.supervisor_menu.isEnabled()
    with qtbot.waitSignal(w.daily_report_ready, timeout=15_000) as blocker:
        assert w.print_daily_report() is not None
    path = blocker.args[0]
    assert path and path.endswith(".pdf")
    assert print_log[-1].pdf_path == path and print_log[-1].action == "recorded"
    assert len(PdfReader(path).pages) >= 1


def test_status_bar_warns_about_clock_skew(window, services):
    assert "未配置中心" in window.status.connection.text()
    services.set_setting("sync_clock_skew", "-900")
    window.status.refresh()
    assert not window.status.skew.isHidden()
    assert "慢 15 分钟" in window.status.skew.text()


def test_sync_now_reports_back_by_signal(qtbot, window):
    with qtbot.waitSignal(window.sync.round_finished, timeout=10_000) as blocker:
        qtbot.keyClick(window, Qt.Key.Key_F5)
    result, error = blocker.args
    assert result is None and "未配置中心数据库" in error
    assert "未配置中心数据库" in window.status.activity.text()
    assert window.sync.failures == 1 and window.sync.timer.isActive()
