"""网上预审 (applied online first): pre-reviewed online applications arrive as an import file with their
application numbers; the clerk finds one by number or ID number, checks the originals and accepts it in one
key; the case keeps the online application number.

Import file: one object or a list of objects, each exactly
    {"app_no": "YW20260310000123", "submitted_at": "2026-03-09T20:15:00+08:00", "intake": {…}}
where `intake` is the documented intake object (desktop.core.cases.checks). Any other field is refused,
naming it (exit 2); the whole file is stored or nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.local.models import Prereview
from desktop.core.errors import BadInput, NotFound
from desktop.core.privacy import mask_id
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.types import Clerk, Enterprise

#: the fields of one pre-review record; any other is refused
FIELDS = ("app_no", "submitted_at", "intake")
_APP_NO = re.compile(r"[A-Za-z0-9-]{6,40}")
MAX_RECORDS = 1000


@dataclass(frozen=True)
class PrereviewItem:
    app_no: str
    matter_code: str
    applicant_name: str
    applicant_id_masked: str
    submitted_at: str
    case_no: str  # '' while waiting

    def as_json(self) -> dict[str, str]:
        return {"app_no": self.app_no, "matter": self.matter_code, "applicant_name": self.applicant_name,
                "applicant_id_no": self.applicant_id_masked, "submitted_at": self.submitted_at,
                "case_no": self.case_no, "state": "已受理" if self.case_no else "待核验原件"}


def _check_record(raw: Any, where: str) -> tuple[str, str, dict]:
    if not isinstance(raw, Mapping):
        raise BadInput("E_FIELD_TYPE", f"{where}应为对象（{'、'.join(FIELDS)}）", field=where or "prereview")
    for key in raw:
        if key not in FIELDS:
            shown = key if isinstance(key, str) and key.isprintable() and len(key) <= 40 else repr(key)[:40]
            raise BadInput("E_FIELD_UNKNOWN", f"{where}网上预审数据含有未知字段“{shown}”（可用字段：{'、'.join(FIELDS)}）",
                           field=f"{where}{str(key)[:40]}")
    app_no = raw.get("app_no")
    if not isinstance(app_no, str) or not _APP_NO.fullmatch(app_no.strip()):
        raise BadInput("E_APP_NO", f"{where}网上申请编号应为 6–40 位字母、数字或连字符", field=f"{where}app_no")
    submitted = raw.get("submitted_at", "")
    if not isinstance(submitted, str) or len(submitted) > 32:
        raise BadInput("E_FIELD_TYPE", f"{where}submitted_at 应为时间文本", field=f"{where}submitted_at")
    intake = raw.get("intake")
    if not isinstance(intake, Mapping):
        raise BadInput("E_FIELD_REQUIRED", f"{where}缺少 intake（受理数据）", field=f"{where}intake")
    return app_no.strip().upper(), submitted.strip(), dict(intake)


def import_prereviews(store: Store, data: Any, *, check, clerk: Clerk) -> list[str]:
    """Store the pre-reviews of an import file (all or nothing); returns their numbers. `check(intake)` checks
    an intake as the intake would (its field names included), so a bad one is refused now, not at the counter.
    The same number again with the same content is kept once; with other content it is refused."""
    require(clerk, "intake")
    records = data if isinstance(data, list) else [data]
    if not records or len(records) > MAX_RECORDS:
        raise BadInput("E_EMPTY_BATCH", f"网上预审文件应有 1–{MAX_RECORDS} 件", field="file")
    rows = []
    for i, raw in enumerate(records):
        where = f"[{i}]." if isinstance(data, list) else ""
        app_no, submitted, intake = _check_record(raw, where)
        try:
            checked = check(intake)
        except BadInput as e:
            e.message = f"网上申请 {app_no}：{e.message}"
            e.field = f"{where}intake.{e.field}" if e.field else f"{where}intake"
            raise
        applicant = checked.applicant
        id_no = applicant.uscc if isinstance(applicant, Enterprise) else applicant.id_no
        rows.append((app_no, checked.matter.code, applicant.name, id_no, submitted,
                     json.dumps(intake, ensure_ascii=False, sort_keys=True)))
    now = store.clock()
    with store.Session.begin() as s:
        for app_no, code, name, id_no, submitted, text in rows:
            old = s.get(Prereview, app_no)
            if old is not None:
                if old.intake_json != text:
                    raise BadInput("E_PREREVIEW_DIFFERS", f"网上申请 {app_no} 已导入且内容不同", field="app_no")
                continue
            s.add(Prereview(app_no=app_no, matter_code=code, applicant_name=name, applicant_id_no=id_no,
                            intake_json=text, submitted_at=submitted, imported_at=now))
            s.flush()
    return [r[0] for r in rows]


def find_prereviews(store: Store, *, app_no: str | None = None, id_no: str | None = None,
                    waiting_only: bool = False) -> list[PrereviewItem]:
    """Pre-reviews by application number or the applicant's ID number (masked in the answer)."""
    if bool(app_no) == bool(id_no):
        raise BadInput("E_LOOKUP", "请给出网上申请编号或证件号码之一", field="app_no")
    with store.Reader() as s:
        q = select(Prereview)
        if app_no:
            q = q.where(Prereview.app_no == app_no.strip().upper())
        else:
            q = q.where(Prereview.applicant_id_no == "".join(id_no.split()).upper())
        if waiting_only:
            q = q.where(Prereview.case_no == "")
        rows = s.scalars(q.order_by(Prereview.imported_at.desc(), Prereview.app_no)).all()
        return [PrereviewItem(app_no=r.app_no, matter_code=r.matter_code, applicant_name=r.applicant_name,
                              applicant_id_masked=mask_id(r.applicant_id_no), submitted_at=r.submitted_at,
                              case_no=r.case_no) for r in rows]


def intake_of(store: Store, app_no: str) -> tuple[str, dict]:
    """(normalised number, the intake) of a waiting pre-review; NotFound / BadInput when taken already."""
    app_no = (app_no or "").strip().upper()
    with store.Reader() as s:
        row = s.get(Prereview, app_no)
    if row is None:
        raise NotFound("E_PREREVIEW", f"没有网上申请 {app_no}（请先导入网上预审数据）", field="app_no")
    if row.case_no:
        raise BadInput("E_PREREVIEW_TAKEN", f"网上申请 {app_no} 已受理为办件 {row.case_no}", field="app_no")
    return app_no, json.loads(row.intake_json)


def mark_taken(s: Session, app_no: str, case_no: str) -> None:
    """In the intake's transaction: the pre-review is taken by `case_no` (refused if it was already)."""
    row = s.get(Prereview, app_no)
    if row is None:
        raise NotFound("E_PREREVIEW", f"没有网上申请 {app_no}", field="app_no")
    if row.case_no:
        raise BadInput("E_PREREVIEW_TAKEN", f"网上申请 {app_no} 已受理为办件 {row.case_no}", field="app_no")
    row.case_no = case_no
