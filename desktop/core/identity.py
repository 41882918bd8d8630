"""Check and normalise identity numbers, unified social credit codes and phone numbers at intake."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from desktop.core.errors import BadInput
from desktop.core.types import ID_TYPE_LABELS

__all__ = [
    "IdCheck",
    "UsccCheck",
    "check_id",
    "check_phone",
    "check_uscc",
    "id_check_char",
    "uscc_check_char",
]

# --- GB 11643 (resident ID and everything built on it) -------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_MAP = "10X98765432"

# Province-level address codes (first two digits) that GB/T 2260 has used.
_PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
    "83": "台湾地区（居住证）",
}

# Shanghai county-level codes, current and retired (an ID keeps the code it was issued with).
_SHANGHAI_DISTRICTS: dict[str, str] = {
    "310100": "市辖区",
    "310101": "黄浦区",
    "310102": "南市区（已撤销）",
    "310103": "卢湾区（已撤销）",
    "310104": "徐汇区",
    "310105": "长宁区",
    "310106": "静安区",
    "310107": "普陀区",
    "310108": "闸北区（已撤销）",
    "310109": "虹口区",
    "310110": "杨浦区",
    "310111": "吴淞区（已撤销）",
    "310112": "闵行区",
    "310113": "宝山区",
    "310114": "嘉定区",
    "310115": "浦东新区",
    "310116": "金山区",
    "310117": "松江区",
    "310118": "青浦区",
    "310119": "南汇区（已撤销）",
    "310120": "奉贤区",
    "310151": "崇明区",
    "310200": "县",
    "310221": "上海县（已撤销）",
    "310222": "嘉定县（已撤销）",
    "310223": "宝山县（已撤销）",
    "310224": "川沙县（已撤销）",
    "310225": "南汇县（已撤销）",
    "310226": "奉贤县（已撤销）",
    "310227": "松江县（已撤销）",
    "310228": "金山县（已撤销）",
    "310229": "青浦县（已撤销）",
    "310230": "崇明县（已撤销）",
}

_PERMIT_PREFIXES = ("810000", "820000", "830000")

# ISO 3166-1 alpha-3 codes plus the ICAO 9303 codes that appear on travel documents.
_NATIONALITIES = frozenset(
    """
    ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT AZE BDI BEL BEN BES BFA BGD BGR BHR BHS
    BIH BLM BLR BLZ BMU BOL BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR COD COG COK COL COM CPV
    CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM DZA ECU EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM
    GAB GBR GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY HKG HMD HND HRV HTI HUN IDN IMN
    IND IOT IRL IRN IRQ ISL ISR ITA JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY LCA LIE
    LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS
    MWI MYS MYT NAM NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER PHL PLW PNG POL PRI PRK
    PRT PRY PSE PYF QAT REU ROU RUS RWA SAU SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR
    SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK TKL TKM TLS TON TTO TUN TUR TUV TWN TZA UGA UKR UMI URY
    USA UZB VAT VCT VEN VGB VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE
    GBD GBN GBO GBP GBS EUE RKS UNA UNK UNO XOM XPO XXA XXB XXC XXX
    """.split()  # noqa: SIM905 (a table reads better as text)
)

Sex = Literal["M", "F"]


@dataclass(frozen=True)
class IdCheck:
    """A checked identity number: `normalized` is what is stored (15-digit IDs become 18)."""

    normalized: str
    birth_date: date | None
    sex: Sex | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class UsccCheck:
    """A unified social credit code of the right shape; `check_ok` False is an overridable error."""

    normalized: str
    check_ok: bool


def id_check_char(body17: str) -> str:
    """The GB 11643 check character for 17 digits."""
    total = sum(int(c) * w for c, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_MAP[total % 11]


def _compact(text: str) -> str:
    """Remove every kind of whitespace (clerks paste numbers with spaces) and upper-case."""
    return re.sub(r"\s+", "", text or "").upper()


def _birth(year: int, month: int, day: int, *, label: str, field: str, today: date) -> date:
    try:
        born = date(year, month, day)
    except ValueError:
        raise BadInput(
            "E_ID_DATE", f"{label}号码中的出生日期 {year:04d}-{month:02d}-{day:02d} 不存在", field=field
        ) from None
    if born.year < 1900:
        raise BadInput("E_ID_DATE", f"{label}号码中的出生日期 {born.isoformat()} 早于 1900 年", field=field)
    if born > today:
        raise BadInput("E_ID_DATE", f"{label}号码中的出生日期 {born.isoformat()} 晚于今天", field=field)
    return born


def _check_gb11643(number: str, *, label: str, field: str, today: date) -> tuple[str, date, Sex]:
    """Validate an 18-character GB 11643 number (already compact); return it, birth date and sex."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise BadInput("E_ID_FORMAT", f"{label}号码应为 17 位数字加 1 位校验位（数字或 X）", field=field)
    born = _birth(
        int(number[6:10]), int(number[10:12]), int(number[12:14]), label=label, field=field, today=today
    )
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise BadInput("E_ID_CHECK", f"{label}号码校验位错误（应为 {expected}）", field=field)
    sex: Sex = "M" if int(number[16]) % 2 == 1 else "F"
    return number, born, sex


