"""The `yichuang` command line: the same services as the GUI. Exit 0 ok, 2 bad input, 1 other failure."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core import config
from desktop.core.documents.registry import REPRINTABLE
from desktop.core.errors import BadInput, YichuangError


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


#: the largest input file a command reads (an intake batch, a catalogue, a calendar): read with this cap, so
#: /dev/zero or a huge file is refused instead of eating memory
MAX_INPUT_BYTES = 8 * 1024 * 1024
#: the deepest nesting of arrays and objects accepted in an input file (a catalogue needs 4)
MAX_JSON_DEPTH = 32

PASSWORD_ENV = "YICHUANG_PASSWORD"
APPROVER_PASSWORD_ENV = "YICHUANG_APPROVER_PASSWORD"
NEW_PASSWORD_ENV = "YICHUANG_NEW_PASSWORD"


def _read_text(path: str, field: str = "file") -> str:
    """A UTF-8 text file of at most MAX_INPUT_BYTES, or BadInput saying why it cannot be read."""
    from desktop.core.textcheck import decode_input

    try:
        with open(path, "rb") as f:
            data = f.read(MAX_INPUT_BYTES + 1)
    except OSError as e:
        raise BadInput("E_FILE", f"无法读取文件 {path}：{e.strerror}", field=field) from e
    if len(data) > MAX_INPUT_BYTES:
        raise BadInput("E_FILE_TOO_LARGE", f"文件 {path} 超过 {MAX_INPUT_BYTES // (1024 * 1024)} MB，未读取",
                       field=field)
    return decode_input(data, f"文件 {path}", field=field)


def _read_json_file(path: str) -> Any:
    from desktop.core.textcheck import load_json

    return load_json(_read_text(path), f"文件 {path}", field="file", max_depth=MAX_JSON_DEPTH)


def _parse_date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as e:
        raise BadInput("E_DATE", f"日期“{value}”无效，应为 YYYY-MM-DD", field=field) from e


def _services(args):
    from desktop.core.services import Services

    return Services(Path(args.home))


def _password(env: str, prompt: str) -> str | None:
    """A password from the environment variable `env`, else from a terminal prompt; None when neither."""
    value = os.environ.get(env)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(prompt)
    except (EOFError, OSError):
        return None


def _login(svc, login: str | None, env: str, who: str, field: str):
    """The person `login` proven by their password (from `env` or a prompt), or AuthError (exit 2).
    Every failure is audited, a missing password too; five wrong ones in a row lock the login."""
    from desktop.core.errors import AuthError

    if not login:
        svc.audit_event(actor="?", action="login.failed", detail=f"command line: no {who} login given")
        raise AuthError("E_NO_CLERK", f"请用 --clerk 指定{who}的登录名（密码由环境变量 {PASSWORD_ENV} 或终端提示输入）",
                        field=field)
    password = _password(env, f"{who} {login} 的密码：")
    if password is None:
        svc.audit_event(actor=login, action="login.failed", detail="command line: no password given")
        raise AuthError("E_NO_PASSWORD", f"缺少{who} {login} 的密码：请设置环境变量 {env}，或在终端中运行以输入密码",
                        field=field)
    return svc.login(login=login, password=password)


def _actor(args, svc, permission: str):
    """The person running a command: `--clerk LOGIN` and that person's password (YICHUANG_PASSWORD or a
    prompt), whose role must hold `permission` (desktop.core.roles). Wrong or missing: AuthError (exit 2),
    nothing done, the failure audited. Every command that changes the store, prints or shows personal data
    calls this first."""
    from desktop.core.errors import AuthError
    from desktop.core.roles import require

    clerk = _login(svc, getattr(args, "clerk", None), PASSWORD_ENV, "经办人", "clerk")
    try:
        require(clerk, permission)
    except AuthError as e:
        svc.audit_event(actor=clerk.login, action="permission.denied", detail=f"command line: {permission}")
        raise e
    return clerk


def _approver(svc, login: str, permission: str):
    """An approver named inside an input (an override): their password from YICHUANG_APPROVER_PASSWORD or a
    prompt, and a role holding `permission`."""
    from desktop.core.roles import require

    approver = _login(svc, login, APPROVER_PASSWORD_ENV, "授权人", "overrides")
    require(approver, permission, code="E_OVERRIDE_ROLE", field="overrides")
    return approver


def cmd_init(args) -> int:
    from desktop.core import bootstrap

    home = Path(args.home)
    if args.restore_from_central:
        return _init_restored(args, home)
    if args.if_new and config.db_path(home).exists():
        _print_json({"home": str(home), "created": False})
        return 0
    path = bootstrap.init_store(home, centre_code=args.centre, window_no=args.window,
                                centre_name=args.centre_name or "", centre_phone=args.centre_phone or "",
                                demo=args.demo, reassign=args.reassign)
    _print_json({"home": str(home), "database": str(path), "created": True})
    return 0


def _tls_url(url: str, ca_cert: Path) -> str:
    """The window's URL with the pinned CA: verify-full against `ca_cert`, channel binding required."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update({"sslmode": "verify-full", "sslrootcert": str(ca_cert.resolve()), "channel_binding": "require"})
    return urlunsplit(parts._replace(query=urlencode(query)))


