"""两个集中 in the window: the matter search marks what this kind of centre does not take, and says where to go."""

from __future__ import annotations

from tests.support.clerk_actions import ctrl_enter, fill_person, pick_matter, wait_intake
from tests.support.ids import ZHANG_SAN_ID


def _window(qtbot, services, clerk, centre_type: str):
    from desktop.ui.main_window import MainWindow

    services.set_setting("centre_type", centre_type)
    w = MainWindow(services, clerk)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=2000)
    return w


def test_district_centre_marks_and_refuses_a_street_matter(qtbot, services, clerk, print_log):
    w = _window(qtbot, services, clerk, "district")
    try:
        qtbot.keyClicks(w.matter_panel.search_edit, "jzzqz")
        item = w.matter_panel.results.item(0)
        assert item.text().startswith("居住证签注") and "本中心不受理" in item.text()
        assert "街镇社区事务受理服务中心" in item.text()
        w.matter_panel.search_edit.clear()
        pick_matter(qtbot, w, "jzzqz")
        assert w.matter is not None and w.matter.code == "SH-PER-002"
        assert "不在区行政服务中心受理" in w.message_label.text()
        assert "请申请人到街镇社区事务受理服务中心办理" in w.matter_panel.guide.toPlainText()
        fill_person(qtbot, w)
        result = wait_intake(qtbot, w, lambda: ctrl_enter(qtbot, w.form.person.name))
        assert result is None and "不在区行政服务中心受理" in w.message_label.text()
        qtbot.waitUntil(lambda: len(print_log) == 1, timeout=10_000)  # the 导办单, nothing else
        guide = print_log[0].pdf_path
        assert "guide-SH-PER-002-" in str(guide) and "已打印导办单" in w.message_label.text()
        from pypdf import PdfReader

        text = "".join("".join((p.extract_text() or "").split()) for p in PdfReader(str(guide)).pages)
        assert "田林街道社区事务受理服务中心" in text and services.lookup_cases(id_no=ZHANG_SAN_ID) == []
    finally:
        w.close()


def test_street_centre_takes_it_unmarked(qtbot, services, clerk, print_log):
    w = _window(qtbot, services, clerk, "street")
    try:
        qtbot.keyClicks(w.matter_panel.search_edit, "jzzqz")
        assert "本中心不受理" not in w.matter_panel.results.item(0).text()
    finally:
        w.close()
