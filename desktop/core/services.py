"""The use cases of a window, one method each: the GUI, the CLI and the tests all call these.

Methods take keyword arguments, return frozen dataclasses and raise typed errors (desktop.core.errors).
A `Services` object is safe to use from one thread at a time; the GUI gives the sync worker its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from db.local import engine as local_engine
from db.local.models import (
    AuditEntry,
    CalendarDay,
    CalendarYear,
    Case,
    CaseCounter,
    CaseEvent,
    CaseMaterialRow,
    CatalogueVersion,
    Consultation,
    Document,
    MatterRow,
    OutboxOp,
    Setting,
    User,
)
from desktop.core import caseno, config
from desktop.core.audit import record_audit
from desktop.core.auth import hash_password, verify_password
from desktop.core.catalogue import Catalogue, matter_from_json, parse_catalogue
from desktop.core.clock import Clock, shanghai_now, to_iso
from desktop.core.errors import AuthError, BadInput, NotFound, YichuangError
from desktop.core.intake import (
    CheckedIntake,
    applicant_from_json,
    applicant_json,
    check_intake,
    person_from_json,
    person_json,
)
from desktop.core.outbox import enqueue
from desktop.core.search import MatterIndex
from desktop.core.types import (
    OUTCOME_LABELS,
    CaseMaterial,
    CaseRecord,
    Clerk,
    ConsultationRecord,
    DailyStats,
    Enterprise,
    IntakeResult,
    Matter,
    OutboxItem,
    PrintedDocument,
    Window,
)
from desktop.core.workdays import WorkdayCalendar, seed_from_chinesecalendar, version_of

DEMO_USERS = (
    # login, password, name, staff number, role
    ("demo", "demo1234", "张敏", "A0101", "clerk"),
    ("super", "super1234", "李建国", "S0001", "supervisor"),
)
ROLL_KINDS = ("voucher", "one_time_notice")  # documents that also come on the 80 mm roll
NOTICE_SUPPLY_DAYS = 10  # working days an applicant has to bring what the one-time notice lists
CATALOGUE_MATTER_KEYS = ("code", "name")


def init_store(
    home: Path, *, centre_code: str, window_no: str, centre_name: str = "", centre_phone: str = "",
    demo: bool = False, clock: Clock = shanghai_now,
) -> Path:
    """Create or upgrade the local store in `home` and set the window identity. Idempotent."""
    if not (centre_code.isdigit() and 6 <= len(centre_code) <= 12):
        raise BadInput("E_CENTRE_CODE", "中心代码应为 6 至 12 位数字（行政区划代码）", field="centre")
    if not (window_no.isdigit() and len(window_no) == 2 and window_no != "00"):
        raise BadInput("E_WINDOW_NO", "窗口号应为 01 至 99 的两位数字", field="window")
    home.mkdir(parents=True, exist_ok=True)
    path = config.db_path(home)
    engine = local_engine.make_engine(path)
    try:
        local_engine.upgrade(engine)
        with Session(engine) as s, s.begin():
            _set(s, "centre_code", centre_code)
            _set(s, "window_no", window_no)
            if centre_name or not s.get(Setting, "centre_name"):
                _set(s, "centre_name", centre_name or f"{centre_code} 社区事务受理服务中心")
            if centre_phone or not s.get(Setting, "centre_phone"):
                _set(s, "centre_phone", centre_phone or ("021-12345678" if demo else ""))
            if not s.scalar(select(func.count()).select_from(CalendarYear)):
                now = clock()
                years = range(now.year - 2, now.year + 1)
                rows = seed_from_chinesecalendar(years)
                covered = sorted({y for y in years if y <= 2026 or any(r[0].year == y for r in rows)})
                for y in covered:
                    s.add(CalendarYear(year=y, source="chinesecalendar", imported_at=now))
                for d, kind, name in rows:
                    s.merge(CalendarDay(day=d, kind=kind, name=name or ""))
            if demo:
                for login, password, name, staff_no, role in DEMO_USERS:
                    if s.get(User, login) is None:
                        s.add(User(login=login, name=name, staff_no=staff_no, role=role,
                                   password_hash=hash_password(password), active=True))
                if not s.get(Setting, "default_clerk"):
                    _set(s, "default_clerk", "demo")
    finally:
        engine.dispose()
    if demo:
        services = Services(home, clock=clock)
        try:
            if services.current_catalogue_version() is None:
                services.import_catalogue(config.DEMO_CATALOGUE.read_text(encoding="utf-8"))
        finally:
            services.close()
    return path


def store_catalogue(s: Session, catalogue: Catalogue, text: str, *, now: datetime, source: str) -> None:
    """Store a parsed catalogue version in the caller's transaction and make it current (all or nothing).

    A version, once stored, is frozen: the same version with other content is refused. The pinyin
    forms for matter search are computed here, once, and stored with it."""
    from desktop.core.search import catalogue_forms

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = s.get(CatalogueVersion, catalogue.version)
    if existing is not None and existing.sha256 != digest:
        raise BadInput(
            "E_CATALOGUE_VERSION",
            f"目录版本 {catalogue.version} 已导入但内容不同：修改目录须使用新的版本号",
            field="version",
        )
    if existing is None:
        raw = json.loads(text)
        s.add(CatalogueVersion(version=catalogue.version, imported_at=now, sha256=digest, is_current=False,
                               matter_count=len(catalogue.matters),
                               search_forms=json.dumps(catalogue_forms(catalogue.matters), ensure_ascii=False)))
        s.flush()
        for m in raw["matters"]:
            s.add(MatterRow(version=catalogue.version, code=m["code"], name=m["name"],
                            data=json.dumps(m, ensure_ascii=False)))
    for cv in s.scalars(select(CatalogueVersion)):
        cv.is_current = cv.version == catalogue.version
    s.add(AuditEntry(at=now, actor="system", action=f"catalogue.{source}", ref=catalogue.version,
                     detail=f"{len(catalogue.matters)} matters"))


def _set(s: Session, key: str, value: str) -> None:
    row = s.get(Setting, key)
    if row is None:
        s.add(Setting(key=key, value=value))
    else:
        row.value = value


class Services:
    """All use cases of one window, over its local store in `home`."""

    def __init__(self, home: Path, *, clock: Clock = shanghai_now):
        path = config.db_path(home)
        if not path.exists():
            raise BadInput(
                "E_NOT_INITIALISED",
                f"本窗口尚未初始化：请先运行 yichuang init --centre 中心代码 --window 窗口号（数据目录 {home}）",
            )
        self.home = home
        self.clock = clock
        self.engine = local_engine.make_engine(path)
        try:
            local_engine.ensure_current(self.engine)  # a store left by an older version is upgraded here
        except DatabaseError as e:
            self.engine.dispose()
            raise YichuangError(
                "E_STORE_CORRUPT",
                f"本地数据库文件 {path} 已损坏或不是一窗的数据文件，未做任何修改。"
                "请联系技术人员从备份恢复（见运维说明）。",
            ) from e
        self.Session = local_engine.make_sessionmaker(self.engine)  # writes (BEGIN IMMEDIATE)
        self.Reader = local_engine.make_reader(self.engine)  # reads (deferred, never blocks on a writer)
        self._matters: dict[tuple[str, str], Matter] = {}
        self._index: MatterIndex | None = None
        self._index_version: str | None = None
        self._calendar: WorkdayCalendar | None = None
        self._calendar_version = ""
        self._calendar_stamp: object = None

    def close(self) -> None:
        self.engine.dispose()

    def invalidate(self, *names: str) -> None:
        """Drop cached derived data: "catalogue" (the matter index), "calendar" (the working-day calendar)."""
        if "catalogue" in names:
            self._index = None
        if "calendar" in names:
            self._calendar = None

    # ----- window identity and settings
    def setting(self, key: str, default: str = "") -> str:
        with self.Reader() as s:
            row = s.get(Setting, key)
            return row.value if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.Session.begin() as s:
            _set(s, key, value)

    def window(self) -> Window:
        with self.Reader() as s:
            values = {r.key: r.value for r in s.scalars(select(Setting))}
        return Window(
            centre_code=values.get("centre_code", ""),
            centre_name=values.get("centre_name", ""),
            window_no=values.get("window_no", ""),
            phone=values.get("centre_phone", ""),
        )

    # ----- users
    def add_user(self, *, login: str, password: str, name: str, staff_no: str, role: str = "clerk") -> Clerk:
        if role not in ("clerk", "supervisor", "admin", "backoffice"):
            raise BadInput("E_ROLE", f"角色“{role}”无效", field="role")
        if len(password) < 8:
            raise BadInput("E_PASSWORD", "密码至少 8 位", field="password")
        with self.Session.begin() as s:
            user = s.get(User, login)
            if user is None:
                user = User(login=login, active=True)
                s.add(user)
            user.name, user.staff_no, user.role = name, staff_no, role
            user.password_hash = hash_password(password)
        return Clerk(login=login, name=name, staff_no=staff_no, role=role)

    def login(self, *, login: str, password: str) -> Clerk:
        with self.Reader() as s:
            user = s.get(User, login.strip())
        if user is None or not user.active or not verify_password(password, user.password_hash):
            raise AuthError("E_LOGIN", "工号或密码不正确", field="password")
        self._audit(login, "login")
        return Clerk(login=user.login, name=user.name, staff_no=user.staff_no, role=user.role)

    def clerk(self, login: str) -> Clerk:
        with self.Reader() as s:
            user = s.get(User, login)
        if user is None or not user.active:
            raise NotFound("E_USER", f"用户“{login}”不存在或已停用", field="clerk")
        return Clerk(login=user.login, name=user.name, staff_no=user.staff_no, role=user.role)

    def default_clerk(self) -> Clerk:
        login = self.setting("default_clerk")
        if not login:
            raise BadInput("E_NO_CLERK", "请用 --clerk 指定经办人工号", field="clerk")
        return self.clerk(login)

    # ----- catalogue
    def import_catalogue(self, text: str) -> Catalogue:
        """Load or update the matter catalogue: all or nothing. The new version becomes current;
        older versions stay, so a case keeps the version it was taken under."""
        catalogue = parse_catalogue(text)
        with self.Session.begin() as s:
            store_catalogue(s, catalogue, text, now=self.clock(), source="import")
        self._index = None
        return catalogue

    def _catalogue_forms(self, version: str) -> dict:
        with self.Reader() as s:
            row = s.get(CatalogueVersion, version)
            return json.loads(row.search_forms or "{}") if row else {}

    def current_catalogue_version(self) -> str | None:
        with self.Reader() as s:
            return s.scalar(select(CatalogueVersion.version).where(CatalogueVersion.is_current))

    def _catalogue_matters(self, version: str) -> list[Matter]:
        with self.Reader() as s:
            rows = s.scalars(select(MatterRow).where(MatterRow.version == version)).all()
        return [self._matter_from_row(version, r.data) for r in rows]

    def _matter_from_row(self, version: str, data: str) -> Matter:
        d = json.loads(data)
        key = (version, d["code"])
        if key not in self._matters:
            self._matters[key] = matter_from_json(d, version)
        return self._matters[key]

    def _ensure_index(self) -> MatterIndex:
        version = self.current_catalogue_version()
        if version is None:
            raise BadInput("E_NO_CATALOGUE", "尚未导入事项目录：请先运行 yichuang catalogue import 文件")
        if self._index is None or self._index_version != version:
            self._index = MatterIndex(self._catalogue_matters(version), forms=self._catalogue_forms(version))
            self._index_version = version
        return self._index

    def search_matters(self, *, query: str, limit: int = 20) -> list[Matter]:
        return self._ensure_index().search(query, limit)

    def matter(self, *, code: str, version: str | None = None) -> Matter:
        version = version or self.current_catalogue_version()
        if version is None:
            raise BadInput("E_NO_CATALOGUE", "尚未导入事项目录")
        with self.Reader() as s:
            row = s.get(MatterRow, (version, code))
        if row is None:
            raise NotFound("E_MATTER", f"事项目录中没有编码为“{code}”的事项", field="matter")
        return self._matter_from_row(version, row.data)

    # ----- the working-day clock
    def calendar(self) -> WorkdayCalendar:
        """The working-day calendar, reloaded when any Services (another thread, the sync) imported one."""
        with self.Reader() as s:
            stamp = tuple(s.execute(select(func.count(), func.max(CalendarYear.imported_at))).one())
        if self._calendar is not None and stamp != self._calendar_stamp:
            self._calendar = None
        self._calendar_stamp = stamp
        if self._calendar is None:
            with self.Reader() as s:
                years = set(s.scalars(select(CalendarYear.year)))
                overrides = {r.day: r.kind for r in s.scalars(select(CalendarDay))}
            self._calendar = WorkdayCalendar(years=years, overrides=overrides)
            self._calendar_version = version_of(overrides)
        return self._calendar

    def add_workdays(self, *, start: date, days: int) -> date:
        return self.calendar().add_workdays(start, days)

    def import_calendar(self, *, years: Iterable[int], rows: Iterable[tuple[date, str, str]], source: str) -> None:
        now = self.clock()
        years = set(years)
        rows = list(rows)
        with self.Session.begin() as s:
            for y in years:
                for old in s.scalars(select(CalendarDay).where(
                        CalendarDay.day >= date(y, 1, 1), CalendarDay.day <= date(y, 12, 31))):
                    s.delete(old)
                s.merge(CalendarYear(year=y, source=source, imported_at=now))
            s.flush()
            for d, kind, name in rows:
                s.merge(CalendarDay(day=d, kind=kind, name=name or ""))
            record_audit(s, window=self.window(), at=now, actor="system", action="calendar.import", ref=source,
                         detail=",".join(str(y) for y in sorted(years)))
        self._calendar = None

    # ----- intake
    def accept_application(
        self, *, intake: dict[str, Any], clerk: Clerk, out_dir: Path | None = None, paper: str = "a4"
    ) -> IntakeResult:
        """Check, number, store (one transaction with its outbox op), then print. See `accept_batch`."""
        return self.accept_batch(intakes=[intake], clerk=clerk, out_dir=out_dir, paper=paper)[0]

    def check_application(self, *, intake: dict[str, Any]) -> CheckedIntake:
        """Check an intake without storing anything (the GUI calls it to show problems before accepting)."""
        version = self.current_catalogue_version()
        if version is None:
            raise BadInput("E_NO_CATALOGUE", "尚未导入事项目录")
        return check_intake(intake, lambda code: self.matter(code=code, version=version),
                            today=self.clock().date())

    def accept_batch(
        self, *, intakes: list[dict[str, Any]], clerk: Clerk, out_dir: Path | None = None, paper: str = "a4"
    ) -> list[IntakeResult]:
        """Check every intake first; store all of them in one transaction, or nothing.

        Documents are rendered after the commit (a voucher is never printed for a case that was not
        stored). A batch item that fails names its position in the message.
        """
        if paper not in ("a4", "roll80"):
            raise BadInput("E_PAPER", f"不支持的纸型：{paper}", field="paper")
        checked: list[CheckedIntake] = []
        for i, raw in enumerate(intakes):
            try:
                item = self.check_application(intake=raw)
                if item.uscc_override:
                    self._check_override(item.uscc_override)
                checked.append(item)
            except YichuangError as e:
                if len(intakes) > 1:
                    e.message = f"第 {i + 1} 件：{e.message}"
                    e.field = f"[{i}].{e.field}" if e.field else f"[{i}]"
                raise
        now = self.clock()
        window = self.window()
        cal = self.calendar()
        records: list[CaseRecord] = []
        with self.Session.begin() as s:
            for item in checked:
                records.append(self._store_case(s, item, clerk=clerk, window=window, now=now, cal=cal))
        return [self._print_intake_documents(r, out_dir=out_dir, paper=paper) for r in records]

    def _check_override(self, override: dict) -> None:
        approver = self.clerk(str(override["by"]))
        if approver.role not in ("supervisor", "admin"):
            raise AuthError("E_OVERRIDE_ROLE", f"{approver.name} 不是值班长，无权授权", field="overrides.uscc_check")

    def _store_case(
        self, s: Session, item: CheckedIntake, *, clerk: Clerk, window: Window, now: datetime,
        cal: WorkdayCalendar,
    ) -> CaseRecord:
        day = now.date()
        matter = item.matter
        promised = statutory = supply_due = None
        complete_at = None
        if item.outcome == "notice":
            supply_due = cal.add_workdays(day, NOTICE_SUPPLY_DAYS)
        elif item.outcome == "refused":
            pass
        else:
            complete_at = now
            promised = day if item.outcome == "completed" else cal.add_workdays(day, matter.promised_days)
            if matter.statutory_days is not None:
                statutory = cal.add_workdays(day, matter.statutory_days)
        prefix = caseno.serial_prefix(window.centre_code, window.window_no, day)
        counter = s.get(CaseCounter, prefix)
        if counter is None:
            counter = CaseCounter(prefix=prefix, last=0)
            s.add(counter)
        counter.last += 1
        case_no = caseno.make_case_no(window.centre_code, window.window_no, day, counter.last)
        applicant = item.applicant
        id_no = applicant.uscc if isinstance(applicant, Enterprise) else applicant.id_no
        warnings = list(item.warnings)
        earlier = s.scalars(
            select(Case.case_no).where(
                Case.applicant_id_no == id_no, Case.matter_code == matter.code, Case.received_day == day
            )
        ).all()
        if earlier:
            warnings.append(f"同一申请人今日已办理该事项：{'、'.join(earlier)}")
        case = Case(
            case_no=case_no, matter_code=matter.code, matter_name=matter.name,
            catalogue_version=matter.catalogue_version, calendar_version=self._calendar_version,
            outcome=item.outcome, status="received", applicant_kind=applicant.kind,
            applicant_name=applicant.name, applicant_id_no=id_no,
            applicant_json=json.dumps(applicant_json(applicant), ensure_ascii=False),
            agent_json=json.dumps(person_json(item.agent), ensure_ascii=False) if item.agent else None,
            note=item.note, warnings_json=json.dumps(warnings, ensure_ascii=False),
            received_at=now, received_day=day, complete_at=complete_at, promised_date=promised,
            statutory_date=statutory, supply_due=supply_due, clerk_login=clerk.login, clerk_name=clerk.name,
            centre_code=window.centre_code, window_no=window.window_no, version=1, updated_at=now,
            refusal_reason=item.refusal_reason, apply_instead=item.apply_instead, result_note=item.result_note,
        )
        for i, m in enumerate(item.materials):
            case.materials.append(CaseMaterialRow(
                code=m.code, ordinal=i, name=m.name, required=m.required, form=m.form, copies=m.copies,
                state=m.state, standard=m.standard, e_licence_ref=m.e_licence_ref, reason=m.reason,
                gap_due=m.gap_due,
            ))
        s.add(case)
        if item.uscc_override:
            record_audit(s, window=window, at=now, actor=str(item.uscc_override["by"]), action="override.uscc_check",
                         ref=case_no, detail=str(item.uscc_override["reason"]))
        s.add(CaseEvent(case_no=case_no, at=now, actor=clerk.login, event=item.outcome,
                        detail=OUTCOME_LABELS[item.outcome]))
        s.flush()
        enqueue(s, kind="case.upsert", ref=case_no, payload=case_payload(case), now=now)
        return CaseRecord(
            case_no=case_no, matter=matter, applicant=applicant, agent=item.agent, materials=item.materials,
            outcome=item.outcome, received_at=now, promised_date=promised, supply_due=supply_due,
            statutory_date=statutory, window=window, clerk=clerk, note=item.note,
            warnings=tuple(warnings), refusal_reason=item.refusal_reason, apply_instead=item.apply_instead,
            result_note=item.result_note, complete_at=complete_at,
        )

    def _print_intake_documents(self, record: CaseRecord, *, out_dir: Path | None, paper: str) -> IntakeResult:
        kinds = ["voucher"]
        if record.outcome == "notice":
            kinds.append("one_time_notice")
        if record.outcome == "refused":
            kinds = ["refusal_notice"]
        if any(m.state == "gap" for m in record.materials):
            kinds.append("gap_promise")
        docs = tuple(self.print_document(record=record, kind=k, paper=paper if k in ROLL_KINDS else "a4",
                                         out_dir=out_dir) for k in kinds)
        return IntakeResult(
            case_no=record.case_no,
            outcome=record.outcome,
            promised_date=record.promised_date,
            documents=docs,
            warnings=record.warnings,
        )

    def supplement_case(
        self, *, case_no: str, materials: dict[str, Any], clerk: Clerk, out_dir: Path | None = None,
        paper: str = "a4",
    ) -> IntakeResult:
        """The applicant came back with what the one-time notice listed: the same case continues.

        `materials` gives the new state of the materials that changed. If the file is now complete the
        case is accepted (or completed) and the clock starts today; otherwise a new notice lists what is
        still missing. One transaction with its outbox op; documents print after the commit."""
        case_no = caseno.normalise_case_no(case_no)
        record = self.case_record(case_no=case_no)
        if record.outcome != "notice":
            raise BadInput("E_NOT_NOTICE", f"办件 {case_no} 不是待补正状态（当前：{OUTCOME_LABELS[record.outcome]}），无需补正",
                           field="case_no")
        merged: dict[str, Any] = {m.code: _material_input(m) for m in record.materials}
        merged.update(materials)
        from desktop.core.intake import check_materials, decide_outcome

        checked = check_materials(record.matter, merged, self.clock().date())
        outcome = decide_outcome(record.matter, checked)
        now = self.clock()
        day = now.date()
        cal = self.calendar()
        with self.Session.begin() as s:
            case = s.get(Case, case_no)
            case.materials.clear()
            s.flush()
            for i, m in enumerate(checked):
                case.materials.append(CaseMaterialRow(
                    code=m.code, ordinal=i, name=m.name, required=m.required, form=m.form, copies=m.copies,
                    state=m.state, standard=m.standard, e_licence_ref=m.e_licence_ref, reason=m.reason,
                    gap_due=m.gap_due))
            case.outcome = outcome
            if outcome == "notice":
                case.supply_due = cal.add_workdays(day, NOTICE_SUPPLY_DAYS)
            else:
                case.complete_at = now
                case.supply_due = None
                case.promised_date = day if outcome == "completed" else cal.add_workdays(day, record.matter.promised_days)
                case.statutory_date = (cal.add_workdays(day, record.matter.statutory_days)
                                       if record.matter.statutory_days is not None else None)
            case.calendar_version = self._calendar_version
            record_case_change(s, case, actor=clerk.login, event="supplemented", detail=OUTCOME_LABELS[outcome],
                               now=now)
        updated = self.case_record(case_no=case_no)
        kinds = ["one_time_notice"] if outcome == "notice" else ["voucher"]
        if outcome == "accepted":
            kinds.append("acceptance_notice")
        if any(m.state == "gap" for m in checked):
            kinds.append("gap_promise")
        docs = tuple(self.print_document(record=updated, kind=k, paper=paper if k in ROLL_KINDS else "a4",
                                         out_dir=out_dir, clerk=clerk) for k in kinds)
        return IntakeResult(case_no=case_no, outcome=outcome,
                            promised_date=updated.promised_date if outcome != "notice" else None,
                            documents=docs, warnings=())

    def case_history(self, *, case_no: str) -> list[tuple[datetime, str, str, str]]:
        """(when, who, event, detail) of a case, oldest first."""
        with self.Reader() as s:
            rows = s.scalars(select(CaseEvent).where(CaseEvent.case_no == case_no).order_by(CaseEvent.id))
            return [(r.at, r.actor, r.event, r.detail) for r in rows]

    def record_consultation(
        self, *, asker_name: str, question: str, answer: str, clerk: Clerk, asker_phone: str = "",
        matter_code: str = "",
    ) -> ConsultationRecord:
        """首问负责: record who asked what and the answer given; queued for the centre like any change."""
        import uuid

        from desktop.core.identity import check_phone
        from desktop.core.intake import _text

        raw = {"asker_name": asker_name, "question": question, "answer": answer, "asker_phone": asker_phone}
        name = _text(raw, "asker_name", "asker_name", limit=100)
        q = _text(raw, "question", "question", limit=2000)
        a = _text(raw, "answer", "answer", limit=4000)
        phone = _text(raw, "asker_phone", "asker_phone", required=False, limit=32)
        if phone:
            phone = check_phone(phone, field="asker_phone")
        if matter_code:
            self.matter(code=matter_code)
        now = self.clock()
        rec = ConsultationRecord(id=str(uuid.uuid4()), asked_at=now, asker_name=name, asker_phone=phone,
                                 matter_code=matter_code, question=q, answer=a,
                                 answered_by=f"{clerk.name}（{clerk.staff_no}）")
        w = self.window()
        with self.Session.begin() as s:
            s.add(Consultation(id=rec.id, asked_at=now, asker_name=name, asker_phone=phone,
                               matter_code=matter_code, question=q, answer=a, answered_by=rec.answered_by,
                               clerk_login=clerk.login))
            enqueue(s, kind="consultation.recorded", ref=rec.id, now=now, payload={
                "id": rec.id, "asked_at": to_iso(now), "asker_name": name, "asker_phone": phone,
                "matter_code": matter_code, "question": q, "answer": a, "answered_by": rec.answered_by,
                "clerk_login": clerk.login, "centre_code": w.centre_code, "window_no": w.window_no})
        return rec

    def consultations(self, *, day: date | None = None) -> list[ConsultationRecord]:
        day = day or self.clock().date()
        start = datetime.combine(day, datetime.min.time())
        with self.Reader() as s:
            rows = s.scalars(select(Consultation).where(
                Consultation.asked_at >= start, Consultation.asked_at < start + timedelta(days=1)
            ).order_by(Consultation.asked_at))
            return [ConsultationRecord(id=r.id, asked_at=r.asked_at, asker_name=r.asker_name,
                                       asker_phone=r.asker_phone, matter_code=r.matter_code, question=r.question,
                                       answer=r.answer, answered_by=r.answered_by) for r in rows]

    # ----- documents
    def print_document(
        self, *, record: CaseRecord, kind: str, paper: str = "a4", out_dir: Path | None = None,
        clerk: Clerk | None = None, extra: dict[str, Any] | None = None,
    ) -> PrintedDocument:
        """Render one document, archive it with its case (a reprint is marked 补打 with its count),
        and queue a `document.printed` operation. Returns where the PDF is."""
        from desktop.core import documents

        with self.Reader() as s:
            reprint = s.scalar(select(func.count()).select_from(Document).where(
                Document.case_no == record.case_no, Document.kind == kind, Document.paper == paper)) or 0
        renderers = {
            "voucher": documents.render_voucher,
            "one_time_notice": documents.render_one_time_notice,
            "acceptance_notice": documents.render_acceptance_notice,
            "gap_promise": documents.render_gap_promise,
            "refusal_notice": lambda r, **kw: documents.render_refusal_notice(
                r, reason=r.refusal_reason, apply_instead=r.apply_instead, **kw),
            "delivery_receipt": documents.render_delivery_receipt,
        }
        if kind not in renderers:
            raise BadInput("E_DOC_KIND", f"未知的文书类型：{kind}", field="kind")
        pdf = renderers[kind](record, paper=paper, reprint=reprint, **(extra or {}))
        now = self.clock()
        name = f"{record.case_no}-{kind}-{paper}" + (f"-r{reprint}" if reprint else "") + ".pdf"
        archive = config.documents_dir(self.home) / f"{record.received_at:%Y/%m/%d}" / name
        archive.parent.mkdir(parents=True, exist_ok=True)
        archive.write_bytes(pdf)
        digest = hashlib.sha256(pdf).hexdigest()
        path = archive
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            path = out_dir / name
            path.write_bytes(pdf)
        who = clerk or record.clerk
        with self.Session.begin() as s:
            s.add(Document(case_no=record.case_no, kind=kind, paper=paper, path=str(archive), sha256=digest,
                           reprint=reprint, printed_at=now, clerk_login=who.login))
            enqueue(s, kind="document.printed", ref=record.case_no, now=now, payload={
                "case_no": record.case_no, "kind": kind, "sha256": digest, "printed_at": to_iso(now),
                "reprint": reprint, "paper": paper, "clerk_login": who.login,
            })
        return PrintedDocument(kind=kind, path=str(path), paper=paper, reprint=reprint, printed_at=now)

    def case_record(self, *, case_no: str) -> CaseRecord:
        case_no = caseno.normalise_case_no(case_no)
        with self.Reader() as s:
            case = s.get(Case, case_no)
            if case is None:
                raise NotFound("E_CASE", f"本窗口没有办件 {case_no}", field="case_no")
            materials = tuple(CaseMaterial(
                code=m.code, name=m.name, required=m.required, form=m.form, copies=m.copies, state=m.state,
                standard=m.standard, e_licence_ref=m.e_licence_ref, reason=m.reason, gap_due=m.gap_due,
            ) for m in case.materials)
            clerk_row = s.get(User, case.clerk_login)
        matter = self.matter(code=case.matter_code, version=case.catalogue_version)
        clerk = Clerk(login=case.clerk_login, name=case.clerk_name,
                      staff_no=clerk_row.staff_no if clerk_row else "", role="clerk")
        return CaseRecord(
            case_no=case.case_no, matter=matter, applicant=applicant_from_json(json.loads(case.applicant_json)),
            agent=person_from_json(json.loads(case.agent_json)) if case.agent_json else None,
            materials=materials, outcome=case.outcome, received_at=case.received_at,
            promised_date=case.promised_date if case.outcome != "notice" else None,
            supply_due=case.supply_due, statutory_date=case.statutory_date, window=self.window(), clerk=clerk, note=case.note,
            warnings=tuple(json.loads(case.warnings_json)), refusal_reason=case.refusal_reason,
            apply_instead=case.apply_instead, result_note=case.result_note, complete_at=case.complete_at,
            status=case.status, paused_since=case.paused_since, extended_days=case.extended_days,
        )

    def reprint(self, *, case_no: str, kind: str = "voucher", paper: str = "a4", clerk: Clerk) -> PrintedDocument:
        """Print a case's document again, marked 补打 with its count. A clerk reprints only his own cases;
        a supervisor any case of this window."""
        record = self.case_record(case_no=case_no)
        if clerk.role == "clerk" and record.clerk.login != clerk.login:
            raise AuthError("E_REPRINT_ROLE", f"办件 {record.case_no} 由 {record.clerk.name} 受理：请由本人或值班长补打",
                            field="case_no")
        extra = None
        if kind == "delivery_receipt":
            extra = self._delivery_args(record.case_no)
        return self.print_document(record=record, kind=kind, paper=paper, clerk=clerk, extra=extra)

    def _delivery_args(self, case_no: str) -> dict[str, Any]:
        with self.Reader() as s:
            ev = s.scalar(select(CaseEvent).where(CaseEvent.case_no == case_no, CaseEvent.event == "delivered")
                          .order_by(CaseEvent.id.desc()))
        if ev is None:
            raise BadInput("E_NOT_DELIVERED", f"办件 {case_no} 尚未送达", field="case_no")
        d = json.loads(ev.detail)
        return {"receiver_name": d["receiver_name"], "receiver_id_no": d.get("receiver_id_no", ""),
                "how": d["how"], "delivered_at": ev.at}

    def documents(self, *, case_no: str) -> list[PrintedDocument]:
        """Every document printed for a case, oldest first (archived paths)."""
        with self.Reader() as s:
            rows = s.scalars(select(Document).where(Document.case_no == case_no).order_by(Document.id))
            return [PrintedDocument(kind=r.kind, path=r.path, paper=r.paper, reprint=r.reprint,
                                    printed_at=r.printed_at) for r in rows]

    # ----- material transfer (desktop/core/transfers.py)
    def awaiting_transfer(self, *, department: str | None = None) -> dict[str, list[str]]:
        from desktop.core import transfers

        return transfers.awaiting_transfer(self, department=department)

    def awaiting_transfer_cases(self, *, department: str | None = None):
        from desktop.core import transfers

        return transfers.awaiting_transfer_cases(self, department=department)

    def create_transfer(self, *, department: str, case_nos: list[str], channel: str, clerk: Clerk,
                        tracking_no: str = ""):
        from desktop.core import transfers

        return transfers.create_transfer(self, department=department, case_nos=case_nos, channel=channel,
                                         clerk=clerk, tracking_no=tracking_no)

    def advance_transfer(self, *, batch_no: str, state: str, clerk: Clerk, tracking_no: str | None = None,
                         reason: str = ""):
        from desktop.core import transfers

        return transfers.advance_transfer(self, batch_no=batch_no, state=state, clerk=clerk,
                                          tracking_no=tracking_no, reason=reason)

    def print_transfer_manifest(self, *, batch_no: str, clerk: Clerk, out_dir: Path | None = None) -> PrintedDocument:
        """The printable manifest (流转清单) of a batch, archived under documents/transfers/."""
        from desktop.core import transfers
        from desktop.core.documents import render_transfer_manifest

        info = transfers.transfer(self, batch_no=batch_no)
        pdf = render_transfer_manifest(info, window=self.window(), clerk=clerk)
        folder = out_dir or config.documents_dir(self.home) / "transfers"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{batch_no}-manifest-{info.state}.pdf"
        path.write_bytes(pdf)
        return PrintedDocument(kind="transfer_manifest", path=str(path), paper="a4")

    def transfers(self, *, states: tuple[str, ...] | None = None):
        from desktop.core import transfers

        return transfers.transfers(self, states=states)

    # ----- closing the loop (desktop/core/closing.py)
    def record_rating(self, *, case_no: str, overall: int, efficiency: int | None = None,
                      service: int | None = None, attitude: int | None = None, comment: str = "",
                      occasion: str | None = None):
        from desktop.core import closing

        return closing.record_rating(self, case_no=case_no, overall=overall, efficiency=efficiency,
                                     service=service, attitude=attitude, comment=comment, occasion=occasion)

    def hand_over_result(self, *, case_no: str, clerk: Clerk, receiver_name: str, receiver_id_no: str = "",
                         how: str = "window") -> str:
        from desktop.core import closing

        return closing.hand_over_result(self, case_no=case_no, clerk=clerk, receiver_name=receiver_name,
                                        receiver_id_no=receiver_id_no, how=how)

    def ratings(self, *, day: date | None = None):
        from desktop.core import closing

        return closing.ratings(self, day=day)

    # ----- scanned materials (desktop/core/attachments.py)
    def attach_scan(self, *, case_no: str, material_code: str, file: Path, clerk: Clerk):
        from desktop.core import attachments

        return attachments.attach_scan(self, case_no=case_no, material_code=material_code, file=Path(file),
                                       clerk=clerk)

    # ----- the decision clock (desktop/core/deadlines.py)
    def pause_clock(self, *, case_no: str, reason: str, clerk: Clerk) -> None:
        from desktop.core import deadlines

        deadlines.pause_clock(self, case_no=case_no, reason=reason, clerk=clerk)

    def resume_clock(self, *, case_no: str, clerk: Clerk) -> int:
        from desktop.core import deadlines

        return deadlines.resume_clock(self, case_no=case_no, clerk=clerk)

    def extend_deadline(self, *, case_no: str, days: int, reason: str, approver_login: str,
                        approver_password: str, clerk: Clerk) -> None:
        from desktop.core import deadlines

        deadlines.extend_deadline(self, case_no=case_no, days=days, reason=reason, approver_login=approver_login,
                                  approver_password=approver_password, clerk=clerk)

    # ----- outbox and sync
    def outbox(self, *, limit: int = 200, states: tuple[str, ...] | None = None) -> list[OutboxItem]:
        with self.Reader() as s:
            q = select(OutboxOp).order_by(OutboxOp.seq.desc()).limit(limit)
            if states:
                q = q.where(OutboxOp.state.in_(states))
            return [OutboxItem(op_id=o.op_id, kind=o.kind, ref=o.ref, state=o.state, attempts=o.attempts,
                               created_at=o.created_at, last_error=o.last_error) for o in s.scalars(q)]

    def sync_status(self):
        from desktop.core.sync import sync_status

        return sync_status(self)

    def sync_round(self, *, central_url: str | None = None):
        from desktop.core.sync import sync_round

        return sync_round(self, central_url=central_url)

    def set_central(self, *, url: str) -> str:
        from desktop.core.sync import store_central_url

        return store_central_url(self, url)

    # ----- statistics
    def daily_stats(self, *, day: date | None = None) -> DailyStats:
        day = day or self.clock().date()
        with self.Reader() as s:
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
        from desktop.core.closing import ratings as ratings_of

        rated = ratings_of(self, day=day)
        counts = {stars: sum(1 for r in rated if r.overall == stars) for stars in (5, 4, 3, 2, 1)}
        with self.Reader() as s:
            start = datetime.combine(day, datetime.min.time())
            supplemented = s.scalar(select(func.count()).select_from(CaseEvent).where(
                CaseEvent.event == "supplemented", CaseEvent.at >= start, CaseEvent.at < start + timedelta(days=1),
                CaseEvent.detail != OUTCOME_LABELS["notice"])) or 0
        return DailyStats(
            day=day, window=self.window(), generated_at=self.clock(),
            total=sum(n for _, n in by_outcome),
            by_outcome=tuple((o, n) for o, n in by_outcome),
            by_matter=tuple((c, name, n) for c, name, n in by_matter),
            by_clerk=tuple((c, n) for c, n in by_clerk),
            ratings=tuple((stars, n) for stars, n in counts.items() if n),
            bad_ratings=tuple((r.case_no, r.comment, self._user_label(r.rectify_owner)) for r in rated if r.is_bad),
            consultations=len(self.consultations(day=day)),
            supplemented=supplemented,
        )

    def _user_label(self, login: str) -> str:
        """'李建国（S0001）' for a login, the login itself if unknown, '' for none."""
        if not login:
            return ""
        with self.Reader() as s:
            user = s.get(User, login)
        return f"{user.name}（{user.staff_no}）" if user else login

    def print_daily_report(self, *, day: date | None = None, out: Path) -> Path:
        from desktop.core.documents import render_daily_report

        pdf = render_daily_report(self.daily_stats(day=day))
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
        return out

    # ----- audit
    def _audit(self, actor: str, action: str, ref: str = "", detail: str = "") -> None:
        with self.Session.begin() as s:
            s.add(AuditEntry(at=self.clock(), actor=actor, action=action, ref=ref, detail=detail))


def _material_input(m: CaseMaterial) -> dict[str, Any]:
    d: dict[str, Any] = {"state": m.state}
    if m.e_licence_ref:
        d["e_licence_ref"] = m.e_licence_ref
    if m.reason:
        d["reason"] = m.reason
    if m.gap_due:
        d["gap_due"] = m.gap_due.isoformat()
    return d


def record_case_change(s: Session, case: Case, *, actor: str, event: str, detail: str, now: datetime) -> None:
    """A changed case becomes its next version: history event and `case.upsert` op, in the caller's
    transaction (the centre applies a version only if it is newer than what it has)."""
    case.version += 1
    case.updated_at = now
    s.add(CaseEvent(case_no=case.case_no, at=now, actor=actor, event=event, detail=detail))
    s.flush()
    enqueue(s, kind="case.upsert", ref=case.case_no, payload=case_payload(case), now=now)


def case_payload(case: Case) -> dict[str, Any]:
    """The frozen `case.upsert` payload the centre applies (its keys: desktop/core/outbox/kinds.py)."""
    return {
        "case_no": case.case_no,
        "matter_code": case.matter_code,
        "catalogue_version": case.catalogue_version,
        "calendar_version": case.calendar_version,
        "outcome": case.outcome,
        "status": case.status,
        "received_at": to_iso(case.received_at),
        "promised_date": case.promised_date.isoformat() if case.promised_date else None,
        "statutory_date": case.statutory_date.isoformat() if case.statutory_date else None,
        "supply_due": case.supply_due.isoformat() if case.supply_due else None,
        "centre_code": case.centre_code,
        "window_no": case.window_no,
        "clerk_login": case.clerk_login,
        "applicant": json.loads(case.applicant_json),
        "agent": json.loads(case.agent_json) if case.agent_json else None,
        "materials": [
            {"code": m.code, "state": m.state, "copies": m.copies, "form": m.form,
             "e_licence_ref": m.e_licence_ref, "reason": m.reason,
             "gap_due": m.gap_due.isoformat() if m.gap_due else None}
            for m in case.materials
        ],
        "note": case.note,
        "refusal_reason": case.refusal_reason,
        "apply_instead": case.apply_instead,
        "result_note": case.result_note,
        "complete_at": to_iso(case.complete_at) if case.complete_at else None,
        "paused_since": case.paused_since.isoformat() if case.paused_since else None,
        "extended_days": case.extended_days,
        "version": case.version,
    }


__all__ = ["Services", "init_store", "store_catalogue", "case_payload"]