def _init_restored(args, home: Path) -> int:
    """`init --restore-from-central`: a replacement computer continues the window from the centre's state.
    The state is fetched before anything is written: a refused or unreachable centre leaves no store."""
    from db.central import CentralClient, CentralError
    from desktop.core import bootstrap

    if not args.ca_cert:
        raise BadInput("E_CA_CERT", "从中心恢复必须用 --ca-cert 指定中心的 CA 证书", field="ca_cert")
    ca = Path(args.ca_cert)
    if not ca.is_file():
        raise BadInput("E_CA_CERT", f"找不到 CA 证书文件 {ca}", field="ca_cert")
    bootstrap.check_identity(args.centre, args.window)
    if config.db_path(home).exists():
        raise BadInput("E_RESTORE_NOT_EMPTY", f"数据目录 {home} 已有一窗的数据，不能再从中心恢复；请使用空的数据目录",
                       field="home")
    try:
        with CentralClient(_tls_url(args.restore_from_central, ca)) as client:
            state = client.restore_state()
    except CentralError as e:
        raise YichuangError("E_CENTRAL", f"无法从中心取得本窗口的状态，未做任何修改：{e}") from e
    path = bootstrap.init_store(home, centre_code=args.centre, window_no=args.window,
                                centre_name=args.centre_name or "", centre_phone=args.centre_phone or "")
    restored = bootstrap.restore_from_central(home, centre_code=args.centre, window_no=args.window, state=state)
    _print_json({"home": str(home), "database": str(path), "created": True, "restored": restored})
    return 0


def cmd_audit_verify(args) -> int:
    svc = _services(args)
    try:
        report = svc.verify_records()
    finally:
        svc.close()
    _print_json(report.as_json())
    for b in report.breaks:
        sys.stderr.write(f"记录被篡改：{b.message()}\n")
    return 0 if report.ok else 1


def cmd_catalogue_import(args) -> int:
    svc = _services(args)
    try:
        actor = _actor(args, svc, "catalogue_import")
        cat = svc.import_catalogue(_read_text(args.file), actor=actor)
    finally:
        svc.close()
    _print_json({"version": cat.version, "matters": len(cat.matters)})
    return 0


def _approve_overrides(svc, data: Any) -> None:
    """Each approver named in an intake's overrides proves it with a password (as the GUI asks)."""
    from collections.abc import Mapping

    seen: set[str] = set()
    for item in data if isinstance(data, list) else [data]:
        overrides = item.get("overrides") if isinstance(item, Mapping) else None
        if not isinstance(overrides, Mapping):
            continue
        for grant in overrides.values():
            by = grant.get("by") if isinstance(grant, Mapping) else None
            if isinstance(by, str) and by.strip() and by.strip() not in seen:
                _approver(svc, by.strip(), "override_approve")
                seen.add(by.strip())


def cmd_intake(args) -> int:
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        out = svc.check_out_dir(Path(args.out)) if args.out else None
        data = _read_json_file(args.file)
        _approve_overrides(svc, data)
        if isinstance(data, list):
            if not data:
                raise BadInput("E_EMPTY_BATCH", "批量受理文件中没有任何受理件")
            results = svc.accept_batch(intakes=data, clerk=clerk, out_dir=out, paper=args.paper)
            _print_json([r.as_json() for r in results])
        else:
            result = svc.accept_application(intake=data, clerk=clerk, out_dir=out, paper=args.paper)
            _print_json(result.as_json())
    finally:
        svc.close()
    return 0


