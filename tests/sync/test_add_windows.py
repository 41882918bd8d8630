"""add_windows: many windows in one transaction, the same logins add_window makes, all or nothing."""

from __future__ import annotations

import pytest

from db.central import CentralClient, window_role_name
from db.central.admin import add_windows
from desktop.core.sync import PROTOCOL
from tests.support.central_ops import admin_scalar


def test_add_windows_makes_working_logins_and_is_all_or_nothing(central_url, central_ca):
    urls = add_windows(central_url, [("310104", "01"), ("310104", "02"), ("310105", "01")],
                       centre_names={"310104": "徐汇区行政服务中心"})
    assert len(urls) == 3 and all(u.endswith("?sslmode=verify-full") for u in urls)
    for url, window_no in zip(urls, ("01", "02", "01"), strict=True):
        with CentralClient(url, ca_cert=central_ca) as client:
            assert client.handshake(PROTOCOL)["window_no"] == window_no
    assert admin_scalar(central_url, "SELECT name FROM yc.centres WHERE code = '310104'") == "徐汇区行政服务中心"
    # one bad window: nothing of the batch is provisioned
    with pytest.raises(ValueError, match="window number"):
        add_windows(central_url, [("310106", "01"), ("310106", "100")])
    assert admin_scalar(central_url, "SELECT count(*) FROM pg_roles WHERE rolname = %s",
                        (window_role_name("310106", "01"),)) == 0
    assert admin_scalar(central_url, "SELECT count(*) FROM yc.windows") == 3
