"""The window's link to its centre as the store remembers it: the central URL (secret kept apart), the
centre's CA certificate the window pins, and the sync status shown in the status bar.

A new link (URL, CA, or both) is a `CandidateLink` until a handshake over it succeeded: only then does
`CandidateLink.commit` replace the stored URL, password and CA, so a typo never replaces a working link.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import func, select

from db.local.models import OutboxOp
from desktop.core.config import SecretStore, join_secret, split_secret
from desktop.core.errors import BadInput
from desktop.core.types import SyncStatus

if TYPE_CHECKING:
    from desktop.core.store import Store

__all__ = [
    "CA_FILE",
    "CandidateLink",
    "candidate_link",
    "central_ca_path",
    "clock_skew_seconds",
    "read_ca_cert",
    "store_central_url",
    "stored_central_url",
    "sync_status",
]

CA_FILE = "central-ca.pem"
"""The centre's CA certificate (PEM) in the window's data folder, 0600: the only CA the window trusts."""
MAX_CA_BYTES = 256 * 1024
_PEM_CERT = b"-----BEGIN CERTIFICATE-----"


def _account(store: Store) -> str:
    w = store.window()
    return f"{w.centre_code}-{w.window_no}"


_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\[\]:/,]+)(?::(\d{1,5}))?")


def _check_url(url: str) -> str:
    """A postgresql:// URL naming one host or several (libpq's "H1:P1,H2:P2" form: primary and standby),
    each with a numeric port if any."""
    url = url.strip()
    if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        raise BadInput("E_CENTRAL_URL", "中心数据库地址应以 postgresql:// 开头", field="central_url")
    try:
        parts = urlsplit(url)
    except ValueError as e:
        raise BadInput("E_CENTRAL_URL", f"中心数据库地址无效：{e}", field="central_url") from None
    hosts = parts.netloc.rsplit("@", 1)[-1]
    if not hosts:
        raise BadInput("E_CENTRAL_URL", "中心数据库地址中缺少服务器名", field="central_url")
    for item in hosts.split(","):
        m = _HOST_PORT.fullmatch(item)
        if not m or (m.group(2) is not None and not 0 < int(m.group(2)) < 65536):
            raise BadInput("E_CENTRAL_URL", f"中心数据库地址无效：服务器“{item}”应为 主机 或 主机:端口",
                           field="central_url")
    return url


def store_central_url(store: Store, url: str) -> str:
    """Remember the central database URL as it is, without checking that it works (CandidateLink.commit
    calls this after a successful handshake); the password goes to the keyring (or a 0600 file), never
    into the plain settings. Returns where the secret went."""
    clean, password = split_secret(_check_url(url))
    where = "none"
    if password:
        where = SecretStore(store.home, _account(store)).set(password)
    store.set_setting("central_url", clean)
    return where


def stored_central_url(store: Store) -> str | None:
    """The central URL with its secret put back, or None when none is configured."""
    clean = store.setting("central_url")
    if not clean:
        return None
    return join_secret(clean, SecretStore(store.home, _account(store)).get())


def central_ca_path(store: Store) -> Path:
    return Path(store.home) / CA_FILE


def read_ca_cert(path: str | os.PathLike[str]) -> bytes:
    """The PEM text of a CA certificate file, checked: readable, at most MAX_CA_BYTES, one or more X.509
    certificates in PEM. BadInput (field ca_cert) naming the file otherwise."""
    from cryptography import x509

    p = Path(path)
    try:
        with open(p, "rb") as fh:
            data = fh.read(MAX_CA_BYTES + 1)
    except OSError as e:
        raise BadInput("E_CA_CERT", f"无法读取 CA 证书文件 {p}：{e.strerror}", field="ca_cert") from None
    if len(data) > MAX_CA_BYTES:
        raise BadInput("E_CA_CERT", f"CA 证书文件 {p} 过大，不是中心发放的 CA 证书", field="ca_cert")
    if _PEM_CERT not in data:
        raise BadInput("E_CA_CERT", f"CA 证书文件 {p} 不是 PEM 格式的证书（应含 BEGIN CERTIFICATE）",
                       field="ca_cert")
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError as e:
        raise BadInput("E_CA_CERT", f"CA 证书文件 {p} 无法解析：{e}", field="ca_cert") from None
    if not certs:
        raise BadInput("E_CA_CERT", f"CA 证书文件 {p} 中没有证书", field="ca_cert")
    return data


def _write_private(path: Path, data: bytes) -> None:
    """Create `path` 0600 (never following a planted link), replacing nothing: the caller renames it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


