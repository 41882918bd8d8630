"""What the command line's commands share: reading input files, printing JSON, and proving who runs a command."""

from __future__ import annotations

import getpass
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core.errors import BadInput


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


def add_clerk(sp) -> None:
    """The `--clerk LOGIN` option of a command that calls _actor."""
    sp.add_argument("--clerk", help="your login; your password from YICHUANG_PASSWORD or a terminal prompt")
