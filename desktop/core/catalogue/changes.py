"""Rules reach the counter: when a new catalogue version becomes current, each clerk sees what changed per
matter (materials added, removed or changed; limits changed; matters added or removed) and acknowledges it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from db.local.models import CatalogueAck, CatalogueVersion, MatterRow
from desktop.core import users
from desktop.core.catalogue.parse import matter_from_json
from desktop.core.store import Store
from desktop.core.types import FORM_LABELS, Clerk, MaterialSpec, Matter


@dataclass(frozen=True)
class MatterChange:
    code: str
    name: str
    kind: str  # added | removed | changed
    details: tuple[str, ...]

    def as_json(self) -> dict:
        return {"code": self.code, "name": self.name, "kind": self.kind, "details": list(self.details)}


@dataclass(frozen=True)
class CatalogueChanges:
    version: str
    previous: str
    matters: tuple[MatterChange, ...]

    def as_json(self) -> dict:
        return {"version": self.version, "previous": self.previous, "matters": [m.as_json() for m in self.matters]}


def _days(n: int | None) -> str:
    return "无" if n is None else f"{n} 个工作日"


def _material_diff(a: MaterialSpec, b: MaterialSpec) -> list[str]:
    out = []
    if a.required != b.required:
        out.append("必需" if b.required else "改为可选")
    if a.form != b.form:
        out.append(f"{FORM_LABELS.get(a.form, a.form)}→{FORM_LABELS.get(b.form, b.form)}")
    if a.copies != b.copies:
        out.append(f"份数 {a.copies}→{b.copies}")
    if a.standard != b.standard:
        out.append("要求已修改")
    if a.name != b.name:
        out.append(f"名称“{a.name}”→“{b.name}”")
    if a.e_licence != b.e_licence:
        out.append("可用电子证照" if b.e_licence else "不再接受电子证照")
    if a.gap_allowed != b.gap_allowed:
        out.append("可容缺" if b.gap_allowed else "不再容缺")
    return out


def matter_diff(old: Matter, new: Matter) -> list[str]:
    """What changed in one matter, in a clerk's words ([] when nothing he works with changed)."""
    out: list[str] = []
    before = {m.code: m for m in old.materials}
    after = {m.code: m for m in new.materials}
    out += [f"新增材料：{m.name}" for c, m in after.items() if c not in before]
    out += [f"取消材料：{m.name}" for c, m in before.items() if c not in after]
    for code in after.keys() & before.keys():
        diff = _material_diff(before[code], after[code])
        if diff:
            out.append(f"材料变更：{after[code].name}（{'；'.join(diff)}）")
    if old.promised_days != new.promised_days:
        out.append(f"承诺时限：{_days(old.promised_days)}→{_days(new.promised_days)}")
    if old.statutory_days != new.statutory_days:
        out.append(f"法定时限：{_days(old.statutory_days)}→{_days(new.statutory_days)}")
    if old.on_the_spot != new.on_the_spot:
        out.append("改为当场办结" if new.on_the_spot else "不再当场办结")
    if old.centre_types != new.centre_types:
        out.append("受理中心类型已调整（两个集中）")
    if old.commitment_allowed != new.commitment_allowed:
        out.append("适用告知承诺" if new.commitment_allowed else "不再适用告知承诺")
    if old.name != new.name:
        out.append(f"事项名称“{old.name}”→“{new.name}”")
    return out


def _matters(s, version: str) -> dict[str, Matter]:
    rows = s.scalars(select(MatterRow).where(MatterRow.version == version)).all()
    return {r.code: matter_from_json(json.loads(r.data), version) for r in rows}


def diff_versions(store: Store, previous: str, version: str) -> CatalogueChanges:
    with store.Reader() as s:
        old, new = _matters(s, previous), _matters(s, version)
    changes = [MatterChange(c, new[c].name, "added", ("新增事项",)) for c in sorted(new.keys() - old.keys())]
    changes += [MatterChange(c, old[c].name, "removed", ("事项已取消",)) for c in sorted(old.keys() - new.keys())]
    for c in sorted(new.keys() & old.keys()):
        details = matter_diff(old[c], new[c])
        if details:
            changes.append(MatterChange(c, new[c].name, "changed", tuple(details)))
    return CatalogueChanges(version=version, previous=previous, matters=tuple(changes))


def unacknowledged(store: Store, clerk: Clerk) -> CatalogueChanges | None:
    """What the current catalogue changed from the one before it, when `clerk` has not acknowledged it yet;
    None when there is nothing to see (no earlier version, or already acknowledged)."""
    with store.Reader() as s:
        versions = s.execute(select(CatalogueVersion.version, CatalogueVersion.is_current)
                             .order_by(CatalogueVersion.imported_at, CatalogueVersion.version)).all()
        current = next((v for v, cur in versions if cur), None)
        if current is None or s.get(CatalogueAck, (current, clerk.login)) is not None:
            return None
    earlier = [v for v, cur in versions if not cur]
    if not earlier:
        return None
    return diff_versions(store, earlier[-1], current)


def acknowledge(store: Store, clerk: Clerk, version: str) -> None:
    """`clerk` saw what `version` changed (kept per clerk; audited)."""
    now = store.clock()
    with store.Session.begin() as s:
        if s.get(CatalogueAck, (version, clerk.login)) is None:
            s.add(CatalogueAck(version=version, login=clerk.login, acked_at=now))
    users.audit(store, clerk.login, "catalogue.acknowledged", version, "")
