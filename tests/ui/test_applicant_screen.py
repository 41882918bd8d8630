"""The applicant's screen: what the clerk ticks shows there (masked) as he ticks it, and the applicant rates
on it; the clerk's dialog is the recorded fallback.

YICHUANG_SCREENSHOT=1 also saves the screen as docs/screenshot-applicant.png."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from sqlalchemy import select

from db.local.models import OutboxOp
from desktop.ui.applicant_screen import wants_screen
from tests.support.clerk_actions import commit_text, ctrl_enter, fill_person, pick_matter, wait_intake
from tests.support.ids import ZHANG_SAN_ID

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-applicant.png"


def screen_texts(screen) -> str:
    return "\n".join(label.text() for label in screen.findChildren(QLabel) if label.isVisible())


def test_the_screen_opens_on_a_second_screen_or_when_set():
    assert wants_screen("", 2) and wants_screen("1", 1) and wants_screen("1", 2)
    assert not wants_screen("", 1) and not wants_screen("0", 2)


def test_the_screen_is_off_by_default_on_one_screen(window):
    assert window.applicant_screen is None  # offscreen has one screen and the setting is empty


def test_the_checklist_forms_live_masked_then_the_applicant_rates(qtbot, window, services):
    assert window.start_applicant_screen(force=True)
    screen = window.applicant_screen
    qtbot.waitExposed(screen)
    assert WELCOME_SHOWN(screen)
    pick_matter(qtbot, window, "jzzqz")  # 居住证签注: two required materials
    fill_person(qtbot, window)
    qtbot.keyClicks(window.form.person.phone, "13800138000")
    shown = screen_texts(screen)
    assert "居住证签注" in shown and "张三" in shown
    assert ZHANG_SAN_ID not in shown and "13800138000" not in shown  # masked as on paper
    assert ZHANG_SAN_ID[:6] in shown and "138****8000" in shown
    names = [s.name for s in window.checklist.specs]
    assert screen.missing_label.text() == "缺少：" + "、".join(names)
    assert screen.missing_label.palette().color(screen.missing_label.foregroundRole()).red() > 150  # red

    window.focus_materials()
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)  # the first one handed over
    assert screen.missing_label.text() == "缺少：" + names[1]
    qtbot.keyClick(window.checklist, Qt.Key.Key_Space)
    assert not screen.missing_label.isVisible()
    assert "当场办结" in screen.promised_label.text()  # 居住证签注 is done on the spot

    result = wait_intake(qtbot, window, lambda: ctrl_enter(qtbot, window.form.person.phone))
    assert result is not None and result.outcome == "completed"
    qtbot.waitUntil(lambda: screen.asking, timeout=5000)
    assert screen.overall.checkedId() == -1 and all(g.checkedId() == -1 for g in screen.dimensions.values())
    if os.environ.get("YICHUANG_SCREENSHOT"):
        screen.resize(1280, 800)
        screen.grab().save(str(SCREENSHOT))

    qtbot.mouseClick(screen.submit_button, Qt.MouseButton.LeftButton)  # nothing chosen: nothing stored
    assert "请先选择总体评价" in screen.pad_note.text() and services.ratings() == []

    qtbot.mouseClick(screen.findChild(type(screen.submit_button), "overall4"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(screen.findChild(type(screen.submit_button), "efficiency5"), Qt.MouseButton.LeftButton)
    commit_text(screen.comment_edit, "很快")
    with qtbot.waitSignal(screen.rated, timeout=10_000):
        qtbot.mouseClick(screen.submit_button, Qt.MouseButton.LeftButton)
    [rating] = services.ratings()
    assert (rating.case_no, rating.overall, rating.efficiency, rating.service, rating.source) == (
        result.case_no, 4, 5, None, "applicant_screen")
    assert rating.comment == "很快" and rating.occasion == "intake"
    op = next(o for o in services.outbox() if o.kind == "rating.recorded")
    with services.Reader() as s:
        payload = json.loads(s.scalar(select(OutboxOp.payload).where(OutboxOp.op_id == op.op_id)))
    assert payload["source"] == "applicant_screen"
    history = services.case_history(case_no=result.case_no)
    assert any(e == "rated" and "申请人评价屏" in d for _, _, e, d in history)


def WELCOME_SHOWN(screen) -> bool:  # noqa: N802
    return screen.stack.currentIndex() == 0


def test_skipping_records_nothing_and_the_next_intake_shows_again(qtbot, window, services):
    window.start_applicant_screen(force=True)
    screen = window.applicant_screen
    screen.ask_rating("X", "intake")
    with qtbot.waitSignal(screen.skipped):
        qtbot.mouseClick(screen.skip_button, Qt.MouseButton.LeftButton)
    assert not screen.asking and services.ratings() == []
    pick_matter(qtbot, window, "jzzqz")
    assert screen.stack.currentIndex() == 1


def test_the_clerk_dialog_is_recorded_as_the_fallback(qtbot, window, services, clerk):
    intake = {"matter": "SH-PER-002", "materials": {"ID": "paper"},
              "applicant": {"kind": "person", "name": "张三", "id_type": "resident_id", "id_no": ZHANG_SAN_ID}}
    case_no = services.accept_application(intake=intake, clerk=clerk).case_no
    window.open_rating(case_no)
    dialog = window.active_dialog
    assert "窗口代录" in screen_texts(dialog)
    dialog.choose(5)
    with qtbot.waitSignal(dialog.rated, timeout=10_000):
        dialog.ok_button.click()
    [rating] = services.ratings()
    assert rating.source == "clerk_fallback"


def test_a_rating_source_other_than_the_two_is_refused(services, clerk):
    import pytest

    from desktop.core.errors import BadInput

    intake = {"matter": "SH-PER-002", "materials": {"ID": "paper"},
              "applicant": {"kind": "person", "name": "张三", "id_type": "resident_id", "id_no": ZHANG_SAN_ID}}
    case_no = services.accept_application(intake=intake, clerk=clerk).case_no
    with pytest.raises(BadInput) as e:
        services.record_rating(case_no=case_no, overall=5, source="typed_by_clerk")
    assert e.value.field == "source" and services.ratings() == []
