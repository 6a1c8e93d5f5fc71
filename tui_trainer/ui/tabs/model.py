"""The Model tab: the layer stack with live output shapes, parameters and the memory to train; add, insert,
edit, move, delete, undo."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.content import Content
from textual.widgets import DataTable, Static, Tabs

from tui_trainer.core.data.registry import shape_of
from tui_trainer.core.pipeline.checks import model_summary
from tui_trainer.core.spec.experiment import Experiment, LayerSpec, validate
from tui_trainer.core.spec.layers import describe_args
from tui_trainer.core.spec.memory import estimate_memory
from tui_trainer.core.spec.summary import ModelSummary, format_shape, summarize
from tui_trainer.ui.layer_history import HISTORY_LIMIT, LayerHistory
from tui_trainer.ui.screens.layer_form import FitText, LayerForm


class LayerTable(DataTable):
    """The layer stack as rows; error rows take the `layer-table--error` style from the tcss."""

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {"layer-table--error", "layer-table--input"}


class ModelPane(Container):
    """Edit the layer stack: every change replaces app.experiment; the table redraws from it.

    Every change of the stack, made here or elsewhere (a preset, a run's settings loaded), is a state of
    the bounded history: u / ctrl+z undoes it, ctrl+y / U redoes it. So no edit is ever lost for good:
    delete and reset (r, which puts the preset's layers back) say how to undo them."""

    BINDINGS = [
        Binding("a", "add", "Add", tooltip="Add a layer after the cursor"),
        Binding("i", "insert", "Insert", tooltip="Insert a layer before the cursor"),
        Binding("e", "edit", "Edit", key_display="e/⏎", tooltip="Edit the layer under the cursor"),
        Binding("d", "delete", "Delete", tooltip="Delete the layer under the cursor"),
        Binding("ctrl+up,K", "move(-1)", "Up", key_display="K", tooltip="Move the layer up (also ctrl+up)"),
        Binding("ctrl+down,J", "move(1)", "Down", key_display="J", tooltip="Move the layer down (also ctrl+down)"),
        Binding("r", "reset", "Reset", tooltip="Put the preset's layers back (u undoes it)"),
        Binding("u,ctrl+z", "undo", "Undo", tooltip="Undo the last change of the layers (also ctrl+z)"),
        Binding("ctrl+y,U", "redo", "Redo", key_display="^y", show=False, tooltip="Redo what was undone (also U)"),
        Binding("c", "app.show_code", "Code", tooltip="The experiment as a standalone PyTorch script"),
        Binding("w", "app.save_preset", "Save preset", tooltip="Save the edited experiment as your own preset"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.want_row: int | None = None
        """Table row to put the cursor on at the next redraw (0 = the input row)."""
        self.drawn: tuple | None = None
        """What the table was last drawn from: other changes (hyperparameters) skip the redraw."""
        self.history: LayerHistory | None = None
        """Undo / redo of the stack (made at mount, from the experiment's layers then)."""
        self.editing: str | None = None
        """What the change of the stack being made here is, in words (None: a change from elsewhere)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="model-title")
        table = LayerTable(id="layers", cursor_type="row", zebra_stripes=True)
        table.add_columns("#", "layer", "arguments", "output", "params")
        yield table
        yield Static("", id="model-total", markup=False)
        yield Static("", id="model-memory", markup=False)
        yield Static("", id="model-problems", markup=False)

    def on_mount(self) -> None:
        self.history = LayerHistory(self.app.experiment.layers)
        self.watch(self.app, "experiment", self._experiment_changed)
        # Styles follow the theme only after the next refresh: redraw the error colours then.
        self.watch(self.app, "theme", lambda _theme: self.call_after_refresh(self._redraw, self.app.experiment, True))

    def on_show(self) -> None:
        # A run may have taught the app a csv:/folder: dataset's shape since the last redraw.
        self._experiment_changed(self.app.experiment)
        focused = self.screen.focused
        if not isinstance(focused, Tabs) and (focused is None or self not in focused.ancestors):
            self.table.focus()

    @property
    def table(self) -> LayerTable:
        """The layer table."""
        return self.query_one("#layers", LayerTable)

    @property
    def stack(self) -> list[LayerSpec]:
        """A copy of the edited stack."""
        return list(self.app.experiment.layers)

    @property
    def cursor_layer(self) -> int:
        """Index in the stack of the layer under the cursor; -1 on the input row."""
        return self.table.cursor_row - 1

    # ------------------------------------------------------------ drawing

    def _experiment_changed(self, experiment: Experiment) -> None:
        """Note a new stack in the history (from here or elsewhere), then redraw."""
        if self.history is not None:
            what = self.editing or "the change of the layers made on another tab"
            row = self.want_row if self.want_row is not None else self.table.cursor_row
            self.history.record(experiment.layers, row, what)
        self.editing = None
        self._redraw(experiment)
        self._show_memory(experiment)  # the batch size and the optimizer change it too, not only the layers

    def _show_memory(self, experiment: Experiment) -> None:
        """The estimated memory to train, under the total (core/spec/memory.py; arithmetic, no torch)."""
        summary = model_summary(experiment, self.app.known_shapes)
        if summary is None:
            text = "Memory to train: known once the data's shape is."
        elif not summary.ok:
            text = "Memory to train: known once the stack fits."
        else:
            line = estimate_memory(summary, experiment.train).line()
            text = line[0].upper() + line[1:]
        self.query_one("#model-memory", Static).update(text)

    def _redraw(self, experiment: Experiment, force: bool = False) -> None:
        key = (
            experiment.layers,
            experiment.data.name,
            shape_of(experiment.data, self.app.known_shapes),
            self.app.preset_name,
        )
        if key == self.drawn and not force and self.want_row is None:
            return
        self.drawn = key
        summary = model_summary(experiment, self.app.known_shapes)
        table = self.table
        row = table.cursor_row if self.want_row is None else self.want_row
        self.want_row = None
        table.clear()
        error_style = table.get_component_rich_style("layer-table--error", partial=True)
        input_style = table.get_component_rich_style("layer-table--input", partial=True)
        shape = summary.input_shape if summary else None
        table.add_row(
            *(Text(c, style=input_style) for c in ("", "Input", experiment.data.name, format_shape(shape), "")),
            key="input",
        )
        for i, layer in enumerate(experiment.layers):
            cells = self._cells(i, layer, summary)
            error = summary is not None and summary.rows[i].error is not None
            style = error_style if error else ""
            table.add_row(*(Text(c, style=style) for c in cells), key=str(i))
        table.move_cursor(row=max(0, min(row, table.row_count - 1)), animate=False)
        self._show_text(experiment, summary)

    @staticmethod
    def _cells(i: int, layer: LayerSpec, summary: ModelSummary | None) -> tuple[str, ...]:
        if summary is None:
            return str(i + 1), layer.type, describe_args(layer), "?", "?"
        info = summary.rows[i]
        if info.output_shape is None:  # the failing layer ("✗") or one after it (unknown)
            return str(i + 1) + (" ✗" if info.error else ""), info.type, info.args, "?", "?"
        return str(i + 1), info.type, info.args, format_shape(info.output_shape), f"{info.params:,}"

    def _show_text(self, experiment: Experiment, summary: ModelSummary | None) -> None:
        shape = shape_of(experiment.data, self.app.known_shapes)
        data = experiment.data.name
        described = f"input {format_shape(shape[0])}, {shape[1]} classes" if shape else "shape not known yet"
        # Names are the user's: template variables are inserted as plain text, never read as markup.
        self.query_one("#model-title", Static).update(
            Content.from_markup(
                "Layers of [b]$preset[/b] on [b]$data[/b] ($described)",
                preset=self.app.preset_name or experiment.name,
                data=data,
                described=described,
            )
        )
        total = self.query_one("#model-total", Static)
        problems = self.query_one("#model-problems", Static)
        if summary is None:
            total.update(f"{len(experiment.layers)} layers; parameters are known once the data's shape is.")
            layer_problems = [p.message for p in validate(experiment) if p.field.startswith("layers")]
            lines = [
                f"The shapes of {data} are known after the first run (s starts one): the output "
                "shapes and parameters show then."
            ] + layer_problems
            problems.update(Text("\n".join(lines)))
            problems.set_class(bool(layer_problems), "-error")
            return
        if summary.ok:
            total.update(f"Total: {summary.total_params:,} trainable parameters")
        else:
            total.update(f"Total: unknown until the stack fits ({summary.total_params:,} before the problem)")
        problems.set_class(not summary.ok, "-error")
        if summary.ok:
            problems.update(Text("The stack fits the data: ready to train."))
        else:
            text = "This stack cannot train; training is refused until it is fixed:\n"
            problems.update(Text(text + "\n".join(f"• {p}" for p in summary.problems)))

    def _fit_text(self, layers: list[LayerSpec], position: int) -> FitText:
        """A function telling how a candidate layer at `position` of `layers` would fit."""
        shape = shape_of(self.app.experiment.data, self.app.known_shapes)

        def fit(spec: LayerSpec) -> tuple[str, bool]:
            if shape is None:
                return "Output shape: known after the first run.", True
            stack = [*layers[:position], spec, *layers[position + 1 :]]
            rows = summarize(stack, shape[0], shape[1]).rows
            row = rows[position]
            if row.error:
                return f"Does not fit here (yet): {row.error}", False
            if row.output_shape is None:
                first = next((r for r in rows if r.error), row)
                return f"Output unknown: layer {first.index} {first.type} does not fit: {first.error}", False
            return f"Output here: {format_shape(row.output_shape)}, {row.params:,} parameters", True

        return fit

    # ------------------------------------------------------------ editing

    def _set_layers(self, layers: list[LayerSpec] | tuple[LayerSpec, ...], cursor_row: int, what: str) -> None:
        """Replace the stack (what: the change in words, for undo and redo) and put the cursor on a row."""
        self.want_row = cursor_row
        self.editing = what
        self.app.set_experiment(self.app.experiment.replace_layers(layers))

    def _open_form(self, position: int, layer: LayerSpec | None, title: str, replace: bool) -> None:
        base = self.stack
        candidates = base if replace else [*base[:position], LayerSpec("Linear"), *base[position:]]

        def done(spec: LayerSpec | None) -> None:
            if spec is None:
                return
            layers = self.stack
            if replace:
                what = f"the edit of layer {position + 1} ({spec.type})"
                layers[position] = spec
            else:
                what = f"the new layer {position + 1} ({spec.type})"
                layers.insert(position, spec)
            self._set_layers(layers, position + 1, what)

        self.app.push_screen(LayerForm(layer, title, self._fit_text(candidates, position)), done)

    def action_add(self) -> None:
        """Add a layer after the one under the cursor (after the input: first)."""
        position = self.cursor_layer + 1
        where = "first" if position == 0 else f"after layer {position}"
        self._open_form(position, None, f"Add a layer {where}", False)

    def action_insert(self) -> None:
        """Insert a layer before the one under the cursor."""
        position = max(self.cursor_layer, 0)
        self._open_form(position, None, f"Insert a layer before layer {position + 1}", False)

    def action_edit(self) -> None:
        """Edit the layer under the cursor."""
        index = self.cursor_layer
        if index < 0 or index >= len(self.stack):
            self.notify(
                "The input comes from the dataset: pick another one on the Data tab (1).", title="Model", markup=False
            )
            return
        self._open_form(index, self.stack[index], f"Edit layer {index + 1} ({self.stack[index].type})", True)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_delete(self) -> None:
        """Delete the layer under the cursor."""
        index = self.cursor_layer
        layers = self.stack
        if index < 0 or index >= len(layers):
            self.notify("Move the cursor to a layer to delete it (the input row stays).", title="Model", markup=False)
            return
        removed = layers.pop(index)
        self._set_layers(layers, min(index + 1, len(layers)), f"the delete of layer {index + 1} ({removed.type})")
        self.notify(f"Deleted layer {index + 1} ({removed.type}): u undoes it.", title="Model", markup=False)

    def action_move(self, delta: int) -> None:
        """Move the layer under the cursor up (-1) or down (+1)."""
        index = self.cursor_layer
        layers = self.stack
        target = index + delta
        if index < 0 or not 0 <= target < len(layers):
            return
        layers[index], layers[target] = layers[target], layers[index]
        direction = "up" if delta < 0 else "down"
        self._set_layers(layers, target + 1, f"the move of layer {index + 1} ({layers[target].type}) {direction}")

    def action_reset(self) -> None:
        """Put the preset's layer stack back (undoable: u brings the edited stack back)."""
        if self.app.experiment.layers == self.app.preset_experiment.layers:
            self.notify("The layers are the preset's already.", title="Model", markup=False)
            return
        self.want_row = self.table.cursor_row
        self.editing = f"the reset to the preset {self.app.preset_name}"
        self.app.reset_layers()
        self.notify(f"Layers reset to the preset {self.app.preset_name}: u undoes it.", title="Model", markup=False)

    def action_undo(self) -> None:
        """Go back to the stack before the last change (bounded: the last HISTORY_LIMIT states)."""
        step = self.history.undo() if self.history else None
        if step is None:
            kept = self.history is not None and len(self.history.states) >= self.history.limit
            why = (
                f"the history keeps the last {HISTORY_LIMIT} stacks" if kept else "these are the session's first layers"
            )
            self.notify(f"Nothing to undo: {why}.", title="Model", markup=False)
            return
        undone, shown = step
        self._set_layers(shown.layers, undone.cursor_row, shown.what)
        self.notify(f"Undid {undone.what}; ctrl+y redoes it.", title="Model", markup=False)

    def action_redo(self) -> None:
        """Bring back the change undone last."""
        shown = self.history.redo() if self.history else None
        if shown is None:
            self.notify("Nothing to redo.", title="Model", markup=False)
            return
        self._set_layers(shown.layers, shown.cursor_row, shown.what)
        self.notify(f"Redid {shown.what}; u undoes it again.", title="Model", markup=False)
