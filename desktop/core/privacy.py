"""Masking of personal data: ONE rule for ID numbers and phones, on paper and on screen alike."""

from __future__ import annotations


def mask_id(id_no: str | None) -> str:
    """Mask an identity number: first 6 and last 4 characters visible, the rest '*'.

    Numbers of 10 characters or fewer keep about a quarter at each end (at least half masked),
    so a 9-character passport number shows as 'E1*****78'. Whitespace is dropped first.
    """
    s = "".join(str(id_no or "").split())
    n = len(s)
    if n == 0:
        return ""
    if n > 10:
        head, tail = 6, 4
    else:
        head = tail = n // 4
    return s[:head] + "*" * (n - head - tail) + s[n - tail :] if tail else s[:head] + "*" * (n - head)


def mask_phone(phone: str | None) -> str:
    """Mask a phone number: first 3 and last 4 digits visible for mobile-length numbers,
    shorter numbers as `mask_id` does."""
    s = "".join(str(phone or "").split())
    if len(s) >= 11:
        return s[:3] + "*" * (len(s) - 7) + s[-4:]
    return mask_id(s)
