"""帮助 → 自检: the same checks as `yichuang doctor`, one line each, with 复制 (the text for a support call) and
重新检查. The checks run on the network thread (the centre may take seconds to answer); the GUI never waits."""

from __future__ import annotations

import sys

from desktop.ui.qt import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPrinterInfo,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from desktop.ui.tasks import NetOp


def qt_printers():
    """The printers Qt sees (Windows has no lpstat); None where CUPS answers for itself."""
    if sys.platform != "win32":
        return None
    from desktop.core.doctor import Printers

    ready = {p.printerName(): p.state() != QPrinterInfo.PrinterState.Error for p in QPrinterInfo.availablePrinters()}
    return Printers(ready=ready, default=QPrinterInfo.defaultPrinterName())


class DoctorDialog(QDialog):
    """The self-check: `checks` holds the last run's results, `text` what 复制 puts on the clipboard."""

    def __init__(self, parent: QWidget | None, services) -> None:
        super().__init__(parent)
        self.services = services
        self.checks: list = []
        self.text = ""
        self.setWindowTitle("自检")
        self.setObjectName("doctorDialog")
        layout = QVBoxLayout(self)
        self.summary = QLabel("正在检查…", self)
        self.summary.setObjectName("doctorSummary")
        layout.addWidget(self.summary)
        self.report = QPlainTextEdit(self)
        self.report.setObjectName("doctorReport")
        self.report.setReadOnly(True)
        layout.addWidget(self.report)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton("复制", self)
        self.copy_button.setToolTip("复制全部结果，粘贴给技术支持")
        self.again_button = QPushButton("重新检查", self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.again_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy)
        self.again_button.clicked.connect(self.run)
        layout.addWidget(buttons)
        self.resize(820, 560)
        self.run()

    def run(self) -> None:
        self.again_button.setEnabled(False)
        self.copy_button.setEnabled(False)
        self.summary.setText("正在检查…（连接中心可能需要几秒）")
        printers = qt_printers()
        NetOp(self, lambda svc: svc.doctor(printers=printers)).success(self._show).failure(self._failed).run()

    def _show(self, checks) -> None:
        from desktop.core.doctor import as_text

        self.checks = list(checks)
        self.text = as_text(self.checks)
        lines = self.text.splitlines()
        self.summary.setText(lines[0])
        self.report.setPlainText("\n".join(lines[1:]))
        self.again_button.setEnabled(True)
        self.copy_button.setEnabled(True)

    def _failed(self, error) -> None:
        self.summary.setText(f"自检未能完成：{getattr(error, 'message', error)}")
        self.again_button.setEnabled(True)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.text)
        self.summary.setText(self.summary.text().split("（")[0] + "（已复制）")
