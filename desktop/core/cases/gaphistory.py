"""What the 容缺 documents take from a case's history (a leaf: no printing here, so documents.verify can read it
without importing the printing side). A supply is the history event `gap.supplied` whose detail reads
'NAME（CODE），承诺 YYYY-MM-DD 前补交'."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from db.local.models import CaseEvent, User
from desktop.core.store import Store

SUPPLIED = "gap.supplied"
_DETAIL = re.compile(r"^(?P<name>.*)（(?P<code>[^（）]*)），承诺 (?P<due>\d{4}-\d{2}-\d{2}) 前补交$", re.S)


def supply_detail(name: str, code: str, due: date) -> str:
    return f"{name}（{code}），承诺 {due.isoformat()} 前补交"


def supply_args(store: Store, case_no: str, *, until: datetime | None = None) -> dict[str, Any]:
    """What the 容缺材料补交回执 prints from the history: every supply of the case (at or before `until`),
    oldest first, as {"code", "name", "gap_due", "at", "by"}."""
    with store.Reader() as s:
        q = select(CaseEvent).where(CaseEvent.case_no == case_no, CaseEvent.event == SUPPLIED)
        if until is not None:
            q = q.where(CaseEvent.at <= until)
        events = list(s.scalars(q.order_by(CaseEvent.id)))
        people = {u.login: u for u in s.scalars(select(User).where(User.login.in_({e.actor for e in events})))}
    supplied = []
    for ev in events:
        m = _DETAIL.match(ev.detail)
        if m is None:
            continue
        who = people.get(ev.actor)
        by = f"{who.name}（工号 {who.staff_no}）" if who else ev.actor
        supplied.append({"code": m["code"], "name": m["name"], "gap_due": date.fromisoformat(m["due"]), "at": ev.at,
                         "by": by})
    return {"supplied": supplied}



def document_args(store: Store, kind: str, case_no: str, printed_at: datetime) -> dict[str, Any] | None:
    """What a print of `kind` took from the history besides the record (for verify-documents), or None."""
    if kind == "gap_receipt":
        return supply_args(store, case_no, until=printed_at)
    if kind == "gap_reminder":
        return {"issued_at": printed_at}
    return None
