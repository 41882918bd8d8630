"""The intake window with an ID card reader (the pty simulator): fields fill themselves, marked 读卡."""

from __future__ import annotations

import threading

import pytest

from desktop.ui.qt import Qt
from tests.support.clerk_actions import ctrl_enter, pick_matter, wait_intake
from tests.support.idcard_sim import IdCardSim, SimCard
from tests.support.ids import resident_id


@pytest.fixture
def sim():
    with IdCardSim(None) as s:
        yield s


@pytest.fixture
def reader_window(qtbot, services, clerk, sim, print_log):
    from desktop.ui.main_window import MainWindow

    services.set_setting("idcard_port", sim.port)
    w = MainWindow(services, clerk)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def test_reader_runs_off_the_gui_thread_and_fills_the_applicant(qtbot, reader_window, sim):
    w = reader_window
    qtbot.waitUntil(lambda: w.idcard_state.text() == "读卡器就绪", timeout=5000)
    assert w.idcard_poller.isRunning()
    emitted_on: list[threading.Thread] = []
    w.idcard_poller.card_placed.connect(lambda _card: emitted_on.append(threading.current_thread()),
                                        Qt.ConnectionType.DirectConnection)
    sim.slow_read = 1.0  # a slow card: the GUI keeps answering meanwhile
    w.form.person.phone.setText("13800138000")  # typed by the clerk
    sim.card = SimCard()
    person = w.form.person
    qtbot.waitUntil(lambda: len(sim.commands) >= 3 and sim.commands[-1] == (0x30, 0x01), timeout=5000)
    qtbot.keyClicks(person.phone, "9")  # typed while the reader is busy with the card
    assert person.phone.text() == "138001380009" and person.name.text() == ""
    qtbot.waitUntil(lambda: person.name.text() == "张三丰", timeout=5000)
    assert emitted_on and emitted_on[0] is not threading.main_thread()
    assert person.id_no.text() == resident_id("31010419800101001")
    assert person.id_type.currentData() == "resident_id"
    assert [person.source(f) for f in ("name", "id_type", "id_no", "phone")] == ["读卡", "读卡", "读卡", "手工"]
    assert person.source_label.text() == "读卡：姓名、证件类型、证件号码"
    assert "已读取申请人身份证" in w.message_label.text()
    # the card left on the reader is not read into the form again; a typed change makes the field 手工
    qtbot.keyClicks(person.name, "x")
    assert person.source("name") == "手工" and person.source("id_no") == "读卡"
    qtbot.wait(1200)
    assert person.name.text() == "张三丰x"
    assert "手工：姓名" in person.source_label.text()


def test_agent_card_fills_the_agent(qtbot, reader_window, sim):
    w = reader_window
    qtbot.waitUntil(lambda: w.idcard_state.text() == "读卡器就绪", timeout=5000)
    w.form.agent_group.setChecked(True)
    sim.card = SimCard(name="李四", id_no=resident_id("31010419900101123"))
    qtbot.waitUntil(lambda: w.form.agent.name.text() == "李四", timeout=5000)
    assert w.form.agent.source("id_no") == "读卡" and w.form.person.name.text() == ""
    assert w.form.person.source("name") == "手工"


def test_expired_card_needs_the_clerks_confirmation(qtbot, reader_window, sim, quiet_presenter):
    w = reader_window
    qtbot.waitUntil(lambda: w.idcard_state.text() == "读卡器就绪", timeout=5000)
    sim.card = SimCard(valid_from="20000101", valid_to="20200101")  # UI tests run on 2026-03-10
    qtbot.waitUntil(lambda: len(quiet_presenter.questions) == 1, timeout=5000)
    assert "已过有效期" in quiet_presenter.questions[0][1] and "2020-01-01" in quiet_presenter.questions[0][1]
    assert w.form.person.name.text() == "" and "已过期" in w.message_label.text()
    sim.card = None  # taken away, placed again: this time the clerk confirms
    qtbot.wait(1000)
    quiet_presenter.answers.append(True)
    sim.card = SimCard(valid_from="20000101", valid_to="20200101")
    qtbot.waitUntil(lambda: w.form.person.name.text() == "张三丰", timeout=5000)
    assert len(quiet_presenter.questions) == 2 and "经窗口人员确认" in w.message_label.text()


def test_an_accepted_intake_from_a_read_card(qtbot, reader_window, sim, services):
    w = reader_window
    qtbot.waitUntil(lambda: w.idcard_state.text() == "读卡器就绪", timeout=5000)
    pick_matter(qtbot, w, "jzzqz")
    assert w.matter is not None
    sim.card = SimCard()
    qtbot.waitUntil(lambda: w.form.person.name.text() == "张三丰", timeout=5000)
    qtbot.keyClicks(w.form.person.phone, "13800138000")
    w.focus_materials()
    for _ in range(w.checklist.rowCount()):
        qtbot.keyClick(w.checklist, Qt.Key.Key_Space)
    result = wait_intake(qtbot, w, lambda: ctrl_enter(qtbot, w.form.person.phone))
    assert result is not None, w.message_label.text()
    record = services.case_record(case_no=result.case_no)
    assert (record.applicant.name, record.applicant.id_no) == ("张三丰", resident_id("31010419800101001"))
    # the next applicant starts with an empty, unmarked form, though the card still lies on the reader
    assert w.form.person.name.text() == "" and w.form.person.source("name") == "手工"


def test_a_missing_reader_is_said_on_the_status_bar(qtbot, services, clerk, print_log):
    from desktop.ui.main_window import MainWindow

    services.set_setting("idcard_port", "/dev/no-such-reader")
    w = MainWindow(services, clerk)
    qtbot.addWidget(w)
    try:
        qtbot.waitUntil(lambda: "未找到身份证阅读器" in w.idcard_state.text(), timeout=5000)
        assert w.form.person.name.text() == ""
    finally:
        w.close()


def test_no_port_no_poller(window):
    assert window.idcard_poller is None and window.idcard_state.text() == "未设置读卡器"
