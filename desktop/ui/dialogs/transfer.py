"""材料流转: accepted cases waiting by department → a batch (online or express) → manifest → sent.

签收 and 退回 are the department's, at the centre: the window shows each batch's state as the centre reports it
(desktop/core/sync/loop.py applies the `transfers` stream): signed, or returned with the department's reason
(the returned cases are back on the pile)."""

from __future__ import annotations

from desktop.core.cases.transfers import CHANNELS, NEXT, STATES
from desktop.core.errors import YichuangError
from desktop.ui.dialogs.base import ctrl_enter_does, error_label, error_text, read_only_table, set_note
from desktop.ui.feedback import print_with_preview
from desktop.ui.qt import (
    QBrush,
    QColor,
    QComboBox,
    QDialog,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    Qt,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
    Signal,
)
from desktop.ui.tasks import DbOp

PILE_HEADERS = ("办件编号", "事项", "申请人", "受理时间", "材料")
BATCH_HEADERS = ("流转单号", "承接部门", "方式", "快递单号", "件数", "状态", "生成时间", "部门答复时间", "退回原因")
STATE_COLUMN, REASON_COLUMN = 5, 8
STATE_COLOURS = {"waiting": "#8a5a00", "sent": "#0d3a66", "signed": "#1b5e20", "returned": "#b00020"}


def state_text(state: str, waiting_upload: bool = False) -> str:
    """A batch's state as the clerk reads it: the window's own steps, then the department's answer."""
    if state == "sent":
        return "已发送（待上传中心）" if waiting_upload else "已发送，待部门签收"
    return {"signed": "部门已签收", "returned": "部门已退回"}.get(state, STATES.get(state, state))


