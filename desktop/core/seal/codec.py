"""The seal's binary formats, compact enough for a QR code on the 80 mm roll (no X.509: a certificate of
the smallest X.509 profile with an Ed25519 key is ~300 bytes before base64, twice this whole payload).

Certificate (115 bytes for a 6-digit centre code), signed by the centre's Ed25519 key:
    version 1 | flags 1 (bit 0: demo centre key) | key id 4 (SHA-256 of the centre public key, first 4)
    | len 1 + centre code (ASCII) | window no 2 (ASCII) | valid from 2 | valid to 2 (days since 2000-01-01)
    | window public key 32 | centre signature 64 over CERT_DOMAIN + everything before it
Payload (what the QR holds, base45 after the prefix "YCS1:"), signed by the window's key:
    version 1 | issued 2 (days since 2000-01-01) | len 1 + case number (ASCII) | len 1 + document number
    (UTF-8) | content hash 32 (SHA-256) | window signature 64 over DOC_DOMAIN + everything before it
    | certificate
Every length is checked on decoding; anything malformed is SealFormatError."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "YCS1:"
CERT_DOMAIN = b"yichuang seal certificate v1\x00"
DOC_DOMAIN = b"yichuang sealed document v1\x00"
EPOCH = date(2000, 1, 1)
FLAG_DEMO = 1
_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


class SealFormatError(ValueError):
    """The bytes or text are not a seal certificate or payload of this format."""


# ---------------------------------------------------------------- base45 (RFC 9285): QR alphanumeric mode


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        out += [_B45[n % 45], _B45[n // 45 % 45], _B45[n // 2025]]
    if len(data) % 2:
        n = data[-1]
        out += [_B45[n % 45], _B45[n // 45]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    try:
        values = [_B45.index(ch) for ch in text]
    except ValueError:
        raise SealFormatError("not base45") from None
    if len(values) % 3 == 1:
        raise SealFormatError("base45 length")
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i:i + 3]
        if len(chunk) == 3:
            n = chunk[0] + chunk[1] * 45 + chunk[2] * 2025
            if n > 0xFFFF:
                raise SealFormatError("base45 value")
            out += n.to_bytes(2, "big")
        else:
            n = chunk[0] + chunk[1] * 45
            if n > 0xFF:
                raise SealFormatError("base45 value")
            out.append(n)
    return bytes(out)


# ---------------------------------------------------------------- keys


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, hex in groups of four (what is published next to the key)."""
    h = hashlib.sha256(raw_public(key)).hexdigest()
    return ":".join(h[i:i + 4] for i in range(0, len(h), 4))


