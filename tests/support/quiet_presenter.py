"""A presenter that shows nothing: what the UI would have shown or printed is kept for the test to read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop.ui.feedback import Presenter


@dataclass(frozen=True)
class PrintRecord:
    """One PDF the UI asked to print."""

    pdf_path: str
    action: str  # always "recorded" here


class QuietPresenter(Presenter):
    """Messages are recorded, modal dialogs answer Cancel, file choosers answer what the test queued
    (or Cancel), and each print request is recorded instead of opening a preview."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []  # (title, text)
        self.printed: list[PrintRecord] = []
        self.files: list[str] = []  # answers for the next file choosers, in order
        self.answers: list[bool] = []  # answers for the next yes/no questions, in order (then: no)
        self.questions: list[tuple[str, str]] = []  # (title, text) of every question asked

    def message(self, parent, title: str, text: str, warning: bool = True) -> None:
        self.messages.append((title, text))

    def ask(self, parent, title: str, text: str) -> bool:
        self.questions.append((title, text))
        return self.answers.pop(0) if self.answers else False

    def open_file(self, parent, caption: str, filters: str) -> str:
        return self.files.pop(0) if self.files else ""

    def save_file(self, parent, caption: str, suggested: str, filters: str) -> str:
        return self.files.pop(0) if self.files else ""

    def exec(self, dialog) -> int:
        return 0

    def print_pdf(self, parent, pdf_path: Path) -> str:
        self.printed.append(PrintRecord(str(pdf_path), "recorded"))
        return "recorded"
