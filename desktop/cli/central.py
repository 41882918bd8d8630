"""The `central ...` commands: the centre's administrator provisions windows and publishes to them."""

from __future__ import annotations

import sys

from desktop.cli.common import _print_json, _read_text
from desktop.core.errors import BadInput, YichuangError
from desktop.core.textcheck import check_plain


def cmd_central_init(args) -> int:
    from db.central import CentralUnreachable, init_central

    try:
        rev = init_central(args.url)
    except CentralUnreachable as e:
        raise YichuangError("E_CENTRAL", str(e)) from e
    _print_json({"revision": rev})
    return 0


def cmd_central_add_window(args) -> int:
    from db.central import CentralUnreachable, add_window
    from db.central.admin import parse_hosts
    from desktop.core.sync.link import read_ca_cert

    if not args.ca_cert:
        raise BadInput("E_NO_CA", "请用 --ca-cert 指定中心数据库服务器证书的 CA 证书（PEM）：窗口只信任这个 CA",
                       field="ca_cert")
    ca_pem = read_ca_cert(args.ca_cert)  # checked before anything is provisioned
    if not (args.centre.isascii() and args.centre.isdigit() and 6 <= len(args.centre) <= 12):
        raise BadInput("E_CENTRE_CODE", "中心代码应为 6 至 12 位数字（行政区划代码）", field="centre")
    if not (args.window.isascii() and args.window.isdigit() and len(args.window) == 2 and args.window != "00"):
        raise BadInput("E_WINDOW_NO", "窗口号应为 01 至 99 的两位数字", field="window")
    hosts = list(getattr(args, "host", None) or [])
    try:
        parse_hosts(hosts)
    except ValueError as e:
        raise BadInput("E_HOST", f"--host 应为 主机:端口（例如 10.0.0.5:6432）：{e}", field="host") from e
    try:
        url = add_window(args.url, args.centre, args.window, centre_name=args.centre_name, hosts=hosts,
                         pooled=bool(getattr(args, "pooled", False)), shared=bool(getattr(args, "shared", False)))
    except CentralUnreachable as e:
        raise YichuangError("E_CENTRAL", str(e)) from e
    _print_json({"url": url, "ca_cert": ca_pem.decode("utf-8", errors="replace")})
    return 0


def cmd_central_pooler_config(args) -> int:
    """Write the centre's PgBouncer configuration (db.central.pooler) and print where it went."""
    import psycopg

    from db.central import CentralUnreachable
    from db.central.admin import parse_hosts
    from db.central.pooler import pooler_config

    try:
        [(host, port)] = parse_hosts([args.listen])
    except ValueError as e:
        raise BadInput("E_HOST", f"--listen 应为 主机:端口（例如 0.0.0.0:6432）：{e}", field="listen") from e
    try:
        out = pooler_config(args.url, args.out, cert_file=args.cert, key_file=args.key,
                            server_ca_file=args.server_ca, listen_host=host, listen_port=port)
    except ValueError as e:
        raise BadInput("E_POOLER", f"无法生成连接池配置：{e}") from e
    except (psycopg.OperationalError, CentralUnreachable) as e:
        raise YichuangError("E_CENTRAL", f"无法连接中心数据库：{e}") from e
    _print_json(out)
    return 0


def cmd_central_add_department(args) -> int:
    from db.central import CentralUnreachable, add_department
    from desktop.core.sync.link import read_ca_cert

    if not args.ca_cert:
        raise BadInput("E_NO_CA", "请用 --ca-cert 指定中心数据库服务器证书的 CA 证书（PEM）：部门电脑只信任这个 CA",
                       field="ca_cert")
    ca_pem = read_ca_cert(args.ca_cert)  # checked before anything is provisioned
    if not (args.centre.isascii() and args.centre.isdigit() and 6 <= len(args.centre) <= 12):
        raise BadInput("E_CENTRE_CODE", "中心代码应为 6 至 12 位数字（行政区划代码）", field="centre")
    department = (args.department or "").strip()
    if not department or len(department) > 200 or any(ord(ch) < 32 for ch in department):
        raise BadInput("E_DEPARTMENT", "部门名称应为 1 至 200 个字符", field="department")
    try:
        url = add_department(args.url, args.centre, department)
    except CentralUnreachable as e:
        raise YichuangError("E_CENTRAL", str(e)) from e
    except ValueError as e:
        raise BadInput("E_CENTRE_UNKNOWN", f"中心 {args.centre} 尚未登记：请先为它登记窗口（yichuang central "
                       f"add-window）（{e}）", field="centre") from e
    _print_json({"url": url, "ca_cert": ca_pem.decode("utf-8", errors="replace"), "department": department,
                 "centre": args.centre})
    return 0


