"""The department window's 办理时限 form against the real centre: 暂停计时 needs a reason, then only 恢复计时
is offered; 延长期限 needs the approving head's name and is offered once; the case list says the clock is
paused; a refusal of the centre shows in Chinese on the form."""

from __future__ import annotations

import pytest

from desktop.core.office import OfficeServices
from desktop.ui.office.window import OfficeWindow
from tests.support.central_ops import A
from tests.support.office_loop import DEPT, PASSWORD, THREE_STEPS, case_no, provision, window_sends

B1 = f"LZ{A}01260212001"


@pytest.fixture
def office(tmp_path, central_url, central_window, central_ca, clock):
    centre = provision(central_url, central_window)
    window_sends(centre, {1: THREE_STEPS}, {B1: ([1], DEPT)})
    svc = OfficeServices(tmp_path / "dept", clock=clock)
    svc.configure(central_url=centre.dept_url, ca_cert=central_ca)
    staff = svc.sign_in(login="s2", password=PASSWORD)
    svc.sign(staff=staff, batch_no=B1)
    yield svc, staff
    svc.close()


def _act(qtbot, w, click, ok=True):
    with qtbot.waitSignal(w.acted, timeout=20_000) as blocker:
        click()
    assert blocker.args == [ok], w.status.text()
    if ok:
        qtbot.waitSignal(w.loaded, timeout=20_000).wait()


def test_pause_resume_and_extend_from_the_case_form(qtbot, office):
    svc, staff = office
    w = OfficeWindow(svc, staff)
    qtbot.addWidget(w)
    qtbot.waitSignal(w.loaded, timeout=20_000).wait()
    form = w.clock_form
    assert not form.pause_button.isEnabled()  # nothing selected
    w.case_table.selectRow(0)
    assert w.selected_case_no() == case_no(1)
    assert form.pause_button.isEnabled() and not form.resume_button.isEnabled() and form.extend_button.isEnabled()

    form.pause_button.click()  # no reason: nothing sent
    assert "暂停理由" in form.note.text()
    form.reason_edit.setText("专家评审")
    _act(qtbot, w, form.pause_button.click)
    w.case_table.selectRow(0)
    assert form.state_label.text().startswith("已暂停") and w.case_table.item(0, 5).text().startswith("暂停计时")
    assert not form.pause_button.isEnabled() and form.resume_button.isEnabled()
    _act(qtbot, w, form.resume_button.click)
    w.case_table.selectRow(0)
    assert form.state_label.text() == "计时中"

    form.reason_edit.setText("需实地核查")
    form.days.setValue(6)
    form.extend_button.click()  # no approver: nothing sent
    assert "负责人姓名" in form.note.text()
    form.approver_edit.setText("王局长")
    _act(qtbot, w, form.extend_button.click)
    w.case_table.selectRow(0)
    assert form.state_label.text() == "计时中；已延长 6 个工作日" and not form.extend_button.isEnabled()
    # the centre refuses a second extension even when asked directly: in Chinese, on the form
    form.extend_button.setEnabled(True)
    form.approver_edit.setText("王局长")
    form.reason_edit.setText("还要核查")
    _act(qtbot, w, form.extend_button.click, ok=False)
    assert "只能延长一次" in form.note.text()
