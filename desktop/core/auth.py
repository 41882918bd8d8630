"""Password hashing for window users: argon2id (argon2-cffi, RFC 9106 parameters); the hash string carries
its parameters. Hashes made by older versions (PBKDF2-SHA256, "pbkdf2_sha256$iterations$salt$digest") still
verify, and `needs_rehash` says so, so that a login replaces them with argon2id.

`verify_unknown` spends the time of one real verification: a login that does not exist takes as long to
refuse as a wrong password, so timing does not tell which logins exist."""

from __future__ import annotations

import base64
import hashlib
import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()  # argon2id, time_cost=3, memory_cost=64 MiB, parallelism=4 (RFC 9106 low-memory)
_LEGACY = "pbkdf2_sha256"
_DUMMY: str | None = None  # a hash of nothing anyone types, made once per process for unknown logins


def hash_password(password: str) -> str:
    """An argon2id hash of `password` ("$argon2id$v=19$m=...,t=...,p=...$salt$digest")."""
    return _HASHER.hash(password)


def _verify_pbkdf2(password: str, stored: str) -> bool:
    try:
        algo, iterations, salt_b64, digest_b64 = stored.split("$")
        if algo != _LEGACY:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt_b64), int(iterations))
        return hmac.compare_digest(digest, base64.b64decode(digest_b64))
    except (ValueError, TypeError):
        return False


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches `stored` (argon2id, or a legacy PBKDF2 hash)."""
    if stored.startswith(_LEGACY + "$"):
        return _verify_pbkdf2(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True for a hash that is not argon2id with today's parameters (a login then replaces it)."""
    if stored.startswith(_LEGACY + "$"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def verify_unknown(password: str) -> bool:
    """One argon2id verification that always fails: the cost of checking a login that does not exist."""
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = _HASHER.hash("\x00unknown login\x00")
    verify_password(password, _DUMMY)
    return False


def legacy_pbkdf2_hash(password: str, *, salt: bytes, iterations: int = 120_000) -> str:
    """A hash in the old PBKDF2 format (for an upgrade test and for reading old stores; never for new users)."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return f"{_LEGACY}${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