def _address_warnings(number: str) -> tuple[str, ...]:
    code = number[:6]
    province = code[:2]
    if province not in _PROVINCES:
        return (f"地址码未知（{code}），请核对号码；号码发放后不变，仍可受理",)
    if province in ("81", "82", "83"):
        return (f"地址码 {code} 属于港澳台居民居住证，请确认证件类型是否应为“港澳台居民居住证”",)
    if province == "31" and code not in _SHANGHAI_DISTRICTS:
        return (f"地址码未知（{code}）：不在上海市区县代码表中，请核对号码",)
    return ()


def _resident_id(raw: str, *, field: str, today: date) -> IdCheck:
    label = ID_TYPE_LABELS["resident_id"]
    number = _compact(raw)
    if re.fullmatch(r"\d{15}", number):
        # Legacy 15-digit number: YYMMDD with the century implied as 19, no check character.
        body = number[:6] + "19" + number[6:]
        _birth(int(body[6:10]), int(body[10:12]), int(body[12:14]), label=label, field=field, today=today)
        number = body + id_check_char(body)
    elif len(number) != 18:
        raise BadInput(
            "E_ID_FORMAT", f"{label}号码应为 18 位（或旧版 15 位），当前为 {len(number)} 位", field=field
        )
    normalized, born, sex = _check_gb11643(number, label=label, field=field, today=today)
    return IdCheck(normalized, born, sex, _address_warnings(normalized))


def _residence_permit(raw: str, *, field: str, today: date) -> IdCheck:
    label = ID_TYPE_LABELS["hk_macau_tw_residence"]
    number = _compact(raw)
    if len(number) != 18:
        raise BadInput("E_ID_FORMAT", f"{label}号码应为 18 位，当前为 {len(number)} 位", field=field)
    if not number.startswith(_PERMIT_PREFIXES):
        raise BadInput(
            "E_ID_FORMAT", f"{label}号码应以 810000（香港）、820000（澳门）或 830000（台湾）开头", field=field
        )
    normalized, born, sex = _check_gb11643(number, label=label, field=field, today=today)
    return IdCheck(normalized, born, sex)


def _two_digit_year_date(yymmdd: str, today: date) -> date | None:
    """Read YYMMDD as the most recent plausible past date, or None when it is no date at all."""
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    for century in (2000, 1900):
        try:
            candidate = date(century + yy, mm, dd)
        except ValueError:
            return None
        if candidate <= today:
            return candidate
    return None


