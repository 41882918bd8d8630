"""Finding a case when the applicant lost the voucher: by case number, exact ID number (or USCC), applicant
name (exact), or phone (exact, the applicant's, an enterprise's contact's or the agent's). Results are
frozen summaries with the ID number and phone masked (desktop.core.privacy), newest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select

from db.local.models import Case
from desktop.core import caseno
from desktop.core.errors import BadInput
from desktop.core.labels import CASE_STATUS_LABELS, OUTCOME_LABELS, label
from desktop.core.privacy import mask_id, mask_phone
from desktop.core.store import Store
from desktop.core.textcheck import check_plain

#: the most results one lookup returns (a common name at a busy centre)
MAX_RESULTS = 100
SELECTORS = ("case_no", "id_no", "name", "phone")


@dataclass(frozen=True)
class CaseHit:
    case_no: str
    matter_code: str
    matter_name: str
    applicant_name: str
    applicant_id_masked: str
    phone_masked: str
    outcome: str
    status: str
    received_at: datetime
    promised_date: date | None
    window_no: str
    clerk_name: str

    def as_json(self) -> dict[str, Any]:
        return {"case_no": self.case_no, "matter_code": self.matter_code, "matter_name": self.matter_name,
                "applicant_name": self.applicant_name, "applicant_id_no": self.applicant_id_masked,
                "phone": self.phone_masked, "outcome": self.outcome,
                "outcome_label": label(OUTCOME_LABELS, self.outcome), "status": self.status,
                "status_label": label(CASE_STATUS_LABELS, self.status),
                "received_at": self.received_at.isoformat(timespec="seconds"),
                "promised_date": self.promised_date.isoformat() if self.promised_date else None,
                "window_no": self.window_no, "clerk_name": self.clerk_name}


def _phones(case: Case) -> list[str]:
    """Every phone number stored with the case: the applicant's (an enterprise's contact's) and the agent's."""
    out = []
    applicant = json.loads(case.applicant_json)
    out.append(applicant.get("phone") or (applicant.get("contact") or {}).get("phone") or "")
    if case.agent_json:
        out.append((json.loads(case.agent_json) or {}).get("phone") or "")
    return [p for p in out if p]


def _hit(case: Case) -> CaseHit:
    phones = _phones(case)
    return CaseHit(case_no=case.case_no, matter_code=case.matter_code, matter_name=case.matter_name,
                   applicant_name=case.applicant_name, applicant_id_masked=mask_id(case.applicant_id_no),
                   phone_masked=mask_phone(phones[0]) if phones else "", outcome=case.outcome, status=case.status,
                   received_at=case.received_at, promised_date=case.promised_date, window_no=case.window_no,
                   clerk_name=case.clerk_name)


def _selector(value: str | None, field: str, what: str, limit: int) -> str:
    value = "".join(str(value).split()) if field != "name" else str(value).strip()
    if not value:
        raise BadInput("E_FIELD_REQUIRED", f"请填写要查询的{what}", field=field)
    if len(value) > limit:
        raise BadInput("E_FIELD_TOO_LONG", f"{what}过长（最多 {limit} 个字符）", field=field)
    check_plain(value, field, what, multiline=False)
    return value


def lookup_cases(store: Store, *, case_no: str | None = None, id_no: str | None = None, name: str | None = None,
                 phone: str | None = None) -> list[CaseHit]:
    """The cases matching exactly one selector, newest first (at most MAX_RESULTS); [] when none match.
    BadInput when no selector or more than one is given."""
    given = {k: v for k, v in (("case_no", case_no), ("id_no", id_no), ("name", name), ("phone", phone))
             if v is not None}
    if len(given) != 1:
        raise BadInput("E_LOOKUP_SELECTOR", "请只给出一个查询条件：办件编号、证件号码、申请人姓名或联系电话",
                       field="lookup")
    with store.Reader() as s:
        q = select(Case).order_by(Case.received_at.desc(), Case.case_no.desc())
        if case_no is not None:
            number = caseno.normalise_case_no(_selector(case_no, "case_no", "办件编号", 64))
            rows = list(s.scalars(q.where(Case.case_no == number)))
        elif id_no is not None:
            wanted = _selector(id_no, "id_no", "证件号码", 64).upper()
            rows = list(s.scalars(q.where(Case.applicant_id_no == wanted).limit(MAX_RESULTS)))
        elif name is not None:
            wanted = _selector(name, "name", "申请人姓名", 200)
            rows = list(s.scalars(q.where(Case.applicant_name == wanted).limit(MAX_RESULTS)))
        else:
            wanted = _selector(phone, "phone", "联系电话", 32)
            # the phone lives in the stored JSON: narrow in SQL, then compare exactly
            candidates = s.scalars(q.where(or_(Case.applicant_json.contains(wanted),
                                               Case.agent_json.contains(wanted))))
            rows = [c for c in candidates if wanted in _phones(c)][:MAX_RESULTS]
        return [_hit(c) for c in rows]
