"""The `yichuang` command line: the same services as the GUI. Exit 0 ok, 2 bad input, 1 other failure.

The commands live by what they own: desktop.cli.window (a window's store and work), desktop.cli.central
(`central ...`, the centre's administration), desktop.cli.common (what they share)."""

from __future__ import annotations

import argparse
import os
import sys

from desktop.cli import seal as seal_cli
from desktop.cli.central import (
    cmd_central_add_department,
    cmd_central_add_user,
    cmd_central_add_window,
    cmd_central_decide,
    cmd_central_init,
    cmd_central_pooler_config,
    cmd_central_publish_calendar,
    cmd_central_publish_catalogue,
    cmd_central_retire_window,
    cmd_central_verify,
)
from desktop.cli.common import NEW_PASSWORD_ENV, add_clerk
from desktop.cli.counter import add_catalogue_changes, add_counter_commands
from desktop.cli.demo import add_demo_commands
from desktop.cli.devices import add_device_commands
from desktop.cli.gaps import add_gap_commands
from desktop.cli.loop import add_loop_commands
from desktop.cli.office import add_office_commands
from desktop.cli.ops import add_ops_commands
from desktop.cli.people import add_people_commands
from desktop.cli.stats import add_central_stats_commands, add_stats_commands
from desktop.cli.window import (
    cmd_attach,
    cmd_audit_verify,
    cmd_calendar_add,
    cmd_calendar_import,
    cmd_catalogue_import,
    cmd_gui,
    cmd_init,
    cmd_intake,
    cmd_outbox,
    cmd_report_daily,
    cmd_reprint,
    cmd_status,
    cmd_sync,
    cmd_user_add,
    cmd_user_unlock,
    cmd_verify_documents,
    cmd_worklist,
)
from desktop.core import config
from desktop.core.documents.registry import REPRINTABLE
from desktop.core.errors import YichuangError


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

    sp = add("init", cmd_init, "create or upgrade the local store and set the window identity")
    sp.add_argument("--centre", required=True, help="centre code (administrative division code)")
    sp.add_argument("--window", required=True, help="window number, 01-99")
    sp.add_argument("--centre-name", help="the centre's name as printed on documents")
    sp.add_argument("--centre-phone", help="the centre's contact phone, printed on notices")
    sp.add_argument("--centre-type", metavar="district|street",
                    help="两个集中: district (区行政服务中心) or street (街镇社区事务受理服务中心); "
                    "matters the catalogue does not take at this kind of centre are refused")
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
    add_catalogue_changes(cat, add)
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
    sp.add_argument("--scope", default="window",
                    help="window: the cases this window took or last handled; centre: every case the window holds")
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
    sp.add_argument("--host", action="append", default=[], metavar="H:P",
                    help="a host the window dials instead of the admin URL's (repeat: primary and standby)")
    sp.add_argument("--pooled", action="store_true",
                    help="the centre is behind PgBouncer: the URL says channel_binding=prefer")
    sp.add_argument("--shared", action="store_true",
                    help="the pooler's shared entry (DB_shared, implies --pooled): warm server connections "
                         "shared by bound windows; a new window binds through the per-login entry by itself")
    sp = add("pooler-config", cmd_central_pooler_config,
             "write a PgBouncer configuration (transaction pooling, logins looked up at the centre)", cen)
    sp.add_argument("url", help="superuser URL of the central database (the pooler serves this database)")
    sp.add_argument("--out", required=True, help="directory for pgbouncer.ini, userlist.txt and TLS files")
    sp.add_argument("--cert", required=True, help="the pooler's TLS certificate (PEM, signed by the centre's CA)")
    sp.add_argument("--key", required=True, help="the pooler's TLS private key (PEM)")
    sp.add_argument("--server-ca", help="CA of the PostgreSQL server's certificate (default: the URL's sslrootcert)")
    sp.add_argument("--listen", default="0.0.0.0:6432", metavar="H:P", help="where the pooler listens")

    sp = add("add-department", cmd_central_add_department,
             "provision a back-office department's login (one centre); prints its URL and the CA certificate", cen)
    sp.add_argument("url")
    sp.add_argument("--centre", required=True)
    sp.add_argument("--department", required=True, help="the department's name as the catalogue writes it")
    sp.add_argument("--ca-cert", help="(required) the CA certificate (PEM) that signed the centre's server "
                    "certificate; printed for the department")

    sp = add("publish-catalogue", cmd_central_publish_catalogue,
             "publish a catalogue version to every centre (or --centre); windows pull it", cen)
    sp.add_argument("url")
    sp.add_argument("file")
    sp.add_argument("--centre")
    sp = add("publish-calendar", cmd_central_publish_calendar, "publish holidays and make-up workdays", cen)
    sp.add_argument("url")
    sp.add_argument("file")
    sp.add_argument("--centre")
    sp = add("add-user", cmd_central_add_user, "create or change a window or back-office user centrally", cen)
    sp.add_argument("url")
    sp.add_argument("login")
    sp.add_argument("--password", required=True)
    sp.add_argument("--name", required=True)
    sp.add_argument("--staff-no", required=True)
    sp.add_argument("--role", default="clerk", choices=["clerk", "supervisor", "admin", "backoffice"])
    sp.add_argument("--centre", help="only this centre (default: every centre; required for backoffice)")
    sp.add_argument("--department", help="the back-office department (only and always with --role backoffice)")
    sp = add("decide", cmd_central_decide,
             "decide a signed-for case by script (approved or denied; not twice)", cen)
    sp.add_argument("url")
    sp.add_argument("case_no")
    sp.add_argument("status", help="approved or denied")
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

    add_loop_commands(sub, add)  # supplement, handover, lookup, correct, withdraw, void, transfer
    seal_cli.register(sub, add, cen)  # central seal-key / certify-seal, seal request / install, verify-seal
    add_office_commands(sub, add)
    add_people_commands(sub, add)  # backup assign / list (AB角)

    add("gui", cmd_gui, "open the window client")

    sp = add("verify-documents", cmd_verify_documents,
             "re-render a case's archived documents from its history; exit 1 naming each difference")
    sp.add_argument("case_no")
    sp.add_argument("--json", action="store_true", help="the differences as JSON")
    add_gap_commands(sub, add)
    add_device_commands(sub, add)  # idcard read
    add_counter_commands(sub, add)  # guide, prereview
    add_stats_commands(sub, add, rep)  # stats, report range
    add_ops_commands(sub, add)  # doctor, backup, restore
    add_central_stats_commands(add, cen)  # central stats, central report
    add_demo_commands(sub, add)  # demo-data (demo only, never synced)
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
