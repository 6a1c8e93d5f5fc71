"""The Runs tab: saved runs under the runs folder; open, overlay, load, resume, train more, attach, delete."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, Static, TabbedContent, TabPane

from tui_trainer.core.runs import RunError, RunRecord, delete_run, list_runs, listing_problem, load_run, read_epochs
from tui_trainer.core.runs.files import REVIEW
from tui_trainer.core.spec.compare import settings_diff
from tui_trainer.core.spec.events import RunStatus, report_from_dict
from tui_trainer.core.spec.experiment import ConfigError, Experiment, TrainSpec, check_field
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.ui.overlays import Overlay
from tui_trainer.ui.screens.dialogs import AskText, Confirm, RunDetails
from tui_trainer.ui.widgets.saved_runs_table import SavedRunsTable

SORTS = ("date", "best val", "data", "preset", "status")
"""Orders `o` cycles through (newest or best first)."""
DRAWN, NOT_DRAWN = "◆", "◇"
"""The first column's mark of an overlaid run: drawn on the Train tab, or not (another dataset than its run)."""
MORE_EPOCHS = "10"
"""What the `+` dialog offers."""


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


def show_run_details(app, run_dir: str | Path) -> None:  # noqa: ANN001 (the app)
    """A saved run's final metrics panel (read again from its files): enter on the Runs tab, and on a sweep's
    trial."""
    r = load_run(run_dir)
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
    app.push_screen(RunDetails(f"{r.preset} on {r.dataset}", lines, report))


