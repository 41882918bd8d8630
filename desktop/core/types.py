"""Frozen domain values that services return and documents render; never live ORM objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from desktop.core.labels import (  # noqa: F401  (re-exported)
    FORM_LABELS,
    ID_TYPE_LABELS,
    MATERIAL_STATE_LABELS,
    MODE_LABELS,
    OUTCOME_LABELS,
    RATING_LEVELS,
)

Mode = Literal["online_full", "delegated", "entrusted_receipt", "local"]
ApplicantKind = Literal["person", "enterprise"]
MaterialState = Literal["paper", "e_licence", "commitment", "gap", "missing", "defective"]
Outcome = Literal["accepted", "completed", "notice", "refused", "consultation"]

# The label tables live in desktop.core.labels; re-exported here under their old names.
STATE_LABELS = MATERIAL_STATE_LABELS


@dataclass(frozen=True)
class MaterialSpec:
    code: str
    name: str
    required: bool
    form: str = "original"  # original | copy | original_and_copy
    copies: int = 1
    e_licence: bool = False
    standard: str = ""  # the standard it must meet (printed on the one-time notice)
    kind: str = "supporting"  # application_form | identity_document | supporting
    gap_allowed: bool = False  # may be taken as 容缺 (never a form, an identity document, nor on_the_spot)
    commitment_text: str = ""  # the promise printed on the 告知承诺书 ('' = the default wording)


@dataclass(frozen=True)
class Matter:
    code: str
    name: str
    department: str
    mode: str
    applicant_kinds: tuple[str, ...]
    on_the_spot: bool
    statutory_days: int | None
    promised_days: int
    commitment_allowed: bool
    materials: tuple[MaterialSpec, ...]
    keywords: tuple[str, ...] = ()
    legal_basis: str = ""
    fee: str = "不收费"
    early_completion: bool = False  # 提前办结: promised at least 30 % shorter than statutory
    catalogue_version: str = ""
    reconsideration_body: str = ""  # 行政复议机关 named on the 不予受理通知书 ('' = the window setting)
    court: str = ""  # 人民法院 named on the 不予受理通知书 ('' = the window setting)
    # the back office's steps in order (承办 → 审核 → 决定, or 一审一核: 承办 → 决定)
    review_steps: tuple[str, ...] = ("handle", "review", "decide")
    # 两个集中: the kinds of centre that take the matter (district: 区行政服务中心, street: 街镇社区事务受理服务中心)
    centre_types: tuple[str, ...] = ("district", "street")


@dataclass(frozen=True)
class Person:
    name: str
    id_type: str
    id_no: str  # normalised (a 15-digit resident ID is stored in its 18-character form)
    phone: str = ""
    birth_date: date | None = None
    sex: str | None = None  # "M" | "F" where the number carries it
    kind: str = "person"


@dataclass(frozen=True)
class Enterprise:
    name: str
    uscc: str
    contact: Person
    kind: str = "enterprise"


Applicant = Person | Enterprise


@dataclass(frozen=True)
class CaseMaterial:
    code: str
    name: str
    required: bool
    form: str
    copies: int
    state: str  # MaterialState
    standard: str = ""
    e_licence_ref: str = ""
    reason: str = ""  # why defective
    gap_due: date | None = None  # 容缺: promised supply date


@dataclass(frozen=True)
class Clerk:
    login: str
    name: str
    staff_no: str
    role: str  # clerk | supervisor | admin | backoffice
    backup_for: str = ""  # AB角: the absent clerk's name when this clerk acts as his backup (B角) on a document


@dataclass(frozen=True)
class Window:
    centre_code: str
    centre_name: str
    window_no: str
    phone: str = ""  # the centre's contact phone, printed on notices
    reconsideration_body: str = ""  # setting: 行政复议机关 when the matter names none
    court: str = ""  # setting: 人民法院 when the matter names none


@dataclass(frozen=True)
class CaseRecord:
    """Everything a printed document needs about one case."""

    case_no: str
    matter: Matter
    applicant: Applicant
    agent: Person | None
    materials: tuple[CaseMaterial, ...]
    outcome: str
    received_at: datetime
    promised_date: date | None
    statutory_date: date | None
    window: Window
    clerk: Clerk
    note: str = ""
    warnings: tuple[str, ...] = ()
    query_url: str = ""
    rating_url: str = ""
    refusal_reason: str = ""  # the free text of the reason (without its category)
    apply_instead: str = ""
    refusal_category: str = ""  # not_permit | not_competent | other ('' for a refusal recorded before them)
    result_note: str = ""  # 当场办结: the result issued at the window
    complete_at: datetime | None = None  # the day the file became complete: the clock starts here
    supply_due: date | None = None  # one-time notice: the date to bring what is missing
    status: str = "received"  # as decided elsewhere (approved, denied, …) or delivered at the window
    paused_since: date | None = None  # the decision clock is stopped since then
    extended_days: int = 0  # working days of extension already granted (10 at most)
    deadline_pending: bool = False  # a date reaches into a year without published holidays: printed 待定
    decided_at: datetime | None = None  # the window's latest decision on the file (from the history: the
    #                                     first visit or the 补正 visit): a notice's 告知时间, the refusal's date
    corrected: bool = False  # printed as a corrected version (更正) after a correction of the case
    online_app_no: str = ""  # 网上预审: the online application this case was taken from
    holiday: bool = False  # 节假日办理: taken on a non-working day (the clock starts on the next working day)

    @property
    def accepted_on(self) -> date | None:
        """The 受理 date: the day the file became complete (after 补正 the supplement day)."""
        return self.complete_at.date() if self.complete_at else None

    @property
    def issued_at(self) -> datetime:
        """When the window's current decision was issued (falls back to the first visit)."""
        return self.decided_at or self.received_at

    @property
    def gaps(self) -> tuple[CaseMaterial, ...]:
        """Materials the applicant still owes (printed on the one-time notice)."""
        return tuple(m for m in self.materials if m.state in ("missing", "defective"))


