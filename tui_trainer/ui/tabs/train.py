"""The Train tab: status, progress, live loss and accuracy plots beside the confusion matrix; lr, per-class metrics
and this session's runs on a second page (`v`), or below where the terminal is tall enough."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Static

from tui_trainer.core.spec.boundary import BoundaryMap, is_plane
from tui_trainer.core.spec.events import (
    BatchEnd,
    EpochEnd,
    LrChanged,
    RunEnded,
    RunPhase,
    RunStarted,
    RunStatus,
    TrainingEvent,
    ended_line,
)
from tui_trainer.core.spec.experiment import Experiment
from tui_trainer.core.spec.inspection import Inspection
from tui_trainer.core.spec.throttle import Clock, Throttle
from tui_trainer.ui.overlays import Overlay, drawable
from tui_trainer.ui.run_history import RunHistory, format_duration
from tui_trainer.ui.widgets.boundary import BoundaryView
from tui_trainer.ui.widgets.class_metrics import ClassMetrics
from tui_trainer.ui.widgets.confusion import ConfusionMatrix
from tui_trainer.ui.widgets.curves import Curve, CurvePlot, LabelledPlot
from tui_trainer.ui.widgets.progress_row import ProgressRow
from tui_trainer.ui.widgets.runs_table import RunsTable

REDRAW_INTERVAL_S = 0.5
"""The status line, progress bars, plots and tables redraw at most this often, twice a second as btop does: each
redraw costs the UI process CPU that a 2-core machine takes from training (docs/architecture.md, "Throttles")."""
TIMER_SLACK_S = 0.02
"""The pane's timer ticks every REDRAW_INTERVAL_S, and a tick may come this much early: the cap lets it through."""
EPOCH_PANELS_INTERVAL_S = 1.0
"""The accuracy plot, confusion matrix and per-class table (what an epoch's end changes) redraw at most this often:
a small dataset ends several epochs a second, and each such redraw costs as much as a loss plot."""
LR_INTERVAL_S = 1.0
"""The learning-rate plot redraws at most this often while its rate changes (a schedule stepped every batch)."""
LR_IDLE_S = 2.0
"""A learning-rate curve whose value has not changed (a constant rate, within an epoch) redraws this often, to
follow the other plots' x range."""
STAGE_INTERVAL_S = 0.03
"""The heavy redraws of one flush (the other plots, the tables) go out together this long after the frame of the
status, progress and loss plot: two frames of a flush, not one long one (a key press waits for a frame) nor one
per panel (every frame repaints the widgets under the changed area: each costs the UI process CPU)."""
STATUS_CLASSES = ("idle", "starting", "running", "paused", "stopping", "finished", "stopped", "failed", "blocked")


