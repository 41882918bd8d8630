"""Where a window keeps its data (the per-user folder, the packaged resources) and its central database
secret (never in the plain settings)."""

import os
import stat
import sys
from pathlib import Path

import pytest

from desktop.core import config
from desktop.core.config import SecretStore, default_home, join_secret, split_secret


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


def test_the_home_is_yichuang_home_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("YICHUANG_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_home() == tmp_path / "elsewhere"


@pytest.mark.skipif(sys.platform != "linux", reason="the Linux location")
def test_the_home_on_linux_is_where_it_always_was(tmp_path, monkeypatch):
    monkeypatch.delenv("YICHUANG_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_home() == tmp_path / "xdg" / "yichuang"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "clerk"))
    assert default_home() == tmp_path / "clerk" / ".local" / "share" / "yichuang"


def test_resources_ship_inside_the_package():
    import desktop

    package = Path(desktop.__file__).resolve().parent
    assert config.RESOURCES == package / "resources"
    assert config.DEMO_CATALOGUE.is_file() and (config.RESOURCES / "style.qss").is_file()
