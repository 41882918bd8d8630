"""Settings, supervisor override and reprint dialogs: each calls only its service and shows Chinese messages."""

from __future__ import annotations

from desktop.ui.dialogs.override import OverrideDialog
from desktop.ui.dialogs.reprint import ReprintDialog
from desktop.ui.dialogs.settings import SettingsDialog

INTAKE = {
    "matter": "SH-PER-002",
    "applicant": {"kind": "person", "name": "张三", "id_type": "resident_id", "id_no": "11010519491231002X"},
    "materials": {"ID": "paper", "PERMIT": "paper"},
}


def test_settings_store_the_url_and_say_where_the_password_went(qtbot, services):
    dialog = SettingsDialog(None, services)
    qtbot.addWidget(dialog)
    dialog.url_edit.setText("ftp://nowhere")
    with qtbot.waitSignal(dialog.failed, timeout=10_000):
        dialog.save()
    assert "postgresql://" in dialog.result_label.text()
    dialog.url_edit.setText("postgresql://w310104_01:s3cret@central.example:5432/yichuang")
    with qtbot.waitSignal(dialog.saved, timeout=10_000):
        dialog.save()
    assert "s3cret" not in dialog.url_edit.text() and "central.example" in dialog.url_edit.text()
    assert "secrets/central.json" in dialog.result_label.text()


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