def key_id(key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(raw_public(key)).digest()[:4]


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as e:
        raise SealFormatError(f"not a PEM public key: {e}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SealFormatError("not an Ed25519 public key")
    return key


def load_private_pem(data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise SealFormatError(f"not an unencrypted PEM private key: {e}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SealFormatError("not an Ed25519 private key")
    return key


def day_number(d: date) -> int:
    n = (d - EPOCH).days
    if not 0 <= n <= 0xFFFF:
        raise SealFormatError(f"date out of range: {d}")
    return n


def from_day_number(n: int) -> date:
    return EPOCH + timedelta(days=n)


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise SealFormatError("truncated")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return struct.unpack(">H", self.take(2))[0]

    def text(self, encoding: str) -> str:
        try:
            return self.take(self.u8()).decode(encoding)
        except UnicodeDecodeError:
            raise SealFormatError("text encoding") from None


def _short(value: bytes) -> bytes:
    if len(value) > 255:
        raise SealFormatError("field too long")
    return bytes([len(value)]) + value


# ---------------------------------------------------------------- certificate


@dataclass(frozen=True)
class Certificate:
    centre_code: str
    window_no: str
    valid_from: date
    valid_to: date
    public_key: bytes  # the window's raw Ed25519 public key (32 bytes)
    centre_key_id: bytes  # 4 bytes
    demo: bool = False
    signature: bytes = b""

    def body(self) -> bytes:
        if len(self.window_no) != 2 or len(self.public_key) != 32 or len(self.centre_key_id) != 4:
            raise SealFormatError("certificate fields")
        return (bytes([1, FLAG_DEMO if self.demo else 0]) + self.centre_key_id
                + _short(self.centre_code.encode("ascii")) + self.window_no.encode("ascii")
                + struct.pack(">HH", day_number(self.valid_from), day_number(self.valid_to)) + self.public_key)

    def to_bytes(self) -> bytes:
        if len(self.signature) != 64:
            raise SealFormatError("unsigned certificate")
        return self.body() + self.signature

    def window_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)

    def signed_by(self, centre: Ed25519PublicKey) -> bool:
        """Whether the centre key `centre` made this certificate's signature."""
        if self.centre_key_id != key_id(centre):
            return False
        try:
            centre.verify(self.signature, CERT_DOMAIN + self.body())
        except InvalidSignature:
            return False
        return True

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day <= self.valid_to


def read_certificate(r: _Reader) -> Certificate:
    if r.u8() != 1:
        raise SealFormatError("certificate version")
    flags = r.u8()
    kid = r.take(4)
    try:
        centre = r.text("ascii")
        window = r.take(2).decode("ascii")
    except UnicodeDecodeError:
        raise SealFormatError("certificate text") from None
    start, end = r.u16(), r.u16()
    public = r.take(32)
    sig = r.take(64)
    return Certificate(centre_code=centre, window_no=window, valid_from=from_day_number(start),
                       valid_to=from_day_number(end), public_key=public, centre_key_id=kid,
                       demo=bool(flags & FLAG_DEMO), signature=sig)


def certificate_from_bytes(data: bytes) -> Certificate:
    r = _Reader(data)
    cert = read_certificate(r)
    if r.pos != len(data):
        raise SealFormatError("trailing bytes after the certificate")
    return cert


def certify(centre: Ed25519PrivateKey, *, centre_code: str, window_no: str, window_key: bytes, valid_from: date,
            valid_to: date, demo: bool = False) -> Certificate:
    """The centre's certificate of a window's public key."""
    cert = Certificate(centre_code=centre_code, window_no=window_no, valid_from=valid_from, valid_to=valid_to,
                       public_key=window_key, centre_key_id=key_id(centre.public_key()), demo=demo)
    return Certificate(**{**cert.__dict__, "signature": centre.sign(CERT_DOMAIN + cert.body())})


# ---------------------------------------------------------------- payload


@dataclass(frozen=True)
class SealPayload:
    issued: date
    case_no: str
    doc_no: str  # the document number (文号): authority + kind + 〔year〕 + serial
    content_hash: bytes  # SHA-256 of the document's canonical text (desktop.core.seal.check.content_hash)
    certificate: Certificate
    signature: bytes = b""

    def body(self) -> bytes:
        if len(self.content_hash) != 32:
            raise SealFormatError("content hash")
        return (bytes([1]) + struct.pack(">H", day_number(self.issued)) + _short(self.case_no.encode("ascii"))
                + _short(self.doc_no.encode("utf-8")) + self.content_hash)

    def to_bytes(self) -> bytes:
        if len(self.signature) != 64:
            raise SealFormatError("unsigned payload")
        return self.body() + self.signature + self.certificate.to_bytes()

    def text(self) -> str:
        """What the QR code holds."""
        return PREFIX + b45encode(self.to_bytes())

    def signed_by_window(self) -> bool:
        try:
            self.certificate.window_key().verify(self.signature, DOC_DOMAIN + self.body())
        except (InvalidSignature, ValueError):
            return False
        return True


def sign_payload(window: Ed25519PrivateKey, cert: Certificate, *, issued: date, case_no: str, doc_no: str,
                 content_hash: bytes) -> SealPayload:
    p = SealPayload(issued=issued, case_no=case_no, doc_no=doc_no, content_hash=content_hash, certificate=cert)
    return SealPayload(**{**p.__dict__, "signature": window.sign(DOC_DOMAIN + p.body())})


def payload_from_text(text: str) -> SealPayload:
    text = text.strip()
    if not text.startswith(PREFIX):
        raise SealFormatError("not a Yichuang seal")
    r = _Reader(b45decode(text[len(PREFIX):]))
    if r.u8() != 1:
        raise SealFormatError("payload version")
    issued = from_day_number(r.u16())
    try:
        case_no = r.text("ascii")
    except SealFormatError:
        raise
    doc_no = r.text("utf-8")
    content = r.take(32)
    sig = r.take(64)
    cert = read_certificate(r)
    if r.pos != len(r.data):
        raise SealFormatError("trailing bytes after the payload")
    return SealPayload(issued=issued, case_no=case_no, doc_no=doc_no, content_hash=content, certificate=cert,
                       signature=sig)
