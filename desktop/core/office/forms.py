"""The back office's input, checked before anything goes to the centre: a clear Chinese message naming the
field (BadInput, CLI exit 2) and nothing sent. The centre checks again (state machine, steps in order)."""

from __future__ import annotations

from desktop.core.errors import BadInput
from desktop.core.office.types import STEP_LABELS, Decision
from desktop.core.textcheck import check_plain

MAX_OPINION = 2000
MAX_REASON = 500
MAX_DOC_NAME = 200
MAX_DOC_NO = 100
MAX_E_LICENCE = 200
MAX_COPIES = 99
MAX_REF = 64  # case and batch numbers
MAX_APPROVER = 100
MAX_EXTENSION = 10  # 行政许可法 Art. 42: one extension of at most 10 working days (central c0011)

REVIEW_STEPS = ("handle", "review")  # what office.review records; "decide" is office.decide's


def text(value: str | None, field: str, label: str, *, limit: int, required: bool = True,
         multiline: bool = False) -> str:
    """`value` stripped: required (when `required`), at most `limit` characters, no hidden characters."""
    value = (value or "").strip()
    if required and not value:
        raise BadInput("E_REQUIRED", f"请填写{label}", field=field)
    if len(value) > limit:
        raise BadInput("E_TOO_LONG", f"{label}不能超过 {limit} 个字", field=field)
    check_plain(value, field, label, multiline=multiline)
    return value


def ref(value: str | None, field: str, label: str) -> str:
    """A case or batch number: visible ASCII characters, at most MAX_REF."""
    value = (value or "").strip()
    if not value:
        raise BadInput("E_REQUIRED", f"请给出{label}", field=field)
    if len(value) > MAX_REF or not (value.isascii() and value.isprintable()) or " " in value:
        raise BadInput("E_REF", f"{label}“{value[:MAX_REF]}”无效：应为字母、数字组成的编号", field=field)
    return value


def review_step(step: str | None) -> str:
    step = (step or "").strip()
    if step == "decide":
        raise BadInput("E_STEP_DECIDE", "“决定”不是审查步骤：请用 yichuang office decide 办件编号 approve|deny"
                       "（或在“作出决定”表单中）作出决定", field="step")
    if step not in REVIEW_STEPS:
        names = "、".join(f"{s}（{STEP_LABELS[s]}）" for s in REVIEW_STEPS)
        raise BadInput("E_STEP", f"审查步骤“{step}”无效，应为 {names}", field="step")
    return step


def opinion(value: str | None) -> str:
    return text(value, "opinion", "审查意见", limit=MAX_OPINION, multiline=True)


def reason(value: str | None, label: str = "理由") -> str:
    return text(value, "reason", label, limit=MAX_REASON, multiline=True)


def decision(kind: str | None, *, doc_name: str | None = None, doc_no: str | None = None,
             e_licence_ref: str | None = None, copies: int | str | None = None,
             reason_text: str | None = None) -> Decision:
    """An approval (document name and number required; e-licence reference optional; copies 1..99, default
    1) or a denial (reason required). Fields of the other kind given: refused, so nothing is guessed."""
    kind = (kind or "").strip()
    if kind == "approve":
        if reason_text:
            raise BadInput("E_DECISION_FIELDS", "准予许可不填写不予许可的理由（--reason）", field="reason")
        if copies in (None, ""):
            count = 1
        else:
            try:
                count = int(copies)
            except (TypeError, ValueError):
                raise BadInput("E_COPIES", f"份数“{copies}”无效，应为 1 至 {MAX_COPIES} 的整数",
                               field="copies") from None
        if not 1 <= count <= MAX_COPIES:
            raise BadInput("E_COPIES", f"份数应为 1 至 {MAX_COPIES}", field="copies")
        return Decision("approve", doc_name=text(doc_name, "doc_name", "文书名称", limit=MAX_DOC_NAME),
                        doc_no=text(doc_no, "doc_no", "文号", limit=MAX_DOC_NO),
                        e_licence_ref=text(e_licence_ref, "e_licence_ref", "电子证照编号", limit=MAX_E_LICENCE,
                                           required=False),
                        copies=count)
    if kind == "deny":
        given = [n for n, v in (("--doc-name", doc_name), ("--doc-no", doc_no), ("--e-licence", e_licence_ref),
                                ("--copies", copies)) if v not in (None, "")]
        if given:
            raise BadInput("E_DECISION_FIELDS", f"不予许可没有结果文书：请去掉 {'、'.join(given)}", field="decision")
        return Decision("deny", reason=reason(reason_text, "不予许可的理由"))
    raise BadInput("E_DECISION", f"决定“{kind}”无效，应为 approve（准予许可）或 deny（不予许可）", field="decision")


def extension_days(value: int | str | None) -> int:
    """The working days of an extension: an integer 1..MAX_EXTENSION."""
    try:
        days = int(str(value).strip()) if value not in (None, "") and not isinstance(value, bool) else None
    except ValueError:
        days = None
    if days is None or not 1 <= days <= MAX_EXTENSION:
        raise BadInput("E_EXTENSION", f"延长天数“{value}”无效：依法延长 1 至 {MAX_EXTENSION} 个工作日", field="days")
    return days


def approver(value: str | None) -> str:
    """The name of the head who approved the extension."""
    return text(value, "approver", "批准延长的负责人姓名", limit=MAX_APPROVER)
