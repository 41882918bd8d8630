"""The central PostgreSQL, as the window and the administrators reach it.

client.py is the window's real sync transport (psycopg), office.py a department's back-office client, admin.py sets up the schema, registers windows
and publishes, wire.py is the canonical JSON of an operation and its hash (one implementation for window
and centre), errors.py the errors all of them raise. The names below keep `from db.central import …`
working for callers that predate the split."""

from db.central.admin import (
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
from db.central.client import CentralClient, _libpq_url, _sqlalchemy_url, admin_connect
from db.central.errors import (
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
from db.central.office import OfficeClient
from db.central.wire import canonical_json, freeze_op, sha256_hex

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
