"""The status bar names the current catalogue; a new version's changes open for the clerk until 已阅."""

from __future__ import annotations

import copy
import json

from desktop.ui.main_window import MainWindow
from tests.support.factories import DATA

DEMO = DATA.parents[1] / "desktop" / "resources" / "catalogue" / "demo.json"


def test_new_catalogue_changes_shown_until_acknowledged(qtbot, services, clerk):
    data = json.loads(DEMO.read_text(encoding="utf-8"))
    new = copy.deepcopy(data)
    new["version"] = "2026.12-demo"
    new["matters"][0]["promised_days"] += 1
    services.import_catalogue(json.dumps(new, ensure_ascii=False),
                              actor=services.login(login="admin", password="admin1234"))
    w = MainWindow(services, clerk)
    qtbot.addWidget(w)
    w.show()
    try:
        assert w.status.catalogue.text() == "事项目录 2026.12-demo"
        w.check_catalogue()
        qtbot.waitUntil(lambda: w.catalogue_dialog is not None, timeout=10_000)
        dialog = w.catalogue_dialog
        text = dialog.browser.toPlainText()
        assert new["matters"][0]["name"] in text and "承诺时限" in text
        assert new["matters"][1]["name"] not in text  # unchanged: not listed
        with qtbot.waitSignal(dialog.acknowledged, timeout=10_000):
            dialog.ack_button.click()
        assert services.catalogue_changes(clerk=clerk) is None
        qtbot.waitUntil(lambda: w.catalogue_dialog is None, timeout=5_000)
        w.check_catalogue()
        qtbot.wait(300)
        assert w.catalogue_dialog is None
    finally:
        w.close()
