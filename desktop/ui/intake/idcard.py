"""The ID card reader at the intake window (a mixin of MainWindow): a placed card fills the applicant's
(or, while the agent section is open, the agent's) name, ID type and number, marked 读卡; an expired card
is used only when the clerk confirms it."""

from __future__ import annotations

from desktop.ui.feedback import presenter
from desktop.ui.qt import QLabel

NO_READER = "未设置读卡器"


class IdCardIntake:
    """`self` is the MainWindow (services, form, status, set_message)."""

    idcard_poller = None

    def start_idcard_reader(self) -> None:
        """Start polling the reader named in the settings (idcard_port, idcard_baud); none: nothing runs."""
        from desktop.ui.idcard_poller import IdCardPoller

        self.stop_idcard_reader()
        self.idcard_state = getattr(self, "idcard_state", None) or QLabel(NO_READER, self)
        self.idcard_state.setObjectName("idcardState")
        self.status.addPermanentWidget(self.idcard_state)
        port = self.services.setting("idcard_port")
        if not port:
            self.idcard_state.setText(NO_READER)
            return
        self.idcard_state.setText("正在连接读卡器…")
        poller = IdCardPoller(port, int(self.services.setting("idcard_baud") or 115200), parent=self)
        poller.card_placed.connect(self.card_placed)
        poller.state.connect(self.idcard_state.setText)
        self.idcard_poller = poller
        poller.start()

    def stop_idcard_reader(self) -> None:
        if self.idcard_poller is not None:
            self.idcard_poller.stop()
            self.idcard_poller = None

    def card_placed(self, card) -> None:
        """A card was read (on the GUI thread): fill the form, after the clerk confirmed an expired card."""
        dialog = getattr(self, "active_dialog", None)
        if dialog is not None and dialog.isVisible() and hasattr(dialog, "use_card"):
            dialog.use_card(card)  # e.g. 网上预审件受理: the card finds its holder's online applications
            return
        if self.supplement_record is not None or self.intake_busy:
            self.set_message("补正或受理进行中，未读入身份证信息", "ok")
            return
        today = self.services.clock().date()
        if card.expired(today):
            question = (f"{card.name} 的居民身份证已过有效期（有效期至 {card.valid_to}）。\n"
                        "过期证件一般不能作为有效身份证明。确认仍按此证件填写申请信息吗？")
            if not presenter().ask(self, "身份证已过期", question):
                self.set_message(f"{card.name} 的身份证已过期（有效期至 {card.valid_to}），未填入", "error")
                return
        who = self.form.fill_from_card(card)
        note = "（证件已过期，经窗口人员确认）" if card.expired(today) else ""
        self.set_message(f"已读取{'代办人' if who == 'agent' else '申请人'}身份证：{card.name}{note}", "ok")
