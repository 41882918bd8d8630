"""Documents that follow the case record (issue 10): every field from the case history, numbered and sealed
decision documents, 补打 across paper sizes, the 受理通知书 at a first-visit acceptance, entrusted matters,
and the written notices of a paused, resumed or extended clock. Real store, real PDFs (text via pypdf)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.local.models import DocumentNumber
from desktop.core.cases import records
from desktop.core.documents import numbers
from tests.support.factories import enterprise, person, residence_permit_intake

pytestmark = pytest.mark.quick

NUMBER = re.compile(r"文号：(\S+?号)")


def _text(path) -> str:
    """All text of a PDF with whitespace removed (wrapped lines still match)."""
    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(path).pages)


def _number(text: str) -> str:
    m = NUMBER.search(text)
    assert m, "no 文号 on the document"
    return m.group(1)


def _doc(result, kind):
    return next(d for d in result.documents if d.kind == kind)


def _refused_intake():
    return residence_permit_intake() | {"outcome": "refused", "refusal": {"refusal_category": "not_competent",
        "reason": "申请人户籍在外省，本市居住证由居住地派出所受理", "apply_instead": "居住地派出所户籍窗口"}}


# ---------------------------------------------------------------- the 受理 date and the notices' own times


def test_acceptance_after_supplement_is_dated_the_supplement_day(services, clerk, clock):
    first = services.accept_application(intake=residence_permit_intake(M2="missing"), clerk=clerk)  # Mon 11-23
    clock.now = clock.now + timedelta(days=3, hours=2)  # Thursday 2026-11-26 11:30
    done = services.supplement_case(case_no=first.case_no, materials={"M2": "paper"}, clerk=clerk)
    assert done.outcome == "accepted"
    notice = _text(_doc(done, "acceptance_notice").path)
    assert "受理日期2026年11月26日" in notice
    assert "于2026年11月26日补正后，申请材料齐全" in notice
    assert notice.endswith("2026年11月26日")  # the date under the seal is the 受理 date
    assert "受理日期2026年11月23日" not in notice
    voucher = _text(_doc(done, "voucher").path)
    assert "自2026年11月26日受理" in voucher and "自2026年11月23日受理" not in voucher
    assert "补打" not in voucher  # the 补正 visit's voucher is a new document, not a reprint of the first


def test_first_visit_acceptance_is_dated_that_day(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    text = _text(_doc(r, "acceptance_notice").path)
    assert "受理日期2026年11月23日" in text and "补正后" not in text
    assert "自2026年11月23日受理" in _text(_doc(r, "voucher").path)


def test_a_second_one_time_notice_is_a_new_document_with_its_own_number_and_time(services, clerk, clock):
    first = services.accept_application(intake=residence_permit_intake(M2="missing", M3="missing"), clerk=clerk)
    first_text = _text(_doc(first, "one_time_notice").path)
    assert "告知时间：2026年11月23日09:30" in first_text
    clock.now = clock.now + timedelta(days=3, hours=5, minutes=15)  # Thursday 2026-11-26 14:45
    second = services.supplement_case(case_no=first.case_no, materials={"M2": "paper"}, clerk=clerk)
    [doc] = second.documents
    assert (doc.kind, doc.reprint) == ("one_time_notice", 0)
    text = _text(doc.path)
    assert "补打" not in text
    assert "告知时间：2026年11月26日14:45" in text and "告知时间：2026年11月23日" not in text
    assert "经2026年11月26日补正后审查，申请材料仍不齐全" in text
    assert _number(first_text) == "徐汇补〔2026〕0100001号"
    assert _number(text) == "徐汇补〔2026〕0100002号"
    # a 补打 of the notice now reprints the second one: same number, marked
    again = services.reprint(case_no=first.case_no, kind="one_time_notice", clerk=clerk)
    again_text = _text(again.path)
    assert again.reprint == 1 and "补打（第1次）" in again_text
    assert _number(again_text) == "徐汇补〔2026〕0100002号" and "告知时间：2026年11月26日14:45" in again_text


# ---------------------------------------------------------------- 补打 on any paper


def test_a_reprint_on_the_other_paper_is_marked_and_counted_across_papers(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk, paper="a4")
    roll = services.reprint(case_no=r.case_no, kind="voucher", paper="roll80", clerk=clerk)
    assert roll.paper == "roll80" and roll.reprint == 1
    assert "补打（第1次）" in _text(roll.path)
    a4 = services.reprint(case_no=r.case_no, kind="voucher", paper="a4", clerk=clerk)
    assert a4.reprint == 2 and "补打（第2次）" in _text(a4.path)
    assert [d.reprint for d in services.documents(case_no=r.case_no) if d.kind == "voucher"] == [0, 1, 2]


def test_a_reprinted_decision_keeps_its_number(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    number = _number(_text(_doc(r, "acceptance_notice").path))
    again = services.reprint(case_no=r.case_no, kind="acceptance_notice", clerk=clerk)
    text = _text(again.path)
    assert _number(text) == number and "补打（第1次）" in text
    with services.store.Reader() as s:
        assert s.scalars(select(DocumentNumber.doc_no).where(DocumentNumber.case_no == r.case_no)).all() == [number]


# ---------------------------------------------------------------- the voucher of a refused case


def test_a_refused_cases_voucher_carries_no_promised_date(services, clerk):
    r = services.accept_application(intake=_refused_intake(), clerk=clerk)
    assert [d.kind for d in r.documents] == ["refusal_notice"]
    voucher = _text(services.reprint(case_no=r.case_no, kind="voucher", clerk=clerk).path)
    assert "承诺办结日期—法定办结日期—" in voucher
    assert "不予受理，不计算办理时限" in voucher
    assert "个工作日内" not in voucher and "受理后" not in voucher and "2026年12月" not in voucher
    refusal = _text(r.documents[0].path)
    assert _number(refusal) == "徐汇不受〔2026〕0100001号"
    assert "（印章）" in refusal and refusal.endswith("2026年11月23日")


# ---------------------------------------------------------------- the sealed acceptance at the first visit


def test_a_first_visit_acceptance_prints_the_numbered_sealed_acceptance_notice(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert [d.kind for d in r.documents] == ["voucher", "acceptance_notice"]
    text = _text(r.documents[1].path)
    assert _number(text) == "徐汇受〔2026〕0100001号"
    assert "决定予以受理" in text and "受理专用章" in text and text.endswith("2026年11月23日")
    second = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert _number(_text(second.documents[1].path)) == "徐汇受〔2026〕0100002号"  # per kind, per year
    # a one-time notice has its own counter
    notice = services.accept_application(intake=residence_permit_intake(M3="missing"), clerk=clerk)
    assert _number(_text(_doc(notice, "one_time_notice").path)) == "徐汇补〔2026〕0100001号"


def test_the_short_name_is_a_setting(services, clerk):
    services.store.set_setting("authority_short_name", "徐行")
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert _number(_text(r.documents[1].path)) == "徐行受〔2026〕0100001号"


@pytest.mark.parametrize("centre, short", [
    ("徐汇区行政服务中心", "徐汇"),
    ("徐汇区湖南路街道社区事务受理服务中心", "徐汇"),
    ("上海市浦东新区行政服务中心", "浦东"),
    ("崇明区政务服务中心", "崇明"),
    ("上海市行政服务中心", "沪"),
])
def test_the_default_short_name_comes_from_the_centre_name(centre, short):
    assert numbers.default_short_name(centre) == short


def test_serials_carry_the_window_number_and_are_unique_per_kind_year_and_window(services, clerk):
    for _ in range(3):
        services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    with services.store.Reader() as s:
        rows = s.scalars(select(DocumentNumber).order_by(DocumentNumber.serial)).all()
    assert [(r.code, r.year, r.window_no, r.serial) for r in rows] == [("受", 2026, "01", n) for n in (1, 2, 3)]
    assert all(r.document_id is not None for r in rows)  # each tied to the print that issued it
    assert numbers.format_number("徐汇", "受", 2026, "01", 123) == "徐汇受〔2026〕0100123号"


# ---------------------------------------------------------------- entrusted and delegated matters


def test_entrusted_matters_name_the_deciding_department(services, clerk):
    delegated = services.accept_application(intake=residence_permit_intake(), clerk=clerk)  # 下放基层实施
    for doc in delegated.documents:
        assert "本中心受上海市公安局人口管理办公室委托收件" in _text(doc.path), doc.kind
    acceptance = _text(_doc(delegated, "acceptance_notice").path)
    assert "上海市公安局人口管理办公室（受理专用章）" in acceptance
    entrusted = services.accept_application(intake={
        "matter": "T-ENT-001", "applicant": enterprise(), "agent": None,
        "materials": {"E1": "paper", "E2": "paper"}, "note": ""}, clerk=clerk)  # 委托基层收件
    text = _text(_doc(entrusted, "acceptance_notice").path)
    assert "本中心受区市场监督管理局委托收件" in text and "区市场监督管理局（本中心受其委托收件）根据" in text
    local = services.accept_application(intake={
        "matter": "T-PER-002", "applicant": person(), "agent": None, "materials": {"L1": "paper"}, "note": ""},
        clerk=clerk)  # 本级办理: the centre's own matter
    assert "委托收件" not in _text(local.documents[0].path)


# ---------------------------------------------------------------- pause, resume and extension notices


def test_pause_resume_and_extension_print_a_written_notice_with_reason_and_new_dates(services, clerk, supervisor,
                                                                                       clock):
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    services.pause_clock(case_no=r.case_no, reason="需现场核查居住地址", clerk=supervisor)
    clock.now = clock.now + timedelta(days=7)  # Monday 11-30: five working days not counted
    services.resume_clock(case_no=r.case_no, clerk=supervisor)
    services.extend_deadline(case_no=r.case_no, days=3, reason="需专家评审", approver_login="super",
                             approver_password="super1234", clerk=clerk)
    docs = [d for d in services.documents(case_no=r.case_no) if d.kind == "clock_notice"]
    assert [d.reprint for d in docs] == [0, 0, 0]  # three notices, none a reprint
    paused, resumed, extended = (_text(d.path) for d in docs)

    assert "暂停计算办理期限告知书" in paused and "需现场核查居住地址" in paused
    assert "自2026年11月23日起，所需时间不计算在办理期限内" in paused and "第四十五条" in paused
    assert _number(paused) == "徐汇告〔2026〕0100001号" and paused.endswith("2026年11月23日")

    assert "恢复计算办理期限告知书" in resumed and "需现场核查居住地址" in resumed
    assert "自2026年11月23日起因需现场核查居住地址暂停计算的办理期限，自2026年11月30日起恢复计算" in resumed
    assert "暂停期间共5个工作日不计算在办理期限内" in resumed
    assert "承诺办结日期2026年12月09日" in resumed and "法定办结日期2026年12月21日" in resumed
    assert _number(resumed) == "徐汇告〔2026〕0100002号" and resumed.endswith("2026年11月30日")

    assert "延长办理期限告知书" in extended and "需专家评审" in extended and "延长3个工作日" in extended
    assert "第四十二条" in extended and "super" not in extended
    assert "承诺办结日期2026年12月14日" in extended and "法定办结日期2026年12月24日" in extended
    assert "累计延长3个工作日" in extended
    # what an archived notice was printed from: the history up to its print time
    first = records.clock_args(services.store, r.case_no, until=docs[0].printed_at)
    assert (first["event"], first["reason"]) == ("clock.paused", "需现场核查居住地址")
    assert records.clock_args(services.store, r.case_no)["event"] == "clock.extended"


def test_a_numbered_notice_on_the_roll_still_prints_the_case_number(services, clerk):
    r = services.accept_application(intake=residence_permit_intake(M3="missing"), clerk=clerk, paper="roll80")
    doc = _doc(r, "one_time_notice")
    assert doc.paper == "roll80"
    text = _text(doc.path)
    assert _number(text) == "徐汇补〔2026〕0100001号" and f"办件编号：{r.case_no}" in text
    assert "受理专用章" in text and text.endswith("2026年11月23日")
