"""两个集中: which kind of centre takes a matter. District centres (区行政服务中心) take enterprise matters,
street/town centres (街镇社区事务受理服务中心) personal ones; the catalogue says per matter where it is taken
(`centre_types`, default both) and `init --centre-type` says what this window's centre is."""

from __future__ import annotations

from desktop.core.errors import BadInput
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
