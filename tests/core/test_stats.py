"""Issue 11: the statistics a centre head signs. Figures of a hand-built history (tests/support/stats_history.py,
counted by hand) are asserted exactly; the XLSX, the CSV and the PDF carry the same numbers; only a
supervisor gets them."""

from __future__ import annotations

import csv
import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from desktop.cli import main
from desktop.core.errors import AuthError, BadInput
from desktop.core.stats import local
from desktop.core.stats.figures import mean, p90
from tests.support import stats_history as H


@pytest.fixture
def history(services, clock):
    return H.build(services, clock)


@pytest.fixture
def report(services, history, supervisor, tmp_path):
    start, end = H.PERIOD
    return services.statistics(start=start, end=end, scope="window", actor=supervisor, pdf=tmp_path / "r.pdf",
                               xlsx=tmp_path / "r.xlsx", csv=tmp_path / "r.csv")


def _flat(rep) -> dict:
    d = rep.as_json()
    out = {**d["volumes"], **d["efficiency"], **d["revisits"]}
    out["stars"] = {int(k): n for k, n in d["satisfaction"]["by_stars"].items()}
    out["good_rate"] = d["satisfaction"]["good_rate"]
    return out


def test_the_figures_of_the_hand_counted_history(report):
    got = _flat(report)
    assert {k: got[k] for k in H.EXPECTED} == H.EXPECTED
    assert report.working_days == 15
    assert report.loop.awaiting_pickup == 3  # A and B approved, C denied; E was collected


def test_every_table_adds_up_to_the_summary_and_consultations_agree(report):
    v = report.volumes
    assert v.received == v.accepted + v.completed + v.pending_notice + v.refused + v.withdrawn + v.voided
    for key in ("by_matter", "by_mode", "by_applicant", "by_clerk", "by_department"):
        t = report.table(key)
        assert t.total[1:] == (v.received, v.accepted, v.completed, v.notices, v.refused, v.withdrawn, v.voided,
                               v.consultations), key
    trend = report.table("trend")
    assert trend.total[1:] == (v.received, report.efficiency.decided, v.notices, v.consultations)


def test_the_materials_most_often_missing_name_the_standard(report):
    rows = {(r[1], r[2]): (r[3], r[4]) for r in report.table("missing").rows}
    assert rows == {("M2 居住登记凭证", "缺少"): ("派出所出具的居住登记凭证", 1),
                    ("M3 劳动合同", "不符合要求"): ("与用人单位签订且在有效期内", 1)}


def test_overdue_and_near_due_carry_the_worklist_colours(report, history):
    due = {r[0]: r[-1] for r in report.table("due").rows}
    assert due == {history["J"]: "红色：已逾期", history["L"]: "黄色：临近到期"}


def test_p90_is_the_nearest_rank():
    assert p90([(0, 1), (2, 1), (6, 2), (9, 1)]) == 9  # 5 values: rank ceil(4.5) = 5
    assert p90([(v, 1) for v in range(1, 11)]) == 9  # 10 values: rank 9
    assert p90([(3, 19), (40, 1)]) == 3  # 20 values: rank 18
    assert p90([]) is None and mean([]) is None
    assert mean([(1, 1), (2, 2)]) == 1.7


def test_the_xlsx_holds_the_same_numbers(report, tmp_path):
    wb = load_workbook(tmp_path / "r.xlsx")
    summary = {r[0]: r[1] for r in wb["概况"].iter_rows(values_only=True) if r and r[0]}
    for label, value in report.summary_rows():
        assert summary[label] == value
    for t in report.tables:
        sheet = next(ws for ws in wb.worksheets if ws.title == t.title[:31])
        rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[0] == t.columns
        body = rows[1:1 + len(t.rows)]
        assert [tuple("—" if v is None else v for v in r) for r in t.rows] == \
               [tuple("—" if v is None else v for v in r) for r in body], t.key
        if t.total:
            assert rows[1 + len(t.rows)] == t.total


