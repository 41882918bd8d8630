"""`yichuang doctor` and the GUI's 帮助 → 自检: every check a technician makes when a window "does not work",
one plain Chinese line each, saying what was checked, the verdict and what to do.

Qt-free. `run_checks(home)` opens the store itself (a store that cannot be opened is a finding, not a crash)
or uses the caller's open `Store`; printers come from CUPS (`lpstat`, which honours CUPS_SERVER) unless the
caller passes its own list (the GUI on Windows passes Qt's). Each check is independent: one that fails to
run reports that as its finding and the others go on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from desktop.core import config
from desktop.core.clock import SHANGHAI

MIN_FREE_BYTES = 1024 ** 3  # below 1 GiB free in the data folder: clean up before the disk fills
CLOCK_SKEW_LIMIT_S = 300  # as `status` and the status bar: the centre flags a case more than 5 minutes off
OUTBOX_AGE_LIMIT = timedelta(hours=24)  # an operation waiting longer: the window has not synced for a day
BACKUP_AGE_LIMIT = timedelta(hours=48)  # the GUI backs up daily; two days without one needs a look
NEXT_YEAR_FROM_MONTH = 10  # from October a case's statutory dates reach into next year: its calendar is due
CA_WARN_DAYS = 14  # the centre's CA expiring sooner: ask the centre for the new one now
RARE_PROBE = "\U00020BB7"  # 𠮷 (CJK Extension B), as in the name 𠮷田: only the fallback font has it


@dataclass(frozen=True)
class Check:
    check: str  # a stable key, e.g. "store.integrity"
    ok: bool
    detail: str  # one Chinese sentence: what was checked, the verdict, what to do

    def line(self) -> str:
        return f"[{'正常' if self.ok else '需处理'}] {self.detail}"

    def as_json(self) -> dict[str, Any]:
        return {"check": self.check, "ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class Printers:
    """What the print system knows: queue name -> can print now (enabled and accepting), and the default."""

    ready: dict[str, bool] = field(default_factory=dict)
    default: str = ""
    error: str = ""  # why the list could not be read ("" when it could)


def cups_printers() -> Printers:
    """The CUPS queues through `lpstat` (the server of CUPS_SERVER or the local one)."""
    lpstat = shutil.which("lpstat")
    if lpstat is None:
        return Printers(error="本机没有 CUPS 打印系统（找不到 lpstat）")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}

    def run(*args: str) -> str:
        out = subprocess.run([lpstat, *args], capture_output=True, text=True, timeout=10, env=env, check=False)
        return out.stdout

    try:
        listed, accepting, default = run("-p"), run("-a"), run("-d")
    except (OSError, subprocess.SubprocessError) as e:
        return Printers(error=f"无法查询打印系统：{e}")
    ready: dict[str, bool] = {}
    for line in listed.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "printer":
            ready[parts[1]] = "disabled" not in line
    for line in accepting.splitlines():
        parts = line.split()
        if parts and parts[0] in ready and "not accepting" in line:
            ready[parts[0]] = False
    name = default.split(":", 1)[1].strip() if "destination:" in default else ""
    return Printers(ready=ready, default=name)


def _guard(key: str, what: str, fn: Callable[[], Check | list[Check]]) -> list[Check]:
    try:
        result = fn()
    except Exception as e:  # noqa: BLE001 - a check that cannot run is itself the finding
        message = getattr(e, "message", None) or f"{type(e).__name__}: {e}"
        return [Check(key, False, f"{what}：检查时出错（{message}）。请联系技术人员。")]
    return result if isinstance(result, list) else [result]


# ---- fonts ------------------------------------------------------------------------------------------------
def check_fonts() -> list[Check]:
    from desktop.core.documents import fonts

    out = []
    try:
        path = fonts.cjk_font_path()
        fonts.register_cjk_font()
        out.append(Check("fonts.cjk", True, f"中文字体：已找到并可用（{path}）。"))
    except Exception as e:  # noqa: BLE001
        out.append(Check("fonts.cjk", False, f"中文字体：不可用（{getattr(e, 'message', e)}）。"
                         "请重新运行安装程序，或安装文泉驿微米黑字体（fonts-wqy-microhei）。"))
        return out + [Check("fonts.fallback", False, "生僻字字体：未检查（中文字体不可用）。")]
    found = fonts.fallback_has(ord(RARE_PROBE))  # not kept: a running client loads it only to print 𠮷
    if found is None:
        out.append(Check("fonts.fallback", False, "生僻字字体：未安装，“𠮷”等扩展区汉字会打印成空白。请安装花园明朝字体"
                         f"（fonts-hanazono），或设置 {fonts.FALLBACK_ENV_VAR} 指向含扩展区汉字的字体文件。"))
    elif not found:
        out.append(Check("fonts.fallback", False, "生僻字字体：已安装，但不含扩展区汉字（如“𠮷”）。请改用花园明朝字体"
                         "（fonts-hanazono）。"))
    else:
        out.append(Check("fonts.fallback", True, "生僻字字体：已安装，扩展区汉字（如“𠮷”）可以打印。"))
    return out


# ---- printers ---------------------------------------------------------------------------------------------
def check_printers(a4_name: str, roll_name: str, printers: Printers) -> list[Check]:
    if printers.error:
        return [Check("printers.a4", False, f"A4 打印机：无法检查（{printers.error}）。请安装打印机驱动后重试。"),
                Check("printers.roll", not roll_name, "80 毫米票据打印机：" + (
                    f"无法检查（{printers.error}）。" if roll_name else "未设置（凭证按 A4 打印）。"))]

    def one(key: str, label: str, name: str, fallback: str) -> Check:
        name = name or fallback
        if not name:
            return Check(key, False, f"{label}：未设置，系统也没有默认打印机。请在 设置 中选择打印机，"
                         "或在系统中安装并设为默认打印机。")
        if name not in printers.ready:
            return Check(key, False, f"{label}：找不到打印机“{name}”。请检查打印机是否已安装、名称是否更改，"
                         "并在 设置 中重新选择。")
        if not printers.ready[name]:
            return Check(key, False, f"{label}：打印机“{name}”已停用或暂停接收任务，无法打印测试页。"
                         "请在系统的打印机管理中启用它。")
        return Check(key, True, f"{label}：打印机“{name}”已就绪，可以打印测试页。")

    out = [one("printers.a4", "A4 打印机", a4_name, printers.default)]
    if roll_name:
        out.append(one("printers.roll", "80 毫米票据打印机", roll_name, ""))
    else:
        out.append(Check("printers.roll", True, "80 毫米票据打印机：未设置（凭证按 A4 打印；如有票据打印机，请在 设置 中选择）。"))
    return out


# ---- the local store --------------------------------------------------------------------------------------
def check_key(home: Path) -> Check:
    if not config.db_path(home).exists():
        return Check("store.key", False, f"本地数据库：数据目录 {home} 中还没有数据库。请运行首次设置（或 yichuang init）。")
    if not config.store_key(home):
        return Check("store.key", False, "数据库密钥：本机系统账户的密钥库中没有本窗口数据库的密钥。请在启用本窗口的电脑和账户下运行；"
                     "已更换电脑的，请按运维说明从中心恢复（yichuang init --restore-from-central）。")
    return Check("store.key", True, "数据库密钥：在本机密钥库中，可以打开数据库。")


def check_integrity(store) -> Check:
    from db.local.engine import integrity_check

    result = integrity_check(store.engine)
    if result == "ok":
        return Check("store.integrity", True, "本地数据库：完整性检查通过。")
    return Check("store.integrity", False, f"本地数据库：完整性检查未通过（{result[:200]}）。请立即联系技术人员，"
                 "先同步（yichuang sync），再从最近的备份恢复（yichuang restore）。")


def check_disk(home: Path) -> Check:
    free = shutil.disk_usage(home).free
    gib = free / 1024 ** 3
    if free < MIN_FREE_BYTES:
        return Check("store.disk", False, f"磁盘空间：数据目录所在磁盘仅剩 {gib:.2f} GB。请清理磁盘或扩容（至少保留 1 GB）。")
    return Check("store.disk", True, f"磁盘空间：数据目录所在磁盘剩余 {gib:.1f} GB。")


def check_backups(store, now: datetime) -> Check:
    from desktop.core import backup

    setting = store.setting("backup_dir")
    folder = Path(setting) if setting else backup.default_folder(store.home)
    last = backup.last_backup_at(folder)
    if last is None:
        return Check("store.backup", False, f"备份：{folder} 中还没有备份。请运行 yichuang backup（界面每天启动时也会自动备份）。")
    age = now.replace(tzinfo=None) - last
    if age > BACKUP_AGE_LIMIT:
        return Check("store.backup", False, f"备份：最近一次备份在 {last:%Y-%m-%d %H:%M}，已超过两天。请运行 yichuang backup，"
                     "并检查备份目录所在磁盘。")
    return Check("store.backup", True, f"备份：最近一次备份在 {last:%Y-%m-%d %H:%M}（{folder}）。")


# ---- the centre -------------------------------------------------------------------------------------------
def check_centre(store, now: datetime, connect: Callable[[Any], Any] | None = None) -> list[Check]:
    from db.central.errors import CentralAuthFailed, CentralError, ProtocolTooOld, WindowBoundElsewhere
    from desktop.core.sync.link import candidate_link
    from desktop.core.sync.protocol import PROTOCOL

    skipped = [Check("centre.version", False, "协议版本：未检查（未连上中心）。"),
               Check("centre.clock", False, "时钟：未与中心比对（未连上中心）。")]
    if not store.setting("central_url"):
        return [Check("centre.link", False, "中心连接：尚未配置中心。请运行 yichuang sync --central 地址 --ca-cert CA证书，"
                      "或在首次设置中导入中心发放的接入文件。"), *skipped]
    try:
        link = candidate_link(store)
    except Exception as e:  # noqa: BLE001 - no CA, a damaged CA file
        return [Check("centre.link", False, f"中心连接：{getattr(e, 'message', e)}"), *skipped]
    ca_note = _ca_expiry(link.ca_file, now)
    if connect is None:
        from db.central.client import CentralClient
        from desktop.core import chain

        def connect(lk):
            return CentralClient(lk.url, ca_cert=lk.ca_file, connect_timeout=5, statement_timeout=10,
                                 window_key=chain.window_key(store))
    from desktop.core import chain

    me = chain.client_identity(store)  # ChainKeyMissing: reported by _guard with its own message
    hello_client = {"machine_id": me["machine_id"], "key_sha256": me["key_sha256"],
                    "client_time": (now if now.tzinfo else now.replace(tzinfo=SHANGHAI)).isoformat()}
    client = connect(link)
    try:
        hello = client.handshake(PROTOCOL, hello_client)  # as a sync round greets, but never binds
    except ProtocolTooOld as e:
        return [Check("centre.link", True, "中心连接：已连通（TLS 证书校验通过）。"),
                Check("centre.version", False, f"协议版本：中心已不再接受本客户端（{e.message}）。请升级客户端。"),
                skipped[1]]
    except CentralAuthFailed as e:
        return [Check("centre.link", False, f"中心连接：中心拒绝了本窗口的账号（{e.message}）。请联系中心管理员核对窗口账号。"),
                *skipped]
    except WindowBoundElsewhere as e:
        return [Check("centre.link", False, f"中心连接：已连通，但{e.message}"), *skipped]
    except CentralError as e:
        tls = any(w in e.message.lower() for w in ("ssl", "certificate", "tls", "证书"))
        todo = "请核对中心的 CA 证书（中心重新发证后需重新导入）。" if tls else "请检查网络和中心服务器；离线期间受理照常，恢复后自动上传。"
        return [Check("centre.link", False, f"中心连接：连不上中心（{e.message}）。{todo}"), *skipped]
    finally:
        try:
            client.close()
        except Exception:  # noqa: BLE001
            pass
    out = []
    window = store.window()
    same = (str(hello.get("centre_code", "")), str(hello.get("window_no", ""))) == (window.centre_code, window.window_no)
    link_text = "中心连接：已连通，TLS 证书校验通过" + (f"，{ca_note}" if ca_note and not ca_note.startswith("!") else "")
    if getattr(client, "via_shared_entry", False):
        link_text += "，经中心连接池的共享入口（每次调用以本窗口密钥签名）"
    if not same:
        out.append(Check("centre.link", False, f"中心连接：中心认为本机是中心 {hello.get('centre_code')} "
                         f"{hello.get('window_no')} 号窗口，与本机设置（{window.centre_code} {window.window_no}）不符。"
                         "请联系中心管理员核对窗口账号。"))
    elif ca_note.startswith("!"):
        out.append(Check("centre.link", False, f"中心连接：已连通，但{ca_note[1:]}。请向中心索取新的 CA 证书。"))
    else:
        out.append(Check("centre.link", True, link_text + "。"))
    theirs, least = int(hello.get("protocol", 0)), int(hello.get("min_protocol", 0))
    if least > PROTOCOL:
        out.append(Check("centre.version", False, f"协议版本：本客户端 {PROTOCOL}，中心最低要求 {least}。请升级客户端。"))
    elif theirs < PROTOCOL:
        out.append(Check("centre.version", False, f"协议版本：中心 {theirs} 低于本客户端 {PROTOCOL}，同步会被拒绝。"
                         "请中心管理员升级中心数据库（yichuang central init）。"))
    else:
        out.append(Check("centre.version", True, f"协议版本：本客户端 {PROTOCOL}，中心 {theirs}（最低 {least}），"
                         f"中心数据库结构 {hello.get('schema', '未知')}。"))
    out.append(_clock(hello.get("server_time"), now))
    return out


def _ca_expiry(ca_file: Path, now: datetime) -> str:
    """"CA 证书有效至 …", or "!…" when it expires within CA_WARN_DAYS or has expired."""
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(Path(ca_file).read_bytes())
    except (OSError, ValueError):
        return ""
    until = min(c.not_valid_after_utc for c in certs)
    aware = now if now.tzinfo else now.replace(tzinfo=SHANGHAI)
    if until < aware:
        return f"!中心的 CA 证书已于 {until:%Y-%m-%d} 过期"
    if until - aware < timedelta(days=CA_WARN_DAYS):
        return f"!中心的 CA 证书将于 {until:%Y-%m-%d} 过期"
    return f"CA 证书有效至 {until:%Y-%m-%d}"


def _clock(server_time: Any, now: datetime) -> Check:
    if not server_time:
        return Check("centre.clock", False, "时钟：中心未报告时间，无法比对。")
    server = datetime.fromisoformat(str(server_time))
    local = now if now.tzinfo else now.replace(tzinfo=SHANGHAI)  # the store clock: naive Shanghai time
    skew = int((local - server).total_seconds())
    if abs(skew) > CLOCK_SKEW_LIMIT_S:
        way = "快" if skew > 0 else "慢"
        return Check("centre.clock", False, f"时钟：本机比中心{way} {abs(skew)} 秒（超过 {CLOCK_SKEW_LIMIT_S} 秒）。"
                     "请校准本机时间（开启自动对时）。")
    return Check("centre.clock", True, f"时钟：与中心相差 {skew} 秒。")


# ---- calendar, outbox, chain, ID card reader ---------------------------------------------------------------
def check_calendar(store, today: date) -> list[Check]:
    from sqlalchemy import select

    from db.local.models import CalendarYear

    with store.Reader() as s:
        years = set(s.scalars(select(CalendarYear.year)))
    this, nxt = today.year, today.year + 1
    out = [Check("calendar.this_year", this in years, f"节假日日历：{this} 年" + (
        "已导入。" if this in years else "未导入，办理时限无法计算（显示“待定”）。请导入或从中心同步当年日历。"))]
    if nxt in years:
        out.append(Check("calendar.next_year", True, f"节假日日历：{nxt} 年已导入。"))
    elif today.month >= NEXT_YEAR_FROM_MONTH:
        out.append(Check("calendar.next_year", False, f"节假日日历：{nxt} 年未导入，跨年的办理时限将显示“待定”。"
                         "国务院公布次年安排后，请导入或从中心同步。"))
    else:
        out.append(Check("calendar.next_year", True, f"节假日日历：{nxt} 年尚未导入（通常年底公布，10 月起需要）。"))
    return out


def check_outbox(store, now: datetime) -> list[Check]:
    from desktop.core.sync.link import sync_status

    st = sync_status(store)
    if st.queue_length == 0:
        out = [Check("outbox.pending", True, "上传队列：没有待上传的操作。")]
    else:
        oldest = st.oldest_pending_at
        naive_now = now.replace(tzinfo=None)
        age = naive_now - oldest.replace(tzinfo=None) if oldest else timedelta(0)
        hours = age.total_seconds() / 3600
        text = f"上传队列：{st.queue_length} 条待上传，最早一条已等待 {hours:.1f} 小时"
        if age > OUTBOX_AGE_LIMIT:
            out = [Check("outbox.pending", False, text + "。请检查与中心的连接并立即同步（F5 或 yichuang sync）。")]
        else:
            out = [Check("outbox.pending", True, text + "。")]
    if st.rejected:
        out.append(Check("outbox.rejected", False, f"上传队列：{st.rejected} 条被中心拒收。请值班长在 异常件 中处理。"))
    else:
        out.append(Check("outbox.rejected", True, "上传队列：没有被中心拒收的操作。"))
    return out


def check_chain(store) -> Check:
    from desktop.core import chain

    report = chain.verify(store)
    if report.ok:
        return Check("chain", True, f"防篡改记录：上传队列 {report.outbox} 条、审计 {report.audit} 条，签名完整。")
    first = report.breaks[0]
    return Check("chain", False, f"防篡改记录：{first.message()}。请勿继续修改数据，立即联系技术人员（yichuang audit verify）。")


def check_idcard(port: str, baud: int) -> Check:
    from desktop.core.devices.idcard import IdCardError, IdCardReader

    try:
        with IdCardReader(port, baud=baud, timeout=2.0, retries=0) as reader:
            card = reader.find_card()
    except IdCardError as e:
        return Check("idcard", False, f"身份证阅读器：{e.message}")
    return Check("idcard", True, f"身份证阅读器：{port} 应答正常（{'读卡区有卡' if card else '读卡区无卡'}）。")


# ---- all of them ------------------------------------------------------------------------------------------
def run_checks(home: Path, *, store=None, printers: Printers | None = None, now: datetime | None = None,
               connect: Callable[[Any], Any] | None = None) -> list[Check]:
    """Every check, in the order a technician reads them. `store`: an open Store (else one is opened here
    and closed again); `connect`: makes the centre's client from a CandidateLink (tests)."""
    home = Path(home)
    out: list[Check] = []
    out += _guard("fonts.cjk", "字体", check_fonts)
    own = None
    key = check_key(home)
    if key.ok and store is None:
        try:
            from desktop.core.store import Store

            store = own = Store(home)
        except Exception as e:  # noqa: BLE001
            key = Check("store.key", False, f"本地数据库：无法打开（{getattr(e, 'message', e)}）。")
    try:
        if store is not None:
            if printers is None:
                printers = cups_printers()
            a4, roll = store.setting("printer_a4"), store.setting("printer_roll")
            out += _guard("printers.a4", "打印机", lambda: check_printers(a4, roll, printers))
        else:
            out.append(Check("printers.a4", False, "打印机：未检查（本地数据库未打开，不知道所选打印机）。"))
        out.append(key)
        if store is None:
            out.append(Check("store.integrity", False, "本地数据库：未检查（无法打开）。"))
            out += _guard("store.disk", "磁盘空间", lambda: check_disk(home if home.exists() else home.parent))
            return out
        now = now or store.clock()
        out += _guard("store.integrity", "本地数据库完整性", lambda: check_integrity(store))
        out += _guard("store.disk", "磁盘空间", lambda: check_disk(home))
        out += _guard("store.backup", "备份", lambda: check_backups(store, now))
        out += _guard("centre.link", "中心连接", lambda: check_centre(store, now, connect))
        out += _guard("calendar.this_year", "节假日日历", lambda: check_calendar(store, now.date()))
        out += _guard("outbox.pending", "上传队列", lambda: check_outbox(store, now))
        out += _guard("chain", "防篡改记录", lambda: check_chain(store))
        port = store.setting("idcard_port")
        if port:
            baud = int(store.setting("idcard_baud") or 115200)
            out += _guard("idcard", f"身份证阅读器（{port}）", lambda: check_idcard(port, baud))
        return out
    finally:
        if own is not None:
            own.close()


def as_text(checks: list[Check]) -> str:
    """The report as plain text (the CLI's output and the GUI's 复制 for a support call)."""
    bad = sum(not c.ok for c in checks)
    head = "一窗自检：全部正常。" if not bad else f"一窗自检：{bad} 项需要处理。"
    return "\n".join([head, *(c.line() for c in checks)]) + "\n"
