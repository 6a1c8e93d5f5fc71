"""The Data tab: pick a dataset (with a preview) and a preset, edit the dataset's options."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static, Tabs

from tui_trainer.core.data import DatasetError, DatasetInfo, dataset_info, is_available, list_datasets
from tui_trainer.core.data.registry import DataShape, shape_of
from tui_trainer.core.spec.experiment import ConfigError, DataSpec, Experiment, validate
from tui_trainer.core.spec.poisoning import poisoning_options, poisoning_problems
from tui_trainer.core.spec.presets import list_presets, load_preset
from tui_trainer.core.spec.summary import format_shape, summarize
from tui_trainer.ui.widgets.field_form import FieldForm, FieldRow
from tui_trainer.ui.widgets.preview import DatasetPreview

OPTION_FIELDS = tuple(name for name in DataSpec.__dataclass_fields__ if name != "name")
CURRENT = "●"
FITS_WIDTH = 30
"""Characters of a preset's "fits the data?" cell; the whole reason shows under the table."""


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class PickTable(DataTable):
    """A row-cursor table whose Enter picks the row (shown in the footer)."""

    COMPONENT_CLASSES = DataTable.COMPONENT_CLASSES | {"pick-table--bad"}
    BINDINGS = [Binding("enter", "select_cursor", "Pick", tooltip="Pick the highlighted dataset or preset")]


