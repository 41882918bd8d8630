"""The generator behind desktop/core/demodata.py: one window's synthetic history, row by row, in the shapes
the services write (see demodata's docstring for what it holds). Consumes one random.Random in a fixed order
(transfer batches draw from their own, keyed by seed, day and department), so a seed gives the same rows."""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from db.local.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CaseMaterialRow,
    CatalogueVersion,
    Consultation,
    MatterRow,
    Rating,
    TransferBatch,
    TransferItem,
    User,
)
from desktop.core import caseno, centres, workcalendar
from desktop.core import demopeople as P
from desktop.core.auth import hash_password
from desktop.core.cases.checks import join_refusal
from desktop.core.cases.closing import LEVELS, SOURCES
from desktop.core.cases.deadlines import compute_deadlines
from desktop.core.catalogue import matter_from_json
from desktop.core.clock import to_iso
from desktop.core.errors import BadInput
from desktop.core.labels import OUTCOME_LABELS
from desktop.core.store import Store
from desktop.core.types import Matter

DAY_CAP = 9999  # case serials per window and day (caseno)
CHUNK = 5_000  # cases per insert (bounded memory)
DEMO_PASSWORD = "demo1234"
DEMO_CLERKS = (("demo", "张敏", "A0101"), ("clerk02", "李娜", "A0102"), ("clerk03", "王磊", "A0103"),
               ("clerk04", "刘洋", "A0104"), ("clerk05", "陈静", "A0105"))
CLERK_WEIGHTS = (1.4, 1.2, 1.0, 0.9, 0.7)


