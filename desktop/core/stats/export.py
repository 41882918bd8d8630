"""The statistics as XLSX (a 概况 sheet, then one sheet per table, the same numbers as the PDF) and as CSV
(the case-level rows behind the figures, UTF-8 with a BOM so that a spreadsheet opens it in Chinese).

openpyxl writes the workbook: pure Python, and it reads back what it wrote, which the tests use to check
the sheets against the report; XlsxWriter cannot read a workbook."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from desktop.core.stats.figures import StatsReport
from desktop.core.stats.pdf import cell_text

SUMMARY_SHEET = "概况"


def _sheet_title(title: str, used: set[str]) -> str:
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "表"
    base, n = name, 2
    while name in used:
        name = f"{base[:28]}{n}"
        n += 1
    used.add(name)
    return name


def write_xlsx(rep: StatsReport, out: Path) -> Path:
    """A write-only workbook: rows go to the file as they are appended (openpyxl keeps no cell objects), so a
    month whose due list holds a hundred thousand cases does not hold a million cells in memory."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    bold = Font(bold=True)

    def strong(ws, values) -> list:
        cells = []
        for v in values:
            c = WriteOnlyCell(ws, value=v)
            c.font = bold
            cells.append(c)
        return cells

    ws = wb.create_sheet(SUMMARY_SHEET)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width = 24, 60
    ws.append(["服务中心", f"{rep.centre_name}（{'、'.join(rep.centres) or rep.centre_code}）"])
    ws.append(["统计范围", rep.scope_label])
    ws.append(["统计期间", f"{rep.period_from.isoformat()} 至 {rep.period_to.isoformat()}"])
    ws.append(["生成时间", rep.generated_at.strftime("%Y-%m-%d %H:%M")])
    ws.append([])
    ws.append(strong(ws, ["项目", "数值"]))
    for label, value in rep.summary_rows():
        ws.append([label, value])
    used = {SUMMARY_SHEET}
    for t in rep.tables:
        sh = wb.create_sheet(_sheet_title(t.title, used))
        sh.column_dimensions["A"].width = 32
        if t.more:  # a list the report holds the first rows of (tables.due_table): said before the rows
            sh.append([t.omitted(len(t.rows), "件")])
        sh.append(strong(sh, list(t.columns)))
        for row in t.rows:
            sh.append([v if isinstance(v, int | float) else cell_text(v) for v in row])
        if t.total:
            sh.append(strong(sh, list(t.total)))
        if t.note:
            sh.append([])
            sh.append([t.note])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def write_csv(columns: Iterable[str], rows: Iterable[tuple], out: Path) -> Path:
    """Rows streamed to `out` (1/0 for yes/no, empty for unknown)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(columns))
        for row in rows:
            w.writerow(["" if v is None else int(v) if isinstance(v, bool) else v for v in row])
    return out


def atomically(out: Path, write) -> Path:
    """write(tmp) then rename to `out`: a failed export leaves no half file behind."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    try:
        write(tmp)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
