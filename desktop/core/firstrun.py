"""The first run of a window on an empty data folder (the GUI's wizard; Qt-free): the window's identity, the
enrolment from the centre, the first administrator and the printers, set up in that order.

The enrolment file is what `yichuang central add-window` prints: a JSON object {"url": the window's login URL,
"ca_cert": the PEM text of the CA the window pins}. Extra keys are refused (exit-2 style BadInput naming
them), as everywhere input files are read.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from desktop.core import config
from desktop.core.errors import BadInput, YichuangError

ENROLMENT_KEYS = {"url", "ca_cert"}
MAX_ENROLMENT_BYTES = 256 * 1024


def needs_first_run(home: Path) -> bool:
    """True when the data folder holds no store yet (the wizard runs; `scripts/run` makes the demo first)."""
    return not config.db_path(Path(home)).exists()


def read_enrolment(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(url, CA PEM text) from an enrolment file; BadInput saying what is wrong."""
    from desktop.core.sync.link import _PEM_CERT

    p = Path(path)
    try:
        data = p.read_bytes()[: MAX_ENROLMENT_BYTES + 1]
    except OSError as e:
        raise BadInput("E_ENROLMENT", f"无法读取接入文件 {p}：{e.strerror}", field="enrolment") from e
    if len(data) > MAX_ENROLMENT_BYTES:
        raise BadInput("E_ENROLMENT", f"接入文件 {p} 过大，不是中心发放的接入文件", field="enrolment")
    try:
        obj = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as e:
        raise BadInput("E_ENROLMENT", f"接入文件 {p} 不是 JSON（应为 yichuang central add-window 的输出）",
                       field="enrolment") from e
    if not isinstance(obj, dict):
        raise BadInput("E_ENROLMENT", "接入文件应为 JSON 对象 {\"url\", \"ca_cert\"}", field="enrolment")
    unknown = sorted(set(obj) - ENROLMENT_KEYS)
    if unknown:
        raise BadInput("E_ENROLMENT", f"接入文件含未知字段：{'、'.join(unknown)}", field="enrolment")
    url, pem = obj.get("url"), obj.get("ca_cert")
    if not isinstance(url, str) or not url.strip():
        raise BadInput("E_ENROLMENT", "接入文件缺少 url（窗口的中心数据库地址）", field="enrolment")
    if not isinstance(pem, str) or _PEM_CERT.decode() not in pem:
        raise BadInput("E_ENROLMENT", "接入文件缺少 ca_cert（中心的 CA 证书，PEM 文本）", field="enrolment")
    return url.strip(), pem


@dataclass(frozen=True)
class FirstRun:
    centre_code: str
    window_no: str
    centre_name: str
    centre_type: str  # district | street
    admin_login: str
    admin_name: str
    admin_staff_no: str
    admin_password: str
    central_url: str = ""  # "" : linked later (设置 or yichuang sync --central)
    ca_pem: str = ""
    printer_a4: str = ""
    printer_roll: str = ""


def set_up(home: Path, run: FirstRun) -> str:
    """Create the store, the first administrator and the printer settings, then link the centre. Returns ""
    or, when only the link failed (the centre unreachable), its Chinese message: the window is set up and
    works offline; the link is made later. Bad input: BadInput before anything is written."""
    from desktop.core import sync, users
    from desktop.core.bootstrap import check_identity, init_store
    from desktop.core.centres import check_centre_type
    from desktop.core.store import Store

    check_identity(run.centre_code, run.window_no)
    check_centre_type(run.centre_type)
    if not run.centre_name.strip():
        raise BadInput("E_CENTRE_NAME", "请填写中心名称（打印在文书上）", field="centre_name")
    if not (run.admin_login and run.admin_name and run.admin_staff_no):
        raise BadInput("E_ADMIN", "请填写管理员的登录名、姓名和工号", field="admin")
    if len(run.admin_password) < 8:
        raise BadInput("E_PASSWORD", "管理员密码至少 8 位", field="admin_password")
    if run.central_url and not run.ca_pem:
        raise BadInput("E_NO_CA", "请同时给出中心的 CA 证书", field="ca_cert")
    init_store(home, centre_code=run.centre_code, window_no=run.window_no, centre_name=run.centre_name.strip(),
               centre_type=run.centre_type)
    store = Store(home)
    try:
        if not users.has_users(store):
            users.add_user(store, login=run.admin_login, password=run.admin_password, name=run.admin_name,
                           staff_no=run.admin_staff_no, role="admin", actor=None)
        store.set_setting("printer_a4", run.printer_a4)
        store.set_setting("printer_roll", run.printer_roll)
        if not run.central_url:
            return ""
        with tempfile.TemporaryDirectory() as tmp:
            ca = Path(tmp) / "ca.pem"
            ca.write_text(run.ca_pem, encoding="utf-8")
            try:
                sync.link_central(store, url=run.central_url, ca_cert=ca)
            except YichuangError as e:
                return e.message
        return ""
    finally:
        store.close()


def test_page_pdf(paper: str, *, centre_name: str = "", printer: str = "") -> bytes:
    """A one-page test print: A4 or the 80 mm roll, Chinese text, a frame at the printable edge."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from desktop.core.documents.fonts import register_cjk_font

    font = register_cjk_font()
    size = A4 if paper == "a4" else (80 * mm, 80 * mm)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=size)
    w, h = size
    c.rect(3 * mm, 3 * mm, w - 6 * mm, h - 6 * mm)
    c.setFont(font, 16 if paper == "a4" else 11)
    lines = ["一窗 · 打印测试页", "A4" if paper == "a4" else "80 毫米票据", centre_name, printer,
             "中文：受理 补正 不予受理 𠮷", "如能看清本页文字和边框，打印机可以使用。"]
    y = h - 20 * mm
    for line in (x for x in lines if x):
        c.drawString(8 * mm, y, line)
        y -= 9 * mm if paper == "a4" else 6 * mm
    c.showPage()
    c.save()
    return buf.getvalue()
