"""Text as documents print it: user text made safe for drawing and markup, dates, the query/rating addresses."""

from __future__ import annotations

import re
from datetime import date, datetime

from desktop.core.types import CaseRecord, Clerk

from .fonts import fallback_font, main_cmap

QUERY_URL_BASE = "https://zwdt.sh.gov.cn/query?case="
RATING_URL_BASE = "https://zwdt.sh.gov.cn/rate?case="

_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def clean(value: object) -> str:
    """User text made safe to draw: control characters and lone surrogates replaced.
    Characters the main font lacks are kept (esc() sets them in the fallback font where installed)."""
    text = "" if value is None else str(value)
    text = _UNSAFE.sub(" ", text)
    return _SURROGATE.sub("\ufffd", text)


def esc(value: object) -> str:
    """User text made safe for Paragraph markup: clean() plus '&', '<', '>' escaped, and characters
    the main font lacks (𠮷) set in the fallback font where one is installed."""
    text = clean(value).translate(_ESCAPES)
    if text.isascii():
        return text
    main = main_cmap()
    if all(ord(ch) in main for ch in text):
        return text  # the common case: the fallback font is not even loaded
    fb = fallback_font()
    if fb is None:
        return text
    name, _, fb_cmap = fb
    out: list[str] = []
    for ch in text:
        cp = ord(ch)
        if cp not in main and cp in fb_cmap:
            out.append(f'<font name="{name}">{ch}</font>')
        else:
            out.append(ch)
    return "".join(out).replace("</font><font name=\"" + name + "\">", "")


def fmt_date(d: date | None, missing: str = "—") -> str:
    """A date as printed on documents: YYYY年MM月DD日."""
    if d is None:
        return missing
    return f"{d.year:04d}年{d.month:02d}月{d.day:02d}日"


def fmt_datetime(t: datetime | None, missing: str = "—") -> str:
    """A time as printed on documents: YYYY年MM月DD日 HH:MM."""
    if t is None:
        return missing
    return f"{fmt_date(t)} {t.hour:02d}:{t.minute:02d}"


def clerk_text(c: Clerk) -> str:
    """The clerk as documents name him: '张敏（工号 A001）', and as a backup 'B角（代 王芳）' after it."""
    text = f"{esc(c.name)}（工号 {esc(c.staff_no)}）"
    return f"{text} B角（代 {esc(c.backup_for)}）" if c.backup_for else text


def query_url(case: CaseRecord) -> str:
    return case.query_url or QUERY_URL_BASE + case.case_no


def rating_url(case: CaseRecord) -> str:
    return case.rating_url or RATING_URL_BASE + case.case_no
