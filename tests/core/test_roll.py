"""The 80 mm roll and Chinese line breaking: every roll document keeps its ink inside the 72 mm a thermal head
prints (measured on the rendered page), no line ends with an opening bracket or starts with a closing mark,
nothing hangs past the frame, and an address under a QR code never breaks inside a number."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph

from desktop.core import documents
from desktop.core.documents.codes import caption_lines, split_at_separators
from desktop.core.documents.layout import CANNOT_END, CANNOT_START, PAPERS, ROLL_PRINTABLE, styles
from desktop.core.types import CaseMaterial
from tests.support.doc_samples import CASE_NO, FULL_ID, sample_case, sample_enterprise_case, sample_window

pytestmark = pytest.mark.quick

ROLL = PAPERS["roll80"]
DPI = 203  # the dot pitch of the thermal heads the roll is made for
OPENING = "（《「【“"


def refusal(case, **kw):
    return documents.render_refusal_notice(case, reason="申请事项不属于本中心受理范围",
                                           apply_instead="上海市徐汇区人力资源和社会保障局", **kw)


def receipt(case, **kw):
    return documents.render_delivery_receipt(case, receiver_name="张三", receiver_id_no=FULL_ID,
                                             delivered_at=datetime(2026, 3, 2, 10, 15), **kw)


def gap_receipt(case, **kw):
    supplied = [{"code": m.code, "name": m.name, "gap_due": m.gap_due, "at": datetime(2026, 3, 2, 10, 15),
                 "by": "王芳（工号 XH0517）"} for m in case.materials if m.state == "gap"]
    return documents.render_gap_receipt(case, supplied=supplied, **kw)


def gap_reminder(case, **kw):
    return documents.render_gap_reminder(case, issued_at=datetime(2026, 3, 2, 9, 0), **kw)


RENDERERS = {
    "voucher": documents.render_voucher,
    "one_time_notice": documents.render_one_time_notice,
    "acceptance_notice": documents.render_acceptance_notice,
    "refusal_notice": refusal,
    "gap_promise": documents.render_gap_promise,
    "delivery_receipt": receipt,
    "gap_receipt": gap_receipt,
    "gap_reminder": gap_reminder,
}

_LONG_MATERIAL = CaseMaterial("M09", "《上海市居住证》（含积分通知书）及【附件】“家庭成员关系证明”" * 2, True, "copy", 2,
                              "gap", gap_due=datetime(2026, 2, 26).date())


def _cases():
    """The cases every roll document is measured on: plain, an enterprise, long text everywhere, a reprint."""
    long = sample_case(
        window=sample_window(),
        applicant_name="欧阳" + "长" * 60 + "（曾用名：【李】）",
        materials=sample_case().materials + (_LONG_MATERIAL,),
        case_no="310104-05-20260212-0017-KXYZ",
    )
    return {
        "plain": (sample_case(window=sample_window()), 0),
        "enterprise": (sample_enterprise_case(), 0),
        "long": (long, 0),
        "reprint": (sample_case(), 12),
    }


def ink_columns(pdf: bytes, tmp_path: Path) -> tuple[float, float, float]:
    """(leftmost ink, rightmost ink, page width) in mm of a one-page PDF rasterised at the head's 203 dpi in
    grey; ink is any pixel that is not pure white (light shading prints as dither on a thermal head)."""
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm not installed")
    tmp_path.mkdir(parents=True, exist_ok=True)
    src = tmp_path / "doc.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-singlefile", str(src), str(tmp_path / "page")],
                   check=True)
    magic, w, h, _maxval, pixels = (tmp_path / "page.pgm").read_bytes().split(maxsplit=4)
    assert magic == b"P5"
    width, height = int(w), int(h)
    left, right = width, 0
    for y in range(height):
        row = pixels[y * width:(y + 1) * width]
        body = row.strip(b"\xff")
        if body:
            left = min(left, width - len(row.lstrip(b"\xff")))
            right = max(right, len(row.rstrip(b"\xff")))
    assert right > left, "blank page"
    px = 25.4 / DPI
    return left * px, right * px, width * px


@pytest.mark.parametrize("kind", sorted(RENDERERS))
def test_every_roll_document_keeps_its_ink_within_the_printable_72mm(kind, tmp_path):
    band_left = (80 - ROLL_PRINTABLE / mm) / 2  # the head prints 72 mm centred on the 80 mm paper
    band_right = band_left + ROLL_PRINTABLE / mm
    for name, (case, reprint) in _cases().items():
        if kind == "one_time_notice" and not case.gaps:
            continue
        pdf = RENDERERS[kind](case, paper="roll80", reprint=reprint)
        left, right, page = ink_columns(pdf, tmp_path / name)
        assert abs(page - 80) < 0.2, (kind, name, page)
        assert left >= band_left and right <= band_right, (
            f"{kind}/{name}: ink from {left:.2f} to {right:.2f} mm, outside {band_left}–{band_right} mm")
        assert right - left > 60, (kind, name, left, right)  # the frame is used, not shrunk to nothing


def test_the_measurement_sees_ink_outside_the_band(tmp_path):
    """The ruler itself: a table drawn across the whole frame of a 3 mm-margin roll is caught."""
    from reportlab.pdfgen.canvas import Canvas

    buf = io.BytesIO()
    canv = Canvas(buf, pagesize=(80 * mm, 40 * mm))
    canv.rect(3 * mm, 10 * mm, 74 * mm, 20 * mm)
    canv.showPage()
    canv.save()
    left, right, _ = ink_columns(buf.getvalue(), tmp_path)
    assert left < 3.1 and right > 76.9


# ---------------------------------------------------------------- line breaking (禁则)


def lines_of(markup: str, width: float, style=None) -> list[tuple[str, float]]:
    """(text, width) of each line reportlab lays `markup` out in, at `width`."""
    style = style or styles(ROLL).body
    para = Paragraph(markup, style)
    para.wrap(width, 1e6)
    out = []
    for line in para.blPara.lines:
        if isinstance(line, tuple):  # one font: (extra space, [text])
            text = "".join(line[1])
            out.append((text, stringWidth(text, style.fontName, style.fontSize)))
        else:  # several fragments: a FragLine
            text = "".join(w.text for w in line.words)
            out.append((text, sum(stringWidth(w.text, w.fontName, w.fontSize) for w in line.words)))
    return out


@pytest.mark.parametrize("bracket", list(OPENING))
@pytest.mark.parametrize("markup", [False, True])
def test_no_line_ends_with_an_opening_bracket_wherever_it_falls(bracket, markup):
    st_ = styles(ROLL).body
    width = 10 * st_.fontSize + 1  # ten characters a line
    closing = {"（": "）", "《": "》", "「": "」", "【": "】", "“": "”"}[bracket]
    for k in range(1, 21):  # the bracket at every position of the first two lines
        text = "字" * k + bracket + "引用的名称" + closing + "，其后还有文字。" * 3
        if markup:  # several fragments take reportlab's other wrapper
            text = "<b>" + text[:3] + "</b>" + text[3:]
        lines = lines_of(text, width)
        assert "".join(t for t, _ in lines) == re.sub(r"</?b>", "", text)
        for t, w in lines:
            assert t and t[-1] not in CANNOT_END, (k, [x for x, _ in lines])
            assert w <= width + 1e-6, ("hangs past the frame", k, t)
        for t, _ in lines[1:]:
            assert t[0] not in CANNOT_START, (k, [x for x, _ in lines])


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="字文，。、：；）》」】“”（《「【ABC123 ", min_size=1, max_size=80),
       st.integers(min_value=3, max_value=14))
def test_line_breaking_keeps_every_character_obeys_the_rules_and_never_overflows(text, chars):
    st_ = styles(ROLL).body
    width = chars * st_.fontSize + 0.5
    lines = lines_of(text, width)
    assert "".join("".join(t.split()) for t, _ in lines) == "".join(text.split())  # spaces at a break go
    for t, w in lines:
        assert w <= width + 1e-6 or len(t) == 1, (t, w, width)


def test_a_number_in_running_text_is_moved_whole_to_the_next_line():
    st_ = styles(ROLL).body
    lines = lines_of(f"办件编号为{CASE_NO}的申请", 12 * st_.fontSize)
    assert any(CASE_NO in t for t, _ in lines), lines


def test_the_roll_voucher_text_has_no_line_ending_with_an_opening_bracket():
    case = _cases()["long"][0]
    for kind in ("voucher", "one_time_notice", "gap_promise"):
        text = PdfReader(io.BytesIO(RENDERERS[kind](case, paper="roll80"))).pages[0].extract_text()
        for line in text.splitlines():
            assert not line.rstrip() or line.rstrip()[-1] not in CANNOT_END, (kind, line)


# ---------------------------------------------------------------- QR captions


def test_split_at_separators():
    assert split_at_separators("https://a.b/query?case=123") == ["https:/", "/", "a.b/", "query?", "case=", "123"]
    assert split_at_separators("") == []


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghij0123456789X.-", min_size=1, max_size=14), min_size=1, max_size=8),
       st.lists(st.sampled_from("/?&=#"), min_size=8, max_size=8),
       st.floats(min_value=20, max_value=120))
def test_caption_lines_break_only_after_a_separator(words, seps, width):
    text = "".join(w + s for w, s in zip(words, seps))[:-1]
    st_ = styles(ROLL).tiny_centre
    lines, size = caption_lines(text, st_.fontName, st_.fontSize, width)
    assert "".join(lines) == text
    assert 5 <= size <= st_.fontSize
    for line in lines[:-1]:
        assert line[-1] in "/?&=#"
    for line in lines:
        if len(split_at_separators(line)) > 1:  # one piece may not fit even at 5 pt; two never share a line then
            assert stringWidth(line, st_.fontName, size) <= width + 1e-6


def _case_number_runs(text: str, case_no: str) -> list[str]:
    """Runs of 8+ case-number characters on one line that are part of the case number."""
    runs = []
    for line in text.splitlines():
        runs += [r for r in re.findall(r"[0-9A-Z-]{8,}", line) if r in case_no]
    return runs


@pytest.mark.parametrize("paper", ["a4", "roll80"])
@pytest.mark.parametrize("case_no", [CASE_NO, "310104-05-20260212-0017-KXYZ"])
def test_qr_captions_never_break_inside_the_case_number(paper, case_no):
    case = sample_case(case_no=case_no, outcome="accepted",
                       query_url=f"https://zwdt.sh.gov.cn/ac/ywtb/progress/query-by-number?case={case_no}&from=window")
    text = PdfReader(io.BytesIO(documents.render_voucher(case, paper=paper))).pages[0].extract_text()
    runs = _case_number_runs(text, case_no)
    assert runs and all(r == case_no for r in runs), runs
    assert text.count(case_no) >= 3  # under the barcode and in both QR addresses, whole


def test_a_caption_too_wide_for_its_column_shrinks_before_it_breaks():
    st_ = styles(ROLL).tiny_centre
    lines, size = caption_lines("case=" + "1" * 40, st_.fontName, st_.fontSize, 30 * mm)
    assert lines == ["case=", "1" * 40] and size < st_.fontSize


def test_the_roll_paper_is_unchanged_but_its_frame_fits_the_head():
    assert ROLL.width == 80 * mm and ROLL.roll and ROLL.frame_width <= ROLL_PRINTABLE
