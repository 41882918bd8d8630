"""Two windows never continue the same case at once: a short lease at the centre (10 minutes, renewable by
the holding window), taken before a window continues a case and released after.

Taken only when a centre is configured and answers within about two seconds; offline the window goes on
(and says so): the centre settles a conflict by version later, the loser goes to the dead-letter list with
its reason (desktop/core/sync/loop.py). A lease another window holds is CaseLeased, with its clerk, window
and until when."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from db.central.errors import CentralError
from desktop.core import caseno, textcheck
from desktop.core.clock import SHANGHAI
from desktop.core.errors import CaseLeased
from desktop.core.types import Clerk

if TYPE_CHECKING:
    from desktop.core.store import Store
    from desktop.core.sync.transport import Transport

__all__ = ["LEASE_CONNECT_SECONDS", "Lease", "held", "release_lease", "take_lease"]

LEASE_CONNECT_SECONDS = 2
"""How long a lease waits for the centre before the window goes on offline."""
OFFLINE_NOTE = "未连接中心：本窗口离线办理此件；如其他窗口同时办理，以中心先收到的版本为准，另一方将列入异常件"
NO_CENTRE_NOTE = "未配置中心：本窗口单独办理此件"


@dataclass(frozen=True)
class Lease:
    """The answer: `granted` (this window may go on), `online` (the centre answered), `until` (the lease's end,
    Shanghai time; None offline or for a case the centre does not know yet), `note` (what to tell the clerk)."""

    case_no: str
    granted: bool
    online: bool
    until: datetime | None = None
    note: str = ""


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return t.astimezone(SHANGHAI).replace(tzinfo=None) if t.tzinfo else t


def _open(store: Store) -> Transport | None:
    """The real transport with a short connect timeout, or None when no centre is configured."""
    from db.central.client import CentralClient
    from desktop.core.sync.link import candidate_link

    if not store.setting("central_url"):
        return None
    try:
        link = candidate_link(store)
    except CentralError:
        return None
    except Exception:  # noqa: BLE001 - no usable link (e.g. no CA): offline for the lease's purposes
        return None
    from desktop.core import chain

    return CentralClient(link.url, ca_cert=link.ca_file, connect_timeout=LEASE_CONNECT_SECONDS,
                         statement_timeout=LEASE_CONNECT_SECONDS * 2, window_key=chain.window_key(store))


def take_lease(store: Store, *, case_no: str, clerk: Clerk, transport: Transport | None = None) -> Lease:
    """Ask the centre for the case's lease for this window. CaseLeased when another window holds it; an
    offline or unconfigured window gets a Lease that says so (granted, not online)."""
    case_no = caseno.normalise_case_no(case_no)
    link = transport if transport is not None else _open(store)
    if link is None or not hasattr(link, "lease_case"):
        return Lease(case_no=case_no, granted=True, online=False, note=NO_CENTRE_NOTE)
    try:
        answer = link.lease_case(case_no, clerk.login, clerk.name)
    except CentralError:  # unreachable, or a centre without leases: the version check settles it later
        return Lease(case_no=case_no, granted=True, online=False, note=OFFLINE_NOTE)
    finally:
        if transport is None:
            link.close()
    if answer.get("granted"):
        if answer.get("unknown"):
            return Lease(case_no=case_no, granted=True, online=True, note="中心尚无此件（未同步），暂不锁定")
        return Lease(case_no=case_no, granted=True, online=True, until=_time(answer.get("until")))
    holder = answer.get("holder") or {}
    until = _time(holder.get("until"))
    raise CaseLeased(window_no=_shown(holder.get("window_no"), 2) or "?", clerk_name=_shown(holder.get("clerk_name"), 40),
                     until=f"{until:%H:%M}" if until else "?", case_no=case_no)


def _shown(value: Any, limit: int) -> str:
    """A name another window gave the centre, as this window shows it: without the characters a person cannot
    see or that reorder the sentence around them (desktop.core.textcheck), at most `limit` characters."""
    return textcheck.without_refused(str(value or ""), limit)


def release_lease(store: Store, *, case_no: str, transport: Transport | None = None) -> bool:
    """Give the lease back (best effort: offline it simply runs out). True when the centre released it."""
    case_no = caseno.normalise_case_no(case_no)
    link = transport if transport is not None else _open(store)
    if link is None or not hasattr(link, "release_case"):
        return False
    try:
        return bool(link.release_case(case_no).get("released"))
    except CentralError:
        return False
    finally:
        if transport is None:
            link.close()


@contextmanager
def held(store: Store, *, case_no: str, clerk: Clerk, transport: Transport | None = None) -> Iterator[Lease]:
    """Hold the case's lease for the body (CaseLeased before it runs when another window holds it)."""
    lease = take_lease(store, case_no=case_no, clerk=clerk, transport=transport)
    try:
        yield lease
    finally:
        if lease.online and lease.until is not None:
            release_lease(store, case_no=case_no, transport=transport)
