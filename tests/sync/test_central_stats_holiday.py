"""节假日办理 at the centre: the weekend intakes a window sent are counted from the central database exactly as
the window counts them (the hand-counted week of tests/support/holiday_history.py)."""

from __future__ import annotations

from datetime import date

from db.central import publish_calendar
from desktop.core import workcalendar
from desktop.core.stats import central, local
from tests.support.central_ops import publish_store_catalogues
from tests.support.holiday_history import HOLIDAY_ROWS, HOLIDAY_TOTAL, build

XH = "310104"


def test_the_centre_counts_holiday_intakes_as_the_window_does(services, clock, window, central_url):
    services.set_central(url=window(XH, "01", centre_name="徐汇区行政服务中心", catalogue=None))
    publish_store_catalogues(central_url, services)
    cal = workcalendar.calendar(services.store)
    publish_calendar(central_url, {"years": sorted(cal.years), "days": [
        {"date": d.isoformat(), "kind": k, "name": ""} for d, k in sorted(cal.overrides.items())]})
    build(services, clock)
    services.sync_round()
    start, end = date(2026, 11, 23), date(2026, 11, 29)
    at_centre = central.compute(central_url, centres=[XH], start=start, end=end, today=end)
    at_window = local.compute(services.store, start=start, end=end, scope="centre")
    for rep in (at_centre, at_window):
        assert (rep.volumes.received, rep.volumes.holiday) == (7, 4)
        assert rep.table("holiday").rows == HOLIDAY_ROWS and rep.table("holiday").total == HOLIDAY_TOTAL
