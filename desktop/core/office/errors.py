"""The centre's answers to an office call as the desktop's typed errors. db.central already turns the
centre's English refusals (SQLSTATE YC100) into Chinese CentralError subclasses; here each becomes a
stable code: unreachable → CentralUnavailable (exit 1, try again), a refusal → BadInput (exit 2)."""

from __future__ import annotations

from desktop.core.errors import BadInput, CentralUnavailable, YichuangError

# db.central error class name → stable code (matched along the class's MRO, so a subclass the centre adds
# later still lands on its parent's code)
_CODES = {
    "UnknownStaff": "E_OFFICE_STAFF",
    "UnknownCase": "E_OFFICE_CASE",
    "UnknownBatch": "E_OFFICE_BATCH",
    "SameOfficer": "E_SAME_OFFICER",
    "DepartmentNotRegistered": "E_NOT_DEPARTMENT",
    "WindowNotRegistered": "E_NOT_DEPARTMENT",
    "OfficeRefused": "E_OFFICE_REFUSED",
    "ProtocolTooOld": "E_PROTOCOL",
}
NOT_DEPARTMENT = "这个地址不是部门（后台）的登录：请使用 yichuang central add-department 输出的地址"


def office_error(exc: Exception) -> YichuangError:
    """A db.central CentralError (or anything else the client raised) as a YichuangError."""
    from db.central.errors import CentralError, CentralUnreachable

    if isinstance(exc, YichuangError):
        return exc
    if isinstance(exc, CentralUnreachable):
        return CentralUnavailable("E_CENTRAL", exc.message)
    if isinstance(exc, CentralError):
        code = next((_CODES[c.__name__] for c in type(exc).__mro__ if c.__name__ in _CODES), "E_OFFICE_REFUSED")
        text = exc.message
        if code == "E_NOT_DEPARTMENT" or "permission denied" in (getattr(exc, "technical", "") or text):
            return BadInput("E_NOT_DEPARTMENT", f"{NOT_DEPARTMENT}（{text}）", field="central_url")
        return BadInput(code, text if text.startswith(("中心", "办件", "流转", "没有", "工号")) or not text.isascii()
                        else f"中心拒绝了此操作：{text}")
    return YichuangError("E_OFFICE", f"与中心通信时出错：{type(exc).__name__}: {exc}")
