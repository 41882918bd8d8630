"""The central PostgreSQL, as the window and the administrators reach it.

client.py is the window's real sync transport (psycopg), office.py a department's back-office client, admin.py sets up the schema, registers windows
and publishes, wire.py is the canonical JSON of an operation and its hash (one implementation for window
and centre), errors.py the errors all of them raise. The names below keep `from db.central import …`
working for callers that predate the split; they load on first use (PEP 562), so importing
db.central.wire or db.central.errors does not load psycopg (with asyncio, about 23 MB resident)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_WHERE = {
    "admin": ("MIGRATIONS_DIR", "add_department", "add_window", "decide_case", "department_role_name",
              "downgrade_central", "init_central", "publish_calendar", "publish_catalogue", "retire_window",
              "upsert_user", "verify_central", "window_role_name"),
    "client": ("CentralClient", "_libpq_url", "_sqlalchemy_url", "admin_connect"),
    "errors": ("CentralAuthFailed", "CentralError", "CentralRefused", "CentralUnreachable",
               "DepartmentNotRegistered", "OfficeRefused", "ProtocolTooOld", "SameOfficer", "UnknownBatch", "UnknownCase",
               "UnknownStaff", "WindowBoundElsewhere", "WindowNotRegistered"),
    "office": ("OfficeClient",),
    "wire": ("canonical_json", "freeze_op", "sha256_hex"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from db.central.admin import (  # noqa: F401
        MIGRATIONS_DIR,
        add_department,
        add_window,
        decide_case,
        department_role_name,
        downgrade_central,
        init_central,
        publish_calendar,
        publish_catalogue,
        retire_window,
        upsert_user,
        verify_central,
        window_role_name,
    )
    from db.central.client import CentralClient, _libpq_url, _sqlalchemy_url, admin_connect  # noqa: F401
    from db.central.errors import (  # noqa: F401
        CentralAuthFailed,
        CentralError,
        CentralRefused,
        CentralUnreachable,
        DepartmentNotRegistered,
        OfficeRefused,
        ProtocolTooOld,
        SameOfficer,
        UnknownBatch,
        UnknownCase,
        UnknownStaff,
        WindowBoundElsewhere,
        WindowNotRegistered,
    )
    from db.central.office import OfficeClient  # noqa: F401
    from db.central.wire import canonical_json, freeze_op, sha256_hex  # noqa: F401


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'db.central' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"db.central.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


__all__ = [
    "MIGRATIONS_DIR",
    "CentralAuthFailed",
    "CentralClient",
    "CentralError",
    "CentralRefused",
    "CentralUnreachable",
    "DepartmentNotRegistered",
    "OfficeClient",
    "OfficeRefused",
    "ProtocolTooOld",
    "SameOfficer",
    "UnknownBatch",
    "UnknownCase",
    "UnknownStaff",
    "WindowBoundElsewhere",
    "WindowNotRegistered",
    "_libpq_url",
    "_sqlalchemy_url",
    "add_department",
    "add_window",
    "admin_connect",
    "canonical_json",
    "decide_case",
    "department_role_name",
    "downgrade_central",
    "freeze_op",
    "init_central",
    "publish_calendar",
    "publish_catalogue",
    "retire_window",
    "sha256_hex",
    "upsert_user",
    "verify_central",
    "window_role_name",
]
