"""The working-day clock: statutory holidays and make-up workdays, refusing years with no published data."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from desktop.core.errors import BadInput, CalendarNoData
from desktop.core.textcheck import check_plain, load_json

__all__ = [
    "HOLIDAY",
    "WORKDAY",
    "WorkdayCalendar",
    "parse_calendar_file",
    "seed_from_chinesecalendar",
    "supported_seed_years",
    "version_of",
]

HOLIDAY = "holiday"  # a day off (usually a weekday inside a statutory holiday)
WORKDAY = "workday"  # a make-up workday (调休): a Saturday or Sunday declared a working day
_KINDS = (HOLIDAY, WORKDAY)

_HOLIDAY_NAMES_ZH = {
    "new_years_day": "元旦",
    "spring_festival": "春节",
    "tomb_sweeping_day": "清明节",
    "labour_day": "劳动节",
    "dragon_boat_festival": "端午节",
    "national_day": "国庆节",
    "mid_autumn_festival": "中秋节",
    "anti_fascist_70th_day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _no_data(year: int) -> CalendarNoData:
    return CalendarNoData(
        "E_CALENDAR_NO_DATA",
        f"{year} 年的节假日安排尚未导入，无法计算工作日。请管理员导入该年度日历。",
        field="calendar",
    )


class WorkdayCalendar:
    """Working days for the years whose holiday arrangements have been published and imported.

    A weekday is a workday unless overridden as "holiday"; a Saturday or Sunday is off unless
    overridden as "workday". Any question about a date outside `years` raises CalendarNoData:
    the next year's arrangement is never guessed.
    """

    def __init__(self, years: Iterable[int], overrides: Mapping[date, str]) -> None:
        self._years = frozenset(int(y) for y in years)
        clean: dict[date, str] = {}
        for day, kind in overrides.items():
            if kind not in _KINDS:
                raise ValueError(f"override for {day} must be 'holiday' or 'workday', not {kind!r}")
            clean[day] = kind
        self._overrides = clean
        self.version = version_of(clean, self._years)

    @property
    def years(self) -> frozenset[int]:
        return self._years

    @property
    def overrides(self) -> Mapping[date, str]:
        return dict(self._overrides)

    def has_year(self, year: int) -> bool:
        return year in self._years

    def is_workday(self, d: date) -> bool:
        """True if `d` is a working day; raises CalendarNoData for a year without data."""
        if d.year not in self._years:
            raise _no_data(d.year)
        kind = self._overrides.get(d)
        if kind is not None:
            return kind == WORKDAY
        return d.weekday() < 5

    def add_workdays(self, start: date, n: int) -> date:
        """The date `n` working days after `start`, not counting `start` itself.

        n = 0 returns `start` (an on-the-spot deadline is the day of intake). A negative n counts
        backwards. Every date walked over must lie in a year with data.
        """
        if n == 0:
            self.is_workday(start)  # still refuse a start in a year without data
            return start
        step = timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        day = start
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def try_add_workdays(self, start: date, n: int) -> date | None:
        """`add_workdays`, or None when the count reaches into a year whose holidays are not yet published.

        Used where a deadline may be left provisional (待定) at year end instead of refusing the intake."""
        try:
            return self.add_workdays(start, n)
        except CalendarNoData:
            return None

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b is before a. add_workdays(a, result) <= b."""
        if b < a:
            return -self.workdays_between(b, a)
        self.is_workday(a)
        count = 0
        day = a
        one = timedelta(days=1)
        while day < b:
            day += one
            if self.is_workday(day):
                count += 1
        return count

    @classmethod
    def from_rows(cls, years: Iterable[int], rows: Iterable[tuple[date, str, str]]) -> WorkdayCalendar:
        """Build from (date, kind, name) rows as returned by seed/parse functions."""
        return cls(years, {d: kind for d, kind, _name in rows})


def supported_seed_years() -> set[int]:
    """Years the installed chinesecalendar package has data for."""
    import chinese_calendar

    return {d.year for d in chinese_calendar.holidays}


def seed_from_chinesecalendar(years: Iterable[int]) -> list[tuple[date, str, str]]:
    """(date, kind, Chinese holiday name) rows from the chinesecalendar package, sorted by date.

    Years the package does not cover are skipped (check `supported_seed_years()`); the caller must
    not mark them as having data.
    """
    import chinese_calendar

    wanted = set(years) & supported_seed_years()
    rows: list[tuple[date, str, str]] = []
    for table, kind in ((chinese_calendar.holidays, HOLIDAY), (chinese_calendar.workdays, WORKDAY)):
        for day, holiday in table.items():
            if day.year not in wanted:
                continue
            if kind == WORKDAY and day.weekday() < 5:
                continue  # an ordinary weekday: nothing to override
            rows.append((day, kind, _zh_name(holiday)))
    rows.sort()
    return rows


