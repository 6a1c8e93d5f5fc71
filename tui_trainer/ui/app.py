"""TrainerApp: the tabs, the global keys, the command palette and the edited experiment."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container
from textual.driver import Driver
from textual.notifications import Notification, Notify
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent, TabPane, Tabs

from tui_trainer.core.backend import BackendError, TrainingBackend
from tui_trainer.core.data.registry import DataShape, shape_of
from tui_trainer.core.pipeline.checks import default_preset, start_problems, training_device
from tui_trainer.core.runs import DEFAULT_ROOT, RunError
from tui_trainer.core.spec.experiment import ConfigError, Experiment, Problem, field_title
from tui_trainer.core.spec.presets import load_preset, save_user_preset, saved_description
from tui_trainer.ui.gc_tuning import MemorySettler
from tui_trainer.ui.key_order import handles_keys_in_order, type_into
from tui_trainer.ui.messages import DevicesFound, TrainingEventMessage, TrainingThreadDone
from tui_trainer.ui.run_lifecycle import RunLifecycle
from tui_trainer.ui.screens.dialogs import AskText, Confirm, MessageLog
from tui_trainer.ui.terminal import hang_up_proof
from tui_trainer.ui.typing_guard import TypingGuard
from tui_trainer.ui.widgets.field_form import FieldRow
from tui_trainer.ui.widgets.footer import RunKeysFooter
from tui_trainer.ui.widgets.message_bar import LOG_SIZE, LoggedMessage, MessageBar, logged

if TYPE_CHECKING:
    from textual.app import AutopilotCallbackType
    from textual.pilot import Pilot

    from tui_trainer.ui.tabs.sweep import SweepPane

STYLES = Path(__file__).parent / "styles"
FIRST_FRAME_STYLES = ("app.tcss", "data.tcss", "forms.tcss")
"""The stylesheets the first frame needs (the chrome, the Data tab, the form rows its help lines use); the others are
read with the other tabs' panes, just after it. Their rules style only their own tabs' and dialogs' widgets:
tests/ui/test_startup.py checks that none of them matches a widget of the first frame."""
LATER_STYLES = tuple(sorted(p.name for p in STYLES.glob("*.tcss") if p.name not in FIRST_FRAME_STYLES))
TABS = ("data", "model", "hparams", "train", "runs", "sweep", "help")
TAB_LABELS = {
    "data": ("1", "Data"),
    "model": ("2", "Model"),
    "hparams": ("3", "Hyperparams"),
    "train": ("4", "Train"),
    "runs": ("5", "Runs"),
    "sweep": ("6", "Sweep"),
    "help": ("?", "Help"),
}
"""Each tab's key and name, as its label in the tab bar shows them (the palette uses the same words)."""


def pane_class(tab: str) -> type[Widget]:
    """The class of a tab's pane, its module imported when first asked for: the first frame needs only the
    first tab's (see TrainerApp.compose)."""
    if tab == "data":
        from tui_trainer.ui.tabs.data import DataPane as pane
    elif tab == "model":
        from tui_trainer.ui.tabs.model import ModelPane as pane
    elif tab == "hparams":
        from tui_trainer.ui.tabs.hparams import HparamsPane as pane
    elif tab == "train":
        from tui_trainer.ui.tabs.train import TrainPane as pane
    elif tab == "runs":
        from tui_trainer.ui.tabs.runs import RunsPane as pane
    elif tab == "sweep":
        from tui_trainer.ui.tabs.sweep import SweepPane as pane
    elif tab == "help":
        from tui_trainer.ui.tabs.help import HelpPane as pane
    else:
        raise KeyError(tab)
    return pane


FIRST_TAB = "data"
"""The tab the app opens on: the only pane in the first frame."""

DEFAULT_DATASET = "digits28"