@dataclass
class CandidateLink:
    """A link to try before it replaces the stored one: `url` (with its password) and `ca_file` (the CA
    to pin: the stored one, or a new one written 0600 beside it under a temporary name)."""

    url: str
    ca_file: Path
    new_ca: bool

    def commit(self, store: Store) -> str:
        """After a successful handshake: the URL, password and CA become the window's link. Returns
        where the password went (keyring / file / none)."""
        where = store_central_url(store, self.url)
        if self.new_ca:
            os.replace(self.ca_file, central_ca_path(store))
            self.new_ca = False
            self.ca_file = central_ca_path(store)
        return where

    def discard(self) -> None:
        """Forget a candidate that was not committed (its temporary CA file goes)."""
        if self.new_ca:
            self.ca_file.unlink(missing_ok=True)
            self.new_ca = False


def _pop_query(url: str, name: str) -> tuple[str, str | None]:
    """Remove parameter `name` from the URL's query; returns (url, its value or None)."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    value = next((v for k, v in pairs if k == name), None)
    if value is None:
        return url, None
    query = urlencode([(k, v) for k, v in pairs if k != name])
    return urlunsplit(parts._replace(query=query)), value


def candidate_link(store: Store, url: str | None = None, ca_cert: str | os.PathLike[str] | None = None
                   ) -> CandidateLink:
    """What a new URL and/or CA file would make of the link, before anything is stored.

    url None: the stored URL (with its password). A URL without a password that names the stored URL
    keeps the stored password. ca_cert None: the CA in the URL's `sslrootcert` (libpq's parameter; it is
    taken out of the URL kept), else the stored CA. No CA at all, or a bad one: BadInput."""
    if url is None:
        url = stored_central_url(store)
        if not url:
            raise BadInput("E_NO_CENTRAL", "未配置中心数据库：请用 yichuang sync --central 地址 --ca-cert CA.pem，"
                           "或在设置中填写", field="central_url")
    else:
        url = _check_url(url)
        url, in_url = _pop_query(url, "sslrootcert")
        if ca_cert is None and in_url:
            ca_cert = in_url
        clean, password = split_secret(url)
        if not password and clean == store.setting("central_url"):
            url = stored_central_url(store) or url
    if ca_cert is None:
        stored = central_ca_path(store)
        if not stored.is_file():
            raise BadInput("E_NO_CA", "未配置中心的 CA 证书：请用 --ca-cert 指定中心发放的 CA 证书文件"
                           "（yichuang central add-window 输出的 ca_cert）", field="ca_cert")
        return CandidateLink(url=url, ca_file=stored, new_ca=False)
    pem = read_ca_cert(ca_cert)
    home = Path(store.home)
    home.mkdir(parents=True, exist_ok=True)
    tmp = home / f".{CA_FILE}.{secrets.token_hex(6)}.new"
    _write_private(tmp, pem)
    return CandidateLink(url=url, ca_file=tmp, new_ca=True)


def sync_status(store: Store) -> SyncStatus:
    with store.Reader() as s:
        pending = s.scalar(select(func.count()).select_from(OutboxOp).where(OutboxOp.state == "pending")) or 0
        oldest = s.scalar(select(func.min(OutboxOp.created_at)).where(OutboxOp.state == "pending"))
        rejected = s.scalar(select(func.count()).select_from(OutboxOp).where(OutboxOp.state == "rejected")) or 0
    last = store.setting("sync_last_success")
    online_flag = store.setting("sync_online")
    configured = bool(store.setting("central_url"))
    return SyncStatus(
        online=(online_flag == "1") if configured else None,
        queue_length=pending,
        oldest_pending_at=oldest,
        last_success_at=datetime.fromisoformat(last) if last else None,
        last_error=store.setting("sync_last_error"),
        rejected=rejected,
    )


def clock_skew_seconds(store: Store) -> int:
    """Local clock minus the centre's, in seconds, as measured by the last handshake (0 if never)."""
    try:
        return int(store.setting("sync_clock_skew") or 0)
    except ValueError:
        return 0
