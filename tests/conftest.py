"""Shared fixtures: a window's home initialised on a fixed clock with the small test catalogue."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

os.environ.setdefault("YICHUANG_SECRET_STORE", "file")  # never touch a developer's real keyring

from factories import DATA  # noqa: E402


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 9, 30, 0))  # a Monday


@pytest.fixture
def home(tmp_path, clock) -> Path:
    from desktop.core.services import Services, init_store

    h = tmp_path / "home"
    init_store(h, centre_code="310104", window_no="01", centre_name="徐汇区行政服务中心", demo=True, clock=clock)
    svc = Services(h, clock=clock)
    try:
        svc.import_catalogue((DATA / "catalogue_test.json").read_text(encoding="utf-8"))
    finally:
        svc.close()
    return h


@pytest.fixture
def services(home, clock):
    from desktop.core.services import Services

    svc = Services(home, clock=clock)
    yield svc
    svc.close()


@pytest.fixture
def clerk(services):
    return services.login(login="demo", password="demo1234")
