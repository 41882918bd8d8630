"""The supervisor's daily statistics report of one window (A4, tables and a bar chart)."""

from __future__ import annotations

import math

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from desktop.core.types import OUTCOME_LABELS, RATING_LEVELS, DailyStats

from .blocks import fields_table, section, table
from .layout import PAPERS, Styles, build_pdf, styles
from .text import esc, fmt_date, fmt_datetime


def _axis_step(top: int) -> int:
    """A friendly integer axis step giving about five ticks up to `top` (1, 2, 5, 10, 20, 50 ...)."""
    if top <= 5:
        return 1
    raw = top / 5
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if m * mag >= raw:
            return int(m * mag)
    return int(10 * mag)


def _outcome_rows(stats: DailyStats) -> list[tuple[str, int]]:
    """Every known outcome in catalogue order (zeros included), then any unknown codes as given. 咨询 is the
    咨询登记 count (plus any case recorded with the old outcome 咨询): the same number as the service table."""
    counts: dict[str, int] = {}
    for code, n in stats.by_outcome:
        counts[code] = counts.get(code, 0) + int(n)
    counts["consultation"] = counts.get("consultation", 0) + int(stats.consultations)
    rows = [(OUTCOME_LABELS[c], counts.pop(c, 0)) for c in OUTCOME_LABELS]
    rows += [(c, n) for c, n in counts.items()]
    return rows


def _chart(rows: list[tuple[str, int]], width: float, st: Styles) -> Drawing:
    height = 70 * mm
    d = Drawing(width, height)
    d.initialFontName = st.font  # renderPDF would otherwise start with a non-embedded Helvetica
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 12 * mm
    chart.width, chart.height = width - 20 * mm, height - 20 * mm
    values = [n for _, n in rows]
    chart.data = [values]
    chart.categoryAxis.categoryNames = [label for label, _ in rows]
    top = max(values) if values else 0
    step = _axis_step(top)
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(step, math.ceil(top / step) * step)
    chart.valueAxis.valueStep = step
    for axis in (chart.categoryAxis, chart.valueAxis):
        axis.labels.fontName = st.font
        axis.labels.fontSize = 8
    chart.categoryAxis.labels.dy = -2
    chart.bars[0].fillColor = colors.HexColor("#2f6db5")
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = st.font
    chart.barLabels.fontSize = 8
    chart.barLabels.nudge = 6
    d.add(chart)
    d.add(
        String(
            width / 2,
            height - 5 * mm,
            "办件结果分布（件）",
            fontName=st.font,
            fontSize=9,
            textAnchor="middle",
        )
    )
    return d


def _service_sections(stats: DailyStats, spec, st) -> list[Flowable]:
    """补正办结, 咨询登记 and 好差评 of the day, with every 差评 and who must follow it up today."""
    out: list[Flowable] = [section("窗口服务", st)]
    rated = sum(n for _, n in stats.ratings)
    good = sum(n for s_, n in stats.ratings if s_ >= 4)
    bad = sum(n for s_, n in stats.ratings if s_ <= 2)
    rows = [
        ["补正后受理（一次性告知后补齐）", f"{int(stats.supplemented)} 件"],
        ["咨询登记（首问负责）", f"{int(stats.consultations)} 次"],
        ["好差评", f"共 {rated} 次：好评 {good}，中评 {rated - good - bad}，差评 {bad}"],
    ]
    rows += [[f"　{RATING_LEVELS[s_]}", f"{n} 次"] for s_, n in stats.ratings]
    out.append(table(["项目", "数量"], rows, [110, 64], spec, st))
    if stats.bad_ratings:
        out.append(section("差评整改（当日联系评价人）", st))
        out.append(table(["办件编号", "评价意见", "整改责任人"],
                         [[esc(c), esc(cm) or "—", esc(o) or "—"] for c, cm, o in stats.bad_ratings],
                         [50, 90, 34], spec, st))
    return out


def render_daily_report(stats: DailyStats) -> bytes:
    """Render a window's daily statistics on A4: header, total, tables by outcome, matter and clerk,
    and a bar chart by outcome. A day without cases prints 当日无办件 instead of tables."""
    spec = PAPERS["a4"]
    st = styles(spec)
    w = stats.window
    story: list[Flowable] = [
        Paragraph(esc(w.centre_name), st.centre),
        Paragraph("窗口办件日报", st.title),
        fields_table(
            [
                ("服务中心", f"{esc(w.centre_name)}（{esc(w.centre_code)}）", False),
                ("窗口", f"{esc(w.window_no)} 号窗口", False),
                ("统计日期", fmt_date(stats.day), False),
                ("生成时间", fmt_datetime(stats.generated_at), False),
                ("办件总数", f"{int(stats.total)} 件", True),
            ],
            spec,
            st,
        ),
    ]
    if stats.total <= 0 and not any(n for _, n in stats.by_outcome):
        story.append(Spacer(1, 10 * mm))
        story.append(Paragraph("当日无办件。", st.centre))
    else:
        outcome_rows = _outcome_rows(stats)
        story.append(section("按办件结果", st))
        story.append(
            table(["办件结果", "件数"], [[esc(lb), str(n)] for lb, n in outcome_rows], [120, 54], spec, st)
        )
        story.append(Spacer(1, 3 * mm))
        story.append(_chart(outcome_rows, spec.frame_width, st))
        story.append(section("按事项", st))
        if stats.by_matter:
            story.append(
                table(
                    ["事项编码", "事项名称", "件数"],
                    [[esc(c), esc(nm), str(int(n))] for c, nm, n in stats.by_matter],
                    [40, 110, 24],
                    spec,
                    st,
                )
            )
        else:
            story.append(Paragraph("（无）", st.body))
        if stats.by_clerk:
            story.append(section("按窗口工作人员", st))
            story.append(
                table(
                    ["工作人员", "件数"],
                    [[esc(nm), str(int(n))] for nm, n in stats.by_clerk],
                    [120, 54],
                    spec,
                    st,
                )
            )
    story.extend(_service_sections(stats, spec, st))
    footer = f"{w.centre_name}　{w.window_no} 号窗口　办件日报 {fmt_date(stats.day)}"
    return build_pdf(story, spec, title=f"办件日报 {stats.day.isoformat()}", footer=footer)
