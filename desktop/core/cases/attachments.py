"""Scanned materials attached to a case: stored once by content (SHA-256) and queued for the centre.

The file goes to blobs/<first two hex>/<sha256> under the window's home (written to a temporary name and
renamed, so a kill never leaves half a file under a hash name); the attachment row and its
`attachment.linked` operation commit together. The sync uploads the blob before it pushes the op.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from db.local.models import Blob, Case, CaseAttachment
from desktop.core import caseno, config
from desktop.core.cases import records
from desktop.core.errors import BadInput, NotFound
from desktop.core.outbox import enqueue
from desktop.core.store import Store
from desktop.core.types import Clerk

MAX_BYTES = 20 * 1024 * 1024
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


@dataclass(frozen=True)
class Attachment:
    case_no: str
    material_code: str
    sha256: str
    filename: str
    mime: str
    size: int


def _mime(data: bytes, name: str) -> str:
    for magic, mime in MAGIC:
        if data.startswith(magic):
            return mime
    raise BadInput("E_ATTACHMENT_TYPE", f"“{name}”不是 PDF 或图片（PNG、JPEG、TIFF）扫描件", field="file")


def attach_scan(store: Store, *, case_no: str, material_code: str, file: Path, clerk: Clerk) -> Attachment:
    case_no = caseno.normalise_case_no(case_no)
    try:
        size = file.stat().st_size
    except OSError as e:
        raise BadInput("E_FILE", f"无法读取文件 {file}：{e.strerror}", field="file") from e
    if size == 0:
        raise BadInput("E_ATTACHMENT_EMPTY", f"文件“{file.name}”是空的", field="file")
    if size > MAX_BYTES:
        raise BadInput("E_ATTACHMENT_SIZE", f"文件“{file.name}”过大（上限 20 MB）", field="file")
    data = file.read_bytes()
    mime = _mime(data, file.name)
    record = records.case_record(store, case_no=case_no)
    spec = next((m for m in record.matter.materials if m.code == material_code), None)
    if spec is None:
        raise BadInput("E_MATERIAL_UNKNOWN", f"事项“{record.matter.name}”没有编码为 {material_code} 的材料",
                       field="material_code")
    sha = hashlib.sha256(data).hexdigest()
    rel = Path("blobs") / sha[:2] / sha
    target = Path(store.home) / rel
    if not target.exists():
        config.private_dir(target.parent)
        tmp = target.with_name(f".{sha}.{os.getpid()}.tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    name = file.name[:255]
    now = store.clock()
    with store.Session.begin() as s:
        if s.get(Case, case_no) is None:
            raise NotFound("E_CASE", f"本窗口没有办件 {case_no}", field="case_no")
        if s.get(CaseAttachment, (case_no, material_code, sha)) is not None:
            raise BadInput("E_ATTACHED", f"该扫描件已附在办件 {case_no} 的“{spec.name}”下", field="file")
        if s.get(Blob, sha) is None:
            s.add(Blob(sha256=sha, path=str(rel), size=size, mime=mime, uploaded=False))
            s.flush()
        s.add(CaseAttachment(case_no=case_no, material_code=material_code, sha256=sha, filename=name,
                             added_at=now))
        enqueue(s, kind="attachment.linked", ref=case_no, now=now, payload={
            "case_no": case_no, "material_code": material_code, "sha256": sha, "filename": name,
            "mime": mime, "size": size, "clerk_login": clerk.login})
    return Attachment(case_no=case_no, material_code=material_code, sha256=sha, filename=name, mime=mime,
                      size=size)
