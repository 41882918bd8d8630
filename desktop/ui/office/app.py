"""Start the department window on a department's data folder (desktop.ui.app calls this when the folder
holds the back office's settings instead of a window store)."""

from __future__ import annotations

from pathlib import Path

from desktop.ui.qt import QApplication, QDialog


def run_office(home: Path, app: QApplication) -> int:
    from desktop.core.office import OfficeServices
    from desktop.ui.office.login import OfficeLoginDialog
    from desktop.ui.office.window import OfficeWindow

    app.setApplicationDisplayName("一窗 · 后台审查")
    services = OfficeServices(home)
    dialog = OfficeLoginDialog(None, services)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.staff is None:
        return 0
    window = OfficeWindow(services, dialog.staff)
    window.showMaximized()
    try:
        return app.exec()
    finally:
        services.close()
