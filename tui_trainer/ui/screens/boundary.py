"""A saved 2-D run's decision boundary in a dialog, computed where training runs from its best.pt."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui_trainer.core.spec.boundary import BoundaryMap
from tui_trainer.ui.widgets.boundary import BoundaryView


class BoundaryScreen(ModalScreen[None]):
    """Waits for the map (or why there is none), then draws it; escape closes."""

    BINDINGS = [Binding("escape,q,enter", "dismiss(None)", "Close")]

    def __init__(self, run_name: str) -> None:
        super().__init__(classes="dialog-screen")
        self.run_name = run_name
        self.boundary: BoundaryMap | None = None
        self._pending: BoundaryMap | str | None = None
        self.problem = ""
        """Why there is no map ("" while there is one, or none came yet)."""

    def on_mount(self) -> None:
        if self._pending is not None:
            self.call_after_refresh(self.show, self._pending)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide", id="boundary-dialog"):
            yield Static(f"Decision boundary: {self.run_name}", classes="dialog-title", markup=False)
            yield Static("computing the map from best.pt where training runs...", id="saved-boundary-status")
            yield BoundaryView(id="saved-boundary")
            yield Static(
                "colours: the class the model predicts there; dots: training points in their true class's colour "
                "(normalised features). escape closes",
                classes="field-help",
                markup=False,
            )

    def show(self, boundary: BoundaryMap | str) -> None:
        """The map, or the words for why there is none (kept until the screen is mounted, if it is not yet)."""
        if not self.query("#saved-boundary-status"):
            self._pending = boundary
            return
        status = self.query_one("#saved-boundary-status", Static)
        if isinstance(boundary, str):
            self.problem = boundary
            status.update(Text(f"no boundary: {boundary}"))
            return
        self.boundary = boundary
        view = self.query_one(BoundaryView)
        view.show(boundary)
        legend = Text(f"epoch {boundary.epoch} ({boundary.feature_names[0]} across, {boundary.feature_names[1]} up): ")
        legend.append(view.legend())
        status.update(legend)