class TrainerApp(App):
    """Pick data and a preset, edit layers and hyperparameters, train live, read the metrics."""

    TITLE = "tui-trainer"
    CSS_PATH = [STYLES / name for name in FIRST_FRAME_STYLES]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (60, "-normal"), (90, "-medium"), (110, "-wide")]
    """-medium (90-109 columns): the Data tab keeps its two columns, so its preview shows without scrolling."""
    VERTICAL_BREAKPOINTS = [(0, "-short"), (20, "-tall"), (40, "-roomy")]
    BINDINGS = [
        Binding("1", "show_tab('data')", "Data", show=False),
        Binding("2", "show_tab('model')", "Model", show=False),
        Binding("3", "show_tab('hparams')", "Hyperparams", show=False),
        Binding("4", "show_tab('train')", "Train", show=False),
        Binding("5", "show_tab('runs')", "Runs", show=False),
        Binding("6", "show_tab('sweep')", "Sweep", show=False),
        Binding("question_mark", "show_tab('help')", "Help", key_display="?"),
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
        backend: TrainingBackend | None = None,
        dataset: str | None = None,
        preset: str | None = None,
        runs_dir: str | Path | None = DEFAULT_ROOT,
        watch: str | Path | None = None,
        experiment: Experiment | None = None,
        tune_gc: bool = False,
        signals: bool = False,
    ) -> None:
        """backend: where runs train (default: open_backend(), the warm training process); watch: a run
        directory to follow on the Train tab at start; experiment: the one to edit (default: the preset
        on the dataset); tune_gc: freeze the start-up objects and collect less often (see gc_tuning),
        which changes the whole process's garbage collector (`tui-trainer` does it; tests do not); signals:
        handle SIGHUP and SIGTERM (see on_exit_signal), which replaces the process's handlers while the app
        runs (`tui-trainer` does it; tests that run in-process do not)."""
        super().__init__()
        if backend is None:
            from tui_trainer.core.backend import open_backend

            backend = open_backend()
        self.backend = backend
        self.runs = RunLifecycle(self, backend)
        """The run in flight and its controls (start, retrain, attach, resume, pause, stop, overlays)."""
        self.runs_dir = runs_dir
        """Where runs are saved (None: not saved); the Runs tab lists and changes it."""
        self.watch_dir = watch
        self.panes_mounted = False
        """True once every tab's pane is mounted (right after the first frame; see compose)."""
        self._mounting_panes = asyncio.Lock()
        self.signals = signals
        self.exit_signal: signal.Signals | None = None
        """The signal that ended the app (SIGHUP: the terminal hung up; SIGTERM), else None."""
        self.detached_pid: int | None = None
        """After a hang-up: the training process that trains the run on headless."""
        self.stopped_at_exit = False
        """True when a run was going as the app ended (and was asked to stop)."""
        self.memory = MemorySettler() if tune_gc else None
        """With tune_gc: what settles the garbage collector after start-up and at every run start."""
        self.known_shapes: dict[str, DataShape] = {}
        """(input shape, classes) of datasets seen in a run (csv:/folder: are unknown before)."""
        self.found_devices: tuple[str, ...] | None = None
        """The devices the backend found (None until it says): where "auto" trains, for the memory check."""
        self.message_log: deque[LoggedMessage] = deque(maxlen=LOG_SIZE)
        """Every message of this session, oldest first (bounded): the palette's "Messages" lists them."""
        self.typing_guard = TypingGuard(lambda note: self.notify(note, title="Keys", markup=False))
        """Swallows text typed past a text field (ui/typing_guard.py has the rule)."""
        if experiment is not None:  # e.g. the run being watched
            try:
                self.preset_experiment = load_preset(experiment.name)
            except ConfigError:
                self.preset_experiment = experiment
            start = experiment
        else:
            self.preset_experiment = load_preset(preset or default_preset(dataset))
            start = self.preset_experiment.with_data(
                name=dataset or (DEFAULT_DATASET if not preset else self.preset_experiment.data.name)
            )
        self.set_reactive(TrainerApp.experiment, start)
        self.set_reactive(TrainerApp.preset_name, self.preset_experiment.name)

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, writing nothing once the terminal hung up (ui/terminal.py says why)."""
        return hang_up_proof(super().get_driver_class())

    def compose(self) -> ComposeResult:
        """The first frame: the top line, the tab bar, the Data tab and the footer. The other tabs' panes are
        mounted right after it (mount_hidden_panes): nobody sees them before a key press, which waits for them,
        and composing and styling them first made the first frame wait (docs/architecture.md, "Start-up")."""
        yield MessageBar(id="message-bar")
        with Container(id="main"):
            with TabbedContent(id="tabs", initial=FIRST_TAB):
                for tab in TABS:
                    with TabPane(" ".join(TAB_LABELS[tab]), id=tab):
                        if tab == FIRST_TAB:
                            yield pane_class(tab)()
        yield Static("Terminal too small: make it at least 60 columns x 20 rows.", id="too-small")
        yield RunKeysFooter()

    def on_mount(self) -> None:
        if self.signals:
            self._handle_exit_signals()
        self.call_after_refresh(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        """What on_mount schedules for after the first frame (a test replaces it to stand for a slow machine)."""
        await self.mount_hidden_panes()

    # A pilot (run_test's, or run_async's auto_pilot: the snapshot tests') may call the app's methods, which
    # input alone waits for (see on_event): it takes over once every tab's pane is mounted.

    @asynccontextmanager
    async def run_test(self, *args, **kwargs) -> AsyncIterator[Pilot]:
        """Textual's run_test, handing over the pilot once every tab's pane is mounted."""
        async with super().run_test(*args, **kwargs) as pilot:
            await self._until_panes_mounted(pilot)
            yield pilot

    async def run_async(self, *args, auto_pilot: AutopilotCallbackType | None = None, **kwargs):
        """Textual's run_async; an auto_pilot starts once every tab's pane is mounted."""
        if auto_pilot is None:
            return await super().run_async(*args, **kwargs)
        drive = auto_pilot

        async def drive_once_mounted(pilot: Pilot) -> None:
            await self._until_panes_mounted(pilot)
            await drive(pilot)

        return await super().run_async(*args, auto_pilot=drive_once_mounted, **kwargs)

    async def _until_panes_mounted(self, pilot: Pilot) -> None:
        while not self.panes_mounted and self.is_running:
            await pilot.pause()

    async def mount_hidden_panes(self) -> None:
        """After the first frame, or at the first key or mouse event if that comes sooner: the other tabs' panes,
        then what needs them (following a run, the devices). Once only."""
        async with self._mounting_panes:
            if self.panes_mounted:
                return
            self._read_later_styles()
            await asyncio.gather(
                *(
                    self.query_one(f"TabPane#{tab}", TabPane).mount(pane_class(tab)())
                    for tab in TABS
                    if tab != FIRST_TAB
                )
            )
            self.panes_mounted = True
        self.set_timer(1.0, self.settle_memory)  # once the deferred forms are mounted
        if self.watch_dir is not None:
            self.runs.attach(self.watch_dir)
        # The backend may still be importing torch.
        self.run_worker(self._find_devices, thread=True, group="devices", exit_on_error=False)

    def _read_later_styles(self) -> None:
        """The other tabs' and the dialogs' stylesheets, before their panes mount (parsing all of them made the first
        frame wait); `textual run --dev` watches them too."""
        later = [STYLES / name for name in LATER_STYLES]
        self.css_path.extend(path for path in later if path not in self.css_path)
        if self.css_monitor is not None:
            self.css_monitor.add_paths(later)
        self.stylesheet.read_all(later)

    # ------------------------------------------------------------ messages (the top line, not toasts)

    ERROR_TIMEOUT_S = 12.0
    """An error stays on the top line at least this long (other messages: Textual's timeout)."""

    def _on_notify(self, event: Notify) -> None:
        """Every notification: kept in the log, shown on the top line until it expires (Textual's toasts
        lay over the content they explained: the confusion matrix at 80x24, the field in error)."""
        notification = event.notification
        if notification.severity == "error":
            notification.timeout = max(notification.timeout, self.ERROR_TIMEOUT_S)
        self._notifications.add(notification)
        self.message_log.append(logged(notification))
        self.set_timer(notification.timeout, partial(self._expire, notification))
        self._refresh_notifications()

    def _expire(self, notification: Notification) -> None:
        if notification in self._notifications:
            self._unnotify(notification)

    def _refresh_notifications(self) -> None:
        """The main screen shows the newest message on its top line; a dialog on top gets Textual's toasts
        (small dialogs sit in the middle, away from the corner)."""
        bars = self.query("#message-bar") if self.screen_stack else None
        if not bars:
            return
        bar = bars.first(MessageBar)
        if self.screen is bar.screen:
            bar.show_latest(list(self._notifications))
        elif not self.screen.query("#textual-toastrack") and not self._disable_notifications:
            self.call_after_refresh(self._refresh_notifications)  # a dialog still mounting: once it has its rack
        else:
            super()._refresh_notifications()

    def action_messages(self) -> None:
        """The session's messages, newest first."""
        self.push_screen(MessageLog(list(self.message_log)))

    def settle_memory(self) -> None:
        """With tune_gc: collect, freeze the survivors and collect less often (ui/gc_tuning.py says why).
        Called after start-up and at the start of every run."""
        if self.memory is not None:
            self.memory.settle()

    def _find_devices(self) -> None:
        """On a worker thread: wait for the backend's devices; say why it trains otherwise than asked."""
        try:
            devices = self.backend.devices()
        except BackendError:
            return  # the app is ending
        self.post_message(DevicesFound(devices, self.backend.notice))

    async def on_unmount(self) -> None:
        """Stop a run that is going and end the training process (a run stops at its next batch), unless the
        terminal hung up: then a run in the training process goes on headless (docs/architecture.md)."""
        if self.exit_signal == signal.SIGHUP:
            pid = getattr(self.backend, "pid", None)
            if self.backend.detach():
                self.detached_pid = pid
                return
        self.stopped_at_exit = self.runs.running
        self.runs.stop_run()
        await asyncio.to_thread(self.backend.close)

    def _handle_exit_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (getattr(signal, "SIGHUP", None), signal.SIGTERM):
            if sig is None:  # Windows has no SIGHUP
                continue
            try:
                loop.add_signal_handler(sig, self.on_exit_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):  # no such handlers here (not the main thread)
                return

    def on_exit_signal(self, sig: signal.Signals) -> None:
        """SIGHUP (the SSH connection dropped, the terminal closed) or SIGTERM: restore the terminal and exit.

        After SIGHUP a run training in the training process goes on headless, writing its run directory
        (`tui-trainer watch` or the Runs tab attaches to it later); after SIGTERM it ends "stopped",
        resumable. The exit status is 0 either way: nothing was lost."""
        self.exit_signal = signal.Signals(sig)
        self.exit()

    def on_devices_found(self, message: DevicesFound) -> None:
        self.devices = self.found_devices = message.devices
        if message.notice:
            self.notify(message.notice, title="Training", severity="warning", markup=False)

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
        """Train on another dataset, keeping the layers and hyperparameters; the options of the dataset left
        (a CSV's label column, a generated set's size and noise) go back to their defaults."""
        self.set_experiment(self.experiment.with_dataset(name))

    def select_preset(self, name: str) -> bool:
        """Load a preset's layers and hyperparameters, keeping the chosen dataset and its options."""
        try:
            preset = load_preset(name)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", title="Preset", markup=False)
            return False
        self.preset_experiment = preset
        self.set_experiment(dataclasses.replace(preset, data=self.experiment.data))
        self.preset_name = preset.name
        return True

    def reset_layers(self) -> None:
        """Put the preset's layer stack back."""
        self.set_experiment(self.experiment.replace_layers(self.preset_experiment.layers))

    def _reset_from_palette(self) -> None:
        from tui_trainer.ui.tabs.model import ModelPane

        self.query_one(ModelPane).action_reset()  # as r on the Model tab: it says how to undo it

    def blockers(self) -> list[str]:
        """Every reason training cannot start now, as lines naming the field as the user sees it."""
        return [str(problem) for problem in self.blocking_problems()]

    def blocking_problems(self) -> list[Problem]:
        """Every reason training cannot start now, each with its field: text typed in a field that is not
        valid (that field's own error), then the pipeline's start_problems."""
        rows = {row.key: row for row in self.query(FieldRow)}
        typed = []
        for key in sorted(self.invalid_fields):
            error = rows[key].error if key in rows else None
            title = f"{field_title(key)} "
            typed.append(Problem(key, error.removeprefix(title) if error else "the value typed there is not valid"))
        device = training_device(self.experiment.train.device, self.found_devices)
        return typed + start_problems(self.experiment, self.known_shapes, device=device)

    def show_field(self, field: str) -> bool:
        """Show a Problem's field where it is edited and focus it ("train.lr": the Hyperparams tab, "data.noise"
        or "data.name": the Data tab); False for a field edited nowhere ("model", a layer, "")."""
        section, _, name = field.partition(".")
        if section == "train" and name:
            from tui_trainer.ui.tabs.hparams import HparamsPane

            self.action_show_tab("hparams")
            self.call_after_refresh(self.query_one(HparamsPane).focus_field, name)
            return True
        if section == "data" and name:
            from tui_trainer.ui.tabs.data import DataPane

            self.action_show_tab("data")
            self.call_after_refresh(self.query_one(DataPane).focus_field, name)
            return True
        return False

    def learn_shape(self, experiment: Experiment, input_shape: tuple[int, ...], n_classes: int) -> None:
        """A run loaded a dataset whose shape the catalogue does not know (csv:, folder:): remember it."""
        if shape_of(experiment.data, self.known_shapes) is None:
            self.known_shapes[experiment.data.name] = (tuple(input_shape), n_classes)
            self.experiment = self.experiment  # always_update: the tabs redraw with the now known shape

    # ------------------------------------------------------------ tabs and keys

    async def on_event(self, event: events.Event) -> None:
        """Every key passes the typing guard first; a text field's keys are handled in the order typed. Input
        that comes before the hidden panes are mounted (see compose) waits for them."""
        if isinstance(event, (events.Key, events.MouseEvent, events.Paste)) and not self.panes_mounted:
            await self.mount_hidden_panes()
        if isinstance(event, events.Key) and not event.is_forwarded:
            if self.typing_guard.swallows(event, self.screen):
                return
            field = self.focused
            if handles_keys_in_order(field) and self.screen.maximized is None:
                await type_into(self, field, event)
                return
        elif isinstance(event, events.MouseDown):  # from the terminal, or bubbled up from a widget
            self.typing_guard.disarm()
        await super().on_event(event)

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

    def sweep_pane(self) -> SweepPane:
        """The Sweep tab's pane."""
        from tui_trainer.ui.tabs.sweep import SweepPane

        return self.query_one(SweepPane)

    def action_start(self) -> None:
        """Start a run of the edited experiment, unless one is going or something blocks it; on the Sweep tab,
        start the sweep defined there."""
        if self.query_one(TabbedContent).active == "sweep":
            self.sweep_pane().start()
            return
        self.runs.start()

    def action_retrain(self) -> None:
        """Stop the current run (if any), then train the edited experiment again with fresh weights."""
        self.runs.retrain()

    def action_pause(self) -> None:
        """Pause or resume the run; on the Sweep tab (where s and x act on the sweep) say that a sweep cannot."""
        if self.query_one(TabbedContent).active == "sweep":
            self.notify(
                "A sweep cannot be paused: x stops it (its finished trials stay; `tui-trainer sweep --resume "
                "--sweep-dir DIR` continues it). p on another tab pauses a training run.",
                title="Sweep",
                markup=False,
            )
            return
        self.runs.toggle_pause()

    def action_stop(self) -> None:
        """Stop the run at its next batch; on the Sweep tab, the sweep watched there (after asking)."""
        if self.query_one(TabbedContent).active == "sweep":
            self.sweep_pane().stop()
            return
        self.runs.stop()

    def action_scale_lr(self, factor: float) -> None:
        """Halve or double the learning rate of the run in flight from its next batch."""
        self.runs.scale_lr(factor)

    def action_ask_lr(self) -> None:
        """Ask for a new learning rate for the run in flight (checked as typed), from its next batch."""
        from tui_trainer.core.spec.lr_change import parse_lr
        from tui_trainer.ui.screens.dialogs import AskText

        now = self.runs.lr_now()
        if now is None:
            self.notify("no run is training: set the learning rate on the Hyperparams tab", markup=False)
            return

        def problem(text: str) -> str:
            try:
                parse_lr(text)
            except ValueError as exc:
                return str(exc)
            return ""

        question = f"Learning rate from the next batch (now {now:.3g}):"
        self.push_screen(AskText(question, f"{now:.3g}", check=problem), self.runs.change_lr)

    def action_find_lr(self) -> None:
        """Run the learning-rate finder on the edited experiment where training runs, and show its plot; `a` there
        puts the suggestion in the Hyperparams tab's lr."""
        from tui_trainer.core.backend.base import BUSY
        from tui_trainer.ui.screens.lr_finder import LrFinderScreen

        if self.runs.running:
            self.notify(BUSY, title="Learning-rate finder", severity="warning", markup=False)
            return
        blockers = self.blockers()
        if blockers:
            self.notify(blockers[0], title="Learning-rate finder", severity="error", markup=False)
            return
        experiment = self.experiment
        screen = LrFinderScreen(f"{experiment.name} on {experiment.data.name}")
        self.push_screen(screen, self._apply_found_lr)

        def sweep() -> None:
            finding = self.backend.find_lr(experiment)
            self.call_from_thread(screen.show, finding)

        self.run_worker(sweep, thread=True, exclusive=True, group="lr-find", exit_on_error=False)

    def _apply_found_lr(self, lr: float | None) -> None:
        if lr is None:
            return
        lr = float(f"{lr:.3g}")
        self.set_experiment(self.experiment.with_train(lr=lr))
        self.notify(f"lr {lr:g} on the Hyperparams tab", title="Learning-rate finder", markup=False)

    def show_saved_boundary(self, run_dir) -> None:
        """A saved run's decision boundary in a dialog, computed by the backend (never in this process)."""
        from pathlib import Path

        from tui_trainer.ui.screens.boundary import BoundaryScreen

        screen = BoundaryScreen(Path(run_dir).name)
        self.push_screen(screen)

        def compute() -> None:
            boundary = self.backend.boundary(str(run_dir))
            self.call_from_thread(screen.show, boundary)

        self.run_worker(compute, thread=True, exclusive=True, group="boundary", exit_on_error=False)

    async def action_quit(self) -> None:
        """Quit; while this app trains a run, ask first (the run would stop: resumable, but stopped); while a sweep
        it started runs, ask too (the sweep goes on in its own process)."""
        if self.runs.running and self.runs.following is None:

            def answered(yes: bool | None) -> None:
                if yes:
                    self.runs.stop_run()
                    self.exit()

            question = (
                "A run is training: quit and stop it? It stays resumable (R on the Runs tab). "
                "To leave it training, close the terminal or detach tmux instead."
            )
            self.push_screen(Confirm(question), answered)
            return
        if self.sweep_pane().sweep_running:
            question = (
                "A sweep is running in its own process: it goes on after the app quits (a on the Sweep tab "
                "attaches to it again, x there stops it). Quit?"
            )
            self.push_screen(Confirm(question), lambda yes: self.exit() if yes else None)
            return
        self.runs.stop_run()
        self.exit()

    def on_training_event_message(self, message: TrainingEventMessage) -> None:
        self.runs.on_event(message)

    def on_training_thread_done(self, message: TrainingThreadDone) -> None:
        self.runs.on_thread_done(message)

    # ------------------------------------------------------------ files from the experiment

    def action_show_code(self) -> None:
        """Show the edited experiment as a standalone PyTorch script; w then writes it."""
        from tui_trainer.core.export import ExportError, ExportSource, export_script  # imported when used:
        from tui_trainer.ui.screens.code_view import CodeView  # rich.syntax would delay the first frame

        experiment = self.experiment
        shape = shape_of(experiment.data, self.known_shapes)
        if shape is None:
            self.notify(
                "Train once on this dataset so its shape is known, then export.", severity="warning", markup=False
            )
            return
        filename = f"train_{experiment.name}_{experiment.data.name}.py".replace(":", "_").replace("/", "_")
        source = ExportSource(experiment, shape[0], shape[1], "the experiment edited in tui-trainer")
        try:
            code = export_script(source, filename)
        except ExportError as exc:
            self.notify(str(exc), title="Export", severity="error", markup=False)
            return

        def write(answer: str | None) -> None:
            if not answer:
                return
            try:
                Path(answer).write_text(code, encoding="utf-8")
            except OSError as exc:
                message = f"cannot write {answer}: {exc.strerror or exc}"
                self.notify(message, title="Export", severity="error", markup=False)
                return
            self.notify(f"wrote {answer}: run it with python {answer}", title="Export", markup=False)

        def closed(wants_file: bool | None) -> None:
            if wants_file:
                self.push_screen(AskText("Write the script to which file?", filename), write)

        self.push_screen(CodeView(code, f"{filename}: plain PyTorch, runs without tui-trainer"), closed)

    def open_review(self, run_dir: str | Path, experiment: Experiment) -> None:
        """The review queue of a reviewed run (its review.json); once it wrote label_overrides.json, the editors get
        the run's settings with that file as the data option label_overrides: s retrains on the corrected labels."""
        from tui_trainer.core.runs.review_file import read_review
        from tui_trainer.ui.screens.review import ReviewQueue

        try:
            review = read_review(run_dir)
        except RunError as exc:
            self.notify(str(exc), title="Review", severity="error", markup=False)
            return

        def written(path: Path | None) -> None:
            if path is None:
                return
            self.set_experiment(experiment.with_data(label_overrides=str(path)))
            self.notify(
                f"wrote {path} and loaded the run's settings with label_overrides: s trains on the corrected "
                "labels (space on the Runs tab overlays the noisy run to compare)",
                title="Review",
                markup=False,
            )

        self.push_screen(ReviewQueue(run_dir, review), written)

    def action_save_preset(self) -> None:
        """Save the edited experiment as a user preset (it then appears beside the built-in ones)."""

        def save(name: str | None) -> None:
            if not name:
                return
            try:
                path = save_user_preset(self.experiment, name)
            except ConfigError as exc:
                self.notify(str(exc), title="Save preset", severity="error", markup=False)
                return
            saved = dataclasses.replace(self.experiment, name=name, description=saved_description(self.experiment))
            self.preset_experiment = saved
            self.set_experiment(saved)
            self.preset_name = name
            self.notify(f"saved {path}", title="Save preset", markup=False)

        self.push_screen(
            AskText("Save the edited experiment as your preset called:", f"my-{self.experiment.name}"), save
        )

    @on(TabbedContent.TabActivated)
    def _focus_tab(self, event: TabbedContent.TabActivated) -> None:
        if self.screen_stack:  # a tab activated while the app closes has no footer to refresh
            self.refresh_bindings()

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        yield SystemCommand("Start training", "Train the edited experiment (s)", self.runs.start)  # a run on any tab
        yield SystemCommand("Messages", "Every message of this session, newest first", self.action_messages)
        yield SystemCommand("Stop training", "Stop the run at its next batch (x)", self.runs.stop)
        yield SystemCommand("Pause / resume", "Pause or resume the run (p)", self.action_pause)
        yield SystemCommand("Retrain", "Train again with fresh weights (r on the Train tab)", self.action_retrain)
        yield SystemCommand(
            "Find the learning rate",
            "Sweep it over ~100 batches and suggest one (f on the Train tab)",
            self.action_find_lr,
        )
        yield SystemCommand(
            "Change the learning rate", "Type a new rate for the run in flight (l on the Train tab)", self.action_ask_lr
        )
        yield SystemCommand(
            "Reset layers to the preset",
            "Put the preset's layers back (u on Model undoes it)",
            self._reset_from_palette,
        )
        yield SystemCommand(
            "Show as PyTorch code", "The experiment as a standalone script (c on Model)", self.action_show_code
        )
        yield SystemCommand(
            "Save as preset", "Save the edited experiment as your preset (w on Model)", self.action_save_preset
        )
        for tab in TABS:
            key, label = TAB_LABELS[tab]
            yield SystemCommand(
                f"Go to {label}", f"Show the {label} tab ({key})", lambda t=tab: self.action_show_tab(t)
            )
