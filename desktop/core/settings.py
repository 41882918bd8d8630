"""Every window setting, declared once with its type, default and meaning (Picard's options.py).

Settings live in the store's `settings` table as text; `Store.setting` / `set_setting` accept only the keys
declared here, return the declared default for a key never set, and refuse a value of the wrong type.
Window geometry and other per-user view state are not settings: the UI keeps them in QSettings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: type  # str, int or bool (stored as text: "1"/"0" for bool)
    default: str
    doc: str
    section: str  # identity (set by init), preference (an administrator's choice), state (kept by the client)
    minimum: int | None = None  # the least value of an int setting

    def check(self, value: str) -> str:
        """The text to store for `value`, or ValueError when it is not of the declared type."""
        value = str(value)
        if self.kind is int:
            number = int(value or "0")
            if self.minimum is not None and number < self.minimum:
                raise ValueError(f"setting {self.key} is at least {self.minimum}, not {number}")
        elif self.kind is bool and value not in ("", "0", "1"):
            raise ValueError(f"setting {self.key} is a flag: '0' or '1', not {value!r}")
        return value


SETTINGS: Mapping[str, SettingSpec] = MappingProxyType({s.key: s for s in (
    SettingSpec("centre_code", str, "", "the centre's administrative division code (6–12 digits)", "identity"),
    SettingSpec("centre_name", str, "", "the centre's name as printed on every document", "identity"),
    SettingSpec("centre_phone", str, "", "the centre's contact phone, printed on notices", "identity"),
    SettingSpec("window_no", str, "", "this window's number, 01–99", "identity"),
    SettingSpec("centre_type", str, "", "the kind of centre (两个集中): district (区行政服务中心, enterprise matters) "
                "or street (街镇社区事务受理服务中心, personal matters); set by `init --centre-type`; empty: every "
                "matter is taken", "identity"),
    SettingSpec("authority_short_name", str, "", "the short name that opens every document number (文号), e.g. "
                "徐汇 in 徐汇受〔2026〕0100123号; empty: derived from the centre name", "preference"),
    SettingSpec("reconsideration_body", str, "", "the 行政复议机关 a 不予受理通知书 names when the matter's catalogue "
                "entry names none (e.g. 上海市徐汇区人民政府); empty: the notice names none", "preference"),
    SettingSpec("court", str, "", "the 人民法院 a 不予受理通知书 names when the matter's catalogue entry names none "
                "(e.g. 上海市徐汇区人民法院); empty: the notice names none", "preference"),
    SettingSpec("default_clerk", str, "", "the login the GUI's login field starts with (demo stores); "
                "never acts without a password",
                "preference"),
    SettingSpec("rectify_owner", str, "", "who owns a 差评's rectification (default: the first supervisor)",
                "preference"),
    SettingSpec("central_url", str, "", "the centre's database URL, without its password (that is in the "
                "keyring)", "preference"),
    SettingSpec("machine_id", str, "", "this computer's id (uuid4 hex), made at init and registered at the "
                "centre at the first handshake: one live install per window", "identity"),
    SettingSpec("chain_base", str, "", "where the outbox chain starts, 'seq:mac' (a window restored from the "
                "centre continues the centre's head; empty: 0 and zeros)", "identity"),
    SettingSpec("seal_certificate", str, "", "the window's seal certificate from the centre (base64url), "
                "installed by `yichuang seal install`; empty: decision documents print without the seal QR",
                "identity"),
    SettingSpec("seal_centre_key", str, "", "the centre's seal public key (PEM) the certificate and "
                "`yichuang verify-seal` are checked against", "identity"),
    SettingSpec("outbox_retention_days", int, "90", "days an operation the centre applied keeps its payload "
                "(personal data) in the local outbox; then the payload is purged, the record stays (at least 1)",
                "preference"),
    SettingSpec("pickup_wait_workdays", int, "5", "working days a decided result may wait for pick-up before the "
                "worklist lists it (the approval turns red after Art. 44's 10 working days anyway)", "preference",
                minimum=1),
    SettingSpec("worklist_shown_on", str, "", "the day (YYYY-MM-DD) the first login of the day on this window was "
                "offered the worklist; later logins that day are not", "state"),
    SettingSpec("idcard_port", str, "", "the ID card reader's serial port (COM3, /dev/ttyUSB0; USB readers present "
                "one); empty: no reader, the clerk types the applicant's identity", "preference"),
    SettingSpec("idcard_baud", int, "115200", "the ID card reader's speed (9600, 19200, 38400, 57600 or 115200)",
                "preference"),
    SettingSpec("backup_dir", str, "", "the folder daily backups go to (may be on another disk); empty: the data "
                "folder's backups/", "preference"),
    SettingSpec("backup_keep_daily", int, "7", "backups kept: the newest of each of this many last days", "preference",
                minimum=1),
    SettingSpec("backup_keep_weekly", int, "4", "backups kept: the newest of each of this many last ISO weeks",
                "preference", minimum=0),
    SettingSpec("printer_a4", str, "", "the A4 printer's queue name (empty: the system's default printer)",
                "preference"),
    SettingSpec("printer_roll", str, "", "the 80 mm receipt printer's queue name (empty: none; vouchers print on A4)",
                "preference"),
    SettingSpec("applicant_screen", bool, "", "the applicant's screen (评价屏): 1 always (on one screen a movable "
                "window), 0 never, empty: only where a second screen is connected", "preference"),
    SettingSpec("scan_folder", str, "", "the folder the scanner or 高拍仪 software saves to; each new file is "
                "offered to attach to the current case's material; empty: no folder is watched", "preference"),
    SettingSpec("sync_last_success", str, "", "when the last sync round succeeded (ISO time)", "state"),
    SettingSpec("sync_online", bool, "", "1 when the last round reached the centre, 0 when it failed", "state"),
    SettingSpec("sync_last_error", str, "", "what the last failed round said", "state"),
    SettingSpec("sync_clock_skew", int, "0", "local clock minus the centre's, seconds, at the last handshake",
                "state"),
)})


def spec(key: str) -> SettingSpec:
    try:
        return SETTINGS[key]
    except KeyError:
        raise ValueError(f"unknown setting {key!r}: declare it in desktop/core/settings.py") from None
