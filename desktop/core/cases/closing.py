"""Closing the loop: the result is handed over at the window, and the service is rated (好差评)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from db.local.models import Case, CaseEvent, Rating, User
from desktop.core import caseno
from desktop.core.cases import records
from desktop.core.cases.versions import record_case_change
from desktop.core.clock import to_iso
from desktop.core.documents import archive
from desktop.core.errors import BadInput, NotFound
from desktop.core.labels import CASE_STATUS_LABELS, label
from desktop.core.outbox import enqueue
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.types import RATING_LEVELS, Clerk

LEVELS = RATING_LEVELS
DECIDED = ("approved", "denied", "result_ready")  # back-office decisions with a result to hand over


@dataclass(frozen=True)
class RatingRecord:
    case_no: str
    occasion: str
    overall: int
    level: str
    efficiency: int | None
    service: int | None
    attitude: int | None
    comment: str
    rated_at: datetime
    rectify_owner: str
    rectify_due: date | None
    source: str = ""  # applicant_screen | clerk_fallback ('' for a rating recorded before sources)

    @property
    def is_bad(self) -> bool:
        return self.overall <= 2


def _stars(value, field: str, *, required: bool) -> int | None:
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise BadInput("E_RATING", f"评价 {field} 应为 1 至 5 星", field=field)
    return value


OCCASIONS = {"intake": "受理", "handover": "结果领取"}
#: who keyed the rating: the applicant on the screen facing him, or the clerk's dialog (only a fallback)
SOURCES = {"applicant_screen": "申请人评价屏", "clerk_fallback": "窗口人员代录（备用）"}


def record_rating(store: Store, *, case_no: str, overall: int, efficiency: int | None = None,
                  service: int | None = None, attitude: int | None = None, comment: str = "",
                  occasion: str | None = None, source: str = "clerk_fallback") -> RatingRecord:
    """One rating per visit, tied to the case: the intake is one visit, collecting the result another
    (`occasion` defaults to handover once the result was delivered, else intake). A 差评 (1–2 stars)
    becomes a rectification item owned by the centre's duty supervisor, due the same day. `source` says
    where it was keyed (applicant_screen, or clerk_fallback: the clerk's dialog), kept with the rating."""
    case_no = caseno.normalise_case_no(case_no)
    if occasion is not None and occasion not in OCCASIONS:
        raise BadInput("E_OCCASION", "评价场合应为 intake（受理）或 handover（结果领取）", field="occasion")
    if source not in SOURCES:
        raise BadInput("E_RATING_SOURCE", "评价来源应为 applicant_screen（申请人评价屏）或 clerk_fallback（窗口代录）",
                       field="source")
    overall = _stars(overall, "overall", required=True)
    efficiency = _stars(efficiency, "efficiency", required=False)
    service = _stars(service, "service", required=False)
    attitude = _stars(attitude, "attitude", required=False)
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise BadInput("E_FIELD_TOO_LONG", "评价意见过长（最多 1000 个字符）", field="comment")
    now = store.clock()
    w = store.window()
    with store.Session.begin() as s:
        case = s.get(Case, case_no)
        if case is None:
            raise NotFound("E_CASE", f"本窗口没有办件 {case_no}", field="case_no")
        if occasion is None:
            occasion = "handover" if case.status == "delivered" else "intake"
        if s.get(Rating, (case_no, occasion)) is not None:
            raise BadInput("E_RATED", f"办件 {case_no} 的本次{OCCASIONS[occasion]}已评价过（每次办事评价一次）",
                           field="case_no")
        owner, due = "", None
        if overall <= 2:
            owner = store.setting("rectify_owner") or s.scalar(
                select(User.login).where(User.role == "supervisor", User.active).order_by(User.login)) or ""
            due = now.date()
        s.add(Rating(case_no=case_no, occasion=occasion, overall=overall, efficiency=efficiency, service=service, attitude=attitude,
                     comment=comment, rated_at=now, rectify_owner=owner, rectify_due=due, source=source))
        s.add(CaseEvent(case_no=case_no, at=now, actor="applicant", event="rated",
                        detail=f"{LEVELS[overall]}（{SOURCES[source]}）"))
        enqueue(s, kind="rating.recorded", ref=case_no, now=now, payload={
            "case_no": case_no, "occasion": occasion, "centre_code": w.centre_code, "window_no": w.window_no,
            "overall": overall,
            "efficiency": efficiency, "service": service, "attitude": attitude, "comment": comment,
            "rated_at": to_iso(now), "source": source})
    return RatingRecord(case_no=case_no, occasion=occasion, overall=overall, level=LEVELS[overall],
                        efficiency=efficiency,
                        service=service, attitude=attitude, comment=comment, rated_at=now,
                        rectify_owner=owner, rectify_due=due, source=source)


def hand_over_result(store: Store, *, case_no: str, clerk: Clerk, receiver_name: str, receiver_id_no: str = "",
                     how: str = "window", tracking_no: str = "") -> str:
    """The applicant (or agent) collects the result at the window (or it is sent by express, with its
    tracking number, / issued as an e-licence): the case is `delivered`, queued for the centre as a new case
    version."""
    if how not in ("window", "express", "e_licence"):
        raise BadInput("E_DELIVERY", "送达方式应为 window（窗口领取）、express（快递）或 e_licence（电子证照）", field="how")
    tracking_no = (tracking_no or "").strip()
    if how == "express" and not tracking_no:
        raise BadInput("E_TRACKING", "快递送达须填写快递单号", field="tracking_no")
    if len(tracking_no) > 64:
        raise BadInput("E_TRACKING", "快递单号过长（最多 64 个字符）", field="tracking_no")
    case_no = caseno.normalise_case_no(case_no)
    receiver_name = (receiver_name or "").strip()
    if not receiver_name:
        raise BadInput("E_FIELD_REQUIRED", "请填写领取人姓名", field="receiver_name")
    require(clerk, "intake")
    now = store.clock()
    with store.Session.begin() as s:
        case = s.get(Case, case_no)
        if case is None:
            raise NotFound("E_CASE", f"本窗口没有办件 {case_no}", field="case_no")
        if case.status == "delivered":
            raise BadInput("E_DELIVERED", f"办件 {case_no} 的结果已送达", field="case_no")
        if case.status in ("withdrawn", "voided"):
            raise BadInput("E_CASE_CLOSED", f"办件 {case_no} {label(CASE_STATUS_LABELS, case.status)}，不能送达",
                           field="case_no")
        if case.outcome != "completed" and case.status not in DECIDED:
            raise BadInput("E_NOT_DECIDED", f"办件 {case_no} 尚无办理结果（当前状态：{case.status}）", field="case_no")
        case.status = "delivered"
        detail = json.dumps({"how": how, "receiver_name": receiver_name,
                             "receiver_id_no": receiver_id_no.strip(),
                             **({"tracking_no": tracking_no} if tracking_no else {})}, ensure_ascii=False)
        record_case_change(s, case, clerk=clerk, event="delivered", detail=detail, now=now)
    # the 送达回执 is printed after the commit, like every document
    archive.print_document(store, record=records.case_record(store, case_no=case_no), kind="delivery_receipt",
                           clerk=clerk, extra=records.delivery_args(store, case_no))
    return case_no


def ratings(store: Store, *, day: date | None = None) -> list[RatingRecord]:
    day = day or store.clock().date()
    start = datetime.combine(day, datetime.min.time())
    end = datetime.combine(day, datetime.max.time())
    with store.Reader() as s:
        rows = s.scalars(select(Rating).where(Rating.rated_at >= start, Rating.rated_at <= end)
                         .order_by(Rating.rated_at))
        return [RatingRecord(case_no=r.case_no, occasion=r.occasion, overall=r.overall, level=LEVELS[r.overall],
                             efficiency=r.efficiency, service=r.service, attitude=r.attitude, comment=r.comment,
                             rated_at=r.rated_at, rectify_owner=r.rectify_owner, rectify_due=r.rectify_due,
                             source=r.source)
                for r in rows]
