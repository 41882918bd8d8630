"""A centre with a window and departments for the back-office tests (real PostgreSQL): the catalogue that
addresses matters to departments, department logins and staff, the window's cases and a sent batch."""

from __future__ import annotations

import json
from dataclasses import dataclass

from db.central import CentralClient, add_department, freeze_op, publish_catalogue, upsert_user
from desktop.core.auth import hash_password
from tests.support.central_ops import A, case_op

VERSION = "office-1"
DEPT = "区公安分局"
OTHER = "区市场监督管理局"
PASSWORD = "pass12345"
THREE_STEPS, TWO_STEPS, ELSEWHERE = "SH-GA-001", "SH-GA-002", "SH-SC-001"


def _matter(code: str, name: str, department: str, **over) -> dict:
    m = {"code": code, "name": name, "department": department, "mode": "delegated", "applicant_kinds": ["person"],
         "on_the_spot": False, "statutory_days": 20, "promised_days": 10, "commitment_allowed": False,
         "keywords": [], "materials": [{"code": "M1", "name": "居民身份证", "required": True, "form": "original",
                                        "copies": 1, "e_licence": True, "standard": ""}]}
    m.update(over)
    return m


CATALOGUE = {"version": VERSION, "matters": [
    _matter(THREE_STEPS, "户口迁移", DEPT),
    _matter(TWO_STEPS, "临时身份证明", DEPT, review_steps=["handle", "decide"]),
    _matter(ELSEWHERE, "食品经营许可", OTHER),
]}


def case_no(serial: int) -> str:
    return f"{A}01260212{serial:04d}"


@dataclass
class Centre:
    admin_url: str
    window_url: str
    dept_url: str  # the department's login URL (without sslrootcert: the CA is given apart)
    other_url: str


def provision(central_url: str, window) -> Centre:
    """Centre A: window 01, the catalogue, departments DEPT and OTHER with staff s1, s2, s3 (DEPT: 承办, 审核
    and 决定 are three people, central c0008) and o1 (OTHER)."""
    window_url = window(A, "01", catalogue=None)
    publish_catalogue(central_url, json.dumps(CATALOGUE, ensure_ascii=False), centre_code=A)
    dept_url = add_department(central_url, A, DEPT)
    other_url = add_department(central_url, A, OTHER)
    for login, name, dept in (("s1", "李审", DEPT), ("s2", "王核", DEPT), ("s3", "张决", DEPT), ("o1", "赵市", OTHER)):
        upsert_user(central_url, {"login": login, "name": name, "staff_no": login.upper(), "role": "backoffice",
                                  "department": dept, "password_hash": hash_password(PASSWORD), "active": True,
                                  "centre_code": A})
    return Centre(central_url, window_url, dept_url, other_url)


def batch(batch_no: str, case_nos: list[str], *, department: str = DEPT, state: str = "sent", version: int = 1
          ) -> dict:
    return {"batch_no": batch_no, "centre_code": A, "window_no": "01", "department": department,
            "channel": "express", "tracking_no": "SF123", "state": state, "return_reason": "",
            "case_nos": case_nos, "created_at": "2026-02-12T16:00:00+08:00",
            "sent_at": "2026-02-12T16:30:00+08:00" if state == "sent" else None, "closed_at": None,
            "version": version}


def window_sends(centre: Centre, cases: dict[int, str], batches: dict[str, tuple[list[int], str]]) -> None:
    """The window pushes the cases {serial: matter_code} and the sent batches {batch_no: (serials, dept)}."""
    ops = [case_op(A, "01", serial, matter_code=code, catalogue_version=VERSION) for serial, code in cases.items()]
    ops += [freeze_op("transfer.upsert", batch(no, [case_no(s) for s in serials], department=dept))
            for no, (serials, dept) in batches.items()]
    with CentralClient(centre.window_url) as client:
        answers = client.push(ops)
    assert [a["status"] for a in answers] == ["applied"] * len(ops), answers
