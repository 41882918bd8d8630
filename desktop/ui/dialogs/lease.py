"""The lease of the one case a window is continuing: two windows never continue the same case at once.

Taken on the network thread (desktop.ui.tasks.NetOp) before the clerk goes on; when another window holds it
the clerk reads "张敏，03 号窗口正在办理此件（至 HH:MM）" and nothing is done. Offline (or with no centre) the
window goes on and says so. Renewed while held (the centre's lease lasts 10 minutes), released when done.
"""

from __future__ import annotations

from collections.abc import Callable

from desktop.core.errors import CaseLeased
from desktop.ui.dialogs.base import error_text
from desktop.ui.qt import QObject, QTimer, QWidget
from desktop.ui.tasks import NetOp

#: renew a held lease this often (the centre's lease lasts 600 s)
RENEW_MS = 8 * 60 * 1000


class CaseLease(QObject):
    """One held lease at a time. `case_no` is the case whose lease the centre granted us ("" when none)."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self.owner = owner
        self.case_no = ""
        self.clerk = None
        self.renew_timer = QTimer(self)
        self.renew_timer.setInterval(RENEW_MS)
        self.renew_timer.timeout.connect(self._renew)

    def take(self, case_no: str, clerk, granted: Callable[[object], None], refused: Callable[[str], None]) -> int:
        """Ask the centre for the case's lease; `granted(Lease)` (its `note` says when offline) or
        `refused(text)`: another window holds it, or the case number is bad."""

        def done(lease, error) -> None:
            if error is not None:
                refused(error.message if isinstance(error, CaseLeased) else error_text(error))
                return
            if self.case_no and self.case_no != lease.case_no:
                self.release()
            if lease.online and lease.until is not None:
                self.case_no, self.clerk = lease.case_no, clerk
                self.renew_timer.start()
            granted(lease)

        return NetOp(self.owner, lambda svc: svc.take_lease(case_no=case_no, clerk=clerk)).on_done(done).run()

    def adopt(self, case_no: str, clerk) -> None:
        """Hold a lease another holder hands over (the lookup dialog hands 补正 to the intake view)."""
        if case_no:
            self.case_no, self.clerk = case_no, clerk
            self.renew_timer.start()

    def hand_over(self) -> str:
        """Give up holding (without releasing at the centre); returns the case number held."""
        case_no, self.case_no = self.case_no, ""
        self.renew_timer.stop()
        return case_no

    def _renew(self) -> None:
        if self.case_no:
            case_no, clerk = self.case_no, self.clerk
            NetOp(self.owner, lambda svc: svc.take_lease(case_no=case_no, clerk=clerk)).on_done(
                lambda _r, _e: None).run()

    def release(self) -> None:
        """Give the lease back (best effort: offline it simply runs out)."""
        self.renew_timer.stop()
        case_no, self.case_no = self.case_no, ""
        if case_no:
            NetOp(self.owner, lambda svc: svc.release_lease(case_no=case_no)).on_done(lambda _r, _e: None).run()
