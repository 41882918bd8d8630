"""Statistics a centre head signs: figures of a period for a window, a centre, or (at the centre) a set of
centres, aggregated in SQL; the daily report of one window stays as it was (daily.py).

figures.py  the frozen result (StatsReport) and its tables, shared by the PDF, the XLSX, the CSV and the CLI
local.py    the figures from a window's local store (scope window | centre)
sqlparts.py the SQL both stores share in spirit: the working-day ordinals of the window calendar
export.py   XLSX (one sheet per table) and CSV (the case-level rows behind the figures)
central.py  the figures of one or several centres of a district from the central PostgreSQL (read-only),
            over case rows of the same shape (centralsql.py)
"""

from desktop.core.stats.daily import daily_stats, print_daily_report

__all__ = ["daily_stats", "print_daily_report"]


def report(store, *, start, end, scope: str = "window", actor, pdf=None, xlsx=None, csv=None):
    """The figures of a period (a supervisor: report_print), written as PDF / XLSX / CSV where asked;
    returns the StatsReport. Every file is written whole or not at all (a temporary name, then renamed)."""
    from desktop.core.stats import export, local
    from desktop.core.stats import pdf as pdf_out

    rep = local.statistics(store, start=start, end=end, scope=scope, actor=actor)
    for target, write in ((pdf, lambda p: p.write_bytes(pdf_out.render(rep, prepared_by=actor.name))),
                          (xlsx, lambda p: export.write_xlsx(rep, p)),
                          (csv, lambda p: export.write_csv(local.CSV_COLUMNS, local.case_rows(
                              store, start=rep.period_from, end=rep.period_to, scope=scope), p))):
        if target is not None:
            export.atomically(target, write)
    return rep