def cmd_sync(args) -> int:
    svc = _services(args)
    try:
        result = svc.sync_round(central_url=args.central, ca_cert=args.ca_cert)
    finally:
        svc.close()
    _print_json(result.as_json())
    return 0


def cmd_status(args) -> int:
    svc = _services(args)
    try:
        st = svc.sync_status()
        w = svc.window()
    finally:
        svc.close()
    _print_json({"centre_code": w.centre_code, "window_no": w.window_no, "online": st.online,
                 "queue_length": st.queue_length, "oldest_pending_at": st.oldest_pending_at,
                 "last_success_at": st.last_success_at, "last_error": st.last_error})
    return 0


def cmd_outbox(args) -> int:
    svc = _services(args)
    try:
        items = svc.outbox(limit=args.limit, states=tuple(args.state) if args.state else None)
    finally:
        svc.close()
    _print_json([{"op_id": i.op_id, "kind": i.kind, "ref": i.ref, "state": i.state, "attempts": i.attempts,
                  "created_at": i.created_at, "last_error": i.last_error} for i in items])
    return 0


def cmd_report_daily(args) -> int:
    day = _parse_date(args.date, "date") if args.date else None
    svc = _services(args)
    try:
        actor = _actor(args, svc, "report_print")
        out = svc.print_daily_report(day=day, out=Path(args.out), actor=actor)
        stats = svc.daily_stats(day=day)
    finally:
        svc.close()
    _print_json({"out": str(out), "date": stats.day.isoformat(), "total": stats.total,
                 "by_outcome": dict(stats.by_outcome)})
    return 0


def cmd_reprint(args) -> int:
    if bool(args.case_no) == bool(args.owed):
        raise BadInput("E_ARGS", "请给出办件编号，或用 --owed 打印全部须补发的文书（二者择一）")
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake" if args.owed else "reprint_own")
        if args.owed:
            out = svc.check_out_dir(Path(args.out)) if args.out else None
            docs = svc.print_owed_documents(clerk=clerk, out_dir=out, paper=args.paper)
            _print_json([{"path": d.path, "kind": d.kind, "paper": d.paper} for d in docs])
            return 0
        doc = svc.reprint(case_no=args.case_no, kind=args.kind, paper=args.paper, clerk=clerk)
    finally:
        svc.close()
    _print_json({"path": doc.path, "kind": doc.kind, "paper": doc.paper})
    return 0


def cmd_worklist(args) -> int:
    day = _parse_date(args.date, "date") if args.date else None
    svc = _services(args)
    try:
        _actor(args, svc, "intake")
        items = svc.worklist(day=day)
    finally:
        svc.close()
    _print_json([i.as_json() for i in items])
    return 0


def cmd_attach(args) -> int:
    svc = _services(args)
    try:
        clerk = _actor(args, svc, "intake")
        a = svc.attach_scan(case_no=args.case_no, material_code=args.material, file=Path(args.file), clerk=clerk)
    finally:
        svc.close()
    _print_json({"case_no": a.case_no, "material": a.material_code, "sha256": a.sha256, "mime": a.mime,
                 "size": a.size})
    return 0


def _new_password(args) -> str:
    """The new user's password: --password, else YICHUANG_NEW_PASSWORD, else typed twice at a prompt."""
    if args.password is not None:
        return args.password
    value = os.environ.get(NEW_PASSWORD_ENV)
    if value is not None:
        return value
    if not sys.stdin.isatty():
        raise BadInput("E_NO_PASSWORD", f"请给出新用户的密码：--password 或环境变量 {NEW_PASSWORD_ENV}",
                       field="password")
    first = getpass.getpass(f"新用户 {args.login} 的密码：")
    if getpass.getpass("再输入一次：") != first:
        raise BadInput("E_PASSWORD", "两次输入的密码不一致", field="password")
    return first


