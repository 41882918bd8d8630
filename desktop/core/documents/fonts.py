"""Find the CJK font file (WenQuanYi Micro Hei) and register it for reportlab, once per process.

Importing this module does not import reportlab (the GUI finds the font file through
cjk_font_path() without paying reportlab's import at start-up); register_cjk_font() does.
"""

from __future__ import annotations

import mmap
import os
import shutil
import subprocess
import threading
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.core.errors import YichuangError
from desktop.core.memory import release_memory

if TYPE_CHECKING:
    from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "WenQuanYiMicroHei"
ENV_VAR = "YICHUANG_CJK_FONT"
SYSTEM_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
_REPO_FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"  # desktop/resources/fonts
_MISSING_MESSAGE = "未找到中文字体（文泉驿微米黑）。请运行安装脚本，或设置 YICHUANG_CJK_FONT 指向字体文件。"

_lock = threading.Lock()
_registered: str | None = None


def _candidates() -> Iterator[Path]:
    """Font files in the documented search order; lazy, so fc-match only runs if all else fails."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        yield Path(env)
    if _REPO_FONTS.is_dir():
        yield from sorted(p for p in _REPO_FONTS.iterdir() if p.suffix.lower() in (".ttc", ".ttf"))
    yield SYSTEM_FONT
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            out = subprocess.run(
                [fc_match, "-f", "%{file}", "WenQuanYi Micro Hei"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out:
            yield Path(out)


def cjk_font_path() -> str:
    """Path of the first existing font file in the documented search order (YICHUANG_CJK_FONT,
    resources/fonts, the Debian system font, fc-match). Raises YichuangError("E_FONT") if none exists.

    Existence only: the file is not parsed here (register_cjk_font() skips an unreadable one).
    """
    for path in _candidates():
        if path.is_file():
            return str(path)
    raise YichuangError("E_FONT", _MISSING_MESSAGE)


def _load(path: Path) -> TTFont | None:
    from reportlab.pdfbase.ttfonts import TTFont

    if not path.is_file():
        return None
    try:
        if path.suffix.lower() == ".ttc":
            return TTFont(FONT_NAME, str(path), subfontIndex=0)
        return TTFont(FONT_NAME, str(path))
    except Exception:  # noqa: BLE001 - an unreadable or CFF font: try the next candidate
        return None


class _PackedMetrics:
    """reportlab's hmetrics (a list of (advance, lsb) tuples, one per glyph: ~50,000 tuples for WenQuanYi)
    packed in an array of doubles (reportlab leaves scaled floats in it after the last full metric: values
    kept exactly as it read them); reportlab only indexes it when it subsets the font."""

    __slots__ = ("_a",)

    def __init__(self, pairs: list[tuple[float, float]]) -> None:
        from array import array

        self._a = array("d", [v for pair in pairs for v in pair])

    def __getitem__(self, i: int) -> tuple[float, float]:
        return self._a[2 * i], self._a[2 * i + 1]

    def __len__(self) -> int:
        return len(self._a) // 2


class _PackedCmap:
    """reportlab's charToGlyph (a dict of ~35,000 int → int for WenQuanYi: 3.5 MB with its int objects,
    which also pin the heap arenas the parse's garbage lies in) as a table of the Basic Multilingual Plane
    (128 KB: glyph ids fit 16 bits below _ABSENT) and a dict for the few code points beyond it. reportlab
    reads it with `in`, `[code]`, `.get`, `.keys()` and truth."""

    __slots__ = ("_bmp", "_astral", "_n")
    _ABSENT = 0xFFFF

    def __init__(self, mapping: dict[int, int]) -> None:
        from array import array

        self._bmp = array("H", [self._ABSENT]) * 0x10000
        self._astral = {c: g for c, g in mapping.items() if c >= 0x10000}
        for c, g in mapping.items():
            if c < 0x10000:
                self._bmp[c] = g
        self._n = len(mapping)

    @classmethod
    def fits(cls, mapping: dict[int, int], num_glyphs: int) -> bool:
        return num_glyphs < cls._ABSENT and all(c >= 0 for c in mapping)

    def __contains__(self, code: object) -> bool:
        if type(code) is int and 0 <= code < 0x10000:
            return self._bmp[code] != 0xFFFF
        return code in self._astral

    def __getitem__(self, code: int) -> int:
        if type(code) is int and 0 <= code < 0x10000:
            g = self._bmp[code]
            if g != 0xFFFF:
                return g
            raise KeyError(code)
        return self._astral[code]

    def get(self, code: int, default: int | None = None) -> int | None:
        try:
            return self[code]
        except KeyError:
            return default

    def keys(self) -> Iterator[int]:
        yield from (c for c, g in enumerate(self._bmp) if g != 0xFFFF)
        yield from self._astral

    __iter__ = keys

    def items(self) -> Iterator[tuple[int, int]]:
        return ((c, self[c]) for c in self.keys())

    def __len__(self) -> int:
        return self._n


class _Window:
    """A large table of the mapped file (reportlab's subsetting takes the whole `glyf`, 4.5 MB for WenQuanYi,
    to copy a few glyphs out of it): sliced on demand, so only the pages of the glyphs a document uses are
    read, and nothing is copied whole."""

    __slots__ = ("_data", "_start", "_stop")

    def __init__(self, data: mmap.mmap, start: int, stop: int) -> None:
        self._data, self._start, self._stop = data, start, stop

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, key: int | slice) -> int | bytes:
        if isinstance(key, slice):
            a, b, step = key.indices(len(self))
            if step != 1:
                return bytes(self)[key]
            return self._data[self._start + a:self._start + max(a, b)]
        n = len(self)
        i = key + n if key < 0 else key
        if not 0 <= i < n:
            raise IndexError(key)
        return self._data[self._start + i]

    def __bytes__(self) -> bytes:
        return self._data[self._start:self._stop]


_WHOLE_TABLE = 1 << 20  # a table this large is handed out as a _Window, not copied


def _map_file(face) -> None:  # noqa: ANN001 - reportlab's TTFontFile
    """The font file's bytes (5 MB for WenQuanYi, held whole by reportlab for subsetting) as a read-only
    map of the file instead: a document's subset reads a few small tables and its own glyphs, and the
    pages it read are let go after each subset (they stay in the page cache, shared with every process
    using the font), so the client does not keep the font file resident."""
    try:
        with open(face.filename, "rb") as fh:
            mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return  # keep the bytes reportlab read
    if len(mapped) != len(face._ttf_data) or mapped[:4096] != face._ttf_data[:4096]:
        mapped.close()  # the file changed since it was parsed: keep what was parsed
        return
    face._ttf_data = mapped
    get_table, make_subset = face.get_table, face.makeSubset

    def table(tag: str) -> bytes | _Window:
        pos, length = face.get_table_pos(tag)
        return _Window(mapped, pos, pos + length) if length > _WHOLE_TABLE else get_table(tag)

    def subset_then_release(subset: list[int]) -> bytes:
        try:
            return make_subset(subset)
        finally:
            if hasattr(mmap, "MADV_DONTNEED"):
                mapped.madvise(mmap.MADV_DONTNEED)

    face.get_table, face.makeSubset = table, subset_then_release
    if hasattr(mmap, "MADV_DONTNEED"):
        mapped.madvise(mmap.MADV_DONTNEED)


def _slim(face) -> None:  # noqa: ANN001 - reportlab's TTFontFile
    """Keep what drawing and subsetting read, in compact form (about 16 MB less for WenQuanYi): the glyph
    offsets, metrics and cmap as arrays, the file mapped rather than read; glyph → characters and the
    widths equal to the default only serve harfbuzz shaping, which is not installed."""
    import importlib.util
    from array import array

    face.glyphPos = array("L", face.glyphPos)
    face.hmetrics = _PackedMetrics(face.hmetrics)
    if _PackedCmap.fits(face.charToGlyph, face.numGlyphs):
        face.charToGlyph = _PackedCmap(face.charToGlyph)
    _map_file(face)
    if importlib.util.find_spec("uharfbuzz") is None:
        face.glyphToChar = {}
        # every reader outside shaping asks charWidths.get(code, defaultWidth): a width equal to the
        # default need not be stored (33,394 of WenQuanYi's 34,600 are)
        default = face.defaultWidth
        face.charWidths = {c: w for c, w in face.charWidths.items() if w != default}


def register_cjk_font() -> str:
    """Register WenQuanYi Micro Hei with reportlab (cached per process) and return its font name.

    Raises YichuangError("E_FONT") if no usable font is found; never falls back to the
    non-embedded CID font STSong-Light. Thread-safe.
    """
    global _registered
    if _registered is not None:
        return _registered
    with _lock:
        if _registered is not None:
            return _registered
        from reportlab.lib.fonts import addMapping
        from reportlab.pdfbase import pdfmetrics

        for path in _candidates():
            font = _load(path)
            if font is None:
                continue
            _slim(font.face)
            pdfmetrics.registerFont(font)
            release_memory()  # parsing the cmap and metrics leaves ~8 MB of freed objects behind
            # The font has one weight: map bold/italic to it so <b> in Paragraph markup never fails.
            for bold in (0, 1):
                for italic in (0, 1):
                    addMapping(FONT_NAME, bold, italic, FONT_NAME)
            _registered = FONT_NAME
            return _registered
        raise YichuangError("E_FONT", _MISSING_MESSAGE)


# ---- the fallback for rare characters ----------------------------------------------------------------
# WenQuanYi Micro Hei has no glyphs beyond the common CJK blocks: a name such as 𠮷田 (U+20BB7, CJK
# Extension B) would print with a blank where the character belongs, on an official document. Such
# characters are drawn with a TrueType font that has them (花园明朝 HanaMinB/HanaMinA from Debian's
# fonts-hanazono, or a file named by YICHUANG_CJK_FALLBACK_FONT), embedded as a subset like the main font.
FALLBACK_NAME = "YichuangFallback"
FALLBACK_ENV_VAR = "YICHUANG_CJK_FALLBACK_FONT"
FALLBACK_FONTS = (
    Path("/usr/share/fonts/truetype/hanazono/HanaMinB.ttf"),
    Path("/usr/share/fonts/truetype/hanazono/HanaMinA.ttf"),
)

_fallback: tuple[str, Collection[int], Collection[int]] | None = None  # name, main cmap, fallback cmap
_fallback_done = False


def _fallback_candidates() -> Iterator[Path]:
    env = os.environ.get(FALLBACK_ENV_VAR, "").strip()
    if env:
        yield Path(env)
    fallback_dir = _REPO_FONTS / "fallback"
    if fallback_dir.is_dir():
        yield from sorted(p for p in fallback_dir.iterdir() if p.suffix.lower() == ".ttf")
    yield from FALLBACK_FONTS


def main_cmap() -> Collection[int]:
    """The code points the main font has (its own cmap, not a copy): text made only of these never needs
    the fallback, so the fallback font is not loaded for it."""
    from reportlab.pdfbase import pdfmetrics

    return pdfmetrics.getFont(register_cjk_font()).face.charToGlyph


def fallback_font() -> tuple[str, Collection[int], Collection[int]] | None:
    """(reportlab name, code points the main font has, code points the fallback has), registered once;
    None where no fallback font is installed (rare characters then print blank, as before).

    Loaded on first need only: HanaMinB is a 30 MB file that reportlab holds whole, with its cmap and
    widths (about 58 MB resident), so a client that never prints a rare character never pays for it."""
    global _fallback, _fallback_done
    if _fallback_done:
        return _fallback
    main = main_cmap()
    with _lock:
        if _fallback_done:
            return _fallback
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont

        for path in _fallback_candidates():
            if not path.is_file():
                continue
            try:
                font = TTFont(FALLBACK_NAME, str(path))
            except Exception:  # noqa: BLE001 - unreadable or CFF: try the next one
                continue
            pdfmetrics.registerFont(font)
            _fallback = (FALLBACK_NAME, main, font.face.charToGlyph)
            break
        _fallback_done = True
        return _fallback


def fallback_has(code_point: int) -> bool | None:
    """Whether the fallback font has a character, without keeping the font (the doctor's check): None
    where no fallback font is installed. Uses the registered fallback when a document loaded it already."""
    if _fallback_done:
        return None if _fallback is None else code_point in _fallback[2]
    from reportlab.pdfbase.ttfonts import TTFontFile

    for path in _fallback_candidates():
        if not path.is_file():
            continue
        try:
            face = TTFontFile(str(path))
        except Exception:  # noqa: BLE001 - unreadable or CFF: try the next one, as fallback_font() does
            continue
        found = code_point in face.charToGlyph
        del face
        release_memory()  # the parse leaves tens of MB of freed objects behind
        return found
    return None
