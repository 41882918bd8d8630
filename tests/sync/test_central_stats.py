"""Issue 11 at the centre: the statistics of any set of centres of a district from the central PostgreSQL.

The hand-counted history of tests/support/stats_history.py is made at window 01 of centre 310104 against the
real centre (decisions taken there by the administrator, dated as in the history), a second centre 310105
takes two cases. The centre's figures are asserted exactly and against the window's own centre scope of
the same cases; the reading is read-only (it runs in a READ ONLY transaction and on a hot standby's terms)."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import psycopg
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from db.central import admin_connect, decide_case, publish_calendar
from desktop.cli import main
from desktop.core import workcalendar
from desktop.core.catalogue import storage
from desktop.core.errors import BadInput, YichuangError
from desktop.core.services import Services, init_store
from desktop.core.stats import central, local
from tests.support import stats_history as H
from tests.support.central_ops import admin_scalar, mark_signed, publish_store_catalogues
from tests.support.factories import TEST_CATALOGUE, person, residence_permit_intake

XH, CN = "310104", "310105"
TODAY = H.NOW.date()


def _publish_calendar(url: str, svc) -> None:
    cal = workcalendar.calendar(svc.store)
    publish_calendar(url, {"years": sorted(cal.years), "days": [
        {"date": d.isoformat(), "kind": k, "name": ""} for d, k in sorted(cal.overrides.items())]})


def _centre_decides(url: str):
    """The history's decide(), at the real centre: the department signed for it, the administrator decides,
    and the decision is dated as the history says (the centre's clock is today's)."""
    def decide(svc, case_no: str, when: datetime, *, approve: bool = True) -> None:
        svc.sync_round()
        mark_signed(url, case_no)
        decide_case(url, case_no, "approved" if approve else "denied", None if approve else "不符合条件")
        stamp = when.isoformat() + "+08:00"
        with admin_connect(url) as conn:
            conn.execute("UPDATE yc.cases SET decision = jsonb_set(decision, '{decided_at}', to_jsonb(%s::text)) "
                         "WHERE case_no = %s", (stamp, case_no))
            conn.execute("UPDATE yc.case_steps SET at = %s::timestamptz WHERE case_no = %s "
                         "AND event LIKE 'decision.%%'", (stamp, case_no))
            conn.execute("SELECT yc.emit_case(%s, %s, NULL)", (case_no, XH))
            conn.commit()
        svc.sync_round()
    return decide


@pytest.fixture
def district(services, clock, window, central_url, tmp_path):
    """Centre 310104 (window 01: the hand-counted history) and centre 310105 (two cases), all synced."""
    services.set_central(url=window(XH, "01", centre_name="徐汇区行政服务中心", catalogue=None))
    publish_store_catalogues(central_url, services)
    _publish_calendar(central_url, services)
    clock.now = datetime(2026, 11, 23, 9, 0)
    no = H.build(services, clock, decide=_centre_decides(central_url))
    services.sync_round()

    home = tmp_path / "cn01"
    init_store(home, centre_code=CN, window_no="01", centre_name="长宁区行政服务中心", demo=True, clock=clock)
    other = Services(home, clock=clock)
    try:
        storage.import_catalogue(other.store, TEST_CATALOGUE.read_text(encoding="utf-8"), actor=None)
        other.set_central(url=window(CN, "01", centre_name="长宁区行政服务中心", catalogue=None))
        publish_store_catalogues(central_url, other)
        clock.now = datetime(2026, 11, 24, 10, 0)
        cn_clerk = other.login(login="demo", password="demo1234")
        no["CN-A"] = other.accept_application(intake=residence_permit_intake(), clerk=cn_clerk).case_no
        no["CN-D"] = other.accept_application(intake={"matter": "T-PER-002", "applicant": person(),
                                                       "materials": {"L1": "paper"}}, clerk=cn_clerk).case_no
        other.sync_round()
    finally:
        other.close()
    clock.now = H.NOW
    services.sync_round()
    return no


def _flat(rep) -> dict:
    d = rep.as_json()
    out = {**d["volumes"], **d["efficiency"], **d["revisits"]}
    out["stars"] = {int(k): n for k, n in d["satisfaction"]["by_stars"].items()}
    out["good_rate"] = d["satisfaction"]["good_rate"]
    return out


def test_one_centre_from_the_central_database_has_the_hand_counted_figures(district, central_url):
    start, end = H.PERIOD
    rep = central.compute(central_url, centres=[XH], start=start, end=end, today=TODAY)
    got = _flat(rep)
    # the centre cannot tell a window pick-up from an express delivery: E's collection is no visit here
    expected = {**H.EXPECTED, "visits": 6, "mean_visits": 1.2}
    assert {k: got[k] for k in expected} == expected
    assert rep.working_days == 15 and rep.loop.awaiting_pickup == 3
    assert rep.scope == "centre" and rep.centres == (XH,) and rep.centre_name == "徐汇区行政服务中心"
    due = {r[0]: r[-1] for r in rep.table("due").rows}
    assert due == {district["J"]: "红色：已逾期", district["L"]: "黄色：临近到期"}
    rows = {(r[1], r[2]): (r[3], r[4]) for r in rep.table("missing").rows}
    assert rows == {("M2 居住登记凭证", "缺少"): ("派出所出具的居住登记凭证", 1),
                    ("M3 劳动合同", "不符合要求"): ("与用人单位签订且在有效期内", 1)}
    bad = rep.table("bad_ratings").rows
    assert [(r[0], r[2], r[3]) for r in bad] == [(district["E"], "1 星", "补正跑了两趟")]


def test_the_centre_and_the_window_count_the_same_cases_alike(district, services, central_url):
    """The window's centre scope over the cases it synced equals the centre's figures, but for what the
    centre cannot know (how a result was delivered; who rectifies a 差评)."""
    start, end = H.PERIOD
    at_centre = central.compute(central_url, centres=[XH], start=start, end=end, today=TODAY).as_json()
    at_window = local.compute(services.store, start=start, end=end, scope="centre").as_json()
    for d in (at_centre, at_window):
        for key in ("generated_at", "caveats"):
            d.pop(key)
        d["tables"].pop("bad_ratings")
        d["revisits"].pop("visits"), d["revisits"].pop("mean_visits")
    assert at_window["revisits"] == at_centre["revisits"]
    assert at_window["tables"].keys() == at_centre["tables"].keys()
    for key in at_window["tables"]:
        assert at_window["tables"][key] == at_centre["tables"][key], key
    assert at_window == at_centre


def test_a_district_adds_its_centres_up(district, central_url):
    start, end = H.PERIOD
    one = central.compute(central_url, centres=[CN], start=start, end=end, today=TODAY)
    assert (one.volumes.received, one.volumes.accepted, one.volumes.completed) == (2, 1, 1)
    assert (one.efficiency.decided, one.efficiency.spot, one.efficiency.overdue_now) == (1, 1, 1)
    both = central.compute(central_url, centres=[XH, CN], start=start, end=end, today=TODAY)
    v, e = both.volumes, both.efficiency
    assert (v.received, v.accepted, v.completed, v.notices, v.consultations) == (13, 7, 2, 2, 2)
    # 当场办结 keeps its promise on its day: CN-D is decided and on time, CN-A overdue
    assert (e.decided, e.spot, e.on_time_promised, e.promised_known, e.overdue_now) == (6, 2, 5, 6, 2)
    assert both.scope == "centres" and both.scope_label == f"{XH}、{CN}"
    by_centre = {r[0]: r[1] for r in both.table("by_centre").rows}
    assert by_centre == {"徐汇区行政服务中心": 11, "长宁区行政服务中心": 2}
    windows = {r[0] for r in both.table("by_window").rows}
    assert windows == {f"{XH}/01 号窗口", f"{CN}/01 号窗口"}


def test_another_centre_is_not_counted(district, central_url):
    start, end = H.PERIOD
    rep = central.compute(central_url, centres=[CN], start=start, end=end, today=TODAY)
    assert all(not r[0].startswith(XH) for r in rep.table("due").rows)
    assert rep.volumes.consultations == 0 and rep.satisfaction.total == 0
    assert [r for r in central.case_rows(central_url, centres=[CN], start=start, end=end)
            if not r[0].startswith(CN)] == []


def test_it_reads_on_a_read_only_connection_and_writes_nothing(district, central_url):
    """Run as a role that may only read (what a hot standby allows): no write, no temporary table."""
    with admin_connect(central_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE yc_stats_reader LOGIN BYPASSRLS PASSWORD 'reader12345' IN ROLE yc_admin")
        conn.execute("CREATE ROLE yc_rls_bound LOGIN PASSWORD 'bound12345' IN ROLE yc_admin")
        conn.execute("ALTER ROLE yc_stats_reader SET default_transaction_read_only = on")
        before = conn.execute("SELECT max(seq) FROM yc.changes").fetchone()[0]
    reader_url = central_url.replace(central_url.split("://", 1)[1].split("@", 1)[0], "yc_stats_reader:reader12345")
    start, end = H.PERIOD
    rep = central.compute(reader_url, centres=[XH, CN], start=start, end=end, today=TODAY)
    assert rep.volumes.received == 13
    assert admin_scalar(central_url, "SELECT max(seq) FROM yc.changes") == before
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        with admin_connect(reader_url) as conn:
            conn.execute("CREATE TEMPORARY TABLE t (x int)")
    # a login that row-level security still binds would see no case at all: refused, not an empty report
    bound_url = central_url.replace(central_url.split("://", 1)[1].split("@", 1)[0], "yc_rls_bound:bound12345")
    with pytest.raises(YichuangError, match="BYPASSRLS"):
        central.compute(bound_url, centres=[XH], start=start, end=end, today=TODAY)


def test_the_files_carry_the_centre_s_numbers(district, central_url, tmp_path):
    start, end = H.PERIOD
    rep = central.report(central_url, centres=[XH, CN], start=start, end=end, today=TODAY,
                         prepared_by="李建国", pdf=tmp_path / "d.pdf", xlsx=tmp_path / "d.xlsx", csv=tmp_path / "d.csv")
    wb = load_workbook(tmp_path / "d.xlsx")
    summary = {r[0]: r[1] for r in wb["概况"].iter_rows(values_only=True) if r and r[0]}
    assert all(summary[label] == value for label, value in rep.summary_rows())
    text = "".join(p.extract_text() or "" for p in PdfReader(tmp_path / "d.pdf").pages)
    text = text.replace(" ", "").replace("\n", "")
    assert "长宁区行政服务中心" in text and "按中心" in text and "制表：李建国" in text
    with (tmp_path / "d.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    received = [r for r in rows if r["本期收件"] == "1"]
    assert len(received) == rep.volumes.received == 13
    decided = [r for r in rows if r["本期办结"] == "1"]
    assert len(decided) == rep.efficiency.decided
    assert sum(r["按承诺时限办结"] == "1" for r in decided) == rep.efficiency.on_time_promised


def test_the_cli_central_stats_and_report(district, central_url, tmp_path, capsys):
    assert main(["central", "stats", central_url, "--from", "2026-11-23", "--to", "2026-12-11", "--centre", XH,
                 "--centre", CN, "--as-of", TODAY.isoformat(), "--xlsx", str(tmp_path / "s.xlsx")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["volumes"]["received"] == 13 and out["centres"] == [XH, CN] and out["files"]["xlsx"]
    assert main(["central", "report", central_url, "--from", "2026-11-23", "--to", "2026-12-11", "--centre", XH,
                 "--out", str(tmp_path / "r.pdf")]) == 0
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    capsys.readouterr()
    assert main(["central", "report", central_url, "--from", "2026-12-11", "--to", "2026-11-23", "--centre", XH,
                 "--out", str(tmp_path / "bad.pdf")]) == 2
    assert "早于开始日期" in capsys.readouterr().err and not (tmp_path / "bad.pdf").exists()
    assert main(["central", "report", central_url, "--from", "2026-11-23", "--centre", "9",
                 "--out", str(tmp_path / "bad.pdf")]) == 2
    assert main(["central", "report", central_url, "--from", "2026-11-23", "--centre", "999999",
                 "--out", str(tmp_path / "bad.pdf")]) == 2
    assert "没有中心 999999" in capsys.readouterr().err and not (tmp_path / "bad.pdf").exists()
    assert main(["central", "report", central_url, "--from", "2026-11-23", "--centre", XH,
                 "--out", str(tmp_path / "bad.doc")]) == 2


def test_bad_centres_are_refused():
    with pytest.raises(BadInput):
        central.check_centres([])
    with pytest.raises(BadInput):
        central.check_centres(["31010x"])
    assert central.check_centres([XH, XH, CN]) == (XH, CN)


def test_one_statement_gives_what_one_query_each_gave(district, central_url):
    """Issue 11's speed work at the centre: every query of the report in ONE statement over the case rows
    (nothing written, no temporary table) gives the report the former statement-per-query reading gave."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    start, end = H.PERIOD
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        for centres in ([XH], [XH, CN]):
            seen.clear()
            new = central.compute(central_url, centres=centres, start=start, end=end, today=TODAY).as_json()
            heavy = [s for s in seen if "cr AS (" in s]
            assert len(heavy) == 1 and "json_agg" in heavy[0], centres
            seen.clear()
            old = central.compute(central_url, centres=centres, start=start, end=end, today=TODAY,
                                  legacy=True).as_json()
            assert len([s for s in seen if "cr AS (" in s]) > 20
            new.pop("generated_at"), old.pop("generated_at")
            assert new == old, centres
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def _rate(url: str, case_no: str, centre: str, overall: int, comment: str) -> None:
    """A rating through the function a window's push applies (yc.apply_rating), rated inside the period."""
    doc = {"case_no": case_no, "centre_code": centre, "window_no": "01", "occasion": "intake", "overall": overall,
           "comment": comment, "rated_at": "2026-12-01T10:00:00+08:00"}
    with admin_connect(url) as conn:
        conn.execute("SELECT yc.apply_rating(%s::jsonb, %s, '01')", (json.dumps(doc), centre))
        conn.commit()


