"""Year end across the link: the centre publishes next year's holidays and a window's 待定 dates are computed
in the same transaction as the pulled calendar (with the new case version queued for the centre)."""

from __future__ import annotations

import json
from datetime import date, datetime

from desktop.cli import main
from tests.support.factories import residence_permit_intake


def test_a_pulled_calendar_computes_pending_dates(services, clerk, clock, window, central_url, capsys, tmp_path):
    services.set_central(url=window("310104", "01", centre_name="徐汇区行政服务中心"))
    clock.now = datetime(2026, 12, 21, 9, 30)  # a Monday
    taken = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert taken.deadline_pending and taken.promised_date == date(2026, 12, 30)
    services.sync_round()
    cal_file = tmp_path / "2027.json"
    cal_file.write_text(json.dumps({"years": [2027], "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"}]}, ensure_ascii=False), encoding="utf-8")
    assert main(["central", "publish-calendar", central_url, str(cal_file)]) == 0
    capsys.readouterr()
    services.sync_round()
    record = services.case_record(case_no=taken.case_no)
    # statutory 15 from Mon 2026-12-21: 22..31 Dec are 8, 2027-01-01 is 元旦, Jan 4 (9) .. Jan 12 (15)
    assert record.statutory_date == date(2027, 1, 12) and not record.deadline_pending
    # the voucher and the 受理通知书 printed with it at the first visit (issue 10)
    assert [k for _, c, k, _ in services.documents_owed() if c == taken.case_no] == ["voucher", "acceptance_notice"]
    services.sync_round()  # the new case version reaches the centre
    assert not [o for o in services.outbox(limit=100) if o.state == "pending"]
