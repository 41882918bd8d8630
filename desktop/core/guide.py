"""导办单: printed for a matter this kind of centre does not take (两个集中), or on request for any matter
(`yichuang guide CODE --out FILE.pdf`). Written whole or not at all."""

from __future__ import annotations

from pathlib import Path

from desktop.core import centres
from desktop.core.catalogue import storage as catalogue
from desktop.core.documents.guide import render_guide
from desktop.core.errors import BadInput
from desktop.core.store import Store
from desktop.core.types import Clerk


def print_guide(store: Store, *, code: str, out: Path, clerk: Clerk | None = None) -> Path:
    """The 导办单 of matter `code` as a PDF at `out` (NotFound for an unknown matter, BadInput for a bad path)."""
    matter = catalogue.matter(store, code=(code or "").strip())
    out = Path(out)
    if out.suffix.lower() != ".pdf":
        raise BadInput("E_OUT_FILE", f"导办单文件名应以 .pdf 结尾：{out.name}", field="out")
    if out.is_dir() or out.is_symlink():
        raise BadInput("E_OUT_FILE", f"输出位置 {out} 是文件夹或符号链接", field="out")
    window = store.window()
    pdf = render_guide(matter, here=window.centre_name, here_type=store.setting("centre_type"),
                       centres=centres.centres_for(matter, catalogue.centre_directory(store)),
                       printed_at=store.clock(), clerk_name=clerk.name if clerk else "")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    try:
        tmp.write_bytes(pdf)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
