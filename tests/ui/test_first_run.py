"""The first-run wizard walked through as a technician does on a new PC (an empty data folder, a real centre),
and 帮助 → 自检 with its 复制 button."""

from __future__ import annotations

import json

from desktop.core import config
from desktop.ui.qt import QApplication, QWizard


def _walk(qtbot, wizard, *, enrolment=None, password2="admin-pass-1"):
    wizard.show()
    qtbot.waitExposed(wizard)
    qtbot.keyClicks(wizard.centre_code, "310104")
    wizard.centre_type.setCurrentIndex(1)  # 街镇社区事务受理服务中心
    wizard.centre_name.setText("徐汇区行政服务中心")  # typed through the input method (keyClicks is ASCII only)
    qtbot.keyClicks(wizard.window_no, "01")
    wizard.next()
    if enrolment is not None:
        wizard.load_enrolment(str(enrolment))
    wizard.next()
    qtbot.keyClicks(wizard.admin_login, "chief")
    wizard.admin_name.setText("王主任")
    qtbot.keyClicks(wizard.admin_staff_no, "A001")
    qtbot.keyClicks(wizard.admin_password, "admin-pass-1")
    qtbot.keyClicks(wizard.admin_password2, password2)
    wizard.next()
    assert wizard.currentPage().title() == "打印机"


def test_the_wizard_sets_up_a_window_linked_to_its_centre(qtbot, tmp_path, central_window):
    from desktop.core.services import Services
    from desktop.ui.first_run import FirstRunWizard

    url = central_window("310104", "01", centre_name="徐汇区行政服务中心")
    ca = url.split("sslrootcert=", 1)[1].split("&", 1)[0]
    enrolment = tmp_path / "window-01.json"  # what `central add-window` prints
    enrolment.write_text(json.dumps({"url": url.split("&sslrootcert=")[0],
                                     "ca_cert": open(ca, encoding="utf-8").read()}), encoding="utf-8")
    home = tmp_path / "fresh"
    wizard = FirstRunWizard(home)
    qtbot.addWidget(wizard)
    _walk(qtbot, wizard, enrolment=enrolment)
    assert wizard.central_url.text().startswith("postgresql") and "BEGIN CERTIFICATE" in wizard.ca_pem.toPlainText()
    # no printer chosen: the test page says so instead of printing nowhere
    assert "未选择打印机" in wizard.print_test_page("a4")
    assert not config.db_path(home).exists()  # nothing written before 完成
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: wizard.done_ok or (wizard.error and "正在" not in wizard.error), timeout=60_000)
    assert wizard.done_ok, wizard.error
    assert wizard.link_message == ""
    svc = Services(home)
    try:
        admin = svc.login(login="chief", password="admin-pass-1")
        assert admin.role == "admin"
        assert (svc.window().centre_code, svc.window().window_no) == ("310104", "01")
        assert svc.setting("centre_type") == "street" and svc.setting("central_url")
        assert svc.central_ca_file() is not None
        assert svc.sync_round().rejected == 0  # linked: the handshake passes as this very window
    finally:
        svc.close()


def test_the_wizard_refuses_bad_input_and_writes_nothing(qtbot, tmp_path):
    from desktop.ui.first_run import FirstRunWizard

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"url": "postgresql://x", "ca_cert": "-----BEGIN CERTIFICATE-----", "extra": 1}))
    home = tmp_path / "fresh"
    wizard = FirstRunWizard(home)
    qtbot.addWidget(wizard)
    _walk(qtbot, wizard, enrolment=bad, password2="different-1")
    assert wizard.central_url.text() == ""  # the bad enrolment was refused, naming its unknown field
    wizard.load_enrolment(str(bad))
    assert "extra" in wizard.error
    wizard.button(QWizard.WizardButton.FinishButton).click()
    assert "不一致" in wizard.error and not wizard.done_ok
    wizard.admin_password2.setText("admin-pass-1")
    wizard.window_no.setText("100")  # not 01-99
    wizard.button(QWizard.WizardButton.FinishButton).click()
    qtbot.waitUntil(lambda: "正在" not in wizard.error, timeout=30_000)
    assert not wizard.done_ok and "窗口号" in wizard.error
    assert not config.db_path(home).exists()


def test_help_self_check_shows_every_check_and_copies_the_text(qtbot, window):
    from desktop.core.doctor import as_text

    window.doctor_action.trigger()
    dialog = window.active_dialog
    qtbot.waitUntil(lambda: bool(dialog.checks), timeout=60_000)
    keys = [c.check for c in dialog.checks]
    assert "store.integrity" in keys and "chain" in keys and "centre.link" in keys
    assert dialog.summary.text().startswith("一窗自检")
    assert "[需处理] 中心连接" in dialog.report.toPlainText()  # the demo store is not linked
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == as_text(dialog.checks) == dialog.text
    dialog.close()
