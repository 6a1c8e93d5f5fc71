"""The Sweep tab: define a sweep from the edited experiment (fields, ranges, options; errors block starting),
start it as a process of its own, stop it, attach to one started elsewhere, and watch its study: the trials
table, every trial's curve (pruned ones dimmed), the best so far and the importances."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ContentSwitcher, DataTable, Static
from textual.worker import get_current_worker

from tui_trainer.core.spec.experiment import ConfigError, Experiment
from tui_trainer.core.sweep.background import BackgroundSweep, start_sweep, stop_pids
from tui_trainer.core.sweep.draft import (
    SweepDraft,
    check_draft,
    corner_problems,
    draft_from_spec,
    field_description,
    searchable,
    suggest,
)
from tui_trainer.core.sweep.folder import DEFAULT_ROOT, default_folder, list_folders
from tui_trainer.core.sweep.results import StudyResult, TrialResult
from tui_trainer.core.sweep.space import SpaceError, apply
from tui_trainer.core.sweep.spec import SweepSpec, load, save
from tui_trainer.core.sweep.study import SweepError
from tui_trainer.core.sweep.watch import SourceFactory, SweepSource, progress_line
from tui_trainer.ui.screens.dialogs import AskText, Confirm
from tui_trainer.ui.sweep_watcher import SweepOpened, SweepPolled, SweepWatchFailed, watch_sweep
from tui_trainer.ui.widgets.sweep_form import OptionRow, ParamRow, SweepForm, SweepRow, slug
from tui_trainer.ui.widgets.sweep_plots import ImportanceBars, PlotBox, best_curves, trial_curves
from tui_trainer.ui.widgets.trials_table import TrialsTable, objective_text

POLL_S = 1.0
"""How often the watcher reads the study (the storage is a file or a database: about once a second is plenty)."""
DEFINE, WATCH = "sweep-define", "sweep-watch"


def study_source(target: str) -> SweepSource:
    """The app's source for a folder or URL: the study read with Optuna (imported on the watcher's thread)."""
    from tui_trainer.core.sweep.watch import StudySource

    return StudySource(target)


class SweepPane(Vertical):
    """Define, start, stop, attach to and watch a sweep; the study is read on a thread, never on the UI's."""

    BINDINGS = [
        Binding("v", "toggle_view", "Define/trials"),
        Binding("a", "attach", "Attach"),
        Binding("l", "load_trial", "Load trial"),
        Binding("b", "load_best", "Load best"),
        Binding("w", "save", "Save toml"),
        Binding("o", "open_file", "Open toml"),
    ]

    def __init__(self) -> None:
        super().__init__(id="sweep-pane")
        self.draft = SweepDraft()
        """The form as typed."""
        self.errors: dict[str, str] = {}
        """Each row's error now (blocking the start)."""
        self.open_source: SourceFactory = study_source
        """Makes the source the watcher reads (tests give fakes)."""
        self.poll_s = POLL_S
        self.sweeps_root = Path(DEFAULT_ROOT)
        """Where new sweeps' folders go, and where attach looks first."""
        self.background: BackgroundSweep | None = None
        """The sweep this app started (its own process), while watched."""
        self.spec: SweepSpec | None = None
        """The sweep watched."""
        self.folder = ""
        self.result: StudyResult | None = None
        self.pids: list[int] = []
        self.process_running: bool | None = None
        self.generation = 0
        self._stop_watch = threading.Event()
        self.redraws = 0
        """How often the watch view was drawn from a new state of the study (only when it changed)."""

    def compose(self) -> ComposeResult:
        yield Static(
            "No sweep yet: add fields to search, s starts it (a attaches to a running one).",
            id="sweep-status",
            markup=False,
        )
        with ContentSwitcher(initial=DEFINE, id="sweep-views"):
            yield SweepForm(self.draft, self._offered(), self._descriptions(), id=DEFINE)
            with Vertical(id=WATCH):
                yield TrialsTable(id="sweep-trials")
                with Horizontal(id="sweep-plots"):
                    yield PlotBox("per epoch", plot_id="sweep-curves", legend=True, id="sweep-curves-box")
                    yield PlotBox("best so far (· each trial)", plot_id="sweep-best", id="sweep-best-box")
                    yield ImportanceBars(id="sweep-importances")

    def on_mount(self) -> None:
        self.watch(self.app, "experiment", self._experiment_changed, init=False)
        self._check()

    def on_unmount(self) -> None:
        self._stop_watch.set()

    # ------------------------------------------------------------ defining

    def _offered(self) -> list[str]:
        return searchable(self.app.experiment)

    def _descriptions(self) -> dict[str, str]:
        experiment = self.app.experiment
        return {name: field_description(experiment, name) for name in searchable(experiment)}

    @property
    def form(self) -> SweepForm:
        """The define view's form."""
        return self.query_one(SweepForm)

    def _experiment_changed(self, experiment: Experiment) -> None:
        descriptions = self._descriptions()
        self.form.offer(self._offered(), self.draft, descriptions)
        for row in self.query(ParamRow):
            if row.field_name in descriptions:  # a layer gone: its row says why in its error
                row.show_description(descriptions[row.field_name])
        self._check()

    def _check(self) -> None:
        """Check the draft against the edited experiment and show every error at its row."""
        self.errors = dict(check_draft(self.draft, self.app.experiment).errors)
        self.form.show_errors(self.errors)

    @on(SweepForm.Added)
    async def _add(self, event: SweepForm.Added) -> None:
        name = event.name
        text = suggest(self.app.experiment, name)
        self.draft = self.draft.with_param(name, text)
        row = ParamRow(name, text, field_description(self.app.experiment, name))
        await self.query_one("#sweep-params").mount(row)
        self.form.offer(self._offered(), self.draft, self._descriptions())
        self._check()
        row.input.focus()

    @on(ParamRow.Removed)
    async def _remove(self, event: ParamRow.Removed) -> None:
        self.draft = self.draft.without_param(event.name)
        await self.query_one(f"#sweep-param-{slug(event.name)}").remove()
        self.form.offer(self._offered(), self.draft, self._descriptions())
        self._check()
        self.form.focus()

    @on(SweepRow.Edited)
    def _edited(self, event: SweepRow.Edited) -> None:
        row = event.row
        if isinstance(row, ParamRow):
            self.draft = self.draft.with_param(row.field_name, event.text)
        else:
            self.draft = self.draft.with_option(row.key, event.text)
        self._check()

    async def _rebuild_form(self) -> None:
        """Rows for the draft as it is now (after a file was loaded)."""
        params = self.query_one("#sweep-params")
        await params.remove_children()
        experiment = self.app.experiment
        await params.mount_all([ParamRow(n, t, field_description(experiment, n)) for n, t in self.draft.params])
        for row in self.query(OptionRow):
            row.show_value(getattr(self.draft, row.key))
        self.form.offer(self._offered(), self.draft, self._descriptions())
        self._check()

    def blockers(self) -> dict[str, str]:
        """Why the sweep cannot start now ({row key: error}): the form's errors, the edited experiment's problems
        (key "experiment"), each range's ends against the pipeline's start checks."""
        from tui_trainer.core.pipeline.checks import start_problems

        checked = check_draft(self.draft, self.app.experiment)
        errors = dict(checked.errors)
        if self.app.invalid_fields:
            errors["experiment"] = f"{sorted(self.app.invalid_fields)[0]}: the text typed there is not valid"
        elif problems := start_problems(self.app.experiment, self.app.known_shapes):
            errors["experiment"] = f"the experiment: {problems[0]}"
        elif checked.spec is not None:
            errors.update(corner_problems(checked.spec))
        return errors

    def start(self) -> None:
        """Start the defined sweep as its own process (s on this tab), unless an error blocks it."""
        if self.background is not None and self.background.running():
            self.app.notify("A sweep is running: x stops it first.", title="Sweep", severity="warning", markup=False)
            return
        errors = self.blockers()
        self.errors = errors
        self.form.show_errors(errors)
        if errors:
            self._show_view(DEFINE)
            key, first = next(iter(errors.items()))
            self.app.notify(first, title="Sweep not started", severity="error", markup=False)
            self._focus_row(key)
            return
        checked = check_draft(self.draft, self.app.experiment)
        assert checked.spec is not None
        folder = default_folder(checked.spec, root=self.sweeps_root)
        spec = dataclasses.replace(checked.spec, study_name=folder.name)
        try:
            background = start_sweep(spec, folder, checked.workers)
        except SweepError as exc:
            self.app.notify(str(exc), title="Sweep", severity="error", markup=False)
            return
        self.background = background
        self._watch_target(str(folder), background)
        self.app.notify(
            f"sweep started in {folder} (process {background.pid}): it goes on if the app quits; x stops it",
            title="Sweep",
            markup=False,
        )

    def _focus_row(self, key: str) -> None:
        for row in self.form.rows():
            if row.key == key:
                control = row.query(".field-control")
                if control:
                    control.first().focus()
                return

    # ------------------------------------------------------------ stopping

    def stop(self) -> None:
        """Stop the watched sweep's workers (x on this tab), after asking: each ends its trial."""
        own = self.sweep_running and self.background is not None and str(self.background.folder) == self.folder
        pids = [] if own else list(self.pids)
        if not own and not pids:
            self.app.notify("No sweep of this machine is running here.", title="Sweep", markup=False)
            return
        what = f"process {self.background.pid}" if own and self.background else f"{len(pids)} worker(s) here"

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if own and self.background is not None:
                self.background.stop()
            else:
                stop_pids(pids)
            self.app.notify("stopping the sweep: its workers end their trials", title="Sweep", markup=False)

        self.app.push_screen(Confirm(f"Stop the sweep ({what})? Its running trials end as failed (stopped)."), answered)

    @property
    def sweep_running(self) -> bool:
        """True while a sweep this app started is running."""
        return self.background is not None and self.background.running()

    # ------------------------------------------------------------ watching

    def action_attach(self) -> None:
        """Pick a sweep folder (newest first) or type one, or a storage URL, and watch it."""
        from tui_trainer.ui.screens.attach_sweep import AttachSweep

        def chosen(target: str | None) -> None:
            if target:
                self._watch_target(target, None)

        self.app.push_screen(AttachSweep(list_folders(self.sweeps_root), self.sweeps_root), chosen)

    def attach(self, target: str) -> None:
        """Watch a sweep by its folder or storage URL (whoever started it)."""
        self._watch_target(target, None)

    def _watch_target(self, target: str, background: BackgroundSweep | None) -> None:
        self._stop_watch.set()
        self._stop_watch = stop = threading.Event()
        self.generation += 1
        if background is None:
            self.background = None if not self.sweep_running else self.background
        self.spec, self.folder, self.result, self.pids = None, target, None, []
        self._status(f"opening {target}...")
        self._show_view(WATCH)
        self.query_one(TrialsTable).focus()
        source = self.open_source(target)
        generation = self.generation
        poll_s = self.poll_s

        def watch() -> None:
            worker = get_current_worker()
            watch_sweep(
                source,
                generation=generation,
                stop=stop,
                own=background,
                poll_s=poll_s,
                post=self.post_message,
                cancelled=lambda: worker.is_cancelled,
            )

        self.run_worker(
            watch,
            thread=True,
            group="sweep-watch",
            exit_on_error=False,
        )

    def on_sweep_opened(self, message: SweepOpened) -> None:
        if message.generation != self.generation:
            return
        self.spec, self.folder = message.spec, message.folder or self.folder
        self._status_from_state()

    def on_sweep_polled(self, message: SweepPolled) -> None:
        if message.generation != self.generation or self.spec is None:
            return
        ended = self.process_running and message.process_running is False
        self.result, self.pids, self.process_running = message.result, message.pids, message.process_running
        self.redraws += 1
        self.query_one(TrialsTable).show(message.result, tuple(p.name for p in self.spec.params), self.spec.objective)
        self.query_one("#sweep-curves-box", PlotBox).show(trial_curves(message.result))
        self.query_one("#sweep-best-box", PlotBox).show(best_curves(message.result))
        self.query_one(ImportanceBars).show(message.result.importances)
        self._status_from_state()
        if ended:
            self.app.notify(
                f"the sweep {self.spec.study_name} ended: {progress_line(message.result, self.spec.trials)}",
                title="Sweep",
                markup=False,
            )

    def on_sweep_watch_failed(self, message: SweepWatchFailed) -> None:
        if message.generation != self.generation:
            return
        self._status(f"Not watching: {message.text}")
        self.app.notify(message.text, title="Sweep", severity="error", markup=False)

    def _status(self, text: str) -> None:
        self.query_one("#sweep-status", Static).update(text)

    def _status_from_state(self) -> None:
        spec, result = self.spec, self.result
        if spec is None:
            return
        line = f"{spec.study_name}: "
        line += progress_line(result, spec.trials) if result is not None else "reading..."
        best = result.best if result is not None else None
        if best is not None:
            line += f"; best #{best.number} {objective_text(best.value, spec.objective)}"
        if self.background is not None and self.process_running:
            line += f"; running (process {self.background.pid}, x stops)"
        elif self.process_running is False:
            line += "; ended"
        elif self.pids:
            line += f"; {len(self.pids)} worker(s) here (x stops)"
        self._status(line)

    # ------------------------------------------------------------ views and trials

    def _show_view(self, view: str) -> None:
        self.query_one(ContentSwitcher).current = view

    def action_toggle_view(self) -> None:
        """Switch between defining the sweep and watching its trials."""
        current = self.query_one(ContentSwitcher).current
        view = WATCH if current == DEFINE else DEFINE
        self._show_view(view)
        (self.query_one(TrialsTable) if view == WATCH else self.form).focus()

    @property
    def selected(self) -> TrialResult | None:
        """The trial under the table's cursor."""
        return self.query_one(TrialsTable).selected

    @on(DataTable.RowSelected, "#sweep-trials")
    def _open_trial(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.open_trial(self.selected)

    def open_trial(self, trial: TrialResult | None) -> None:
        """A trial's run: followed live on the Train tab while it trains, else its metrics panel."""
        from tui_trainer.ui.tabs.runs import show_run_details

        if trial is None:
            return
        if not trial.run_dir or not Path(trial.run_dir).is_dir():
            self.app.notify(f"trial {trial.number} has no run directory yet", title="Sweep", markup=False)
            return
        if trial.state == "running":
            self.app.runs.attach(trial.run_dir)
            return
        show_run_details(self.app, trial.run_dir)

    def _load(self, trial: TrialResult | None, what: str) -> None:
        if trial is None or self.spec is None:
            self.app.notify(f"no {what} trial yet", title="Sweep", markup=False)
            return
        try:
            experiment = apply(self.spec.experiment, trial.params)
        except SpaceError as exc:
            self.app.notify(str(exc), title="Sweep", severity="error", markup=False)
            return
        self.app.set_experiment(experiment)
        self.app.notify(
            f"loaded trial {trial.number}'s settings into the editors: s on the Train tab retrains it",
            title="Sweep",
            markup=False,
        )

    def action_load_trial(self) -> None:
        """Put the selected trial's settings (the sweep's experiment with its parameters) into the editors."""
        self._load(self.selected, "selected")

    def action_load_best(self) -> None:
        """Put the best trial's settings into the editors (to retrain it)."""
        self._load(self.result.best if self.result is not None else None, "complete")

    # ------------------------------------------------------------ sweep.toml

    def action_save(self) -> None:
        """Write the defined sweep as sweep.toml (the experiment and its [sweep] table: `sweep --config` reads it)."""
        checked = check_draft(self.draft, self.app.experiment)
        if checked.spec is None:
            self.app.notify(
                next(iter(checked.errors.values())), title="Sweep not saved", severity="error", markup=False
            )
            return
        spec = checked.spec

        def write(path: str | None) -> None:
            if not path:
                return
            try:
                save(spec, path)
            except OSError as exc:
                self.app.notify(
                    f"cannot write {path}: {exc.strerror or exc}", title="Sweep", severity="error", markup=False
                )
                return
            self.app.notify(f"wrote {path}: tui-trainer sweep --config {path} runs it", title="Sweep", markup=False)

        self.app.push_screen(AskText("Write the sweep to which file?", "sweep.toml"), write)

    def action_open_file(self) -> None:
        """Read a sweep.toml: its experiment into the editors, its space and options into the form."""

        def read(path: str | None) -> None:
            if not path:
                return
            try:
                spec = load(path)
            except (ConfigError, SpaceError) as exc:
                self.app.notify(str(exc), title="Sweep", severity="error", markup=False)
                return
            self.load_spec(spec)
            self.app.notify(f"loaded {path}: its experiment is in the editors", title="Sweep", markup=False)

        self.app.push_screen(AskText("Read a sweep from which file?", "sweep.toml"), read)

    def load_spec(self, spec: SweepSpec) -> None:
        """Show a sweep read from a file: the experiment in the editors, the rest in the form."""
        self.app.set_experiment(spec.experiment)
        self.draft = draft_from_spec(spec, int(self.draft.workers) if self.draft.workers.isdigit() else 1)
        self._show_view(DEFINE)
        self.call_later(self._rebuild_form)
