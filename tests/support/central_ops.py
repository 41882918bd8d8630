"""Central-database test data: two centres, a case.upsert payload and its frozen op, an admin query."""

from __future__ import annotations

from db.central import admin_connect, freeze_op

A, B = "310101", "310102"


def case_payload(centre: str, window_no: str, serial: int, *, version: int = 1, **over) -> dict:
    payload = {
        "case_no": f"{centre}{window_no}260212{serial:04d}",
        "matter_code": "SH-HJ-001",
        "catalogue_version": "2026.1",
        "outcome": "accepted",
        "received_at": "2026-02-12T09:30:00+08:00",
        "promised_date": "2026-02-26",
        "statutory_date": None,
        "centre_code": centre,
        "window_no": window_no,
        "clerk_login": "zhangsan",
        "applicant": {"kind": "person", "name": "张三", "id_no": "11010519491231002X"},
        "agent": None,
        "materials": [{"code": "M01", "state": "received", "copies": 1}],
        "note": "",
        "version": version,
    }
    payload.update(over)
    return payload


def case_op(centre: str, window_no: str, serial: int, **kw) -> dict:
    return freeze_op("case.upsert", case_payload(centre, window_no, serial, **kw))


def admin_scalar(url: str, query: str, params: tuple = ()):
    with admin_connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


# ---- schema ---------------------------------------------------------------------------------------
