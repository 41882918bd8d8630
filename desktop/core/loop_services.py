"""The facade's use cases of the centre-wide loop (a mixin of Services, kept apart so the facade stays one
screen of files): leases, material transfer, results home and ratings, AB角, correction, withdrawal, void,
lookup. Same contract as desktop.core.services: keyword arguments, frozen results, no rules and no SQL here."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from desktop.core import backup_clerks as ab
from desktop.core import roles
from desktop.core.cases import attachments, closing, corrections, leases, lookup, transfers
from desktop.core.documents import archive
from desktop.core.outbox import queue
from desktop.core.store import Store
from desktop.core.types import Clerk, PrintedDocument


class LoopServices:
    """Mixed into Services, which gives it `store`."""

    store: Store

    # ----- two windows never continue one case at once
    def take_lease(self, *, case_no: str, clerk: Clerk) -> leases.Lease:
        """The case's lease for this window (CaseLeased when another window holds it; offline: granted, not
        online, with a note to show)."""
        return leases.take_lease(self.store, case_no=case_no, clerk=clerk)

    def release_lease(self, *, case_no: str) -> bool:
        return leases.release_lease(self.store, case_no=case_no)

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