class TransferDialog(QDialog):
    """Reads the pile and the batches through the services; every change runs on the writer.

    `changed()` fires after each stored change (the main window refreshes its outbox view on it).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None, services, clerk) -> None:
        super().__init__(parent)
        self.services = services
        self.clerk = clerk
        self.setWindowTitle("材料流转")
        self.setObjectName("transferDialog")

        # ----- the pile
        self.pile = QTreeWidget(self)
        self.pile.setObjectName("transferPile")
        self.pile.setHeaderLabels(PILE_HEADERS)
        self.pile.setRootIsDecorated(True)
        self.pile.setUniformRowHeights(True)
        self.pile.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.pile.header().setStretchLastSection(True)
        self.channel_combo = QComboBox(self)
        self.channel_combo.setObjectName("channelCombo")
        for key, label in CHANNELS.items():
            self.channel_combo.addItem(label, key)
        self.tracking_edit = QLineEdit(self)
        self.tracking_edit.setObjectName("trackingEdit")
        self.tracking_edit.setPlaceholderText("快递单号：扫描或输入（快递寄送时填写）")
        self.create_button = QPushButton("生成流转单（Ctrl+Enter）", self)
        self.create_button.setObjectName("acceptButton")
        ctrl_enter_does(self, self.create_batch)
        self.create_button.clicked.connect(self.create_batch)
        self.pile_summary = QLabel("", self)
        self.pile_summary.setObjectName("hintLabel")
        pile_box = QGroupBox("待流转办件（空格勾选，勾选部门即全选该部门）", self)
        pile_col = QVBoxLayout(pile_box)
        pile_col.addWidget(self.pile, 1)
        pile_col.addWidget(self.pile_summary)
        make = QHBoxLayout()
        make.addWidget(QLabel("流转方式", self))
        make.addWidget(self.channel_combo)
        make.addWidget(self.tracking_edit, 1)
        make.addWidget(self.create_button)
        pile_col.addLayout(make)

        # ----- the batches
        self.batches = read_only_table(self, "transferBatches", BATCH_HEADERS, alternating=False, tab_leaves=False)
        self.batches.itemSelectionChanged.connect(self._update_buttons)
        self.channel_combo.currentIndexChanged.connect(lambda _i: self._update_tracking())
        self.print_button = QPushButton("打印流转清单（Ctrl+P）", self)
        self.print_button.setShortcut("Ctrl+P")
        self.print_button.clicked.connect(self.print_manifest)
        self.sent_button = QPushButton("标记已发送", self)
        self.sent_button.clicked.connect(lambda: self.advance("sent"))
        self.batch_detail = QLabel("", self)
        self.batch_detail.setObjectName("batchDetail")
        self.batch_detail.setWordWrap(True)
        self.batch_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        batch_box = QGroupBox("流转单（签收、退回由承办部门在中心办理，同步后在此显示）", self)
        batch_col = QVBoxLayout(batch_box)
        batch_col.addWidget(self.batches, 1)
        batch_col.addWidget(self.batch_detail)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.print_button)
        actions.addWidget(self.sent_button)
        batch_col.addLayout(actions)

        self.message = error_label(self)
        self.message.setObjectName("messageLine")
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(pile_box)
        splitter.addWidget(batch_box)
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.message)
        self.pile.itemChanged.connect(self._item_changed)
        self.resize(1200, 780)
        self.refresh()
        self.pile.setFocus()

    # ----- reading
    def refresh(self) -> None:
        self._fill_pile()
        self._fill_batches()
        self._update_buttons()

    def _fill_pile(self) -> None:
        self.pile.blockSignals(True)
        self.pile.clear()
        try:
            pile = self.services.awaiting_transfer_cases()
        except YichuangError as e:
            self.pile.blockSignals(False)
            self.show_message(e.message)
            return
        total = 0
        for dept, cases in sorted(pile.items()):
            top = QTreeWidgetItem([f"{dept}（{len(cases)} 件）"])
            top.setData(0, Qt.ItemDataRole.UserRole, ("department", dept))
            top.setFlags(top.flags() | Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsAutoTristate)
            top.setCheckState(0, Qt.CheckState.Unchecked)
            self.pile.addTopLevelItem(top)
            for c in cases:
                cols = [c.case_no, c.matter_name, c.applicant_name, f"{c.received_at:%m-%d %H:%M}",
                        f"{len(c.materials)} 项"]
                child = QTreeWidgetItem(cols)
                child.setData(0, Qt.ItemDataRole.UserRole, ("case", c.case_no))
                child.setFlags(child.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                child.setCheckState(0, Qt.CheckState.Unchecked)
                top.addChild(child)
            top.setExpanded(True)
            total += len(cases)
        self.pile.blockSignals(False)
        if self.pile.topLevelItemCount():
            self.pile.setCurrentItem(self.pile.topLevelItem(0))
        self.pile_summary.setText(
            f"共 {total} 件待流转，分属 {len(pile)} 个承接部门" if total else "没有待流转的办件"
        )

    def _fill_batches(self) -> None:
        selected = self.selected_batch()
        try:
            queued = self.services.transfers_queued()
        except YichuangError as e:
            self.show_message(e.message)
            return
        self._batches = [b for b, _q in queued]
        self._queued = {b.batch_no for b, q in queued if q}
        self.batches.setRowCount(len(queued))
        for row, (b, waiting_upload) in enumerate(queued):
            cells = [
                b.batch_no,
                b.department,
                CHANNELS.get(b.channel, b.channel),
                b.tracking_no or "—",
                str(len(b.cases)),
                state_text(b.state, waiting_upload),
                f"{b.created_at:%m-%d %H:%M}",
                f"{b.closed_at:%m-%d %H:%M}" if b.closed_at and b.state in ("signed", "returned") else "—",
                b.return_reason if b.state == "returned" else "",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if text:
                    item.setToolTip(text)
                if col in (STATE_COLUMN, REASON_COLUMN):
                    item.setForeground(QBrush(QColor(STATE_COLOURS.get(b.state, "#1a1a1a"))))
                self.batches.setItem(row, col, item)
            if b.batch_no == selected:
                self.batches.selectRow(row)

    def batch_text(self, batch_no: str) -> str:
        """The selected batch in one sentence, as the centre reported it."""
        b = self._batch_info(batch_no)
        if b is None:
            return ""
        when = f"{b.closed_at:%Y-%m-%d %H:%M}" if b.closed_at else ""
        if b.state == "returned":
            return (f"流转单 {b.batch_no} 已被{b.department}于 {when} 退回，退回原因：{b.return_reason}。"
                    f"其中 {len(b.cases)} 件已回到待流转，补齐后可重新流转。")
        if b.state == "signed":
            return f"流转单 {b.batch_no} 已由{b.department}于 {when} 签收，办件进入审查。"
        if b.state == "sent":
            return (f"流转单 {b.batch_no} 已发送，正在等待上传中心。" if b.batch_no in self._queued
                    else f"流转单 {b.batch_no} 已送达中心，等待{b.department}签收。")
        return f"流转单 {b.batch_no} 待发送：打印流转清单后标记已发送。"

    def checked_cases(self) -> dict[str, list[str]]:
        """{department: [case numbers]} of what is ticked in the pile."""
        out: dict[str, list[str]] = {}
        for i in range(self.pile.topLevelItemCount()):
            top = self.pile.topLevelItem(i)
            dept = top.data(0, Qt.ItemDataRole.UserRole)[1]
            for j in range(top.childCount()):
                child = top.child(j)
                if child.checkState(0) == Qt.CheckState.Checked:
                    out.setdefault(dept, []).append(child.data(0, Qt.ItemDataRole.UserRole)[1])
        return out

    def check_case(self, case_no: str, on: bool = True) -> bool:
        for i in range(self.pile.topLevelItemCount()):
            top = self.pile.topLevelItem(i)
            for j in range(top.childCount()):
                child = top.child(j)
                if child.data(0, Qt.ItemDataRole.UserRole)[1] == case_no:
                    child.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
                    return True
        return False

    def selected_batch(self) -> str:
        rows = {i.row() for i in self.batches.selectedItems()}
        if not rows:
            return ""
        item = self.batches.item(min(rows), 0)
        return item.text() if item else ""

    def select_batch(self, batch_no: str) -> bool:
        for row in range(self.batches.rowCount()):
            if self.batches.item(row, 0).text() == batch_no:
                self.batches.selectRow(row)
                return True
        return False

    def _batch_info(self, batch_no: str):
        return next((b for b in getattr(self, "_batches", []) if b.batch_no == batch_no), None)

    def _item_changed(self, _item, _col) -> None:
        picked = self.checked_cases()
        n = sum(len(v) for v in picked.values())
        self.create_button.setEnabled(n > 0)
        if n:
            self.show_message(f"已勾选 {n} 件（{'、'.join(picked)}）", ok=True)

    def _update_buttons(self) -> None:
        info = self._batch_info(self.selected_batch())
        allowed = NEXT.get(info.state, ()) if info else ()
        self.sent_button.setEnabled("sent" in allowed)
        self.batch_detail.setText(self.batch_text(info.batch_no) if info else "")
        self.batch_detail.setObjectName("errorLabel" if info is not None and info.state == "returned"
                                       else "hintLabel")
        self.batch_detail.style().unpolish(self.batch_detail)
        self.batch_detail.style().polish(self.batch_detail)
        self.print_button.setEnabled(info is not None and hasattr(self.services, "print_transfer_manifest"))
        if not hasattr(self.services, "print_transfer_manifest"):
            self.print_button.setToolTip("本版本尚不支持打印流转清单")
        self.create_button.setEnabled(bool(self.checked_cases()))
        self._update_tracking()

    def _update_tracking(self) -> None:
        """The tracking-number field is open for a new express batch, or for an express batch about to be sent."""
        info = self._batch_info(self.selected_batch())
        needs = (
            info is not None
            and info.channel == "express"
            and info.state == "waiting"
            and not info.tracking_no
        )
        self.tracking_edit.setEnabled(self.channel_combo.currentData() == "express" or needs)
        if needs:
            self.tracking_edit.setPlaceholderText(
                f"流转单 {info.batch_no} 尚无快递单号：扫描或输入后再标记已发送"
            )
        else:
            self.tracking_edit.setPlaceholderText("快递单号：扫描或输入（选“快递寄送”时填写）")

    def show_message(self, text: str, ok: bool = False) -> None:
        set_note(self.message, text, ok)

    # ----- writing (on the writer)
    def _busy(self, busy: bool) -> None:
        self.setEnabled(not busy)

    def create_batch(self) -> None:
        picked = self.checked_cases()
        if not picked:
            self.show_message("请先在待流转办件中勾选（空格）要流转的办件")
            self.pile.setFocus()
            return
        if len(picked) > 1:
            self.show_message("一张流转单只能发往一个承接部门：请只勾选同一部门的办件")
            return
        ((dept, case_nos),) = picked.items()
        channel = self.channel_combo.currentData()
        self._busy(True)
        args = dict(department=dept, case_nos=case_nos, channel=channel, clerk=self.clerk, tracking_no=self.tracking_edit.text().strip() if channel == "express" else "")
        DbOp(self, lambda svc: svc.create_transfer(**args)).on_done(self._created).run()

    def _created(self, info, error) -> None:
        self._busy(False)
        if error is not None:
            self.show_message(error_text(error))
            return
        self.tracking_edit.clear()
        self.refresh()
        self.select_batch(info.batch_no)
        self.show_message(
            f"已生成流转单 {info.batch_no}（{info.department}，{len(info.cases)} 件）。"
            + ("可打印流转清单后标记已发送" if hasattr(self.services, "print_transfer_manifest") else ""),
            ok=True,
        )
        self.batches.setFocus()
        self.changed.emit()

    def advance(self, state: str) -> None:
        """Move the selected batch on: the window only sends (签收/退回 are refused by the services)."""
        batch_no = self.selected_batch()
        if not batch_no:
            self.show_message("请先在流转单列表中选择一张流转单")
            return
        info = self._batch_info(batch_no)
        tracking = None
        if state == "sent" and info is not None and info.channel == "express":
            typed = self.tracking_edit.text().strip()
            tracking = typed or info.tracking_no
            if not tracking:
                self.show_message("快递寄送须填写快递单号：请在上方“快递单号”中扫描或输入")
                self.tracking_edit.setFocus()
                return
        self._busy(True)
        args = dict(batch_no=batch_no, state=state, clerk=self.clerk, tracking_no=tracking)
        DbOp(self, lambda svc: svc.advance_transfer(**args)).on_done(self._advanced).run()

    def _advanced(self, info, error) -> None:
        self._busy(False)
        if error is not None:
            self.show_message(error_text(error))
            return
        if info.state == "sent":
            self.tracking_edit.clear()
        self.refresh()
        self.select_batch(info.batch_no)
        self.show_message(f"流转单 {info.batch_no} 已标记为“{STATES[info.state]}”", ok=True)
        self.changed.emit()

    def print_manifest(self) -> None:
        batch_no = self.selected_batch()
        if not batch_no or not hasattr(self.services, "print_transfer_manifest"):
            return
        self._busy(True)
        args = dict(batch_no=batch_no, clerk=self.clerk)
        DbOp(self, lambda svc: svc.print_transfer_manifest(**args)).on_done(self._printed).run()

    def _printed(self, document, error) -> None:
        self._busy(False)
        if error is not None:
            self.show_message(error_text(error))
            return
        self.last_manifest = str(getattr(document, "path", document))
        print_with_preview(self, self.last_manifest)
        self.show_message(f"流转清单已生成：{self.last_manifest}", ok=True)