@dataclass(frozen=True)
class PrintedDocument:
    kind: str  # voucher | one_time_notice | ...
    path: str
    paper: str = "a4"
    reprint: int = 0  # 0 for the first print, N for the N-th 补打
    printed_at: datetime | None = None
    warning: str = ""  # e.g. a decision document printed without its seal QR (no certificate installed)


@dataclass(frozen=True)
class IntakeResult:
    case_no: str
    outcome: str
    promised_date: date | None
    documents: tuple[PrintedDocument, ...]
    warnings: tuple[str, ...] = ()
    deadline_pending: bool = False  # promised/statutory/supply date 待定 until next year's holidays arrive

    def as_json(self) -> dict:
        return {
            "case_no": self.case_no,
            "outcome": self.outcome,
            "documents": [d.path for d in self.documents],
            "promised_date": self.promised_date.isoformat() if self.promised_date else None,
            "deadline_pending": self.deadline_pending,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ConsultationRecord:
    id: str
    asked_at: datetime
    asker_name: str
    asker_phone: str
    matter_code: str
    question: str
    answer: str
    answered_by: str


@dataclass(frozen=True)
class OutboxItem:
    op_id: str
    kind: str
    ref: str  # what it is about (a case number)
    state: str  # pending | applied | duplicate | rejected
    attempts: int
    created_at: datetime
    last_error: str = ""


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None  # None: no central database configured
    queue_length: int
    oldest_pending_at: datetime | None
    last_success_at: datetime | None
    last_error: str = ""
    rejected: int = 0  # operations the centre refused (the supervisor's 异常件 list)


@dataclass(frozen=True)
class SyncResult:
    pushed: int = 0
    duplicate: int = 0
    rejected: int = 0
    pulled: int = 0

    def as_json(self) -> dict:
        return {"pushed": self.pushed, "duplicate": self.duplicate, "rejected": self.rejected,
                "pulled": self.pulled}


@dataclass(frozen=True)
class DailyStats:
    day: date
    window: Window
    generated_at: datetime
    total: int
    by_outcome: tuple[tuple[str, int], ...]  # (outcome, count)
    by_matter: tuple[tuple[str, str, int], ...]  # (matter code, matter name, count)
    by_clerk: tuple[tuple[str, int], ...] = field(default=())  # (clerk name, count)
    ratings: tuple[tuple[int, int], ...] = field(default=())  # (stars 5..1, count) rated that day
    bad_ratings: tuple[tuple[str, str, str], ...] = field(default=())  # (case_no, comment, rectify owner)
    consultations: int = 0
    supplemented: int = 0  # one-time-notice cases completed that day
