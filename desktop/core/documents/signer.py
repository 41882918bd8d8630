"""Which clerk a printed document names (经办人): the one who prints a new document, at whatever window of
the centre; a 补打 repeats the clerk of the original print. One rule for printing (archive) and checking (verify)."""

from __future__ import annotations

from sqlalchemy import select

from db.local.models import Document, User
from desktop.core.types import CaseRecord, Clerk

__all__ = ["document_clerk"]


def document_clerk(s, *, record: CaseRecord, kind: str, reprint: int, printer: Clerk,
                   before_id: int | None = None) -> Clerk:
    """The clerk a document names (经办人): who prints a new document (at any window of the centre, also on a
    case another window took); a 补打 repeats the clerk of the latest original print of that kind (before
    document `before_id` when given), else the case's clerk."""
    if not reprint:
        login = printer.login
    else:
        q = select(Document.clerk_login).where(Document.case_no == record.case_no, Document.kind == kind,
                                               Document.reprint == 0)
        if before_id is not None:
            q = q.where(Document.id < before_id)
        login = s.scalar(q.order_by(Document.id.desc()).limit(1)) or record.clerk.login
    if login == record.clerk.login:
        return record.clerk
    if login == printer.login:
        return printer
    user = s.get(User, login)
    return Clerk(login=login, name=user.name if user else login, staff_no=user.staff_no if user else "",
                 role=user.role if user else "clerk")
