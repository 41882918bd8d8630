"""An administrator sets one of the window's preference settings (`yichuang setting set`): checked, stored,
audited. Identity settings are set by `init`, the central address by `sync --central` (it is tried first),
state settings by the client itself: none of these is set here."""

from __future__ import annotations

from desktop.core import settings, users
from desktop.core.errors import BadInput
from desktop.core.roles import require
from desktop.core.store import Store
from desktop.core.textcheck import check_plain
from desktop.core.types import Clerk

MAX_VALUE = 200
_ELSEWHERE = ("central_url",)


def editable() -> list[str]:
    """The settings `setting set` may change."""
    return sorted(k for k, v in settings.SETTINGS.items() if v.section == "preference" and k not in _ELSEWHERE)


def set_preference(store: Store, *, key: str, value: str, actor: Clerk) -> str:
    """Store `value` for the preference `key` (BadInput naming the key or the value), audit it, return it."""
    require(actor, "settings_edit")
    choices = editable()
    if key not in choices:
        shown = key[:40] if key.isprintable() else repr(key)[:40]
        raise BadInput("E_SETTING", f"设置项“{shown}”不存在或不能在此修改（可用：{'、'.join(choices)}）", field="key")
    value = value.strip()
    check_plain(value, "value", key, multiline=False)
    if len(value) > MAX_VALUE:
        raise BadInput("E_FIELD_TOO_LONG", f"{key} 过长（最多 {MAX_VALUE} 个字符）", field="value")
    try:
        value = settings.spec(key).check(value)
    except ValueError as e:
        raise BadInput("E_SETTING", f"设置项 {key} 的值“{value[:40]}”无效：{e}", field="value") from None
    store.set_setting(key, value)
    users.audit(store, actor.login, "setting.set", key, value)
    return value
