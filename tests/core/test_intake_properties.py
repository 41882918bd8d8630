"""Property: any applicant data a clerk can type either stores and prints, or is refused whole."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from desktop.core.errors import BadInput
from tests.support.factories import residence_permit_intake, resident_id
from tests.support.rawdb import connect_store

# Everything a keyboard, an input method or a scanner can produce, astral-plane CJK (𠮷) included;
# surrogates cannot be stored in UTF-8 text at all, so they are left out.
typed_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), max_codepoint=0x3FFFF), min_size=0, max_size=150
)


def _count(home) -> int:
    con = connect_store(home)
    try:
        return con.execute("select count(*) from cases").fetchone()[0]
    finally:
        con.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=typed_text, note=typed_text, phone=st.sampled_from(["13812345678", "", "021-62345678"]))
def test_any_typed_name_is_stored_exactly_or_refused_whole(services, clerk, home, name, note, phone):
    intake = residence_permit_intake()
    intake["applicant"]["name"] = name
    intake["applicant"]["phone"] = phone
    intake["note"] = note
    before = _count(home)
    try:
        result = services.accept_application(intake=intake, clerk=clerk)
    except BadInput as e:
        assert e.field in ("applicant.name", "note")
        assert _count(home) == before
        return
    stored = services.case_record(case_no=result.case_no)
    assert stored.applicant.name == name.strip()
    assert stored.note == note.strip()
    assert result.case_no in PdfReader(result.documents[0].path).pages[0].extract_text()
    assert _count(home) == before + 1


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbar-tools not installed")
def test_voucher_barcode_decodes_to_the_case_number(services, clerk, tmp_path):
    intake = residence_permit_intake()
    intake["applicant"]["name"] = "𠮷田" + "很长的名字" * 10
    intake["applicant"]["id_no"] = resident_id("31011519800229001")
    result = services.accept_application(intake=intake, clerk=clerk)
    subprocess.run(["pdftoppm", "-r", "300", "-png", result.documents[0].path, str(tmp_path / "v")], check=True)
    pngs = sorted(tmp_path.glob("v*.png"))
    out = subprocess.run(["zbarimg", "--quiet", "--raw", *map(str, pngs)], capture_output=True, text=True)
    assert result.case_no in out.stdout.split()
