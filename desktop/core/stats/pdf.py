"""The statistics report on A4: header (centre, scope, period), summary, bar and trend charts, the tables,
口径说明, and a sign-off block (制表 / 审核 / 负责人, date); every page numbered 第 N 页 共 M 页."""

from __future__ import annotations

import io
import math

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from desktop.core.documents.blocks import fields_table, section, table
from desktop.core.documents.layout import PAPERS, Styles, styles
from desktop.core.documents.text import esc, fmt_datetime
from desktop.core.labels import RATING_LEVELS
from desktop.core.stats.figures import StatsReport, num, pct
from desktop.core.stats.figures import Table as StatTable

BLUE, GREEN = colors.HexColor("#2f6db5"), colors.HexColor("#3a9a5b")


def cell_text(value) -> str:
    """How a table cell prints (the XLSX holds the same value, unformatted where it is a number)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return num(value)
    return str(value)


def axis_step(top: int) -> int:
    """A friendly integer step giving about five ticks up to `top` (1, 2, 5, 10, 20, 50 ...)."""
    if top <= 5:
        return 1
    raw = top / 5
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return int(m * mag)
    return int(10 * mag)


def _value_axis(axis, top: int, st: Styles) -> None:
    step = axis_step(top)
    axis.valueMin = 0
    axis.valueMax = max(step, math.ceil(top / step) * step)
    axis.valueStep = step
    axis.labels.fontName = st.font
    axis.labels.fontSize = 7.5
    axis.labelTextFormat = "%d"


def _title(d: Drawing, width: float, height: float, text: str, st: Styles) -> None:
    d.add(String(width / 2, height - 5 * mm, text, fontName=st.font, fontSize=9, textAnchor="middle"))


def bar_chart(rows: list[tuple[str, int]], title: str, width: float, st: Styles) -> Drawing:
    height = 62 * mm
    d = Drawing(width, height)
    d.initialFontName = st.font
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 12 * mm
    chart.width, chart.height = width - 20 * mm, height - 22 * mm
    values = [int(n) for _, n in rows]
    chart.data = [values]
    chart.categoryAxis.categoryNames = [lb for lb, _ in rows]
    chart.categoryAxis.labels.fontName = st.font
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.dy = -2
    _value_axis(chart.valueAxis, max(values or [0]), st)
    chart.bars[0].fillColor = BLUE
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = st.font
    chart.barLabels.fontSize = 7.5
    chart.barLabels.nudge = 6
    d.add(chart)
    _title(d, width, height, title, st)
    return d


def trend_chart(days: list[tuple[str, int, int]], width: float, st: Styles) -> Drawing:
    """Daily 收件 and 办结 of the period; about ten date labels whatever the length."""
    height = 62 * mm
    d = Drawing(width, height)
    d.initialFontName = st.font
    chart = HorizontalLineChart()
    chart.x, chart.y = 14 * mm, 14 * mm
    chart.width, chart.height = width - 20 * mm, height - 26 * mm
    chart.data = [[r for _, r, _ in days], [c for _, _, c in days]]
    every = max(1, math.ceil(len(days) / 10))
    chart.categoryAxis.categoryNames = [day[5:] if i % every == 0 else "" for i, (day, _, _) in enumerate(days)]
    chart.categoryAxis.labels.fontName = st.font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.dy = -2
    _value_axis(chart.valueAxis, max([max(r, c) for _, r, c in days] or [0]), st)
    chart.lines[0].strokeColor, chart.lines[1].strokeColor = BLUE, GREEN
    chart.lines[0].strokeWidth = chart.lines[1].strokeWidth = 1.2
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = width - 42 * mm, height - 4 * mm
    legend.fontName, legend.fontSize = st.font, 7.5
    legend.columnMaximum = 1
    legend.deltax, legend.dxTextSpace, legend.dx = 16 * mm, 1.5 * mm, 6
    legend.alignment = "right"
    legend.colorNamePairs = [(BLUE, "收件"), (GREEN, "办结")]
    d.add(legend)
    _title(d, width, height, "每日收件与办结（件）", st)
    return d


WIDTHS = {
    "timeliness": [40, 12, 12, 12, 18, 14, 14],
    "due": [34, 30, 20, 16, 12, 22],
    "missing": [32, 30, 16, 44, 10],
    "bad_ratings": [34, 14, 10, 40, 18, 30],
    "returned": [30, 30, 18, 18, 50],
    "trend": [30, 15, 15, 15, 15],
}


# Lists of cases, ratings or batches print at most this many rows in the signed report; the XLSX holds
# every row the report holds (the CSV every overdue and near-due case), and the PDF says how many more there are.
LIST_LIMIT = 40
LISTS = {"due": "件办件", "bad_ratings": "条差评", "returned": "个批次"}


def _rest(t: StatTable) -> str:
    return t.omitted(min(LIST_LIMIT, len(t.rows)), LISTS[t.key])


def _stat_table(t: StatTable, spec, st: Styles) -> list[Flowable]:
    out: list[Flowable] = [section(esc(t.title), st)]
    if not t.rows:  # none, or a list the report holds none of (its count says how many)
        out.append(Paragraph(esc(_rest(t)) if t.more else "（无）", st.small if t.more else st.body))
        return out
    shown = t.rows[:LIST_LIMIT] if t.key in LISTS else t.rows
    rows = [[esc(cell_text(v)) for v in r] for r in shown]
    if t.total:
        rows.append([esc(cell_text(v)) for v in t.total])
    widths = WIDTHS.get(t.key) or [36] + [12] * (len(t.columns) - 1)
    grid = table([esc(c) for c in t.columns], rows, widths, spec, st)
    numeric = [i for i, v in enumerate(t.rows[0]) if i and isinstance(v, int | float)]
    cmds = [("ALIGN", (i, 1), (i, -1), "RIGHT") for i in numeric]
    if t.total:
        cmds.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")))
    grid.setStyle(TableStyle(cmds))
    out.append(grid)
    if len(shown) < len(t.rows) + t.more:
        out += [Spacer(1, 1 * mm), Paragraph(esc(_rest(t)), st.small)]
    if t.note:
        out += [Spacer(1, 1 * mm), Paragraph(esc(t.note), st.small)]
    return out


def _summary(rep: StatsReport, spec, st: Styles) -> Table:
    pairs = rep.summary_rows()
    half = math.ceil(len(pairs) / 2)
    W = spec.frame_width
    lw, vw = 30 * mm, W / 2 - 30 * mm
    data = []
    for i in range(half):
        row = []
        for lb, v in (pairs[i], pairs[i + half] if i + half < len(pairs) else ("", "")):
            row += [Paragraph(esc(lb), st.label), Paragraph(esc(v), st.cell)]
        data.append(row)
    t = Table(data, colWidths=[lw, vw, lw, vw])
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                           ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#f2f2f2")),
                           ("BACKGROUND", (2, 0), (2, -1), colors.HexColor("#f2f2f2"))]))
    return t


def _sign_off(rep: StatsReport, prepared_by: str, spec, st: Styles) -> Flowable:
    line = "＿" * 8
    cells = [[Paragraph(f"制表：{esc(prepared_by) or line}", st.body), Paragraph(f"审核：{line}", st.body),
              Paragraph(f"负责人：{line}", st.body)],
             [Paragraph(f"日期：{rep.generated_at:%Y年%m月%d日}", st.body), Paragraph(f"日期：{line}", st.body),
              Paragraph(f"日期：{line}", st.body)]]
    t = Table(cells, colWidths=[spec.frame_width / 3] * 3)
    t.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 6), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return KeepTogether([section("签　　字", st), t, Spacer(1, 2 * mm),
                         Paragraph("（审核、负责人签字后，本表作为本期政务服务统计的正式报表存档。）", st.small)])


def _period(rep: StatsReport) -> str:
    days = f"，工作日 {rep.working_days} 天" if rep.working_days is not None else ""
    if rep.period_from == rep.period_to:
        return f"{rep.period_from:%Y年%m月%d日}{days}"
    return f"{rep.period_from:%Y年%m月%d日} 至 {rep.period_to:%Y年%m月%d日}{days}"


SECTIONS = (
    ("一、办件量", ("by_matter", "by_mode", "by_applicant", "by_clerk", "by_department", "by_centre", "by_window",
                   "holiday")),
    ("二、办理效率", ("timeliness", "due")),
    ("三、群众跑动（一次性告知）", ("missing",)),
    ("四、好差评", ("bad_ratings",)),
    ("五、材料流转与送达", ("returned",)),
    ("六、每日明细", ("trend",)),
)


def story(rep: StatsReport, *, prepared_by: str = "") -> list[Flowable]:
    spec = PAPERS["a4"]
    st = styles(spec)
    W = spec.frame_width
    centre = rep.centre_name or rep.centre_code
    out: list[Flowable] = [
        Paragraph(esc(centre), st.centre),
        Paragraph("政务服务统计报表", st.title),
        fields_table([
            ("服务中心", esc(f"{centre}（{'、'.join(rep.centres) or rep.centre_code}）"), False),
            ("统计范围", esc(rep.scope_label), False),
            ("统计期间", esc(_period(rep)), True),
            ("生成时间", fmt_datetime(rep.generated_at), False),
            ("收件总数", f"{rep.volumes.received} 件", False),
        ], spec, st),
        section("概　　况", st), _summary(rep, spec, st), Spacer(1, 3 * mm),
    ]
    v = rep.volumes
    out.append(bar_chart([("收件", v.received), ("受理", v.accepted), ("当场办结", v.completed),
                          ("一次性告知", v.notices), ("不予受理", v.refused), ("撤回", v.withdrawn),
                          ("作废", v.voided), ("咨询", v.consultations)], "办件量（件，咨询为次）", W, st))
    trend = rep.table("trend")
    if len(trend.rows) > 1:
        out.append(trend_chart([(r[0], r[1], r[2]) for r in trend.rows], W, st))
    for title, keys in SECTIONS:
        present = [k for k in keys if any(t.key == k for t in rep.tables)]
        out.append(section(f"<b>{title}</b>", st))
        if title.startswith("四"):
            s = rep.satisfaction
            out.append(bar_chart([(RATING_LEVELS[k], n) for k, n in s.by_stars], "好差评分布（次）", W, st))
            out.append(table(["评价", "次数", "占比"],
                             [[RATING_LEVELS[k], str(n), pct(round(n * 100 / s.total, 1) if s.total else None)]
                              for k, n in s.by_stars] + [["合计", str(s.total), pct(100.0 if s.total else None)]],
                             [60, 30, 30], spec, st))
        if title.startswith("五"):
            lp = rep.loop
            out.append(table(["待发送", "已发送", "已签收", "已退回", "结果待领取"],
                             [[str(lp.waiting), str(lp.sent), str(lp.signed), str(lp.returned),
                               str(lp.awaiting_pickup)]], [1] * 5, spec, st))
        for k in present:
            out += _stat_table(rep.table(k), spec, st)
    out.append(section("口径说明", st))
    notes = [
        "办件量、群众跑动与各分类表按本期收件（首次到窗口的日期）统计；撤回、作废单列，不计入受理、办结等其他数字。",
        "咨询登记按次计，不属于办件；各表“咨询”列合计与概况一致。",
        "节假日办理：在本窗口节假日安排中的非工作日收件（撤回、作废不计），其办理时限自下一个工作日起算。",
        "办理效率按本期办结（当场办结之日或后台作出决定之日）统计；按时办结指办结日不晚于承诺（法定）办结日期。",
        "提前办结：受理至办结的工作日不超过承诺工作日的 70%；工作日按本窗口的节假日安排计算，暂停计时的工作日不计入；"
        "P90 为 90% 的办件不超过的工作日数。",
        "跑动次数：首次收件、每次补正或补交容缺材料、窗口领取结果各计一次。当前逾期、临近到期按生成时的状态统计。",
    ] + list(rep.caveats)
    out += [Paragraph(esc(f"{i}. {n}"), st.small) for i, n in enumerate(notes, 1)]
    out.append(Spacer(1, 6 * mm))
    out.append(_sign_off(rep, prepared_by, spec, st))
    return out


def render(rep: StatsReport, *, prepared_by: str = "") -> bytes:
    """The report as PDF bytes."""
    spec = PAPERS["a4"]
    st = styles(spec)
    footer = f"{rep.centre_name or rep.centre_code}　{rep.scope_label}　政务服务统计报表 " \
             f"{rep.period_from.isoformat()} 至 {rep.period_to.isoformat()}"

    class Numbered(Canvas):
        """Draws the footer once every page is known: 第 N 页 共 M 页."""

        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for n, page in enumerate(self._pages, 1):
                self.__dict__.update(page)
                self.saveState()
                self.setFont(st.font, 8)
                self.setFillColor(colors.HexColor("#555555"))
                y = spec.margin * 0.55
                mark = f"第 {n} 页 共 {total} 页"
                self.drawRightString(spec.width - spec.margin, y, mark)
                room = spec.frame_width - stringWidth(mark, st.font, 8) - 5 * mm
                text = footer
                while text and stringWidth(text, st.font, 8) > room:
                    text = text[:-2] + "…"
                self.drawString(spec.margin, y, text)
                self.restoreState()
                super().showPage()
            super().save()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=(spec.width, spec.height), leftMargin=spec.margin,
                            rightMargin=spec.margin, topMargin=spec.margin * 0.8, bottomMargin=spec.margin,
                            title=f"政务服务统计报表 {rep.period_from.isoformat()}—{rep.period_to.isoformat()}",
                            author="一窗 Yichuang", creator="一窗 Yichuang", pageCompression=1,
                            initialFontName=st.font)
    doc.build(story(rep, prepared_by=prepared_by), canvasmaker=Numbered)
    return buf.getvalue()
