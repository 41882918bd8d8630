"""The window must survive a day of signals even on a Qt binding that drops references to True (PySide6 6.12.0)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.ui import binding_guard


class Chatty(QObject):
    said = Signal()


def test_many_signals_never_run_true_down(qtbot, styled_app):
    """20,000 emissions (a clerk's morning); the guard, if the binding needs it, keeps True alive."""
    guard = styled_app.findChild(QTimer, "bindingGuard")
    if binding_guard.binding_drops_true():
        assert guard is not None and guard.isActive()
    chatty = Chatty()
    chatty.said.connect(lambda: None)
    for _ in range(4):
        for _ in range(5_000):
            chatty.said.emit()
        qtbot.wait(binding_guard.CHECK_MS + 200)
        assert sys.getrefcount(True) > 10_000
