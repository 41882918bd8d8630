"""The back office on a department PC (Qt-free): its link to the centre kept in the data folder without a
window store (settings.py), staff sign-in against the centre's hashes with a lockout (signin.py), input
checks (forms.py), the centre's refusals in Chinese (errors.py), frozen results (types.py) and the use
cases (service.py: OfficeServices). The names below are the package's API."""

from desktop.core.office.forms import decision
from desktop.core.office.service import OfficeServices
from desktop.core.office.settings import is_office_home
from desktop.core.office.types import (
    BATCH_STATE_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    BatchCase,
    CaseDetail,
    CaseStep,
    Decision,
    InboxBatch,
    OfficeInfo,
    OfficeStaff,
    ReviewCase,
)

__all__ = [
    "BATCH_STATE_LABELS",
    "STATUS_LABELS",
    "STEP_LABELS",
    "BatchCase",
    "CaseDetail",
    "CaseStep",
    "Decision",
    "InboxBatch",
    "OfficeInfo",
    "OfficeServices",
    "OfficeStaff",
    "ReviewCase",
    "decision",
    "is_office_home",
]