def _foreign_permanent(raw: str, *, field: str, today: date) -> IdCheck:
    label = ID_TYPE_LABELS["foreign_permanent_residence"]
    number = _compact(raw)
    if len(number) == 18:
        # 2023 version: 9 + province (2) + nationality (3) + birth date (8) + sequence (3) + check.
        if number[0] != "9":
            raise BadInput("E_ID_FORMAT", f"{label}号码（2023 版）应以 9 开头", field=field)
        normalized, born, _sex = _check_gb11643(number, label=label, field=field, today=today)
        # The published rules do not state that the sequence carries sex; do not guess it.
        return IdCheck(normalized, born, None)
    if re.fullmatch(r"[A-Z]{3}\d{12}", number):
        # 2017 version: nationality letters + acceptance code (4) + YYMMDD + 2 digits; format only.
        warnings: tuple[str, ...] = ()
        if number[:3] not in _NATIONALITIES:
            warnings = (f"国籍代码 {number[:3]} 不在 ISO 3166 代码表中，请核对",)
        return IdCheck(number, _two_digit_year_date(number[7:13], today), None, warnings)
    raise BadInput(
        "E_ID_FORMAT",
        f"{label}号码应为 18 位（2023 版，以 9 开头）或 3 位字母加 12 位数字（2017 版）",
        field=field,
    )


def _hk_macau_permit(raw: str, *, field: str) -> IdCheck:
    number = _compact(raw)
    if not re.fullmatch(r"[HM]\d{8}(\d{2})?", number):
        raise BadInput(
            "E_ID_FORMAT",
            "港澳居民来往内地通行证号码应为 H 或 M 加 8 位数字（可另加 2 位换证次数）",
            field=field,
        )
    return IdCheck(number, None, None)


def _taiwan_permit(raw: str, *, field: str) -> IdCheck:
    number = _compact(raw)
    if not re.fullmatch(r"\d{8}", number):
        raise BadInput("E_ID_FORMAT", "台湾居民来往大陆通行证号码应为 8 位数字", field=field)
    return IdCheck(number, None, None)


def _passport(raw: str, *, field: str) -> IdCheck:
    number = _compact(raw).replace("：", ":")
    if ":" in number:
        nationality, _, doc_no = number.partition(":")
        if not re.fullmatch(r"[A-Z]{3}", nationality):
            raise BadInput(
                "E_ID_FORMAT",
                "外国护照请按“国籍代码:护照号”填写，国籍代码为 3 位字母（如 USA:123456789）",
                field=field,
            )
        if not re.fullmatch(r"[A-Z0-9]{5,17}", doc_no):
            raise BadInput("E_ID_FORMAT", "外国护照号码应为 5 至 17 位字母或数字", field=field)
        warnings: tuple[str, ...] = ()
        if nationality not in _NATIONALITIES:
            warnings = (f"国籍代码 {nationality} 不在 ISO 3166 代码表中，请核对",)
        if nationality == "CHN":
            warnings += ("国籍为 CHN：中国护照请直接填写护照号码（E 开头）",)
        return IdCheck(f"{nationality}:{doc_no}", None, None, warnings)
    if re.fullmatch(r"E(\d{8}|[A-HJ-NP-Z]\d{7})", number):
        return IdCheck(number, None, None)
    raise BadInput(
        "E_ID_FORMAT",
        "中国护照号码应为 E 加 8 位数字，或 E 加 1 位字母（不含 I、O）加 7 位数字；"
        "外国护照请按“国籍代码:护照号”填写",
        field=field,
    )


def check_id(id_type: str, id_no: str, *, field: str = "id_no", today: date | None = None) -> IdCheck:
    """Check an identity number of the given type; raise BadInput (E_ID_*) when it cannot be right.

    `today` bounds birth dates (tests pass it; the window uses the local date). Warnings (unknown
    address code, unknown nationality) never block intake.
    """
    today = today or date.today()
    if id_type not in ID_TYPE_LABELS:
        raise BadInput("E_ID_TYPE", f"未知的证件类型：{id_type}", field=field)
    if not isinstance(id_no, str) or not _compact(id_no):
        raise BadInput("E_ID_FORMAT", f"请填写{ID_TYPE_LABELS[id_type]}号码", field=field)
    if id_type == "resident_id":
        return _resident_id(id_no, field=field, today=today)
    if id_type == "hk_macau_tw_residence":
        return _residence_permit(id_no, field=field, today=today)
    if id_type == "foreign_permanent_residence":
        return _foreign_permanent(id_no, field=field, today=today)
    if id_type == "hk_macau_permit":
        return _hk_macau_permit(id_no, field=field)
    if id_type == "taiwan_permit":
        return _taiwan_permit(id_no, field=field)
    return _passport(id_no, field=field)


