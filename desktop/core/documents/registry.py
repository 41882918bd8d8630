"""The one table of document kinds: label, renderer, paper sizes, whether a clerk may reprint it, when it
prints. Adding a document kind is one entry here plus its renderer module; the CLI's choices, the views'
labels and the printing rules all read this table.

Renderers are named as (module, function) and imported when first used, so that reading the table does
not import reportlab."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from desktop.core.errors import BadInput
from desktop.core.labels import DOCUMENT_LABELS
from desktop.core.types import CaseMaterial, CaseRecord


@dataclass(frozen=True)
class DocumentKind:
    kind: str
    renderer: tuple[str, str]  # (module under desktop.core.documents, function)
    papers: tuple[str, ...] = ("a4",)  # the first is the default; "roll80" where the 80 mm roll may carry it
    reprintable: bool = False  # a clerk may print it again as 补打 (yichuang reprint --kind)
    per_case: bool = True  # archived with a case (the manifest and the report are not)
    number_code: str = ""  # a decision document: the kind in its number (文号), e.g. 受 in 徐汇受〔2026〕0100123号

    @property
    def label(self) -> str:
        return DOCUMENT_LABELS[self.kind]

    def paper_for(self, wanted: str) -> str:
        """The paper a print asked for `wanted` comes out on: the roll only where the kind allows it."""
        return wanted if wanted in self.papers else self.papers[0]

    def renderer_fn(self) -> Callable[..., bytes]:
        module, name = self.renderer
        return getattr(importlib.import_module(f"desktop.core.documents.{module}"), name)


KINDS: Mapping[str, DocumentKind] = MappingProxyType({k.kind: k for k in (
    DocumentKind("voucher", ("voucher", "render_voucher"), ("a4", "roll80"), reprintable=True),
    DocumentKind("one_time_notice", ("notices", "render_one_time_notice"), ("a4", "roll80"), reprintable=True,
                 number_code="补"),
    DocumentKind("acceptance_notice", ("notices", "render_acceptance_notice"), reprintable=True, number_code="受"),
    DocumentKind("gap_promise", ("notices", "render_gap_promise")),
    DocumentKind("refusal_notice", ("notices", "render_refusal_notice"), number_code="不受"),
    DocumentKind("clock_notice", ("clock", "render_clock_notice"), reprintable=True, number_code="告"),
    DocumentKind("delivery_receipt", ("receipt", "render_delivery_receipt")),
    DocumentKind("transfer_manifest", ("manifest", "render_transfer_manifest"), per_case=False),
    DocumentKind("daily_report", ("report", "render_daily_report"), per_case=False),
)})
assert set(KINDS) <= set(DOCUMENT_LABELS), "every document kind needs its label in labels.py"

REPRINTABLE = tuple(k for k, v in KINDS.items() if v.reprintable)
PAPERS = ("a4", "roll80")


def kind(name: str) -> DocumentKind:
    try:
        return KINDS[name]
    except KeyError:
        raise BadInput("E_DOC_KIND", f"未知的文书类型：{name}", field="kind") from None


def render_case_document(name: str, record: CaseRecord, *, paper: str, reprint: int,
                         extra: Mapping[str, Any] | None = None, number: str = "", seal: Any = None) -> bytes:
    """Render a per-case document kind as PDF bytes (pure; may run on a worker thread). `number` is the
    document number (文号) of a decision document; `seal` its seal QR (a documents.sealmark.SealMark, laid
    out beside the seal area; see desktop.core.seal.sealing)."""
    k = kind(name)
    if not k.per_case:
        raise BadInput("E_DOC_KIND", f"{k.label}不是办件文书", field="kind")
    args: dict[str, Any] = dict(extra or {})
    if k.number_code:
        args["number"] = number
    if name == "refusal_notice":
        args.setdefault("reason", record.refusal_reason)
        args.setdefault("apply_instead", record.apply_instead)
    if seal is None or not k.number_code:
        return k.renderer_fn()(record, paper=paper, reprint=reprint, **args)
    from . import sealmark

    token = sealmark.current.set(seal)
    try:
        return k.renderer_fn()(record, paper=paper, reprint=reprint, **args)
    finally:
        sealmark.current.reset(token)


def kinds_for_visit(outcome: str, materials: Iterable[CaseMaterial], *, first_visit: bool) -> list[str]:
    """What prints when a visit ends with `outcome`: on the first visit the voucher (and the one-time notice
    for missing materials), on a 补正 visit the new notice or the voucher; an acceptance always gives the
    sealed 受理通知书 with the voucher; a refusal prints only its notice; a 容缺 promise whenever a material
    was taken as 容缺.

    The acceptance is a separate document rather than a voucher re-titled 受理凭证: the voucher is the
    receipt of every visit whatever its outcome (also a one-time notice's), on the roll or A4, while the
    受理通知书 is a decision of the deciding department with its own number, seal and date, the same
    document whether the file was complete on the first visit or after 补正."""
    if outcome == "refused":
        return ["refusal_notice"]
    if outcome == "notice":
        kinds = ["voucher", "one_time_notice"] if first_visit else ["one_time_notice"]
    else:
        kinds = ["voucher"]
        if outcome == "accepted":
            kinds.append("acceptance_notice")
    if any(m.state == "gap" for m in materials):
        kinds.append("gap_promise")
    return kinds
