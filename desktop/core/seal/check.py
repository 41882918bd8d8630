"""`yichuang verify-seal`: is a printed decision document genuine and unchanged? Offline, with only the
centre's seal public key: the QR code is read from the file (a PDF rendered with pdftoppm, an image as it
is; decoded with zbarimg), the window's certificate checked against the centre key, the window's signature
against the signed fields, and, for a PDF, the document's text hashed again and compared with the signed
content hash. A photo or scan (an image) has no text to hash here: its check covers the signed fields
(document number, case number, date), which the reader compares with the paper, as a phone does."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from desktop.core.errors import BadInput, YichuangError

from . import codec
from .sealing import content_hash

#: pdftoppm's resolution: a 203 dpi roll or a 300 dpi scan decodes at this, and an A4 page stays small
RENDER_DPI = 300
_TIMEOUT = 60


@dataclass(frozen=True)
class SealCheck:
    genuine: bool
    reason: str  # '' when genuine, else why not (Chinese)
    payload: codec.SealPayload | None = None
    content_checked: bool = False  # the document's text was hashed again (a PDF)
    found: int = 0  # seal codes found in the file
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"genuine": self.genuine, "reason": self.reason, "content_checked": self.content_checked,
                               "seals_found": self.found, "notes": list(self.notes)}
        p = self.payload
        if p is not None:
            c = p.certificate
            out.update({"document_number": p.doc_no, "case_no": p.case_no, "issued": p.issued.isoformat(),
                        "content_hash": p.content_hash.hex(), "centre": c.centre_code, "window": c.window_no,
                        "certificate_valid": [c.valid_from.isoformat(), c.valid_to.isoformat()],
                        "demo": c.demo})
        return out


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise YichuangError("E_SEAL_TOOL", f"缺少程序 {name}：请运行 scripts/setup 安装（Debian 软件包 "
                            f"{'poppler-utils' if name == 'pdftoppm' else 'zbar-tools'}）")
    return path


def read_codes(path: Path, *, is_pdf: bool) -> list[str]:
    """The text of every QR code in the file (every page of a PDF)."""
    with tempfile.TemporaryDirectory(prefix="yichuang-seal-") as tmp:
        images = [path]
        if is_pdf:
            run = subprocess.run([_tool("pdftoppm"), "-r", str(RENDER_DPI), "-gray", "-png", str(path),
                                  str(Path(tmp) / "page")], capture_output=True, timeout=_TIMEOUT)
            if run.returncode != 0:
                raise BadInput("E_SEAL_FILE", f"无法读取 PDF 文件 {path}：{run.stderr.decode(errors='replace').strip()}",
                               field="file")
            images = sorted(Path(tmp).glob("page*.png"))
        codes: list[str] = []
        for image in images:
            run = subprocess.run([_tool("zbarimg"), "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
                                 capture_output=True, timeout=_TIMEOUT)
            if run.returncode not in (0, 4):  # 4: no code on this page
                raise BadInput("E_SEAL_FILE", f"无法识读图像文件 {path}（不是支持的图片或 PDF）", field="file")
            codes += [line for line in run.stdout.decode("utf-8", errors="replace").splitlines() if line.strip()]
    return codes


def check_payload(text: str, centre: Ed25519PublicKey, *, today: date) -> tuple[codec.SealPayload | None, str]:
    """(payload, '') when the code's certificate and signature hold, else (payload or None, why not)."""
    try:
        p = codec.payload_from_text(text)
    except (codec.SealFormatError, ValueError) as e:
        return None, f"验章二维码内容无法解析（{e}），可能被篡改"
    c = p.certificate
    if not c.signed_by(centre):
        return p, "窗口证书不是由所给的中心验章公钥签发的（未知或伪造的密钥）"
    if not c.valid_on(p.issued):
        return p, f"文书日期 {p.issued} 不在窗口证书的有效期（{c.valid_from} 至 {c.valid_to}）内"
    if p.issued > today + timedelta(days=1):
        return p, f"文书日期 {p.issued} 晚于今天"
    if not p.signed_by_window():
        return p, "窗口签名与文书号、办件编号和内容摘要不符，二维码已被改动"
    return p, ""


def verify_file(path: Path, centre: Ed25519PublicKey, *, today: date) -> SealCheck:
    """Check a printed document (PDF or image). BadInput (exit 2) for a file that cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(5)
    except OSError as e:
        raise BadInput("E_SEAL_FILE", f"无法读取文件 {path}：{e.strerror}", field="file") from e
    is_pdf = head == b"%PDF-"
    codes = [c for c in read_codes(path, is_pdf=is_pdf) if c.startswith(codec.PREFIX)]
    if not codes:
        return SealCheck(False, "文件中没有一窗验章二维码（或无法识读）")
    notes = []
    payload = None
    for code in codes:
        payload, why = check_payload(code, centre, today=today)
        if why:
            return SealCheck(False, why, payload, found=len(codes))
        if payload.certificate.demo:
            notes.append("该证书由演示中心密钥签发：仅用于演示，不是正式文书")
    if not is_pdf:
        notes.append("图像文件只核验了签名和二维码中的文号、办件编号、日期；请与纸面核对，全文核验请用 PDF")
        return SealCheck(True, "", payload, found=len(codes), notes=tuple(notes))
    digest = content_hash(path.read_bytes())
    if any(codec.payload_from_text(c).content_hash != digest for c in codes):
        return SealCheck(False, "文书的文字与签章时的内容摘要不符：文书已被改动", payload, found=len(codes))
    return SealCheck(True, "", payload, content_checked=True, found=len(codes), notes=tuple(notes))
