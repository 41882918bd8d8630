"""Where the central database secret is kept: never in the plain settings."""

import os
import stat

from desktop.core.config import SecretStore, join_secret, split_secret


def test_split_and_join_a_connection_url():
    url = "postgresql://yc_w_310104_01:p%40ss%3Aword@127.0.0.1:5432/central"
    clean, password = split_secret(url)
    assert clean == "postgresql://yc_w_310104_01@127.0.0.1:5432/central"
    assert password == "p%40ss%3Aword"
    assert join_secret(clean, password) == url


def test_file_secret_store_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("YICHUANG_SECRET_STORE", "file")
    store = SecretStore(tmp_path, "310104-01")
    assert store.set("s3cret") == "file"
    assert store.get() == "s3cret"
    mode = stat.S_IMODE(os.stat(tmp_path / "secrets" / "central.json").st_mode)
    assert mode == 0o600
