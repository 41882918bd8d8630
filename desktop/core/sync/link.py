"""The window's link to its centre as the store remembers it: the central URL (secret kept apart), and
the sync status shown in the status bar."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from db.local.models import OutboxOp
from desktop.core.config import SecretStore, join_secret, split_secret
from desktop.core.errors import BadInput
from desktop.core.types import SyncStatus

if TYPE_CHECKING:
    from desktop.core.store import Store

__all__ = ["clock_skew_seconds", "store_central_url", "stored_central_url", "sync_status"]


def _account(store: Store) -> str:
    w = store.window()
    return f"{w.centre_code}-{w.window_no}"


def store_central_url(store: Store, url: str) -> str:
    """Remember the central database URL; the password goes to the keyring (or a 0600 file), never
    into the plain settings. Returns where the secret went."""
    url = url.strip()
    if not url.startswith(("postgresql://", "postgresql+psycopg://", "postgres://")):
        raise BadInput("E_CENTRAL_URL", "中心数据库地址应以 postgresql:// 开头", field="central_url")
    clean, password = split_secret(url)
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
