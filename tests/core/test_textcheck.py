"""desktop/core/textcheck.py: which characters a window refuses in every text (and the centre, central
c0021/c0022, with the same list): every format character (Unicode category Cf), the controls, the
separators, lone surrogates; TAB, LF and CR only in multi-line text; and nothing a name may need."""

from __future__ import annotations

import unicodedata

import pytest

from desktop.core.textcheck import forbidden_char


def test_every_format_character_and_control_is_refused_and_nothing_else_is():
    refused = {c for c in range(0x110000) if forbidden_char(chr(c)) is not None}
    cf = {c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"}
    controls = {c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cc"} - {0x09, 0x0A, 0x0D}
    assert cf <= refused, sorted(hex(c) for c in cf - refused)
    assert controls <= refused
    others = refused - cf - controls
    # besides Cf and Cc: the line and paragraph separators, lone surrogates, and the code points of the Cf
    # blocks a later Unicode assigns (U+2065; U+13439-U+1343F)
    assert others == {0x2028, 0x2029, 0x2065} | set(range(0xD800, 0xE000)) | set(range(0x13439, 0x13440)), \
        sorted(hex(c) for c in others if c < 0xD800 or c > 0xDFFF)


@pytest.mark.parametrize("text", ["张三", "葛\U000e0100", "\U00020bb7野家", "祁\ufe00", "O'Neil-李", "（一）、《》“”",
                                  "👩🏽", "🇨🇳", "第一行\n第二行\t附注\r\n"])
def test_what_names_and_notes_may_hold_passes(text):
    assert forbidden_char(text) is None


def test_tab_lf_and_cr_are_refused_in_one_line_text_only():
    for ch in "\t\n\r":
        assert forbidden_char(f"张{ch}三") is None
        assert forbidden_char(f"张{ch}三", multiline=False) == ch


@pytest.mark.parametrize("ch", ["\u2060", "\u061c", "\u00ad", "\u180e", "\U000e0001", "\U000e0041", "\ufff9",
                                "\u200d", "\u202e", "\u2066", "\ufeff", "\x85", "\x7f", "\ud800"])
def test_the_first_refused_character_is_named(ch):
    assert forbidden_char(f"张三{ch}李四{chr(0x202E)}") == ch
