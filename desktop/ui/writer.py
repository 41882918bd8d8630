"""The single writer thread: every database write the GUI asks for runs here, on its OWN Services, results by signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

log = logging.getLogger("yichuang.ui.writer")

Callback = Callable[[Any, BaseException | None], None]


class _WriterWorker(QObject):
    """Lives on the writer thread. Opens its Services there on first use (Services is single-thread)."""

    done = Signal(int, object, object)  # job id, result, error (None on success)

    def __init__(self, home: Path, clock) -> None:
        super().__init__()
        self.home = home
        self.clock = clock
        self.services = None

    def run(self, job_id: int, target, kwargs) -> None:
        """Runs on the writer thread: must not touch any widget."""
        result, error = None, None
        try:
            if self.services is None:
                from desktop.core.services import Services

                self.services = Services(self.home, clock=self.clock)
            if isinstance(target, str):
                result = getattr(self.services, target)(**kwargs)
            else:
                result = target(self.services, **kwargs)
        except Exception as e:
            if not hasattr(e, "message"):
                log.exception("writer job %s failed", getattr(target, "__name__", target))
            error = e
        self.done.emit(job_id, result, error)

    def close(self) -> None:
        if self.services is not None:
            self.services.close()
            self.services = None


class ServiceWriter(QObject):
    """Queues service calls onto one writer thread, in order, and calls back on the GUI thread.

    `submit("accept_application", callback, intake=..., clerk=...)` runs `Services.accept_application`;
    a callable target `fn(services, **kwargs)` runs too (for functions outside Services, such as the sync
    module's dead-letter actions). `callback(result, error)` runs on the GUI thread; `finished` fires after.
    The thread starts on first use and stops in `close()` (the main window calls it when it closes).
    """

    went_busy = Signal()
    went_idle = Signal()
    finished = Signal(int, object, object)  # job id, result, error
    _request = Signal(int, object, object)
    _close_request = Signal()

    def __init__(self, home: Path, clock, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.clock = clock
        self._thread: QThread | None = None
        self._worker: _WriterWorker | None = None
        self._callbacks: dict[int, Callback | None] = {}
        self._next_id = 0

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    def _start(self) -> None:
        self._thread = QThread()
        self._thread.setObjectName("yichuang-writer")
        self._worker = _WriterWorker(self.home, self.clock)
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.run)
        self._close_request.connect(self._worker.close)
        self._worker.done.connect(self._done)
        self._thread.finished.connect(self._worker.deleteLater)
        app = QCoreApplication.instance()
        if app is not None:  # never leave a running thread behind at exit (Qt aborts on that)
            app.aboutToQuit.connect(self.close)
        self._thread.start()

    def submit(
        self, target: str | Callable[..., Any], callback: Callback | None = None, **kwargs: Any
    ) -> int:
        if self._thread is None:
            self._start()
        self._next_id += 1
        job_id = self._next_id
        was_busy = self.busy
        self._callbacks[job_id] = callback
        if not was_busy:
            self.went_busy.emit()
        self._request.emit(job_id, target, kwargs)
        return job_id

    def _done(self, job_id: int, result, error) -> None:
        callback = self._callbacks.pop(job_id, None)
        try:
            if callback is not None:
                callback(result, error)
        finally:
            self.finished.emit(job_id, result, error)
            if not self.busy:
                self.went_idle.emit()

    def close(self, timeout_ms: int = 10_000) -> None:
        """Let queued jobs finish, close the writer's Services on its thread, and stop the thread."""
        if self._thread is None:
            return
        self._close_request.emit()
        self._worker.done.disconnect(self._done)
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            log.error("the writer thread did not stop within %d ms", timeout_ms)
        self._thread = None
        self._worker = None
        self._callbacks.clear()


def call_service(
    writer: ServiceWriter | None,
    services,
    target: str | Callable[..., Any],
    callback: Callback,
    **kwargs: Any,
) -> None:
    """Run a service write on the writer thread when there is one, else right here (dialogs used alone)."""
    if writer is not None:
        writer.submit(target, callback, **kwargs)
        return
    try:
        result = (
            getattr(services, target)(**kwargs) if isinstance(target, str) else target(services, **kwargs)
        )
    except Exception as e:  # noqa: BLE001
        callback(None, e)
        return
    callback(result, None)
