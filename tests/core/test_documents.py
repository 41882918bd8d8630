"""Printed documents: every kind on every paper parses, carries the case, embeds the CJK font, and its
barcodes decode; masking, reprint marks, long and astral-plane names, and the daily report."""

from __future__ import annotations

import io
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from reportlab.lib.units import mm

from desktop.core import documents
from desktop.core.documents import (
    mask_id,
    register_cjk_font,
    render_acceptance_notice,
    render_daily_report,
    render_gap_promise,
    render_one_time_notice,
    render_refusal_notice,
    render_voucher,
)
from desktop.core.errors import BadInput, YichuangError
from tests.support.doc_samples import (
    AGENT_ID,
    BATCH_NO,
    CASE_NO,
    CENTRE_PHONE,
    CLERK,
    FULL_ID,
    TRACKING_NO,
    USCC,
    sample_case,
    sample_enterprise_case,
    sample_stats,
    sample_transfer,
    sample_window,
)

pytestmark = pytest.mark.quick

PAPERS = ("a4", "roll80")


def refuse(case, **kw):
    return render_refusal_notice(
        case, reason="申请事项不属于本中心受理范围", apply_instead="上海市徐汇区人力资源和社会保障局", **kw
    )


#: kind -> (renderer, title that must be printed)
DOCUMENTS = {
    "voucher": (render_voucher, "收件凭证"),
    "one_time_notice": (render_one_time_notice, "一次性告知单"),
    "acceptance": (render_acceptance_notice, "受理通知书"),
    "refusal": (refuse, "不予受理通知书"),
    "gap_promise": (render_gap_promise, "容缺受理承诺书"),
}


def pdf_text(data: bytes) -> str:
    """All text of the PDF with whitespace removed (so wrapped lines still match)."""
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join((page.extract_text() or "").split()) for page in reader.pages)


