"""Sync with the central PostgreSQL: the transport Protocol, the round (push pipeline + pull), the streams.

transport.py says what a round needs from the centre (db.central.client.CentralClient is the real one),
round.py pushes the outbox and pulls the streams, streams.py applies each down stream, link.py keeps the
central URL, the pinned CA and the status, protocol.py derives the protocol number. Every function takes the window's
store (engine, sessions, clock, settings, invalidate). The names below are the package's API."""

from desktop.core.outbox.deadletter import rejected_ops, resolve_rejected, retry_rejected
from desktop.core.sync.link import (
    central_ca_path,
    clock_skew_seconds,
    store_central_url,
    stored_central_url,
    sync_status,
)
from desktop.core.sync.protocol import PROTOCOL
from desktop.core.sync.round import (
    BLOB_CHUNK_BYTES,
    PUSH_BATCH,
    link_central,
    pull_streams,
    push_outbox,
    sync_round,
    upload_blobs,
)
from desktop.core.sync.streams import CENTRE_ACTOR, PULL_LIMITS, STREAMS
from desktop.core.sync.transport import Transport

central_url = stored_central_url  # the name this function had before the package split

__all__ = [
    "BLOB_CHUNK_BYTES",
    "CENTRE_ACTOR",
    "PROTOCOL",
    "PULL_LIMITS",
    "PUSH_BATCH",
    "STREAMS",
    "Transport",
    "central_ca_path",
    "central_url",
    "clock_skew_seconds",
    "link_central",
    "pull_streams",
    "push_outbox",
    "rejected_ops",
    "resolve_rejected",
    "retry_rejected",
    "store_central_url",
    "stored_central_url",
    "sync_round",
    "sync_status",
    "upload_blobs",
]
