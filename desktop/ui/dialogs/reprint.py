"""补打: type or scan a case number and choose the document; the services mark the copy as a reprint.

A clerk may reprint the cases he took or continued (at any window of the centre); a supervisor any case of the
window: the services decide (desktop.core.documents.archive.reprint) and say why not.
"""

from __future__ import annotations

from desktop.core.labels import DOCUMENT_LABELS, PAPER_LABELS
from desktop.ui.dialogs.base import FormDialog, error_text
from desktop.ui.qt import QComboBox, QLineEdit, QWidget, Signal

REPRINT_KINDS = {k: DOCUMENT_LABELS[k] for k in
                 ("voucher", "one_time_notice", "acceptance_notice", "refusal_notice", "gap_promise")}
PAPERS = PAPER_LABELS


class ReprintDialog(FormDialog):
    """After accept(), `document` is the PrintedDocument the services produced.

    The copy is made on the writer; `refused(text)` fires when the message line says why nothing was printed."""

    refused = Signal(str)

    def __init__(self, parent: QWidget | None, services, clerk, case_no: str = "") -> None:
        super().__init__(parent, services, clerk, title="补打文书", ok_text="补打", min_width=480)
        self.document = None
        self.case_edit = QLineEdit(self)
        self.case_edit.setObjectName("reprintCaseEdit")
        self.case_edit.setPlaceholderText("输入或扫描办件编号")
        self.case_edit.setText(case_no)
        self.kind_combo = QComboBox(self)
        for key, label in REPRINT_KINDS.items():
            self.kind_combo.addItem(label, key)
        self.paper_combo = QComboBox(self)
        for key, label in PAPERS.items():
            self.paper_combo.addItem(label, key)
        self.form.addRow("办件编号", self.case_edit)
        self.form.addRow("文书", self.kind_combo)
        self.form.addRow("纸张", self.paper_combo)
        self.lay_out()

    def validate(self):
        return dict(case_no=self.case_edit.text().strip(), kind=self.kind_combo.currentData(),
                    paper=self.paper_combo.currentData())

    def act(self, v) -> None:
        args = dict(v, clerk=self.clerk)
        self.write(lambda svc: svc.reprint(**args), self._done, on_error=lambda e: self._refused(error_text(e)))

    def _done(self, document) -> None:
        self.document = document
        self.accept()

    def _refused(self, text: str) -> None:
        self.case_edit.selectAll()
        self.case_edit.setFocus()
        self.refused.emit(text)