def fonts_of(data: bytes) -> list[tuple[str, bool]]:
    """(base font name, has an embedded TrueType program) for every font of every page."""
    out = []
    for page in PdfReader(io.BytesIO(data)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            desc = font.get("/FontDescriptor")
            out.append((str(font["/BaseFont"]), bool(desc) and "/FontFile2" in desc.get_object()))
    return out


def decode_barcodes(data: bytes, tmp_path: Path, *, last_page: int | None = None) -> set[str]:
    """Rasterise at 300 dpi and decode every barcode on every page (or pages 1..last_page) with zbarimg."""
    if not shutil.which("zbarimg") or not shutil.which("pdftoppm"):
        pytest.skip("zbarimg/pdftoppm not installed")
    tmp_path.mkdir(parents=True, exist_ok=True)
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(data)
    pages = ["-l", str(last_page)] if last_page else []
    subprocess.run(["pdftoppm", "-r", "300", *pages, "-png", str(pdf), str(tmp_path / "page")], check=True)
    found: set[str] = set()
    for png in sorted(tmp_path.glob("page*.png")):
        out = subprocess.run(
            ["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, check=False
        )
        found.update(line.strip() for line in out.stdout.splitlines() if line.strip())
    return found


# ---------------------------------------------------------------- every document, every paper


@pytest.fixture(scope="module")
def rendered() -> dict[tuple[str, str], bytes]:
    case = sample_case()
    return {(kind, paper): fn(case, paper=paper) for kind, (fn, _) in DOCUMENTS.items() for paper in PAPERS}


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_document_parses_and_carries_the_case_head(rendered, kind, paper):
    data = rendered[(kind, paper)]
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    case = sample_case()
    for needle in (
        DOCUMENTS[kind][1],
        CASE_NO,
        "徐汇区湖南路街道社区事务受理服务中心",
        "310104",  # centre name + code
        "05号窗口",
        "王芳",
        "XH0517",  # 挂牌上岗: clerk name and staff number
        "张三",
        "居民身份证",
        mask_id(FULL_ID),  # applicant, ID type label, masked ID
        "李四",
        mask_id(AGENT_ID),  # agent
        case.matter.name,
        case.matter.code,
        "下放基层实施",
        "2026年02月12日09:35",  # received time
    ):
        assert needle in text, f"{needle!r} missing from {kind}/{paper}"
    assert FULL_ID not in text and AGENT_ID not in text
    assert "补打" not in text


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_cjk_font_is_embedded_as_a_subset(rendered, kind, paper):
    fonts = fonts_of(rendered[(kind, paper)])
    assert fonts
    for name, embedded in fonts:
        assert embedded, f"{name} not embedded"
        assert "+" in name and "WenQuanYi" in name, name  # subset tag, never STSong-Light/Helvetica


def test_pdffonts_reports_every_font_embedded(rendered, tmp_path):
    if not shutil.which("pdffonts"):
        pytest.skip("pdffonts not installed")
    pdf = tmp_path / "v.pdf"
    pdf.write_bytes(rendered[("voucher", "a4")])
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        cols = row.split()
        assert cols[0].split("+")[0].isupper() and "+" in cols[0], row
        emb, sub = cols[-5], cols[-4]
        assert (emb, sub) == ("yes", "yes"), row


def test_roll_paper_is_80mm_wide_single_page_with_height_from_content(rendered):
    heights = {}
    for kind in DOCUMENTS:
        reader = PdfReader(io.BytesIO(rendered[(kind, "roll80")]))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert abs(float(box.width) - 80 * mm) < 0.01
        heights[kind] = float(box.height)
    assert len({round(h) for h in heights.values()}) > 1  # computed, not a fixed page
    long_case = sample_case(applicant_name="长" * 300)
    long_h = float(PdfReader(io.BytesIO(render_voucher(long_case, paper="roll80"))).pages[0].mediabox.height)
    assert long_h > heights["voucher"]


def test_a4_is_a4(rendered):
    box = PdfReader(io.BytesIO(rendered[("voucher", "a4")])).pages[0].mediabox
    assert (round(float(box.width) / mm), round(float(box.height) / mm)) == (210, 297)


def test_unknown_paper_is_refused():
    with pytest.raises(BadInput) as err:
        render_voucher(sample_case(), paper="letter")
    assert err.value.code == "E_PAPER"
    assert "不支持的纸型" in err.value.message


# ---------------------------------------------------------------- what each document says


@pytest.mark.parametrize("paper", PAPERS)
def test_voucher_lists_materials_deadlines_and_query(rendered, paper):
    text = pdf_text(rendered[("voucher", paper)])
    for needle in (
        "申请人居民身份证",
        "户口簿",
        "原件及复印件",
        "电子证照免于提交",
        "纸质收取",
        "告知承诺",
        "共同生活家庭成员声明",
        "残疾人证",
        "容缺受理",
        "2026年02月26日",
        "2026年03月12日",  # promised and statutory dates
        "时限起算",
        "查询办理进度",
        "好差评",
        "https://zwdt.sh.gov.cn/query?case=" + CASE_NO,
    ):
        assert needle in text, f"{needle!r} missing from voucher/{paper}"
    assert "另有2项材料需补正" in text


@pytest.mark.parametrize("paper", PAPERS)
def test_one_time_notice_lists_every_gap_with_standard_and_reason(rendered, paper):
    text = pdf_text(rendered[("one_time_notice", paper)])
    case = sample_case()
    assert len(case.gaps) == 2
    for m in case.gaps:
        assert "".join(m.name.split()) in text
        assert m.standard in text
    assert "合同未备案，缺少出租人签字页" in text  # the defective one's reason
    assert "请于2026年02月26日前补齐" in text
    assert "12345" in text and "联系电话" in text and "告知时间" in text
    # nothing unrelated is asked for: materials already received are not on the notice
    assert "户口簿" not in text and "共同生活家庭成员声明" not in text


def test_one_time_notice_without_promised_date_leaves_a_line_to_fill():
    text = pdf_text(render_one_time_notice(sample_case(promised_date=None)))
    assert "请于____年__月__日前补齐" in text


def test_one_time_notice_needs_gaps():
    with pytest.raises(BadInput) as err:
        render_one_time_notice(sample_enterprise_case())
    assert err.value.code == "E_NO_GAPS"


def test_refusal_states_reason_where_to_apply_and_rights(rendered):
    text = pdf_text(rendered[("refusal", "a4")])
    for needle in (
        "申请事项不属于本中心受理范围",
        "上海市徐汇区人力资源和社会保障局",
        "行政复议",
        "六十日",
        "行政诉讼",
        "六个月",
        "决定不予受理",
    ):
        assert needle in text
    with pytest.raises(BadInput):
        render_refusal_notice(sample_case(), reason="  ", apply_instead="")


def test_gap_promise_lists_gap_materials_with_due_dates(rendered):
    text = pdf_text(rendered[("gap_promise", "a4")])
    assert "残疾人证" in text and "2026年02月26日" in text and "承诺人" in text
    assert "家庭收入证明" not in text  # missing (not 容缺) materials are not promised here
    with pytest.raises(BadInput) as err:
        render_gap_promise(replace(sample_case(), materials=sample_case().materials[:2]))
    assert err.value.code == "E_NO_GAP_ITEMS"


def test_acceptance_notice_for_an_enterprise_masks_the_credit_code():
    text = pdf_text(render_acceptance_notice(sample_enterprise_case()))
    assert "上海示例科技有限公司" in text and mask_id(USCC) in text and USCC not in text
    assert "赵六" in text and "决定予以受理" in text and "受理专用章" in text
    assert "徐汇区民政局" in text and "《社会救助暂行办法》" in text


@pytest.mark.parametrize("paper", PAPERS)
@pytest.mark.parametrize("kind", DOCUMENTS)
def test_reprint_is_marked(kind, paper):
    fn = DOCUMENTS[kind][0]
    assert "补打（第3次）" in pdf_text(fn(sample_case(), paper=paper, reprint=3))


# ---------------------------------------------------------------- barcodes


@pytest.mark.parametrize("paper", PAPERS)
def test_voucher_barcode_and_both_qr_codes_decode(rendered, paper, tmp_path):
    found = decode_barcodes(rendered[("voucher", paper)], tmp_path)
    assert CASE_NO in found
    assert f"https://zwdt.sh.gov.cn/query?case={CASE_NO}" in found
    assert f"https://zwdt.sh.gov.cn/rate?case={CASE_NO}" in found


def test_notice_barcode_decodes_and_given_urls_are_used(tmp_path):
    case = sample_case(query_url="https://example.gov.cn/q/1", rating_url="https://example.gov.cn/r/1")
    assert CASE_NO in decode_barcodes(render_one_time_notice(case, paper="roll80"), tmp_path / "n")
    found = decode_barcodes(render_voucher(case, paper="roll80"), tmp_path / "v")
    assert {"https://example.gov.cn/q/1", "https://example.gov.cn/r/1", CASE_NO} <= found


def test_roll_barcode_bars_are_whole_printer_dots():
    from desktop.core.documents.codes import barcode_flowable
    from desktop.core.documents.layout import BAR_MODULE, paper_spec

    bc = barcode_flowable(CASE_NO, paper_spec("roll80"), paper_spec("roll80").frame_width)
    assert abs(BAR_MODULE - 0.25 * mm) < 1e-9
    modules = bc.barWidth / BAR_MODULE
    assert modules >= 1 and abs(modules - round(modules)) < 1e-9
    assert bc.width <= paper_spec("roll80").frame_width


# ---------------------------------------------------------------- hostile names


@pytest.mark.parametrize("paper", PAPERS)
def test_long_and_astral_names_render(paper):
    long_name = "上海浦东新区某某科技发展有限公司" * 19  # > 300 characters
    text = pdf_text(render_voucher(sample_case(applicant_name=long_name[:300]), paper=paper))
    assert "上海浦东新区某某科技发展有限公司" in text and CASE_NO in text
    for fn, _ in DOCUMENTS.values():
        fn(sample_case(applicant_name="𠮷野家"), paper=paper)
        fn(sample_case(applicant_name=long_name[:300]), paper=paper)


def test_markup_in_user_text_prints_literally():
    text = pdf_text(render_voucher(sample_case(applicant_name="<b>A&B</b> <br/>")))
    assert "<b>A&B</b><br/>" in text
    assert "房屋租赁合同<副本>&附件" in pdf_text(render_one_time_notice(sample_case()))


NAMES = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF, blacklist_categories=("Cs",)),
    max_size=200,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, paper=st.sampled_from(PAPERS))
