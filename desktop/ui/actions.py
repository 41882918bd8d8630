"""The window's actions, one table: menu, text, keys, the MainWindow method it runs, the permission it needs.

Adding a dialog is one row here plus its `open_…` method; the menus and shortcuts are built from this
table (MainWindow._build_menus), and an action whose permission the clerk lacks is shown disabled.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSpec:
    name: str  # the MainWindow attribute that holds the QAction (`<name>_action`)
    menu: str  # a key of MENUS
    text: str
    handler: str  # the MainWindow method it calls
    keys: tuple[str, ...] = ()
    permission: str | None = None  # from desktop.core.roles.PERMISSIONS; None: everybody
    separator_before: bool = False


MENUS: dict[str, str] = {"case": "办件(&C)", "sync": "同步(&S)", "stats": "统计(&T)", "supervisor": "值班长(&Z)",
                         "help": "帮助(&H)"}

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("accept", "case", "受理", "accept_intake", ("Ctrl+Return", "Ctrl+Enter"), "intake"),
    ActionSpec("refuse", "case", "不予受理…", "refuse_intake", ("F12",), "intake"),
    ActionSpec("print", "case", "打印本件文书", "print_last", ("Ctrl+P",)),
    ActionSpec("new", "case", "清空，接待下一位", "new_intake", ("Ctrl+N",)),
    ActionSpec("search", "case", "搜索事项", "focus_search", ("F2", "Ctrl+F"), separator_before=True),
    ActionSpec("applicant", "case", "填写申请人", "focus_applicant", ("F3",)),
    ActionSpec("materials", "case", "勾选材料", "focus_materials", ("F4",)),
    ActionSpec("supplement", "case", "补正材料（扫描告知单）…", "open_supplement", ("F6",), "intake",
               separator_before=True),
    ActionSpec("transfer", "case", "材料流转…", "open_transfers", ("F7",), "intake"),
    ActionSpec("handover", "case", "结果送达…", "open_handover", ("F8",), "intake"),
    ActionSpec("consult", "case", "咨询登记（首问负责）…", "open_consultation", ("F10",), "intake"),
    ActionSpec("rating", "case", "好差评…", "open_rating", ("F11",), "intake"),
    ActionSpec("reprint", "case", "补打文书…", "open_reprint", ("Ctrl+R",), "reprint_own"),
    ActionSpec("attach", "case", "附加扫描件…", "open_attach", ("Ctrl+U",), "intake"),
    ActionSpec("lookup", "case", "办件查询…", "open_lookup", ("Ctrl+L",)),
    ActionSpec("worklist", "case", "待办清单…", "open_worklist", ("Ctrl+D",)),
    ActionSpec("quit", "case", "退出", "close", ("Ctrl+Q",), separator_before=True),
    ActionSpec("sync", "sync", "立即同步", "sync_now", ("F5",)),
    ActionSpec("settings", "sync", "设置…", "open_settings", separator_before=True),
    ActionSpec("statistics", "stats", "统计报表…", "open_statistics", ("Ctrl+T",), "report_print"),
    ActionSpec("daily", "supervisor", "打印当日统计", "print_daily_report", permission="report_print"),
    ActionSpec("rejected", "supervisor", "异常件（上传被拒）…", "open_rejected", permission="deadletter_resolve"),
    ActionSpec("ratings", "supervisor", "当日评价…", "open_daily_ratings", permission="report_print"),
    ActionSpec("calendar", "supervisor", "节假日日历…", "open_calendar", permission="calendar_import",
               separator_before=True),
    ActionSpec("doctor", "help", "自检…", "open_doctor"),
)

#: What a clerk may continue on a case found in 办件查询 (desktop/ui/dialogs/lookup.py), at any window of the
#: centre: each first takes the case's lease at the centre; `handler` is the LookupDialog method that goes on.
#: The key is the Alt+letter of the text. A row whose permission the clerk lacks is shown disabled (作废 is the
#: 值班长's).
CASE_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("supplement", "lookup", "补正(&B)", "continue_supplement", permission="intake"),
    ActionSpec("handover", "lookup", "结果送达(&S)", "continue_handover", permission="intake"),
    ActionSpec("reprint", "lookup", "补打(&D)", "continue_reprint", permission="reprint_own"),
    ActionSpec("rating", "lookup", "好差评(&J)", "continue_rating", permission="intake"),
    ActionSpec("correct", "lookup", "更正(&G)", "continue_correct", permission="case_correct"),
    ActionSpec("withdraw", "lookup", "撤回(&H)", "continue_withdraw", permission="case_withdraw"),
    ActionSpec("void", "lookup", "作废(&Z)", "continue_void", permission="case_void"),
)
