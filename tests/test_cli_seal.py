"""The seal's commands end to end: the centre makes its key and certifies the window's request, the window
installs the certificate and prints sealed decisions, `verify-seal` checks a PDF or an image offline
(exit 0 genuine, 1 altered or unknown key, 2 bad input)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.core.seal import check, codec
from tests.support.factories import residence_permit_intake

pytestmark = pytest.mark.skipif(not (shutil.which("zbarimg") and shutil.which("pdftoppm")),
                                reason="zbar-tools and poppler-utils (scripts/setup) are needed to read a QR code")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def centre(tmp_path, capsys) -> Path:
    code, out, _ = run(capsys, "central", "seal-key", "--out", str(tmp_path / "centre"))
    assert code == 0
    info = json.loads(out)
    assert len(info["fingerprint"].split(":")) == 16
    return tmp_path / "centre"


def _certify(capsys, home, centre: Path, tmp_path, *extra: str) -> tuple[int, Path]:
    code, out, _ = run(capsys, "--home", str(home), "seal", "request")
    assert code == 0
    req = tmp_path / "request.json"
    req.write_text(out, encoding="utf-8")
    assert json.loads(out)["centre"] == "310104"
    code, out, _ = run(capsys, "central", "certify-seal", "--key", str(centre / "seal-centre-private.pem"),
                       "--request", str(req), *extra)
    cert = tmp_path / "window.cert"
    cert.write_text(out, encoding="ascii")
    return code, cert


def _intake(capsys, home, tmp_path, monkeypatch, **materials) -> list[str]:
    f = tmp_path / "intake.json"
    f.write_text(json.dumps(residence_permit_intake(**materials), ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")
    code, out, _ = run(capsys, "--home", str(home), "intake", str(f), "--clerk", "demo")
    assert code == 0
    return json.loads(out)["documents"]


def test_centre_certifies_the_window_and_its_decisions_verify(home, tmp_path, capsys, monkeypatch, centre):
    private = centre / "seal-centre-private.pem"
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    code, _, err = run(capsys, "central", "seal-key", "--out", str(centre))
    assert code == 2 and "不会覆盖" in err  # never overwrites the centre's key
    code, cert = _certify(capsys, home, centre, tmp_path)
    assert code == 0
    monkeypatch.setenv("YICHUANG_PASSWORD", "demo1234")
    code, _, err = run(capsys, "--home", str(home), "seal", "install", str(cert), "--clerk", "demo",
                       "--centre-key", str(centre / "seal-centre-public.pem"))
    assert code == 2 and "E_PERMISSION" in err  # an administrator installs it
    monkeypatch.setenv("YICHUANG_PASSWORD", "admin1234")
    code, out, _ = run(capsys, "--home", str(home), "seal", "install", str(cert), "--clerk", "admin",
                       "--centre-key", str(centre / "seal-centre-public.pem"))
    assert code == 0 and json.loads(out)["demo"] is False
    docs = _intake(capsys, home, tmp_path, monkeypatch)
    notice = next(d for d in docs if "acceptance_notice" in d)
    public = str(centre / "seal-centre-public.pem")
    code, out, _ = run(capsys, "--home", str(home), "verify-seal", notice, "--centre-key", public)
    assert code == 0 and json.loads(out)["content_checked"] is True
    code, out, _ = run(capsys, "--home", str(home), "verify-seal", notice)  # the key configured at the window
    assert code == 0 and json.loads(out)["demo"] is False
    # the published demo key does not vouch for this centre's windows
    code, _, err = run(capsys, "--home", str(home), "verify-seal", notice, "--centre-key",
                       str(Path(__file__).parents[1] / "docs" / "seal" / "demo-centre-public.pem"))
    assert code == 1 and "未知或伪造" in err


def test_an_altered_pdf_and_a_foreign_key_exit_1(home, tmp_path, capsys, monkeypatch, centre):
    from dataclasses import replace

    from desktop.core.cases import records
    from desktop.core.documents import numbers, registry
    from desktop.core.documents.sealmark import SealMark
    from desktop.core.services import Services

    docs = _intake(capsys, home, tmp_path, monkeypatch)  # the demo store: sealed under the demo centre key
    notice = Path(next(d for d in docs if "acceptance_notice" in d))
    assert run(capsys, "--home", str(home), "verify-seal", str(notice))[0] == 0
    (code_text,) = check.read_codes(notice, is_pdf=True)
    svc = Services(home)
    try:
        case_no = codec.payload_from_text(code_text).case_no
        record = records.case_record(svc.store, case_no=case_no)
        with svc.store.Reader() as s:
            number = numbers.latest(s, case_no=case_no, kind="acceptance_notice")
    finally:
        svc.close()
    later = replace(record, promised_date=record.promised_date + timedelta(days=1))
    forged = tmp_path / "forged.pdf"
    forged.write_bytes(registry.render_case_document("acceptance_notice", later, paper="a4", reprint=0,
                                                     number=number, seal=SealMark(code_text)))
    code, out, err = run(capsys, "--home", str(home), "verify-seal", str(forged))
    assert code == 1 and "已被改动" in err and json.loads(out)["genuine"] is False
    code, _, err = run(capsys, "--home", str(home), "verify-seal", str(notice), "--centre-key",
                       str(centre / "seal-centre-public.pem"))
    assert code == 1 and "未知或伪造" in err
    # a photo of the paper (an image): the signature and the signed fields are checked
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(notice), str(tmp_path / "photo")], check=True)
    (photo,) = tmp_path.glob("photo*.png")
    code, out, err = run(capsys, "--home", str(home), "verify-seal", str(photo))
    assert code == 0 and json.loads(out)["content_checked"] is False and "图像文件" in err


def test_expired_certificates_and_bad_input(home, tmp_path, capsys, monkeypatch, centre):
    code, cert = _certify(capsys, home, centre, tmp_path, "--valid-from", "2023-01-01", "--days", "30")
    assert code == 0
    monkeypatch.setenv("YICHUANG_PASSWORD", "admin1234")
    code, _, err = run(capsys, "--home", str(home), "seal", "install", str(cert), "--clerk", "admin",
                       "--centre-key", str(centre / "seal-centre-public.pem"))
    assert code == 2 and "有效期" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"centre": "310104"}', encoding="utf-8")
    code, _, err = run(capsys, "central", "certify-seal", "--key", str(centre / "seal-centre-private.pem"),
                       "--request", str(bad))
    assert code == 2 and "E_SEAL_REQUEST" in err
    code, _, err = run(capsys, "central", "certify-seal", "--key", str(centre / "seal-centre-public.pem"),
                       "--request", str(bad))
    assert code == 2 and "E_SEAL_KEY" in err
    assert run(capsys, "--home", str(home), "verify-seal", str(tmp_path / "missing.pdf"))[0] == 2
    assert run(capsys, "--home", str(home), "verify-seal", str(bad))[0] == 2  # not a PDF nor an image
    code, _, err = run(capsys, "--home", str(home), "verify-seal", str(bad), "--centre-key", str(bad))
    assert code == 2 and "E_SEAL_KEY" in err
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (200, 200), 255).save(blank)
    code, _, err = run(capsys, "--home", str(home), "verify-seal", str(blank))
    assert code == 1 and "没有一窗验章二维码" in err
