"""A department PC's settings, kept in its data folder without `yichuang init` (there is no window store):
`office.json` (the centre's URL without its password, and who the centre said this PC serves), the
centre's CA certificate copied 0600 beside it (the only CA trusted), and the department login's password
in the secret store (OS keyring, or the 0600 secrets file) as a window keeps its own.

A new URL or CA is a candidate until office.hello() succeeded over it (`OfficeLink.commit`), so a typo
never replaces a working link."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from desktop.core.config import SecretStore, db_path, join_secret, private_home, split_secret, write_private
from desktop.core.errors import BadInput
from desktop.core.office import SETTINGS_FILE
from desktop.core.sync.link import CA_FILE, _check_url, _pop_query, _write_private, read_ca_cert

MAX_SETTINGS_BYTES = 64 * 1024


def settings_path(home: Path) -> Path:
    return Path(home) / SETTINGS_FILE


def ca_path(home: Path) -> Path:
    return Path(home) / CA_FILE


def read_settings(home: Path) -> dict[str, str]:
    p = settings_path(home)
    if not p.is_file():
        return {}
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_SETTINGS_BYTES + 1)
        value = json.loads(data.decode("utf-8"))
    except (OSError, ValueError) as e:
        raise BadInput("E_OFFICE_SETTINGS", f"部门设置文件 {p} 无法读取（{e}）：请用 --central 地址 --ca-cert CA.pem "
                       "重新设置", field="central_url") from None
    if len(data) > MAX_SETTINGS_BYTES or not isinstance(value, dict):
        raise BadInput("E_OFFICE_SETTINGS", f"部门设置文件 {p} 格式不对：请用 --central 地址 --ca-cert CA.pem 重新设置",
                       field="central_url")
    return {str(k): str(v) for k, v in value.items() if isinstance(v, (str, int))}


def write_settings(home: Path, values: dict[str, str]) -> None:
    p = settings_path(home)
    tmp = p.with_name(f".{SETTINGS_FILE}.{secrets.token_hex(4)}.tmp")
    write_private(tmp, json.dumps(values, ensure_ascii=False, indent=1).encode("utf-8"), durable=True)
    os.replace(tmp, p)


def _account(clean_url: str) -> str:
    """The secret store's account of a department login: its role name (one per department)."""
    return f"office-{urlsplit(clean_url).username or 'default'}"


def stored_url(home: Path) -> str | None:
    """The stored URL with its password put back, or None."""
    clean = read_settings(home).get("central_url")
    if not clean:
        return None
    return join_secret(clean, SecretStore(Path(home), _account(clean)).get())


@dataclass
class OfficeLink:
    """The URL (with its password) and the CA file to try; `commit` stores them after a good hello."""

    home: Path
    url: str
    ca_file: Path
    new_ca: bool
    new_url: bool

    def commit(self, hello: dict | None = None) -> None:
        """The candidate becomes the department PC's link (and what hello said is remembered)."""
        private_home(self.home)
        values = read_settings(self.home)
        if self.new_url:
            clean, password = split_secret(self.url)
            if password:
                SecretStore(self.home, _account(clean)).set(password)
            values["central_url"] = clean
        if self.new_ca:
            os.replace(self.ca_file, ca_path(self.home))
            self.ca_file, self.new_ca = ca_path(self.home), False
        for key in ("centre_code", "centre_name", "department"):
            if hello and hello.get(key) is not None:
                values[key] = str(hello[key])
        write_settings(self.home, values)

    def discard(self) -> None:
        if self.new_ca:
            self.ca_file.unlink(missing_ok=True)
            self.new_ca = False


def office_link(home: Path, url: str | None = None, ca_cert: str | os.PathLike[str] | None = None) -> OfficeLink:
    """What `--central URL` and `--ca-cert FILE` (each optional once stored) would make the link; nothing
    is stored yet. BadInput: no URL or CA anywhere, a bad URL or CA file, or a window's data folder."""
    home = Path(home)
    if db_path(home).exists():
        raise BadInput("E_OFFICE_HOME", f"数据目录 {home} 是一个窗口的数据目录：部门（后台）请使用自己的数据目录"
                       "（--home 或环境变量 YICHUANG_HOME）", field="home")
    new_url = url is not None
    if url is None:
        url = stored_url(home)
        if not url:
            raise BadInput("E_NO_CENTRAL", "未配置中心数据库：第一次使用请加 --central 部门登录地址 --ca-cert CA.pem"
                           "（yichuang central add-department 的输出）", field="central_url")
    else:
        url, in_url = _pop_query(_check_url(url), "sslrootcert")
        if ca_cert is None and in_url:
            ca_cert = in_url
        clean, password = split_secret(url)
        if not password and clean == read_settings(home).get("central_url"):
            url = stored_url(home) or url
    if ca_cert is None:
        if not ca_path(home).is_file():
            raise BadInput("E_NO_CA", "未配置中心的 CA 证书：请用 --ca-cert 指定中心发放的 CA 证书文件"
                           "（yichuang central add-department 输出的 ca_cert）", field="ca_cert")
        return OfficeLink(home, url, ca_path(home), new_ca=False, new_url=new_url)
    pem = read_ca_cert(ca_cert)
    private_home(home)
    tmp = home / f".{CA_FILE}.{secrets.token_hex(6)}.new"
    _write_private(tmp, pem)
    return OfficeLink(home, url, tmp, new_ca=True, new_url=new_url)
