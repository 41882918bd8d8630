"""Which clerk a printed document names (经办人): the one who prints a new document, at whatever window of
the centre; a 补打 repeats the clerk of the original print. One rule for printing (archive) and checking (verify)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select

from db.local.models import Document, User
from desktop.core.backup_clerks import active_backup
from desktop.core.types import CaseRecord, Clerk

__all__ = ["document_clerk"]


def document_clerk(s, *, record: CaseRecord, kind: str, reprint: int, printer: Clerk,
                   before_id: int | None = None, at: datetime | None = None) -> Clerk:
    """The clerk a document names (经办人): who prints a new document (at any window of the centre, also on a
    case another window took); a 补打 repeats the clerk of the latest original print of that kind (before
    document `before_id` when given), else the case's clerk. A clerk who printed as the B角 of the case's
    clerk (AB角, on the day of that print: `at` for a new print) is named with `backup_for` (B角（代 张敏）)."""
    if not reprint:
        login, printed_at = printer.login, at
    else:
        q = select(Document.clerk_login, Document.printed_at).where(
            Document.case_no == record.case_no, Document.kind == kind, Document.reprint == 0)
        if before_id is not None:
            q = q.where(Document.id < before_id)
        row = s.execute(q.order_by(Document.id.desc()).limit(1)).first()
        login, printed_at = (row[0], row[1]) if row else (record.clerk.login, None)
    if login == record.clerk.login:
        return record.clerk
    if login == printer.login:
        clerk = replace(printer, backup_for="")
    else:
        user = s.get(User, login)
        clerk = Clerk(login=login, name=user.name if user else login, staff_no=user.staff_no if user else "",
                      role=user.role if user else "clerk")
    if printed_at is not None and active_backup(s, absent_login=record.clerk.login, backup_login=login,
                                                day=printed_at.date()):
        clerk = replace(clerk, backup_for=record.clerk.name)
    return clerk