def test_the_xlsx_headers_are_bold_and_the_first_column_wide(report, tmp_path):
    # written in openpyxl's write-only mode (no cell objects kept): the formatting must survive it
    wb = load_workbook(tmp_path / "r.xlsx")
    summary = wb["概况"]
    header = next(r for r in summary.iter_rows() if r[0].value == "项目")
    assert all(c.font.b for c in header) and not summary["A1"].font.b
    assert summary.column_dimensions["B"].width == 60
    for t in report.tables:
        sheet = next(ws for ws in wb.worksheets if ws.title == t.title[:31])
        assert all(c.font.b for c in sheet[1]) and sheet.column_dimensions["A"].width == 32
        if t.total:
            assert all(c.font.b for c in sheet[2 + len(t.rows)])
        if t.rows:
            assert not sheet.cell(row=2, column=1).font.b


def test_the_pdf_prints_the_summary_and_every_table(report, tmp_path):
    reader = PdfReader(tmp_path / "r.pdf")
    text = "".join((p.extract_text() or "") for p in reader.pages).replace(" ", "").replace("\n", "")
    for label, value in report.summary_rows():
        assert label.replace(" ", "") in text and value.replace(" ", "") in text, label
    for t in report.tables:
        assert t.title in text
    n = len(reader.pages)
    assert f"第{n}页共{n}页" in text and "制表：李建国" in text and "负责人" in text and "审核" in text


