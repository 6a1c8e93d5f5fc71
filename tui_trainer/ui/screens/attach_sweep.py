"""Attach to a sweep: its folder picked from those under the sweeps folder (newest first) or typed, or a storage
URL; the Sweep tab then watches it, whoever started it."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option


class AttachSweep(ModalScreen[str | None]):
    """Pick a sweep folder or type one (or a storage URL): enter watches it, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, folders: list[Path], root: Path) -> None:
        super().__init__(classes="dialog-screen")
        self.folders = folders
        self.root = root

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide", id="attach-sweep"):
            yield Static("Watch a sweep: a folder, or a storage URL (postgresql://...)", classes="dialog-text")
            if self.folders:
                yield OptionList(*(Option(Text(str(p)), id=str(p)) for p in self.folders), id="attach-list")
            else:
                yield Static(f"No sweep folders in {self.root} yet.", classes="field-help", markup=False)
            yield Input(str(self.folders[0]) if self.folders else "", id="attach-target")
            yield Static("enter on a folder or in the field watches it, escape cancels", classes="field-help")

    def on_mount(self) -> None:
        lists = self.query("#attach-list")
        (lists.first() if lists else self.query_one("#attach-target")).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.query_one("#attach-target", Input).value = event.option.id

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
