"""What a sync round needs from the centre: five calls, the lease calls and close(), whatever carries them.

The real transport is db.central.client.CentralClient (psycopg to the central PostgreSQL); unit tests use
tests/support/fake_transport.py, which refuses to run outside tests. Errors are db.central.errors:
CentralUnreachable (nothing of that call was committed: try again later), ProtocolTooOld, and other
CentralError subclasses for a refusal.

Optional beyond the Protocol: `pull_all(cursors: {stream: after}, limits: {stream: limit}) -> {stream: page}`,
every stream's next page in one call (CentralClient has it, central c0015); round.pull_streams uses it when
the transport has it and one `pull` per stream otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

__all__ = ["Transport"]


@runtime_checkable
class Transport(Protocol):
    """One window's link to its centre. Used by one thread at a time; each call is one transaction."""

    def handshake(self, protocol: int, client: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """{"protocol", "min_protocol", "schema", "server_time", "centre_code", "centre_name",
        "window_no", "bound", "chain_head"}; ProtocolTooOld if the centre no longer accepts `protocol`.
        `client` is {"machine_id", "key_sha256", "client_time"}; WindowBoundElsewhere when another
        machine holds this window."""
        ...

    def bind_window(self, machine_id: str, window_key: str) -> dict[str, Any]:
        """Bind the (unbound) window to this machine and key: {"bound": true, "chain_head"}."""
        ...

    def push(self, ops: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Send frozen ops ({"op_id", "kind", "payload": text, "sha256", and when chained "chain_seq",
        "chain_prev", "chain_mac"}); one answer per op, in order:
        {"op_id", "status": "applied" | "duplicate" | "rejected", "reason"?, "result"?}."""
        ...

    def put_blobs(self, blobs: list[tuple[str, bytes]]) -> list[str]:
        """Upload [(sha256, content)…]; returns the hashes the centre now holds for this centre."""
        ...

    def pull(self, stream: str, after: int, limit: int) -> dict[str, Any]:
        """{"rows": [{"seq", "key", "data"}…] with seq > after, ascending, at most `limit`;
        "last_seq": the last row's seq, or `after` when there is none}."""
        ...

    def lease_case(self, case_no: str, clerk_login: str, clerk_name: str) -> dict[str, Any]:
        """Take (or renew) the case's 10-minute lease for this window (protocol 5): {"granted": true, "until"},
        {"granted": true, "unknown": true} for a case the centre does not have yet, or {"granted": false,
        "holder": {"window_no", "clerk_name", "until"}}."""
        ...

    def release_case(self, case_no: str) -> dict[str, Any]:
        """Give this window's lease back: {"released": bool}."""
        ...

    def close(self) -> None:
        ...