def test_the_csv_rows_give_the_figures_independently(report, tmp_path):
    """The case-level rows behind the report, counted here without the product's SQL."""
    with (tmp_path / "r.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    received = [r for r in rows if r["本期收件"] == "1"]
    decided = [r for r in rows if r["本期办结"] == "1"]
    live = [r for r in received if r["办件状态"] not in ("withdrawn", "voided")]
    assert len(received) == report.volumes.received
    assert sum(r["办件结果"] == "accepted" for r in live) == report.volumes.accepted
    assert sum(r["办件状态"] == "withdrawn" for r in received) == report.volumes.withdrawn
    assert len(decided) == report.efficiency.decided
    on_time = sum(r["按承诺时限办结"] == "1" for r in decided)
    assert round(on_time * 100 / len(decided), 1) == report.efficiency.on_time_promised_rate
    days = sorted(int(r["受理至办结工作日"]) for r in decided)
    assert days[-(-len(days) * 9 // 10) - 1] == report.efficiency.p90_days_decision
    assert round(sum(days) / len(days), 1) == report.efficiency.mean_days_decision
    first = [r for r in received if r["办件状态"] != "voided"]
    finished = [r for r in first if r["办结日期"]]
    assert sum(int(r["跑动次数"]) for r in finished) / len(finished) == report.revisits.mean_visits
    assert sum(r["首次即一次性告知"] == "1" for r in first) == report.revisits.first_notice


def test_only_a_supervisor_gets_the_statistics(services, history, clerk, tmp_path):
    with pytest.raises(AuthError):
        services.statistics(start=H.PERIOD[0], end=H.PERIOD[1], actor=clerk, pdf=tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_a_period_that_ends_before_it_starts_is_refused(services, supervisor):
    with pytest.raises(BadInput) as e:
        services.statistics(start=H.PERIOD[1], end=H.PERIOD[0], actor=supervisor)
    assert e.value.code == "E_PERIOD" and "早于" in e.value.message


def test_a_day_without_cases_gives_zeros_not_errors(services, supervisor):
    rep = services.statistics(start=H.PERIOD[0], end=H.PERIOD[0], actor=supervisor)
    assert rep.volumes.received == 0 and rep.efficiency.on_time_promised_rate is None
    assert rep.revisits.mean_visits is None and rep.efficiency.p90_days_decision is None


def test_the_window_scope_leaves_out_another_windows_case(services, history, supervisor):
    """A case of window 02 pulled here counts for the centre, never for window 01."""
    from db.local.models import Case
    from desktop.core import caseno
    from desktop.core.cases.versions import case_payload
    from desktop.core.sync.loop import apply_cases

    other = caseno.make_case_no("310104", "02", H.PERIOD[0], 7)
    with services.store.Session.begin() as s:
        payload = case_payload(s.get(Case, history["A"])) | {"case_no": other, "window_no": "02",
                                                               "clerk_login": "wang"}
        apply_cases(services.store, s, [{"key": other, "data": {
            "case_no": other, "version": 1, "payload": payload, "status": "received", "decision": None,
            "steps": [{"event": "accepted", "window_no": "02", "actor_name": "王芳", "at": payload["received_at"]}],
            "last_window_no": "02"}}], H.NOW)
    window = services.statistics(start=H.PERIOD[0], end=H.PERIOD[1], scope="window", actor=supervisor)
    centre = services.statistics(start=H.PERIOD[0], end=H.PERIOD[1], scope="centre", actor=supervisor)
    assert window.volumes.received == H.EXPECTED["received"]
    assert centre.volumes.received == H.EXPECTED["received"] + 1
    assert centre.volumes.accepted == window.volumes.accepted + 1
    assert [r[0] for r in centre.table("by_window").rows] == ["01 号窗口", "02 号窗口"]
    assert centre.caveats and not window.caveats


def test_cli_stats_is_for_a_supervisor(home, history, tmp_path, capsys, monkeypatch):
    args = ["--home", str(home), "stats", "--from", "2026-11-23", "--to", "2026-12-11",
            "--pdf", str(tmp_path / "c.pdf"), "--xlsx", str(tmp_path / "c.xlsx"), "--csv", str(tmp_path / "c.csv")]
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")
    assert main(args + ["--clerk", "demo"]) == 2
    out, err = capsys.readouterr()
    assert "无权" in err and not any(tmp_path.glob("c.*"))
    monkeypatch.setenv("YICHUANG_PASSWORD", "super1234")
    assert main(args + ["--clerk", "super"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["volumes"]["received"] == H.EXPECTED["received"]
    assert data["efficiency"]["on_time_promised_rate"] == 80.0
    assert (tmp_path / "c.pdf").read_bytes().startswith(b"%PDF") and (tmp_path / "c.xlsx").exists()
    assert main(["--home", str(home), "report", "range", "--from", "2026-11-23", "--to", "2026-12-11",
                 "--out", str(tmp_path / "r.txt"), "--clerk", "super"]) == 2
    assert "扩展名" in capsys.readouterr().err


def test_the_daily_report_no_longer_contradicts_itself(services, clerk, supervisor, tmp_path):
    """咨询 in the outcome table is the 咨询登记 count, as in the service table beside it."""
    from tests.support.factories import residence_permit_intake

    services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.record_consultation(asker_name="陈先生", question="积分怎么算", answer="已告知", clerk=clerk)
    out = services.print_daily_report(out=tmp_path / "d.pdf", actor=supervisor)
    text = "".join(p.extract_text() or "" for p in PdfReader(out).pages)
    assert "\n咨询\n1\n" in text and "咨询登记（首问负责）\n1 次" in text
    assert local.check_scope("centre") == "centre"


def test_the_rows_built_once_give_what_the_former_queries_gave(services, history, supervisor):
    """Issue 11's speed work: the case rows in a temporary table (built once per report) give the same
    report, table for table, as the former `cr` CTE recomputed by every query; nothing is left behind."""
    start, end = H.PERIOD
    for scope in ("window", "centre"):
        new = local.compute(services.store, start=start, end=end, scope=scope).as_json()
        old = local.compute(services.store, start=start, end=end, scope=scope, legacy=True).as_json()
        new.pop("generated_at"), old.pop("generated_at")
        assert new == old, scope
    with services.store.Reader() as s:
        from sqlalchemy import text
        assert s.execute(text("SELECT name FROM sqlite_temp_master WHERE type = 'table'")).all() == []


def test_the_pdf_lists_at_most_a_page_of_overdue_cases_and_says_how_many_more(report):
    """Thousands of overdue cases must not go into the signed report: the PDF prints LIST_LIMIT of them and
    the count of the rest; the report's table (XLSX, GUI) keeps all of them."""
    from dataclasses import replace

    from desktop.core.stats import pdf as pdf_out
    from desktop.core.stats.figures import Table

    due = report.table("due")
    rows = tuple((f"CASE{i:05d}", "事项", "2026-12-01", "张敏", "01 号", "红色：已逾期" if i < 70 else
                  "黄色：临近到期") for i in range(100))
    many = replace(report, tables=tuple(Table(t.key, t.title, t.columns, rows) if t.key == "due" else t
                                        for t in report.tables))
    assert due.rows and len(many.table("due").rows) == 100
    reader = PdfReader(__import__("io").BytesIO(pdf_out.render(many, prepared_by="李建国")))
    text = "".join((p.extract_text() or "") for p in reader.pages).replace(" ", "").replace("\n", "")
    shown = [i for i in range(100) if f"CASE{i:05d}" in text]
    assert shown == list(range(pdf_out.LIST_LIMIT))
    assert f"另有{100 - pdf_out.LIST_LIMIT}件办件未列出（共100）" in text and "其中已逾期70件，临近到期30件" in text


def test_a_long_due_list_is_held_to_its_first_cases_and_counted_whole(services, history, clerk, supervisor,
                                                                      tmp_path, monkeypatch):
    """A month with a hundred thousand overdue cases: the report holds the first DUE_LISTED of each list
    (promised date order) and counts all of them; the PDF, the XLSX and the GUI say how many more there are
    and where they are; the CSV has every one with its 当前提示. The former reading cuts the same way."""
    from desktop.core.stats import pdf as pdf_out
    from desktop.core.stats import tables as tbl
    from tests.support.factories import residence_permit_intake
    from tests.support.summary_check import assert_reports_agree

    services.clock.now = H.NOW.replace(month=11, day=23, hour=11)  # another case J's age: overdue by 12-11
    extra = services.accept_application(intake=residence_permit_intake(), clerk=clerk).case_no
    services.clock.now = H.NOW
    monkeypatch.setattr(tbl, "DUE_LISTED", 1)
    monkeypatch.setattr(pdf_out, "LIST_LIMIT", 1)
    rep = services.statistics(start=H.PERIOD[0], end=H.PERIOD[1], scope="window", actor=supervisor,
                              pdf=tmp_path / "r.pdf", xlsx=tmp_path / "r.xlsx", csv=tmp_path / "r.csv")
    due = rep.table("due")
    assert (rep.efficiency.overdue_now, rep.efficiency.near_due_now) == (2, 1)
    with open(tmp_path / "r.csv", encoding="utf-8-sig") as f:
        promised = {r["办件编号"]: r["承诺办结日期"] for r in csv.DictReader(f)}
    first = min((history["J"], extra), key=lambda c: (promised[c], c))  # the earliest promised date first
    assert [r[0] for r in due.rows] == [first, history["L"]] and due.more == 1
    assert due.tally == (("已逾期", 2), ("临近到期", 1))
    text = "".join((p.extract_text() or "") for p in PdfReader(tmp_path / "r.pdf").pages).replace(" ", "")
    text = text.replace("\n", "")
    assert ("另有2件办件未列出（共3），完整名单见导出的CSV（“当前提示”列）。"
            "其中已逾期2件（报表载有承诺办结日期最早的1件），临近到期1件。") in text
    sheet = load_workbook(tmp_path / "r.xlsx")["当前逾期与临近到期办件"]
    first = next(sheet.iter_rows(values_only=True))  # said before the list's header
    assert first[0] == ("另有 1 件未列出（共 3），完整名单见导出的 CSV（“当前提示”列）。"
                        "其中已逾期 2 件（报表载有承诺办结日期最早的 1 件），临近到期 1 件。")
    with open(tmp_path / "r.csv", encoding="utf-8-sig") as f:
        hints = {r["办件编号"]: r["当前提示"] for r in csv.DictReader(f) if r["当前提示"]}
    assert hints == {history["J"]: "红色：已逾期", extra: "红色：已逾期", history["L"]: "黄色：临近到期"}
    assert_reports_agree(services.store, *H.PERIOD)


def test_a_due_list_the_report_holds_none_of_is_counted_not_called_empty(services, history, supervisor,
                                                                         tmp_path, monkeypatch):
    from desktop.core.stats import tables as tbl

    monkeypatch.setattr(tbl, "DUE_LISTED", 0)
    services.statistics(start=H.PERIOD[0], end=H.PERIOD[1], scope="window", actor=supervisor,
                        pdf=tmp_path / "r.pdf")
    text = "".join((p.extract_text() or "") for p in PdfReader(tmp_path / "r.pdf").pages)
    text = text.replace(" ", "").replace("\n", "")
    section = text.split("当前逾期与临近到期办件", 1)[1][:200]
    assert section.startswith("另有2件办件未列出（共2）") and not section.startswith("（无）")
