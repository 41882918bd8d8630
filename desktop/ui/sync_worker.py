"""Background sync: each round runs on the thread pool with its OWN Services; results return by signal."""

from __future__ import annotations

import logging
import random
from pathlib import Path

from desktop.ui.qt import QObject, QRunnable, QThreadPool, QTimer, Signal

log = logging.getLogger("yichuang.ui.sync")

BASE_INTERVAL_S = 60
MAX_BACKOFF_S = 600


def backoff_seconds(failures: int, rng: random.Random | None = None) -> float:
    """Seconds until the next try after `failures` consecutive failures: 60 s doubling, capped at 10 min,
    with ±20 % jitter so a centre's windows do not all retry at once."""
    base = min(MAX_BACKOFF_S, BASE_INTERVAL_S * (2 ** max(0, failures)))
    jitter = (rng or random).uniform(0.8, 1.2)
    return min(MAX_BACKOFF_S, base * jitter) if failures else float(BASE_INTERVAL_S)


class _RoundSignals(QObject):
    finished = Signal(object, str)  # SyncResult or None, Chinese error message ("" on success)


class SyncRound(QRunnable):
    """One sync round. Runs on a pool thread: must not touch any widget; opens and closes its own Services."""

    def __init__(self, home: Path, signals: _RoundSignals) -> None:
        super().__init__()
        self.home = home
        self.signals = signals

    def run(self) -> None:
        from desktop.core.errors import YichuangError
        from desktop.core.services import Services

        result, error = None, ""
        try:
            services = Services(self.home)
            try:
                result = services.sync_round()
            finally:
                services.close()
        except YichuangError as e:
            error = e.message
        except Exception:
            log.exception("sync round failed")
            error = "同步时发生内部错误（详情已写入日志）"
        self.signals.finished.emit(result, error)


class SyncController(QObject):
    """Schedules sync rounds: every 60 s while a central database is configured, backing off on failure.

    Lives on the GUI thread. `round_finished(result, error)` fires on the GUI thread after each round.
    """

    round_started = Signal()
    round_finished = Signal(object, str)

    def __init__(
        self, home: Path, is_configured, parent: QObject | None = None, pool: QThreadPool | None = None
    ) -> None:
        super().__init__(parent)
        self.home = home
        self.is_configured = is_configured  # callable -> bool, read on the GUI thread
        self.pool = pool or QThreadPool.globalInstance()
        self.failures = 0
        self.running = False
        self._signals = _RoundSignals(self)
        self._signals.finished.connect(self._on_finished)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._on_timer)

    def start(self) -> None:
        """Arm the periodic timer (does nothing until a central database is configured)."""
        self._schedule(BASE_INTERVAL_S)

    def stop(self) -> None:
        self.timer.stop()

    def sync_now(self) -> bool:
        """Start a round now unless one is running; returns whether one was started."""
        if self.running:
            return False
        self.running = True
        self.timer.stop()
        self.round_started.emit()
        self.pool.start(SyncRound(self.home, self._signals))
        return True

    def _on_timer(self) -> None:
        if self.is_configured():
            self.sync_now()
        else:
            self._schedule(BASE_INTERVAL_S)

    def _schedule(self, seconds: float) -> None:
        self.timer.start(int(seconds * 1000))

    def _on_finished(self, result, error: str) -> None:
        self.running = False
        if error:
            self.failures += 1
        else:
            self.failures = 0
        self._schedule(backoff_seconds(self.failures))
        self.round_finished.emit(result, error)
