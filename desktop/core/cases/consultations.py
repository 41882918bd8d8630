"""首问负责: who asked what and the answer given, recorded and queued for the centre like any change."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy import select

from db.local.models import Consultation
from desktop.core.cases.checks import _text
from desktop.core.catalogue import storage as catalogue
from desktop.core.clock import to_iso
from desktop.core.identity import check_phone
from desktop.core.outbox import enqueue
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.types import Clerk, ConsultationRecord


def record_consultation(store: Store, *, asker_name: str, question: str, answer: str, clerk: Clerk,
                        asker_phone: str = "", matter_code: str = "") -> ConsultationRecord:
    require(clerk, "intake")
    raw = {"asker_name": asker_name, "question": question, "answer": answer, "asker_phone": asker_phone}
    name = _text(raw, "asker_name", "asker_name", limit=100)
    q = _text(raw, "question", "question", limit=2000)
    a = _text(raw, "answer", "answer", limit=4000)
    phone = _text(raw, "asker_phone", "asker_phone", required=False, limit=32)
    if phone:
        phone = check_phone(phone, field="asker_phone")
    if matter_code:
        catalogue.matter(store, code=matter_code)
    now = store.clock()
    rec = ConsultationRecord(id=str(uuid.uuid4()), asked_at=now, asker_name=name, asker_phone=phone,
                             matter_code=matter_code, question=q, answer=a,
                             answered_by=f"{clerk.name}（{clerk.staff_no}）")
    w = store.window()
    with store.Session.begin() as s:
        s.add(Consultation(id=rec.id, asked_at=now, asker_name=name, asker_phone=phone, matter_code=matter_code,
                           question=q, answer=a, answered_by=rec.answered_by, clerk_login=clerk.login))
        enqueue(s, kind="consultation.recorded", ref=rec.id, now=now, payload={
            "id": rec.id, "asked_at": to_iso(now), "asker_name": name, "asker_phone": phone,
            "matter_code": matter_code, "question": q, "answer": a, "answered_by": rec.answered_by,
            "clerk_login": clerk.login, "centre_code": w.centre_code, "window_no": w.window_no})
    return rec


def consultations(store: Store, *, day: date | None = None) -> list[ConsultationRecord]:
    day = day or store.clock().date()
    start = datetime.combine(day, datetime.min.time())
    with store.Reader() as s:
        rows = s.scalars(select(Consultation).where(
            Consultation.asked_at >= start, Consultation.asked_at < start + timedelta(days=1)
        ).order_by(Consultation.asked_at))
        return [ConsultationRecord(id=r.id, asked_at=r.asked_at, asker_name=r.asker_name, asker_phone=r.asker_phone,
                                   matter_code=r.matter_code, question=r.question, answer=r.answer,
                                   answered_by=r.answered_by) for r in rows]