class TrainPane(Vertical, can_focus=True):
    """The dashboard of the current run; the app feeds it events and run boundaries.

    The first page (status, progress, loss and accuracy beside the confusion matrix and macro F1) fits
    80x24; the details (learning rate, per-class metrics, this session's runs) are one key away (`v`),
    and shown below it from 40 rows on.
    """

    BINDINGS = [
        Binding("r", "app.retrain", "Retrain"),
        Binding("v", "toggle_details", "More"),
        Binding("n", "toggle_normalised", "Rates"),
        Binding("b", "toggle_raw_batches", "Raw loss"),
        Binding("d", "toggle_boundary", "Boundary", show=False, tooltip="2-D data: the decision boundary"),
        Binding("f", "app.find_lr", "Find lr", show=False, tooltip="The learning-rate finder (a applies its rate)"),
        Binding("left_square_bracket", "app.scale_lr(0.5)", "lr ÷2", key_display="[", show=False),
        Binding("right_square_bracket", "app.scale_lr(2.0)", "lr ×2", key_display="]", show=False),
        Binding(
            "l", "app.ask_lr", "Set lr", show=False, tooltip="Change the lr from the next batch ([ halves, ] doubles)"
        ),
        Binding("t", "robustness", "Robustness", show=False),
        Binding("i", "inspect", "Inspect", tooltip="The samples the model gets wrong, its filters and feature maps"),
        Binding("m", "app.show_tab('model')", "Edit model", show=False),
        Binding("h", "app.show_tab('hparams')", "Edit hparams", show=False),
    ]

    def __init__(self, clock: Clock = time.monotonic) -> None:
        """clock: what the redraw cap counts in (tests pass a simulated one)."""
        super().__init__(id="train-pane")
        self.redraws = Throttle(REDRAW_INTERVAL_S - TIMER_SLACK_S, clock)
        """Lets a redraw through at most once per REDRAW_INTERVAL_S (less the timer's slack)."""
        self.epoch_redraws = Throttle(EPOCH_PANELS_INTERVAL_S - TIMER_SLACK_S, clock)
        """Lets the epoch's panels redraw at most once per EPOCH_PANELS_INTERVAL_S."""
        self._epoch_waiting: tuple[RunHistory, RunHistory | None] | None = None
        """(run, previous run) whose epoch panels wait for their cap (drawn by the next ticks, or at once)."""
        self.lr_redraws = Throttle(LR_INTERVAL_S - TIMER_SLACK_S, clock)
        """Lets the learning-rate plot redraw at most once per LR_INTERVAL_S."""
        self.lr_idle_redraws = Throttle(LR_IDLE_S - TIMER_SLACK_S, clock)
        """Lets an unchanged learning-rate curve redraw at most once per LR_IDLE_S."""
        self._lr_waiting: RunHistory | None = None
        """The run whose lr plot waits for its cap (the next ticks draw it, an at-once flush at once)."""
        self._lr_drawn: tuple | None = None
        """(run id, epochs, last rate, changes by hand) of the lr plot as last drawn."""
        self.runs: list[RunHistory] = []
        self.overlays: list[Overlay] = []
        """Saved runs picked on the Runs tab."""
        self.normalised = False
        self.raw_batches = False
        """Draw every mini-batch's loss as reported (the noise of SGD) instead of its moving average."""
        self._clock = clock
        self._dirty = False
        self._runs_dirty = False
        self._texts: dict[str | None, str] = {}
        self._drawn_epochs: tuple[int, int, bool, int] | None = None
        """(run id, epochs, normalised, overlays) of the metrics panel and accuracy plot as last drawn."""
        self._stages: dict[str, Callable[[], None]] = {}
        """Heavy redraws waiting for their frame, by what they draw (a newer one replaces an older)."""
        self._stage_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        # The status and note lines show names, reasons and class names (the user's): never markup.
        yield Static("ready: press s to train", id="status", classes="idle", markup=False)
        yield ProgressRow("epoch", "run", id="progress-row")
        yield Static("", id="warning", markup=False)
        yield Static("", id="blocked", markup=False)
        with Horizontal(id="glance"):
            with Vertical(id="plots"):
                yield LabelledPlot("loss", plot_id="loss-plot")
                yield LabelledPlot("accuracy", plot_id="acc-plot")
            with Vertical(id="metrics"):
                yield Static("validation metrics appear after the first epoch", id="metrics-title", markup=False)
                yield ConfusionMatrix(id="confusion")
                yield Static("", id="metrics-summary", markup=False)
                yield Static("", id="boundary-legend", markup=False)
                yield BoundaryView(id="boundary")
        with Horizontal(id="details"):
            with Vertical(id="details-left"):
                yield LabelledPlot("learning rate", plot_id="lr-plot")
                yield Static("Runs this session", id="runs-title")
                yield RunsTable(id="session-runs")
            yield ClassMetrics(id="class-metrics")

    def on_mount(self) -> None:
        self._set_note("#warning", "")
        self._set_note("#blocked", "")
        self.set_interval(REDRAW_INTERVAL_S, self._tick)

    # ------------------------------------------------------------ what the app calls

    @property
    def all_drawn(self) -> bool:
        """Nothing waits for a redraw cap or for its frame: the screen shows every event given so far."""
        waiting = self._lr_waiting is not None or self._epoch_waiting is not None
        return not (self._dirty or self._runs_dirty or self._stages or waiting)

    def use_clock(self, clock: Clock) -> None:
        """Count every redraw cap (and the ETA) in this clock from now on (tests pass a simulated one)."""
        self._clock = clock
        for throttle in (self.redraws, self.epoch_redraws, self.lr_redraws, self.lr_idle_redraws):
            throttle.clock = clock

    @property
    def current(self) -> RunHistory | None:
        """The newest run, if any."""
        return self.runs[-1] if self.runs else None

    def begin_run(self, experiment: Experiment, run_id: int) -> None:
        """A new run starts: fresh curves, the previous run kept for the dimmed overlay, and the runs
        before it compacted to their row in the runs table (a session of many runs stays small)."""
        previous = self._run_with_epochs()
        for run in self.runs:
            if run is not previous:
                run.compact()
        self.runs.append(RunHistory(run_id, experiment))
        self._set_note("#blocked", "")
        self._set_note("#warning", "")
        progress = self.query_one(ProgressRow)
        progress.update("epoch", total=None, progress=0)
        progress.update("run", total=None, progress=0)
        self._set_status("starting", f"starting run {run_id}: {experiment.name} on {experiment.data.name}")
        self._dirty = self._runs_dirty = True
        self._flush(at_once=True)

    def handle_event(self, event: TrainingEvent) -> None:
        """One event of the current run (the app drops events of older runs)."""
        run = self.current
        if run is None:
            return
        if isinstance(event, Inspection):  # kept for the inspection screen, which pulls it: nothing to redraw here
            run.add(event)
            return
        if isinstance(event, RunPhase):
            if run.started is None:
                self._set_status("starting", f"{event.message}...")
            else:  # a note while training (e.g. torch.compile fell back): the status stays the run's
                self.app.notify(event.message, title="Training", severity="warning", markup=False)
            return
        run.add(event, now=self._clock())
        if isinstance(event, RunStarted):
            total = event.epochs * event.batches_per_epoch
            progress = self.query_one(ProgressRow)
            progress.update("run", total=total, progress=0)
            progress.update("epoch", total=event.batches_per_epoch, progress=0)
        elif isinstance(event, BatchEnd):
            self._dirty = True  # status line and progress follow at the redraw rate (each costs a layout)
            return
        elif isinstance(event, EpochEnd):
            self._runs_dirty = True
        elif isinstance(event, BoundaryMap):
            self._stages["boundary"] = partial(self._draw_boundary, run)
            self._dirty = True  # the flush sends the waiting stages out
            return
        elif isinstance(event, LrChanged):
            self.app.notify(
                f"learning rate {event.old_lr:.3g} -> {event.lr:.3g} from epoch {event.epoch}, batch {event.batch}",
                title="Learning rate",
                markup=False,
            )
        elif isinstance(event, RunEnded):
            self._runs_dirty = True
            progress = self.query_one(ProgressRow)
            if run.started is None:  # ended before training: empty bars at 0 %, not "--%"
                for label in progress.bars:
                    progress.update(label, total=1, progress=0)
            elif event.status == RunStatus.FINISHED:  # a followed run's log is thinned: its last batch may be missing
                progress.complete()
        # a run's start and end show at once; an epoch's end shows with the next redraw (a small dataset ends
        # dozens of epochs a second, and a status line drawn for each was a frame of its own)
        if isinstance(event, RunEnded) or (isinstance(event, RunStarted) and run.status not in ("paused", "stopping")):
            self._set_status(run.status, self._status_text(run))
        self._dirty = True

    def thread_done(self, run_id: int) -> None:
        """The run's thread returned (after RunEnded): nothing keeps the next run waiting."""
        self._flush(at_once=True)

    def set_paused(self, paused: bool) -> None:
        """Show the paused state of the current run."""
        run = self.current
        if run is None or run.done:
            return
        run.status = "paused" if paused else "running"
        self._set_status(run.status, self._status_text(run))

    def set_overlays(self, overlays: list[Overlay]) -> None:
        """Saved runs to draw dimmed beside the current one (those on its dataset, within its epochs)."""
        self.overlays = overlays
        self._dirty = True
        if self.is_mounted:
            self._flush(at_once=True)  # picked by the user: drawn now, not at the panels' cap

    def show_stopping(self, text: str) -> None:
        """The current run was asked to stop: say so (with text) until its RunEnded arrives."""
        run = self.current
        if run is not None and not run.done:
            run.status = "stopping"
        self._set_status(run.status if run else "idle", text)

    def show_blocked(self, reasons: list[str]) -> None:
        """Say why training cannot start."""
        self._set_status("blocked", "cannot train yet: fix the settings below (edits are kept)")
        self._set_note("#blocked", "\n".join(f"- {r}" for r in reasons))

    # ------------------------------------------------------------ drawing

    def _set_status(self, status: str, text: str) -> None:
        widget = self.query_one("#status", Static)
        widget.set_classes(status if status in STATUS_CLASSES else "idle")
        self._update_text(widget, text)

    def _update_text(self, widget: Static, text: str) -> None:
        """Update a Static only when its text changes, with a layout pass (costly on a full dashboard)
        only when the new text's wrapped height differs from the height it has."""
        if self._texts.get(widget.id) == text:
            return
        self._texts[widget.id] = text
        width, height = widget.content_size
        widget.update(text, layout=False)
        if width <= 0 or widget.get_content_height(widget.content_size, self.app.size, width) != height:
            widget.refresh(layout=True)

    def _set_note(self, selector: str, text: str) -> None:
        """Show a one-off note line, hidden while empty."""
        widget = self.query_one(selector, Static)
        self._update_text(widget, text)
        widget.display = bool(text)

    def _show_progress(self, run: RunHistory) -> None:
        """Status line and progress bars from the last batch (called at the redraw rate)."""
        b = run.last_batch
        if b is None or run.done:
            return
        progress = self.query_one(ProgressRow)
        progress.update("epoch", total=b.batches, progress=b.batch)
        if run.started:
            progress.update("run", progress=(b.epoch - 1) * b.batches + b.batch)
        if run.status not in ("paused", "stopping"):
            self._set_status(run.status, self._status_text(run))

    def _status_text(self, run: RunHistory) -> str:
        s, b = run.started, run.last_batch
        if run.done:
            text = ended_line(run.status, run.reason)
            if run.hint:
                text += f" - try: {run.hint}"
            if run.ended and run.ended.restored_line:
                text += f"; {run.ended.restored_line}"
            if run.ended and run.ended.test_accuracy is not None:
                text += f"  test accuracy {run.ended.test_accuracy:.2%}"
            if run.ended and run.ended.backdoor is not None:
                text += f"  {run.ended.backdoor.short()}"
            return text
        if s is None:
            return f"{run.status}..."
        parts = [f"{run.status}", f"epoch {b.epoch if b else s.start_epoch}/{s.epochs}"]
        if b:
            parts += [
                f"batch {b.batch}/{b.batches}",
                f"ETA {format_duration(run.eta_seconds(self._clock()))}",
                f"{b.samples_per_s:,.0f} samples/s",
                f"loss {b.loss:.4f}",
            ]
        parts.append(f"{s.device} + {s.speedups}" if s.speedups else s.device)
        return "  ".join(parts)

    def _warning(self, run: RunHistory) -> str:
        """What the run's epochs say that the user should act on: stuck at chance, the peak-then-fall of validation
        accuracy, overfitting ("" when fine)."""
        if run.stuck:
            return run.stuck
        if run.peak:  # the more telling sign of wrong labels: it names the best epoch and early stopping
            return run.peak.words()
        return run.overfitting.words() if run.overfitting else ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`v` only where the details do not show anyway (below 40 rows)."""
        if action == "toggle_details" and self.screen.has_class("-roomy"):
            return False
        return True

    def action_inspect(self) -> None:
        """The inspection of the current run: its first epoch's, then one at most every 2 s and its last epoch's."""
        from tui_trainer.ui.screens.inspect import InspectScreen

        run = self.current
        if run is None:
            self.app.notify(
                "start a run (s) first: its inspection arrives at the end of its first epoch, then at most every 2 s",
                markup=False,
            )
            return
        title = f"run {run.run_id}: {run.experiment.name} on {run.experiment.data.name}"
        self.app.push_screen(InspectScreen(title, supply=lambda: run.inspection))

    def action_toggle_details(self) -> None:
        """Show the second page (learning rate, per-class metrics, this session's runs) or the first again."""
        self.toggle_class("-details")

    def action_toggle_boundary(self) -> None:
        """On 2-D data: show the decision boundary in place of the confusion matrix, or the matrix again."""
        run = self.current
        started = run.started if run is not None else None
        if not self.has_class("-boundary") and (started is None or not is_plane(started.input_shape)):
            words = "train first" if started is None else "this run's samples are not 2 numbers"
            self.app.notify(f"the decision boundary is drawn for data with 2 features: {words}", markup=False)
            return
        self.toggle_class("-boundary")
        if run is not None:
            self._draw_boundary(run)

    def action_toggle_raw_batches(self) -> None:
        """Draw the raw mini-batch losses, or their moving average again."""
        self.raw_batches = not self.raw_batches
        self._dirty = True
        self._flush(at_once=True)

    def action_robustness(self) -> None:
        """The Robustness view of the run that ended here (its run directory: the newest saved run of its
        experiment); a run that is going is evaluated once it has ended."""
        from tui_trainer.ui.screens.robustness import newest_run_of, open_for

        run = self.current
        if run is None or run.ended is None:
            what = "train a run first" if run is None else "the run is going: evaluate it once it has ended"
            self.app.notify(f"Robustness: {what}.", title="Robustness", severity="warning", markup=False)
            return
        record = newest_run_of(self.app.runs_dir, run.experiment)
        if record is None:
            self.app.notify(
                "Robustness: this run saved no checkpoint (runs folder off, or it ended before its first epoch).",
                title="Robustness",
                severity="warning",
                markup=False,
            )
            return
        open_for(self.app, record)

    def action_toggle_normalised(self) -> None:
        """Switch the confusion matrix between counts and row-normalised rates."""
        self.normalised = not self.normalised
        run = self._run_with_epochs()
        self.query_one(ConfusionMatrix).show(run.epochs[-1].report if run else None, self.normalised)

    def _run_with_epochs(self) -> RunHistory | None:
        for run in reversed(self.runs):
            if run.epochs:
                return run
        return None

    def _previous(self) -> RunHistory | None:
        """The run before the current one that got at least one epoch (drawn dimmed)."""
        for run in reversed(self.runs[:-1]):
            if run.epochs:
                return run
        return None

    def _tick(self) -> None:
        """The timer: redraw what changed, when the cap allows."""
        waiting = self._lr_waiting is not None or self._epoch_waiting is not None
        if (self._dirty or self._runs_dirty or waiting) and self.redraws.ready():
            self._flush()

    def _flush(self, at_once: bool = False) -> None:
        """Redraw what changed since the last redraw (capped rate): progress, notes and the loss plot now, the other
        plots (the lr plot at its own cap) and tables together in the next frame (STAGE_INTERVAL_S later), or all
        now with at_once."""
        if self._dirty:
            self._dirty = False
            run = self.current
            if run is None and self.overlays:
                run = RunHistory(0, Experiment())  # nothing trained yet: show the picked runs alone
            if run is not None:
                self._show_progress(run)
                drawn = (run.run_id, run.epochs_done, self.normalised, id(self.overlays))
                epochs_changed, self._drawn_epochs = self._drawn_epochs != drawn, drawn
                previous = self._previous()
                # the loss plot goes out with the progress it belongs to: one frame, not two, twice a second
                self._draw_loss(run, previous)
                self._lr_waiting = run
                if epochs_changed:
                    self._epoch_waiting = (run, previous)
                self._set_note("#warning", self._warning(run))
        # what an epoch's end changes (its plots, tables and the runs table) goes out at the epoch panels' cap
        epoch_turn = (self._epoch_waiting is not None or self._runs_dirty) and (at_once or self.epoch_redraws.ready())
        if self._epoch_waiting is not None and epoch_turn:
            run, previous = self._epoch_waiting
            self._epoch_waiting = None
            self._stages["acc"] = partial(self._draw_acc, run, previous)
            if run.epochs:
                self._stages["confusion"] = partial(self._draw_confusion, run)
                self._stages["class-metrics"] = partial(self._draw_class_metrics, run)
        if self._lr_waiting is not None and self._lr_due(self._lr_waiting, now=at_once):
            self._stages["lr"] = partial(self._draw_lr, self._lr_waiting)
            self._lr_waiting = None
        if self._runs_dirty and epoch_turn:
            self._runs_dirty = False
            self._stages["runs"] = lambda: self.query_one(RunsTable).show(self.runs)
        if at_once:
            self._draw_stages()
        elif self._stages and self._stage_timer is None:  # not in the frame of the status and progress
            self._stage_timer = self.set_timer(STAGE_INTERVAL_S, self._draw_stages)

    def _lr_due(self, run: RunHistory, now: bool = False) -> bool:
        """Whether the lr plot redraws now (always with now, a new run or a change by hand): a new rate or epoch at
        most every LR_INTERVAL_S, an unchanged curve every LR_IDLE_S (its x range follows the other plots)."""
        drawn = (run.run_id, run.epochs_done, run.lr.ys[-1] if run.lr.ys else None, len(run.lr_changes))
        by_hand = self._lr_drawn is None or drawn[::3] != self._lr_drawn[::3]  # a new run or a change by hand: now
        throttle = self.lr_redraws if drawn != self._lr_drawn else self.lr_idle_redraws
        if not throttle.ready() and not (now or by_hand):
            return False
        self._lr_drawn = drawn
        return True

    def _draw_stages(self) -> None:
        """Draw every waiting plot and table, oldest first: one frame."""
        if self._stage_timer is not None:
            self._stage_timer.stop()
            self._stage_timer = None
        while self._stages:
            key = next(iter(self._stages))
            self._stages.pop(key)()

    def _dimmed(self, previous: RunHistory | None) -> list[tuple[str, list]]:
        """(label, epoch rows) of the runs drawn dimmed: the previous run's, then the picked saved runs; only
        those on the current run's dataset, within its epochs (ui/overlays.py)."""
        dimmed = list(self.overlays)
        if previous is not None:
            dimmed.insert(0, Overlay(f"run {previous.run_id} val", previous.experiment.data.name, previous.epochs))
        return [(drawn.label, list(drawn.rows)) for drawn in drawable(self.current, dimmed)]

    def _x_range(self, run: RunHistory) -> tuple[float, float]:
        """The epochs every plot of the run spans: from 0 to the furthest epoch or batch reached (at least 1)."""
        furthest = max(run.epochs[-1].epoch if run.epochs else 0, run.batch_loss.xs[-1] if run.batch_loss.xs else 0)
        return 0.0, max(1.0, float(furthest))

    def _draw_loss(self, run: RunHistory, previous: RunHistory | None) -> None:
        ex = [e.epoch for e in run.epochs]
        batches = run.raw_batch_loss if self.raw_batches else run.batch_loss
        loss = [
            Curve("batch (raw)" if self.raw_batches else "batch avg", batches.xs, batches.ys, "batch"),
            Curve("train", ex, [e.train_loss for e in run.epochs], "primary", marker="•"),
            Curve("val", ex, [e.val_loss for e in run.epochs], "warning", marker="×"),
        ]
        for label, rows in reversed(self._dimmed(previous)):
            loss.insert(0, Curve(label, [r.epoch for r in rows], [r.val_loss for r in rows], "muted"))
        self.query_one("#loss-plot", CurvePlot).show(loss, xlim=self._x_range(run))

    def _draw_acc(self, run: RunHistory, previous: RunHistory | None) -> None:
        ex = [e.epoch for e in run.epochs]
        acc = [
            Curve("train", ex, [e.train_accuracy for e in run.epochs], "primary", marker="•"),
            Curve("val", ex, [e.val_accuracy for e in run.epochs], "warning", marker="×"),
        ]
        if run.best is not None and run.epochs:  # the epoch best.pt holds, and early stopping would keep
            acc.append(
                Curve(f"best {run.best.epoch}", [run.best.epoch], [run.best.val_accuracy], "success", marker="◆")
            )
        for label, rows in reversed(self._dimmed(previous)):
            acc.insert(0, Curve(label, [r.epoch for r in rows], [r.val_accuracy for r in rows], "muted"))
        values = [y for curve in acc for y in curve.ys]
        low = max(0.0, min(values) - 0.02) if values else 0.0  # zoom in: the train/val gap must show
        self.query_one("#acc-plot", CurvePlot).show(acc, ylim=(low, 1.0), xlim=self._x_range(run))

    def _draw_lr(self, run: RunHistory) -> None:
        curves = [Curve("lr", run.lr.xs, run.lr.ys, "accent")]
        if run.lr_changes:
            changes = run.lr_changes
            curves.append(
                Curve("by hand", [run.change_x(c) for c in changes], [c.lr for c in changes], "warning", "◆", False)
            )
        self.query_one("#lr-plot", CurvePlot).show(curves, xlim=self._x_range(run))

    def _draw_confusion(self, run: RunHistory) -> None:
        last = run.epochs[-1]
        self._update_text(
            self.query_one("#metrics-title", Static),
            f"val epoch {last.epoch}: accuracy {last.report.accuracy:.1%}  macro F1 {last.report.macro.f1:.3f}\n"
            f"rows: true, columns: predicted ({'% of the row' if self.normalised else 'counts'}, n)",
        )
        self.query_one(ConfusionMatrix).show(last.report, self.normalised)

    def _draw_boundary(self, run: RunHistory) -> None:
        """The run's newest map (drawn only while shown: a hidden view is drawn when it is toggled on)."""
        if not self.has_class("-boundary"):
            return
        view = self.query_one(BoundaryView)
        view.show(run.boundary)
        epoch = f"epoch {run.boundary.epoch}" if run.boundary is not None else "after the first epoch"
        legend = Text(f"decision boundary, {epoch} (d: matrix)\n", style="bold")
        legend.append(view.legend())
        self.query_one("#boundary-legend", Static).update(legend)

    def _draw_class_metrics(self, run: RunHistory) -> None:
        report = run.epochs[-1].report
        pairs = report.most_confused(3)
        confused = ", ".join(f"{t}->{p} ({n})" for t, p, n in pairs) or "none"
        self._update_text(
            self.query_one("#metrics-summary", Static),
            f"weighted F1 {report.weighted.f1:.3f}\nmost confused (true->pred): {confused}",
        )
        self.query_one(ClassMetrics).show(report)
