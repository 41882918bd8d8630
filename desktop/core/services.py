"""The use cases of a window, one typed method each: the GUI, the CLI and the tests all call these.

The facade only composes: it owns the window's `Store` and hands it to the feature modules (catalogue,
cases, documents, outbox, sync, stats), which hold the rules and the SQL. Methods take keyword arguments,
return frozen dataclasses and raise typed errors (desktop.core.errors); an action that needs a role checks
it in its feature module through desktop.core.roles. A `Services` object is used from one thread at a time
(the GUI gives the sync worker its own).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from desktop.core import backup, chain, preferences, roles, stats, sync, users, workcalendar, worklist
from desktop.core import backup_clerks as ab
from desktop.core.bootstrap import DEMO_USERS, init_store
from desktop.core.cases import (
    attachments,
    closing,
    consultations,
    corrections,
    deadlines,
    gaps,
    intake,
    leases,
    lookup,
    prereview,
    records,
    transfers,
)
from desktop.core.cases.checks import CheckedIntake
from desktop.core.catalogue import Catalogue
from desktop.core.catalogue import storage as catalogue
from desktop.core.clock import Clock, shanghai_now
from desktop.core.documents import archive, verify
from desktop.core.firstrun import FirstRun, needs_first_run, read_enrolment, test_page_pdf
from desktop.core.firstrun import set_up as first_run_set_up
from desktop.core.outbox import deadletter, queue
from desktop.core.store import Store
from desktop.core.types import (
    CaseRecord,
    Clerk,
    ConsultationRecord,
    DailyStats,
    IntakeResult,
    Matter,
    OutboxItem,
    PrintedDocument,
    SyncResult,
    SyncStatus,
    Window,
)
from desktop.core.workdays import WorkdayCalendar

__all__ = ["DEMO_USERS", "FirstRun", "Services", "first_run_set_up", "init_store", "needs_first_run",
           "read_enrolment", "test_page_pdf"]


class Services:
    """All use cases of one window, over its local store in `home`."""

    def __init__(self, home: Path, *, clock: Clock = shanghai_now):
        self.store = Store(home, clock=clock)

    # the store's context, for callers that need a session or the clock (tests, the sync worker)
    @property
    def home(self) -> Path:
        return self.store.home

    @property
    def clock(self) -> Clock:
        return self.store.clock

    @property
    def engine(self):
        return self.store.engine

    @property
    def Session(self):  # noqa: N802 - a sessionmaker, named like one
        return self.store.Session

    @property
    def Reader(self):  # noqa: N802
        return self.store.Reader

    @property
    def chain_key(self) -> bytes | None:
        return self.store.chain_key

    def close(self) -> None:
        self.store.close()

    def invalidate(self, *names: str) -> None:
        self.store.invalidate(*names)

    # ----- window identity and settings
    def setting(self, key: str) -> str:
        return self.store.setting(key)

    def set_setting(self, key: str, value: str) -> None:
        self.store.set_setting(key, value)

    def window(self) -> Window:
        return self.store.window()

    def set_preference(self, *, key: str, value: str, actor: Clerk) -> str:
        """An administrator sets a preference setting (desktop/core/preferences.py); returns the value stored."""
        return preferences.set_preference(self.store, key=key, value=value, actor=actor)

    # ----- users
    def add_user(self, *, login: str, password: str, name: str, staff_no: str, role: str = "clerk",
                 actor: Clerk | None = None) -> Clerk:
        """An administrator adds or changes a user (no actor only for the first user of an empty store)."""
        return users.add_user(self.store, login=login, password=password, name=name, staff_no=staff_no, role=role,
                              actor=actor)

    def has_users(self) -> bool:
        return users.has_users(self.store)

    def unlock_user(self, *, login: str, actor: Clerk) -> None:
        users.unlock_user(self.store, login=login, actor=actor)

    def audit_event(self, *, actor: str, action: str, ref: str = "", detail: str = "") -> None:
        """A local audit line (e.g. a command line refused for a missing password)."""
        users.audit(self.store, actor, action, ref, detail)

    def login(self, *, login: str, password: str) -> Clerk:
        return users.login(self.store, login=login, password=password)

    def clerk(self, login: str) -> Clerk:
        return users.clerk(self.store, login)

    # ----- catalogue
    def import_catalogue(self, text: str, *, actor: Clerk) -> Catalogue:
        return catalogue.import_catalogue(self.store, text, actor=actor)

    def current_catalogue_version(self) -> str | None:
        return catalogue.current_version(self.store)

    def search_matters(self, *, query: str, limit: int = 20) -> list[Matter]:
        return catalogue.search_matters(self.store, query=query, limit=limit)

    def matter(self, *, code: str, version: str | None = None) -> Matter:
        return catalogue.matter(self.store, code=code, version=version)

    def catalogue_changes(self, *, clerk: Clerk):
        """What the current catalogue changed per matter, while `clerk` has not acknowledged it (else None)."""
        from desktop.core.catalogue import changes

        return changes.unacknowledged(self.store, clerk)

    def acknowledge_catalogue(self, *, version: str, clerk: Clerk) -> None:
        from desktop.core.catalogue import changes

        changes.acknowledge(self.store, clerk, version)

    def centre_directory(self):
        """The centre directory the current catalogue carries (导办单: name, address, phone, hours)."""
        return catalogue.centre_directory(self.store)

    def print_guide(self, *, matter_code: str, out: Path, clerk: Clerk | None = None) -> Path:
        """The 导办单 of a matter as a PDF at `out`: where it is taken, what to bring, the online route."""
        from desktop.core.guide import print_guide

        return print_guide(self.store, code=matter_code, out=out, clerk=clerk)

    # ----- the working-day clock
    def calendar(self) -> WorkdayCalendar:
        return workcalendar.calendar(self.store)

    def add_workdays(self, *, start: date, days: int) -> date:
        return workcalendar.calendar(self.store).add_workdays(start, days)

    def import_calendar(self, *, years: Iterable[int], rows: Iterable[tuple[date, str, str]], source: str,
                        actor: Clerk) -> list[str]:
        return deadlines.import_calendar(self.store, years=years, rows=rows, source=source, actor=actor)

    def pause_clock(self, *, case_no: str, reason: str, clerk: Clerk) -> None:
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            deadlines.pause_clock(self.store, case_no=case_no, reason=reason, clerk=clerk)

    def resume_clock(self, *, case_no: str, clerk: Clerk) -> int:
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            return deadlines.resume_clock(self.store, case_no=case_no, clerk=clerk)

    def extend_deadline(self, *, case_no: str, days: int, reason: str, approver_login: str,
                        approver_password: str, clerk: Clerk) -> None:
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            deadlines.extend_deadline(self.store, case_no=case_no, days=days, reason=reason,
                                      approver_login=approver_login, approver_password=approver_password,
                                      clerk=clerk)

    def promised_preview(self, *, matter: Matter) -> date | None:
        """The promised date a complete file of `matter` taken today would get (None while 待定)."""
        outcome = "completed" if matter.on_the_spot else "accepted"
        return deadlines.compute_deadlines(self.calendar(), matter=matter, outcome=outcome,
                                           start=self.clock().date()).promised

    # ----- intake and 补正
    def check_application(self, *, intake: dict[str, Any]) -> CheckedIntake:
        return globals()["intake"].check_application(self.store, intake=intake)

    def accept_application(self, *, intake: dict[str, Any], clerk: Clerk, out_dir: Path | None = None,
                           paper: str = "a4") -> IntakeResult:
        """Check, number, store (one transaction with its outbox op), then print. See `accept_batch`."""
        return self.accept_batch(intakes=[intake], clerk=clerk, out_dir=out_dir, paper=paper)[0]

    def accept_batch(self, *, intakes: list[dict[str, Any]], clerk: Clerk, out_dir: Path | None = None,
                     paper: str = "a4") -> list[IntakeResult]:
        return intake.accept_batch(self.store, intakes=intakes, clerk=clerk, out_dir=out_dir, paper=paper)

    # ----- 网上预审: applied online first
    def import_prereviews(self, *, data: Any, clerk: Clerk) -> list[str]:
        """Store pre-reviewed online applications (one record or a list; all or nothing); their numbers."""
        return prereview.import_prereviews(self.store, data, clerk=clerk,
                                           check=lambda i: intake.check_application(self.store, intake=i))

    def find_prereviews(self, *, app_no: str | None = None, id_no: str | None = None,
                        waiting_only: bool = False) -> list[prereview.PrereviewItem]:
        return prereview.find_prereviews(self.store, app_no=app_no, id_no=id_no, waiting_only=waiting_only)

    def accept_prereview(self, *, app_no: str, clerk: Clerk, out_dir: Path | None = None,
                         paper: str = "a4") -> IntakeResult:
        """The originals checked: the pre-reviewed application is taken as a case keeping its number."""
        number, data = prereview.intake_of(self.store, app_no)
        return intake.accept_batch(self.store, intakes=[data], clerk=clerk, out_dir=out_dir, paper=paper,
                                   online_app_no=number)[0]

    def supplement_case(self, *, case_no: str, materials: dict[str, Any], clerk: Clerk,
                        out_dir: Path | None = None, paper: str = "a4") -> IntakeResult:
        """补正 under the case's lease (CaseLeased while another window handles it; offline it goes on)."""
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            return intake.supplement_case(self.store, case_no=case_no, materials=materials, clerk=clerk,
                                          out_dir=out_dir, paper=paper)

    # ----- two windows never continue one case at once
    def take_lease(self, *, case_no: str, clerk: Clerk) -> leases.Lease:
        """The case's lease for this window (CaseLeased when another window holds it; offline: granted, not
        online, with a note to show)."""
        return leases.take_lease(self.store, case_no=case_no, clerk=clerk)

    def release_lease(self, *, case_no: str) -> bool:
        return leases.release_lease(self.store, case_no=case_no)

    def record_consultation(self, *, asker_name: str, question: str, answer: str, clerk: Clerk,
                            asker_phone: str = "", matter_code: str = "") -> ConsultationRecord:
        return consultations.record_consultation(self.store, asker_name=asker_name, question=question,
                                                 answer=answer, clerk=clerk, asker_phone=asker_phone,
                                                 matter_code=matter_code)

    def consultations(self, *, day: date | None = None) -> list[ConsultationRecord]:
        return consultations.consultations(self.store, day=day)

    # ----- the record of a case
    def case_record(self, *, case_no: str) -> CaseRecord:
        return records.case_record(self.store, case_no=case_no)

    def case_history(self, *, case_no: str) -> list[tuple[datetime, str, str, str]]:
        return records.case_history(self.store, case_no=case_no)

    def documents(self, *, case_no: str) -> list[PrintedDocument]:
        return records.documents(self.store, case_no=case_no)

    # ----- documents
    def check_out_dir(self, out_dir: Path) -> Path:
        """The `--out` folder, created and proven writable before anything is stored (else BadInput)."""
        return archive.check_out_dir(out_dir)

    def print_document(self, *, record: CaseRecord, kind: str, paper: str = "a4", out_dir: Path | None = None,
                       clerk: Clerk | None = None, extra: dict[str, Any] | None = None) -> PrintedDocument:
        return archive.print_document(self.store, record=record, kind=kind, paper=paper, out_dir=out_dir,
                                      clerk=clerk, extra=extra)

    def reprint(self, *, case_no: str, kind: str = "voucher", paper: str = "a4", clerk: Clerk) -> PrintedDocument:
        return archive.reprint(self.store, case_no=case_no, kind=kind, paper=paper, clerk=clerk)

    def verify_documents(self, *, case_no: str) -> list[verify.Difference]:
        """Every archived document of a case rendered again from its history and compared with the archive
        (content, line by line); [] when all match."""
        return verify.verify_documents(self.store, case_no)

    def documents_owed(self) -> list[tuple[int, str, str, str]]:
        return archive.documents_owed(self.store)

    def print_owed_documents(self, *, clerk: Clerk, out_dir: Path | None = None,
                             paper: str = "a4") -> list[PrintedDocument]:
        return archive.print_owed_documents(self.store, clerk=clerk, out_dir=out_dir, paper=paper)

    # ----- 容缺 after the intake
    def supply_gap(self, *, case_no: str, material: str, clerk: Clerk, out_dir: Path | None = None,
                   paper: str = "a4") -> PrintedDocument:
        """A 容缺 material supplied: the case's next version and the 容缺材料补交回执 (its path)."""
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            return gaps.supply_gap(self.store, case_no=case_no, material=material, clerk=clerk, out_dir=out_dir,
                                   paper=paper)

    def print_gap_reminder(self, *, case_no: str, clerk: Clerk, out_dir: Path | None = None,
                           paper: str = "a4") -> PrintedDocument:
        """The 容缺候补通知书 for a case's 容缺 materials whose promised date passed unsupplied."""
        return gaps.print_gap_reminder(self.store, case_no=case_no, clerk=clerk, out_dir=out_dir, paper=paper)

    # ----- what is due
    def worklist(self, *, day: date | None = None, scope: str = "window") -> list[worklist.WorkItem]:
        """The worklist on `day` (default today) for `scope` (window: cases taken or last handled here;
        centre: every case the window holds), red first. Also computes any 待定 date the calendar already
        covers (so an interrupted calendar pull never leaves one behind)."""
        worklist.check_scope(scope)
        with self.store.Session.begin() as s:
            deadlines.recompute_pending_in(self.store, s, actor="system")
        wait = max(1, int(self.store.setting("pickup_wait_workdays") or 5))
        with self.store.Reader() as s:
            return worklist.worklist(s, cal=workcalendar.calendar(self.store), today=day or self.clock().date(),
                                     scope=scope, here=worklist.this_window(s), pickup_wait=wait)

    def start_of_day_worklist(self, *, clerk: Clerk, scope: str = "window") -> list[worklist.WorkItem] | None:
        """At login: the worklist when this is the first login of the day on this window (the day is marked
        whether or not anything is due), None for every later login that day."""
        worklist.check_scope(scope)
        with self.store.Session.begin() as s:
            if not worklist.first_login_today(s, clerk=clerk, today=self.clock().date()):
                return None
        return self.worklist(scope=scope)

    # ----- material transfer
    def awaiting_transfer(self, *, department: str | None = None) -> dict[str, list[str]]:
        return transfers.awaiting_transfer(self.store, department=department)

    def awaiting_transfer_cases(self, *, department: str | None = None) -> dict[str, list[transfers.TransferCase]]:
        return transfers.awaiting_transfer_cases(self.store, department=department)

    def create_transfer(self, *, department: str, case_nos: list[str], channel: str, clerk: Clerk,
                        tracking_no: str = "") -> transfers.TransferInfo:
        return transfers.create_transfer(self.store, department=department, case_nos=case_nos, channel=channel,
                                         clerk=clerk, tracking_no=tracking_no)

    def advance_transfer(self, *, batch_no: str, state: str, clerk: Clerk, tracking_no: str | None = None,
                         reason: str = "") -> transfers.TransferInfo:
        return transfers.advance_transfer(self.store, batch_no=batch_no, state=state, clerk=clerk,
                                          tracking_no=tracking_no, reason=reason)

    def print_transfer_manifest(self, *, batch_no: str, clerk: Clerk, out_dir: Path | None = None) -> PrintedDocument:
        info = transfers.transfer(self.store, batch_no=batch_no)
        return archive.print_transfer_manifest(self.store, info=info, clerk=clerk, out_dir=out_dir)

    def transfers(self, *, states: tuple[str, ...] | None = None) -> list[transfers.TransferInfo]:
        return transfers.transfers(self.store, states=states)

    def transfers_queued(self) -> list[tuple[transfers.TransferInfo, bool]]:
        """Every batch of this window, newest first, each with whether its latest change still waits in the
        outbox (queued: not yet at the centre)."""
        pending = {op.ref for op in queue.list_ops(self.store, limit=1_000_000, states=("pending",))
                   if op.kind == "transfer.upsert"}
        return [(b, b.batch_no in pending) for b in transfers.transfers(self.store)]

    # ----- closing the loop
    def record_rating(self, *, case_no: str, overall: int, efficiency: int | None = None,
                      service: int | None = None, attitude: int | None = None, comment: str = "",
                      occasion: str | None = None, source: str = "clerk_fallback") -> closing.RatingRecord:
        """好差评 of one visit; `source`: applicant_screen (the applicant's own screen) or clerk_fallback."""
        return closing.record_rating(self.store, case_no=case_no, overall=overall, efficiency=efficiency,
                                     service=service, attitude=attitude, comment=comment, occasion=occasion,
                                     source=source)

    def hand_over_result(self, *, case_no: str, clerk: Clerk, receiver_name: str, receiver_id_no: str = "",
                         how: str = "window", tracking_no: str = "", e_licence_ref: str = "") -> str:
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            return closing.hand_over_result(self.store, case_no=case_no, clerk=clerk, receiver_name=receiver_name,
                                            receiver_id_no=receiver_id_no, how=how, tracking_no=tracking_no,
                                            e_licence_ref=e_licence_ref)

    def assign_backup(self, *, clerk_login: str, backup_login: str, date_from: date | str, date_to: date | str,
                      by: Clerk) -> ab.BackupRecord:
        """AB角: a supervisor names a backup clerk for a clerk for a period (reaches every window)."""
        return ab.assign_backup(self.store, clerk_login=clerk_login, backup_login=backup_login,
                                     date_from=date_from, date_to=date_to, by=by)

    def backup_clerks(self, *, on: date | None = None) -> list[ab.BackupRecord]:
        return ab.backups(self.store, on=on)

    def delivery(self, *, case_no: str) -> dict[str, Any]:
        """How the result went home: {"how", "state": handed_over | posted | signed, "tracking_no",
        "e_licence_ref", "delivered_at", "signed_at"} (JSON-ready)."""
        return closing.delivery_state(self.store, case_no=case_no)

    def courier_signed(self, *, case_no: str, clerk: Clerk, signed_at: datetime | None = None) -> str:
        """The courier's proof of delivery of a result sent by express; prints the final 送达回执."""
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            return closing.courier_signed(self.store, case_no=case_no, clerk=clerk, signed_at=signed_at)

    def ratings(self, *, day: date | None = None) -> list[closing.RatingRecord]:
        return closing.ratings(self.store, day=day)

    def attach_scan(self, *, case_no: str, material_code: str, file: Path, clerk: Clerk) -> attachments.Attachment:
        return attachments.attach_scan(self.store, case_no=case_no, material_code=material_code, file=Path(file),
                                       clerk=clerk)

    # ----- correction, withdrawal, void and lookup
    def correct_case(self, *, case_no: str, changes: Any, reason: str, clerk: Clerk,
                     out_dir: Path | None = None) -> corrections.CaseChange:
        """Correct the applicant / agent; every printed document is printed again marked 更正. Under the case's
        lease, as every continuation (CaseLeased while another window handles it)."""
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            return corrections.correct_case(self.store, case_no=case_no, changes=changes, reason=reason,
                                            clerk=clerk, out_dir=out_dir)

    def withdraw_case(self, *, case_no: str, reason: str, clerk: Clerk) -> corrections.CaseChange:
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            return corrections.withdraw_case(self.store, case_no=case_no, reason=reason, clerk=clerk)

    def void_case(self, *, case_no: str, reason: str, clerk: Clerk) -> corrections.CaseChange:
        """作废 (a supervisor: the role is checked before the centre is asked for the lease)."""
        roles.require(clerk, "case_void")
        with leases.held(self.store, case_no=case_no, clerk=clerk):
            return corrections.void_case(self.store, case_no=case_no, reason=reason, clerk=clerk)

    def lookup_cases(self, *, case_no: str | None = None, id_no: str | None = None, name: str | None = None,
                     phone: str | None = None) -> list[lookup.CaseHit]:
        """Cases by exactly one of: case number, exact ID number, applicant name, phone (masked results)."""
        return lookup.lookup_cases(self.store, case_no=case_no, id_no=id_no, name=name, phone=phone)

    def check_transferable(self, *, case_nos: list[str]) -> None:
        """BadInput naming the first withdrawn or voided case among `case_nos` (nothing is written)."""
        corrections.open_for_transfer(self.store, case_nos)

    def closed_case_nos(self) -> set[str]:
        """Every withdrawn, voided, decided or delivered case (never put into a transfer batch)."""
        return corrections.closed_case_nos(self.store)

    # ----- outbox and sync
    def outbox(self, *, limit: int = 200, states: tuple[str, ...] | None = None) -> list[OutboxItem]:
        return queue.list_ops(self.store, limit=limit, states=states)

    def rejected_ops(self, *, limit: int = 200) -> list[dict[str, Any]]:
        """The dead-letter list (异常件), newest first."""
        return deadletter.rejected_ops(self.store, limit=limit)

    def retry_rejected(self, *, op_ids: Iterable[str], actor: Clerk) -> int:
        return deadletter.retry_rejected(self.store, op_ids, actor=actor)

    def resolve_rejected(self, *, op_ids: Iterable[str], actor: Clerk, note: str) -> int:
        return deadletter.resolve_rejected(self.store, op_ids, actor=actor, note=note)

    def clock_skew_seconds(self) -> int:
        """This window's clock minus the centre's at the last handshake (0 before any)."""
        return sync.clock_skew_seconds(self.store)

    def sync_status(self) -> SyncStatus:
        return sync.sync_status(self.store)

    def sync_round(self, *, central_url: str | None = None, ca_cert: str | Path | None = None) -> SyncResult:
        return sync.sync_round(self.store, central_url=central_url, ca_cert=ca_cert)

    def set_central(self, *, url: str | None = None, ca_cert: str | Path | None = None) -> str:
        """Link the window to its centre (handshake first; stored only when it succeeds)."""
        return sync.link_central(self.store, url=url, ca_cert=ca_cert)

    def central_ca_file(self) -> Path | None:
        """The centre's CA certificate the window pins, or None when none is stored yet."""
        path = sync.central_ca_path(self.store)
        return path if path.is_file() else None

    # ----- backups (backup.py)
    def backup(self, *, to: str | Path | None = None) -> backup.BackupResult:
        """An encrypted copy of the open store into `to` (default: the backup_dir setting), rotated."""
        from desktop.core import config

        folder = backup.backup_folder(self.home, self.setting("backup_dir"), to)
        result = backup.make_backup(self.engine, config.store_key(self.home), folder, now=self.clock(),
                                    daily=int(self.setting("backup_keep_daily")),
                                    weekly=int(self.setting("backup_keep_weekly")))
        users.audit(self.store, "system", "store.backup", result.path.name, str(folder))
        return result

    def backup_if_due(self, *, max_age_hours: int = 24) -> backup.BackupResult | None:
        """The daily backup (the GUI at start): made when the newest in the backup folder is older than a day."""
        folder = backup.backup_folder(self.home, self.setting("backup_dir"))
        last = backup.last_backup_at(folder)
        if last is not None and self.clock().replace(tzinfo=None) - last < timedelta(hours=max_age_hours):
            return None
        return self.backup()

    def record_restore(self, *, result: backup.RestoreResult, actor: str = "system") -> None:
        """After `backup.restore`: the chain heads in the keyring follow the restored store (else its shorter
        chain reads as cut off), and the restore is audited."""
        window = self.window()
        chain.checkpoint(self.engine, self.home, window.centre_code, window.window_no)
        users.audit(self.store, actor, "store.restored", result.restored_from.name,
                    f"replaced kept at {result.replaced_kept_at}; unsent overwritten: {result.unsent_overwritten}")

    def doctor(self, *, printers=None) -> list:
        """The self-check (desktop/core/doctor.py) on this open store: [Check(check, ok, detail)]."""
        from desktop.core import doctor

        return doctor.run_checks(self.home, store=self.store, printers=printers)

    # ----- the tamper-evident record (chain.py)
    def verify_records(self) -> chain.ChainReport:
        """Check the outbox and audit chains against this window's key (`yichuang audit verify`)."""
        return chain.verify(self.store)

    def client_identity(self) -> dict[str, str]:
        """{"machine_id", "key_sha256", "window_key"}: what the handshake and bind_window send."""
        return chain.client_identity(self.store)

    # ----- statistics
    def daily_stats(self, *, day: date | None = None) -> DailyStats:
        return stats.daily_stats(self.store, day=day)

    def print_daily_report(self, *, day: date | None = None, out: Path, actor: Clerk) -> Path:
        return stats.print_daily_report(self.store, day=day, out=out, actor=actor)

    def statistics(self, *, start: date, end: date, scope: str = "window", actor: Clerk,
                   pdf: Path | None = None, xlsx: Path | None = None, csv: Path | None = None):
        """The figures of a period for this window or its centre (a supervisor), and the files asked for."""
        return stats.report(self.store, start=start, end=end, scope=scope, actor=actor, pdf=pdf, xlsx=xlsx,
                            csv=csv)