class Generator:
    def __init__(self, store: Store, *, seed: int, now: datetime):
        self.store, self.seed, self.now = store, seed, now
        self.rnd = random.Random(seed)
        self.cal = workcalendar.calendar(store)
        self.cal_version = workcalendar.calendar_version(store)
        self.window = store.window()
        self.centre, self.here = self.window.centre_code, self.window.window_no
        self.matters = self._matters(store)
        self.departments = {d: i for i, d in enumerate(sorted({m.department for m in self.matters}))}
        self.deadline_cache: dict[tuple, Any] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.batch_fates: dict[tuple, dict[str, Any]] = {}
        self.items: list[dict[str, Any]] = []
        self.counters: dict[str, int] = {}
        self.doc_serial = 0
        with store.Reader() as s:
            self.supervisor = store.setting("rectify_owner") or s.scalar(
                select(User.login).where(User.role == "supervisor", User.active).order_by(User.login)) or ""

    @staticmethod
    def _matters(store: Store) -> list[Matter]:
        with store.Reader() as s:
            version = s.scalar(select(CatalogueVersion.version).where(CatalogueVersion.is_current))
            if version is None:
                raise BadInput("E_NO_CATALOGUE", "尚未导入事项目录：请先运行 yichuang catalogue import 文件")
            rows = s.scalars(select(MatterRow.data).where(MatterRow.version == version)).all()
        kind = store.setting("centre_type")
        matters = sorted((matter_from_json(json.loads(r), version) for r in rows), key=lambda m: m.code)
        matters = [m for m in matters if centres.taken_here(m, kind)]
        if not matters:
            raise BadInput("E_NO_CATALOGUE", "事项目录中没有本中心受理的事项")
        return matters

    # ---------------------------------------------------------------- the plan: days, volumes, clerks
    def plan(self, n: int, days: int) -> None:
        rnd, cal, today = self.rnd, self.cal, self.now.date()
        self.days = [today - timedelta(days=days - 1 - i) for i in range(days)]
        missing = sorted({d.year for d in self.days if not cal.has_year(d.year)})
        if missing:
            raise BadInput("E_DEMO_CALENDAR", f"{'、'.join(map(str, missing))} 年的节假日安排尚未导入，不能生成这些日子的演示数据："
                           "请减少 --days 或先导入日历", field="days")
        order = list(self.matters)
        rnd.shuffle(order)
        self.matter_weights = [(1.5 if m.on_the_spot else 1.0) / (order.index(m) + 1) ** 0.8 for m in self.matters]
        weights = []
        for d in self.days:
            if cal.is_workday(d):
                w = {0: 1.25, 4: 0.9}.get(d.weekday(), 1.0) * rnd.uniform(0.85, 1.15)
            else:
                w = 0.05 if rnd.random() < 0.25 else 0.0  # a few 节假日办理 days
            if d == today:
                w *= max(0.0, min(1.0, (self.now.hour * 60 + self.now.minute - 9 * 60 - 30) / (8 * 60)))
            weights.append(w)
        if not any(weights):
            raise BadInput("E_DEMO_ARGS", "所选期间没有工作日：请加大 --days", field="days")
        self.day_weights = weights
        per_day = Counter(rnd.choices(range(len(self.days)), weights, k=n))
        if max(per_day.values()) > DAY_CAP:
            raise BadInput("E_DEMO_TOO_DENSE", f"每个窗口每天最多 {DAY_CAP} 件：{n} 件需要更长的期间，请加大 --days",
                           field="days")
        self.per_day = per_day

    def users(self, s) -> tuple[str, ...]:
        """The demo clerks (created if missing, password demo1234); the clerks cases are spread over."""
        out = []
        digest = None
        for login, name, staff_no in DEMO_CLERKS:
            user = s.get(User, login)
            if user is None:
                digest = digest or hash_password(DEMO_PASSWORD)  # one argon2 run (≈0.3 s) for the demo clerks
                user = User(login=login, name=name, staff_no=staff_no, role="clerk", password_hash=digest, active=True)
                s.add(user)
            out.append((login, user.name))
        s.flush()
        self.clerks = out
        self.supervisor = self.supervisor or out[0][0]
        return tuple(login for login, _ in out)

    # ---------------------------------------------------------------- the history, a chunk at a time
    def run(self):
        rows = self._empty()
        done = 0
        for i, day in enumerate(self.days):
            k = self.per_day.get(i, 0)
            if not k:
                continue
            end = 17 * 60
            if day == self.now.date():
                end = min(end, self.now.hour * 60 + self.now.minute - 1)
            minutes = sorted(self.rnd.randint(9 * 60, end) for _ in range(k))
            self.counters[caseno.serial_prefix(self.centre, self.here, day)] = k
            for serial, minute in enumerate(minutes, 1):
                at = datetime.combine(day, time()) + timedelta(minutes=minute, seconds=self.rnd.randrange(60))
                self._case(rows, day, at, serial)
                done += 1
                if done % CHUNK == 0:
                    yield rows
                    rows = self._empty()
        yield rows

    @staticmethod
    def _empty() -> dict:
        return {Case: [], CaseMaterialRow: [], CaseEvent: [], Rating: []}

    def tail(self) -> dict:
        """What follows the cases: consultations, transfer batches and items, the day counters."""
        rnd = self.rnd
        consult = []
        n = round(sum(self.per_day.values()) * 0.12)
        for i in sorted(rnd.choices(range(len(self.days)), self.day_weights, k=n)):
            login, name = self.pick_clerk()
            at = datetime.combine(self.days[i], time(9)) + timedelta(minutes=rnd.randrange(8 * 60))
            if at > self.now:
                continue
            q, a = rnd.choice(P.QUESTIONS)
            code = rnd.choices(self.matters, self.matter_weights)[0].code if rnd.random() < 0.7 else ""
            staff = dict((x[0], x[2]) for x in DEMO_CLERKS).get(login, "")
            consult.append({"id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "asked_at": at,
                            "asker_name": rnd.choice(P.SURNAMES) + rnd.choice(("先生", "女士")),
                            "asker_phone": "", "matter_code": code, "question": q, "answer": a,
                            "answered_by": f"{name}（{staff}）", "clerk_login": login})
        return {Consultation: consult, TransferBatch: list(self.batches.values()), TransferItem: self.items,
                CaseCounter: [{"prefix": p, "last": n} for p, n in sorted(self.counters.items())]}

    # ---------------------------------------------------------------- helpers
    def pick_clerk(self) -> tuple[str, str]:
        return self.rnd.choices(self.clerks, CLERK_WEIGHTS[:len(self.clerks)])[0]

    def deadlines(self, m: Matter, outcome: str, start: date):
        key = (m.code, outcome, start)
        if key not in self.deadline_cache:
            self.deadline_cache[key] = compute_deadlines(self.cal, matter=m, outcome=outcome, start=start)
        return self.deadline_cache[key]

    def later(self, day: date, workdays: int, hour_from: int = 9, hour_to: int = 17) -> datetime | None:
        d = self.cal.try_add_workdays(day, workdays)
        if d is None:
            return None
        return datetime.combine(d, time(hour_from)) + timedelta(minutes=self.rnd.randrange((hour_to - hour_from) * 60))

    def _materials(self, m: Matter, outcome: str) -> list[dict[str, Any]]:
        rnd = self.rnd
        out = []
        required = [x for x in m.materials if x.required]
        bad = set()
        if outcome == "notice" and required:
            bad = {x.code for x in rnd.sample(required, 2 if len(required) > 1 and rnd.random() < 0.2 else 1)}
        for x in m.materials:
            if not x.required and rnd.random() < 0.6:
                continue  # an optional material not brought is not listed (checks.check_materials)
            state, reason = ("e_licence" if x.e_licence and rnd.random() < 0.3 else "paper"), ""
            if x.code in bad:
                state = "defective" if rnd.random() < 0.4 else "missing"
                reason = rnd.choice(P.DEFECTS) if state == "defective" else ""
            out.append({"code": x.code, "ordinal": len(out), "name": x.name, "required": x.required, "form": x.form,
                        "copies": x.copies, "state": state, "standard": x.standard,
                        "e_licence_ref": f"EL{rnd.randrange(10**10):010d}" if state == "e_licence" else "",
                        "reason": reason, "gap_due": None})
        return out

    def _rating(self, rows: dict, case_no: str, occasion: str, at: datetime, unhappy: bool) -> None:
        rnd = self.rnd
        if at > self.now:
            return
        stars = rnd.choices((5, 4, 3, 2, 1), (40, 25, 15, 12, 8) if unhappy else (72, 18, 6, 3, 1))[0]
        source = "applicant_screen" if rnd.random() < 0.9 else "clerk_fallback"
        bad = stars <= 2
        rows[Rating].append({"case_no": case_no, "occasion": occasion, "overall": stars, "efficiency": None,
                             "service": None, "attitude": None, "comment": rnd.choice(P.BAD_COMMENTS) if bad else "",
                             "rated_at": at, "rectify_owner": self.supervisor if bad else "",
                             "rectify_due": at.date() if bad else None, "source": source})
        rows[CaseEvent].append({"case_no": case_no, "at": at, "actor": "applicant", "event": "rated",
                                "detail": f"{LEVELS[stars]}（{SOURCES[source]}）", "window_no": ""})

    def _case(self, rows: dict, day: date, at: datetime, serial: int) -> None:
        rnd, now, here = self.rnd, self.now, self.here
        m = rnd.choices(self.matters, self.matter_weights)[0]
        case_no = caseno.make_case_no(self.centre, here, day, serial)
        login, clerk_name = self.pick_clerk()
        kind = rnd.choice(m.applicant_kinds)
        applicant = P.enterprise(rnd, self.centre) if kind == "enterprise" else P.person(rnd, self.centre)
        holiday = not self.cal.is_workday(day)
        events = rows[CaseEvent]

        def ev(t: datetime, actor: str, event: str, detail: str = "", window_no: str = here) -> None:
            events.append({"case_no": case_no, "at": t, "actor": actor, "event": event, "detail": detail,
                           "window_no": window_no})

        r = rnd.random()
        if m.on_the_spot:
            first = "completed" if r < 0.88 else "notice" if r < 0.97 else "refused"
        else:
            first = "accepted" if r < 0.78 else "notice" if r < 0.94 else "refused"
        mats = self._materials(m, first)
        c = {"outcome": first, "status": "received", "version": 1, "updated_at": at, "decision_json": "",
             "complete_at": at if first in ("accepted", "completed") else None}
        d = self.deadlines(m, first, day)
        c.update(promised_date=d.promised, statutory_date=d.statutory, supply_due=d.supply_due,
                 deadline_pending=d.pending)
        ev(at, login, first, OUTCOME_LABELS[first])
        if holiday:
            ev(at, login, "holiday_service", "节假日办理：办理时限自下一个工作日起算")
        if rnd.random() < 0.35:
            self._rating(rows, case_no, "intake", at + timedelta(minutes=rnd.randint(3, 8)), first == "notice")

        def change(t: datetime, actor: str, event: str, detail: str, **fields: Any) -> None:
            c.update(fields, version=c["version"] + 1, updated_at=t)
            ev(t, actor, event, detail)

        if first != "completed" and rnd.random() < 0.004 and at + timedelta(minutes=20) <= now:
            change(at + timedelta(minutes=20), self.supervisor, "voided", "录入错误，作废重录", status="voided")
        elif first == "notice":
            self._notice(c, m, mats, day, login, change)
        if c["outcome"] == "accepted" and c["status"] == "received":
            self._loop(rows, c, m, case_no, applicant, ev, change)
        rows[Case].append({
            "case_no": case_no, "matter_code": m.code, "matter_name": m.name, "catalogue_version": m.catalogue_version,
            "calendar_version": self.cal_version, "applicant_kind": kind, "applicant_name": applicant["name"],
            "applicant_id_no": P.id_of(applicant), "applicant_json": json.dumps(applicant, ensure_ascii=False),
            "agent_json": None, "note": "", "warnings_json": "[]", "received_at": at, "received_day": day,
            "clerk_login": login, "clerk_name": clerk_name, "centre_code": self.centre, "window_no": here,
            "refusal_reason": join_refusal("other", rnd.choice(P.REFUSALS)) if first == "refused" else "",
            "apply_instead": "", "result_note": "当场出具办理结果" if c["outcome"] == "completed" else "",
            "paused_since": None, "extended_days": 0, "clock_shift_days": 0, "last_window_no": here,
            "online_app_no": "", "holiday": holiday, **c})
        for x in mats:
            rows[CaseMaterialRow].append({"case_no": case_no, **x})

    def _notice(self, c: dict, m: Matter, mats: list[dict], day: date, login: str, change) -> None:
        """A one-time notice: most come back for 补正 (some twice), a few withdraw."""
        rnd = self.rnd
        if rnd.random() >= 0.65:
            t = self.later(day, rnd.randint(1, 10))
            if rnd.random() < 0.05 and t is not None and t <= self.now:
                change(t, login, "withdrawn", "申请人撤回申请", status="withdrawn")
            return
        t = self.later(day, rnd.randint(1, 5))
        bad = [x for x in mats if x["state"] in ("missing", "defective")]
        if len(bad) > 1 and rnd.random() < 0.5 and t is not None and t <= self.now:  # half of it this time
            bad[0].update(state="paper", reason="")
            change(t, login, "supplemented", OUTCOME_LABELS["notice"],
                   supply_due=self.deadlines(m, "notice", t.date()).supply_due)
            t = self.later(t.date(), rnd.randint(1, 4))
        if t is None or t > self.now:
            return
        for x in bad:
            x.update(state="paper", reason="")
        outcome = "completed" if m.on_the_spot else "accepted"
        d = self.deadlines(m, outcome, t.date())
        change(t, login, "supplemented", OUTCOME_LABELS[outcome], outcome=outcome, complete_at=t, supply_due=None,
               promised_date=d.promised, statutory_date=d.statutory, deadline_pending=d.pending)

    def _loop(self, rows: dict, c: dict, m: Matter, case_no: str, applicant: dict, ev, change) -> None:
        """An accepted case: transferred, signed for, decided (as the centre sends it), handed over."""
        rnd, now = self.rnd, self.now
        accepted = c["complete_at"]
        if rnd.random() < 0.015:
            t = self.later(accepted.date(), rnd.randint(1, 3))
            if t is not None and t <= now:
                change(t, self.pick_clerk()[0], "withdrawn", "申请人撤回申请", status="withdrawn")
                return
        signed = self._transfer(case_no, m.department, accepted, ev)
        if signed is None:
            return
        c["status"] = "signed"
        if c["promised_date"] is None:
            return
        p = max(1, m.promised_days)
        r = rnd.random()
        took = (rnd.randint(1, max(1, p * 7 // 10)) if r < 0.3 else rnd.randint(max(1, -(-p * 7 // 10)), p)
                if r < 0.9 else p + rnd.randint(1, 5))
        when = self.later(accepted.date(), took, 14, 17)
        if when is None:
            return
        when = max(when, signed + timedelta(hours=2))
        if when > now:
            return
        approve = rnd.random() < 0.93
        self.doc_serial += 1
        officer = P.name(rnd)
        decision = {"decision": "approve" if approve else "deny", "doc_name": "准予许可决定书" if approve else "不予许可决定书",
                    "doc_no": f"决〔{when.year}〕{self.doc_serial:06d}号", "decided_at": to_iso(when),
                    "decided_by": f"dept{self.departments[m.department]:02d}", "decided_by_name": officer,
                    "department": m.department, "reason": "" if approve else rnd.choice(P.DENIALS)}
        status = "approved" if approve else "denied"
        c.update(status=status, version=c["version"] + 1, updated_at=when,
                 decision_json=json.dumps(decision, ensure_ascii=False, sort_keys=True))
        ev(when, officer, f"decision.{status}", m.department, "")  # as apply_cases records the centre's step
        if rnd.random() >= 0.85:
            return
        gone = self.later(when.date(), rnd.randint(0, 6))
        if gone is None or gone > now:
            return
        gone = max(gone, when + timedelta(minutes=30))
        if gone > now:
            return
        how = rnd.choices(("window", "express", "e_licence"), (60, 25, 15))[0]
        who = P.receiver(applicant)
        detail: dict[str, Any] = {"how": how, "receiver_name": who["name"], "receiver_id_no": who["id_no"]}
        if how == "express":
            detail.update(tracking_no=f"SF{rnd.randrange(10**12):012d}", posted=True)
        if how == "e_licence":
            detail["e_licence_ref"] = f"EL{rnd.randrange(10**10):010d}"
        detail["decision"] = decision
        login, _ = self.pick_clerk()
        change(gone, login, "delivered", json.dumps(detail, ensure_ascii=False), status="delivered")
        if how == "window" and rnd.random() < 0.3:
            self._rating(rows, case_no, "handover", gone + timedelta(minutes=rnd.randint(2, 6)), False)

    # ---------------------------------------------------------------- 材料流转: one batch per department and day
    def _batch(self, day: date, dept: str, resend: bool = False) -> dict[str, Any]:
        key = (day, dept, resend)
        if key in self.batch_fates:
            return self.batch_fates[key]
        br = random.Random(f"{self.seed}|{day.isoformat()}|{dept}|{resend}")
        serial = self.departments[dept] + 1 + (500 if resend else 0)
        prefix = f"LZ{self.centre}{self.here}{day:%y%m%d}"
        created = datetime.combine(day, time(17, 10))
        sent = created + timedelta(minutes=10)
        closed_day = self.cal.try_add_workdays(day, 1)
        closed = datetime.combine(closed_day, time(9, 30)) + timedelta(minutes=br.randrange(150)) if closed_day else None
        returned = not resend and br.random() < 0.04
        fate = {"batch_no": f"{prefix}{serial:03d}", "created": created, "sent": sent, "closed": closed,
                "returned": returned, "reason": br.choice(P.RETURNS) if returned else "", "signer": P.name(br),
                "by": br.choice(self.clerks)[0], "resend": None}
        if returned and closed is not None:
            fate["resend"] = self._batch(closed.date(), dept, resend=True)
        if created <= self.now:
            self.counters[prefix] = max(self.counters.get(prefix, 0), serial)
            express = br.random() < 0.3
            is_sent, is_closed = sent <= self.now, closed is not None and closed <= self.now
            self.batches[fate["batch_no"]] = {
                "batch_no": fate["batch_no"], "department": dept, "channel": "express" if express else "online",
                "tracking_no": f"SF{br.randrange(10**12):012d}" if express else "",
                "state": ("returned" if returned else "signed") if is_closed else "sent" if is_sent else "waiting",
                "return_reason": fate["reason"] if is_closed else "", "created_at": created, "created_by": fate["by"],
                "sent_at": sent if is_sent else None, "closed_at": closed if is_closed else None,
                "version": 1 + is_sent + is_closed}
        self.batch_fates[key] = fate
        return fate

    def _transfer(self, case_no: str, dept: str, accepted: datetime, ev) -> datetime | None:
        """The case's way to its department (create_transfer / advance_transfer / apply_transfers events);
        the time it was signed for, or None while it is not."""
        fate = self._batch(accepted.date(), dept)
        while fate is not None and fate["created"] <= self.now:
            no = fate["batch_no"]
            self.items.append({"batch_no": no, "case_no": case_no})
            ev(fate["created"], fate["by"], "transfer", no, "")
            if fate["sent"] > self.now:
                return None
            ev(fate["sent"], fate["by"], "transfer.sent", no, "")
            if fate["closed"] is None or fate["closed"] > self.now:
                return None
            if not fate["returned"]:
                ev(fate["closed"], "centre", "transfer.signed", f"{no} 已由{dept}签收（{fate['signer']}）", "")
                return fate["closed"]
            ev(fate["closed"], "centre", "transfer.returned", f"{no} 被{dept}退回：{fate['reason']}，办件回到待流转", "")
            fate = fate["resend"]
        return None
