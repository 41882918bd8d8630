"""Window and centre agree: the same canonical bytes and hash, and the same table of operation kinds."""

from __future__ import annotations

import json

from psycopg.types.json import Jsonb

from db.central import CentralClient, admin_connect
from db.central.wire import canonical_json, freeze_op, sha256_hex, verify_op
from desktop.core import outbox
from desktop.core.outbox.kinds import KINDS
from desktop.core.sync import PROTOCOL
from tests.support.central_ops import A, admin_scalar, case_payload

TRICKY = {
    "名": "𠮷野家",  # a character outside the BMP: four UTF-8 bytes, never a \\u surrogate pair
    "b": [1, 1.0, 0.1, -0.0, 2.5e-07, 12345678901234567890, True, None],
    "a": {"z": "ü", "A": "é", "ä": "\u00e4", "e\u0301": "combining"},
    "quote": 'say "hi"\n\t\\',
    "emoji": "👩‍💼",
}


def test_the_canonical_text_is_fixed_byte_for_byte():
    text = canonical_json(TRICKY)
    assert text.startswith('{"a":{"A":"é","e\u0301":"combining","z":"ü","ä":"ä"},"b":[1,1.0,0.1,0.0,2.5e-07,')
    assert '"名":"𠮷野家"' in text
    assert "\\u" not in text and ", " not in text and ": " not in text
    assert "𠮷".encode() == b"\xf0\xa0\xae\xb7" and "𠮷".encode() in text.encode("utf-8")
    assert canonical_json({"n": 1}) != canonical_json({"n": 1.0})  # an int and a float are different texts
    assert canonical_json([-0.0, (0.0,)]) == "[0.0,[0.0]]"  # the centre's numeric has no negative zero
    assert json.loads(text) == TRICKY
    op = freeze_op("audit.recorded", TRICKY)
    assert op["payload"] == text and op["sha256"] == sha256_hex(text) and verify_op(op)
    assert not verify_op(dict(op, payload=text.replace("𠮷", "吉")))


def test_the_outbox_freezes_what_the_centre_side_freezes(services):
    payload = {"centre_code": "310104", "at": "2026-11-23T09:30:00+08:00", "actor": "张敏", "action": "x",
               "detail": TRICKY}
    with services.Session.begin() as s:
        op = outbox.enqueue(s, kind="audit.recorded", ref="r", payload=payload, now=services.clock())
        text, sha = op.payload, op.sha256
    frozen = freeze_op("audit.recorded", payload)
    assert (text, sha) == (frozen["payload"], frozen["sha256"])


def test_postgresql_hashes_the_same_bytes_and_keeps_the_values(central_url, window):
    with admin_connect(central_url) as con:
        for value in (TRICKY, {"x": "𠮷"}, [1, 1.5, "é"], {"k": 10**20}):
            text = canonical_json(value)
            centre = con.execute("SELECT encode(sha256(convert_to(%s, 'UTF8')), 'hex')", (text,)).fetchone()[0]
            assert centre == sha256_hex(text), text
    # a case's texts hold nothing a window refuses at input (central c0022): TRICKY's emoji is joined by
    # U+200D, a zero-width character, so the case carries the rest of it, and the emoji alone is refused
    case_texts = {k: v for k, v in TRICKY.items() if k != "emoji"}
    payload = case_payload(A, "01", 1, applicant={"kind": "person", "name": "𠮷田", "id_no": "1"}, extra=case_texts)
    op = freeze_op("case.upsert", payload)
    with CentralClient(window(A, "01")) as client:
        [answer] = client.push([op])
        [mismatch] = client.push([dict(freeze_op("case.upsert", payload), sha256=sha256_hex(op["payload"] + " "))])
        [joined] = client.push([freeze_op("case.upsert", case_payload(A, "01", 2, extra=TRICKY))])
    assert answer["status"] == "applied"
    assert joined["status"] == "rejected" and "U+200D" in joined["reason"], joined
    assert mismatch == {"op_id": mismatch["op_id"], "status": "rejected", "reason": "hash mismatch"}
    stored = admin_scalar(central_url, "SELECT payload FROM yc.cases WHERE case_no = %s", (payload["case_no"],))
    assert canonical_json(stored) == op["payload"]  # what the centre holds re-freezes to the same bytes
    assert admin_scalar(central_url, "SELECT applicant_name FROM yc.cases") == "𠮷田"
    assert admin_scalar(central_url, "SELECT sha256 FROM yc.ops") == op["sha256"]
    assert admin_scalar(central_url, "SELECT %s::jsonb = payload FROM yc.cases", (Jsonb(payload),))


def test_the_centre_has_the_windows_table_of_operation_kinds(central_url, window):
    with admin_connect(central_url) as con:
        rows = con.execute("SELECT kind, introduced, apply_fn::text FROM yc.op_kinds ORDER BY kind").fetchall()
        grants = con.execute("SELECT has_table_privilege('yc_window', 'yc.op_kinds', 'SELECT')").fetchone()[0]
    assert {kind: introduced for kind, introduced, _ in rows} == {k: v.introduced for k, v in KINDS.items()}
    assert all(fn.startswith("yc.apply_") and fn.endswith("(jsonb,text,text)") for _, _, fn in rows), rows
    assert grants is False
    with CentralClient(window(A, "01")) as client:
        assert client.handshake(PROTOCOL)["protocol"] == max(PROTOCOL, 5)  # c0006 says 5
        answers = client.push([freeze_op(kind, {}) for kind in sorted(KINDS)] + [freeze_op("case.teleport", {})])
    reasons = [a.get("reason", "") for a in answers]
    assert reasons[-1] == "unknown kind" and all(r and r != "unknown kind" for r in reasons[:-1]), reasons
