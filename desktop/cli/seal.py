"""The document seal's commands: the centre's key pair and certificates (`central seal-key`, `central
certify-seal`), the window's request and installation (`seal request`, `seal install`) and the offline check
of a printed document (`verify-seal`, exit 0 genuine, 1 altered or unknown key, 2 bad input)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from desktop.cli.common import (
    _actor,
    _parse_date,
    _print_json,
    _read_json_file,
    _read_text,
    _services,
    add_clerk,
)
from desktop.core.errors import BadInput

CENTRE_PRIVATE = "seal-centre-private.pem"
CENTRE_PUBLIC = "seal-centre-public.pem"


def register(sub, add, cen) -> None:
    """Add the seal commands to the parser (`add` as in desktop.cli.build_parser; `cen` the central group)."""
    sp = add("seal-key", cmd_central_seal_key, "make the centre's seal key pair (Ed25519); prints the public key "
             "and its fingerprint, which docs/ and the centre publish", cen)
    sp.add_argument("--out", required=True, help="folder for the key files (the private key is written 0600)")
    sp = add("certify-seal", cmd_central_certify_seal, "certify a window's seal key: prints the certificate for "
             "`yichuang seal install`", cen)
    sp.add_argument("--key", required=True, help="the centre's seal private key (PEM, from central seal-key)")
    sp.add_argument("--request", required=True, help="the window's request (JSON, from yichuang seal request)")
    sp.add_argument("--days", type=int, default=3 * 365, help="days the certificate is valid (default 1095)")
    sp.add_argument("--valid-from", help="YYYY-MM-DD (default: today)")

    seal = sub.add_parser("seal", help="the window's document seal").add_subparsers(dest="sub", required=True)
    add("request", cmd_seal_request, "print this window's seal certificate request (JSON) for the centre", seal)
    sp = add("install", cmd_seal_install, "install the centre's certificate of this window's seal key "
             "(an administrator)", seal)
    sp.add_argument("certificate", help="the certificate file (or the certificate text itself)")
    sp.add_argument("--centre-key", help="the centre's seal public key (PEM); required the first time")
    add_clerk(sp)

    sp = add("verify-seal", cmd_verify_seal, "check a printed decision document's seal QR offline (PDF or image): "
             "exit 0 genuine, 1 altered or unknown key, 2 bad input")
    sp.add_argument("file")
    sp.add_argument("--centre-key", help="the centre's seal public key (PEM; default: the one configured here)")


def _read_bytes(path: str, field: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise BadInput("E_FILE", f"无法读取文件 {path}：{e.strerror}", field=field) from e


def cmd_central_seal_key(args) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from desktop.core import config
    from desktop.core.seal import codec

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise BadInput("E_OUT_DIR", f"输出位置 {out} 是一个文件，不是文件夹", field="out")
    if (out / CENTRE_PRIVATE).exists():
        raise BadInput("E_SEAL_KEY_EXISTS", f"{out / CENTRE_PRIVATE} 已存在：不会覆盖中心的验章私钥", field="out")
    out.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    config.write_private(out / CENTRE_PRIVATE, codec.private_pem(key).encode(), durable=True)
    public = codec.public_pem(key.public_key())
    (out / CENTRE_PUBLIC).write_text(public, encoding="ascii")
    _print_json({"private_key": str(out / CENTRE_PRIVATE), "public_key_file": str(out / CENTRE_PUBLIC),
                 "public_key": public, "fingerprint": codec.fingerprint(key.public_key())})
    return 0


def cmd_central_certify_seal(args) -> int:
    from desktop.core.clock import shanghai_now
    from desktop.core.seal import codec, keys

    try:
        centre = codec.load_private_pem(_read_bytes(args.key, "key"))
    except codec.SealFormatError as e:
        raise BadInput("E_SEAL_KEY", f"{args.key} 不是中心的验章私钥（Ed25519 PEM）：{e}", field="key") from None
    req = _read_json_file(args.request)
    start = _parse_date(args.valid_from, "valid_from") if args.valid_from else shanghai_now().date()
    cert = keys.certify_request(centre, req, valid_from=start, days=args.days)
    sys.stdout.write(keys.certificate_text(cert) + "\n")
    sys.stderr.write(f"已签发：中心 {cert.centre_code} {cert.window_no} 号窗口，有效期 {cert.valid_from} 至 "
                     f"{cert.valid_to}\n")
    return 0


def cmd_seal_request(args) -> int:
    from desktop.core.seal import keys

    svc = _services(args)
    try:
        _print_json(keys.request(svc.store))
    finally:
        svc.close()
    return 0


def cmd_seal_install(args) -> int:
    from desktop.core.seal import keys

    text = _read_text(args.certificate, "certificate") if os.path.isfile(args.certificate) else args.certificate
    pem = _read_bytes(args.centre_key, "centre_key") if args.centre_key else None
    svc = _services(args)
    try:
        actor = _actor(args, svc, "settings_central")
        cert = keys.install(svc.store, text, centre_key_pem=pem)
        svc.audit_event(actor=actor.login, action="seal.installed",
                        detail=f"验章证书 {cert.centre_code}-{cert.window_no} {cert.valid_from}~{cert.valid_to}")
    finally:
        svc.close()
    _print_json({"centre": cert.centre_code, "window": cert.window_no, "valid_from": cert.valid_from,
                 "valid_to": cert.valid_to, "demo": cert.demo})
    return 0


def cmd_verify_seal(args) -> int:
    from desktop.core.clock import shanghai_now
    from desktop.core.seal import check, keys

    path = Path(args.file)
    if not path.is_file():
        raise BadInput("E_SEAL_FILE", f"找不到文件 {path}", field="file")
    if args.centre_key:
        pem = _read_bytes(args.centre_key, "centre_key")
    else:
        svc = _services(args)
        try:
            pem = svc.store.setting("seal_centre_key").encode()
        finally:
            svc.close()
        if not pem.strip():
            raise BadInput("E_SEAL_KEY", "本窗口没有配置中心验章公钥：请用 --centre-key 给出中心公布的公钥（PEM）",
                           field="centre_key")
    centre = keys.parse_public_key(pem)
    result = check.verify_file(path, centre, today=shanghai_now().date())
    sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n")
    for note in result.notes:
        sys.stderr.write(f"注意：{note}\n")
    if not result.genuine:
        sys.stderr.write(f"验章未通过：{result.reason}\n")
        return 1
    return 0
