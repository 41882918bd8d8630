"""The department window against the real centre: sign-in with the centre's hashes, the inbox (签收, 退回
with a reason), the cases in review with their deadlines, the review-step form and the decision form
(承办, 审核 and 决定 by three people, each at his own sign-in).
Every action runs through OfficeServices on a background thread; the window reads both lists again after.

YICHUANG_SCREENSHOT=1 also saves the window as docs/screenshot-office.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop.core.office import OfficeServices
from desktop.ui.office.login import OfficeLoginDialog
from desktop.ui.office.window import OfficeWindow
from desktop.ui.qt import Qt
from tests.support.central_ops import A
from tests.support.office_loop import DEPT, PASSWORD, THREE_STEPS, TWO_STEPS, case_no, provision, window_sends

B1, B2 = f"LZ{A}01260212001", f"LZ{A}01260212002"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-office.png"


@pytest.fixture
def office(tmp_path, central_url, central_window, central_ca, clock):
    centre = provision(central_url, central_window)
    window_sends(centre, {1: THREE_STEPS, 2: TWO_STEPS, 3: THREE_STEPS}, {B1: ([1, 2], DEPT), B2: ([3], DEPT)})
    setup = OfficeServices(tmp_path / "dept")
    setup.configure(central_url=centre.dept_url, ca_cert=central_ca)
    setup.close()
    svc = OfficeServices(tmp_path / "dept", clock=clock)
    yield svc
    svc.close()


def _signed_in(qtbot, office):
    dialog = OfficeLoginDialog(None, office)
    qtbot.addWidget(dialog)
    assert DEPT in dialog.identity.text()
    qtbot.keyClicks(dialog.login_edit, "s1")
    qtbot.keyClicks(dialog.password_edit, "wrong-pass")
    with qtbot.waitSignal(dialog.checked, timeout=20_000):
        qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    assert dialog.error_label.text() == "工号或密码不正确" and dialog.staff is None
    qtbot.keyClicks(dialog.password_edit, PASSWORD)
    with qtbot.waitSignal(dialog.checked, timeout=20_000):
        qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == dialog.DialogCode.Accepted
    return dialog.staff


def _window(qtbot, office, staff) -> OfficeWindow:
    w = OfficeWindow(office, staff)
    qtbot.addWidget(w)
    qtbot.waitSignal(w.loaded, timeout=20_000).wait()  # the first read runs on the reader thread
    return w


def _act(qtbot, w, click, ok=True):
    with qtbot.waitSignal(w.acted, timeout=20_000) as blocker:
        click()
    assert blocker.args == [ok], w.status.text()
    if ok:
        qtbot.waitSignal(w.loaded, timeout=20_000).wait()


def _select(qtbot, w, table, key):
    rows = [table.item(r, 0).text() for r in range(table.rowCount())]
    table.selectRow(rows.index(key))


def test_sign_review_and_decide_in_the_window(qtbot, office):
    staff = _signed_in(qtbot, office)
    w = _window(qtbot, office, staff)
    assert w.batch_table.rowCount() == 2 and w.case_table.rowCount() == 0
    assert not w.sign_button.isEnabled()  # nothing selected
    _select(qtbot, w, w.batch_table, B1)
    assert w.batch_cases.rowCount() == 2 and w.sign_button.isEnabled()
    _act(qtbot, w, lambda: qtbot.mouseClick(w.sign_button, Qt.MouseButton.LeftButton))
    assert w.case_table.rowCount() == 2
    states = {w.batch_table.item(r, 0).text(): w.batch_table.item(r, 2).text() for r in range(2)}
    assert states[B1] == "已签收" and states[B2] == "待签收"

    w.tabs.setCurrentIndex(1)
    with qtbot.waitSignal(w.detail_loaded, timeout=20_000):
        _select(qtbot, w, w.case_table, case_no(1))
    row = [w.case_table.item(r, 0).text() for r in range(2)].index(case_no(1))
    assert w.case_table.item(row, 6).text() == "承办"
    assert w.review_form.step == "handle" and not w.decision_form.submit_button.isEnabled()
    w.review_form.submit()  # no opinion: refused on the spot, nothing sent
    assert "审查意见" in w.review_form.note.text()
    w.review_form.opinion_edit.setPlainText("材料齐全，拟同意")
    _act(qtbot, w, w.review_form.submit)
    qtbot.waitUntil(lambda: f"承办　{DEPT}　李审" in w.history.toPlainText(), timeout=20_000)
    # 李审 handled it: the centre refuses him its 审核, and the window says why
    assert w.review_form.step == "review"
    w.review_form.opinion_edit.setPlainText("审核同意")
    _act(qtbot, w, w.review_form.submit, ok=False)
    assert "承办、审核、决定不能是同一人" in w.status.text()
    # 审核 by 王核 at his own sign-in, 决定 by 张决 at his
    w = _window(qtbot, office, office.sign_in(login="s2", password=PASSWORD))
    w.tabs.setCurrentIndex(1)
    with qtbot.waitSignal(w.detail_loaded, timeout=20_000):
        _select(qtbot, w, w.case_table, case_no(1))
    assert w.review_form.step == "review"
    w.review_form.opinion_edit.setPlainText("审核同意")
    _act(qtbot, w, w.review_form.submit)
    qtbot.waitUntil(lambda: f"审核　{DEPT}　王核" in w.history.toPlainText(), timeout=20_000)
    w = _window(qtbot, office, office.sign_in(login="s3", password=PASSWORD))
    w.tabs.setCurrentIndex(1)
    with qtbot.waitSignal(w.detail_loaded, timeout=20_000):
        _select(qtbot, w, w.case_table, case_no(1))
    assert w.decision_form.submit_button.isEnabled() and not w.review_form.submit_button.isEnabled()
    w.decision_form.submit()  # approve without document name and number: refused on the spot
    assert "文书名称" in w.decision_form.note.text()
    w.decision_form.doc_name.setText("准予迁移决定书")
    w.decision_form.doc_no.setText("沪公(迁)字〔2026〕1号")
    qtbot.keyClicks(w.decision_form.e_licence, "EL-2026-1")  # typing clears the message
    assert w.decision_form.note.text() == ""
    w.decision_form.copies.setValue(2)
    if os.environ.get("YICHUANG_SCREENSHOT"):
        w.resize(1400, 860)
        w.show()
        qtbot.waitExposed(w)
        w.grab().save(str(SCREENSHOT))
    _act(qtbot, w, w.decision_form.submit)
    assert [w.case_table.item(r, 0).text() for r in range(w.case_table.rowCount())] == [case_no(2)]
    detail = office.case(staff=staff, case_no=case_no(1))
    assert detail.status == "approved" and detail.decision["doc_no"] == "沪公(迁)字〔2026〕1号"
    assert detail.decision["decided_by"] == "s3"
    assert detail.decision["e_licence_ref"] == "EL-2026-1" and detail.decision["copies"] == 2


def test_return_needs_a_reason_and_a_refusal_shows_in_chinese(qtbot, office):
    staff = _signed_in(qtbot, office)
    w = _window(qtbot, office, staff)
    _select(qtbot, w, w.batch_table, B2)
    _act(qtbot, w, lambda: qtbot.mouseClick(w.return_button, Qt.MouseButton.LeftButton), ok=False)
    assert w.status.text() == "请填写退回理由"
    w.return_reason.setText("材料缺页")
    _act(qtbot, w, lambda: qtbot.mouseClick(w.return_button, Qt.MouseButton.LeftButton))
    states = {w.batch_table.item(r, 0).text(): (w.batch_table.item(r, 2).text(), w.batch_table.item(r, 5).text())
              for r in range(w.batch_table.rowCount())}
    assert states[B2] == ("已退回", "材料缺页")
    _select(qtbot, w, w.batch_table, B2)
    assert not w.sign_button.isEnabled()  # a returned batch cannot be signed
    # the centre refuses what the window would not offer: a second signing (a stale screen) shows its reason
    _select(qtbot, w, w.batch_table, B1)
    _act(qtbot, w, lambda: qtbot.mouseClick(w.sign_button, Qt.MouseButton.LeftButton))
    w.batches = [b if b.batch_no != B1 else type(b)(**{**b.__dict__, "state": "sent"}) for b in w.batches]
    _select(qtbot, w, w.batch_table, B1)
    w._batch_selected()
    _act(qtbot, w, lambda: qtbot.mouseClick(w.sign_button, Qt.MouseButton.LeftButton), ok=False)
    assert "流转批次" in w.status.text() or "批次" in w.status.text()
