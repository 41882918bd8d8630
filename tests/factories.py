"""Intake objects for tests, in the documented JSON form, with valid identity numbers."""

from pathlib import Path

DATA = Path(__file__).parent / "data"

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(body17: str) -> str:
    """A resident ID with its GB 11643 check character (written independently of the product code)."""
    r = sum(int(c) * w for c, w in zip(body17, WEIGHTS)) % 11
    return body17 + "10X98765432"[r]



def person(name: str = "王小明", id_no: str | None = None, **extra) -> dict:
    return {"kind": "person", "name": name, "id_type": "resident_id",
            "id_no": id_no or resident_id("31010419900101123"), "phone": "13812345678", **extra}


def enterprise(uscc: str = "91512081MA62K0260E") -> dict:
    return {"kind": "enterprise", "name": "上海一窗餐饮管理有限公司", "uscc": uscc,
            "contact": person("赵经理", resident_id("31011019850315201"))}


def residence_permit_intake(**materials) -> dict:
    states = {"M1": "e_licence", "M2": "paper", "M3": "paper"}
    states.update(materials)
    return {"matter": "T-PER-001", "applicant": person(), "agent": None, "materials": states, "note": ""}
