"""Settings, supervisor override and reprint dialogs: each calls only its service and shows Chinese messages."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from desktop.ui.dialogs.override import OverrideDialog
from desktop.ui.dialogs.reprint import ReprintDialog
from desktop.ui.dialogs.settings import SettingsDialog
from desktop.ui.qt import QPushButton

INTAKE = {
    "matter": "SH-PER-002",
    "applicant": {"kind": "person", "name": "张三", "id_type": "resident_id", "id_no": "11010519491231002X"},
    "materials": {"ID": "paper", "PERMIT": "paper"},
}


@pytest.fixture(scope="module")
def centre():
    """A real central database over TLS (the suite's own CA) with window 310104/01 registered:
    (window URL with its password, CA file)."""
    from db.central import add_window, init_central
    from tests.support.postgres import TempPostgres

    with TempPostgres() as pg:
        admin = pg.create_database("yc_ui")
        init_central(admin)
        yield add_window(admin, "310104", "01"), pg.ca_file


def test_settings_store_the_url_and_ca_only_after_the_centre_answered(qtbot, services, centre, quiet_presenter):
    url, ca_file = centre
    password = urlsplit(url).password
    dialog = SettingsDialog(None, services)
    qtbot.addWidget(dialog)
    dialog.url_edit.setText("ftp://nowhere")
    with qtbot.waitSignal(dialog.failed, timeout=10_000):
        dialog.save()
    assert "postgresql://" in dialog.result_label.text()
    dialog.url_edit.setText(url)
    with qtbot.waitSignal(dialog.failed, timeout=10_000):
        dialog.save()  # no CA yet: refused, nothing stored
    assert "CA 证书" in dialog.result_label.text() and services.setting("central_url") == ""
    quiet_presenter.files.append(str(ca_file))
    dialog.findChild(QPushButton, "centralCaBrowse").click()
    assert dialog.ca_edit.text() == str(ca_file)
    with qtbot.waitSignal(dialog.saved, timeout=20_000):
        dialog.save()
    assert password not in dialog.url_edit.text() and f":{urlsplit(url).port}/" in dialog.url_edit.text()
    assert "secrets/central.json" in dialog.result_label.text()
    assert services.central_ca_file() is not None and str(services.central_ca_file()) in dialog.ca_state.text()
    stored = services.setting("central_url")
    # a typo'd port is tried, refused, and the working address stays
    dialog.url_edit.setText(url.replace(f":{urlsplit(url).port}/", ":9/"))
    with qtbot.waitSignal(dialog.failed, timeout=20_000):
        dialog.save()
    assert "中心数据库" in dialog.result_label.text() and services.setting("central_url") == stored
    # the stored address as shown (no password) with the stored CA: the stored password is kept
    dialog.url_edit.setText(stored)
    with qtbot.waitSignal(dialog.saved, timeout=20_000):
        dialog.save()
    assert services.setting("central_url") == stored


def test_override_needs_a_supervisor_and_a_reason(qtbot, services):
    dialog = OverrideDialog(None, services, None, "统一社会信用代码校验位不符")
    qtbot.addWidget(dialog)
    dialog.login_edit.setText("demo")
    dialog.password_edit.setText("demo1234")
    dialog.submit()
    assert "请写明授权理由" in dialog.error_label.text()
    dialog.reason_edit.setPlainText("已核对营业执照原件")
    with qtbot.waitSignal(dialog.checked, timeout=10_000):
        dialog.submit()
    assert "不是值班长" in dialog.error_label.text() and dialog.override is None
    dialog.login_edit.setText("super")
    dialog.password_edit.setText("super1234")
    with qtbot.waitSignal(dialog.checked, timeout=10_000):
        dialog.submit()
    assert dialog.override == {"by": "super", "reason": "已核对营业执照原件"}


def test_reprint_by_case_number(qtbot, services, clerk):
    case_no = services.accept_application(intake=INTAKE, clerk=clerk).case_no
    dialog = ReprintDialog(None, services, clerk)
    qtbot.addWidget(dialog)
    dialog.case_edit.setText("3101040126031099999")
    with qtbot.waitSignal(dialog.refused, timeout=10_000):
        dialog.submit()
    assert dialog.document is None and dialog.error_label.text()
    dialog.case_edit.setText(case_no)
    with qtbot.waitSignal(dialog.accepted, timeout=10_000):
        dialog.submit()
    assert dialog.document is not None and dialog.document.path.endswith("-r1.pdf")
