"""The Runs tab: saved runs under the runs folder; open, overlay, load, resume, attach, delete."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static

from tui_trainer.core.runs import RunError, RunRecord, delete_run, list_runs, listing_problem, load_run, read_epochs
from tui_trainer.core.spec.events import RunStatus, report_from_dict
from tui_trainer.core.spec.experiment import ConfigError, Experiment, settings_diff
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.ui.run_history import format_duration
from tui_trainer.ui.screens.dialogs import Confirm, RunDetails

COLUMNS = ("", "date", "data", "preset", "differs from the preset", "best val", "epochs", "time", "status")
SORTS = ("date", "best val", "data", "preset", "status")
"""Orders `o` cycles through (newest or best first)."""


def preset_diff(record: RunRecord, cache: dict[str, Experiment | None]) -> str:
    """The settings of a saved run that differ from its preset (as it is now), in short words."""
    if record.experiment is None:
        return "?"
    if record.preset not in cache:
        try:
            cache[record.preset] = load_preset(record.preset)
        except ConfigError:
            cache[record.preset] = None
    preset = cache[record.preset]
    if preset is None:
        return "(own experiment)"
    base = preset.with_data(name=record.experiment.data.name)
    return ", ".join(settings_diff(base, record.experiment)) or "-"


def sort_key(order: str):
    """The sort key of a listing order."""
    keys = {
        "date": lambda r: -(r.created.timestamp() if r.created else 0.0),
        "best val": lambda r: -(r.best_val_accuracy or -1.0),
        "data": lambda r: r.dataset,
        "preset": lambda r: r.preset,
        "status": lambda r: r.status,
    }
    return keys[order]


class RunsPane(Vertical):
    """Past runs of the runs folder, newest first; the footer shows what each key does."""

    BINDINGS = [
        Binding("enter", "open", "Open"),
        Binding("space", "overlay", "Overlay"),
        Binding("l", "load", "Load"),
        Binding("R", "resume", "Resume", key_display="R"),
        Binding("a", "attach", "Attach"),
        Binding("d", "delete", "Delete"),
        Binding("o", "sort", "Sort"),
        Binding("g", "refresh", "Refresh"),
    ]

    class Listed(Message):
        """The worker read the runs folder."""

        def __init__(self, root: str, records: list[RunRecord], problem: str | None) -> None:
            super().__init__()
            self.root, self.records, self.problem = root, records, problem

    def __init__(self) -> None:
        super().__init__(id="runs-pane")
        self.records: list[RunRecord] = []
        """The listing, as the table shows it: without the runs' summaries (about 12 KB each with their
        reports; every saved run is listed), which open reads again."""
        self.order = "date"
        self._presets: dict[str, Experiment | None] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="runs-root-row"):
            yield Label("runs folder", classes="field-label")
            yield Input(str(self.app.runs_dir or ""), placeholder="empty: runs are not saved", id="runs-root")
        yield Static("", id="runs-note", markup=False)  # shows the folder's path and listing problems
        yield DataTable(id="runs-list", cursor_type="row", zebra_stripes=True)
        yield Static(
            "enter opens a run's metrics, space overlays its curves on the Train tab, l loads its settings "
            "into the editors, R resumes a stopped run, a attaches to a run another process is writing, "
            "d deletes (asks first), o changes the order, g re-reads the folder.",
            id="runs-help",
            classes="field-help",
        )

    def on_mount(self) -> None:
        self.query_one("#runs-list", DataTable).add_columns(*COLUMNS)

    def on_show(self) -> None:
        self.action_refresh()
        self.query_one("#runs-list", DataTable).focus()

    # ------------------------------------------------------------ listing

    def action_refresh(self) -> None:
        """Re-read the runs folder (in a thread: listing reads many small files)."""
        root = self.app.runs_dir
        if not root:
            self.query_one("#runs-note", Static).update("Runs are not saved: type a folder above.")
            self.records = []
            self._draw()
            return
        self.query_one("#runs-note", Static).update(f"reading {root}...")
        self._list(str(root))

    @work(thread=True, exclusive=True, group="runs-list", exit_on_error=False)
    def _list(self, root: str) -> None:
        problem = None if not Path(root).exists() else listing_problem(root)
        records = [] if problem else [dataclasses.replace(r, summary=None) for r in list_runs(root)]
        self.post_message(self.Listed(root, records, problem))

    def on_runs_pane_listed(self, message: Listed) -> None:
        self.records = sorted(message.records, key=sort_key(self.order))
        damaged = sum(1 for r in self.records if r.problem)
        if message.problem:
            note = message.problem
        elif not self.records:
            note = f"No runs in {message.root} yet: train one (s) and it appears here."
        else:
            note = f"{len(self.records)} runs in {message.root}, by {self.order}"
            note += f"; {damaged} partly unreadable (see their status)" if damaged else ""
        self.query_one("#runs-note", Static).update(note)
        self._draw()

    def _draw(self) -> None:
        table = self.query_one("#runs-list", DataTable)
        row = table.cursor_row
        table.clear()
        for r in self.records:
            best = "-" if r.best_val_accuracy is None else f"{r.best_val_accuracy:.2%}"
            epochs = f"{r.epochs_done}/{r.epochs}" if r.epochs else str(r.epochs_done)
            status = Text(r.status, style="italic" if r.problem else "")
            table.add_row(  # Text cells: a str cell is read as markup, and names and settings are the user's
                Text("◆" if str(r.path) in self.app.runs.overlays else ""),
                Text(r.created.strftime("%Y-%m-%d %H:%M") if r.created else "?"),
                Text(r.dataset),
                Text(r.preset),
                Text(preset_diff(r, self._presets)[:48]),
                Text(best, justify="right"),
                Text(epochs, justify="right"),
                Text(format_duration(r.seconds), justify="right"),
                status,
                key=str(r.path),
            )
        if self.records:
            table.move_cursor(row=min(row, len(self.records) - 1), animate=False)

    def action_sort(self) -> None:
        """Cycle the order: date, best val, data, preset, status."""
        self.order = SORTS[(SORTS.index(self.order) + 1) % len(SORTS)]
        self.records.sort(key=sort_key(self.order))
        self.query_one("#runs-note", Static).update(f"{len(self.records)} runs, by {self.order}")
        self._draw()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """A new runs folder: later runs are saved there, and it is listed."""
        event.stop()
        self.app.runs_dir = event.value.strip() or None
        self.action_refresh()
        self.query_one("#runs-list", DataTable).focus()

    # ------------------------------------------------------------ actions on the selected run

    @property
    def selected(self) -> RunRecord | None:
        """The run under the cursor."""
        table = self.query_one("#runs-list", DataTable)
        if not self.records or table.cursor_row < 0:
            return None
        return self.records[min(table.cursor_row, len(self.records) - 1)]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Show the run's final metrics panel (read again: the listing keeps no summaries)."""
        listed = self.selected
        if listed is None:
            return
        r = load_run(listed.path)
        summary = r.summary or {}
        lines = [f"{r.path}", f"status {r.status}" + (f": {r.reason}" if r.reason else "")]
        if r.problem:
            lines.append(f"problem: {r.problem}")
        if r.best_val_accuracy is not None:
            lines.append(f"best validation accuracy {r.best_val_accuracy:.2%} in {r.epochs_done} epochs")
        if summary.get("test_accuracy") is not None:
            lines.append(f"test accuracy {summary['test_accuracy']:.2%}")
        report = None
        if isinstance(summary.get("val_report"), dict):
            try:
                report = report_from_dict(summary["val_report"])
            except (KeyError, TypeError, ValueError):
                lines.append("the saved metrics cannot be read")
        self.app.push_screen(RunDetails(f"{r.preset} on {r.dataset}", lines, report))

    def action_overlay(self) -> None:
        """Draw (or stop drawing) this run's validation curves dimmed on the Train tab."""
        r = self.selected
        if r is None:
            return
        overlays = dict(self.app.runs.overlays)
        key = str(r.path)
        if key in overlays:
            del overlays[key]
        else:
            try:
                rows = read_epochs(r.path)
            except RunError as exc:
                self.app.notify(str(exc), title="Overlay", severity="error", markup=False)
                return
            overlays[key] = (f"{r.preset} {r.created:%H:%M}" if r.created else r.name, rows)
        self.app.runs.set_overlays(overlays)
        self._draw()

    def action_load(self) -> None:
        """Put this run's experiment into the editors (to tweak and train again)."""
        r = self.selected
        if r is None or r.experiment is None:
            self.app.notify("This run's experiment cannot be read.", severity="error", markup=False)
            return
        self.app.set_experiment(r.experiment)
        self.app.notify(f"Loaded the settings of {r.name}: edit them, then s trains.", title="Load", markup=False)

    def action_resume(self) -> None:
        """Continue a stopped (or interrupted) run from its last checkpoint."""
        r = self.selected
        if r is None:
            return
        if not r.has_checkpoint or r.experiment is None:
            self.app.notify("This run has no checkpoint to resume from.", severity="error", markup=False)
            return
        if r.status in (RunStatus.FINISHED, RunStatus.RUNNING):
            self.app.notify(
                f"This run is {r.status}: only stopped or interrupted runs resume.", severity="warning", markup=False
            )
            return
        self.app.runs.resume(r.path, r.experiment)

    def action_attach(self) -> None:
        """Follow a run that another process is writing (or replay a finished one) on the Train tab."""
        r = self.selected
        if r is not None:
            self.app.runs.attach(r.path)

    def action_delete(self) -> None:
        """Delete the run directory, after asking."""
        r = self.selected
        if r is None:
            return
        if r.status == RunStatus.RUNNING:
            self.app.notify("This run is still being written: stop it first.", severity="warning", markup=False)
            return

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                delete_run(r.path)
            except RunError as exc:
                self.app.notify(str(exc), title="Delete", severity="error", markup=False)
                return
            overlays = {k: v for k, v in self.app.runs.overlays.items() if k != str(r.path)}
            if overlays != self.app.runs.overlays:
                self.app.runs.set_overlays(overlays)
            self.app.notify(f"Deleted {r.name}", title="Delete", markup=False)
            self.action_refresh()

        self.app.push_screen(Confirm(f"Delete the run {r.name} and its checkpoints?"), answered)
