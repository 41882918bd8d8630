"""Catalogue versions in the local store: import (frozen once stored), the current version, matters by code
and version (cached: a version never changes), and the search index of the current version."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.local.models import AuditEntry, CatalogueVersion, MatterRow
from desktop.core.audit import record_audit
from desktop.core.catalogue.parse import Catalogue, matter_from_json, parse_catalogue
from desktop.core.centres import CentreEntry, directory_from_json, directory_json
from desktop.core.errors import BadInput, NotFound
from desktop.core.roles import require
from desktop.core.search import MatterIndex, catalogue_forms
from desktop.core.store import Store
from desktop.core.types import Clerk, Matter, Window


def store_catalogue(s: Session, catalogue: Catalogue, text: str, *, now, source: str, actor: str = "system",
                    window: Window | None = None) -> None:
    """Store a parsed catalogue version in the caller's transaction and make it current (all or nothing).

    A version, once stored, is frozen: the same version with other content is refused. The pinyin
    forms for matter search are computed here, once, and stored with it. With `window`, the audit record
    also goes to the centre (a catalogue imported at the window; one pulled from the centre does not)."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    existing = s.get(CatalogueVersion, catalogue.version)
    if existing is not None and existing.sha256 != digest:
        raise BadInput(
            "E_CATALOGUE_VERSION",
            f"目录版本 {catalogue.version} 已导入但内容不同：修改目录须使用新的版本号",
            field="version",
        )
    if existing is None:
        raw = json.loads(text)
        s.add(CatalogueVersion(version=catalogue.version, imported_at=now, sha256=digest, is_current=False,
                               matter_count=len(catalogue.matters),
                               centres_json=json.dumps(directory_json(catalogue.centres), ensure_ascii=False),
                               search_forms=json.dumps(catalogue_forms(catalogue.matters), ensure_ascii=False)))
        s.flush()
        for m in raw["matters"]:
            s.add(MatterRow(version=catalogue.version, code=m["code"], name=m["name"],
                            data=json.dumps(m, ensure_ascii=False)))
    for cv in s.scalars(select(CatalogueVersion)):
        cv.is_current = cv.version == catalogue.version
    detail = f"{len(catalogue.matters)} matters"
    if window is not None:
        record_audit(s, window=window, at=now, actor=actor, action=f"catalogue.{source}", ref=catalogue.version,
                     detail=detail)
    else:
        s.add(AuditEntry(at=now, actor=actor, action=f"catalogue.{source}", ref=catalogue.version, detail=detail))


def import_catalogue(store: Store, text: str, *, actor: Clerk | None) -> Catalogue:
    """Load or update the matter catalogue: all or nothing, an administrator's act recorded for the centre.
    The new version becomes current; older versions stay, so a case keeps the version it was taken under.
    `actor` None only for `init --demo` (the demo catalogue, before any user acts)."""
    if actor is not None:
        require(actor, "catalogue_import")
    catalogue = parse_catalogue(text)
    with store.Session.begin() as s:
        store_catalogue(s, catalogue, text, now=store.clock(), source="import",
                        actor=actor.login if actor else "system", window=store.window() if actor else None)
    store.invalidate("catalogue")
    return catalogue


def current_version(store: Store) -> str | None:
    with store.Reader() as s:
        return s.scalar(select(CatalogueVersion.version).where(CatalogueVersion.is_current))


def _from_row(store: Store, version: str, data: str) -> Matter:
    d = json.loads(data)
    matters = store.cache["catalogue"].setdefault("matters", {})
    key = (version, d["code"])
    if key not in matters:
        matters[key] = matter_from_json(d, version)
    return matters[key]


def matter(store: Store, *, code: str, version: str | None = None) -> Matter:
    """A matter of `version` (default: the current catalogue); NotFound for an unknown code."""
    version = version or current_version(store)
    if version is None:
        raise BadInput("E_NO_CATALOGUE", "尚未导入事项目录")
    with store.Reader() as s:
        row = s.get(MatterRow, (version, code))
    if row is None:
        raise NotFound("E_MATTER", f"事项目录中没有编码为“{code}”的事项", field="matter")
    return _from_row(store, version, row.data)


def _index(store: Store) -> MatterIndex:
    version = current_version(store)
    if version is None:
        raise BadInput("E_NO_CATALOGUE", "尚未导入事项目录：请先运行 yichuang catalogue import 文件")
    cache = store.cache["catalogue"]
    if cache.get("index_version") != version:
        with store.Reader() as s:
            rows = s.scalars(select(MatterRow).where(MatterRow.version == version)).all()
            forms_row = s.get(CatalogueVersion, version)
            forms = json.loads(forms_row.search_forms or "{}") if forms_row else {}
        cache["index"] = MatterIndex([_from_row(store, version, r.data) for r in rows], forms=forms)
        cache["index_version"] = version
    return cache["index"]


def search_matters(store: Store, *, query: str, limit: int = 20) -> list[Matter]:
    return _index(store).search(query, limit)


def centre_directory(store: Store) -> tuple[CentreEntry, ...]:
    """The centre directory of the current catalogue (empty when it carries none)."""
    with store.Reader() as s:
        text = s.scalar(select(CatalogueVersion.centres_json).where(CatalogueVersion.is_current))
    return directory_from_json(text or "[]")
