"""The loop's centre as the central tests meet it (c0006+): two windows of centre A, one of B, the police and
civil-affairs departments of A (and police of B), and helpers to push cases and batches. Test code only."""

from __future__ import annotations

import json

from db.central import CentralClient, OfficeClient, add_department, freeze_op, publish_catalogue, upsert_user
from tests.support.central_ops import A, B, case_op

__all__ = ["APPROVE", "CATALOGUE", "CIVIL", "POLICE", "VERSION", "Loop", "batch", "no", "op", "steps", "A", "B"]

VERSION = "2026.L"
POLICE, CIVIL = "上海市公安局", "上海市民政局"
CATALOGUE = {"version": VERSION, "matters": [
    {"code": "SH-HJ-001", "name": "户口迁移", "department": POLICE},
    {"code": "SH-MZ-002", "name": "婚姻登记证明", "department": CIVIL, "review_steps": ["handle", "decide"]},
]}
APPROVE = {"decision": "approve", "doc_name": "准予迁入通知书", "doc_no": "沪公户〔2026〕1号", "copies": 2}


def no(centre: str, window_no: str, serial: int) -> str:
    return f"{centre}{window_no}260212{serial:04d}"


def op(centre: str, window_no: str, serial: int, **kw) -> dict:
    return case_op(centre, window_no, serial, catalogue_version=VERSION, **kw)


def batch(centre: str, window_no: str, serial: int, case_nos: list[str], *, state: str = "sent", version: int = 1,
          department: str = POLICE) -> dict:
    return freeze_op("transfer.upsert", {
        "batch_no": f"LZ{centre}{window_no}260212{serial:03d}", "centre_code": centre, "window_no": window_no,
        "department": department, "channel": "online", "tracking_no": "", "state": state, "return_reason": "",
        "case_nos": case_nos, "created_at": "2026-02-12T16:00:00+08:00",
        "sent_at": "2026-02-12T16:05:00+08:00" if state != "waiting" else None, "version": version})


class Loop:
    """Two windows of centre A, one of B, the police and civil-affairs departments of A (and police of B)."""

    def __init__(self, central_url, window, ca):
        self.url, self.ca = central_url, ca
        publish_catalogue(central_url, json.dumps(CATALOGUE, ensure_ascii=False))
        self.w = {(c, n): window(c, n) for c, n in ((A, "01"), (A, "02"), (B, "01"))}
        self.d = {(c, d): add_department(central_url, c, d) for c, d in ((A, POLICE), (A, CIVIL), (B, POLICE))}
        # 承办, 审核 and 决定 are three people (c0008): wang, qian, sun at A's police; li, zhou at A's civil affairs
        for login, centre, dept in (("wang", A, POLICE), ("qian", A, POLICE), ("sun", A, POLICE), ("li", A, CIVIL),
                                    ("zhou", A, CIVIL), ("zhao", B, POLICE)):
            upsert_user(central_url, {"login": login, "name": f"部门{login}", "staff_no": login, "role": "backoffice",
                                      "password_hash": "argon2-hash", "centre_code": centre, "department": dept})

    def window(self, centre=A, window_no="01") -> CentralClient:
        return CentralClient(self.w[(centre, window_no)])

    def office(self, centre=A, department=POLICE) -> OfficeClient:
        return OfficeClient(self.d[(centre, department)], ca_cert=self.ca)

    def push(self, *ops, centre=A, window_no="01") -> list[dict]:
        with self.window(centre, window_no) as w:
            return w.push(list(ops))

    def signed_case(self, serial=1, **kw) -> str:
        """A police case of A/01, sent in a batch and signed for by the police."""
        case_no = no(A, "01", serial)
        answers = self.push(op(A, "01", serial, **kw), batch(A, "01", serial, [case_no]))
        assert [a["status"] for a in answers] == ["applied", "applied"], answers
        with self.office() as o:
            o.sign("wang", f"LZ{A}01260212{serial:03d}")
        return case_no


def steps(url: str, case_no: str) -> list[tuple]:
    from tests.support.central_ops import admin_connect

    with admin_connect(url) as con:
        return con.execute("SELECT event, window_no, department, actor_login, version FROM yc.case_steps "
                           "WHERE case_no = %s ORDER BY id", (case_no,)).fetchall()
