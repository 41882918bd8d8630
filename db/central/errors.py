"""Errors of the central database, as a window or an administrator sees them (no driver import here).

`message` is Chinese, for people; the desktop layer turns these into its own typed errors."""

from __future__ import annotations


class CentralError(Exception):
    """The central database refused or failed a call. `message` is Chinese, for people."""

    def __init__(self, message: str, *, sqlstate: str | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail  # the server's DETAIL, where a caller acts on it (YC008: the centre's clock)


class CentralUnreachable(CentralError):
    """No answer from the central database (network, refused, timeout, server busy): retry later.

    Nothing of the call was committed."""


class CentralAuthFailed(CentralUnreachable):
    """The server is up but refused this window's credentials."""


class ProtocolTooOld(CentralError):
    """The server no longer accepts this client's protocol (SQLSTATE YC001): upgrade the client."""


class WindowNotRegistered(CentralError):
    """The login role is not a registered window (SQLSTATE YC002)."""


class CentralRefused(CentralError):
    """The server rejected the call itself (permission, bad argument); retrying will not help."""


class WindowBoundElsewhere(CentralError):
    """The window is bound to another machine, or its key does not match (SQLSTATE YC003): an
    administrator must retire the old machine first (yichuang central retire-window)."""


class DepartmentNotRegistered(CentralError):
    """The login role is not a registered department (SQLSTATE YC005)."""


class OfficeRefused(CentralRefused):
    """The centre refused a back-office or decision call (SQLSTATE YC100): the case state machine, a
    missing reason, a step out of order. `message` is Chinese; `technical` the centre's own words."""

    def __init__(self, message: str, *, sqlstate: str | None = None, technical: str = ""):
        super().__init__(message, sqlstate=sqlstate)
        self.technical = technical


class UnknownStaff(OfficeRefused):
    """The staff login is not an active back-office user of this department and centre."""


class UnknownCase(OfficeRefused):
    """No such case for this department (a case of another department or centre reads the same)."""


class UnknownBatch(OfficeRefused):
    """No such transfer batch addressed to this department."""


class SameOfficer(OfficeRefused):
    """The staff member recorded an earlier review step of the case: 承办, 审核 and 决定 are different people."""


# The centre's English (YC100) → what people read. First match wins; {0}, {1}… are the pattern's groups.
_OFFICE_MESSAGES: tuple[tuple[str, str, type[OfficeRefused]], ...] = (
    (r"^unknown staff$", "工号不是本部门的在岗人员", UnknownStaff),
    (r"^unknown case$", "没有这个办件（或不属于本部门）", UnknownCase),
    (r"^unknown batch$", "没有这个流转批次（或不是发给本部门的）", UnknownBatch),
    (r"^unknown status (.*): a decision is approved or denied$", "办件状态“{0}”无效：决定只能是 approved（准予）或 denied（不予）",
     OfficeRefused),
    (r"^case (\S+) was never accepted \(outcome (.*)\)$", "办件 {0} 未受理（{1}），不能作出决定", OfficeRefused),
    (r"^case (\S+) is decided already \(status (.*)\)$", "办件 {0} 已作出决定（{1}），不能再次决定；如需更正请用更正决定并说明理由",
     OfficeRefused),
    (r"^case (\S+) is not signed for by the department \(status (.*)\)$", "办件 {0} 尚未由部门签收（{1}），不能作出决定",
     OfficeRefused),
    (r"^review step (\S+) of case (\S+) is not done$", "办件 {1} 的审查环节“{0}”尚未完成，不能作出决定", OfficeRefused),
    (r"^case (\S+) is not decided \(status (.*)\)$", "办件 {0} 尚未作出决定（{1}），无可更正", OfficeRefused),
    (r"^case (\S+) was delivered already: its decision cannot be corrected$", "办件 {0} 的结果已送达，决定不能更正",
     OfficeRefused),
    (r"^a correction needs a reason$", "更正决定须说明理由", OfficeRefused),
    (r"^a return needs a reason$", "退回须说明理由", OfficeRefused),
    (r"^a review step needs an opinion$", "审查意见不能为空", OfficeRefused),
    (r"^an approval needs doc_name and doc_no$", "准予决定须填写文书名称和文号", OfficeRefused),
    (r"^a denial needs a reason$", "不予决定须说明理由", OfficeRefused),
    (r"^decision must be approve or deny$", "决定只能是 approve（准予）或 deny（不予）", OfficeRefused),
    (r"^copies must be 1\.\.999$", "份数应为 1 至 999", OfficeRefused),
    (r"^decide is not a review step: use office\.decide$", "“决定”不是审查环节：请使用作出决定", OfficeRefused),
    (r"^the next step of case (\S+) is (\S*), not (.*)$", "办件 {0} 的下一个审查环节是“{1}”，不是“{2}”", OfficeRefused),
    (r"^unknown review step (.*): the steps of case (\S+) are (.*)$", "审查环节“{0}”无效：办件 {1} 的环节为 {2}",
     OfficeRefused),
    (r"^case (\S+) is not under review \(status (.*)\)$", "办件 {0} 不在审查中（{1}）", OfficeRefused),
    (r"^(\S+) recorded the (\S+) step of case (\S+): its (\S+) step is another person's$",
     "{0} 已办理办件 {2} 的“{1}”环节，“{3}”环节须由另一人办理（承办、审核、决定不能是同一人）", SameOfficer),
    (r"^batch (\S+) is (\S+), not sent$", "流转批次 {0} 当前为 {1}，只能签收或退回已发送的批次", OfficeRefused),
    # the clock (central c0011)
    (r"^case (\S+) is decided already \(status (.*)\): its clock has stopped$",
     "办件 {0} 已作出决定（{1}），办理时限已结束，不能暂停、恢复或延长", OfficeRefused),
    (r"^case (\S+) is not held by the department \(status (.*)\)$",
     "办件 {0} 不在本部门办理中（{1}）：签收后、作出决定前才能暂停、恢复或延长时限", OfficeRefused),
    (r"^a pause needs a reason$", "暂停计时须说明理由（听证、检验、检测、鉴定、专家评审等）", OfficeRefused),
    (r"^the clock of case (\S+) is paused already \(since (.*)\)$", "办件 {0} 的时限已于 {1} 暂停，不能再次暂停",
     OfficeRefused),
    (r"^the clock of case (\S+) is not paused$", "办件 {0} 的时限未暂停，无需恢复", OfficeRefused),
    (r"^an extension is 1\.\.(\d+) working days, not (.*)$", "延长期限应为 1 至 {0} 个工作日（不是 {1}）",
     OfficeRefused),
    (r"^an extension needs a reason$", "延长期限须说明理由", OfficeRefused),
    (r"^an extension needs the approver's name$", "延长期限须写明批准的负责人姓名", OfficeRefused),
    (r"^case (\S+) was extended already \((\d+) working days\): the law allows one extension$",
     "办件 {0} 已延长过期限（{1} 个工作日）：依法只能延长一次", OfficeRefused),
)


def office_error(technical: str, *, sqlstate: str | None = "YC100") -> OfficeRefused:
    """The typed, Chinese error for a YC100 refusal of the office or decision functions."""
    import re

    for pattern, text, cls in _OFFICE_MESSAGES:
        m = re.match(pattern, technical)
        if m:
            return cls(text.format(*m.groups()), sqlstate=sqlstate, technical=technical)
    return OfficeRefused(f"中心拒绝了请求：{technical}", sqlstate=sqlstate, technical=technical)
