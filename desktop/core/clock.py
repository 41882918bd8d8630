"""Shanghai wall-clock time (China has no daylight saving: a fixed +08:00 offset)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")

Clock = Callable[[], datetime]


def shanghai_now() -> datetime:
    """Now as a naive Shanghai wall-clock datetime, to the second (how the local store keeps times)."""
    return datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)


def to_iso(dt: datetime) -> str:
    """A naive Shanghai time as ISO 8601 with its +08:00 offset (how the central database receives it)."""
    return dt.replace(tzinfo=SHANGHAI).isoformat()
