"""Central-database test data: two centres, a case.upsert payload and its frozen op, an admin query, the
catalogues a window's centre publishes, and a window's chain of operations built as the window builds it."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from db.central import admin_connect, freeze_op, publish_catalogue

A, B = "310101", "310102"
def _central_head() -> str:
    """The newest central revision, read from the revision files themselves (one Alembic head, or it fails)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from db.central.admin import MIGRATIONS_DIR

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    (head,) = ScriptDirectory.from_config(cfg).get_heads()
    return head


CENTRAL_HEAD = _central_head()
"""What `central init` must reach (tests compare against it instead of a literal that every revision edits)."""

CATALOGUE_VERSION = "2026.1"  # what case_payload's cases are taken under (the window fixture publishes it)
ZERO_MAC = "0" * 64
CATALOGUE_MATTER = {  # the matter case_payload's cases are taken under, as the published catalogue has it
    "code": "SH-HJ-001", "name": "户口迁移", "department": "上海市公安局", "mode": "delegated",
    "applicant_kinds": ["person"], "on_the_spot": False, "statutory_days": 15, "promised_days": 7,
    "commitment_allowed": False, "keywords": ["户口"],
    "materials": [{"code": "M01", "name": "居民身份证", "required": True, "form": "original", "copies": 1,
                   "e_licence": True, "standard": "有效期内的第二代居民身份证", "kind": "identity_document"}]}


def case_payload(centre: str, window_no: str, serial: int, *, version: int = 1, **over) -> dict:
    payload = {
        "case_no": f"{centre}{window_no}260212{serial:04d}",
        "matter_code": "SH-HJ-001",
        "catalogue_version": CATALOGUE_VERSION,
        "outcome": "accepted",
        "received_at": "2026-02-12T09:30:00+08:00",
        "promised_date": "2026-02-26",
        "statutory_date": None,
        "centre_code": centre,
        "window_no": window_no,
        "clerk_login": "zhangsan",
        "applicant": {"kind": "person", "name": "张三", "id_no": "11010519491231002X"},
        "agent": None,
        "materials": [{"code": "M01", "state": "received", "copies": 1}],
        "note": "",
        "version": version,
    }
    payload.update(over)
    return payload


def case_op(centre: str, window_no: str, serial: int, **kw) -> dict:
    return freeze_op("case.upsert", case_payload(centre, window_no, serial, **kw))


def admin_scalar(url: str, query: str, params: tuple = ()):
    with admin_connect(url) as conn:
        return conn.execute(query, params).fetchone()[0]


# ---- schema ---------------------------------------------------------------------------------------


def publish_store_catalogues(central_url: str, services: Any) -> list[str]:
    """Publish for the window's centre every catalogue version its store holds (what an administrator
    did before the window took cases under them); the window skips them when it pulls (already here)."""
    from sqlalchemy import select

    from db.local.models import CatalogueVersion, MatterRow

    with services.Reader() as s:
        versions = list(s.scalars(select(CatalogueVersion.version).order_by(CatalogueVersion.imported_at)))
        texts = {v: json.dumps({"version": v, "matters": [json.loads(d) for d in s.scalars(
            select(MatterRow.data).where(MatterRow.version == v).order_by(MatterRow.code))]}, ensure_ascii=False)
            for v in versions}
    centre = services.window().centre_code
    for v in versions:
        publish_catalogue(central_url, texts[v], centre_code=centre)
    return versions


# ---- a window's identity and chain, as the window makes them (trust_common: the chain formula) -------
def chain_mac(key: bytes, seq: int, prev: str, op_id: str, kind: str, sha256: str) -> str:
    return hmac.new(key, f"{seq}|{prev}|{op_id}|{kind}|{sha256}".encode(), hashlib.sha256).hexdigest()


class Chain:
    """A window's chain of operations: chain(op) gives the op its place (seq, prev, mac) after the last."""

    def __init__(self, key: bytes, seq: int = 0, mac: str = ZERO_MAC):
        self.key, self.seq, self.mac = key, seq, mac

    def __call__(self, op: dict) -> dict:
        seq, prev = self.seq + 1, self.mac
        mac = chain_mac(self.key, seq, prev, op["op_id"], op["kind"], op["sha256"])
        self.seq, self.mac = seq, mac
        return {**op, "chain_seq": seq, "chain_prev": prev, "chain_mac": mac}

    def all(self, ops: list[dict]) -> list[dict]:
        return [self(op) for op in ops]


def machine(key: bytes, machine_id: str) -> dict:
    """The handshake's client info for a machine holding `key`."""
    return {"machine_id": machine_id, "key_sha256": hashlib.sha256(key).hexdigest(),
            "client_time": "2026-02-12T09:30:00+08:00"}


def mark_signed(url: str, *case_nos: str) -> None:
    """The department signed for these cases (what office.sign does to a case, set directly by the superuser):
    for tests whose subject is what happens after a decision, not the transfer itself."""
    with admin_connect(url) as conn:
        conn.execute("UPDATE yc.cases SET status = 'signed' WHERE case_no = ANY (%s)", (list(case_nos),))
        conn.commit()


def revision_module(revision: str):
    """A central revision's module as Alembic loads it (for tests that compare its constants with the
    product's own, e.g. c0022's character classes with desktop/core/textcheck.py)."""
    from alembic.script import ScriptDirectory

    from db.central.admin import MIGRATIONS_DIR

    return ScriptDirectory(str(MIGRATIONS_DIR)).get_revision(revision).module