def _zh_name(holiday: object) -> str:
    """Chinese name for a chinesecalendar holiday (an enum member or its English value)."""
    import chinese_calendar

    if holiday is None:
        return ""
    for member in chinese_calendar.Holiday:
        if holiday is member or holiday == member.value or holiday == member.name:
            return _HOLIDAY_NAMES_ZH.get(member.name, member.value)
    return str(holiday)


def version_of(overrides: Mapping[date, str], years: Iterable[int] | None = None) -> str:
    """A short stable hash of the calendar content; cases record it with their deadline."""
    lines = [f"{d.isoformat()}={kind}" for d, kind in sorted(overrides.items())]
    if years is not None:
        lines.insert(0, "years=" + ",".join(str(y) for y in sorted(set(years))))
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:12]


MAX_CALENDAR_CHARS = 1_000_000
MAX_CALENDAR_YEARS = 10
MAX_DAY_NAME = 60


def _file_error(message: str, field: str) -> BadInput:
    return BadInput("E_CALENDAR_FILE", message, field=field)


def parse_calendar_file(text: str) -> tuple[set[int], list[tuple[date, str, str]]]:
    """Parse an administrator's calendar import; every error names the entry at fault.

    Format: {"years": [2027], "days": [{"date": "2027-01-01", "kind": "holiday", "name": "元旦"}, ...]}.
    Every day must fall in a listed year; each listed year needs at least one holiday entry (a year
    with none is almost certainly not the published arrangement); "workday" is only for a Saturday
    or Sunday.
    """
    if len(text) > MAX_CALENDAR_CHARS:
        raise _file_error(f"日历文件过大（超过 {MAX_CALENDAR_CHARS} 个字符）", "calendar")
    try:
        data = load_json(text, "日历文件", field="calendar", max_depth=4)
    except BadInput as exc:
        raise _file_error(exc.message, exc.field or "calendar") from None
    if not isinstance(data, dict):
        raise _file_error("日历文件应为 JSON 对象，包含 years 和 days", "calendar")
    years_raw = data.get("years")
    if not isinstance(years_raw, list) or not years_raw:
        raise _file_error("字段 years：应为非空的年份列表，如 [2027]", "years")
    years: set[int] = set()
    for i, y in enumerate(years_raw, start=1):
        if isinstance(y, bool) or not isinstance(y, int) or not 1949 <= y <= 2100:
            raise _file_error(f"字段 years 第 {i} 项：{y!r} 不是有效年份", f"years[{i - 1}]")
        years.add(y)
    if len(years_raw) > MAX_CALENDAR_YEARS:
        raise _file_error(f"字段 years：一次最多导入 {MAX_CALENDAR_YEARS} 个年度", "years")
    days_raw = data.get("days")
    if not isinstance(days_raw, list):
        raise _file_error("字段 days：应为列表", "days")
    if len(days_raw) > 366 * len(years):
        raise _file_error(f"字段 days：{len(days_raw)} 条多于所列年度的天数", "days")
    rows: list[tuple[date, str, str]] = []
    seen: dict[date, int] = {}
    for i, entry in enumerate(days_raw, start=1):
        where = f"days[{i - 1}]"
        if not isinstance(entry, dict):
            raise _file_error(f"第 {i} 条：应为对象", where)
        raw_date = entry.get("date")
        label = f"第 {i} 条（{raw_date}）" if isinstance(raw_date, str) else f"第 {i} 条"
        try:
            day = date.fromisoformat(raw_date) if isinstance(raw_date, str) and len(raw_date) == 10 else None
        except ValueError:
            day = None
        if day is None:
            raise _file_error(f"{label}字段 date：应为 YYYY-MM-DD 格式的有效日期", f"{where}.date")
        if day.year not in years:
            raise _file_error(f"{label}字段 date：{day.year} 年不在 years 列表中", f"{where}.date")
        if day in seen:
            raise _file_error(f"{label}字段 date：与第 {seen[day]} 条日期重复", f"{where}.date")
        seen[day] = i
        kind = entry.get("kind")
        if kind not in _KINDS:
            raise _file_error(
                f"{label}字段 kind：应为 holiday（放假）或 workday（调休上班）", f"{where}.kind"
            )
        if kind == WORKDAY and day.weekday() < 5:
            raise _file_error(f"{label}字段 kind：workday（调休上班）只能用于星期六或星期日", f"{where}.kind")
        name = entry.get("name", "")
        if name is None:
            name = ""
        if not isinstance(name, str):
            raise _file_error(f"{label}字段 name：应为文字", f"{where}.name")
        if len(name) > MAX_DAY_NAME:
            raise _file_error(f"{label}字段 name：过长（最多 {MAX_DAY_NAME} 个字符）", f"{where}.name")
        check_plain(name, f"{where}.name", f"{label}字段 name")
        rows.append((day, kind, name.strip()))
    for y in sorted(years):
        if not any(d.year == y and kind == HOLIDAY for d, kind, _ in rows):
            raise _file_error(f"{y} 年没有任何放假条目：请导入国务院公布的该年度完整安排", "days")
    rows.sort()
    return years, rows
