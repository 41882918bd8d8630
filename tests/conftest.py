"""What every layer shares: the movable clock, a window home copied from a template store, its services and
users, and the private CUPS. A layer's conftest overrides `clock` or `store_recipe` to start elsewhere."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("YICHUANG_SECRET_STORE", "file")  # never touch a developer's real keyring

from tests.support.clock import CORE_NOW, MovableClock  # noqa: E402
from tests.support.factories import TEST_CATALOGUE  # noqa: E402
from tests.support.store import StoreRecipe, TemplateStores  # noqa: E402

pytest_plugins = ["tests.support.central_fixtures"]  # the real centre, for any layer that needs one


@pytest.fixture
def clock() -> MovableClock:
    """The test's clock, starting on Monday 2026-11-23 09:30; move it with `clock.now = ...`."""
    return MovableClock(CORE_NOW)


@pytest.fixture
def store_recipe(clock) -> StoreRecipe:
    """The window home a test starts from: demo store made at the clock's time plus the test catalogue."""
    return StoreRecipe(now=clock.now, centre_name="徐汇区行政服务中心", catalogue=TEST_CATALOGUE)


@pytest.fixture(scope="session")
def template_stores(tmp_path_factory) -> TemplateStores:
    return TemplateStores(tmp_path_factory.mktemp("template-stores"))


@pytest.fixture
def home(tmp_path, template_stores, store_recipe) -> Path:
    """This test's own window home (a copy of the session's template for its recipe)."""
    return template_stores.copy(store_recipe, tmp_path / "home")


@pytest.fixture
def services(home, clock):
    from desktop.core.services import Services

    svc = Services(home, clock=clock)
    yield svc
    svc.close()


@pytest.fixture
def clerk(services):
    return services.login(login="demo", password="demo1234")


@pytest.fixture
def supervisor(services):
    return services.login(login="super", password="super1234")


@pytest.fixture(scope="session")
def private_cups() -> Iterator:
    """The session's own cupsd with the CUPS-PDF queue (skipped only when the cupsd binary is absent)."""
    from tests.support import cups

    if cups.find_cupsd() is None:
        pytest.skip("cupsd not installed (Debian package cups)")
    with cups.private_cups() as server:
        yield server
