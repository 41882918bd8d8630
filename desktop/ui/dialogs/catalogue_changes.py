"""目录更新: what a new catalogue version changed per matter (materials added, removed, changed; limits), shown
to each clerk until he acknowledges it (已阅); the current version stays on the status bar."""

from __future__ import annotations

from desktop.ui.qt import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget, Signal
from desktop.ui.tasks import DbOp, QueryOp

KIND_LABELS = {"added": "新增", "removed": "取消", "changed": "变更"}


def changes_html(changes) -> str:
    parts = []
    for m in changes.matters:
        items = "".join(f"<li>{d}</li>" for d in m.details)
        parts.append(f"<p><b>【{KIND_LABELS[m.kind]}】{m.name}</b>（{m.code}）</p><ul>{items}</ul>")
    return "".join(parts) or "<p>本次更新未改变各事项的材料和时限。</p>"


class CatalogueChangesDialog(QDialog):
    acknowledged = Signal(str)

    def __init__(self, parent: QWidget | None, services, clerk, changes) -> None:
        super().__init__(parent)
        self.services, self.clerk, self.changes = services, clerk, changes
        self.setWindowTitle(f"事项目录已更新：{changes.version}")
        self.resize(720, 560)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"事项目录由 {changes.previous} 更新为 {changes.version}，"
                             f"共 {len(changes.matters)} 个事项有变化。请阅读后点“已阅”。", self))
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("catalogueChanges")
        self.browser.setHtml(changes_html(changes))
        lay.addWidget(self.browser)
        buttons = QDialogButtonBox(self)
        self.ack_button = buttons.addButton("已阅", QDialogButtonBox.ButtonRole.AcceptRole)
        self.later_button = buttons.addButton("稍后", QDialogButtonBox.ButtonRole.RejectRole)
        self.ack_button.clicked.connect(self.acknowledge)
        self.later_button.clicked.connect(self.reject)
        lay.addWidget(buttons)

    def acknowledge(self) -> int:
        version, clerk = self.changes.version, self.clerk

        def done(_r) -> None:
            self.acknowledged.emit(version)
            self.accept()

        return DbOp(self, lambda svc: svc.acknowledge_catalogue(version=version, clerk=clerk)).success(done).run()


def check_catalogue_changes(window) -> int:
    """Read (off the GUI thread) whether the current catalogue has changes the clerk has not acknowledged;
    if so, open the dialog on `window` (the MainWindow)."""
    clerk = window.clerk

    def show(changes) -> None:
        if changes is not None and window.catalogue_dialog is None:
            dialog = CatalogueChangesDialog(window, window.services, clerk, changes)
            window.catalogue_dialog = dialog
            dialog.finished.connect(lambda _r: setattr(window, "catalogue_dialog", None))
            dialog.open()

    return QueryOp(window, lambda svc: svc.catalogue_changes(clerk=clerk)).success(show).run()
