"""The status bar of the main window: connection, queue length and age, last sync, clock-skew warning."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from desktop.core.errors import YichuangError
from desktop.ui.qt import QLabel, QStatusBar, QWidget

SKEW_LIMIT_S = 300
NEXT_YEAR_WARNING = "明年节假日安排尚未导入"


def next_year_missing(today: date, years: Iterable[int]) -> bool:
    """From 1 November on, next year's holiday arrangement should be imported (the State Council publishes it then)."""
    return today.month >= 11 and (today.year + 1) not in set(years)


def age_text(then: datetime, now: datetime) -> str:
    """A short Chinese age: 不到 1 分钟 / 5 分钟 / 3 小时 / 2 天."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "不到 1 分钟"
    if seconds < 3600:
        return f"{seconds // 60} 分钟"
    if seconds < 86400:
        return f"{seconds // 3600} 小时"
    return f"{seconds // 86400} 天"


class WindowStatusBar(QStatusBar):
    """Reads services.sync_status() on refresh (a small local read); never talks to the network."""

    def __init__(self, services, clerk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.connection = QLabel(self)
        self.connection.setObjectName("connectionLabel")
        self.queue = QLabel(self)
        self.oldest = QLabel(self)
        self.last_sync = QLabel(self)
        self.skew = QLabel(self)
        self.skew.setObjectName("skewWarning")
        self.activity = QLabel(self)
        self.catalogue = QLabel(self)
        self.catalogue.setObjectName("catalogueVersion")
        self.calendar_warning = QLabel(self)
        self.calendar_warning.setObjectName("hintLabel")
        self.calendar_warning.setToolTip("请值班长在“值班长 → 节假日日历”中导入明年的日历文件")
        self.calendar_warning.hide()
        window = services.window()
        self.identity = QLabel(
            f"{window.centre_name} · {window.window_no} 号窗口 · {clerk.name}（{clerk.staff_no}）", self
        )
        for w in (self.connection, self.queue, self.oldest, self.last_sync, self.skew, self.activity):
            self.addWidget(w)
        self.addPermanentWidget(self.calendar_warning)
        self.addPermanentWidget(self.catalogue)
        self.addPermanentWidget(self.identity)
        self.refresh()
        self.check_calendar()

    def check_calendar(self, years: Iterable[int] | None = None) -> bool:
        """Show the quiet next-year warning if due; `years` as an import reported them (else read them).
        Checked at start-up and after an import only. Returns whether the warning shows."""
        try:
            today = self.services.clock().date()
            if years is None:
                years = self.services.calendar().years
        except YichuangError:
            return False
        missing = next_year_missing(today, years)
        self.calendar_warning.setText(f"⚠ {NEXT_YEAR_WARNING}" if missing else "")
        self.calendar_warning.setVisible(missing)
        return missing

    def set_activity(self, text: str) -> None:
        self.activity.setText(text)

    def refresh(self, _what: str = "") -> None:
        try:
            st = self.services.sync_status()
            skew_raw = self.services.setting("sync_clock_skew")
            now = self.services.clock()
            self.catalogue.setText(f"事项目录 {self.services.current_catalogue_version() or '未导入'}")
        except YichuangError as e:
            self.connection.setText(e.message)
            return
        if st.online is None:
            self.connection.setText("● 未配置中心")
            self.connection.setProperty("state", "unconfigured")
        elif st.online:
            self.connection.setText("● 在线")
            self.connection.setProperty("state", "online")
        else:
            self.connection.setText("● 离线")
            self.connection.setProperty("state", "offline")
        self.connection.setToolTip(st.last_error or "")
        self.connection.style().unpolish(self.connection)
        self.connection.style().polish(self.connection)
        self.queue.setText(f"待上传 {st.queue_length} 件"
                           + (f"　异常 {st.rejected} 件（值班长处理）" if st.rejected else ""))
        self.oldest.setText(
            f"最早一条已等待 {age_text(st.oldest_pending_at, now)}" if st.oldest_pending_at else ""
        )
        self.oldest.setVisible(st.oldest_pending_at is not None)
        self.last_sync.setText(
            f"上次同步 {st.last_success_at:%m-%d %H:%M}" if st.last_success_at else "尚未同步"
        )
        try:
            skew = int(float(skew_raw)) if skew_raw else 0
        except ValueError:
            skew = 0
        if abs(skew) > SKEW_LIMIT_S:
            direction = "快" if skew > 0 else "慢"
            self.skew.setText(f"⚠ 本机时钟比中心{direction} {abs(skew) // 60} 分钟，请校准时间")
            self.skew.show()
        else:
            self.skew.setText("")
            self.skew.hide()
