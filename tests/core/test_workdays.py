"""Tests for the working-day clock against the published 2025/2026 arrangements."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.core.errors import BadInput, CalendarNoData
from desktop.core.workdays import (
    WorkdayCalendar,
    parse_calendar_file,
    seed_from_chinesecalendar,
    supported_seed_years,
    version_of,
)


@pytest.fixture(scope="module")
def cal() -> WorkdayCalendar:
    return WorkdayCalendar.from_rows({2025, 2026}, seed_from_chinesecalendar({2025, 2026}))


def test_domain_worked_examples(cal):
    assert cal.add_workdays(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert cal.add_workdays(date(2025, 9, 26), 20) == date(2025, 10, 30)


@pytest.mark.parametrize("md", ["01-04", "02-14", "02-28", "05-09", "09-20", "10-10"])
def test_2026_make_up_days_are_workdays(cal, md):
    day = date.fromisoformat(f"2026-{md}")
    assert day.weekday() >= 5
    assert cal.is_workday(day)


@pytest.mark.parametrize("iso", ["2026-01-01", "2026-02-16", "2026-02-23", "2026-10-01", "2026-10-07"])
def test_statutory_holidays_are_off(cal, iso):
    assert not cal.is_workday(date.fromisoformat(iso))


def test_ordinary_weekend_and_weekday(cal):
    assert not cal.is_workday(date(2026, 3, 7))  # Saturday
    assert cal.is_workday(date(2026, 3, 9))  # Monday


def test_2027_is_refused(cal):
    with pytest.raises(CalendarNoData) as info:
        cal.is_workday(date(2027, 1, 4))
    assert info.value.code == "E_CALENDAR_NO_DATA"
    assert "2027 年的节假日安排尚未导入" in info.value.message
    assert isinstance(info.value, BadInput)


def test_counting_into_a_year_without_data_is_refused(cal):
    with pytest.raises(CalendarNoData):
        cal.add_workdays(date(2026, 12, 20), 20)
    with pytest.raises(CalendarNoData):
        cal.workdays_between(date(2026, 12, 1), date(2027, 1, 10))


def test_zero_days_returns_start(cal):
    assert cal.add_workdays(date(2026, 3, 9), 0) == date(2026, 3, 9)
    with pytest.raises(CalendarNoData):
        cal.add_workdays(date(2027, 3, 9), 0)


def test_start_day_is_not_counted(cal):
    assert cal.add_workdays(date(2026, 3, 9), 1) == date(2026, 3, 10)  # Monday -> Tuesday
    assert cal.add_workdays(date(2026, 3, 6), 1) == date(2026, 3, 9)  # Friday -> Monday
    assert cal.add_workdays(date(2026, 3, 7), 1) == date(2026, 3, 9)  # received on a Saturday


def test_negative_counts_backwards(cal):
    assert cal.add_workdays(date(2026, 2, 26), -5) == date(2026, 2, 12)


def test_workdays_between(cal):
    assert cal.workdays_between(date(2026, 2, 12), date(2026, 2, 26)) == 5
    assert cal.workdays_between(date(2026, 2, 26), date(2026, 2, 12)) == -5
    assert cal.workdays_between(date(2026, 3, 9), date(2026, 3, 9)) == 0


@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31)), st.integers(0, 30))
def test_add_and_between_agree(start, n):
    cal = WorkdayCalendar.from_rows({2025, 2026}, seed_from_chinesecalendar({2025, 2026}))
    end = cal.add_workdays(start, n)
    assert cal.workdays_between(start, end) == n
    if n:
        assert cal.is_workday(end)


def test_seed_names_are_chinese():
    rows = seed_from_chinesecalendar([2026])
    names = {name for _, _, name in rows}
    assert {"元旦", "春节", "国庆节"} <= names
    assert all(d.year == 2026 for d, _, _ in rows)
    assert all(kind in ("holiday", "workday") for _, kind, _ in rows)


def test_seed_skips_unsupported_years():
    assert 2026 in supported_seed_years()
    assert seed_from_chinesecalendar([2099]) == []


def test_version_is_stable_and_content_sensitive():
    a = {date(2026, 1, 1): "holiday", date(2026, 1, 4): "workday"}
    b = dict(reversed(list(a.items())))
    assert version_of(a) == version_of(b)
    assert len(version_of(a)) == 12
    assert version_of(a) != version_of({date(2026, 1, 1): "holiday"})
    assert WorkdayCalendar({2026}, a).version == WorkdayCalendar({2026}, b).version
    assert WorkdayCalendar({2026}, a).version != WorkdayCalendar({2026, 2027}, a).version


def test_bad_override_kind():
    with pytest.raises(ValueError):
        WorkdayCalendar({2026}, {date(2026, 1, 1): "vacation"})


# --- the administrator's import file ----------------------------------------------------------


def calendar_2027(**changes) -> str:
    days = [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-02-06", "kind": "workday", "name": "春节"},  # a Saturday
        {"date": "2027-02-08", "kind": "holiday", "name": "春节"},
    ]
    data = {"years": [2027], "days": days}
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


def test_parse_calendar_file():
    years, rows = parse_calendar_file(calendar_2027())
    assert years == {2027}
    assert rows[0] == (date(2027, 1, 1), "holiday", "元旦")
    cal = WorkdayCalendar.from_rows(years, rows)
    assert cal.is_workday(date(2027, 2, 6))
    assert not cal.is_workday(date(2027, 2, 8))
    assert cal.add_workdays(date(2027, 2, 5), 1) == date(2027, 2, 6)


def bad(text: str) -> BadInput:
    with pytest.raises(BadInput) as info:
        parse_calendar_file(text)
    assert info.value.code == "E_CALENDAR_FILE"
    return info.value


def test_truncated_json_gives_line_and_column():
    e = bad(calendar_2027()[:40])
    assert "第 1 行" in e.message


@pytest.mark.parametrize(
    ("entry", "field", "fragment"),
    [
        ({"date": "2027-02-30", "kind": "holiday"}, "days[3].date", "第 4 条"),
        ({"date": "2028-01-01", "kind": "holiday"}, "days[3].date", "2028 年不在"),
        ({"date": "2027-01-01", "kind": "holiday"}, "days[3].date", "重复"),
        ({"date": "2027-03-01", "kind": "off"}, "days[3].kind", "（2027-03-01）字段 kind"),
        ({"date": "2027-03-01", "kind": "workday"}, "days[3].kind", "星期六或星期日"),
        ({"date": "2027-03-06", "kind": "workday", "name": 5}, "days[3].name", "name"),
    ],
)
def test_each_bad_entry_is_named(entry, field, fragment):
    days = json.loads(calendar_2027())["days"] + [entry]
    e = bad(calendar_2027(days=days))
    assert e.field == field
    assert fragment in e.message


def test_year_without_holidays_is_refused():
    e = bad(calendar_2027(years=[2027, 2028]))
    assert "2028 年没有任何放假条目" in e.message


@pytest.mark.parametrize("years", [[], "2027", [True], [1800]])
def test_bad_years(years):
    assert bad(calendar_2027(years=years)).field.startswith("years")


def test_all_seeded_days_round_trip_through_the_file_format():
    rows = seed_from_chinesecalendar([2026])
    text = json.dumps(
        {"years": [2026], "days": [{"date": d.isoformat(), "kind": k, "name": n} for d, k, n in rows]}
    )
    assert parse_calendar_file(text) == ({2026}, rows)


def test_every_day_of_2026_is_decided(cal):
    day = date(2026, 1, 1)
    count = 0
    while day.year == 2026:
        count += cal.is_workday(day)
        day += timedelta(days=1)
    assert 245 <= count <= 252
