"""Benchmark: a scripted keyboard-only intake of a 4-material matter in the GUI (offscreen), first key → case stored + voucher.

Run: .venv/bin/python tests/benchmarks/bench_keyboard_intake.py [--runs 20] [--budget 1.0]
Each intake: type "jzzbl" in the matter search, Enter, the name as an input-method commit, Tab Tab, the ID
number, Tab, the phone, F4, Space ×4, Ctrl+Enter; the clock stops when the writer thread reports the case
stored and its documents rendered (intake_finished). Key events are sent as fast as Qt takes them, so this
is machine time, not a clerk's typing time. Two warm-up intakes are not counted. Exits 1 over budget.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--budget", type=float, default=1.0, help="seconds allowed for the median")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    sys.path.insert(0, str(ROOT))

    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtGui import QInputMethodEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop.core.services import Services, init_store
    from desktop.ui.app import create_application
    from desktop.ui.feedback import use_presenter
    from desktop.ui.main_window import MainWindow
    from tests.support.ids import resident_check_char
    from tests.support.quiet_presenter import QuietPresenter

    app = create_application([])
    use_presenter(QuietPresenter())  # no print preview opens: the voucher is only recorded
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        init_store(home, centre_code="310104", window_no="01", demo=True)
        services = Services(home)
        clerk = services.login(login="demo", password="demo1234")
        window = MainWindow(services, clerk)
        window.resize(1440, 900)
        window.show()
        window.activateWindow()
        QTest.qWaitForWindowExposed(window)
        window.sync.stop()  # no background sync rounds during the measurement
        finished: list[object] = []
        window.intake_finished.connect(finished.append)

        def key(k, mods=Qt.KeyboardModifier.NoModifier) -> None:
            QTest.keyClick(QApplication.focusWidget(), k, mods)

        def one_intake(i: int) -> tuple[float, float]:
            body = f"31010419900101{i % 1000:03d}"
            id_no = body + resident_check_char(body)
            finished.clear()
            loop = QEventLoop()
            window.intake_finished.connect(loop.quit)
            t0 = time.perf_counter()
            QTest.keyClicks(QApplication.focusWidget(), "jzzbl")
            key(Qt.Key.Key_Return)
            ime = QInputMethodEvent()
            ime.setCommitString("张三")
            QApplication.sendEvent(QApplication.focusWidget(), ime)
            key(Qt.Key.Key_Tab)
            key(Qt.Key.Key_Tab)
            QTest.keyClicks(QApplication.focusWidget(), id_no)
            key(Qt.Key.Key_Tab)
            QTest.keyClicks(QApplication.focusWidget(), "13800138000")
            key(Qt.Key.Key_F4)
            for _ in range(4):
                key(Qt.Key.Key_Space)
            key(Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            t_sent = time.perf_counter()
            if not finished:
                QTimer.singleShot(10_000, loop.quit)
                loop.exec()
            t1 = time.perf_counter()
            window.intake_finished.disconnect(loop.quit)
            result = finished[0] if finished else None
            if result is None:
                raise RuntimeError(f"intake {i} was not stored: {window.message_label.text()}")
            assert result.outcome == "accepted", result
            assert any(d.kind == "voucher" and Path(d.path).is_file() for d in result.documents)
            record = services.case_record(case_no=result.case_no)
            assert [m.state for m in record.materials] == ["paper"] * 4, record.materials
            return t1 - t0, t_sent - t0

        totals, typing = [], []
        try:
            for i in range(args.warmup):
                one_intake(i)
            for i in range(args.warmup, args.warmup + args.runs):
                total, typed = one_intake(i)
                totals.append(total)
                typing.append(typed)
        finally:
            window.close()  # stops the writer thread
            services.close()
    median = statistics.median(totals)
    print(
        f"platform {os.environ['QT_QPA_PLATFORM']}; {args.runs} keyboard-only intakes of 居住证办理（首次申领）, 4 materials"
    )
    print("first key → case stored + voucher (s): " + ", ".join(f"{t:.3f}" for t in totals))
    print(
        f"median {median:.3f} s (min {min(totals):.3f}, max {max(totals):.3f}); "
        f"of which keys and GUI updates median {statistics.median(typing):.3f} s, "
        f"writer (check, store, render) median {statistics.median(totals) - statistics.median(typing):.3f} s; "
        f"budget {args.budget:.1f} s"
    )
    del app
    return 0 if median <= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
