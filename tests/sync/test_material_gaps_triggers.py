"""c0017: yc.case_material_gaps kept by statement-level triggers (transition tables) instead of c0012's
row-level one. The same writes on a centre at head and on one downgraded to c0015 (c0012's trigger) leave the
same gap rows: the push's fast path, an administrator's multi-row INSERT and UPDATEs (a payload changed, a
payload set to itself, a status change only), and an INSERT ... ON CONFLICT DO UPDATE. Then the window's own
path: a gap the first visit had stays when the next version supplies it, and a window cannot write another
centre's gaps through its cases."""

from __future__ import annotations

import json
import uuid

from psycopg.types.json import Jsonb

from db.central import CentralClient, admin_connect, downgrade_central, publish_catalogue
from tests.support.central_ops import CATALOGUE_MATTER, CATALOGUE_VERSION, A, B, admin_scalar, case_op

GAPS = "SELECT case_no, code, state, centre_code, first_version FROM yc.case_material_gaps ORDER BY 1, 2, 3"


def _materials(*pairs: tuple[str, str]) -> list[dict]:
    return [{"code": code, "state": state, "copies": 1} for code, state in pairs]


def _batch() -> list[dict]:
    return [
        case_op(A, "01", 1, materials=_materials(("M01", "missing"), ("M02", "defective"), ("M02", "defective"),
                                                 ("M03", "received"), ("", "missing"))),
        case_op(A, "01", 2, materials={"M01": "missing"}),  # not an array: no gap
        case_op(A, "01", 3),
        case_op(A, "01", 4, materials=_materials(("M01", "defective"), ("M01", "missing"))),
    ]


_ADMIN_SQL = [
    # a case written by an administrator, several rows in one statement
    """INSERT INTO yc.cases (case_no, centre_code, window_no, matter_code, outcome, received_at, payload, version)
       SELECT 'X' || n, %(centre)s, '09', 'SH-HJ-001', 'accepted', now(),
              jsonb_build_object('materials', jsonb_build_array(jsonb_build_object('code', 'K' || n, 'state', 'missing'))),
              1
         FROM generate_series(1, 3) n""",
    # the next version of a case supplies M01 and finds M05 defective (M01's row stays, first_version 1)
    """UPDATE yc.cases SET version = 2, payload = jsonb_set(payload, '{materials}',
           '[{"code": "M01", "state": "received"}, {"code": "M05", "state": "defective"}]')
        WHERE case_no = %(c1)s""",
    # no payload change: nothing to add
    "UPDATE yc.cases SET status = 'signed', version = version + 10",
    # a payload set to itself (c0012's trigger fired; it added nothing either)
    "UPDATE yc.cases SET payload = payload, version = version + 100",
    # two payloads changed in one statement, each with its own version
    """UPDATE yc.cases SET version = version + 1, payload = jsonb_set(payload, '{materials}',
           jsonb_build_array(jsonb_build_object('code', 'Z-' || case_no, 'state', 'defective')))
        WHERE case_no IN ('X1', 'X2')""",
    # an upsert: one case updated (its payload now has M07 missing), one inserted
    """INSERT INTO yc.cases AS c (case_no, centre_code, window_no, matter_code, outcome, received_at, payload, version)
       VALUES (%(c3)s, %(centre)s, '01', 'SH-HJ-001', 'accepted', now(),
               '{"materials": [{"code": "M07", "state": "missing"}]}', 500),
              ('X9', %(centre)s, '09', 'SH-HJ-001', 'accepted', now(),
               '{"materials": [{"code": "M08", "state": "defective"}]}', 1)
       ON CONFLICT (case_no) DO UPDATE SET payload = EXCLUDED.payload, version = EXCLUDED.version""",
]


def _write_all(url: str) -> list[tuple]:
    with admin_connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO yc.centres (code, name) VALUES (%s, 'A')", (A,))
    publish_catalogue(url, json.dumps({"version": CATALOGUE_VERSION, "matters": [CATALOGUE_MATTER]},
                                      ensure_ascii=False), centre_code=A)
    params = {"centre": A, "c1": f"{A}012602120001", "c3": f"{A}012602120003"}
    with admin_connect(url) as conn:
        answers = conn.execute("SELECT yc.push_fast(%s, %s, '01')", (Jsonb(_batch()), A)).fetchone()[0]
        assert [a["status"] for a in answers] == ["applied"] * 4
        for sql in _ADMIN_SQL:
            conn.execute(sql, params)
        conn.commit()
        return [tuple(r) for r in conn.execute(GAPS)]


def test_the_statement_triggers_leave_the_rows_c0012s_row_trigger_left(pg, central_url):
    name = f"yc_t_{uuid.uuid4().hex[:12]}"
    old = pg.create_database(name, template="yc_central_template")
    try:
        assert downgrade_central(old, "c0015") == "c0015"
        with admin_connect(old) as conn:
            assert conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'tg_cases_material_gaps'"
                                ).fetchone()[0] == 1
        expected = _write_all(old)
    finally:
        pg.drop_database(name)
    got = _write_all(central_url)
    assert got == expected
    c1, c3, c4 = (f"{A}01260212{n:04d}" for n in (1, 3, 4))
    assert set(got) == {
        (c1, "M01", "missing", A, 1), (c1, "M02", "defective", A, 1), (c1, "M05", "defective", A, 2),
        (c3, "M07", "missing", A, 500), (c4, "M01", "defective", A, 1), (c4, "M01", "missing", A, 1),
        ("X1", "K1", "missing", A, 1), ("X2", "K2", "missing", A, 1), ("X3", "K3", "missing", A, 1),
        ("X1", "Z-X1", "defective", A, 112), ("X2", "Z-X2", "defective", A, 112),
        ("X9", "M08", "defective", A, 1)}
    with admin_connect(central_url) as conn:
        triggers = {r[0] for r in conn.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'yc.cases'::regclass "
                                               "AND tgname LIKE 'tg_cases_material_gaps%'")}
    assert triggers == {"tg_cases_material_gaps_insert", "tg_cases_material_gaps_update"}


def test_a_windows_pushes_keep_the_first_visits_gaps_and_only_its_own_centre(central_url, window):
    wa, wb = window(A, "01"), window(B, "01")
    case = f"{A}012602120001"
    with CentralClient(wa) as a:
        first = a.push([case_op(A, "01", 1, materials=_materials(("M01", "missing"), ("M02", "received")))])
        again = a.push([case_op(A, "01", 1, version=2,
                                materials=_materials(("M01", "received"), ("M02", "defective")))])
    assert first[0]["status"] == again[0]["status"] == "applied", (first, again)
    with admin_connect(central_url) as conn:
        rows = [tuple(r) for r in conn.execute(GAPS)]
    assert rows == [(case, "M01", "missing", A, 1), (case, "M02", "defective", A, 2)]
    # window B names centre A's case number and centre: refused, and no gap row of A's case appears
    with CentralClient(wb) as b:
        forged = b.push([case_op(A, "01", 1, version=3, materials=_materials(("M09", "missing")))])
        own = b.push([case_op(B, "01", 1, materials=_materials(("M09", "missing")))])
    assert forged[0]["status"] == "rejected" and own[0]["status"] == "applied", (forged, own)
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.case_material_gaps WHERE code = 'M09'") == 1
    assert admin_scalar(central_url, "SELECT centre_code FROM yc.case_material_gaps WHERE code = 'M09'") == B

