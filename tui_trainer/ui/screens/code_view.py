"""A modal showing the experiment as a standalone PyTorch script; w writes it to a file."""

from __future__ import annotations

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_trainer.ui.widgets.footer import Footer


class CodeView(ModalScreen[bool]):
    """Read the generated script; w asks for a file name and writes it, escape closes."""

    BINDINGS = [
        Binding("escape,q", "dismiss(False)", "Close"),
        Binding("w", "dismiss(True)", "Write to a file"),
    ]

    def __init__(self, code: str, title: str) -> None:
        super().__init__(classes="dialog-screen")
        self.code, self.title_text = code, title

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog dialog-wide", id="code-scroll"):
            yield Static(self.title_text, classes="dialog-title", markup=False)
            yield Static(Syntax(self.code, "python", theme="ansi_dark", line_numbers=True), id="code")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code-scroll").focus()
