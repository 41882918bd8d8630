"""The scanner's folder: each new scan file is offered to attach to the current case's material."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from desktop.ui.main_window import MainWindow
from tests.support.clerk_actions import ctrl_enter, fill_person, pick_matter, wait_intake

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _window(qtbot, services, clerk, folder: Path):
    services.set_setting("scan_folder", str(folder))
    w = MainWindow(services, clerk)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=2000)
    return w


def test_new_scans_are_offered_one_by_one_for_the_current_case(qtbot, services, clerk, tmp_path, print_log):
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "old.pdf").write_bytes(PDF)  # there before: not offered
    w = _window(qtbot, services, clerk, folder)
    try:
        assert w.scan_watcher is not None
        pick_matter(qtbot, w, "jzzqz")
        fill_person(qtbot, w)
        w.focus_materials()
        for _ in range(w.checklist.rowCount()):
            qtbot.keyClick(w.checklist, Qt.Key.Key_Space)
        result = wait_intake(qtbot, w, lambda: ctrl_enter(qtbot, w.form.person.name))
        assert result is not None

        (folder / "notes.txt").write_text("not a scan")
        first, second = folder / "scan-001.pdf", folder / "scan-002.jpg"
        first.write_bytes(PDF)
        second.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 64)
        qtbot.waitUntil(lambda: w.active_dialog is not None and w.active_dialog.file_edit.text() == str(first),
                        timeout=10_000)
        dialog = w.active_dialog
        assert dialog.case_edit.text() == result.case_no
        qtbot.waitUntil(lambda: dialog.material_combo.count() > 0, timeout=10_000)
        assert w.pending_scans == [str(first), str(second)]  # the second waits its turn
        with qtbot.waitSignal(dialog.accepted, timeout=10_000):
            dialog.ok_button.click()
        assert dialog.attachment.case_no == result.case_no

        qtbot.waitUntil(lambda: w.active_dialog is not dialog and w.active_dialog.file_edit.text() == str(second),
                        timeout=10_000)
        w.active_dialog.reject()  # the clerk may decline a scan
        qtbot.waitUntil(lambda: w.pending_scans == [], timeout=5_000)
        linked = [o for o in services.outbox() if o.kind == "attachment.linked"]
        assert [o.ref for o in linked] == [result.case_no]
        assert str(folder / "old.pdf") in w.scan_watcher.seen and str(folder / "notes.txt") not in w.scan_watcher.seen
    finally:
        w.close()


def test_no_folder_set_watches_nothing(window):
    assert window.scan_watcher is None