def _ratings_of(url: str, centres: list[str]) -> tuple:
    start, end = H.PERIOD
    rep = central.compute(url, centres=centres, start=start, end=end, today=TODAY)
    old = central.compute(url, centres=centres, start=start, end=end, today=TODAY, legacy=True)
    bad = tuple(r[0] for r in rep.table("bad_ratings").rows)
    assert (rep.satisfaction, bad) == (old.satisfaction, tuple(r[0] for r in old.table("bad_ratings").rows))
    return rep.satisfaction.by_stars, rep.satisfaction.by_occasion, bad, rep.volumes.consultations


def test_a_rating_counts_only_in_its_case_s_centre(district, central_url):
    """The report reads the ratings by their own centre (a rating's centre is its case's): a rating of
    310105's case is 310105's, and a window of 310104 cannot rate that case at all."""
    xh, cn = _ratings_of(central_url, [XH]), _ratings_of(central_url, [CN])
    assert cn[0] == ((5, 0), (4, 0), (3, 0), (2, 0), (1, 0))
    with pytest.raises(psycopg.Error, match="unknown case"):
        _rate(central_url, district["CN-A"], XH, 1, "冒名评价")
    _rate(central_url, district["CN-A"], CN, 1, "长宁的差评")
    assert admin_scalar(central_url, "SELECT centre_code FROM yc.ratings WHERE case_no = %s",
                        (district["CN-A"],)) == CN
    assert _ratings_of(central_url, [XH]) == xh
    stars, _occasions, bad, _ = _ratings_of(central_url, [CN])
    assert dict(stars)[1] == 1 and bad == (district["CN-A"],)
    both = _ratings_of(central_url, [XH, CN])
    assert dict(both[0])[1] == dict(xh[0])[1] + 1 and set(both[2]) == {*xh[2], district["CN-A"]}


