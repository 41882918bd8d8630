"""UI test fixtures: an initialised demo window in a temp home, a fixed clock, the app's font and style."""

from __future__ import annotations

import os
from datetime import datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("YICHUANG_SECRET_STORE", "file")

from desktop.core.identity import id_check_char
from desktop.core.services import Services, init_store

FIXED_NOW = datetime(2026, 3, 10, 9, 30, 0)  # a Tuesday, a working day


def valid_resident_id(body17: str) -> str:
    return body17 + id_check_char(body17)


ZHANG_SAN_ID = "11010519491231002X"  # the GB 11643 example
LI_SI_ID = valid_resident_id("31010419900101123")


def fixed_clock() -> datetime:
    return FIXED_NOW


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
def home(tmp_path):
    init_store(tmp_path, centre_code="310104", window_no="01", demo=True, clock=fixed_clock)
    return tmp_path


@pytest.fixture
def services(home):
    s = Services(home, clock=fixed_clock)
    yield s
    s.close()


@pytest.fixture
def clerk(services):
    return services.login(login="demo", password="demo1234")


@pytest.fixture
def supervisor(services):
    return services.login(login="super", password="super1234")


@pytest.fixture(autouse=True)
def quiet_presenter():
    """No modal window in a test: the UI's presenter is replaced by one that records (quiet_presenter.py)."""
    from quiet_presenter import QuietPresenter

    from desktop.ui.feedback import use_presenter

    quiet = QuietPresenter()
    previous = use_presenter(quiet)
    yield quiet
    use_presenter(previous)


@pytest.fixture
def print_log(quiet_presenter):
    """The PDFs the UI asked to print, in order."""
    return quiet_presenter.printed


@pytest.fixture
def window(qtbot, services, clerk, print_log):
    from desktop.ui.main_window import MainWindow

    w = MainWindow(services, clerk)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=2000)
    yield w
    w.close()

