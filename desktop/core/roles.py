"""Who may do what: the one table of permissions, `can` for views and `require` for services.

Adding a permission is one line in PERMISSIONS (and one in PERMISSION_LABELS, the words an error
message uses). A misspelt permission is a programming error (ValueError), never a silent "no".
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from desktop.core.errors import AuthError
from desktop.core.labels import ROLE_LABELS
from desktop.core.types import Clerk

ROLES: tuple[str, ...] = ("clerk", "supervisor", "admin", "backoffice")

_WINDOW = frozenset({"clerk", "supervisor", "admin"})  # everyone who works at the window
_SUPERVISOR = frozenset({"supervisor", "admin"})  # 值班长; an admin may do all a supervisor may
_ADMIN = frozenset({"admin"})

#: permission -> the roles that hold it (backoffice holds none of the window's actions)
PERMISSIONS: Mapping[str, frozenset[str]] = MappingProxyType({
    "intake": _WINDOW,  # accept, 补正, refuse, consultations, handover, transfers, ratings
    "reprint_own": _WINDOW,  # 补打 a document of a case one took oneself
    "reprint_any": _SUPERVISOR,  # 补打 any case of the window
    "clock_pause": _SUPERVISOR,  # pause / resume a case's decision clock
    "clock_extend_approve": _SUPERVISOR,  # approve an extension of the decision clock
    "override_approve": _SUPERVISOR,  # authorise an override (e.g. a USCC check-digit mismatch)
    "calendar_import": _SUPERVISOR,  # import a year's holiday calendar
    "deadletter_resolve": _SUPERVISOR,  # retry / resolve operations the centre rejected
    "report_print": _SUPERVISOR,  # daily statistics and the day's ratings
    "catalogue_import": _ADMIN,
    "user_manage": _ADMIN,
    "user_unlock": _SUPERVISOR,  # lift a lockout after five failed logins
    "settings_central": _ADMIN,  # the central database's address and credentials
    "case_correct": _WINDOW,  # correct a typo in a case's applicant or agent (reprinted as 更正)
    "case_withdraw": _WINDOW,  # record that the applicant withdrew the application (撤回)
    "case_void": _SUPERVISOR,  # void a case entered in error (作废)
    "settings_edit": _ADMIN,  # the window's preference settings (yichuang setting set)
    "backup_assign": _SUPERVISOR,  # AB角: name a backup clerk for an absent clerk (yichuang backup-clerk assign)
})

#: the words for "what one may not do", in `require`'s error message
PERMISSION_LABELS: Mapping[str, str] = MappingProxyType({
    "intake": "收件受理",
    "reprint_own": "补打文书",
    "reprint_any": "补打他人受理办件的文书",
    "clock_pause": "暂停或恢复办理时限",
    "clock_extend_approve": "批准延期",
    "override_approve": "授权继续受理",
    "calendar_import": "导入节假日日历",
    "deadletter_resolve": "处理异常件",
    "report_print": "查看和打印当日统计",
    "catalogue_import": "导入事项目录",
    "user_manage": "管理用户",
    "user_unlock": "解锁被锁定的账号",
    "settings_central": "修改中心数据库设置",
    "case_correct": "更正办件信息",
    "case_withdraw": "撤回办件",
    "case_void": "作废办件",
    "settings_edit": "修改窗口设置",
    "backup_assign": "指定B角",
})
assert set(PERMISSION_LABELS) == set(PERMISSIONS)


def _roles_of(permission: str) -> frozenset[str]:
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise ValueError(f"unknown permission {permission!r}") from None


def can(actor: Clerk | str | None, permission: str) -> bool:
    """May `actor` (a Clerk, or a role name) do `permission`? None (nobody logged in) may do nothing."""
    roles = _roles_of(permission)
    if actor is None:
        return False
    role = actor if isinstance(actor, str) else actor.role
    return role in roles


def require(
    actor: Clerk | str | None, permission: str, *, code: str = "E_PERMISSION", field: str | None = "clerk"
) -> None:
    """Raise AuthError(code) naming the person and what they may not do, unless `can(actor, permission)`."""
    if can(actor, permission):
        return
    what = PERMISSION_LABELS[permission]
    if actor is None:
        who = "未登录用户"
    elif isinstance(actor, str):
        who = ROLE_LABELS.get(actor, actor or "未知角色")
    else:
        who = f"{actor.name}（{ROLE_LABELS.get(actor.role, actor.role)}）"
    allowed = "、".join(ROLE_LABELS[r] for r in ROLES if r in PERMISSIONS[permission])
    raise AuthError(code, f"{who}无权{what}：仅{allowed}可以办理", field=field)
