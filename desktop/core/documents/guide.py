"""The 导办单 (guidance slip): a matter this kind of centre does not take (两个集中), where to take it instead
(the centre directory: name, address, phone, hours), what to bring (the matter's checklist) and, for a matter
that can be done wholly online, the online route (网上办理 / 帮办). A4."""

from __future__ import annotations

from datetime import datetime

from reportlab.platypus import Flowable, Paragraph, Spacer

from desktop.core.centres import CENTRE_TYPE_LABELS, CentreEntry
from desktop.core.types import FORM_LABELS, Matter

from .blocks import fields_table, section, table
from .layout import build_pdf, paper_spec, styles
from .text import esc, fmt_datetime

ONLINE_ROUTE = ("本事项可全程网上办理：申请人可通过“一网通办”网上申请，无需到现场；"
                "不熟悉网上操作的，可到任一政务服务中心的帮办区，由工作人员帮办。")


def render_guide(matter: Matter, *, here: str, here_type: str, centres: list[CentreEntry], printed_at: datetime,
                 clerk_name: str = "") -> bytes:
    """The 导办单 of `matter` printed at the centre `here` (of type `here_type`, '' when not set)."""
    spec = paper_spec("a4")
    st = styles(spec)
    story: list[Flowable] = [Paragraph("导　办　单", st.title), Paragraph(esc(here), st.subtitle)]
    where = "或".join(CENTRE_TYPE_LABELS[t] for t in matter.centre_types)
    if here_type and here_type not in matter.centre_types:
        lead = (f"您申请的事项“{esc(matter.name)}”不在本中心（{esc(CENTRE_TYPE_LABELS[here_type])}）受理。"
                f"按“两个集中”的要求，请到{esc(where)}办理。")
    else:
        lead = f"您咨询的事项“{esc(matter.name)}”在{esc(where)}办理。"
    story += [Paragraph(lead, st.body), Spacer(1, 2 * spec.body)]
    story.append(section("事项", st))
    story.append(fields_table([("事项名称", esc(matter.name), False), ("事项编码", esc(matter.code), False),
                               ("实施部门", esc(matter.department), False),
                               ("承诺时限", "当场办结" if matter.on_the_spot else f"{matter.promised_days} 个工作日", False)],
                              spec, st))
    story.append(section("可办理的中心", st))
    if centres:
        rows = [[esc(c.name), esc(c.address), esc(c.phone or "—"), esc(c.hours or "—")] for c in centres]
        story.append(table(["中心名称", "地址", "咨询电话", "办公时间"], rows, [45, 60, 30, 40], spec, st))
    else:
        story.append(Paragraph(f"中心名录暂未收录可办理本事项的中心，请咨询{esc(where)}。", st.body))
    story.append(section("请携带以下材料", st))
    rows = [[str(i), esc(m.name) + ("" if m.required else "（如有）"), esc(FORM_LABELS.get(m.form, m.form)),
             str(m.copies), esc(m.standard or "")] for i, m in enumerate(matter.materials, 1)]
    story.append(table(["序号", "材料名称", "原件/复印件", "份数", "要求"], rows, [12, 60, 25, 12, 66], spec, st))
    if matter.mode == "online_full":
        story.append(section("网上办理", st))
        story.append(Paragraph(ONLINE_ROUTE, st.body))
    story.append(Spacer(1, 2 * spec.body))
    story.append(Paragraph(f"导办人：{esc(clerk_name or '—')}　　打印时间：{fmt_datetime(printed_at)}", st.small))
    return build_pdf(story, spec, title=f"导办单 {matter.code}", footer=f"{here}　导办单　{matter.code}")
