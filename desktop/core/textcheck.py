"""Text that comes from outside (files, the keyboard, the centre): decoded with a clear message, and refused
when it hides characters a person cannot see or that reorder what they read.

Refused everywhere (names, codes, versions, notes): C0 controls other than TAB, LF and CR; DEL (U+007F);
C1 controls (U+0080–U+009F, among them NEL U+0085); line and paragraph separators (U+2028/2029); lone
surrogates (U+D800–U+DFFF, which JSON can spell); and every format character (Unicode category Cf, as of
Unicode 15, written out below so that the centre's copy of this list in central c0021/c0022 says the same):
the soft hyphen (U+00AD), zero-width and direction marks (U+200B–U+200F, U+061C), bidi embeddings,
overrides and isolates (U+202A–U+202E, U+2066–U+2069), the word joiner and invisible operators
(U+2060–U+2064), the byte-order mark (U+FEFF), interlinear annotation marks (U+FFF9–U+FFFB), tag
characters (U+E0001, U+E0020–U+E007F) and the other Cf characters of scripts a Shanghai counter does not
write. Variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) are not format characters and are allowed:
rare characters in names use them. A pure module: no store, no Qt."""

from __future__ import annotations

import json
import re
from typing import Any

from desktop.core.errors import BadInput

_FORBIDDEN_RANGES = (
    (0x00, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x206F),
    (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F),
)


def _pattern(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges) + "]")


# TAB, LF and CR (U+0009, U+000A, U+000D) are allowed in multi-line text only
_MULTILINE = _pattern(((0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F)) + _FORBIDDEN_RANGES[1:])
_ONE_LINE = _pattern(_FORBIDDEN_RANGES)


def forbidden_char(text: str, *, multiline: bool = True) -> str | None:
    """The first character of `text` that is refused (see the module doc), or None. With multiline False,
    TAB, LF and CR are refused too."""
    found = (_MULTILINE if multiline else _ONE_LINE).search(text)
    return found.group() if found else None


def without_refused(text: str, limit: int | None = None, *, multiline: bool = False) -> str:
    """`text` without the characters refused here (one-line by default), at most `limit` characters: for
    names that come from elsewhere (the centre, a store written before a check existed) and are shown or
    sent on, not refused."""
    cleaned = (_MULTILINE if multiline else _ONE_LINE).sub("", text or "")
    return cleaned if limit is None else cleaned[:limit]


def describe(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def check_plain(text: str, field: str, label: str, *, multiline: bool = True) -> None:
    """BadInput (E_FIELD_CONTROL) naming `field` when `text` holds a refused character."""
    bad = forbidden_char(text, multiline=multiline)
    if bad is not None:
        raise BadInput("E_FIELD_CONTROL",
                       f"{label} 含有不可见的控制字符或文字方向控制字符（{describe(bad)}），请删除后重新输入",
                       field=field)


def decode_input(data: bytes, what: str, *, field: str = "file") -> str:
    """UTF-8 text from `data`, or BadInput: a byte-order mark, bytes that are not UTF-8, a NUL byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise BadInput("E_FILE_BOM", f"{what} 以 UTF-8 BOM（字节顺序标记）开头：请另存为不带 BOM 的 UTF-8 文件",
                       field=field)
    if b"\x00" in data:
        raise BadInput("E_FILE_BINARY", f"{what} 含有空字符（NUL），不是文本文件", field=field)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadInput("E_FILE_ENCODING", f"{what} 不是 UTF-8 编码（第 {e.start + 1} 个字节处）", field=field) from e


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in JSON `text` (strings skipped), without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _path(parent: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def check_strings(value: Any, field: str = "") -> None:
    """Every key and string in a parsed JSON value: no lone surrogate, no refused control (naming the path)."""
    stack: list[tuple[Any, str]] = [(value, field)]
    while stack:
        v, where = stack.pop()
        if isinstance(v, str):
            check_plain(v, where or "file", f"字段 {where}" if where else "文件内容")
        elif isinstance(v, dict):
            for k, item in v.items():
                check_plain(k, _path(where, k), f"字段名 {_path(where, k)}")
                stack.append((item, _path(where, k)))
        elif isinstance(v, list):
            stack.extend((item, _path(where, i)) for i, item in enumerate(v))


def load_json(text: str, what: str, *, field: str = "file", max_depth: int = 32) -> Any:
    """Parse JSON `text`: BadInput (Chinese, naming the field) for bad JSON, nesting deeper than `max_depth`,
    numbers too large to be meant, or refused characters in any key or string."""
    if json_depth(text) > max_depth:
        raise BadInput("E_JSON_DEPTH", f"{what} 嵌套层数超过 {max_depth} 层，不是有效的输入", field=field)
    try:
        data = json.loads(text, parse_int=_parse_int, parse_constant=_refuse_constant)
    except json.JSONDecodeError as e:
        raise BadInput("E_JSON", f"{what} 不是有效的 JSON（第 {e.lineno} 行第 {e.colno} 列：{e.msg}）",
                       field=field) from e
    except (ValueError, RecursionError) as e:
        raise BadInput("E_JSON", f"{what} 不是有效的 JSON（{e}）", field=field) from e
    check_strings(data)
    return data


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > 300:
        raise ValueError(f"数字 {text[:20]}… 位数过多")
    return int(text)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} 不是有效的数值")
