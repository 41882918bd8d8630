"""统计报表 (menu 统计, Ctrl+T): a supervisor picks a period and a scope, reads the summary the PDF and the XLSX
carry, and exports it; the figures are computed and the files written off the GUI thread. A clerk cannot
open it. YICHUANG_SCREENSHOT=1 also saves the dialog as docs/screenshot-stats.png."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook

from tests.support.factories import person

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-stats.png"
PERMIT = {"matter": "SH-PER-001", "applicant": person(), "materials": {"ID": "paper", "PHOTO": "paper",
                                                                       "RESIDENCE": "paper"}}
ENDORSE = {"matter": "SH-PER-002", "applicant": person(), "materials": {"ID": "paper", "PERMIT": "paper"}}
NO_PHOTO = {"matter": "SH-PER-001", "applicant": person(), "materials": {"ID": "paper", "RESIDENCE": "paper"}}


def _month(services, clerk, clock) -> dict[str, int]:
    """March 2026 at window 01, counted by hand: 4 received on 03-02 and 03-04 (2 accepted, 1 on the spot,
    1 notice), 1 consultation, ratings 5 and 2; the 10th is today."""
    taken = []
    for day, intake in ((2, PERMIT), (2, ENDORSE), (4, NO_PHOTO), (4, PERMIT)):
        clock.now = datetime(2026, 3, day, 10, 0)
        taken.append(services.accept_application(intake=intake, clerk=clerk).case_no)
    services.record_consultation(asker_name="陈先生", question="居住证要带什么", answer="已告知", clerk=clerk,
                                 matter_code="SH-PER-001")
    services.record_rating(case_no=taken[1], overall=5)
    services.record_rating(case_no=taken[0], overall=2, comment="等候时间长")
    clock.now = datetime(2026, 3, 10, 9, 30)
    return {"received": 4, "accepted": 2, "completed": 1, "notices": 1, "consultations": 1}


def _open(qtbot, window):
    window.statistics_action.trigger()
    dialog = window.active_dialog
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20_000)
    return dialog


def test_a_supervisor_sees_the_month_and_exports_it(qtbot, super_window, services, clerk, clock, tmp_path,
                                                    quiet_presenter, print_log):
    expected = _month(services, clerk, clock)
    dialog = _open(qtbot, super_window)
    assert dialog.period == (date(2026, 3, 1), date(2026, 3, 10))  # 本月 up to today
    rep = dialog.report
    assert {k: getattr(rep.volumes, k) for k in expected} == expected
    shown = [(dialog.summary.item(r, 0).text(), dialog.summary.item(r, 1).text())
             for r in range(dialog.summary.rowCount())]
    assert shown == rep.summary_rows()
    assert ("收件", "4 件") in shown and ("好差评", "共 2 次，好评率 50.0%，差评 1 次") in shown
    assert dialog.volume_chart.rows[0] == ("收件", 4)
    titles = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert titles[0] == "概况" and titles[1:] == [t.title for t in rep.tables]
    if os.environ.get("YICHUANG_SCREENSHOT"):
        dialog.grab().save(str(SCREENSHOT))

    # the export runs on the reader thread: the call returns before the file exists
    gui = threading.get_ident()
    seen: list[int] = []
    original = type(services).statistics

    def spy(self, **kw):
        seen.append(threading.get_ident())
        return original(self, **kw)

    type(services).statistics = spy
    try:
        quiet_presenter.files.append(str(tmp_path / "march"))  # the extension is added
        with qtbot.waitSignal(dialog.exported, timeout=20_000) as done:
            dialog.export_buttons["xlsx"].click()
            assert not (tmp_path / "march.xlsx").exists()
    finally:
        type(services).statistics = original
    assert done.args == [str(tmp_path / "march.xlsx")] and seen and gui not in seen
    sheet = load_workbook(tmp_path / "march.xlsx")["概况"]
    assert {r[0]: r[1] for r in sheet.iter_rows(values_only=True) if r and r[0]}["收件"] == "4 件"
    for kind in ("csv", "pdf"):
        quiet_presenter.files.append(str(tmp_path / f"march.{kind}"))
        with qtbot.waitSignal(dialog.exported, timeout=20_000):
            dialog.export_buttons[kind].click()
        assert (tmp_path / f"march.{kind}").stat().st_size > 0
    with qtbot.waitSignal(dialog.exported, timeout=20_000):
        dialog.print_button.click()
    assert print_log[-1].pdf_path.endswith("统计-20260301-20260310-window.pdf")


def test_another_period_and_the_centre_scope(qtbot, super_window, services, clerk, clock):
    _month(services, clerk, clock)
    dialog = _open(qtbot, super_window)
    dialog.set_period(date(2026, 3, 4), date(2026, 3, 4))
    dialog.scope_box.setCurrentIndex(dialog.scope_box.findData("centre"))
    with qtbot.waitSignal(dialog.loaded, timeout=20_000) as got:
        dialog.run_button.click()
        assert dialog.heading.text() == "正在统计……"
    rep = got.args[0]
    assert rep.scope == "centre" and (rep.volumes.received, rep.volumes.notices) == (2, 1)
    assert "全中心" in dialog.heading.text() and "2026-03-04 至 2026-03-04" in dialog.heading.text()
    dialog.set_period(date(2026, 3, 5), date(2026, 3, 4))  # the end before the start: said, nothing shown
    with qtbot.waitSignal(dialog.loaded, timeout=20_000) as got:
        dialog.run_button.click()
    assert got.args[0] is None and "早于开始日期" in dialog.message.text()
    assert not dialog.export_buttons["pdf"].isEnabled()


def test_a_clerk_cannot_open_the_statistics(window):
    assert not window.statistics_action.isEnabled()
    window.open_statistics()
    assert window.active_dialog is None


def test_a_due_list_cut_short_says_so_first(qtbot, super_window, services, clerk, clock, monkeypatch):
    """A month with more overdue and near-due cases than the report holds (tables.DUE_LISTED, here none): the
    due tab's first row says how many there are and that the CSV has them all."""
    from desktop.core.stats import tables as tbl

    _month(services, clerk, clock)
    clock.now = datetime(2026, 3, 20, 9, 30)  # both accepted cases past their promised dates
    monkeypatch.setattr(tbl, "DUE_LISTED", 0)
    dialog = _open(qtbot, super_window)
    eff = dialog.report.efficiency
    assert (eff.overdue_now, eff.near_due_now) == (2, 0)
    index = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())].index("当前逾期与临近到期办件")
    table = dialog.tabs.widget(index)
    assert table.rowCount() == 1 and table.columnSpan(0, 0) == table.columnCount()  # across the row
    assert table.item(0, 0).text() == ("另有 2 件未列出（共 2），完整名单见导出的 CSV（“当前提示”列）。"
                                       "其中已逾期 2 件（报表载有承诺办结日期最早的 0 件），临近到期 0 件。")