# --- GB 32100 unified social credit code ----------------------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_char(body17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(body17, _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


def check_uscc(code: str, *, field: str = "uscc") -> UsccCheck:
    """Check the shape of a unified social credit code; a wrong check character only sets check_ok."""
    normalized = _compact(code if isinstance(code, str) else "")
    if len(normalized) != 18:
        raise BadInput(
            "E_USCC_FORMAT", f"统一社会信用代码应为 18 位，当前为 {len(normalized)} 位", field=field
        )
    bad = sorted({c for c in normalized if c not in _USCC_VALUE})
    if bad:
        raise BadInput(
            "E_USCC_FORMAT",
            f"统一社会信用代码含有不允许的字符：{'、'.join(bad)}（不使用 I、O、Z、S、V）",
            field=field,
        )
    return UsccCheck(normalized, uscc_check_char(normalized[:17]) == normalized[17])


# --- Phone numbers --------------------------------------------------------------------------------

_EXTENSION = re.compile(r"^(?P<main>.*?)(?:(?:转|分机|ext\.?|x|#)\s*|-)(?P<ext>\d{1,6})$", re.IGNORECASE)


def _phone_digits(text: str) -> str | None:
    """Strip separators; None if anything but digits, a leading +, spaces, dashes, dots, brackets."""
    if not re.fullmatch(r"\+?[\d\s\-.()（）]+", text):
        return None
    return re.sub(r"\D", "", text)


def _main_number(digits: str, had_plus: bool) -> str | None:
    """Normalise a number without extension, or None if it is no Chinese phone number."""
    if had_plus and not digits.startswith("86"):
        return None
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (9, 10, 11):
            rest = digits[len(prefix) :]
            if re.fullmatch(r"1[3-9]\d{9}", rest):
                return rest
            if re.fullmatch(r"[1-9]\d{1,2}[2-9]\d{6,7}", rest):  # landline without its leading 0
                return "0" + rest
    if had_plus:
        return None
    if re.fullmatch(r"1[3-9]\d{9}", digits):
        return digits
    if re.fullmatch(r"0[1-9]\d{1,2}[2-9]\d{6,7}", digits):
        return digits
    if re.fullmatch(r"[2-9]\d{7}", digits):  # Shanghai local number
        return digits
    if re.fullmatch(r"12\d{3}", digits):  # government hotlines: 12345, 12315, 12333 ...
        return digits
    if re.fullmatch(r"[48]00\d{7}", digits):  # 400 / 800 service numbers
        return digits
    return None


def check_phone(phone: str, *, field: str = "phone") -> str:
    """Normalise a phone number to digits ("13812345678", "02162345678", "02162345678-801").

    Accepts mainland mobiles (optionally +86/86), landlines with area code and optional extension,
    8-digit Shanghai local numbers, 12xxx government hotlines and 400/800 numbers.
    """
    text = (phone or "").strip() if isinstance(phone, str) else ""
    error = BadInput(
        "E_PHONE",
        f"电话号码格式不正确：{text or '（空）'}（手机 11 位，固话含区号，如 021-62345678）",
        field=field,
    )
    if not text:
        raise error
    had_plus = text.startswith("+")
    digits = _phone_digits(text)
    if digits is not None:
        main = _main_number(digits, had_plus)
        if main is not None:
            return main
    match = _EXTENSION.match(text)
    if match:
        main_digits = _phone_digits(match.group("main").strip())
        if main_digits is not None:
            main = _main_number(main_digits, had_plus)
            if main is not None and main.startswith("0"):
                return f"{main}-{match.group('ext')}"
    raise error