def cmd_user_add(args) -> int:
    svc = _services(args)
    try:
        # the first user of a store that has none needs nobody's password; every later one an administrator's
        actor = _actor(args, svc, "user_manage") if svc.has_users() else None
        clerk = svc.add_user(login=args.login, password=_new_password(args), name=args.name,
                             staff_no=args.staff_no, role=args.role, actor=actor)
    finally:
        svc.close()
    _print_json({"login": clerk.login, "name": clerk.name, "role": clerk.role})
    return 0


def cmd_user_unlock(args) -> int:
    svc = _services(args)
    try:
        actor = _actor(args, svc, "user_unlock")
        svc.unlock_user(login=args.login, actor=actor)
    finally:
        svc.close()
    _print_json({"login": args.login, "unlocked": True})
    return 0


def cmd_calendar_add(args) -> int:
    start = _parse_date(args.start, "start")
    svc = _services(args)
    try:
        due = svc.add_workdays(start=start, days=args.days)
    finally:
        svc.close()
    _print_json({"start": start.isoformat(), "workdays": args.days, "due": due.isoformat()})
    return 0


def cmd_calendar_import(args) -> int:
    from desktop.core.workdays import parse_calendar_file

    svc = _services(args)
    try:
        actor = _actor(args, svc, "calendar_import")
        years, rows = parse_calendar_file(_read_text(args.file))
        computed = svc.import_calendar(years=years, rows=rows, source=Path(args.file).name, actor=actor)
    finally:
        svc.close()
    # cases whose 待定 dates are now known: their documents are owed (yichuang reprint --owed)
    _print_json({"years": sorted(years), "days": len(rows), "deadlines_computed": computed})
    return 0


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
    from desktop.core.sync.link import read_ca_cert

    if not args.ca_cert:
        raise BadInput("E_NO_CA", "请用 --ca-cert 指定中心数据库服务器证书的 CA 证书（PEM）：窗口只信任这个 CA",
                       field="ca_cert")
    ca_pem = read_ca_cert(args.ca_cert)  # checked before anything is provisioned
    try:
        url = add_window(args.url, args.centre, args.window, centre_name=args.centre_name)
    except CentralUnreachable as e:
        raise YichuangError("E_CENTRAL", str(e)) from e
    _print_json({"url": url, "ca_cert": ca_pem.decode("utf-8", errors="replace")})
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
    user = {"login": args.login, "name": args.name, "staff_no": args.staff_no, "role": args.role,
            "password_hash": hash_password(args.password), "active": True, "centre_code": args.centre or ""}
    out = _central_admin(lambda: upsert_user(args.url, user))
    _print_json({"login": args.login, "centre": args.centre or "*", "result": out})
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


def cmd_gui(args) -> int:
    from desktop.ui.app import run_gui

    return run_gui(Path(args.home), argv=[sys.argv[0]])


