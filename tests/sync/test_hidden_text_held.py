"""Central c0021 / c0022 under attack (from an attack review of both): what the checks hold against, and
honest content that must keep passing. The classes in the revisions are compared with
desktop/core/textcheck.py on every code point."""

from __future__ import annotations

import hashlib
import json
import re
import uuid

import psycopg

from db.central import CentralClient, _libpq_url, freeze_op
from desktop.core.textcheck import forbidden_char
from tests.support.central_ops import Chain, case_payload, revision_module
from tests.support.shared_pool import GW, bind, raw, signed

CENTRE = "310104"
PERSON = {"kind": "person", "id_no": "11010519491231002X"}


def _c0022():
    return revision_module("c0022")


def _raw_op(kind: str, text: str) -> dict:
    """An op whose payload text is exactly `text` (not the canonical form freeze_op writes)."""
    return {"op_id": str(uuid.uuid4()), "kind": kind, "payload": text,
            "sha256": hashlib.sha256(text.encode()).hexdigest()}


def _code(answer: dict) -> str:
    """The code point a rejection names (or the status when there is none)."""
    found = re.search(r"holds (U\+[0-9A-F]{4})", answer.get("reason", ""))
    return found.group(1) if found else answer["status"]


def test_prefilter_and_path_agree_with_textcheck_on_every_code_point(central_url):
    """Every code point but NUL and the surrogates, as a string two arrays deep: the path test says yes
    exactly for what textcheck refuses (multi-line), the prefilter never says no where the path says yes
    (U+007F and U+0080-U+009F are written raw by jsonb out, C0 as \\u00XX, \\b or \\f), and neither looks at
    an object key."""
    m = _c0022()
    with psycopg.connect(_libpq_url(central_url)) as con:
        rows = con.execute(f"""
            SELECT cp, p::text ~ '{m.PREFILTER}', jsonb_path_exists(p, '{m.PATH}'), jsonb_path_exists(k, '{m.PATH}')
              FROM generate_series(1, 1114111) cp,
                   LATERAL (SELECT jsonb_build_object('a', jsonb_build_array(jsonb_build_array('x' || chr(cp) || 'y'))) p,
                                   jsonb_build_object(chr(cp), 1) k) j
             WHERE cp NOT BETWEEN 55296 AND 57343""").fetchall()
    assert len(rows) == 1112063
    wrong = [(hex(cp), pre, path) for cp, pre, path, key in rows
             if path != (forbidden_char(chr(cp)) is not None) or (path and not pre) or key]
    assert wrong == []


def test_escapes_depth_length_and_fast_path_do_not_get_past_the_check(window, pg, central_url):
    url = window(CENTRE, "01")
    chain = Chain(bind(url, pg.ca_file))
    base = case_payload(CENTRE, "01", 1)
    escaped = json.dumps({**base, "applicant": {**PERSON, "name": "张三"}}, ensure_ascii=False).replace(
        "张三", "张\\u202e三")  # the override as a JSON escape in the text the window signs
    deep = case_payload(CENTRE, "01", 2, materials=json.loads("[" * 400 + '"\u2067"' + "]" * 400))
    long_note = case_payload(CENTRE, "01", 3, note="备" * 87000 + "\u200b")  # ~261 KB, under the 262,144 cap
    dup = ('{"applicant": {"kind": "person", "name": "张\\u202e三", "name": "张三", "id_no": "11010519491231002X"}, '
           + json.dumps(case_payload(CENTRE, "01", 4), ensure_ascii=False)[1:])
    hidden_key = case_payload(CENTRE, "01", 5, applicant={**PERSON, "name": "张三", "\u202ex": "y"})
    with CentralClient(url, ca_cert=pg.ca_file) as w:
        one_by_one = [_code(w.push([chain(o)])[0]) for o in (
            _raw_op("case.upsert", escaped), freeze_op("case.upsert", deep), freeze_op("case.upsert", long_note))]
        # a fast-path batch whose last op hides a C1 control: the loop answers op by op
        batch = chain.all([_raw_op("case.upsert", dup), freeze_op("case.upsert", hidden_key),
                           freeze_op("case.upsert", case_payload(CENTRE, "01", 6, note="ok\x9b"))])
        batched = [a["status"] for a in w.push(batch)]
    assert one_by_one == ["U+202E", "U+2067", "U+200B"], one_by_one
    # a duplicate key keeps its last value in jsonb (clean), and keys are not looked at (by design)
    assert batched == ["applied", "applied", "rejected"]
    with psycopg.connect(_libpq_url(central_url)) as con:
        names = con.execute("SELECT payload->'applicant'->>'name' FROM yc.cases ORDER BY case_no").fetchall()
    assert names == [("张三",), ("张三",)]