def test_a_rating_of_an_old_consultation_case_is_no_satisfaction_figure(district, central_url):
    """A case stored with the old outcome 咨询 (outcome 'consultation') is a consultation of the period, not a
    case of the figures: its rating is in neither the satisfaction figures nor the 差评 list."""
    xh = _ratings_of(central_url, [XH])
    no = "310104-ZX-0001"
    with admin_connect(central_url) as conn:
        conn.execute("""INSERT INTO yc.cases (case_no, centre_code, window_no, matter_code, catalogue_version,
                          outcome, status, received_at, applicant_kind, payload, version)
                        SELECT %s, centre_code, window_no, matter_code, catalogue_version, 'consultation',
                          'received', '2026-12-01T09:30:00+08:00', applicant_kind, payload, 1
                        FROM yc.cases WHERE case_no = %s""", (no, district["A"]))
        conn.commit()
    assert admin_scalar(central_url, "SELECT outcome FROM yc.case_summary WHERE case_no = %s", (no,)) \
        == "consultation"
    _rate(central_url, no, XH, 1, "咨询件的评价")
    stars, occasions, bad, consultations = _ratings_of(central_url, [XH])
    assert (stars, occasions, bad) == xh[:3] and consultations == xh[3] + 1


def test_a_rating_stored_before_c0005_is_moved_to_its_case_s_centre(district, central_url):
    """Before c0005 yc.apply_rating stored a rating with the rating window's centre whatever the case's: the
    report, which reads ratings by their own centre, would count such a rating in the wrong centre. c0016
    gives every rating its case's centre."""
    from db.central import downgrade_central, init_central

    xh, cn = _ratings_of(central_url, [XH]), _ratings_of(central_url, [CN])
    downgrade_central(central_url, "c0015")
    with admin_connect(central_url) as conn:  # as the c0002..c0004 function stored it
        conn.execute("""INSERT INTO yc.ratings (case_no, occasion, centre_code, window_no, overall, comment, rated_at)
                        VALUES (%s, 'intake', %s, '01', 1, '旧版本存下的评价', '2026-12-01T10:00:00+08:00')""",
                     (district["CN-A"], XH))
        conn.commit()
    init_central(central_url)
    assert admin_scalar(central_url, "SELECT centre_code FROM yc.ratings WHERE case_no = %s",
                        (district["CN-A"],)) == CN
    assert _ratings_of(central_url, [XH]) == xh
    stars, _occasions, bad, _ = _ratings_of(central_url, [CN])
    assert dict(stars)[1] == dict(cn[0])[1] + 1 and bad == (district["CN-A"],)
