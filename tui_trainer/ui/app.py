"""TrainerApp: the tabs, the global keys, the edited experiment, and the training controller."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static, TabbedContent, TabPane, Tabs

from tui_trainer.core.config import ConfigError, Experiment
from tui_trainer.core.events import RunStarted
from tui_trainer.core.presets import load_preset
from tui_trainer.core.runs import DEFAULT_ROOT
from tui_trainer.core.trainer_process import DEFAULT_TRAIN_IN, TrainerProcess, TrainerProcessError
from tui_trainer.ui.file_actions import FileActions
from tui_trainer.ui.memory import settle_memory
from tui_trainer.ui.messages import DevicesFound, TrainingEventMessage, TrainingThreadDone
from tui_trainer.ui.screens.help import HelpPane
from tui_trainer.ui.screens.hparams import HparamsPane
from tui_trainer.ui.screens.model import ModelPane
from tui_trainer.ui.screens.runs import RunsPane
from tui_trainer.ui.screens.setup import SetupPane
from tui_trainer.ui.screens.train import TrainPane
from tui_trainer.ui.state import Shape, dataset_shape, training_blockers
from tui_trainer.ui.training import Engine, TrainingController, follow_engine, real_engine

TRAIN_IN = ("process", "thread")
"""Where the real engine trains: a warm child process (default) or a thread of the app's process."""

STYLES = Path(__file__).parent / "styles"
TABS = ("setup", "model", "hparams", "train", "runs", "help")

DEFAULT_DATASET = "digits28"
DEFAULT_PRESET = "lenet5"


