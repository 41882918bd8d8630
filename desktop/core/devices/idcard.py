"""The second-generation resident ID card (居民身份证) through a reader's SAM module on a serial port.

USB readers present a serial port too. A frame, both ways:

    AA AA AA 96 69 | LEN (2 bytes, big-endian) | body | CHK

LEN counts the body and the checksum; CHK is the XOR of the LEN bytes and the body. A command's body is
CMD PARA DATA; a reply's body is SW1 SW2 SW3 DATA, where SW3 says how it went (`STATUS`). Reading a card is
find (20 01, SW3 9F when a card is there), select (20 02) and read base information (30 01), whose data is
the text length and the photo length (2 bytes each, big-endian), the text block (256 bytes of UCS-2
little-endian in fixed fields, `TEXT_FIELDS`) and the photo block (1024 bytes, the vendor's compressed
"wlt" format).

The photo block is kept exactly as received. Turning it into a picture needs the vendor's licensed decoder;
the client never fakes one. The plug-in point: a package that wraps the decoder declares an entry point in
the group `yichuang.idcard_photo` naming a callable `decode(wlt: bytes) -> bytes` (a PNG or BMP image), or
a program calls `set_photo_decoder(decode)`. `decode_photo` returns None where no decoder is installed, and
the window then shows no photo.

Every failure is an `IdCardError` with a stable code and a Chinese message (CLI exit 1).
"""

from __future__ import annotations

import base64
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

from desktop.core.devices.nations import nation_name
from desktop.core.errors import YichuangError

PREAMBLE = bytes.fromhex("AAAAAA9669")
FIND, SELECT, READ_BASE = (0x20, 0x01), (0x20, 0x02), (0x30, 0x01)
MAX_LENGTH = 4096  # no reply of the base commands is longer (a read is 1295 bytes)
DEFAULT_BAUD = 115200

# SW3: (error code, Chinese message); 90 and 9F are success, 91 "no content"
STATUS: dict[int, tuple[str, str]] = {
    0x10: ("E_IDCARD_CHECKSUM", "读卡器收到的命令校验和错误，请重试"),
    0x11: ("E_IDCARD_PROTOCOL", "读卡器收到的命令长度错误"),
    0x21: ("E_IDCARD_PROTOCOL", "读卡器不认识此命令"),
    0x23: ("E_IDCARD_PROTOCOL", "读卡器拒绝越权操作"),
    0x24: ("E_IDCARD_READ", "读卡器报告无法识别的错误，请重新放置身份证"),
    0x31: ("E_IDCARD_AUTH", "身份证认证读卡器失败（认证失败），请重新放置身份证"),
    0x32: ("E_IDCARD_AUTH", "读卡器认证身份证失败（认证失败），此证件可能不是有效的居民身份证"),
    0x33: ("E_IDCARD_AUTH", "身份证信息验证错误（认证失败）"),
    0x40: ("E_IDCARD_READ", "无法识别的卡类型：请放置第二代居民身份证"),
    0x41: ("E_IDCARD_READ", "读身份证失败，请将身份证平放在读卡区后重试"),
    0x47: ("E_IDCARD_READ", "读卡器取随机数失败，请重试"),
    0x60: ("E_IDCARD_SAM", "读卡器安全模块（SAM）自检失败，请联系技术人员"),
    0x66: ("E_IDCARD_SAM", "读卡器安全模块（SAM）未经授权，请联系技术人员"),
    0x80: ("E_IDCARD_NO_CARD", "读卡区没有身份证：请将身份证平放在读卡区"),
    0x81: ("E_IDCARD_NO_CARD", "选取身份证失败：请将身份证平放在读卡区，不要移动"),
}
OK, FOUND, NO_CONTENT = 0x90, 0x9F, 0x91

# (field, characters) in the text block's order; 256 bytes in all
TEXT_FIELDS = (("name", 15), ("sex", 1), ("nation", 2), ("birth", 8), ("address", 35), ("id_no", 18),
               ("authority", 15), ("valid_from", 8), ("valid_to", 8), ("reserved", 18))
TEXT_BYTES = 2 * sum(n for _, n in TEXT_FIELDS)
SEX = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
LONG_TERM = "长期"


class IdCardError(YichuangError):
    """The reader or the card failed; `message` says so in Chinese. CLI exit 1."""