def _central_admin(call):
    """Run a central admin call; its CentralError becomes a YichuangError (exit 1, or 2 if the centre
    refused the input)."""
    from db.central import CentralError, CentralUnreachable

    try:
        return call()
    except CentralUnreachable as e:
        raise YichuangError("E_CENTRAL", e.message) from e
    except CentralError as e:
        raise BadInput("E_CENTRAL_REFUSED", e.message) from e


def cmd_central_publish_catalogue(args) -> int:
    from db.central import publish_catalogue
    from desktop.core.catalogue import parse_catalogue

    text = _read_text(args.file)
    cat = parse_catalogue(text)  # the windows' own rules, before anything is published
    out = _central_admin(lambda: publish_catalogue(args.url, text, centre_code=args.centre))
    _print_json({"version": cat.version, "matters": len(cat.matters), "centre": args.centre or "*",
                 "result": out})
    return 0


def cmd_central_publish_calendar(args) -> int:
    from db.central import publish_calendar
    from desktop.core.workdays import parse_calendar_file

    years, rows = parse_calendar_file(_read_text(args.file))
    data = {"years": sorted(years), "days": [{"date": d.isoformat(), "kind": k, "name": n} for d, k, n in rows]}
    out = _central_admin(lambda: publish_calendar(args.url, data, centre_code=args.centre))
    _print_json({"years": sorted(years), "days": len(rows), "centre": args.centre or "*", "result": out})
    return 0


def cmd_central_add_user(args) -> int:
    from db.central import upsert_user
    from desktop.core.auth import hash_password

    if len(args.password) < 8:
        raise BadInput("E_PASSWORD", "密码至少 8 位", field="password")
    # the name reaches every window of the centre, and every case step the user records (central c0022
    # refuses a case whose texts hold what the window refuses)
    for value, field, label in ((args.login, "login", "登录名"), (args.name, "name", "姓名"),
                                (args.staff_no, "staff_no", "工号"), (args.department or "", "department", "部门")):
        check_plain(value or "", field, label, multiline=False)
    department = (args.department or "").strip()
    if args.role == "backoffice" and (not department or not args.centre):
        raise BadInput("E_DEPARTMENT", "部门人员（--role backoffice）须指定 --centre 和 --department", field="department")
    if args.role != "backoffice" and department:
        raise BadInput("E_DEPARTMENT", "只有部门人员（--role backoffice）有所属部门 --department", field="department")
    user = {"login": args.login, "name": args.name, "staff_no": args.staff_no, "role": args.role,
            "password_hash": hash_password(args.password), "active": True, "centre_code": args.centre or "",
            "department": department}
    out = _central_admin(lambda: upsert_user(args.url, user))
    shown = {"login": args.login, "centre": args.centre or "*", "result": out}
    if department:
        shown["department"] = department
    _print_json(shown)
    return 0


def cmd_central_decide(args) -> int:
    from db.central import decide_case

    out = _central_admin(lambda: decide_case(args.url, args.case_no, args.status, args.note))
    _print_json(out)
    return 0


def cmd_central_retire_window(args) -> int:
    from db.central import retire_window

    out = _central_admin(lambda: retire_window(args.url, args.centre, args.window))
    _print_json(out)
    return 0


def cmd_central_verify(args) -> int:
    """Exit 0 when every window's chain and daily serials are whole; exit 1 naming each broken one."""
    from db.central import verify_central

    out = _central_admin(lambda: verify_central(args.url, args.centre))
    _print_json(out)
    for p in out["problems"]:
        sys.stderr.write(f"窗口 {p['centre_code']}/{p['window_no']} 操作链第 {p['seq']} 条记录有误"
                         f"（{p['op_id'] or '无'}）：{p['problem']}\n")
    for g in out["gaps"]:
        missing = "、".join(str(n) for n in g["missing"])
        sys.stderr.write(f"窗口 {g['centre_code']}/{g['window_no']} {g['day']} 的办件编号缺号：{missing}\n")
    return 0 if out["ok"] else 1
