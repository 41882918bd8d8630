"""Helpers for the tests of the pooler's shared entry (central c0020): bind a window's key, sign a gw.call
the way c0020 specifies it (written out here, not taken from the client), and a raw connection with a
window's own credentials. Test code only."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime

import psycopg

from db.central import CentralClient, _libpq_url

__all__ = ["GW", "bind", "raw", "signed"]

GW = "SELECT gw.call(%s, %s, %s, %s, %s, %s)"


def bind(url: str, ca) -> bytes:
    """Bind the window at `url` (its own login, direct) to a new machine and key, as a new PC does."""
    key = secrets.token_bytes(32)
    machine = uuid.uuid4().hex
    with CentralClient(url, ca_cert=ca) as c:
        hello = c.handshake(5, {"machine_id": machine, "key_sha256": hashlib.sha256(key).hexdigest(),
                                "client_time": datetime.now(UTC).isoformat()})
        assert hello["bound"] is False
        c.bind_window(machine, key.hex())
    return key


def signed(key: bytes, fn: str, centre: str, window: str, args: str, *, at: datetime | None = None) -> tuple:
    """gw.call's parameters: the MAC is HMAC-SHA256 under `key` of
    "yc-gateway-1|fn|centre|window|at|" + hex SHA-256 of the argument text."""
    at_text = (at or datetime.now(UTC)).isoformat(timespec="milliseconds")
    message = f"yc-gateway-1|{fn}|{centre}|{window}|{at_text}|{hashlib.sha256(args.encode()).hexdigest()}"
    return centre, window, at_text, hmac.new(key, message.encode(), hashlib.sha256).hexdigest(), fn, args


def raw(url: str, ca) -> psycopg.Connection:
    """A raw connection to the pooler with the window's own credentials (what an attacker at a window has)."""
    return psycopg.connect(_libpq_url(url), sslrootcert=str(ca), autocommit=True, prepare_threshold=None,
                           connect_timeout=10)