def checksum(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def encode_frame(body: bytes) -> bytes:
    """A whole frame around `body` (CMD PARA DATA or SW1 SW2 SW3 DATA)."""
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def command(cmd: tuple[int, int], data: bytes = b"") -> bytes:
    return encode_frame(bytes(cmd) + data)


class BadChecksum(Exception):
    """A whole frame arrived whose checksum does not match (line noise)."""


def take_frame(buf: bytearray) -> bytes | None:
    """Remove and return the first whole frame's body from `buf` (noise before it is dropped), or None while
    no whole frame is there. Raises BadChecksum (the frame is removed) when its checksum is wrong."""
    while True:
        start = buf.find(PREAMBLE)
        if start < 0:
            del buf[:max(0, len(buf) - len(PREAMBLE) + 1)]  # keep a preamble's possible beginning
            return None
        del buf[:start]
        if len(buf) < 7:
            return None
        length = int.from_bytes(buf[5:7], "big")
        if not 3 <= length <= MAX_LENGTH:  # not a frame after all: look for the next preamble
            del buf[:1]
            continue
        if len(buf) < 7 + length:
            return None
        frame = bytes(buf[:7 + length])
        del buf[:7 + length]
        if checksum(frame[5:-1]) != frame[-1]:
            raise BadChecksum()
        return frame[7:-1]


def _date(text: str) -> str:
    """YYYYMMDD as YYYY-MM-DD; 长期 and anything unreadable stay as written (never guessed)."""
    if len(text) == 8 and text.isdigit():
        try:
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
        except ValueError:
            return text
    return text


@dataclass(frozen=True)
class IdCard:
    """One card's base information; dates ISO (valid_to may be 长期); `photo` the raw photo block."""

    name: str
    sex: str
    nation: str
    birth: str
    address: str
    id_no: str
    authority: str
    valid_from: str
    valid_to: str
    sex_code: str = ""
    nation_code: str = ""
    photo: bytes = field(default=b"", repr=False)

    def expired(self, today: dt.date) -> bool:
        """True when the card's validity ended before `today` (a 长期 card never expires)."""
        try:
            return dt.date.fromisoformat(self.valid_to) < today
        except ValueError:
            return False

    def as_json(self, today: dt.date | None = None) -> dict:
        out = {k: getattr(self, k) for k in ("name", "sex", "sex_code", "nation", "nation_code", "birth",
                                             "address", "id_no", "authority", "valid_from", "valid_to")}
        if today is not None:
            out["expired"] = self.expired(today)
        out["photo_wlt"] = base64.b64encode(self.photo).decode("ascii")
        out["photo_decoder"] = photo_decoder() is not None
        return out


def parse_text(text: bytes) -> dict[str, str]:
    """The text block's fields (spaces and NULs around them removed)."""
    if len(text) < TEXT_BYTES:
        raise IdCardError("E_IDCARD_DATA", f"身份证文字信息不完整（{len(text)} 字节，应为 {TEXT_BYTES}），请重新读卡")
    out, pos = {}, 0
    for name, chars in TEXT_FIELDS:
        raw = text[pos:pos + 2 * chars]
        pos += 2 * chars
        out[name] = raw.decode("utf-16-le", errors="replace").strip(" \x00")
    return out


def parse_base(data: bytes) -> IdCard:
    """The card from the data of a 30 01 reply."""
    if len(data) < 4:
        raise IdCardError("E_IDCARD_DATA", "读卡器返回的身份证信息不完整，请重新读卡")
    text_len, photo_len = int.from_bytes(data[:2], "big"), int.from_bytes(data[2:4], "big")
    if len(data) < 4 + text_len + photo_len:
        raise IdCardError("E_IDCARD_DATA", "读卡器返回的身份证信息不完整，请重新读卡")
    f = parse_text(data[4:4 + text_len])
    return IdCard(name=f["name"], sex=SEX.get(f["sex"], f["sex"]), sex_code=f["sex"],
                  nation=nation_name(f["nation"]), nation_code=f["nation"], birth=_date(f["birth"]),
                  address=f["address"], id_no=f["id_no"].upper(), authority=f["authority"],
                  valid_from=_date(f["valid_from"]), valid_to=_date(f["valid_to"]),
                  photo=bytes(data[4 + text_len:4 + text_len + photo_len]))


# ----- the photo plug-in point
PHOTO_DECODER_GROUP = "yichuang.idcard_photo"
_decoder: Callable[[bytes], bytes] | None = None
_looked_up = False


def set_photo_decoder(decode: Callable[[bytes], bytes] | None) -> None:
    """Install (or with None remove) the licensed decoder: `decode(wlt) -> PNG or BMP bytes`."""
    global _decoder, _looked_up
    _decoder, _looked_up = decode, True


def photo_decoder() -> Callable[[bytes], bytes] | None:
    """The installed decoder: set_photo_decoder's, else the first entry point of PHOTO_DECODER_GROUP."""
    global _decoder, _looked_up
    if not _looked_up:
        _looked_up = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=PHOTO_DECODER_GROUP):
            try:
                _decoder = ep.load()
                break
            except Exception:  # a broken plug-in: no photo, never a crash at the counter
                continue
    return _decoder


