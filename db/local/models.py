"""SQLAlchemy models of the window's local SQLite store (all times are Shanghai wall-clock time)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Setting(Base):
    """Window identity and preferences: centre_code, centre_name, window_no, default_clerk, central_url."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class User(Base):
    __tablename__ = "users"
    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    staff_no: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))  # clerk | supervisor | admin | backoffice
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # in a row
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CatalogueVersion(Base):
    __tablename__ = "catalogue_versions"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    sha256: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    matter_count: Mapped[int] = mapped_column(Integer)
    # {text: [full-pinyin forms, initials forms]} computed once at import, so start-up needs no pypinyin
    search_forms: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")
    # the centre directory the catalogue carries (its top-level "centres" list, as parsed)
    centres_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")


class MatterRow(Base):
    """One matter of one catalogue version; `data` is the matter's JSON as imported."""

    __tablename__ = "matters"
    version: Mapped[str] = mapped_column(
        String(64), ForeignKey("catalogue_versions.version"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    data: Mapped[str] = mapped_column(Text)


class CalendarYear(Base):
    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime)


class CalendarDay(Base):
    """A day that differs from the Monday–Friday rule: a holiday weekday or a make-up workday."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday
    name: Mapped[str] = mapped_column(String(64), default="")


class CaseCounter(Base):
    """Per-window, per-day serial for offline case numbers (bumped in the case's own transaction)."""

    __tablename__ = "case_counters"
    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Case(Base):
    __tablename__ = "cases"
    case_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    matter_code: Mapped[str] = mapped_column(String(64))
    matter_name: Mapped[str] = mapped_column(String(200))
    catalogue_version: Mapped[str] = mapped_column(String(64))
    calendar_version: Mapped[str] = mapped_column(String(32), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), default="received")
    applicant_kind: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(400))
    applicant_id_no: Mapped[str] = mapped_column(String(64))
    applicant_json: Mapped[str] = mapped_column(Text)
    agent_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    warnings_json: Mapped[str] = mapped_column(Text, default="[]")
    received_at: Mapped[datetime] = mapped_column(DateTime)
    received_day: Mapped[date] = mapped_column(Date)
    complete_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    statutory_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    supply_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    clerk_login: Mapped[str] = mapped_column(String(64))
    clerk_name: Mapped[str] = mapped_column(String(100))
    centre_code: Mapped[str] = mapped_column(String(16))
    window_no: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    refusal_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    apply_instead: Mapped[str] = mapped_column(Text, default="", server_default="")
    result_note: Mapped[str] = mapped_column(Text, default="", server_default="")  # 当场办结: what was issued
    paused_since: Mapped[date | None] = mapped_column(Date, nullable=True)  # clock stopped (hearing, testing…)
    extended_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # working days not counted while the clock was paused, in all (the dates moved by as many)
    clock_shift_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # a deadline reaches into a year whose holidays are not yet published: printed as 待定 and computed
    # when that year's calendar arrives
    deadline_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # the back office's decision as the centre publishes it (JSON of the `cases` stream's "decision"), "" = none
    decision_json: Mapped[str] = mapped_column(Text, default="", server_default="")
    # the window that made the latest version (this one, or another window of the centre: a pulled case)
    last_window_no: Mapped[str] = mapped_column(String(8), default="", server_default="")
    online_app_no: Mapped[str] = mapped_column(String(40), default="", server_default="")  # 网上预审 number
    holiday: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # 节假日办理

    materials: Mapped[list[CaseMaterialRow]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseMaterialRow.ordinal"
    )

    __table_args__ = (
        Index("ix_cases_received_day", "received_day"),
        Index("ix_cases_applicant", "applicant_id_no", "matter_code", "received_day"),
    )


