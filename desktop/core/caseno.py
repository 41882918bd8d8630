"""Offline case numbers: centre + window + date + local serial + an ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import re
from datetime import date

from desktop.core.errors import BadInput

_CHARS = "0123456789X"
_PATTERN = re.compile(r"^(\d{6,12})(\d{2})(\d{6})(\d{4})([0-9X])$")


def check_char(digits: str) -> str:
    """ISO 7064 MOD 11-2 over a digit string (the scheme the resident ID uses)."""
    total = 0
    for ch in digits:
        total = (total + int(ch)) * 2 % 11
    return _CHARS[(12 - total) % 11]


def make_case_no(centre_code: str, window_no: str, day: date, serial: int) -> str:
    if not (1 <= serial <= 9999):
        raise BadInput("E_CASE_SERIAL", "本窗口当日办件编号已用完（上限 9999 件）")
    body = f"{centre_code}{window_no}{day:%y%m%d}{serial:04d}"
    return body + check_char(body)


def serial_prefix(centre_code: str, window_no: str, day: date) -> str:
    return f"{centre_code}{window_no}{day:%y%m%d}"


def is_valid_case_no(case_no: str) -> bool:
    s = case_no.strip().upper()
    return bool(_PATTERN.match(s)) and check_char(s[:-1]) == s[-1]


def normalise_case_no(case_no: str, *, field: str = "case_no") -> str:
    """Strip spaces and dashes a clerk may type; raise BadInput when the check character fails."""
    s = re.sub(r"[\s\-]", "", case_no).upper()
    if not is_valid_case_no(s):
        raise BadInput("E_CASE_NO", f"办件编号“{case_no}”无效（格式或校验位错误）", field=field)
    return s