def test_what_an_honest_window_may_hold_still_passes(window, pg, central_url):
    url = window(CENTRE, "01")
    chain = Chain(bind(url, pg.ca_file))
    notes = ["第一行\r\n第二行\t附注", "C:\\bin\\fonts \\u0007 \\b\\f", "《通知》，「注意」——；…！？、￥",
             "😀👍🏽🇨🇳", "吉\U00020bb7", "葛\U000e0100城"]  # emoji without ZWJ, 𠮷, an ideographic variation sequence
    ops = [freeze_op("case.upsert", case_payload(CENTRE, "01", i + 1, note=n,
                                                 applicant={**PERSON, "name": "\U00020bb7三"}))
           for i, n in enumerate(notes)]
    with CentralClient(url, ca_cert=pg.ca_file) as w:
        fast = [a["status"] for a in w.push(chain.all(ops[:3]))]
        loop = [w.push([chain(o)])[0]["status"] for o in ops[3:]]
    assert fast + loop == ["applied"] * 6


def test_gw_call_refusals_carry_the_same_fields_whichever_window_they_name(window, pooler, pg, central_url):
    """Beyond sqlstate and text (c0021's own test): detail, hint, context, the server's source line, the
    statement position: the same for a bound, a never-bound, a disabled and a missing window."""
    url_a = window(CENTRE, "01")
    key_a = bind(url_a, pg.ca_file)
    bind(window(CENTRE, "02"), pg.ca_file)
    window(CENTRE, "03")
    bind(window(CENTRE, "04"), pg.ca_file)
    with psycopg.connect(_libpq_url(central_url), autocommit=True) as adm:
        adm.execute("ALTER ROLE yc_w_310104_04 NOLOGIN")
    fields = ("sqlstate", "message_primary", "message_detail", "message_hint", "context", "statement_position",
              "internal_position", "internal_query", "source_file", "source_line", "source_function",
              "schema_name", "table_name", "column_name", "datatype_name", "constraint_name", "severity")
    seen = set()
    with raw(pooler.shared_url(url_a), pg.ca_file) as con:
        for win in ("02", "03", "04", "09"):
            try:
                con.execute(GW, signed(key_a, "pull_all", CENTRE, win, '[{"case_status": 0}]'))
            except psycopg.Error as e:
                seen.add(tuple(str(getattr(e.diag, f)).replace(f"{CENTRE} / {win}", "<w>") for f in fields))
    assert len(seen) == 1, seen


def test_lease_names_null_and_combining_floods_are_bounded(window, pg, central_url):
    url_1, url_2 = window(CENTRE, "01"), window(CENTRE, "02")
    chain = Chain(bind(url_1, pg.ca_file))
    bind(url_2, pg.ca_file)
    p1, p2 = case_payload(CENTRE, "01", 1), case_payload(CENTRE, "01", 2)
    with CentralClient(url_1, ca_cert=pg.ca_file) as w1:
        assert [a["status"] for a in w1.push(chain.all([freeze_op("case.upsert", p1),
                                                        freeze_op("case.upsert", p2)]))] == ["applied"] * 2
        assert w1.lease_case(p1["case_no"], None, None)["granted"]
        assert w1.lease_case(p2["case_no"], "z", "张" + "\u0301" * 1000)["granted"]
    with CentralClient(url_2, ca_cert=pg.ca_file) as w2:
        names = [w2.lease_case(p["case_no"], "lisi", "李四")["holder"]["clerk_name"] for p in (p1, p2)]
    assert names == ["", "张" + "\u0301" * 39]