class TrainerApp(FileActions, App):
    """Pick data and a preset, edit layers and hyperparameters, train live, read the metrics."""

    TITLE = "tui-trainer"
    CSS_PATH = [STYLES / "app.tcss", *sorted(p for p in STYLES.glob("*.tcss") if p.name != "app.tcss")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (60, "-normal"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (20, "-tall")]
    BINDINGS = [
        Binding("1", "show_tab('setup')", "Data", show=False),
        Binding("2", "show_tab('model')", "Model", show=False),
        Binding("3", "show_tab('hparams')", "Hyperparams", show=False),
        Binding("4", "show_tab('train')", "Train", show=False),
        Binding("5", "show_tab('runs')", "Runs", show=False),
        Binding("question_mark,6", "show_tab('help')", "Help", key_display="?"),
        Binding("s", "start", "Start"),
        Binding("p", "pause", "Pause"),
        Binding("x", "stop", "Stop"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "leave_field", "Leave field", show=False),
    ]

    experiment: reactive[Experiment] = reactive(Experiment, always_update=True, init=False)
    """The experiment as edited; every tab shows it and replaces it (never mutates it)."""
    invalid_fields: reactive[frozenset[str]] = reactive(frozenset, init=False)
    """Form fields whose typed text is not valid (kept as typed, blocking training)."""
    devices: reactive[tuple[str, ...]] = reactive(("auto", "cpu"), init=False)
    """Devices to offer: "auto", "cpu" until torch has been imported in the background."""
    preset_name: reactive[str] = reactive("", init=False)

    def __init__(
        self,
        *,
        engine: Engine | None = None,
        dataset: str | None = None,
        preset: str | None = None,
        probe_devices: bool = True,
        runs_dir: str | Path | None = DEFAULT_ROOT,
        watch: str | Path | None = None,
        experiment: Experiment | None = None,
        train_in: str = DEFAULT_TRAIN_IN,
        trainer_process: TrainerProcess | None = None,
        tune_gc: bool = False,
    ) -> None:
        """engine: a stand-in for the real engine (tests); train_in: "process" or "thread" for the
        real one; trainer_process: the child to train in (default: a new TrainerProcess);
        tune_gc: freeze the start-up objects and collect less often (see settle_memory), which
        changes the whole process's garbage collector (`tui-trainer` does it; tests do not)."""
        super().__init__()
        if train_in not in TRAIN_IN:
            raise ValueError(f"train_in must be one of {', '.join(TRAIN_IN)}, not {train_in!r}")
        self.trainer_process: TrainerProcess | None = None
        """The warm child that trains (None: training in a thread of this process, or a test engine)."""
        if engine is None and train_in == "process":
            self.trainer_process = trainer_process or TrainerProcess()
        self.engine = engine or self._real_engine()
        self.runs_dir = runs_dir
        """Where runs are saved (None: not saved); the Runs tab lists and changes it."""
        self.watch_dir = watch
        self.overlays: dict[str, tuple[str, list]] = {}
        """Past runs drawn dimmed on the Train plots: run dir -> (label, metrics.csv rows)."""
        self.probe_devices = probe_devices
        self.tune_gc = tune_gc
        self.controller = TrainingController(self, self.engine)
        self.known_shapes: dict[str, tuple[Shape, int]] = {}
        """(input shape, classes) of datasets seen in a run (csv:/folder: are unknown before)."""
        self._pending_start: Experiment | None = None
        if experiment is not None:  # e.g. the run being watched
            try:
                self.preset_experiment = load_preset(experiment.name)
            except ConfigError:
                self.preset_experiment = experiment
            start = experiment
        else:
            self.preset_experiment = load_preset(preset or DEFAULT_PRESET)
            start = self.preset_experiment.with_data(
                name=dataset or (DEFAULT_DATASET if not preset else self.preset_experiment.data.name)
            )
        self.set_reactive(TrainerApp.experiment, start)
        self.set_reactive(TrainerApp.preset_name, self.preset_experiment.name)

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Container(id="main"):
            with TabbedContent(id="tabs", initial="setup"):
                with TabPane("1 Data", id="setup"):
                    yield SetupPane()
                with TabPane("2 Model", id="model"):
                    yield ModelPane()
                with TabPane("3 Hyperparams", id="hparams"):
                    yield HparamsPane()
                with TabPane("4 Train", id="train"):
                    yield TrainPane()
                with TabPane("5 Runs", id="runs"):
                    yield RunsPane()
                with TabPane("? Help", id="help"):
                    yield HelpPane()
        yield Static("Terminal too small: make it at least 60 columns x 20 rows.", id="too-small")
        yield Footer()

    def _real_engine(self, resume: str | Path | None = None) -> Engine:
        """The real engine, saving each run under the runs folder as it is when the run starts."""
        return real_engine(self.trainer_process, lambda: self.runs_dir, resume)

    def on_mount(self) -> None:
        self.set_timer(1.0, self.settle_memory)  # once the deferred forms are mounted
        if self.watch_dir is not None:
            self.call_after_refresh(self.attach_run, self.watch_dir)
        if self.probe_devices:  # after the first frame: importing torch takes seconds
            self.call_after_refresh(
                self.run_worker, self._probe_devices, thread=True, group="devices", exit_on_error=False
            )

    def settle_memory(self) -> None:
        """With tune_gc: collect, freeze the survivors and collect less often (ui/memory.py says why).
        Called after start-up and at the start of every run."""
        if self.tune_gc:
            settle_memory()

    def _probe_devices(self) -> None:
        """Start the training process (it imports torch, off the UI thread) and list its devices.

        Without a training process, torch is imported here on a worker thread instead. A process
        that cannot start leaves the app training in a thread, with a message saying why.
        """
        if self.trainer_process is not None:
            try:
                self.post_message(DevicesFound(self.trainer_process.wait_ready()))
                return
            except TrainerProcessError as exc:
                if self.trainer_process.closed:  # the app is ending
                    return
                self.call_from_thread(self._fall_back_to_thread, str(exc))
        from tui_trainer.core.engine import available_devices

        self.post_message(DevicesFound(("auto", *available_devices())))

    def _fall_back_to_thread(self, reason: str) -> None:
        process, self.trainer_process = self.trainer_process, None
        if process is not None:
            self.run_worker(process.close, thread=True, group="devices", exit_on_error=False)
            self.engine = self.controller.engine = self._real_engine()
        self.notify(f"{reason}; training in the app's own process instead", title="Training", severity="warning")

    async def on_unmount(self) -> None:
        """Stop a run that is going and end the training process (a run stops at its next batch)."""
        self.controller.stop()
        if self.trainer_process is not None:
            await asyncio.to_thread(self.trainer_process.close)

    def on_devices_found(self, message: DevicesFound) -> None:
        self.devices = message.devices

    # ------------------------------------------------------------ editing the experiment

    def set_experiment(self, experiment: Experiment) -> None:
        """Replace the edited experiment (every tab redraws from it)."""
        self.experiment = experiment

    def set_invalid(self, field: str, invalid: bool) -> None:
        """Mark a form field as holding text that is not valid (or valid again)."""
        fields = set(self.invalid_fields)
        (fields.add if invalid else fields.discard)(field)
        self.invalid_fields = frozenset(fields)

    def select_dataset(self, name: str) -> None:
        """Train on another dataset, keeping the layers and hyperparameters."""
        self.set_experiment(self.experiment.with_data(name=name))

    def select_preset(self, name: str) -> bool:
        """Load a preset's layers and hyperparameters, keeping the chosen dataset and its options."""
        try:
            preset = load_preset(name)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", title="Preset")
            return False
        self.preset_experiment = preset
        self.set_experiment(dataclasses.replace(preset, data=self.experiment.data))
        self.preset_name = preset.name
        return True

    def reset_layers(self) -> None:
        """Put the preset's layer stack back."""
        self.set_experiment(self.experiment.replace_layers(self.preset_experiment.layers))

    def blockers(self) -> list[str]:
        """Every reason training cannot start now."""
        return training_blockers(self.experiment, self.invalid_fields, self.known_shapes)

    # ------------------------------------------------------------ training

    @property
    def train_pane(self) -> TrainPane:
        return self.query_one(TrainPane)

    def action_show_tab(self, tab: str) -> None:
        """Show a tab and move the focus into it (a focused widget left behind would pull it back)."""
        tabs = self.query_one(TabbedContent)
        if tabs.active == tab:
            return
        tabs.active = tab
        content = tabs.get_pane(tab).children[0]
        target = content if content.focusable else next((w for w in content.query("*") if w.focusable), None)
        self.set_focus(target)

    def action_leave_field(self) -> None:
        """Escape from a text field to the tab bar, so single-key shortcuts work again."""
        if isinstance(self.focused, Input):
            self.query_one(TabbedContent).query_one(Tabs).focus()

    def action_start(self) -> None:
        """Start a run of the edited experiment, unless one is going or something blocks it."""
        self.action_show_tab("train")
        if self.controller.running:
            self.notify("A run is going: r retrains with the edited settings, x stops it.", title="Training")
            return
        self._start_checked()

    def action_retrain(self) -> None:
        """Stop the current run (if any), then train the edited experiment again with fresh weights."""
        self.action_show_tab("train")
        if self.controller.running:
            if self.blockers():
                self._start_checked()
                return
            self.controller.stop()
            self._pending_start = self.experiment
            self.train_pane.show_stopping("stopping the previous run, then training again...")
            return
        self._start_checked()

    def _start_checked(self) -> None:
        reasons = self.blockers()
        if reasons:
            self.train_pane.show_blocked(reasons)
            self.notify(reasons[0], title="Cannot train yet", severity="error")
            return
        self._start_now(self.experiment)

    def _start_now(self, experiment: Experiment, engine: Engine | None = None) -> None:
        self._pending_start = None
        self.settle_memory()
        run_id = self.controller.start(experiment, engine)
        self.train_pane.begin_run(experiment, run_id)

    def _start_special(self, experiment: Experiment, engine: Engine, what: str) -> bool:
        """Start a run with another engine (follow, resume) unless one is going."""
        self.action_show_tab("train")
        if self.controller.running:
            self.notify(f"A run is going: stop it (x) before you {what}.", severity="warning")
            return False
        self._start_now(experiment, engine)
        return True

    def attach_run(self, run_dir: str | Path) -> None:
        """Follow a run that another process writes (e.g. a nohup'ed `tui-trainer train`) on the Train tab."""
        from tui_trainer.core.runs import load_run

        record = load_run(run_dir)
        if record.experiment is None:
            self.notify(record.problem or f"{run_dir} cannot be read", title="Attach", severity="error")
            return
        self._start_special(record.experiment, follow_engine(run_dir), "attach to another run")

    def resume_run(self, run_dir: str | Path, experiment: Experiment) -> None:
        """Continue a saved run from its last checkpoint, in its own run directory."""

        self._start_special(experiment, self._real_engine(resume=run_dir), "resume another run")

    def set_overlays(self, overlays: dict[str, tuple[str, list]]) -> None:
        """Past runs to draw dimmed on the Train plots."""
        self.overlays = overlays
        self.train_pane.set_overlays(list(overlays.values()))

    def action_pause(self) -> None:
        if not self.controller.running:
            return
        if self.controller.paused:
            self.controller.resume()
            self.train_pane.set_paused(False)
        else:
            self.controller.pause()
            self.train_pane.set_paused(True)

    def action_stop(self) -> None:
        if self.controller.running:
            self.controller.stop()
            self.train_pane.show_stopping("stopping...")

    async def action_quit(self) -> None:
        self.controller.stop()
        self.exit()

    def on_training_event_message(self, message: TrainingEventMessage) -> None:
        if message.run_id != self.controller.run_id:
            return
        event = message.event
        run = self.train_pane.current
        if isinstance(event, RunStarted) and run and dataset_shape(run.experiment, self.known_shapes) is None:
            # csv:/folder: shapes are only known once loaded; the registry knows the built-ins.
            self.known_shapes[run.experiment.data.name] = (event.input_shape, len(event.class_names))
            self.experiment = self.experiment  # always_update: the tabs redraw with the now known shape
        self.train_pane.handle_event(event)

    def on_training_thread_done(self, message: TrainingThreadDone) -> None:
        self.train_pane.thread_done(message.run_id)
        if self._pending_start is not None and not self.controller.running:
            self._start_now(self._pending_start)

    @on(TabbedContent.TabActivated)
    def _focus_tab(self, event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Start training", "Train the edited experiment (s)", self.action_start)
        yield SystemCommand("Stop training", "Stop the run at its next batch (x)", self.action_stop)
        yield SystemCommand("Pause / resume", "Pause or resume the run (p)", self.action_pause)
        yield SystemCommand("Retrain", "Train again with fresh weights (r on the Train tab)", self.action_retrain)
        yield SystemCommand("Reset layers to the preset", "Undo layer edits", self.reset_layers)
        yield SystemCommand(
            "Show as PyTorch code", "The experiment as a standalone script (c on Model)", self.action_show_code
        )
        yield SystemCommand(
            "Save as preset", "Save the edited experiment as your preset (w on Model)", self.action_save_preset
        )
        for number, tab in enumerate(TABS, start=1):
            yield SystemCommand(f"Go to {tab}", f"Show the {tab} tab ({number})", lambda t=tab: self.action_show_tab(t))
