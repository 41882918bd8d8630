"""The login dialog: Enter submits, a wrong password shows the Chinese message and stays open."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog

from desktop.ui.dialogs.login import LoginDialog


def _dialog(qtbot, services) -> LoginDialog:
    dialog = LoginDialog(None, services)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    dialog.login_edit.setFocus()
    return dialog


def test_wrong_password_shows_the_chinese_error(qtbot, services):
    dialog = _dialog(qtbot, services)
    qtbot.keyClicks(dialog.login_edit, "demo")
    qtbot.keyClicks(dialog.password_edit, "wrong-password")
    with qtbot.waitSignal(dialog.checked, timeout=10_000):  # the password is checked on the writer thread
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error_label.text() == "工号或密码不正确"
    assert dialog.password_edit.text() == ""
    assert dialog.clerk is None


def test_enter_submits_and_logs_in(qtbot, services):
    dialog = _dialog(qtbot, services)
    qtbot.keyClicks(dialog.login_edit, "demo")
    qtbot.keyClick(dialog.login_edit, Qt.Key.Key_Return)  # empty password: Enter moves on, no failed login
    assert QApplication.focusWidget() is dialog.password_edit
    assert dialog.error_label.text() == ""
    qtbot.keyClicks(dialog.password_edit, "demo1234")
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert dialog.clerk.login == "demo" and dialog.clerk.name == "张敏"


def test_services_can_be_opened_lazily(qtbot, home):
    from desktop.core.services import Services

    opened = []

    def factory():
        opened.append(1)
        return Services(home)

    dialog = _dialog(qtbot, factory)
    assert opened == []  # the window appears before the database layer is touched
    dialog.load_services_later()
    qtbot.waitUntil(lambda: bool(opened))
    assert "01 号窗口" in dialog.identity.text()
    dialog.services.close()


def test_uninitialised_home_disables_login(qtbot, tmp_path):
    from desktop.core.services import Services

    dialog = _dialog(qtbot, lambda: Services(tmp_path / "nothing"))
    dialog.load_services_later()
    qtbot.waitUntil(lambda: not dialog.login_button.isEnabled())
    assert "尚未初始化" in dialog.error_label.text()


def test_five_wrong_passwords_show_the_lockout(qtbot, services):
    dialog = _dialog(qtbot, services)
    qtbot.keyClicks(dialog.login_edit, "demo")
    for _ in range(5):
        qtbot.keyClicks(dialog.password_edit, "wrong-password")
        with qtbot.waitSignal(dialog.checked, timeout=10_000):
            qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert "已锁定" in dialog.error_label.text() and "值班长解锁" in dialog.error_label.text()
    qtbot.keyClicks(dialog.password_edit, "demo1234")  # the right password does not open it now
    with qtbot.waitSignal(dialog.checked, timeout=10_000):
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert dialog.clerk is None and "已锁定" in dialog.error_label.text()
