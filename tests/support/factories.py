"""Intake objects for tests, in the documented JSON form, with valid identity numbers."""

from __future__ import annotations

from pathlib import Path

from tests.support.ids import ENTERPRISE_USCC, resident_id

DATA = Path(__file__).resolve().parents[1] / "data"
TEST_CATALOGUE = DATA / "catalogue_test.json"

__all__ = ["DATA", "TEST_CATALOGUE", "enterprise", "person", "residence_permit_intake", "resident_id"]


def person(name: str = "王小明", id_no: str | None = None, **extra) -> dict:
    return {"kind": "person", "name": name, "id_type": "resident_id",
            "id_no": id_no or resident_id("31010419900101123"), "phone": "13812345678", **extra}


def enterprise(uscc: str = ENTERPRISE_USCC) -> dict:
    return {"kind": "enterprise", "name": "上海一窗餐饮管理有限公司", "uscc": uscc,
            "contact": person("赵经理", resident_id("31011019850315201"))}


def residence_permit_intake(**materials) -> dict:
    states = {"M1": "e_licence", "M2": "paper", "M3": "paper"}
    states.update(materials)
    return {"matter": "T-PER-001", "applicant": person(), "agent": None, "materials": states, "note": ""}
