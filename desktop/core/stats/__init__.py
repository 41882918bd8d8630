"""Statistics a centre head signs: figures of a period for a window, a centre, or (at the centre) a set of
centres, aggregated in SQL; the daily report of one window stays as it was (daily.py).

figures.py  the frozen result (StatsReport) and its tables, shared by the PDF, the XLSX, the CSV and the CLI
local.py    the figures from a window's local store (scope window | centre)
sqlparts.py the SQL both stores share in spirit: the working-day ordinals of the window calendar
export.py   XLSX (one sheet per table) and CSV (the case-level rows behind the figures)
"""

from desktop.core.stats.daily import daily_stats, print_daily_report

__all__ = ["daily_stats", "print_daily_report"]
