"""Work around a Qt-binding bug: PySide6 6.12.0 drops references to True (and None) when it calls Python slots.

After a few thousand signals (a morning of typing) Python then frees True and aborts ("bool_dealloc").
`install(app)` checks whether the running binding has the bug (ten test signals) and, only if so, tops
True's reference count up from a timer, never letting it run down. Harmless where the bug is absent;
the real fix is a PySide6 version without it (6.11.2 is clean).
"""

from __future__ import annotations

import ctypes
import logging
import sys

from desktop.ui.qt import QObject, QTimer, Signal

log = logging.getLogger("yichuang.ui")

LOW_WATER = 50_000
HIGH_WATER = 250_000
CHECK_MS = 1000


class _Probe(QObject):
    ping = Signal()


def binding_drops_true() -> bool:
    """True when emitting a signal to a Python slot decrements True's reference count (the 6.12.0 bug)."""
    probe = _Probe()
    probe.ping.connect(lambda: None)
    before = sys.getrefcount(True)
    for _ in range(10):
        probe.ping.emit()
    return sys.getrefcount(True) - before <= -5


def top_up() -> int:
    """Give True, False and None enough extra references to survive until the next check; returns how many."""
    added = 0
    for obj in (True, False, None):
        count = sys.getrefcount(obj)
        if count < LOW_WATER:
            ref = ctypes.py_object(obj)
            for _ in range(HIGH_WATER - count):
                ctypes.pythonapi.Py_IncRef(ref)
            added += HIGH_WATER - count
    return added


def install(app: QObject) -> QTimer | None:
    """Start the top-up timer on `app` if the running binding has the bug; None otherwise."""
    if sys.version_info >= (3, 12) or not binding_drops_true():  # 3.12 made True immortal
        return None
    log.warning("PySide6 drops references to True on signal emission; compensating (upgrade or pin PySide6)")
    top_up()
    timer = QTimer(app)
    timer.setObjectName("bindingGuard")
    timer.timeout.connect(top_up)
    timer.start(CHECK_MS)
    return timer
