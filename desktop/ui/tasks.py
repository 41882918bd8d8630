"""Background work for the UI (Anki's CollectionOp / QueryOp): no database work runs on the GUI thread.

    DbOp(self, lambda svc: svc.accept_application(intake=..., clerk=...)).success(done).run()
    QueryOp(self, lambda svc: svc.case(case_no=...)).success(show).run()

A DbOp runs on the ONE writer thread of its store, in submission order; a QueryOp on the reader thread; a
NetOp (a call to the centre the clerk waits on, e.g. a case's lease) on the network thread.
Each thread opens its OWN Services (Services is single-thread) from the home and clock of the widget's
`services`, found on the parent widget or one of its ancestors. `op` runs on that thread and must not
touch the UI; `success(result)` and `failure(error)` run on the GUI thread. Without a failure callback an
error is shown to the clerk (desktop.ui.feedback.show_error). A DbOp that declares `.changes(...)`
announces them on `bus().data_changed` after success; windows refresh on that signal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from desktop.ui.qt import QCoreApplication, QObject, QThread, QWidget, Signal

log = logging.getLogger("yichuang.ui.tasks")

T = TypeVar("T")
Callback = Callable[[Any, BaseException | None], None]


class _Worker(QObject):
    """Lives on its thread. Opens its Services there on first use."""

    done = Signal(int, object, object)  # job id, result, error (None on success)

    def __init__(self, home: Path, clock, factory=None) -> None:
        super().__init__()
        self.home = home
        self.clock = clock
        self.factory = factory  # opens this thread's services object (default: the window's Services)
        self.services = None

    def run(self, job_id: int, op, _unused) -> None:
        """Runs on the worker thread: must not touch any widget."""
        result, error = None, None
        try:
            if self.services is None and self.factory is not None:
                self.services = self.factory()
            if self.services is None:
                from desktop.core.services import Services

                self.services = Services(self.home, clock=self.clock)
            result = op(self.services)
        except Exception as e:
            if not hasattr(e, "message"):
                log.exception("background job failed")
            error = e
        self.done.emit(job_id, result, error)

    def close(self) -> None:
        if self.services is not None:
            self.services.close()
            self.services = None


class ServiceThread(QObject):
    """One thread with its own Services: jobs run in order, callbacks come back on the GUI thread.

    `busy` is true while a job is queued or running; `went_busy` / `went_idle` say when that changes.
    The thread starts on first use and stops in `close()`.
    """

    went_busy = Signal()
    went_idle = Signal()
    finished = Signal(int, object, object)  # job id, result, error
    _request = Signal(int, object, object)
    _close_request = Signal()

    def __init__(self, home: Path, clock, name: str = "yichuang-writer", parent: QObject | None = None,
                 factory=None) -> None:
        super().__init__(parent)
        self.home = home
        self.clock = clock
        self.factory = factory
        self.name = name
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self._callbacks: dict[int, Callback | None] = {}
        self._next_id = 0

    @property
    def busy(self) -> bool:
        return bool(self._callbacks)

    def _start(self) -> None:
        self._thread = QThread()
        self._thread.setObjectName(self.name)
        self._worker = _Worker(self.home, self.clock, self.factory)
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.run)
        self._close_request.connect(self._worker.close)
        self._worker.done.connect(self._done)
        self._thread.finished.connect(self._worker.deleteLater)
        app = QCoreApplication.instance()
        if app is not None:  # never leave a running thread behind at exit (Qt aborts on that)
            app.aboutToQuit.connect(self.close)
        self._thread.start()

    def submit(self, op: Callable[[Any], Any], callback: Callback | None = None) -> int:
        """Queue `op(services)`; `callback(result, error)` runs on the GUI thread. Returns the job id."""
        if self._thread is None:
            self._start()
        self._next_id += 1
        job_id = self._next_id
        was_busy = self.busy
        self._callbacks[job_id] = callback
        if not was_busy:
            self.went_busy.emit()
        self._request.emit(job_id, op, None)
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
        """Let queued jobs finish, close the thread's Services on that thread, and stop the thread."""
        _threads.pop((self.name, str(self.home)), None)
        if self._thread is None:
            return
        self._close_request.emit()
        self._worker.done.disconnect(self._done)
        self._thread.quit()
        if not self._thread.wait(timeout_ms):
            log.error("the %s thread did not stop within %d ms", self.name, timeout_ms)
        self._thread = None
        self._worker = None
        self._callbacks.clear()


