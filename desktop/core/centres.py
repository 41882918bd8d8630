"""两个集中: which kind of centre takes a matter. District centres (区行政服务中心) take enterprise matters,
street/town centres (街镇社区事务受理服务中心) personal ones; the catalogue says per matter where it is taken
(`centre_types`, default both) and `init --centre-type` says what this window's centre is."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from desktop.core.errors import BadInput
from desktop.core.textcheck import forbidden_char
from desktop.core.types import Matter

CENTRE_TYPES = ("district", "street")
CENTRE_TYPE_LABELS = {"district": "区行政服务中心", "street": "街镇社区事务受理服务中心"}


def check_centre_type(value: str) -> str:
    """The centre type as stored ('' = not set: every matter is taken), or BadInput naming the choices."""
    value = (value or "").strip()
    if value and value not in CENTRE_TYPES:
        raise BadInput("E_CENTRE_TYPE", f"中心类型“{value[:20]}”无效：应为 district（区行政服务中心）"
                       "或 street（街镇社区事务受理服务中心）", field="centre_type")
    return value


def taken_here(matter: Matter, centre_type: str) -> bool:
    """Is `matter` taken at a centre of `centre_type`? A window whose type is not set takes every matter."""
    return not centre_type or centre_type in matter.centre_types


def where_to_go(matter: Matter) -> str:
    return "或".join(CENTRE_TYPE_LABELS[t] for t in matter.centre_types)


def wrong_centre_message(matter: Matter, centre_type: str) -> str:
    return (f"事项“{matter.name}”不在{CENTRE_TYPE_LABELS[centre_type]}受理（两个集中）：请申请人到{where_to_go(matter)}"
            "办理。")


def require_taken_here(matter: Matter, centre_type: str) -> None:
    """BadInput (exit 2) naming where to go when this kind of centre does not take the matter."""
    if not taken_here(matter, centre_type):
        raise BadInput("E_WRONG_CENTRE", wrong_centre_message(matter, centre_type), field="matter")


# ----- the centre directory (导办): carried in the catalogue file as a top-level "centres" list

@dataclass(frozen=True)
class CentreEntry:
    """One centre of the directory a 导办单 names: where to go, how to reach it, when it is open."""

    code: str
    name: str
    type: str  # district | street
    address: str
    phone: str
    hours: str


#: the fields of one directory entry (all text; `type` one of CENTRE_TYPES); any other is refused
ENTRY_FIELDS = ("code", "name", "type", "address", "phone", "hours")
_LIMITS = {"code": 16, "name": 200, "type": 16, "address": 300, "phone": 64, "hours": 200}
MAX_CENTRES = 2000


def parse_directory(raw: Any, problems: list[tuple[str, str]]) -> tuple[CentreEntry, ...]:
    """The catalogue's "centres" list as entries; each problem is appended as (field path, Chinese message).
    Absent (None): an empty directory."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_CENTRES:
        problems.append(("centres", f"字段 centres：应为中心名录列表（最多 {MAX_CENTRES} 个）"))
        return ()
    out: list[CentreEntry] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"centres[{i}]"
        if not isinstance(item, dict):
            problems.append((where, f"中心名录第 {i + 1} 项应为对象（{'、'.join(ENTRY_FIELDS)}）"))
            continue
        unknown = [k for k in item if k not in ENTRY_FIELDS]
        if unknown:
            problems.append((f"{where}.{str(unknown[0])[:40]}", f"中心名录第 {i + 1} 项含有未知字段“{str(unknown[0])[:40]}”"))
            continue
        values = {}
        for key in ENTRY_FIELDS:
            value = item.get(key, "")
            if not isinstance(value, str) or len(value.strip()) > _LIMITS[key] or forbidden_char(value):
                problems.append((f"{where}.{key}", f"中心名录第 {i + 1} 项字段 {key} 应为不超过 {_LIMITS[key]} 字的文本"))
                break
            values[key] = value.strip()
        else:
            if not values["code"] or not values["name"] or not values["address"]:
                problems.append((where, f"中心名录第 {i + 1} 项须有 code、name 和 address"))
            elif values["type"] not in CENTRE_TYPES:
                problems.append((f"{where}.type", f"中心名录第 {i + 1} 项 type 应为 district 或 street"))
            elif values["code"] in seen:
                problems.append((f"{where}.code", f"中心名录第 {i + 1} 项编码 {values['code']} 重复"))
            else:
                seen.add(values["code"])
                out.append(CentreEntry(**values))
    return tuple(out)


def directory_json(entries: tuple[CentreEntry, ...]) -> list[dict[str, str]]:
    return [{k: getattr(e, k) for k in ENTRY_FIELDS} for e in entries]


def directory_from_json(text: str) -> tuple[CentreEntry, ...]:
    data = json.loads(text or "[]")
    return tuple(CentreEntry(**{k: str(d.get(k, "")) for k in ENTRY_FIELDS}) for d in data)


def centres_for(matter: Matter, directory: tuple[CentreEntry, ...]) -> list[CentreEntry]:
    """The centres of the directory that take `matter` (by their type), in the directory's order."""
    return [c for c in directory if c.type in matter.centre_types]
