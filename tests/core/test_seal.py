"""The document seal: a decision document carries a QR with the window's signature over its content hash and
the window's certificate from the centre; checked offline with only the centre's public key."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from desktop.core.documents import registry
from desktop.core.documents.sealmark import CAPTION, SealMark
from desktop.core.documents.verify import pdf_lines
from desktop.core.errors import BadInput
from desktop.core.seal import check, codec, keys
from desktop.core.seal.sealing import content_hash
from tests.support.factories import residence_permit_intake

pytestmark = pytest.mark.skipif(not (shutil.which("zbarimg") and shutil.which("pdftoppm")),
                                reason="zbar-tools and poppler-utils (scripts/setup) are needed to read a QR code")

DEMO_PUBLIC = codec.load_public_pem(keys.DEMO_CENTRE_PUBLIC.read_bytes())


def _doc(services, case_no: str, kind: str):
    return next(d for d in services.documents(case_no=case_no) if d.kind == kind)


def _accept(services, clerk, paper="a4", **materials):
    r = services.accept_application(intake=residence_permit_intake(**materials), clerk=clerk, paper=paper)
    return r


def _verify(path, centre=DEMO_PUBLIC, today=date(2026, 11, 23)):
    return check.verify_file(Path(path), centre, today=today)


def test_a_genuine_acceptance_notice_verifies_offline_and_still_matches_its_record(services, clerk):
    r = _accept(services, clerk)
    assert r.warnings == ()
    doc = _doc(services, r.case_no, "acceptance_notice")
    result = _verify(doc.path)
    assert result.genuine, result.reason
    assert result.content_checked and result.found == 1
    p = result.payload
    assert p.case_no == r.case_no and p.doc_no.startswith("徐汇受〔2026〕01") and p.issued == date(2026, 11, 23)
    assert p.certificate.demo  # the demo store's certificate says so
    assert p.content_hash == content_hash(Path(doc.path).read_bytes())
    assert any(CAPTION in line for line in pdf_lines(Path(doc.path).read_bytes()))
    assert services.verify_documents(case_no=r.case_no) == []  # a sealed print re-renders to the same text
    voucher = _doc(services, r.case_no, "voucher")  # not a decision: no seal
    assert not any(CAPTION in line for line in pdf_lines(Path(voucher.path).read_bytes()))


def test_a_document_re_rendered_with_a_changed_field_under_the_genuine_code_is_altered(services, clerk, tmp_path):
    r = _accept(services, clerk)
    doc = _doc(services, r.case_no, "acceptance_notice")
    (code,) = [c for c in check.read_codes(Path(doc.path), is_pdf=True) if c.startswith(codec.PREFIX)]
    from desktop.core.cases import records

    record = records.case_record(services.store, case_no=r.case_no)
    forged = replace(record, applicant=replace(record.applicant, name="王大明"))
    pdf = registry.render_case_document("acceptance_notice", forged, paper="a4", reprint=0,
                                        number=_number(services, r.case_no), seal=SealMark(code))
    path = tmp_path / "forged.pdf"
    path.write_bytes(pdf)
    result = _verify(path)
    assert not result.genuine and "已被改动" in result.reason
    # the untouched re-render under the same code is genuine: only the change is caught
    same = registry.render_case_document("acceptance_notice", record, paper="a4", reprint=0,
                                         number=_number(services, r.case_no), seal=SealMark(code))
    (tmp_path / "same.pdf").write_bytes(same)
    assert _verify(tmp_path / "same.pdf").genuine


def _number(services, case_no):
    from desktop.core.documents import numbers

    with services.store.Reader() as s:
        return numbers.latest(s, case_no=case_no, kind="acceptance_notice")


def test_a_certificate_from_another_centre_key_is_refused(services, clerk, tmp_path):
    r = _accept(services, clerk)
    doc = _doc(services, r.case_no, "acceptance_notice")
    other = Ed25519PrivateKey.generate()
    result = _verify(doc.path, centre=other.public_key())
    assert not result.genuine and "未知或伪造" in result.reason
    # a window certified by another key prints a code the published key rejects
    other_cert = keys.certify_request(other, keys.request(services.store), valid_from=date(2026, 11, 1))
    keys.install(services.store, keys.certificate_text(other_cert),
                 centre_key_pem=codec.public_pem(other.public_key()).encode())
    r2 = _accept(services, clerk)
    doc2 = _doc(services, r2.case_no, "acceptance_notice")
    assert _verify(doc2.path, centre=other.public_key()).genuine
    assert not _verify(doc2.path).genuine


def test_a_document_signed_under_an_expired_certificate_is_refused(services, clerk, tmp_path):
    r = _accept(services, clerk)
    from desktop.core.cases import records

    record = records.case_record(services.store, case_no=r.case_no)
    centre = codec.load_private_pem(keys.DEMO_CENTRE_KEY.read_bytes())
    window = keys.ensure_window_key(services.home, "310104", "01")
    expired = codec.certify(centre, centre_code="310104", window_no="01",
                            window_key=codec.raw_public(window.public_key()), valid_from=date(2023, 1, 1),
                            valid_to=date(2026, 11, 22), demo=True)
    number = _number(services, r.case_no)
    blank = registry.render_case_document("acceptance_notice", record, paper="a4", reprint=0, number=number,
                                          seal=SealMark(None))
    payload = codec.sign_payload(window, expired, issued=date(2026, 11, 23), case_no=r.case_no, doc_no=number,
                                 content_hash=content_hash(blank))
    pdf = registry.render_case_document("acceptance_notice", record, paper="a4", reprint=0, number=number,
                                        seal=SealMark(payload.text()))
    (tmp_path / "expired.pdf").write_bytes(pdf)
    result = _verify(tmp_path / "expired.pdf")
    assert not result.genuine and "有效期" in result.reason


def test_the_window_never_seals_under_an_expired_or_missing_certificate(services, clerk, clock):
    centre = codec.load_private_pem(keys.DEMO_CENTRE_KEY.read_bytes())
    expired = keys.certify_request(centre, keys.request(services.store), valid_from=date(2023, 1, 1), days=30)
    services.store.set_setting("seal_certificate", keys.certificate_text(expired))  # as if kept past its end
    r = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert any("有效期" in w and "未加印验章二维码" in w for w in r.warnings)
    doc = _doc(services, r.case_no, "acceptance_notice")
    assert not any(CAPTION in line for line in pdf_lines(Path(doc.path).read_bytes()))
    assert not _verify(doc.path, today=clock.now.date()).genuine  # no code at all: never a fake
    services.store.set_setting("seal_certificate", "")
    r2 = services.accept_application(intake=residence_permit_intake(), clerk=clerk)
    assert any("未安装验章证书" in w for w in r2.warnings)
    assert check.read_codes(Path(_doc(services, r2.case_no, "acceptance_notice").path), is_pdf=True) == []


def test_the_seal_decodes_from_the_80mm_roll_at_203_dpi(services, clerk, tmp_path):
    r = _accept(services, clerk, paper="roll80", M2="missing")  # the one-time notice prints on the roll
    doc = _doc(services, r.case_no, "one_time_notice")
    assert doc.paper == "roll80"
    subprocess.run(["pdftoppm", "-r", "203", "-mono", "-png", doc.path, str(tmp_path / "roll")], check=True)
    (image,) = tmp_path.glob("roll*.png")
    result = _verify(image)  # the image as a 203 dpi thermal head prints it, one bit a dot
    assert result.genuine, result.reason
    assert result.payload.case_no == r.case_no and not result.content_checked
    from desktop.core.documents.codes import qr_modules

    modules = len(qr_modules(result.payload.text()))
    assert modules <= 65  # version 12 or smaller: 3 printer dots (0.375 mm) a module fits 28 mm
    assert _verify(doc.path).genuine  # and the PDF itself, text included


def test_a_changed_byte_in_the_code_breaks_the_signature():
    centre = Ed25519PrivateKey.generate()
    window = Ed25519PrivateKey.generate()
    cert = codec.certify(centre, centre_code="310104", window_no="01", window_key=codec.raw_public(
        window.public_key()), valid_from=date(2026, 1, 1), valid_to=date(2027, 1, 1))
    p = codec.sign_payload(window, cert, issued=date(2026, 5, 1), case_no="3101040126050100017",
                           doc_no="徐汇受〔2026〕0100001号", content_hash=bytes(32))
    ok, why = check.check_payload(p.text(), centre.public_key(), today=date(2026, 5, 1))
    assert why == "" and ok == p
    forged = replace(p, doc_no="徐汇受〔2026〕0100002号")
    assert "已被改动" in check.check_payload(forged.text(), centre.public_key(), today=date(2026, 5, 1))[1]
    assert check.check_payload(p.text(), centre.public_key(), today=date(2026, 4, 1))[1]  # dated in the future
    assert check.check_payload("YCS1:%%%", centre.public_key(), today=date(2026, 5, 1))[0] is None
    for data in (b"", b"\x00", bytes(range(256)), b"ab"):
        assert codec.b45decode(codec.b45encode(data)) == data
    with pytest.raises(codec.SealFormatError):
        codec.payload_from_text(p.text()[:-3])


def test_install_refuses_a_certificate_for_another_window_or_key(services):
    centre = codec.load_private_pem(keys.DEMO_CENTRE_KEY.read_bytes())
    pem = codec.public_pem(centre.public_key()).encode()
    req = keys.request(services.store)
    before = services.store.setting("seal_certificate")
    other_window = keys.certify_request(centre, {**req, "window": "02"}, valid_from=date(2026, 11, 1))
    with pytest.raises(BadInput, match="不是本窗口"):
        keys.install(services.store, keys.certificate_text(other_window), centre_key_pem=pem)
    stranger = Ed25519PrivateKey.generate().public_key()
    other_key = keys.certify_request(centre, {**req, "public_key": codec.public_pem(stranger)},
                                     valid_from=date(2026, 11, 1))
    with pytest.raises(BadInput, match="公钥不是本窗口"):
        keys.install(services.store, keys.certificate_text(other_key), centre_key_pem=pem)
    with pytest.raises(BadInput):
        keys.install(services.store, "not a certificate", centre_key_pem=pem)
    with pytest.raises(BadInput):
        keys.certify_request(centre, {**req, "window": "00"}, valid_from=date(2026, 11, 1))
    assert services.store.setting("seal_certificate") == before  # nothing half-stored
    assert keys.parse_certificate(before).valid_on(date(2026, 11, 23))
    assert keys.parse_certificate(before).valid_to - keys.parse_certificate(before).valid_from == timedelta(
        days=keys.DEFAULT_DAYS - 1)
