"""The inspection screen: the samples the model gets wrong, by loss, browsable by confusion-matrix cell."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from tui_trainer.core.spec.inspection import Inspection, Sample
from tui_trainer.core.spec.metrics import report_from_confusion
from tui_trainer.ui.screens.layers_view import LayersView
from tui_trainer.ui.screens.sample_detail import SampleDetail
from tui_trainer.ui.widgets.confusion_picker import ConfusionPicker
from tui_trainer.ui.widgets.footer import Footer
from tui_trainer.ui.widgets.sample_view import SampleView

POLL_S = 0.5
"""How often the screen of a live run looks for a newer inspection (it is drawn only when there is one)."""
WAITING = "the inspection follows when the run ends (the training process is busy training)"


def cell_words(ins: Inspection, cell: tuple[int, int] | None) -> str:
    """What the list shows: all the mistakes, or one cell's samples, with how many there are."""
    names = ins.class_names
    if cell is None:
        left = f" (the {ins.wrong_left_out} with the lowest losses left out)" if ins.wrong_left_out else ""
        return f"all {ins.n_wrong} misclassified samples, highest loss first{left}; arrows on the matrix pick a cell"
    t, p = cell
    count, carried = ins.confusion[t][p], len(ins.cell(t, p))
    if t == p:
        return f"true {names[t]}, predicted {names[p]}: right {count}x; the {carried} least confident shown"
    return f"true {names[t]} predicted as {names[p]}: {count} sample{'s' if count != 1 else ''}" + (
        f" ({carried} carried)" if carried != count else ""
    )


