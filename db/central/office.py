"""A department's connection to the centre: the back office (签收/退回, review steps, decisions, the clock's
pause, resume and extension), over the office.* functions only (central c0006, c0011).

The login role (yichuang central add-department) is one department of one centre; the centre takes the
department and centre from the login, never from an argument. Every call but hello() names the acting
staff login (`actor`): an active back-office user of THAT department and centre, else UnknownStaff. The
caller verifies the staff member's password itself against hello()'s password hashes. Refusals are
db.central.errors.OfficeRefused subclasses with a Chinese message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psycopg.types.json import Jsonb

from db.central.client import TlsSession

__all__ = ["OfficeClient"]


class OfficeClient(TlsSession):
    """The same TLS rules as CentralClient (verify-full against the pinned CA `ca_cert`, channel binding)."""

    APPLICATION_NAME = "yichuang-office"

    def hello(self) -> dict[str, Any]:
        """{"centre_code", "centre_name", "department", "server_time", "staff": [{"login", "name",
        "staff_no", "password_hash", "active"}…]} (this department's back-office staff only)."""
        return self._call("SELECT office.hello()", ())

    def inbox(self, actor: str) -> list[dict[str, Any]]:
        """Batches sent to this department (sent, signed, returned; newest first, at most 500): {"batch_no",
        "window_no", "state", "channel", "tracking_no", "created_at", "sent_at", "closed_at",
        "return_reason", "cases": [{"case_no", "matter_code", "applicant_name", "promised_date",
        "statutory_date"}…]}."""
        return self._call("SELECT office.inbox(%s)", (actor,))

    def sign(self, actor: str, batch: str) -> dict[str, Any]:
        """签收 a sent batch: its cases become signed. {"batch_no", "state", "version", "case_nos"}."""
        return self._call("SELECT office.sign(%s, %s)", (actor, batch))

    def return_batch(self, actor: str, batch: str, reason: str) -> dict[str, Any]:
        """退回 a sent batch with a reason: its cases go back to the window pile."""
        return self._call("SELECT office.return_batch(%s, %s, %s)", (actor, batch, reason))

    def cases(self, actor: str) -> list[dict[str, Any]]:
        """This department's cases signed for or in review: {"case_no", "matter_code", "applicant_name",
        "status", "promised_date", "statutory_date", "review_steps", "done_steps", "next_step"}."""
        return self._call("SELECT office.cases(%s)", (actor,))

    def case(self, actor: str, case_no: str) -> dict[str, Any]:
        """One case of this department: the `cases` snapshot (payload, status, decision, steps, batch_no,
        last_window_no) and its review state. UnknownCase for any other."""
        return self._call("SELECT office.case(%s, %s)", (actor, case_no))

    def review(self, actor: str, case_no: str, step: str, opinion: str) -> dict[str, Any]:
        """Record the case's next review step ("handle", "review") with an opinion."""
        return self._call("SELECT office.review(%s, %s, %s, %s)", (actor, case_no, step, opinion))

    def decide(self, actor: str, case_no: str, decision: Mapping[str, Any]) -> dict[str, Any]:
        """{"decision": "approve", "doc_name", "doc_no", "e_licence_ref"?, "copies"?} or {"decision": "deny",
        "reason"}: once, on a signed-for case whose review steps are done. {"case_no", "status", "decision"}."""
        return self._call("SELECT office.decide(%s, %s, %s)", (actor, case_no, Jsonb(dict(decision))))

    def correct_decision(self, actor: str, case_no: str, decision: Mapping[str, Any], reason: str) -> dict[str, Any]:
        """Correct the decision of a decided, not yet delivered case, with a reason (recorded as a step)."""
        return self._call("SELECT office.correct_decision(%s, %s, %s, %s)",
                          (actor, case_no, Jsonb(dict(decision)), reason))

    # ----- the decision clock (central c0011): on a case the department holds (signed or in review)
    def pause(self, actor: str, case_no: str, reason: str) -> dict[str, Any]:
        """Stop the clock (hearing, inspection, testing, appraisal, expert review) with a reason: the case row
        (with its "clock") plus "event" and "detail" ({"reason", "paused_on"})."""
        return self._call("SELECT office.pause(%s, %s, %s)", (actor, case_no, reason))

    def resume(self, actor: str, case_no: str) -> dict[str, Any]:
        """Resume a paused clock; "detail" {"paused_on", "resumed_on", "reason"}: the windows move the dates by
        the working days between the two."""
        return self._call("SELECT office.resume(%s, %s)", (actor, case_no))

    def extend(self, actor: str, case_no: str, days: int, reason: str, approver: str) -> dict[str, Any]:
        """The one extension the law allows (1..10 working days) with a reason and the approving head's name;
        "detail" {"days", "reason", "approver", "extended_on"}."""
        return self._call("SELECT office.extend(%s, %s, %s, %s, %s)", (actor, case_no, days, reason, approver))