def test_any_applicant_name_renders(name, paper):
    assert render_voucher(sample_case(applicant_name=name), paper=paper).startswith(b"%PDF")


def test_lone_surrogates_and_controls_do_not_crash():
    assert render_voucher(sample_case(applicant_name="a\ud800b\x00c\x1b\u200f"), paper="roll80")


# ---------------------------------------------------------------- daily report


def test_daily_report_with_rows():
    data = render_daily_report(sample_stats())
    text = pdf_text(data)
    for needle in (
        "窗口办件日报",
        "徐汇区湖南路街道社区事务受理服务中心",
        "05号窗口",
        "2026年02月12日",
        "2026年02月12日17:30",
        "37件",
        "受理",
        "当场办结",
        "一次性告知",
        "不予受理",
        "咨询",
        "310104-SQ-0102",
        "居住证办理",
        "老年人综合津贴申请",
        "王芳",
        "陈明",
    ):
        assert needle in text, needle
    assert all(emb for _, emb in fonts_of(data))


def test_daily_report_with_zero_cases():
    text = pdf_text(render_daily_report(sample_stats(empty=True)))
    assert "当日无办件" in text and "0件" in text


def test_daily_report_with_unknown_outcome_and_many_matters():
    stats = sample_stats()
    many = tuple((f"M{i:03d}", f"事项{i}", i) for i in range(120))
    data = render_daily_report(
        replace(stats, by_outcome=stats.by_outcome + (("withdrawn", 3),), by_matter=many)
    )
    assert len(PdfReader(io.BytesIO(data)).pages) > 1
    text = pdf_text(data)
    assert "withdrawn" in text and "事项119" in text