class DataPane(Container):
    """Datasets and presets as tables, a preview of the chosen dataset and its options."""

    BINDINGS = [
        Binding("tab", "app.focus_next", "Next"),
        Binding("shift+tab", "app.focus_previous", "Previous", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.presets: list[tuple[str, str, Experiment | str]] = []
        """(name, description, experiment or why it cannot be read) per preset."""
        self.notes: dict[tuple[str, str], str] = {}
        """The line shown under a table for its highlighted row, by (table id, row key)."""
        self.drawn: dict[str, object] = {}
        """What each table was last drawn from: tables are redrawn only when that changes."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="data-columns"):
            with Vertical(id="data-left"):
                yield Static("Datasets: enter picks one (the model and hyperparameters stay)", classes="section-title")
                yield PickTable(id="datasets", cursor_type="row", zebra_stripes=True)
                yield Static("", id="dataset-description", classes="field-help", markup=False)
                yield Static("Presets: enter loads one's layers and hyperparameters", classes="section-title")
                yield PickTable(id="presets", cursor_type="row", zebra_stripes=True)
                yield Static("", id="preset-description", classes="field-help", markup=False)
            with VerticalScroll(id="data-right", can_focus=False):
                # These titles, the notes and the error line show dataset names and paths: never markup.
                yield Static("Preview", classes="section-title", id="preview-title", markup=False)
                yield DatasetPreview(id="preview")
                yield Static("Options", classes="section-title", id="options-title", markup=False)
                # The options form (~70 widgets) is mounted just after the first frame: the app appears sooner.
                yield Static("Your own data", classes="section-title", id="custom-title")
                yield Input(placeholder="csv:PATH or folder:PATH, then enter", id="custom-dataset", compact=True)
                yield Static("", id="custom-error", classes="field-help", markup=False)

    def on_mount(self) -> None:
        datasets = self.query_one("#datasets", PickTable)
        datasets.add_columns(" ", "dataset", "kind", "shape", "classes", "samples", "offline")
        presets = self.query_one("#presets", PickTable)
        presets.add_columns(" ", "preset", "layers", "params", "fits the data?")
        self._read_presets()
        self.call_after_refresh(self._mount_form)
        self.watch(self.app, "experiment", self._show_experiment)
        self.watch(self.app, "preset_name", lambda _name: self.reload_presets())
        # Styles follow the theme only after the next refresh: redraw the error colours then.
        self.watch(self.app, "theme", lambda _theme: self.call_after_refresh(self._show_presets, self.app.experiment))
        self.query_one("#datasets").focus()

    def _read_presets(self) -> None:
        self.presets = []
        for info in list_presets():
            try:
                self.presets.append((info.name, info.description, load_preset(str(info.path))))
            except ConfigError as exc:
                self.presets.append((info.name, info.description, f"cannot be read: {exc}"))

    def reload_presets(self) -> None:
        """Re-read the presets (a user preset may have been saved) and redraw them."""
        if self.app.preset_name not in {name for name, _, _ in self.presets}:
            self._read_presets()
        self._show_presets(self.app.experiment)

    def on_show(self) -> None:
        # A run may have taught the app a csv:/folder: dataset's shape since the last redraw.
        self._refresh_datasets(self.app.experiment.data)
        self._show_presets(self.app.experiment)
        focused = self.screen.focused
        if not isinstance(focused, Tabs) and (focused is None or self not in focused.ancestors):
            self.query_one("#datasets").focus()

    async def focus_field(self, name: str) -> None:
        """Focus a DataSpec field: the datasets table (or the own-data field) for the name, an option's control
        when this dataset has it (the form is mounted first when it is not yet)."""
        if name == "name":
            custom = self.app.experiment.data.name.startswith(("csv:", "folder:"))
            self.query_one("#custom-dataset" if custom else "#datasets").focus()
            return
        await self._mount_form()
        rows = [row for row in self.query(FieldRow) if row.field_name == name and row.display]
        if rows:
            rows[0].control.focus()

    # ------------------------------------------------------------ drawing

    def _show_experiment(self, experiment: Experiment) -> None:
        data = experiment.data
        try:
            info: DatasetInfo | None = dataset_info(data.name)
        except DatasetError:
            info = None
        self._refresh_datasets(data)
        self._show_presets(experiment)
        self._show_form(experiment, info)
        if self.drawn.get("titles") != data.name:
            self.drawn["titles"] = data.name
            self.query_one("#options-title", Static).update(f"Options of {data.name}")
            self.query_one("#preview-title", Static).update(f"Preview of {data.name}")
        if self.drawn.get("custom") != data.name:  # only when the dataset changed: never over typing
            self.drawn["custom"] = data.name
            custom = self.query_one("#custom-dataset", Input)
            if info is not None and info.source == "user" and custom.value.strip() != data.name:
                custom.value = data.name
        self.query_one(DatasetPreview).show(data)

    async def _mount_form(self) -> None:
        """Mount the options form once, after the first frame, and show the edited experiment in it."""
        if self.query("#data-form"):
            return
        form = FieldForm(self.app.experiment.data, [("", OPTION_FIELDS)], prefix="data", id="data-form")
        await self.query_one("#data-right").mount(form, before="#custom-title")
        experiment = self.app.experiment
        try:
            info: DatasetInfo | None = dataset_info(experiment.data.name)
        except DatasetError:
            info = None
        self._show_form(experiment, info)

    def _show_form(self, experiment: Experiment, info: DatasetInfo | None) -> None:
        """The dataset's options (only those it has), with problems shown at their fields."""
        forms = self.query("#data-form")
        if not forms:
            return
        form = forms.first(FieldForm)
        data = experiment.data
        problems = {}
        for problem in validate(experiment):
            section, _, name = problem.field.partition(".")
            if section == "data" and name not in problems:
                problems[name] = str(problem)  # the field's label and the bad value, as everywhere
        for problem in poisoning_problems(data, info.kind if info else None, self._n_classes(data)):
            problems.setdefault(problem.field.partition(".")[2], str(problem))
        form.show_spec(data, problems)
        shown = ("val_fraction", *(info.options if info else ()), *poisoning_options(data, info.kind if info else None))
        form.show_only(shown)
        for row in form.query(FieldRow):
            if row.field_name not in shown and row.error is not None:
                # Text typed for another dataset's option cannot block this one: drop it.
                row.discard_edit()
                self.app.set_invalid(row.key, False)

    def _n_classes(self, data: DataSpec) -> int | None:
        """The dataset's class count when known without loading it (the catalogue, or a loaded csv:/folder:)."""
        shape = shape_of(data, self.app.known_shapes)
        return shape[1] if shape else None

    def _refresh_datasets(self, data: DataSpec) -> None:
        """Redraw the datasets when the chosen one, the data folder or a learnt csv:/folder: shape changed."""
        key = (data.name, data.data_dir, tuple(sorted(self.app.known_shapes.items())))
        drawn = self.drawn.get("datasets")
        if drawn != key:
            self.drawn["datasets"] = key
            self._show_datasets(data, follow=drawn is None or drawn[0] != data.name)

    def _show_datasets(self, data: DataSpec, follow: bool) -> None:
        """Redraw the datasets; with follow, the cursor moves to the chosen one."""
        table = self.query_one("#datasets", PickTable)
        row = None if follow else table.cursor_row
        table.clear()
        infos = list_datasets()
        if data.name not in {i.name for i in infos}:
            try:
                infos.append(dataset_info(data.name))
            except DatasetError:
                pass
        for info in infos:
            table.add_row(*self._dataset_cells(info, data, shape_of(info.name, self.app.known_shapes)), key=info.name)
            source = "" if info.source in info.description else f" ({info.source})"  # said once
            self.notes["datasets", info.name] = f"{info.name}: {info.description}{source}"
        if row is None:
            row = table.get_row_index(data.name) if data.name in table.rows else 0
        table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    @staticmethod
    def _dataset_cells(info: DatasetInfo, data: DataSpec, shape: DataShape | None) -> tuple[Text, ...]:
        """The row of a dataset, as Text: a str cell would be read as markup (a csv:/folder: name is the user's);
        shape is the catalogue's, or a csv:/folder: dataset's once a run loaded it (else "?")."""
        available = is_available(info.name, data.data_dir)
        if available:
            offline = "yes"
        elif info.source == "torchvision":
            offline = "no files"
        else:
            offline = "not found"
        cells = (
            CURRENT if info.name == data.name else "",
            info.name,
            info.kind,
            format_shape(shape[0]) if shape else "?",
            str(shape[1]) if shape else "?",
            f"{info.n_samples:,}" if info.n_samples else "?",
            offline,
        )
        return tuple(Text(c) for c in cells)

    def _show_presets(self, experiment: Experiment) -> None:
        key = (
            experiment.data.name,
            self.app.preset_name,
            shape_of(experiment.data, self.app.known_shapes),
            self.app.theme,
        )
        if self.drawn.get("presets") == key:
            return
        self.drawn["presets"] = key
        table = self.query_one("#presets", PickTable)
        row = table.cursor_row if table.row_count else None
        table.clear()
        bad = table.get_component_rich_style("pick-table--bad", partial=True)
        shape = shape_of(experiment.data, self.app.known_shapes)
        current = None
        for index, (name, description, preset) in enumerate(self.presets):
            mark = CURRENT if name == self.app.preset_name else ""
            if name == self.app.preset_name:
                current = index
            note = f"{name}: {description}"
            if isinstance(preset, str):
                cells, ok = (mark, name, "?", "?", preset), False
                note += f"\nThis preset {preset}"
            elif shape is None:
                cells, ok = (mark, name, str(len(preset.layers)), "?", "known after the first run"), True
            else:
                summary = summarize(preset.layers, shape[0], shape[1])
                params = f"{summary.total_params:,}" if summary.ok else "?"
                fits = "yes" if summary.ok else _clip(f"no: {summary.problems[0]}", FITS_WIDTH)
                cells, ok = (mark, name, str(len(preset.layers)), params, fits), summary.ok
                if not summary.ok:
                    note += f"\nDoes not fit {experiment.data.name}: {summary.problems[0]}"
            self.notes["presets", name] = note
            table.add_row(*(Text(c, style="" if ok else bad) for c in cells), key=name)
        if row is None:
            row = current or 0
        table.move_cursor(row=min(row, max(table.row_count - 1, 0)), animate=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Say more about the highlighted dataset or preset under its table."""
        table_id = event.data_table.id or ""
        note = self.notes.get((table_id, str(event.row_key.value)), "")
        target = {"datasets": "#dataset-description", "presets": "#preset-description"}.get(table_id)
        if target:
            self.query_one(target, Static).update(Text(note))

    # ------------------------------------------------------------ user actions

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a dataset picks it; on a preset loads it."""
        event.stop()
        key = event.row_key.value
        if key is None:
            return
        if event.data_table.id == "datasets":
            if key != self.app.experiment.data.name:
                self.app.select_dataset(key)
                self.notify(f"Dataset: {key}", title="Data", markup=False)
        elif event.data_table.id == "presets":
            if self.app.select_preset(key):
                self.notify(f"Preset {key}: layers and hyperparameters loaded", title="Data", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "custom-dataset":
            return
        event.stop()
        message = self._check_custom(event.value.strip())
        error = self.query_one("#custom-error", Static)
        error.set_class(message is not None, "-error")
        if message is not None:
            error.update(message)
            return
        error.update("")
        self.app.select_dataset(event.value.strip())

    def _check_custom(self, name: str) -> str | None:
        """Why a typed dataset name cannot be used, or None."""
        if not name:
            return "type csv:PATH (a CSV file, label in the last column) or folder:PATH (one sub-folder per class)"
        try:
            info = dataset_info(name)
        except DatasetError as exc:
            return str(exc)
        if not is_available(name, self.app.experiment.data.data_dir) and info.source == "user":
            path = name.split(":", 1)[1].strip()
            kind = "file" if name.startswith("csv:") else "folder"
            return f"{path} is not a {kind} (a relative path starts in {Path.cwd()})"
        return None

    def on_field_row_edited(self, event: FieldRow.Edited) -> None:
        """Apply a valid data option, or mark the field as holding invalid text."""
        event.stop()
        self.app.set_invalid(event.key, event.error is not None)
        if event.error is None and getattr(self.app.experiment.data, event.field_name) != event.value:
            self.app.set_experiment(self.app.experiment.with_data(**{event.field_name: event.value}))
