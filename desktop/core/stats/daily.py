"""Period statistics of a window, aggregated in SQL: what the supervisor's daily report prints."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from db.local.models import Case, CaseEvent
from desktop.core import users
from desktop.core.cases import closing, consultations
from desktop.core.documents import registry
from desktop.core.labels import OUTCOME_LABELS
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.types import Clerk, DailyStats


def daily_stats(store: Store, *, day: date | None = None) -> DailyStats:
    day = day or store.clock().date()
    with store.Reader() as s:
        base = select(Case).where(Case.received_day == day).subquery()
        by_outcome = s.execute(
            select(base.c.outcome, func.count()).group_by(base.c.outcome).order_by(func.count().desc())
        ).all()
        by_matter = s.execute(
            select(base.c.matter_code, base.c.matter_name, func.count())
            .group_by(base.c.matter_code, base.c.matter_name)
            .order_by(func.count().desc(), base.c.matter_code)
        ).all()
        by_clerk = s.execute(
            select(base.c.clerk_name, func.count()).group_by(base.c.clerk_name).order_by(func.count().desc())
        ).all()
        start = datetime.combine(day, datetime.min.time())
        supplemented = s.scalar(select(func.count()).select_from(CaseEvent).where(
            CaseEvent.event == "supplemented", CaseEvent.at >= start, CaseEvent.at < start + timedelta(days=1),
            CaseEvent.detail != OUTCOME_LABELS["notice"])) or 0
    rated = closing.ratings(store, day=day)
    counts = {stars: sum(1 for r in rated if r.overall == stars) for stars in (5, 4, 3, 2, 1)}
    return DailyStats(
        day=day, window=store.window(), generated_at=store.clock(),
        total=sum(n for _, n in by_outcome),
        by_outcome=tuple((o, n) for o, n in by_outcome),
        by_matter=tuple((c, name, n) for c, name, n in by_matter),
        by_clerk=tuple((c, n) for c, n in by_clerk),
        ratings=tuple((stars, n) for stars, n in counts.items() if n),
        bad_ratings=tuple((r.case_no, r.comment, users.user_label(store, r.rectify_owner)) for r in rated if r.is_bad),
        consultations=len(consultations.consultations(store, day=day)),
        supplemented=supplemented,
    )


def print_daily_report(store: Store, *, day: date | None = None, out: Path, actor: Clerk) -> Path:
    """The supervisor's daily statistics as a PDF at `out`."""
    require(actor, "report_print")
    pdf = registry.kind("daily_report").renderer_fn()(daily_stats(store, day=day))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    return out
