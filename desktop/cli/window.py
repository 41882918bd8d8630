"""The commands of a window: its store, intake, documents, worklist, users, calendar, reports and sync."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from desktop.cli.common import (
    _actor,
    _approver,
    _new_password,
    _parse_date,
    _print_json,
    _read_json_file,
    _read_text,
    _services,
)
from desktop.cli.counter import guide_for_wrong_centre
from desktop.core import config
from desktop.core.errors import BadInput, YichuangError


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
                                demo=args.demo, reassign=args.reassign,
                                centre_type=getattr(args, "centre_type", None))
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
            try:
                result = svc.accept_application(intake=data, clerk=clerk, out_dir=out, paper=args.paper)
            except BadInput as e:  # 两个集中: the applicant leaves with a 导办单
                guide_for_wrong_centre(svc, data, e, out, clerk)
                raise
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


CLOCK_SKEW_LIMIT_S = 300  # the centre flags a case received more than 5 minutes off its clock


def cmd_status(args) -> int:
    svc = _services(args)
    try:
        st = svc.sync_status()
        w = svc.window()
        skew = svc.clock_skew_seconds()
        version = svc.current_catalogue_version()
        centre_type = svc.setting("centre_type")
    finally:
        svc.close()
    _print_json({"centre_code": w.centre_code, "window_no": w.window_no, "online": st.online,
                 "queue_length": st.queue_length, "oldest_pending_at": st.oldest_pending_at,
                 "last_success_at": st.last_success_at, "last_error": st.last_error,
                 "catalogue_version": version, "clock_skew_s": skew, "centre_type": centre_type,
                 "clock_skew_warning": abs(skew) > CLOCK_SKEW_LIMIT_S})
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
    from desktop.core.worklist import check_scope

    day = _parse_date(args.date, "date") if args.date else None
    check_scope(args.scope)
    svc = _services(args)
    try:
        _actor(args, svc, "intake")
        items = svc.worklist(day=day, scope=args.scope)
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