def decode_photo(card: IdCard) -> bytes | None:
    """The card's photo as an image, or None where no decoder is installed (or it failed)."""
    decode = photo_decoder()
    if decode is None or not card.photo:
        return None
    try:
        return decode(card.photo)
    except Exception:
        return None


# ----- the reader
class IdCardReader:
    """A reader on `port`. `poll()` for the intake window, `read_card()` for the CLI; use as a context."""

    def __init__(self, port: str, baud: int = DEFAULT_BAUD, timeout: float = 3.0, retries: int = 2) -> None:
        self.port_name, self.baud, self.timeout, self.retries = port, baud, timeout, retries
        self._port = None

    def open(self) -> IdCardReader:
        import serial

        try:
            self._port = serial.Serial(self.port_name, self.baud, timeout=0.05, write_timeout=self.timeout)
        except (serial.SerialException, OSError, ValueError) as e:
            raise IdCardError("E_IDCARD_NO_READER", f"未找到身份证阅读器：无法打开串口 {self.port_name}（{e}）。"
                              "请检查读卡器的连接和设置中的端口。") from None
        return self

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None

    def __enter__(self) -> IdCardReader:
        return self.open() if self._port is None else self

    def __exit__(self, *exc) -> None:
        self.close()

    def transact(self, cmd: tuple[int, int], data: bytes = b"") -> tuple[int, bytes]:
        """Send a command and return (SW3, data) of its reply. A reply with a bad checksum is asked for
        again (`retries` times); a reply that does not arrive whole within `timeout` is a timeout."""
        if self._port is None:
            self.open()
        for attempt in range(self.retries + 1):
            self._port.reset_input_buffer()  # a late answer to an earlier command is not this one's
            try:
                self._port.write(command(cmd, data))
                self._port.flush()
                body = self._read_reply()
            except BadChecksum:
                if attempt < self.retries:
                    continue
                raise IdCardError("E_IDCARD_CHECKSUM", f"读卡器应答校验错误（已重试 {self.retries} 次）："
                                  "请检查读卡器连线，或降低设置中的波特率。") from None
            except OSError as e:
                raise IdCardError("E_IDCARD_NO_READER", f"身份证阅读器已断开（{e}），请重新连接读卡器。") from None
            if len(body) < 3:
                raise IdCardError("E_IDCARD_PROTOCOL", "读卡器应答格式错误")
            return body[2], body[3:]
        raise AssertionError("unreachable")

    def _read_reply(self) -> bytes:
        import serial

        buf = bytearray()
        received = 0
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                frame = take_frame(buf)
            except BadChecksum:
                raise
            if frame is not None:
                return frame
            if time.monotonic() >= deadline:
                if received:
                    raise IdCardError("E_IDCARD_TIMEOUT", f"读卡超时：读卡器在 {self.timeout:g} 秒内未送完应答，"
                                      "请将身份证平放在读卡区后重试。")
                raise IdCardError("E_IDCARD_TIMEOUT", f"读卡器在 {self.timeout:g} 秒内无应答（超时）：请检查端口"
                                  f"（{self.port_name}）和波特率（{self.baud}），或重新连接读卡器。")
            try:
                chunk = self._port.read(self._port.in_waiting or 1)
            except serial.SerialException as e:
                raise OSError(str(e)) from None
            received += len(chunk)
            buf += chunk

    @staticmethod
    def _fail(sw3: int, what: str) -> IdCardError:
        code, message = STATUS.get(sw3, ("E_IDCARD_STATUS", f"{what}失败：读卡器状态码 {sw3:02X}"))
        return IdCardError(code, message)

    def find_card(self) -> bool:
        """True when a card lies on the reader."""
        sw3, _ = self.transact(FIND)
        if sw3 == FOUND:
            return True
        if sw3 == 0x80:
            return False
        raise self._fail(sw3, "寻卡")

    def select_card(self) -> None:
        sw3, _ = self.transact(SELECT)
        if sw3 != OK:
            raise self._fail(sw3, "选卡")

    def read_base(self) -> IdCard:
        sw3, data = self.transact(READ_BASE)
        if sw3 != OK:
            raise self._fail(sw3, "读卡")
        return parse_base(data)

    def poll(self) -> IdCard | None:
        """The card on the reader, or None when there is none."""
        if not self.find_card():
            return None
        self.select_card()
        return self.read_base()

    def read_card(self) -> IdCard:
        """The card on the reader; no card is an error (E_IDCARD_NO_CARD)."""
        card = self.poll()
        if card is None:
            raise IdCardError("E_IDCARD_NO_CARD", STATUS[0x80][1])
        return card
