"""The central PostgreSQL fixtures (a pytest plugin, registered by tests/conftest.py for every layer): one throwaway PostgreSQL per session (TLS on, its own test CA), a fresh migrated
database per test. Every URL a fixture gives pins that CA (sslmode=verify-full&sslrootcert=...)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from db.central import add_window, init_central, publish_catalogue
from tests.support.central_ops import CATALOGUE_MATTER, CATALOGUE_VERSION
from tests.support.postgres import PostgresNotFound, TempPostgres, find_pg_bin

TEMPLATE_DB = "yc_central_template"


@pytest.fixture(scope="session")
def pg() -> Iterator[TempPostgres]:
    """The session's PostgreSQL cluster. Missing binaries FAIL the tests (CI installs them)."""
    try:
        find_pg_bin()
    except PostgresNotFound as exc:
        pytest.fail(f"sync tests need a real PostgreSQL: {exc}", pytrace=False)
    with TempPostgres() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def central_ca(pg: TempPostgres) -> Path:
    """The CA certificate (PEM file) that signed the session server's certificate: what windows pin."""
    assert pg.ca_file is not None
    return pg.ca_file


@pytest.fixture(scope="session")
def central_template(pg: TempPostgres) -> str:
    """A database migrated to head once; each test's database is a file copy of it (~0.1 s)."""
    url = pg.create_database(TEMPLATE_DB)
    init_central(url)
    return TEMPLATE_DB


@pytest.fixture
def central_url(pg: TempPostgres, central_template: str) -> Iterator[str]:
    """Superuser SQLAlchemy URL of a fresh, migrated central database for this test."""
    name = f"yc_t_{uuid.uuid4().hex[:12]}"
    url = pg.create_database(name, template=central_template)
    yield url
    pg.drop_database(name)


@pytest.fixture
def central_window(pg: TempPostgres, central_url: str) -> Callable[..., str]:
    """central_window("A", "01") registers that window in this test's database and returns its login URL, which
    pins the session's CA: "...?sslmode=verify-full&sslrootcert=<central_ca>".

    Unless catalogue=None, the centre also publishes a catalogue of that version for the window's centre,
    once: a case is accepted only under a catalogue version its centre published, for a matter that version
    has (central c0008), so it holds the matter case_payload's cases are taken under (CATALOGUE_MATTER)."""
    published: set[str] = set()

    def make(centre: str, window_no: str, *, centre_name: str | None = None,
             catalogue: str | None = CATALOGUE_VERSION) -> str:
        url = add_window(central_url, centre, window_no, centre_name=centre_name)
        assert url.endswith("?sslmode=verify-full"), url
        if catalogue is not None and centre not in published:
            publish_catalogue(central_url, json.dumps({"version": catalogue, "matters": [CATALOGUE_MATTER]},
                                                      ensure_ascii=False), centre_code=centre)
            published.add(centre)
        return url + "&" + pg.tls_query.lstrip("?").replace("sslmode=verify-full&", "")

    return make


@pytest.fixture
def window(central_window: Callable[..., str]) -> Callable[..., str]:
    """The sync tests' name for central_window (the UI layer's `window` is the main window)."""
    return central_window


@pytest.fixture
def pooler(pg: TempPostgres, central_url: str):
    """A PgBouncer in front of this test's central database, configured by the product's pooler-config
    (tests/support/pgbouncer.py): its per-login entry and its shared entry (central c0020)."""
    from tests.support.pgbouncer import TempPgBouncer

    with TempPgBouncer(pg, central_url) as bouncer:
        yield bouncer