_threads: dict[tuple[str, str], ServiceThread] = {}


def _thread_for(services, name: str) -> ServiceThread:
    key = (name, str(services.home))
    thread = _threads.get(key)
    if thread is None:
        # a services object other than the window's (the back office's) says how a thread opens its own
        thread = _threads[key] = ServiceThread(services.home, services.clock, name,
                                               factory=getattr(services, "open_for_thread", None))
    return thread


def writer_for(services) -> ServiceThread:
    """The single writer thread of `services`' store (one per store and process)."""
    return _thread_for(services, "yichuang-writer")


def reader_for(services) -> ServiceThread:
    """The reader thread of `services`' store: reads never wait behind a write."""
    return _thread_for(services, "yichuang-reader")


def net_for(services) -> ServiceThread:
    """The thread for calls the clerk waits on at the centre (a case's lease): a slow or unreachable centre
    never holds up the window's reads or writes."""
    return _thread_for(services, "yichuang-net")


def close_all() -> None:
    """Stop every writer and reader thread (the app at exit; tests after each test)."""
    for thread in list(_threads.values()):
        thread.close()


class DataBus(QObject):
    """`data_changed(what)` after a DbOp changed "cases", "outbox", "calendar", "settings", …"""

    data_changed = Signal(str)


_bus: DataBus | None = None


def bus() -> DataBus:
    global _bus
    if _bus is None:
        _bus = DataBus()
    return _bus


def services_of(widget: QObject | None):
    """The `services` of `widget` or of its nearest ancestor that has one."""
    w = widget
    while w is not None:
        svc = getattr(w, "services", None)
        if svc is not None:
            return svc
        w = w.parent()
    raise LookupError(f"{type(widget).__name__} has no services to run an operation with")


class _Op(Generic[T]):
    _thread_name = ""

    def __init__(self, parent: QWidget, op: Callable[[Any], T]) -> None:
        self._parent = parent
        self._op = op
        self._success: Callable[[T], Any] | None = None
        self._failure: Callable[[BaseException], Any] | None = None
        self._changes: tuple[str, ...] = ()

    def success(self, callback: Callable[[T], Any]) -> _Op[T]:
        self._success = callback
        return self

    def failure(self, callback: Callable[[BaseException], Any]) -> _Op[T]:
        self._failure = callback
        return self

    def on_done(self, callback: Callable[[Any, BaseException | None], Any]) -> _Op[T]:
        """`callback(result, error)` either way (error None on success): for forms that show both."""
        self._success = lambda result: callback(result, None)
        self._failure = lambda error: callback(None, error)
        return self

    def _thread(self) -> ServiceThread:
        raise NotImplementedError

    def run(self) -> int:
        """Queue the operation; returns its job id. The callbacks run later, on the GUI thread."""
        return self._thread().submit(self._op, self._finished)

    def _finished(self, result, error: BaseException | None) -> None:
        if error is not None:
            if self._failure is not None:
                self._failure(error)
            else:
                from desktop.ui.feedback import show_error

                show_error(self._parent, error)
            return
        for what in self._changes:
            bus().data_changed.emit(what)
        if self._success is not None:
            self._success(result)


class DbOp(_Op[T]):
    """A write: runs on the store's single writer thread."""

    def changes(self, *what: str) -> DbOp[T]:
        """After success, announce `data_changed(what)` for each (so windows showing it refresh)."""
        self._changes = what
        return self

    def _thread(self) -> ServiceThread:
        return writer_for(services_of(self._parent))


class QueryOp(_Op[T]):
    """A read: runs on the store's reader thread; never waits behind a write."""

    def _thread(self) -> ServiceThread:
        return reader_for(services_of(self._parent))


class NetOp(_Op[T]):
    """A call to the centre for the clerk (take or release a lease): runs on the store's network thread."""

    def _thread(self) -> ServiceThread:
        return net_for(services_of(self._parent))
