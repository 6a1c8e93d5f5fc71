"""Small modal dialogs: confirm an action, ask for one line of text, show a run's final metrics, the messages."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui_trainer.core.spec.metrics import ClassReport
from tui_trainer.ui.widgets.class_metrics import ClassMetrics
from tui_trainer.ui.widgets.confusion import ConfusionMatrix
from tui_trainer.ui.widgets.message_bar import LoggedMessage


class Confirm(ModalScreen[bool]):
    """Yes / no: y or enter confirms, n or escape cancels."""

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__(classes="dialog-screen")
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", id="yes", variant="error")
                yield Button("No (n)", id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class AskText(ModalScreen[str | None]):
    """One line of text (a preset name, a file name, a learning rate): enter accepts, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", check: Callable[[str], str] | None = None) -> None:
        """check: what is wrong with a text ("" when it is fine); a wrong text is said under the field and the
        dialog stays open with it."""
        super().__init__(classes="dialog-screen")
        self.question, self.value, self.check = question, value, check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text", markup=False)
            yield Input(self.value, id="answer")
            yield Static("", id="answer-error", classes="dialog-error", markup=False)
            yield Static("enter accepts, escape cancels", classes="field-help")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        problem = self.check(text) if self.check is not None and text else ""
        if problem:
            self.query_one("#answer-error", Static).update(problem)
            return
        self.dismiss(text or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RunDetails(ModalScreen[None]):
    """A saved run's final metrics panel: status, accuracies, confusion matrix and per-class metrics."""

    BINDINGS = [Binding("escape,q,enter", "close", "Close"), Binding("n", "toggle", "Counts/rates")]

    def __init__(self, title: str, lines: list[str], report: ClassReport | None) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.lines, self.report = title, lines, report
        self.normalised = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog dialog-wide"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static("\n".join(self.lines), classes="dialog-text", markup=False)
            yield ConfusionMatrix(id="details-confusion")
            yield ClassMetrics(id="details-metrics")
            yield Static("escape closes, n toggles counts / rates", classes="field-help")

    def on_mount(self) -> None:
        self.query_one(ConfusionMatrix).show(self.report)
        self.query_one(ClassMetrics).show(self.report)

    def action_toggle(self) -> None:
        self.normalised = not self.normalised
        self.query_one(ConfusionMatrix).show(self.report, self.normalised)

    def action_close(self) -> None:
        self.dismiss(None)


class MessageLog(ModalScreen[None]):
    """The session's messages, newest first (the top line shows each for a few seconds only)."""

    BINDINGS = [Binding("escape,q,enter", "close", "Close")]

    def __init__(self, entries: list[LoggedMessage]) -> None:
        super().__init__(classes="dialog-screen")
        self.entries = entries

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide", id="message-log"):
            yield Static("Messages (newest first; esc closes)", classes="dialog-title")
            with VerticalScroll(id="message-log-scroll"):
                yield Static(self._text(), id="message-log-text")

    def _text(self) -> Text:
        if not self.entries:
            return Text("No messages yet.", style="italic")
        text = Text()
        styles = {"error": "bold red", "warning": "bold yellow"}
        for entry in reversed(self.entries):
            if text:
                text.append("\n")
            text.append(entry.at.strftime("%H:%M:%S "), style="dim")
            if entry.severity in styles:
                text.append(f"{entry.severity}: ", style=styles[entry.severity])
            if entry.title:
                text.append(f"{entry.title}: ", style="bold")
            text.append(entry.text)
        return text

    def action_close(self) -> None:
        self.dismiss(None)