class DocumentOwed(Base):
    """A document the applicant is owed and the window has not printed yet (e.g. a voucher whose 待定
    dates became known when next year's holidays arrived). Settled when printed; never deleted."""

    __tablename__ = "documents_owed"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    settled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class CaseMaterialRow(Base):
    __tablename__ = "case_materials"
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no"), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean)
    form: Mapped[str] = mapped_column(String(24))
    copies: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))
    standard: Mapped[str] = mapped_column(Text, default="")
    e_licence_ref: Mapped[str] = mapped_column(String(128), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    gap_due: Mapped[date | None] = mapped_column(Date, nullable=True)

    case: Mapped[Case] = relationship(back_populates="materials")


class CaseEvent(Base):
    """The history of a case at this window: received, notice, supplemented, accepted, status pulled."""

    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")
    # where the step was taken: a window number ("" for an event of the centre or of the back office)
    window_no: Mapped[str] = mapped_column(String(8), default="", server_default="")


class CentralCase(Base):
    """The centre's latest snapshot of a case (the `cases` stream's data, as JSON text): what a case is
    restored to when the centre refuses our version of it. Personal data: kept in the encrypted store only."""

    __tablename__ = "central_cases"
    case_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    data_json: Mapped[str] = mapped_column(Text)
    pulled_at: Mapped[datetime] = mapped_column(DateTime)


class Consultation(Base):
    """首问负责: who asked what, who answered, and the answer (no case number is issued)."""

    __tablename__ = "consultations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    asked_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    asker_name: Mapped[str] = mapped_column(String(100))
    asker_phone: Mapped[str] = mapped_column(String(32), default="")
    matter_code: Mapped[str] = mapped_column(String(64), default="")
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    answered_by: Mapped[str] = mapped_column(String(100))
    clerk_login: Mapped[str] = mapped_column(String(64))


class Document(Base):
    """Every printed PDF, archived with its case."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    paper: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    reprint: Mapped[int] = mapped_column(Integer, default=0)
    printed_at: Mapped[datetime] = mapped_column(DateTime)
    clerk_login: Mapped[str] = mapped_column(String(64))


class DocumentNumber(Base):
    """The register of document numbers (文号) this window issued: authority short name + kind + 〔year〕 +
    window number + a per-window, per-kind, per-year 5-digit counter. A row is written in the transaction
    that records the first print of a decision document; a 补打 reprints the case's latest number of that
    kind. `document_id` is the print that issued it (the archived PDF carrying it)."""

    __tablename__ = "document_numbers"
    doc_no: Mapped[str] = mapped_column(String(64), primary_key=True)  # as printed, e.g. 徐汇受〔2026〕0100123号
    code: Mapped[str] = mapped_column(String(8))  # the kind in the number: 受, 不受, 补, 告
    year: Mapped[int] = mapped_column(Integer)
    window_no: Mapped[str] = mapped_column(String(8))
    serial: Mapped[int] = mapped_column(Integer)  # the counter, 1..99999
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # the document kind (registry)
    document_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("documents.id"), nullable=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime)

    __table_args__ = (
        UniqueConstraint("code", "year", "window_no", "serial", name="uq_document_numbers_serial"),
    )


class OutboxOp(Base):
    """One change waiting for (or acknowledged by) the central database. Never deleted unacknowledged."""

    __tablename__ = "outbox"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # frozen canonical JSON text
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|applied|duplicate|rejected
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    acked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    result: Mapped[str] = mapped_column(Text, default="")
    # the window's chain (desktop/core/chain.py): 1.. gapless, the previous op's MAC ("0"*64 first), and
    # HMAC-SHA256(window key, "seq|prev|op_id|kind|sha256"); NULL only on an op queued before the chain
    chain_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    chain_prev: Mapped[str | None] = mapped_column(String(64), nullable=True)
    chain_mac: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        Index("ix_outbox_state_seq", "state", "seq"),
        Index("ix_outbox_chain_seq", "chain_seq", unique=True),
    )


class SyncCheckpoint(Base):
    """Last server sequence applied per pulled stream; written in the same transaction as its rows."""

    __tablename__ = "sync_checkpoints"
    stream: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer)


class AuditEntry(Base):
    """Who did what, when. Chained like the outbox (audit_seq, audit_prev, audit_mac; chain.py)."""

    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    ref: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    audit_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    audit_prev: Mapped[str | None] = mapped_column(String(64), nullable=True)
    audit_mac: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_audit_audit_seq", "audit_seq", unique=True),)


class TransferBatch(Base):
    """材料流转单: accepted cases' materials going to one back-office department."""

    __tablename__ = "transfer_batches"
    batch_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    department: Mapped[str] = mapped_column(String(200), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # online | express
    tracking_no: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting|sent|signed|returned
    return_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class TransferItem(Base):
    __tablename__ = "transfer_items"
    batch_no: Mapped[str] = mapped_column(String(40), ForeignKey("transfer_batches.batch_no"), primary_key=True)
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no"), primary_key=True)


class Rating(Base):
    """好差评 at the window: one rating per visit (intake, handover), tied to the case number."""

    __tablename__ = "ratings"
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no"), primary_key=True)
    occasion: Mapped[str] = mapped_column(String(16), primary_key=True, default="intake",
                                          server_default="intake")  # intake | handover: one per visit
    overall: Mapped[int] = mapped_column(Integer)
    efficiency: Mapped[int | None] = mapped_column(Integer, nullable=True)
    service: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attitude: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime] = mapped_column(DateTime)
    rectify_owner: Mapped[str] = mapped_column(String(64), default="")  # 差评: who rectifies
    rectify_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="", server_default="")  # applicant_screen | clerk_fallback


class Blob(Base):
    """A scanned material stored once by content (SHA-256); `uploaded` once the centre has it."""

    __tablename__ = "blobs"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(64))
    uploaded: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseAttachment(Base):
    __tablename__ = "case_attachments"
    case_no: Mapped[str] = mapped_column(String(40), ForeignKey("cases.case_no"), primary_key=True)
    material_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"), primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(DateTime)


class Backup(Base):
    """AB角: a supervisor named `backup_login` (B角) to stand in for `clerk_login` (A角) from `date_from` to
    `date_to` (both included). Made at any window of the centre and pulled by every other (stream `backups`)."""

    __tablename__ = "backups"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid, the same at every window
    clerk_login: Mapped[str] = mapped_column(String(64), index=True)
    backup_login: Mapped[str] = mapped_column(String(64))
    date_from: Mapped[date] = mapped_column(Date)
    date_to: Mapped[date] = mapped_column(Date)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(DateTime)
    window_no: Mapped[str] = mapped_column(String(8))  # where it was assigned


class Prereview(Base):
    """A pre-reviewed online application (网上预审) waiting for the applicant to bring the originals."""

    __tablename__ = "prereviews"
    app_no: Mapped[str] = mapped_column(String(40), primary_key=True)
    matter_code: Mapped[str] = mapped_column(String(64))
    applicant_name: Mapped[str] = mapped_column(String(400))
    applicant_id_no: Mapped[str] = mapped_column(String(64), index=True)
    intake_json: Mapped[str] = mapped_column(Text)  # the intake as checked online
    submitted_at: Mapped[str] = mapped_column(String(32), default="", server_default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime)
    case_no: Mapped[str] = mapped_column(String(40), default="", server_default="")  # once accepted


class CatalogueAck(Base):
    """A clerk saw and acknowledged what a catalogue version changed."""

    __tablename__ = "catalogue_acks"
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    acked_at: Mapped[datetime] = mapped_column(DateTime)
