"""Closing the loop: the result is handed over at the window, and the service is rated (好差评)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from db.local.models import Case, CaseEvent, Rating, User
from desktop.core import caseno
from desktop.core.cases import records
from desktop.core.cases.versions import record_case_change
from desktop.core.clock import SHANGHAI, to_iso
from desktop.core.documents import archive
from desktop.core.errors import BadInput, NotFound
from desktop.core.labels import CASE_STATUS_LABELS, label
from desktop.core.outbox import enqueue
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.textcheck import check_plain, without_refused
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
    # an applicant's own words on the rating screen (emoji joined by U+200D among them): kept without the
    # characters the centre refuses rather than refused, which would lose the rating
    comment = without_refused(comment, multiline=True).strip()
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
                     how: str = "window", tracking_no: str = "", e_licence_ref: str = "") -> str:
    """The applicant (or agent) collects the result at the window, or it is handed to the courier (express,
    with its tracking number: 已交寄; the courier's proof of delivery comes later, `courier_signed`), or it is
    issued as an e-licence (its reference: `e_licence_ref`, else the decision's). The case is `delivered`,
    queued for the centre as a new case version; the decision the centre sent is frozen into the history
    event, so the 送达回执 (and its check) states it as handed over."""
    if how not in ("window", "express", "e_licence"):
        raise BadInput("E_DELIVERY", "送达方式应为 window（窗口领取）、express（快递）或 e_licence（电子证照）", field="how")
    tracking_no = (tracking_no or "").strip()
    e_licence_ref = (e_licence_ref or "").strip()
    if how == "express" and not tracking_no:
        raise BadInput("E_TRACKING", "快递送达须填写快递单号", field="tracking_no")
    if len(tracking_no) > 64:
        raise BadInput("E_TRACKING", "快递单号过长（最多 64 个字符）", field="tracking_no")
    if len(e_licence_ref) > 128:
        raise BadInput("E_E_LICENCE_REF", "电子证照编号过长（最多 128 个字符）", field="e_licence_ref")
    case_no = caseno.normalise_case_no(case_no)
    receiver_name = (receiver_name or "").strip()
    if not receiver_name:
        raise BadInput("E_FIELD_REQUIRED", "请填写领取人姓名", field="receiver_name")
    # all four are printed on the 送达回执
    for value, field, label_ in ((receiver_name, "receiver_name", "领取人姓名"),
                                 ((receiver_id_no or "").strip(), "receiver_id_no", "领取人证件号码"),
                                 (tracking_no, "tracking_no", "快递单号"), (e_licence_ref, "e_licence_ref", "电子证照编号")):
        check_plain(value, field, label_, multiline=False)
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
        decision = json.loads(case.decision_json) if case.decision_json else None
        if how == "e_licence":
            e_licence_ref = e_licence_ref or (decision or {}).get("e_licence_ref") or ""
            if not e_licence_ref:
                raise BadInput("E_E_LICENCE_REF", "电子证照送达须填写电子证照编号（--e-licence-ref），部门决定中也没有",
                               field="e_licence_ref")
        case.status = "delivered"
        detail = {"how": how, "receiver_name": receiver_name, "receiver_id_no": receiver_id_no.strip()}
        if tracking_no:
            detail["tracking_no"] = tracking_no
        if how == "express":
            detail["posted"] = True  # handed to the courier: 已交寄, not yet signed for
        if how == "e_licence":
            detail["e_licence_ref"] = e_licence_ref
        if decision:
            detail["decision"] = decision
        record_case_change(s, case, clerk=clerk, event="delivered", detail=json.dumps(detail, ensure_ascii=False),
                           now=now)
    # the 送达回执 is printed after the commit, like every document
    archive.print_document(store, record=records.case_record(store, case_no=case_no), kind="delivery_receipt",
                           clerk=clerk, extra=records.delivery_args(store, case_no))
    return case_no


def courier_signed(store: Store, *, case_no: str, clerk: Clerk, signed_at: datetime | None = None) -> str:
    """The courier's proof of delivery of a result sent by express: recorded as a new case version
    (`delivery.signed`, status stays delivered) and the final 送达回执 printed (a new edition). `signed_at`
    (default now) may not be before the result was posted nor in the future."""
    require(clerk, "intake")
    case_no = caseno.normalise_case_no(case_no)
    now = store.clock()
    signed_at = signed_at or now
    if signed_at.tzinfo is not None:
        signed_at = signed_at.astimezone(SHANGHAI).replace(tzinfo=None)
    with store.Session.begin() as s:
        case = s.get(Case, case_no)
        if case is None:
            raise NotFound("E_CASE", f"本窗口没有办件 {case_no}", field="case_no")
        args = records.delivery_args(store, case_no) if case.status == "delivered" else {}
        if not args.get("posted"):
            raise BadInput("E_NOT_POSTED", f"办件 {case_no} 的结果没有以快递交寄，无快递签收可登记", field="case_no")
        if args.get("signed_at"):
            raise BadInput("E_SIGNED", f"办件 {case_no} 的快递签收已于 {args['signed_at']:%Y-%m-%d %H:%M} 登记",
                           field="case_no")
        if signed_at < args["delivered_at"].replace(microsecond=0) or signed_at > now + timedelta(minutes=5):
            raise BadInput("E_SIGNED_AT", f"签收时间应在交寄时间（{args['delivered_at']:%Y-%m-%d %H:%M}）与现在之间",
                           field="signed_at")
        detail = {"signed_at": signed_at.isoformat(), "tracking_no": args["tracking_no"]}
        record_case_change(s, case, clerk=clerk, event="delivery.signed",
                           detail=json.dumps(detail, ensure_ascii=False), now=now)
    archive.print_document(store, record=records.case_record(store, case_no=case_no), kind="delivery_receipt",
                           clerk=clerk, extra=records.delivery_args(store, case_no), reissue=True)
    return case_no


def delivery_state(store: Store, *, case_no: str) -> dict[str, Any]:
    """How a delivered result went home, JSON-ready: state `handed_over` (window, e-licence), `posted`
    (handed to the courier, 已交寄) or `signed` (the courier's proof recorded)."""
    a = records.delivery_args(store, caseno.normalise_case_no(case_no))
    state = ("signed" if a.get("signed_at") else "posted") if a.get("posted") else "handed_over"
    return {"how": a["how"], "state": state, "tracking_no": a["tracking_no"], "e_licence_ref": a["e_licence_ref"],
            "delivered_at": to_iso(a["delivered_at"]),
            "signed_at": to_iso(a["signed_at"]) if a.get("signed_at") else None}


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