# ---------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("91512081MA62K0260E", "915120********260E"),
        ("E12345678", "E1*****78"),
        ("12345678", "12****78"),
        ("H1234567801", "H12345*7801"),
        ("1234", "1**4"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_id(raw, masked):
    assert mask_id(raw) == masked
    if len(raw) > 2:
        assert mask_id(raw) != raw


def test_font_is_registered_once_and_missing_font_is_a_typed_error(monkeypatch):
    from desktop.core.documents import fonts

    name = register_cjk_font()
    assert name == register_cjk_font()
    monkeypatch.setattr(fonts, "_registered", None)
    monkeypatch.setattr(fonts, "_candidates", lambda: iter([Path("/nonexistent/font.ttc")]))
    with pytest.raises(YichuangError) as err:
        fonts.register_cjk_font()
    assert err.value.code == "E_FONT" and "YICHUANG_CJK_FONT" in err.value.message


def test_env_var_font_is_tried_first(monkeypatch, tmp_path):
    from desktop.core.documents import fonts

    monkeypatch.setenv("YICHUANG_CJK_FONT", str(tmp_path / "missing.ttf"))
    paths = list(fonts._candidates())
    assert paths[0] == tmp_path / "missing.ttf"
    assert fonts.SYSTEM_FONT in paths


def test_public_api_names():
    assert set(documents.__all__) >= {
        "register_cjk_font",
        "mask_id",
        "render_voucher",
        "render_one_time_notice",
        "render_acceptance_notice",
        "render_refusal_notice",
        "render_gap_promise",
        "render_daily_report",
        "render_transfer_manifest",
        "render_delivery_receipt",
        "cjk_font_path",
    }


def test_voucher_renders_fast_once_the_font_is_registered():
    """Regression guard only (the target is < 30 ms on a quiet machine; CI machines are shared)."""
    register_cjk_font()
    times = []
    for i in range(7):
        case = sample_case(case_no=f"31010405260212{i:04d}X")
        start = time.perf_counter()
        render_voucher(case)
        times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.3


def test_a_long_hyphenated_case_number_still_decodes_on_the_roll(tmp_path):
    case = sample_case(case_no="310104-05-20260212-0017-KXYZ")
    assert "310104-05-20260212-0017-KXYZ" in decode_barcodes(render_voucher(case, paper="roll80"), tmp_path)


def test_a_non_ascii_case_number_is_refused_not_mis_encoded():
    with pytest.raises(BadInput) as err:
        render_voucher(sample_case(case_no="沪0017"))
    assert err.value.code == "E_CASE_NO"


# ---------------------------------------------------------------- font path without reportlab


def test_cjk_font_path_is_public_and_needs_no_reportlab():
    code = (
        "import sys; from desktop.core.documents import fonts; p = fonts.cjk_font_path(); "
        "import desktop.core.documents as d; assert d.cjk_font_path() == p; "
        "assert 'reportlab' not in sys.modules, 'reportlab imported'; print(p)"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()).is_file()


def test_cjk_font_path_missing_is_a_typed_error(monkeypatch):
    from desktop.core.documents import fonts

    monkeypatch.setattr(fonts, "_candidates", lambda: iter([Path("/nonexistent/font.ttc")]))
    with pytest.raises(YichuangError) as err:
        fonts.cjk_font_path()
    assert err.value.code == "E_FONT"


# ---------------------------------------------------------------- centre phone on notices


def test_notices_print_the_centre_phone():
    case = sample_case(window=sample_window())
    phone = "".join(CENTRE_PHONE.split())
    assert f"联系电话{phone}" in pdf_text(render_one_time_notice(case))
    assert f"咨询电话{phone}" in pdf_text(render_acceptance_notice(case))
    assert phone in pdf_text(refuse(case, paper="roll80"))
    # no phone configured: the one-time notice leaves the cell to fill in, nothing crashes
    assert "联系电话" in pdf_text(render_one_time_notice(sample_case(window=sample_window(""))))


# ---------------------------------------------------------------- transfer manifest (材料流转清单)


@pytest.fixture(scope="module")
def manifest() -> bytes:
    return documents.render_transfer_manifest(sample_transfer(cases=3), window=sample_window(), clerk=CLERK)


def test_manifest_carries_batch_route_cases_materials_and_signatures(manifest):
    info = sample_transfer(cases=3)
    text = pdf_text(manifest)
    for needle in (
        "材料流转清单",
        BATCH_NO,
        "徐汇区湖南路街道社区事务受理服务中心",
        "310104",
        "05号窗口",
        "王芳",
        "XH0517",
        "徐汇区民政局",  # to department
        "快递寄送",
        TRACKING_NO,
        "已发送",
        "2026年02月12日16:05",
        "2026年02月12日16:40",  # created and sent
        CENTRE_PHONE,
        "移交人",
        "签收人",
        "签收日期",
        "合计",
    ):
        assert needle in text, needle
    for case in info.cases:
        assert case.case_no in text and case.applicant_name in text
        for name, _, _, _ in case.materials:
            assert name in text
    assert "原件及复印件" in text and "纸质收取" in text and "电子证照免于提交" in text
    assert "办件3件" in text
    assert all(emb for _, emb in fonts_of(manifest))


def test_manifest_fonts_are_embedded_subsets(manifest):
    for name, embedded in fonts_of(manifest):
        assert embedded and "+" in name and "WenQuanYi" in name, name


def test_manifest_barcodes_decode(manifest, tmp_path):
    found = decode_barcodes(manifest, tmp_path)
    info = sample_transfer(cases=3)
    assert BATCH_NO in found and TRACKING_NO in found
    assert {c.case_no for c in info.cases} <= found


def test_online_manifest_has_no_tracking_barcode_and_shows_a_return(tmp_path):
    info = sample_transfer(cases=2, channel="online", state="returned", return_reason="缺少户口簿复印件")
    info = replace(info, closed_at=info.sent_at)
    data = documents.render_transfer_manifest(info, window=sample_window(), clerk=CLERK)
    text = pdf_text(data)
    assert "网上流转" in text and "已退回" in text and "缺少户口簿复印件" in text and "退回时间" in text
    assert TRACKING_NO not in text
    assert BATCH_NO in decode_barcodes(data, tmp_path)


def test_fifty_case_manifest_spans_pages_with_every_case(tmp_path):
    info = sample_transfer(cases=50)
    data = documents.render_transfer_manifest(info, window=sample_window(), clerk=CLERK)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 1
    # the table starts on the first page (no page left blank under the head)
    first = "".join((reader.pages[0].extract_text() or "").split())
    assert info.cases[0].case_no in first
    text = pdf_text(data)
    for case in info.cases:
        assert case.case_no in text
    assert "办件50件" in text
    last = "".join((reader.pages[-1].extract_text() or "").split())
    assert "签收人" in last and f"第{len(reader.pages)}页" in last
    # every case barcode on the first page decodes (all pages: see test_manifest_barcodes_decode)
    on_first = {c.case_no for c in info.cases if c.case_no in first}
    assert len(on_first) >= 3
    assert on_first <= decode_barcodes(data, tmp_path, last_page=1)


# ---------------------------------------------------------------- delivery receipt (送达回执)


@pytest.mark.parametrize("paper", PAPERS)
def test_delivery_receipt_at_the_window(paper, tmp_path):
    from datetime import datetime

    case = sample_case(window=sample_window(), outcome="accepted", result_note="《最低生活保障证》一本")
    data = documents.render_delivery_receipt(
        case,
        receiver_name="张三",
        receiver_id_no=FULL_ID,
        paper=paper,
        delivered_at=datetime(2026, 3, 2, 10, 15),
    )
    text = pdf_text(data)
    for needle in (
        "送达回执",
        CASE_NO,
        case.matter.name,
        "《最低生活保障证》一本",
        "窗口领取",
        "领取人",
        "张三（申请人本人）",
        mask_id(FULL_ID),
        "签字",
        "2026年03月02日10:15",
        CENTRE_PHONE,
        "王芳",
    ):
        assert needle in text, f"{needle!r} missing from receipt/{paper}"
    assert FULL_ID not in text and "补打" not in text
    for name, embedded in fonts_of(data):
        assert embedded and "+" in name and "WenQuanYi" in name, name
    assert CASE_NO in decode_barcodes(data, tmp_path)


@pytest.mark.parametrize(("how", "label"), [("express", "快递"), ("e_licence", "电子证照")])
def test_delivery_receipt_methods_and_reprint(how, label):
    case = sample_enterprise_case()
    text = pdf_text(
        documents.render_delivery_receipt(
            case, receiver_name="赵六", how=how, reprint=2, paper="roll80", tracking_no=TRACKING_NO
        )
    )
    assert label in text and "赵六（申请单位联系人）" in text and "补打（第2次）" in text
    assert "____年__月__日__时__分" in text  # no time given: a line to fill in
    assert (TRACKING_NO in text) == (how == "express")


def test_delivery_receipt_refuses_bad_input():
    with pytest.raises(BadInput) as err:
        documents.render_delivery_receipt(sample_case(), receiver_name="张三", how="pigeon")
    assert err.value.code == "E_DELIVERY"
    with pytest.raises(BadInput) as err:
        documents.render_delivery_receipt(sample_case(), receiver_name="  ")
    assert err.value.code == "E_FIELD_REQUIRED"
    with pytest.raises(BadInput):
        documents.render_delivery_receipt(sample_case(), receiver_name="张三", paper="letter")


def test_rare_characters_print_in_the_fallback_font():
    """𠮷 (CJK Extension B) is not in WenQuanYi: it is drawn with the installed fallback, embedded."""
    import subprocess
    import tempfile
    from dataclasses import replace

    from desktop.core.documents.fonts import fallback_font

    assert fallback_font() is not None, "fonts-hanazono (scripts/setup installs it) is missing"
    case = sample_case()
    case = replace(case, applicant=replace(case.applicant, name="𠮷田"))
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(render_voucher(case))
        fh.flush()
        fonts = subprocess.run(["pdffonts", fh.name], capture_output=True, text=True, check=True).stdout
    hana = [line for line in fonts.splitlines() if "HanaMin" in line]
    assert hana and all(" yes yes " in line for line in hana)  # embedded, as a subset
