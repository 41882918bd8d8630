"""The intake window feeds the applicant's screen (a mixin of MainWindow): what the clerk enters shows there
as he enters it (masked), and at the end of a visit the applicant rates on it (the clerk's F11 dialog stays
as the fallback, recorded as such)."""

from __future__ import annotations

from desktop.core.errors import YichuangError
from desktop.ui.qt import QGuiApplication, QLineEdit


class ApplicantScreenFeed:
    """`self` is the MainWindow (services, matter, form, checklist, status)."""

    applicant_screen = None

    def start_applicant_screen(self, force: bool | None = None) -> bool:
        """Open the applicant's screen as the setting `applicant_screen` and the screens say (`force` overrides);
        True when it is open."""
        from desktop.ui.applicant_screen import ApplicantScreen, wants_screen

        wanted = force if force is not None else wants_screen(self.services.setting("applicant_screen"),
                                                              len(QGuiApplication.screens()))
        if not wanted:
            return False
        if self.applicant_screen is None:
            self.applicant_screen = ApplicantScreen(self.services, self)
            self.applicant_screen.rated.connect(self._rated_on_screen)
            self.checklist.changed.connect(self.feed_applicant_screen)
            for edit in self.form.findChildren(QLineEdit):
                edit.textChanged.connect(self.feed_applicant_screen)
            self.intake_finished.connect(self._invite_after_intake)
        self.applicant_screen.place()
        self.feed_applicant_screen()
        return True

    def stop_applicant_screen(self) -> None:
        if self.applicant_screen is not None:
            self.applicant_screen.close()

    def feed_applicant_screen(self, *_args) -> None:
        screen = self.applicant_screen
        if screen is None or screen.asking:
            return  # the applicant is rating: the next intake does not take his pad away
        if self.matter is None:
            screen.show_welcome()
            return
        states = [(spec.name, spec.required, self.checklist.state(row)) for row, spec in enumerate(self.checklist.specs)]
        promised = None
        try:
            promised = self.services.promised_preview(matter=self.matter)
        except YichuangError:
            pass
        screen.show_intake(matter=self.matter, applicant=self.form.intake_part().get("applicant", {}), states=states,
                           promised=promised)

    def invite_rating(self, case_no: str, occasion: str | None = None) -> None:
        """The end of a visit: the applicant rates on his screen; without one the clerk's dialog opens."""
        if self.applicant_screen is not None and self.applicant_screen.isVisible():
            self.applicant_screen.ask_rating(case_no, occasion)
            self.status.set_activity(f"请申请人在评价屏上评价（{case_no}）；评价屏不可用时按 F11 代录")
            return
        self.open_rating(case_no)

    def _invite_after_intake(self, result) -> None:
        if result is not None and self.applicant_screen is not None:
            self.invite_rating(result.case_no, "intake")

    def _rated_on_screen(self, record) -> None:
        self.set_message(f"申请人已在评价屏评价：{record.case_no} {record.level}", "ok")
        self.data_changed.emit("ratings")
