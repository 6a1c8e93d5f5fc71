"""A modal with one opened sample: its image or features and every class's softmax probability as a bar."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

from tui_trainer.core.spec.inspection import Inspection, Sample
from tui_trainer.ui.widgets.footer import Footer
from tui_trainer.ui.widgets.sample_view import SampleView


class SampleDetail(ModalScreen[None]):
    """One sample, opened from the inspection's list; escape closes."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close")]

    def __init__(self, sample: Sample, inspection: Inspection) -> None:
        super().__init__(classes="dialog-screen")
        self.sample, self.inspection = sample, inspection

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog", id="sample-detail"):
            yield SampleView()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SampleView).show(self.sample, self.inspection)
        self.query_one("#sample-detail").focus()