class InspectScreen(Screen[None]):
    """One model's inspection. Live (`supply` gives the run's newest inspection, polled) or a saved run's
    (`run_dir`: computed where training runs, best.pt or last.pt). Drawn again only when the inspection changes."""

    BINDINGS = [
        Binding("escape,q", "dismiss", "Back"),
        Binding("a", "all_wrong", "All mistakes"),
        Binding("l", "layers", "Layers"),
        Binding("c", "checkpoint", "best/last"),
        Binding("f", "feature_maps", "Maps of this sample", show=False),
    ]

    class Loaded(Message):
        """A saved run's inspection arrived (or the message why there is none)."""

        def __init__(self, request: int, result: Inspection | str) -> None:
            super().__init__()
            self.request, self.result = request, result

    def __init__(
        self,
        title: str,
        *,
        supply: Callable[[], Inspection | None] | None = None,
        run_dir: str | None = None,
        inspection: Inspection | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.supply, self.run_dir = supply, run_dir
        self.inspection: Inspection | None = inspection
        self.cell: tuple[int, int] | None = None
        self.rows: list[Sample] = []
        self.checkpoint = "best"
        self.sample_index = 0
        """The validation sample whose feature maps a saved run's inspection holds."""
        self._request = 0
        self._drawn: Inspection | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="inspect-title", markup=False)
        with Horizontal(id="inspect-body"):
            with Vertical(id="inspect-left"):
                yield ConfusionPicker(id="inspect-matrix")
                yield Static("", id="inspect-cell", markup=False)
                yield DataTable(id="inspect-list", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="inspect-right"):
                yield SampleView(id="inspect-sample")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#inspect-list", DataTable)
        table.add_columns("loss", "index", "true", "pred", "p(true)", "p(pred)")
        self.query_one(SampleView).show(None, None)
        if self.supply is not None:
            self.set_interval(POLL_S, self._poll)
            self._poll()
        elif self.run_dir is not None and self.inspection is None:
            self._load()
        self._draw()
        table.focus()

    # ------------------------------------------------------------ where the inspection comes from

    def _poll(self) -> None:
        """The live run: take its newest inspection (drawn only when it is a new one)."""
        newest = self.supply() if self.supply is not None else None
        if newest is not None and newest is not self.inspection:
            self.inspection = newest
            self._draw()
            layers = next((s for s in self.app.screen_stack if isinstance(s, LayersView)), None)
            if layers is not None:
                layers.show(newest.layers, newest.source)

    def _load(self) -> None:
        self._request += 1
        self._say(f"inspecting {self.run_dir} ({self.checkpoint}.pt)...")
        self.run_worker(
            partial(self._compute, self._request, self.run_dir, self.checkpoint, self.sample_index),
            thread=True,
            exclusive=True,
            group="inspect",
            exit_on_error=False,
        )

    def _compute(self, request: int, run_dir: str, checkpoint: str, sample: int) -> None:
        """A worker thread: the backend computes it where training runs (this process never imports torch)."""

        def waiting() -> None:
            self.post_message(self.Loaded(request, WAITING))

        result = self.app.backend.inspect(run_dir, checkpoint, sample, on_wait=waiting)
        if result is not None:
            self.post_message(self.Loaded(request, result))

    def on_inspect_screen_loaded(self, message: Loaded) -> None:
        message.stop()
        if message.request != self._request:
            return
        if isinstance(message.result, str):
            self._say(message.result)
            return
        self.inspection = message.result
        self._draw()
        layers = next((s for s in self.app.screen_stack if isinstance(s, LayersView)), None)
        if layers is not None:
            layers.show(self.inspection.layers, self.inspection.source)

    # ------------------------------------------------------------ drawing

    def _say(self, text: str) -> None:
        self.query_one("#inspect-title", Static).update(f"{self.title_text}: {text}")

    def _draw(self) -> None:
        ins = self.inspection
        if ins is None:
            if self.supply is not None:
                self._say(
                    "no inspection yet: it arrives at the end of the first epoch of a run this app trains (then at most every 2 s) "
                    "(a followed run: i on the Runs tab inspects its checkpoints)"
                )
            return
        if ins is self._drawn:
            return
        self._drawn = ins
        share = ins.n_wrong / ins.n_val if ins.n_val else 0.0
        self._say(f"{ins.source}: {ins.n_wrong} of {ins.n_val} validation samples misclassified ({share:.1%})")
        picker = self.query_one(ConfusionPicker)
        picker.show(report_from_confusion([list(r) for r in ins.confusion], ins.class_names), normalised=True)
        if self.cell is not None and max(self.cell) >= len(ins.class_names):
            self.cell = None
        self._fill()

    def _fill(self) -> None:
        """The list of the chosen cell's samples (or all mistakes), keeping the highlighted sample when it stays."""
        ins = self.inspection
        if ins is None:
            return
        table = self.query_one("#inspect-list", DataTable)
        keep = self.rows[table.cursor_row].index if self.rows and 0 <= table.cursor_row < len(self.rows) else None
        self.rows = ins.wrong() if self.cell is None else ins.cell(*self.cell)
        self.query_one("#inspect-cell", Static).update(cell_words(ins, self.cell))
        names = ins.class_names
        table.clear()
        for s in self.rows:
            table.add_row(
                f"{s.loss:.3f}",
                str(s.index),
                names[s.true][:8],
                names[s.pred][:8],
                f"{s.p_true:.1%}",
                f"{s.p_pred:.1%}",
            )
        row = next((i for i, s in enumerate(self.rows) if s.index == keep), 0)
        if self.rows:
            table.move_cursor(row=row)
        self._show_sample(self.rows[row] if self.rows else None)

    def _show_sample(self, sample: Sample | None) -> None:
        self.query_one(SampleView).show(sample, self.inspection)

    @property
    def highlighted(self) -> Sample | None:
        """The sample under the list's cursor."""
        table = self.query_one("#inspect-list", DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # ------------------------------------------------------------ keys and messages

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_sample(self.highlighted)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        sample = self.highlighted
        if sample is not None and self.inspection is not None:
            self.app.push_screen(SampleDetail(sample, self.inspection))

    def on_confusion_picker_cell_picked(self, message: ConfusionPicker.CellPicked) -> None:
        message.stop()
        self.pick(message.true, message.pred)

    def pick(self, true: int, pred: int) -> None:
        """List exactly the samples of one (true, predicted) cell."""
        self.cell = (true, pred)
        self.query_one(ConfusionPicker).place(true, pred)
        self._fill()

    def action_all_wrong(self) -> None:
        """List every misclassified sample again."""
        self.cell = None
        picker = self.query_one(ConfusionPicker)
        picker.cursor = None
        picker.show(picker.report)
        self._fill()

    def action_layers(self) -> None:
        """The filters and feature maps of this inspection's model."""
        ins = self.inspection
        if ins is not None:
            self.app.push_screen(LayersView(ins.layers, ins.source))

    def action_checkpoint(self) -> None:
        """A saved run: inspect the other checkpoint (best.pt <-> last.pt)."""
        if self.run_dir is None:
            self.app.notify("the live run is inspected at each epoch's end; c switches a saved run's checkpoint")
            return
        self.checkpoint = "last" if self.checkpoint == "best" else "best"
        self._load()

    def action_feature_maps(self) -> None:
        """A saved run: the feature maps of the highlighted sample (computed where training runs), then the layers."""
        sample = self.highlighted
        if self.run_dir is None or sample is None:
            self.app.notify("the live run draws the feature maps of validation sample 0; f works on saved runs")
            return
        self.sample_index = sample.index
        self._load()
        self.action_layers()