def cmd_verify_documents(args) -> int:
    """Exit 0 when every archived document of the case matches its record, 1 naming each difference."""
    svc = _services(args)
    try:
        found = svc.verify_documents(case_no=args.case_no)
        count = len(svc.documents(case_no=args.case_no))
    finally:
        svc.close()
    if args.json:
        _print_json({"case_no": args.case_no, "documents": count, "differences": [d.as_json() for d in found]})
    else:
        for d in found:
            sys.stdout.write(d.describe() + "\n")
        summary = f"{count} 份文书与记录一致" if not found else f"{len(found)} 处与记录不一致（共 {count} 份文书）"
        sys.stdout.write(f"办件 {args.case_no}：{summary}\n")
    return 1 if found else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="yichuang", description="一窗：综合窗口受理客户端")
    p.add_argument("--home", default=str(config.default_home()),
                   help="data folder of this window (default: the per-user data folder)")
    sub = p.add_subparsers(dest="command", required=True)

    def add(name: str, func, help: str, parent=sub):
        sp = parent.add_parser(name, help=help)
        sp.add_argument("--home", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        sp.set_defaults(func=func)
        return sp

    def add_clerk(sp) -> None:
        sp.add_argument("--clerk", help="your login; your password from YICHUANG_PASSWORD or a terminal prompt")

    sp = add("init", cmd_init, "create or upgrade the local store and set the window identity")
    sp.add_argument("--centre", required=True, help="centre code (administrative division code)")
    sp.add_argument("--window", required=True, help="window number, 01-99")
    sp.add_argument("--centre-name", help="the centre's name as printed on documents")
    sp.add_argument("--centre-phone", help="the centre's contact phone, printed on notices")
    sp.add_argument("--demo", action="store_true", help="also load the demo catalogue and demo users")
    sp.add_argument("--if-new", action="store_true", help="do nothing if the store already exists")
    sp.add_argument("--reassign", action="store_true",
                    help="move an existing store to another centre or window (audited; the outbox must be sent)")
    sp.add_argument("--restore-from-central", metavar="URL",
                    help="a replacement computer: continue the window's case numbers and chain from the centre")
    sp.add_argument("--ca-cert", help="the centre's CA certificate (PEM), required with --restore-from-central")

    aud = sub.add_parser("audit", help="the window's tamper-evident record").add_subparsers(dest="sub", required=True)
    add("verify", cmd_audit_verify, "check the outbox and audit chains (exit 1 naming the first broken record)", aud)

    cat = sub.add_parser("catalogue", help="the matter catalogue").add_subparsers(dest="sub", required=True)
    sp = add("import", cmd_catalogue_import, "load or update the matter catalogue from JSON (an administrator)", cat)
    sp.add_argument("file")
    add_clerk(sp)

    sp = add("intake", cmd_intake, "accept one intake (or a JSON array: a batch) exactly as the GUI does")
    sp.add_argument("file")
    sp.add_argument("--out", help="also write the printed PDFs into this folder")
    add_clerk(sp)
    sp.add_argument("--paper", default="a4", choices=["a4", "roll80"])

    sp = add("sync", cmd_sync, "one sync round with the central database")
    sp.add_argument("--central", help="central database URL (stored once a handshake over it succeeded; the "
                    "password goes to the keyring)")
    sp.add_argument("--ca-cert", help="the centre's CA certificate (PEM), kept in the data folder and pinned")

    add("status", cmd_status, "window identity and sync status as JSON")
    sp = add("outbox", cmd_outbox, "list outbox operations (newest first)")
    sp.add_argument("--limit", type=int, default=50)
    sp.add_argument("--state", action="append", choices=["pending", "applied", "duplicate", "rejected"])

    rep = sub.add_parser("report", help="reports").add_subparsers(dest="sub", required=True)
    sp = add("daily", cmd_report_daily, "daily statistics as a PDF (a supervisor)", rep)
    sp.add_argument("--date", help="YYYY-MM-DD (default: today)")
    sp.add_argument("--out", required=True)
    add_clerk(sp)

    sp = add("reprint", cmd_reprint, "print a case's document again (marked 补打), or every document owed")
    sp.add_argument("case_no", nargs="?")
    sp.add_argument("--owed", action="store_true", help="print every document owed (e.g. once 待定 dates are known)")
    sp.add_argument("--out", help="also write the PDFs into this folder")
    sp.add_argument("--kind", default="voucher", choices=list(REPRINTABLE))
    sp.add_argument("--paper", default="a4", choices=["a4", "roll80"])
    add_clerk(sp)

    sp = add("worklist", cmd_worklist, "what is due: overdue and near-due cases, 待定 dates, documents owed (JSON)")
    sp.add_argument("--date", help="YYYY-MM-DD (default: today)")
    sp.add_argument("--scope", default="window", choices=["window"],
                    help="window: this window's cases (the centre's scope comes with the centre-wide loop)")
    add_clerk(sp)

    sp = add("attach", cmd_attach, "attach a scanned material (PDF or image) to a case")
    sp.add_argument("case_no")
    sp.add_argument("material", help="the material's code in the matter")
    sp.add_argument("file")
    add_clerk(sp)

    usr = sub.add_parser("user", help="window users").add_subparsers(dest="sub", required=True)
    sp = add("add", cmd_user_add, "add or update a user (an administrator; anyone for a store's first user)", usr)
    sp.add_argument("login")
    sp.add_argument("--password", help=f"the new user's password (or {NEW_PASSWORD_ENV}, or a prompt)")
    sp.add_argument("--name", required=True)
    sp.add_argument("--staff-no", required=True)
    sp.add_argument("--role", default="clerk", choices=["clerk", "supervisor", "admin", "backoffice"])
    add_clerk(sp)
    sp = add("unlock", cmd_user_unlock, "lift the lockout of a login after five failed logins (a supervisor)", usr)
    sp.add_argument("login")
    add_clerk(sp)

    cal = sub.add_parser("calendar", help="the working-day calendar").add_subparsers(dest="sub", required=True)
    sp = add("add-workdays", cmd_calendar_add, "print the date N working days after a date", cal)
    sp.add_argument("start")
    sp.add_argument("days", type=int)
    sp = add("import", cmd_calendar_import, "import holidays and make-up workdays from JSON (a supervisor)", cal)
    sp.add_argument("file")
    add_clerk(sp)

    cen = sub.add_parser("central", help="the central PostgreSQL").add_subparsers(dest="sub", required=True)
    sp = add("init", cmd_central_init, "create or upgrade the central schema", cen)
    sp.add_argument("url")
    sp = add("add-window", cmd_central_add_window,
             "provision a window's login role; prints its URL and the CA certificate it must pin", cen)
    sp.add_argument("url")
    sp.add_argument("--centre", required=True)
    sp.add_argument("--window", required=True)
    sp.add_argument("--centre-name")
    sp.add_argument("--ca-cert", help="(required) the CA certificate (PEM) that signed the centre's server "
                    "certificate; printed for the window")

    sp = add("publish-catalogue", cmd_central_publish_catalogue,
             "publish a catalogue version to every centre (or --centre); windows pull it", cen)
    sp.add_argument("url")
    sp.add_argument("file")
    sp.add_argument("--centre")
    sp = add("publish-calendar", cmd_central_publish_calendar, "publish holidays and make-up workdays", cen)
    sp.add_argument("url")
    sp.add_argument("file")
    sp.add_argument("--centre")
    sp = add("add-user", cmd_central_add_user, "create or change a window user centrally", cen)
    sp.add_argument("url")
    sp.add_argument("login")
    sp.add_argument("--password", required=True)
    sp.add_argument("--name", required=True)
    sp.add_argument("--staff-no", required=True)
    sp.add_argument("--role", default="clerk", choices=["clerk", "supervisor", "admin", "backoffice"])
    sp.add_argument("--centre", help="only this centre (default: every centre)")
    sp = add("decide", cmd_central_decide, "record the back office's decision on a case", cen)
    sp.add_argument("url")
    sp.add_argument("case_no")
    sp.add_argument("status", help="e.g. approved, denied, result_ready")
    sp.add_argument("--note")

    sp = add("retire-window", cmd_central_retire_window,
             "unbind a window from its machine (the old PC is gone), so a new one may enrol", cen)
    sp.add_argument("url")
    sp.add_argument("--centre", required=True)
    sp.add_argument("--window", required=True)
    sp = add("verify", cmd_central_verify,
             "check every window's chain of operations and daily case serials (exit 1 naming what is broken)", cen)
    sp.add_argument("url")
    sp.add_argument("--centre", help="only this centre")

    add("gui", cmd_gui, "open the window client")

    sp = add("verify-documents", cmd_verify_documents,
             "re-render a case's archived documents from its history; exit 1 naming each difference")
    sp.add_argument("case_no")
    sp.add_argument("--json", action="store_true", help="the differences as JSON")
    return p


def _report(e: YichuangError) -> int:
    where = f"（字段：{e.field}）" if e.field else ""
    sys.stderr.write(f"错误 {e.code}：{e.message}{where}\n")
    return e.exit_code


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except YichuangError as e:
        return _report(e)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # an unexpected failure: exit 1 with a line a person can report
        from desktop.core.errors import storage_failure

        home = getattr(args, "home", None)
        failure = storage_failure(e, f"数据目录 {home}", folder=home if home and os.path.isdir(home) else None)
        if failure is not None:  # a full disk: say so, never "corrupt" nor an internal error
            return _report(failure)
        if os.environ.get("YICHUANG_DEBUG"):
            raise
        sys.stderr.write(f"错误：程序内部错误（{type(e).__name__}: {e}）。设置 YICHUANG_DEBUG=1 可查看详细信息。\n")
        return 1
