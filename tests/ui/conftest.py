"""UI test fixtures: the demo window from 2026-03-10 on (home, services, clerk come from tests/conftest.py),
the app's font and style, the print log and the main window."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("YICHUANG_SECRET_STORE", "file")

from tests.support.clock import UI_NOW, MovableClock
from tests.support.store import StoreRecipe


@pytest.fixture(scope="session", autouse=True)
def styled_app(qapp):
    """The same language, CJK font and style sheet the real program uses."""
    from desktop.ui.app import create_application

    return create_application([])


@pytest.fixture(autouse=True)
def background_threads():
    """Every writer and reader thread a test started is stopped after it (Qt aborts on a running thread)."""
    yield
    from desktop.ui import tasks

    tasks.close_all()


@pytest.fixture
def clock() -> MovableClock:
    """UI tests start on Tuesday 2026-03-10 09:30, a working day."""
    return MovableClock(UI_NOW)


@pytest.fixture
def store_recipe(clock) -> StoreRecipe:
    """The demo window as `yichuang init --demo` makes it: the demo catalogue only."""
    return StoreRecipe(now=clock.now)


@pytest.fixture(autouse=True)
def quiet_presenter():
    """No modal window in a test: the UI's presenter is replaced by one that records (quiet_presenter.py)."""
    from desktop.ui.feedback import use_presenter
    from tests.support.quiet_presenter import QuietPresenter

    quiet = QuietPresenter()
    previous = use_presenter(quiet)
    yield quiet
    use_presenter(previous)


@pytest.fixture
def print_log(quiet_presenter):
    """The PDFs the UI asked to print, in order."""
    return quiet_presenter.printed


def _shown_window(qtbot, services, actor):
    from desktop.ui.main_window import MainWindow

    w = MainWindow(services, actor)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=2000)
    return w


@pytest.fixture
def window(qtbot, services, clerk, print_log):
    """The clerk's (张敏) main window, shown and active."""
    w = _shown_window(qtbot, services, clerk)
    yield w
    w.close()


@pytest.fixture
def super_window(qtbot, home, clock, print_log):
    """The 值班长's (李建国) main window on its own Services, shown and active."""
    from desktop.core.services import Services

    services = Services(home, clock=clock)
    w = _shown_window(qtbot, services, services.login(login="super", password="super1234"))
    yield w
    w.close()
    services.close()

