"""The back office on a department PC (Qt-free): its link to the centre kept in the data folder without a
window store (settings.py), staff sign-in against the centre's hashes with a lockout (signin.py), input
checks (forms.py), the centre's refusals in Chinese (errors.py), frozen results (types.py) and the use
cases (service.py: OfficeServices). The names below are the package's API.

`is_office_home` is defined here and the rest is imported on first use, so that the program's start
(desktop.ui.app asks whether a data folder is a department's) does not load the database layer."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Any

SETTINGS_FILE = "office.json"
"""A department PC's settings in its data folder (desktop.core.office.settings)."""


def is_office_home(home: Path) -> bool:
    """True when the data folder is a department's (its back-office settings are there)."""
    return (Path(home) / SETTINGS_FILE).is_file()


_LAZY = {
    "decision": "forms",
    "OfficeServices": "service",
    **{name: "types" for name in ("BATCH_STATE_LABELS", "STATUS_LABELS", "STEP_LABELS", "BatchCase", "CaseDetail",
                                  "CaseStep", "Decision", "InboxBatch", "OfficeInfo", "OfficeStaff", "ReviewCase")},
}

__all__ = ["SETTINGS_FILE", "is_office_home", *sorted(_LAZY)]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
