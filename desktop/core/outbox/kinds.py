"""The one table of operation kinds a window sends up: payload shape, introducing protocol, blobs cited.

Adding a kind is one entry here, the code that enqueues it, and one central revision that creates its
apply function and its row in yc.op_kinds (a test holds this table and the centre's equal). The
protocol a window speaks is derived from this table and the down streams (desktop.core.sync.PROTOCOL).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["KINDS", "OpKind", "blobs_cited", "check_payload"]


@dataclass(frozen=True)
class OpKind:
    """An operation kind. `required`: payload keys the centre cannot do without (enqueue refuses a
    payload missing one); `optional`: the other keys it reads; `introduced`: the sync protocol that
    brought it; `blob_keys`: payload keys holding the SHA-256 of a blob that must reach the centre
    before the op; `label`: what a clerk calls it (zh_CN)."""

    kind: str
    label: str
    introduced: int
    required: frozenset[str]
    optional: frozenset[str] = frozenset()
    blob_keys: tuple[str, ...] = ()

    @property
    def fields(self) -> frozenset[str]:
        return self.required | self.optional


def _kind(kind: str, label: str, introduced: int, required: str, optional: str = "",
          blob_keys: tuple[str, ...] = ()) -> OpKind:
    return OpKind(kind, label, introduced, frozenset(required.split()), frozenset(optional.split()), blob_keys)


KINDS: dict[str, OpKind] = {k.kind: k for k in (
    _kind("case.upsert", "办件", 1,
          "case_no centre_code window_no version matter_code outcome received_at applicant",
          "catalogue_version calendar_version status promised_date statutory_date supply_due clerk_login "
          "agent materials note refusal_reason apply_instead result_note complete_at paused_since extended_days "
          "step online_app_no holiday"),  # step (protocol 5): {event, window_no, clerk_login, clerk_name, at, backup_for}
    _kind("document.printed", "文书打印", 1, "case_no kind sha256 printed_at", "reprint paper clerk_login corrected"),
    _kind("consultation.recorded", "咨询登记", 2,
          "id centre_code window_no asked_at asker_name question answer",
          "asker_phone matter_code answered_by clerk_login"),
    _kind("transfer.upsert", "材料流转", 2,
          "batch_no centre_code window_no version case_nos department channel state created_at",
          "tracking_no return_reason sent_at closed_at"),
    _kind("rating.recorded", "好差评", 2, "case_no centre_code overall rated_at",
          "occasion window_no efficiency service attitude comment source"),
    _kind("attachment.linked", "扫描件", 2, "case_no material_code sha256", "filename mime size clerk_login",
          blob_keys=("sha256",)),
    _kind("audit.recorded", "审计记录", 3, "centre_code at actor action", "window_no ref detail"),
    _kind("backup.assigned", "指定B角", 5,
          "id centre_code window_no clerk_login backup_login date_from date_to assigned_by assigned_at"),
)}
"""kind → OpKind; the centre applies each with yc.apply_… through yc.op_kinds (central revision c0004)."""


def check_payload(kind: str, payload: Mapping[str, Any]) -> OpKind:
    """The kind's entry, or ValueError for an unknown kind or a payload missing a required key (a
    programming error: nothing a clerk typed can cause it)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown operation kind {kind!r} (add it to desktop/core/outbox/kinds.py)")
    if not isinstance(payload, Mapping):
        raise ValueError(f"{kind} payload must be a mapping, not {type(payload).__name__}")
    missing = sorted(spec.required - payload.keys())
    if missing:
        raise ValueError(f"{kind} payload lacks required key(s): {', '.join(missing)}")
    return spec


def blobs_cited(ops: Iterable[Any]) -> set[str]:
    """SHA-256 (lower case) of every blob the given ops cite; ops have `.kind` and `.payload` (frozen
    text). A payload that does not parse cites nothing (the centre will reject it anyway)."""
    refs: set[str] = set()
    for op in ops:
        spec = KINDS.get(op.kind)
        if spec is None or not spec.blob_keys:
            continue
        try:
            payload = json.loads(op.payload)
        except ValueError:
            continue
        if not isinstance(payload, dict):
            continue
        for key in spec.blob_keys:
            sha = payload.get(key)
            if isinstance(sha, str):
                refs.add(sha.lower())
    return refs
