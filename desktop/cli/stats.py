"""`yichuang stats`: the figures of any period for this window or its centre (a supervisor), as JSON on
stdout, and as PDF / XLSX / CSV files where asked; `yichuang report range` writes one file, its format
following the extension."""

from __future__ import annotations

from pathlib import Path

from desktop.cli.common import _actor, _parse_date, _print_json, _services, add_clerk
from desktop.core.errors import BadInput

FORMATS = {".pdf": "pdf", ".xlsx": "xlsx", ".csv": "csv"}


def _run(args, files: dict) -> int:
    start = _parse_date(args.date_from, "from")
    end = _parse_date(args.date_to, "to") if args.date_to else start
    svc = _services(args)
    try:
        actor = _actor(args, svc, "report_print")
        rep = svc.statistics(start=start, end=end, scope=args.scope, actor=actor, **files)
    finally:
        svc.close()
    out = rep.as_json()
    out["files"] = {k: str(v) for k, v in files.items() if v is not None}
    _print_json(out)
    return 0


def cmd_stats(args) -> int:
    return _run(args, {"pdf": Path(args.pdf) if args.pdf else None, "xlsx": Path(args.xlsx) if args.xlsx else None,
                       "csv": Path(args.csv) if args.csv else None})


def cmd_report_range(args) -> int:
    kind = FORMATS.get(Path(args.out).suffix.lower())
    if kind is None:
        raise BadInput("E_FORMAT", "输出文件的扩展名应为 .pdf、.xlsx 或 .csv", field="out")
    return _run(args, {kind: Path(args.out)})


def _period_args(sp) -> None:
    sp.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
    sp.add_argument("--to", dest="date_to", help="YYYY-MM-DD (default: the same day)")
    sp.add_argument("--scope", default="window", choices=["window", "centre"],
                    help="this window, or every case of the centre synced here")
    add_clerk(sp)


def add_stats_commands(sub, add, report_parser) -> None:
    """Register `stats` and `report range` (`add` as in build_parser)."""
    sp = add("stats", cmd_stats, "statistics of a period (a supervisor): JSON, and --pdf/--xlsx/--csv files")
    _period_args(sp)
    sp.add_argument("--pdf", help="write the signed-off A4 report here")
    sp.add_argument("--xlsx", help="write the tables here, one sheet each")
    sp.add_argument("--csv", help="write the case-level rows here")
    sp = add("range", cmd_report_range, "statistics of a period as one file (.pdf, .xlsx or .csv)", report_parser)
    _period_args(sp)
    sp.add_argument("--out", required=True)


def _central_run(args, files: dict) -> int:
    from desktop.core.stats import central

    start = _parse_date(args.date_from, "from")
    end = _parse_date(args.date_to, "to") if args.date_to else start
    today = _parse_date(args.as_of, "as_of") if args.as_of else None
    rep = central.report(args.url, centres=args.centre, start=start, end=end, today=today,
                         prepared_by=args.prepared_by or "", **files)
    out = rep.as_json()
    out["files"] = {k: str(v) for k, v in files.items() if v is not None}
    _print_json(out)
    return 0


def cmd_central_stats(args) -> int:
    return _central_run(args, {k: Path(getattr(args, k)) if getattr(args, k) else None for k in FORMATS.values()})


def cmd_central_report(args) -> int:
    kind = FORMATS.get(Path(args.out).suffix.lower())
    if kind is None:
        raise BadInput("E_FORMAT", "输出文件的扩展名应为 .pdf、.xlsx 或 .csv", field="out")
    return _central_run(args, {kind: Path(args.out)})


def _central_args(sp) -> None:
    sp.add_argument("url", help="the centre's administrator URL (a hot standby will do: nothing is written)")
    sp.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
    sp.add_argument("--to", dest="date_to", help="YYYY-MM-DD (default: the same day)")
    sp.add_argument("--centre", action="append", required=True, help="a centre of the district (repeat for more)")
    sp.add_argument("--as-of", dest="as_of", help="the day overdue and near due are counted on (default: today)")
    sp.add_argument("--prepared-by", dest="prepared_by", help="the 制表 name on the PDF")


def add_central_stats_commands(add, central_parser) -> None:
    """Register `central stats` and `central report` (the district's statistics from the central database)."""
    sp = add("stats", cmd_central_stats, "statistics of a period for centres of a district (JSON, and "
             "--pdf/--xlsx/--csv files), read-only", central_parser)
    _central_args(sp)
    sp.add_argument("--pdf", help="write the signed-off A4 report here")
    sp.add_argument("--xlsx", help="write the tables here, one sheet each")
    sp.add_argument("--csv", help="write the case-level rows here")
    sp = add("report", cmd_central_report, "statistics of a period for centres of a district as one file "
             "(.pdf, .xlsx or .csv), read-only", central_parser)
    _central_args(sp)
    sp.add_argument("--out", required=True)
