"""The back office's use cases on a department PC, one typed method each: the command line, the department
window and the tests all call these (the window only through them, off the GUI thread).

`OfficeServices(home)` keeps the link to the centre in the data folder (desktop.core.office.settings) and
talks to it through db.central's OfficeClient (one connection, opened on first use; one object per
thread). Staff sign in against the hashes the centre sends (desktop.core.office.signin); every action names
the signed-in staff member, whom the centre checks again. Errors: BadInput (refused, Chinese, nothing
changed), CentralUnavailable (the centre did not answer: try again)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop.core.clock import Clock, shanghai_now
from desktop.core.errors import BadInput
from desktop.core.office import forms, is_office_home, signin
from desktop.core.office.errors import NOT_DEPARTMENT, office_error
from desktop.core.office.settings import office_link, read_settings
from desktop.core.office.types import (
    CaseDetail,
    Decision,
    InboxBatch,
    OfficeInfo,
    OfficeStaff,
    ReviewCase,
)

ClientFactory = Callable[[str, Path], Any]


def _office_client(url: str, ca_file: Path) -> Any:
    from db.central import OfficeClient

    return OfficeClient(url, ca_cert=ca_file)


class OfficeServices:
    """All use cases of one department PC, over its data folder `home`."""

    def __init__(self, home: Path, *, clock: Clock = shanghai_now, client_factory: ClientFactory = _office_client):
        self.home = Path(home)
        self.clock = clock
        self._factory = client_factory
        self._client: Any = None
        self._hello: dict[str, Any] | None = None

    def open_for_thread(self) -> OfficeServices:
        """A new object for another thread (desktop.ui.tasks runs each thread's calls on its own)."""
        return OfficeServices(self.home, clock=self.clock, client_factory=self._factory)

    # ----- the link to the centre
    def is_configured(self) -> bool:
        return is_office_home(self.home)

    def configure(self, *, central_url: str | None = None, ca_cert: str | os.PathLike[str] | None = None
                  ) -> OfficeInfo:
        """Check a URL and/or CA (each optional once stored) by office.hello() over them; only then are
        they stored. Without either: the stored link, checked the same way."""
        link = office_link(self.home, central_url, ca_cert)
        client = self._factory(link.url, link.ca_file)
        try:
            hello = self._call(client.hello)
            if not isinstance(hello, dict) or not hello.get("department"):
                raise BadInput("E_NOT_DEPARTMENT", NOT_DEPARTMENT, field="central_url")
        except Exception:
            link.discard()
            _close(client)
            raise
        self.close()
        link.commit(hello)
        self._client, self._hello = client, hello
        return self.info()

    def _connected(self) -> Any:
        if self._client is None:
            link = office_link(self.home)
            self._client = self._factory(link.url, link.ca_file)
        return self._client

    @staticmethod
    def _call(fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as e:
            raise office_error(e) from e

    def hello(self, *, refresh: bool = False) -> dict[str, Any]:
        if self._hello is None or refresh:
            self._hello = self._call(self._connected().hello)
        return self._hello

    def info(self) -> OfficeInfo:
        """The centre and department this PC serves (asks the centre once per object)."""
        h = self.hello()
        return OfficeInfo(str(h.get("centre_code") or ""), str(h.get("centre_name") or ""),
                          str(h.get("department") or ""), str(h.get("server_time") or ""))

    def stored_info(self) -> OfficeInfo:
        """What the last successful hello said, from the data folder (no network)."""
        s = read_settings(self.home)
        return OfficeInfo(s.get("centre_code", ""), s.get("centre_name", ""), s.get("department", ""), "")

    def close(self) -> None:
        if self._client is not None:
            _close(self._client)
            self._client = None

    # ----- staff
    def sign_in(self, *, login: str, password: str) -> OfficeStaff:
        """The staff member of this department whose password this is (E_LOGIN / E_LOCKED otherwise)."""
        staff = self.hello(refresh=True).get("staff") or []
        return signin.sign_in(self.home, staff, login=login, password=password, now=self.clock())

    # ----- the inbox of transfer batches
    def inbox(self, *, staff: OfficeStaff) -> list[InboxBatch]:
        rows = self._call(self._connected().inbox, staff.login) or []
        return [InboxBatch.from_centre(r) for r in rows if isinstance(r, dict)]

    def sign(self, *, staff: OfficeStaff, batch_no: str) -> dict[str, Any]:
        """签收: the batch's cases become the department's (status signed)."""
        batch_no = forms.ref(batch_no, "batch_no", "批次号")
        return self._call(self._connected().sign, staff.login, batch_no)

    def return_batch(self, *, staff: OfficeStaff, batch_no: str, reason: str) -> dict[str, Any]:
        """退回 with a reason: the cases go back to the window's pile."""
        batch_no = forms.ref(batch_no, "batch_no", "批次号")
        reason = forms.reason(reason, "退回理由")
        return self._call(self._connected().return_batch, staff.login, batch_no, reason)

    # ----- cases in review
    def cases(self, *, staff: OfficeStaff) -> list[ReviewCase]:
        rows = self._call(self._connected().cases, staff.login) or []
        out = [ReviewCase.from_centre(r) for r in rows if isinstance(r, dict)]
        far = self.clock().date().replace(year=9999)
        return sorted(out, key=lambda c: (c.promised_date or far, c.case_no))

    def case(self, *, staff: OfficeStaff, case_no: str) -> CaseDetail:
        case_no = forms.ref(case_no, "case_no", "办件编号")
        return CaseDetail.from_centre(self._call(self._connected().case, staff.login, case_no) or {})

    def review(self, *, staff: OfficeStaff, case_no: str, step: str, opinion: str) -> dict[str, Any]:
        """Record a review step (承办 handle, 审核 review) with its opinion; the centre takes only the next."""
        step = forms.review_step(step)
        case_no = forms.ref(case_no, "case_no", "办件编号")
        opinion = forms.opinion(opinion)
        return self._call(self._connected().review, staff.login, case_no, step, opinion)

    def decide(self, *, staff: OfficeStaff, case_no: str, decision: Decision) -> dict[str, Any]:
        """准予许可 / 不予许可 (build `decision` with desktop.core.office.forms.decision)."""
        case_no = forms.ref(case_no, "case_no", "办件编号")
        return self._call(self._connected().decide, staff.login, case_no, decision.wire())

    def correct_decision(self, *, staff: OfficeStaff, case_no: str, decision: Decision, reason: str
                         ) -> dict[str, Any]:
        """An explicit, audited correction of a decided (not delivered) case."""
        case_no = forms.ref(case_no, "case_no", "办件编号")
        reason = forms.reason(reason, "更正理由")
        return self._call(self._connected().correct_decision, staff.login, case_no, decision.wire(), reason)

    # ----- the decision clock of a case the department holds (signed or in review, not decided)
    def pause(self, *, staff: OfficeStaff, case_no: str, reason: str) -> dict[str, Any]:
        """暂停计时 (hearing, inspection, testing, appraisal, expert review: Art. 45) with a reason; the windows
        stop the case's clock when they sync and print the 告知书 for the applicant."""
        case_no = forms.ref(case_no, "case_no", "办件编号")
        reason = forms.reason(reason, "暂停理由")
        return self._call(self._connected().pause, staff.login, case_no, reason)

    def resume(self, *, staff: OfficeStaff, case_no: str) -> dict[str, Any]:
        """恢复计时: the windows move the dates by the working days the clock stood still."""
        case_no = forms.ref(case_no, "case_no", "办件编号")
        return self._call(self._connected().resume, staff.login, case_no)

    def extend(self, *, staff: OfficeStaff, case_no: str, days: int | str, reason: str, approver: str
               ) -> dict[str, Any]:
        """延长期限 once, by 1..10 working days, with a reason and the approving head named (Art. 42)."""
        case_no = forms.ref(case_no, "case_no", "办件编号")
        n = forms.extension_days(days)
        reason = forms.reason(reason, "延长理由")
        who = forms.approver(approver)
        return self._call(self._connected().extend, staff.login, case_no, n, reason, who)


def _close(client: Any) -> None:
    close = getattr(client, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            pass
