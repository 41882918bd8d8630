"""The window's seal key pair, its certificate from the centre and the centre's public key, in the window's
store: the private key in the secret store (OS keyring or the 0600 secrets file, as the chain key), the
certificate and the centre key as settings. Made at `init`; the demo store is certified by the demo centre
key shipped in desktop/resources/seal (marked demo, trusted by no real window)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from desktop.core import config
from desktop.core.errors import BadInput
from desktop.core.store import Store

from . import codec

DEMO_CENTRE_KEY = config.RESOURCES / "seal" / "demo-centre-private.pem"
DEMO_CENTRE_PUBLIC = config.RESOURCES / "seal" / "demo-centre-public.pem"
#: how long a certificate is valid when the centre does not say (three years: one PC's life at a window)
DEFAULT_DAYS = 3 * 365


def _account(centre_code: str, window_no: str) -> str:
    return f"{centre_code}-{window_no}-seal"


def load_window_key(home: Path, centre_code: str, window_no: str) -> Ed25519PrivateKey | None:
    value = config.SecretStore(home, _account(centre_code, window_no)).get()
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return Ed25519PrivateKey.from_private_bytes(raw) if len(raw) == 32 else None


def ensure_window_key(home: Path, centre_code: str, window_no: str) -> Ed25519PrivateKey:
    """The window's seal key, made (and kept, durably) on first use."""
    key = load_window_key(home, centre_code, window_no)
    if key is None:
        key = Ed25519PrivateKey.generate()
        raw = key.private_bytes_raw()
        config.SecretStore(home, _account(centre_code, window_no)).set(raw.hex())
    return key


def _window_key(store: Store, *, create: bool = False) -> Ed25519PrivateKey | None:
    w = store.window()
    if create:
        return ensure_window_key(store.home, w.centre_code, w.window_no)
    return load_window_key(store.home, w.centre_code, w.window_no)


def request(store: Store) -> dict[str, str]:
    """The certificate request the window hands the centre (public: no secret in it)."""
    w = store.window()
    public = _window_key(store, create=True).public_key()
    return {"centre": w.centre_code, "window": w.window_no, "public_key": codec.public_pem(public),
            "fingerprint": codec.fingerprint(public)}


def certificate_text(cert: codec.Certificate) -> str:
    return base64.urlsafe_b64encode(cert.to_bytes()).decode().rstrip("=")


def parse_certificate(text: str, field: str = "certificate") -> codec.Certificate:
    value = "".join(text.split())
    try:
        data = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return codec.certificate_from_bytes(data)
    except (binascii.Error, ValueError) as e:
        raise BadInput("E_SEAL_CERT", f"不是一窗的验章证书（{e}）", field=field) from None


def parse_public_key(pem: bytes, field: str = "centre_key") -> Ed25519PublicKey:
    try:
        return codec.load_public_pem(pem)
    except codec.SealFormatError as e:
        raise BadInput("E_SEAL_KEY", f"不是 Ed25519 公钥（PEM）：{e}", field=field) from None


def certify_request(centre: Ed25519PrivateKey, req: dict, *, valid_from: date, days: int = DEFAULT_DAYS,
                    demo: bool = False) -> codec.Certificate:
    """The centre's certificate for a window's request (BadInput for a malformed request)."""
    if not isinstance(req, dict) or not all(isinstance(req.get(k), str) for k in ("centre", "window", "public_key")):
        raise BadInput("E_SEAL_REQUEST", "验章证书申请应为含 centre、window、public_key 的 JSON 对象", field="request")
    if not re.fullmatch(r"[0-9]{6,12}", req["centre"]) or not re.fullmatch(r"0[1-9]|[1-9][0-9]", req["window"]):
        raise BadInput("E_SEAL_REQUEST", "申请中的中心代码应为 6 至 12 位数字，窗口号为 01 至 99", field="request")
    public = parse_public_key(req["public_key"].encode(), field="request")
    if days < 1:
        raise BadInput("E_SEAL_DAYS", "证书有效天数至少为 1", field="days")
    return codec.certify(centre, centre_code=req["centre"], window_no=req["window"],
                         window_key=codec.raw_public(public), valid_from=valid_from,
                         valid_to=valid_from + timedelta(days=days - 1), demo=demo)


def check_own(store: Store, cert: codec.Certificate, centre: Ed25519PublicKey, *, today: date) -> str:
    """'' when `cert` is this window's valid certificate from `centre`, else why not (Chinese)."""
    w = store.window()
    key = _window_key(store)
    if not cert.signed_by(centre):
        return "证书不是由所给的中心验章公钥签发的"
    if (cert.centre_code, cert.window_no) != (w.centre_code, w.window_no):
        return f"证书属于中心 {cert.centre_code} {cert.window_no} 号窗口，不是本窗口（{w.centre_code} {w.window_no}）"
    if key is None or codec.raw_public(key.public_key()) != cert.public_key:
        return "证书中的公钥不是本窗口的验章公钥（请用 yichuang seal request 重新申请）"
    if not cert.valid_on(today):
        return f"证书有效期为 {cert.valid_from} 至 {cert.valid_to}，今天不在其内"
    return ""


def install(store: Store, cert_text: str, *, centre_key_pem: bytes | None = None) -> codec.Certificate:
    """Check a certificate against the centre key (given, or the one configured) and this window's key,
    then keep both. Nothing is stored unless every check passes (BadInput says which failed)."""
    cert = parse_certificate(cert_text)
    pem = centre_key_pem if centre_key_pem is not None else store.setting("seal_centre_key").encode()
    if not pem.strip():
        raise BadInput("E_SEAL_KEY", "本窗口尚未配置中心验章公钥：请用 --centre-key 给出中心公布的公钥（PEM）",
                       field="centre_key")
    centre = parse_public_key(pem)
    why = check_own(store, cert, centre, today=store.clock().date())
    if why:
        raise BadInput("E_SEAL_CERT", f"验章证书未安装：{why}", field="certificate")
    with store.Session.begin() as s:
        from desktop.core.store import put_setting

        put_setting(s, "seal_centre_key", codec.public_pem(centre))
        put_setting(s, "seal_certificate", certificate_text(cert))
    return cert


@dataclass(frozen=True)
class Signer:
    key: Ed25519PrivateKey
    certificate: codec.Certificate


def signer(store: Store) -> tuple[Signer | None, str]:
    """(the window's key and certificate, '') when the window may seal today, else (None, why not)."""
    text = store.setting("seal_certificate")
    if not text:
        return None, "本窗口未安装验章证书，决定类文书未加印验章二维码（请管理员运行 yichuang seal install）"
    pem = store.setting("seal_centre_key").encode()
    try:
        cert, centre = parse_certificate(text), parse_public_key(pem)
    except BadInput as e:
        return None, f"验章证书或中心公钥无法读取（{e.message}），决定类文书未加印验章二维码"
    why = check_own(store, cert, centre, today=store.clock().date())
    if why:
        return None, f"{why}，决定类文书未加印验章二维码"
    return Signer(key=_window_key(store), certificate=cert), ""


def install_demo(store: Store) -> codec.Certificate:
    """The demo store's certificate, from the demo centre key (marked demo)."""
    centre = codec.load_private_pem(DEMO_CENTRE_KEY.read_bytes())
    req = request(store)
    cert = certify_request(centre, req, valid_from=store.clock().date() - timedelta(days=1), demo=True)
    return install(store, certificate_text(cert), centre_key_pem=codec.public_pem(centre.public_key()).encode())
