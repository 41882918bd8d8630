"""A case's history in words a clerk reads out to the applicant (办件查询): Qt-free text helpers."""

from __future__ import annotations

import json
from datetime import date

from desktop.core.labels import ACTOR_LABELS, CASE_STATUS_LABELS, DELIVERY_LABELS, EVENT_LABELS
from desktop.core.privacy import mask_id

TRANSFER_STATUS: dict[str, str] = {  # where the paper file is, until the centre reports a decision
    "transfer": "已受理，材料待流转至审批部门",
    "transfer.sent": "已受理，材料已发送审批部门",
    "transfer.signed": "审批部门已签收材料，正在审批",
    "transfer.returned": "材料被审批部门退回",
}
HOW_LABELS = DELIVERY_LABELS
STATUS_LABELS = CASE_STATUS_LABELS
ACTORS = ACTOR_LABELS


def _day(d: date | None) -> str:
    return f"{d:%Y-%m-%d}" if d else "—"


def event_label(event: str) -> str:
    return EVENT_LABELS.get(event, event)


def event_detail(event: str, detail: str) -> str:
    """The detail of a history row in words a clerk reads out: JSON and status codes translated."""
    if event == "delivered":
        try:
            d = json.loads(detail)
        except (TypeError, ValueError):
            return detail
        how = HOW_LABELS.get(d.get("how", ""), d.get("how", ""))
        receiver = d.get("receiver_name", "")
        id_no = d.get("receiver_id_no", "")
        return f"{how}，{receiver}" + (f"（{mask_id(id_no)}）" if id_no else "")
    if event == "transfer" or event.startswith("transfer."):
        return f"流转批次 {detail}" if detail else ""
    if detail == EVENT_LABELS.get(event):  # 受理 / 一次性告知 … say nothing more than the event
        return ""
    if event == "status":
        code, sep, note = detail.partition("：")
        label = STATUS_LABELS.get(code.strip(), code.strip())
        return f"{label}：{note}" if sep and note and note != label else label
    return detail