class RunsPane(Vertical):
    """Past runs of the runs folder, newest first; the footer shows what each key does."""

    BINDINGS = [
        Binding("enter", "open", "Open"),
        Binding("space", "overlay", "Overlay"),
        Binding("l", "load", "Load"),
        Binding("R", "resume", "Resume", key_display="R"),
        Binding("plus", "more_epochs", "More epochs", key_display="+", tooltip="Train a run more epochs"),
        Binding("a", "attach", "Attach"),
        Binding("b", "boundary", "Boundary", show=False, tooltip="A 2-D run's decision boundary from its best.pt"),
        Binding("t", "robustness", "Robustness", tooltip="Attack the run's model and corrupt its data"),
        Binding("L", "review", "Review labels", key_display="L", tooltip="Who decides the label? Flag and fix labels"),
        Binding("d", "delete", "Delete"),
        Binding("i", "inspect", "Inspect", tooltip="The samples the run's best model gets wrong, its filters"),
        Binding("o", "sort", "Sort"),
        Binding("c", "toggle_columns", "Columns", tooltip="One column per setting that differs among the runs"),
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
        self.per_setting = False
        """True: one column per setting that differs among the runs (c toggles)."""
        self._presets: dict[str, Experiment | None] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(id="runs-root-row"):
            yield Label("runs folder", classes="field-label")
            yield Input(str(self.app.runs_dir or ""), placeholder="empty: runs are not saved", id="runs-root")
        yield Static("", id="runs-note", markup=False)  # shows the folder's path and listing problems
        yield SavedRunsTable(lambda record: preset_diff(record, self._presets), id="runs-list")
        yield Static(
            "enter opens a run's metrics, space overlays its curves on the Train tab (runs on its dataset), l loads "
            "its settings into the editors, R resumes a stopped run, + trains a run more epochs, a attaches to a run "
            "another process is writing, t tests its robustness (attacks, corrupted data), L reviews its training labels "
            "(k-fold, then a keep / relabel / drop queue), d deletes (asks first), o changes the order, c shows a column per setting "
            "that differs, g re-reads the folder.",
            id="runs-help",
            classes="field-help",
        )

    @property
    def table(self) -> SavedRunsTable:
        """The table of saved runs."""
        return self.query_one("#runs-list", SavedRunsTable)

    def on_mount(self) -> None:
        # Listed again on the tab's activation, not on a Show event: after End on the Train tab (a scroll
        # animation), 5 often brought no Show, and the listing stayed stale with the focus in the folder field.
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        if tabs is not None:
            self.watch(tabs, "active", self._tab_activated, init=False)

    def _tab_activated(self, active: str) -> None:
        """The Runs tab was shown: list the folder again and put the focus on the table (after the app's focus)."""
        pane = next((a for a in self.ancestors if isinstance(a, TabPane)), None)
        if pane is not None and active == pane.id:
            self.action_refresh()
            self.call_after_refresh(self.table.focus)

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
        selected = self.selected
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
        self._select(selected)

    def _marks(self) -> dict[str, str]:
        """The first column's mark of each overlaid run (drawn, or not: another dataset than the Train tab's run)."""
        runs = self.app.runs
        return {path: NOT_DRAWN if runs.overlay_problem(o) else DRAWN for path, o in runs.overlays.items()}

    def _draw(self) -> None:
        self.table.show(self.records, self._marks(), per_setting=self.per_setting)

    def _select(self, record: RunRecord | None) -> None:
        """Put the cursor back on the run it was on (listed again, maybe elsewhere)."""
        paths = [r.path for r in self.records]
        if record is not None and record.path in paths:
            self.table.move_cursor(row=paths.index(record.path), animate=False)

    def action_sort(self) -> None:
        """Cycle the order: date, best val, data, preset, status; the first run of the new order is shown and selected."""
        self.order = SORTS[(SORTS.index(self.order) + 1) % len(SORTS)]
        self.records.sort(key=sort_key(self.order))
        self.query_one("#runs-note", Static).update(f"{len(self.records)} runs, by {self.order}")
        self._draw()
        self.table.move_cursor(row=0, animate=False)
        self.table.scroll_home(animate=False)

    def action_toggle_columns(self) -> None:
        """Switch between one column of what differs from each run's preset and one column per setting that
        differs among the listed runs."""
        self.per_setting = not self.per_setting
        self._draw()
        if self.per_setting and len(self.table.columns) == len(self.table.columns_for([])):
            what = "all listed runs have the same settings"
        elif self.per_setting:
            what = "one column per setting that differs among the listed runs (c: back to one column)"
        else:
            what = "the settings that differ from each run's preset (c: a column per setting)"
        self.query_one("#runs-note", Static).update(f"{len(self.records)} runs, by {self.order}; {what}")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """A new runs folder: later runs are saved there, and it is listed."""
        event.stop()
        self.app.runs_dir = event.value.strip() or None
        self.action_refresh()
        self.table.focus()

    # ------------------------------------------------------------ actions on the selected run

    @property
    def selected(self) -> RunRecord | None:
        """The run under the cursor."""
        table = self.table
        if not self.records or table.cursor_row < 0:
            return None
        return self.records[min(table.cursor_row, len(self.records) - 1)]

    def on_data_table_row_selected(self, event: SavedRunsTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        """Show the run's final metrics panel (read again: the listing keeps no summaries)."""
        listed = self.selected
        if listed is not None:
            show_run_details(self.app, listed.path)

    def action_inspect(self) -> None:
        """Inspect the selected run's best.pt (c on the screen switches to last.pt), computed where training runs."""
        from tui_trainer.ui.screens.inspect import InspectScreen

        listed = self.selected
        if listed is None:
            return
        if not listed.has_checkpoint:
            self.app.notify(
                f"{listed.name} has no checkpoint to inspect (it ended before its first epoch)", markup=False
            )
            return
        self.app.push_screen(InspectScreen(f"{listed.preset} on {listed.dataset}", run_dir=str(listed.path)))

    def action_overlay(self) -> None:
        """Draw (or stop drawing) this run's validation curves dimmed on the Train tab: only runs on the dataset
        of the Train tab's run are drawn, within its epochs (ui/overlays.py)."""
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
            overlay = Overlay(f"{r.preset} {r.created:%H:%M}" if r.created else r.name, r.dataset, rows)
            problem = self.app.runs.overlay_problem(overlay)
            if problem:
                self.app.notify(f"Not overlaid: {problem}.", title="Overlay", severity="warning", markup=False)
                return
            overlays[key] = overlay
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
            self.app.notify(
                "This run has no whole checkpoint (last.pt) to resume from.", severity="error", markup=False
            )
            return
        if r.status == RunStatus.FINISHED:
            self.app.notify(
                "This run is finished: + trains it more epochs (R resumes stopped or interrupted runs).",
                severity="warning",
                markup=False,
            )
            return
        if r.status == RunStatus.RUNNING:
            self.app.notify(
                "This run is running: only stopped or interrupted runs resume (a attaches to it).",
                severity="warning",
                markup=False,
            )
            return
        self.app.runs.resume(r.path, r.experiment)

    def action_review(self) -> None:
        """Who decides the label: the selected run's review queue, after reviewing its labels where training runs
        (5-fold cross-validation) when it has no review.json yet."""
        r = self.selected
        if r is None:
            return
        if r.experiment is None:
            self.app.notify("This run's experiment cannot be read.", severity="error", markup=False)
            return
        if (r.path / REVIEW).is_file():
            self.app.open_review(r.path, r.experiment)
            return
        self.app.notify(
            f"Reviewing the training labels of {r.name}: 5 trainings of its experiment, each on 4/5 of the data, "
            "predict the fifth they never saw; the queue opens when they are done (x stops).",
            title="Review",
            markup=False,
        )
        self.app.runs.review(r.path, r.experiment)

    def action_more_epochs(self) -> None:
        """Train a saved run (finished, stopped or interrupted) more epochs from its last checkpoint, asking how many."""
        r = self.selected
        if r is None:
            return
        if not r.has_checkpoint or r.experiment is None:
            self.app.notify(
                "This run has no whole checkpoint (last.pt) to train on from.", severity="error", markup=False
            )
            return
        if r.status == RunStatus.RUNNING:
            self.app.notify(
                "This run is running: wait for it to end (a attaches to it).", severity="warning", markup=False
            )
            return
        done, experiment, path = r.epochs_done, r.experiment, r.path

        def answered(text: str | None) -> None:
            if text is None:
                return
            try:
                more = int(text)
            except ValueError:
                more = 0
            if more <= 0:
                problem = f"type a whole number of epochs above 0, not {text!r}"
            else:
                problem = check_field(TrainSpec, "epochs", done + more)
                problem = problem and f"{done} + {more} epochs in all: epochs {problem}"
            if problem:
                self.app.notify(f"More epochs: {problem}.", title="More epochs", severity="error", markup=False)
                return
            self.app.runs.resume(path, experiment, epochs=done + more)

        planned = f" of {r.epochs}" if r.epochs else ""
        question = (
            f"Train {r.name} how many more epochs? It has trained {done}{planned}; "
            "it goes on from its last checkpoint in its own run directory."
        )
        self.app.push_screen(AskText(question, MORE_EPOCHS), answered)

    def action_attach(self) -> None:
        """Follow a run that another process is writing (or replay a finished one) on the Train tab."""
        r = self.selected
        if r is not None:
            self.app.runs.attach(r.path)

    def action_boundary(self) -> None:
        """Show the run's decision boundary (2-D data), computed where training runs."""
        r = self.selected
        if r is not None:
            self.app.show_saved_boundary(r.path)

    def action_robustness(self) -> None:
        """The Robustness view of this run: FGSM / PGD and corruptions, computed where training runs."""
        from tui_trainer.ui.screens.robustness import open_for

        r = self.selected
        if r is not None:
            open_for(self.app, r)

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
