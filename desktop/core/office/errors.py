"""The centre's refusals of an office call, in Chinese. The office functions raise YC100 with an English
technical message (db.central maps it to a CentralError); a person reads the sentence below, with the
centre's own words after it for whoever has to look further."""

from __future__ import annotations

from desktop.core.errors import BadInput, CentralUnavailable, YichuangError

# (words in the centre's message, code, what the staff member reads)
_REFUSALS: tuple[tuple[str, str, str], ...] = (
    ("unknown staff", "E_OFFICE_STAFF", "中心不认可此工作人员：不是本部门在用的后台人员，请联系中心管理员"),
    ("unknown case", "E_OFFICE_CASE", "没有这个办件，或它不属于本部门"),
    ("unknown batch", "E_OFFICE_BATCH", "没有这个流转批次，或它不是发给本部门的"),
    ("unknown department", "E_OFFICE_DEPARTMENT", "中心不认可本部门的登录：请联系中心管理员重新发放部门登录地址"),
    ("already decided", "E_OFFICE_DECIDED", "此件已作出决定，不能再次决定（如需更正，请走决定更正）"),
    ("not decided", "E_OFFICE_NOT_DECIDED", "此件尚未作出决定，无可更正"),
    ("delivered", "E_OFFICE_DELIVERED", "此件结果已送达，不能再更改"),
    ("not accepted", "E_OFFICE_NOT_ACCEPTED", "此件未受理（不是“受理”结果的办件），不能作出决定"),
    ("not signed", "E_OFFICE_NOT_SIGNED", "此件尚未签收，请先在收件箱签收其流转批次"),
    ("next step", "E_OFFICE_STEP_ORDER", "审查步骤须按顺序进行：请先完成前一步"),
    ("out of order", "E_OFFICE_STEP_ORDER", "审查步骤须按顺序进行：请先完成前一步"),
    ("already done", "E_OFFICE_STEP_DONE", "这一步已经做过"),
    ("steps", "E_OFFICE_STEPS", "审查步骤尚未完成，不能作出决定"),
    ("not a review step", "E_OFFICE_STEP", "“决定”不是审查步骤，请用“作出决定”"),
    ("unknown step", "E_OFFICE_STEP", "审查步骤无效"),
    ("opinion", "E_OFFICE_OPINION", "请填写审查意见"),
    ("reason", "E_OFFICE_REASON", "请填写理由"),
    ("not sent", "E_OFFICE_BATCH_STATE", "此批次不是待签收状态（可能已签收或已退回）"),
    ("state", "E_OFFICE_STATE", "办件或批次当前的状态不允许此操作"),
)


def office_error(exc: Exception) -> YichuangError:
    """A db.central CentralError (or anything else the client raised) as the desktop's typed error:
    unreachable → CentralUnavailable (exit 1, try again); a refusal → BadInput (exit 2, Chinese)."""
    from db.central.errors import CentralError, CentralUnreachable

    if isinstance(exc, YichuangError):
        return exc
    if isinstance(exc, CentralUnreachable):
        return CentralUnavailable("E_CENTRAL", exc.message)
    if isinstance(exc, CentralError):
        text = exc.message
        low = text.lower()
        for words, code, message in _REFUSALS:
            if words in low:
                return BadInput(code, f"{message}（中心：{text}）")
        return BadInput("E_OFFICE_REFUSED", text if text.startswith("中心") else f"中心拒绝了此操作：{text}")
    return YichuangError("E_OFFICE", f"与中心通信时出错：{type(exc).__name__}: {exc}")
