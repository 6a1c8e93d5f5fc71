"""What the Train tab remembers of a run: bounded curve points, epochs, status (pure Python)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from tui_trainer.core.spec.boundary import BoundaryMap
from tui_trainer.core.spec.diagnosis import (
    AccuracyPeak,
    Overfitting,
    OverfittingWatch,
    accuracy_peak,
    predicted_shares,
    stuck_at_chance,
)
from tui_trainer.core.spec.events import BatchEnd, EpochEnd, LrChanged, RunEnded, RunStarted
from tui_trainer.core.spec.experiment import Experiment
from tui_trainer.core.spec.inspection import Inspection

MAX_POINTS = 300
"""Batch-level series are halved (pairs averaged) past this many points: redraws stay cheap."""
MAX_EPOCHS = MAX_POINTS
"""Epochs kept for the plots: past this many, every second one is dropped (the first and the newest stay)."""
SMOOTHING = 0.3
"""Weight of the newest batch-loss point in the exponential moving average."""


@dataclass
class Series:
    """A bounded (x, y) series; past MAX_POINTS neighbouring points are averaged in pairs."""

    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)

    def add(self, x: float, y: float) -> None:
        """Append a point, halving the resolution when the series grows past MAX_POINTS."""
        self.xs.append(x)
        self.ys.append(y)
        if len(self.xs) > MAX_POINTS:
            self.xs = [(self.xs[i] + self.xs[i + 1]) / 2 for i in range(0, len(self.xs) - 1, 2)]
            self.ys = [(self.ys[i] + self.ys[i + 1]) / 2 for i in range(0, len(self.ys) - 1, 2)]


@dataclass
class RunHistory:
    """One run of this session as the dashboard shows it."""

    run_id: int
    experiment: Experiment
    status: str = "starting"
    """"starting", "running", "paused", "stopping", "finished", "stopped" or "failed"."""
    reason: str = ""
    hint: str = ""
    started: RunStarted | None = None
    last_batch: BatchEnd | None = None
    batch_loss: Series = field(default_factory=Series)
    """Smoothed training loss, x in (fractional) epochs."""
    raw_batch_loss: Series = field(default_factory=Series)
    """The training loss as each BatchEnd reported it (the mini-batch noise), x in (fractional) epochs."""
    lr: Series = field(default_factory=Series)
    boundary: BoundaryMap | None = None
    """The newest decision boundary (2-D data), or None."""
    lr_changes: list[LrChanged] = field(default_factory=list)
    """The learning rate's changes by hand (drawn on the lr plot), oldest first."""
    epochs: list[EpochEnd] = field(default_factory=list)
    """The epochs the plots show: all of them up to MAX_EPOCHS, then thinned (every second one dropped
    whenever there are more; the first and the newest always stay), so a long run keeps a bounded
    history: one EpochEnd carries a whole ClassReport."""
    ended: RunEnded | None = None
    """The run's end, without its history (the epochs above are what is kept of it)."""
    overfitting: Overfitting | None = None
    """Overfitting seen (it stays until the validation loss reaches a new best), or None."""
    stuck: str | None = None
    """Words for a run stuck at chance (the last epoch), or None."""
    best: EpochEnd | None = None
    """The epoch with the best validation accuracy so far (the one best.pt holds), kept through thinning."""
    peak: AccuracyPeak | None = None
    """Validation accuracy peaked and fell while training accuracy rose (the last epoch), or None."""
    inspection: Inspection | None = None
    """The newest epoch's inspection (the samples it gets wrong, its filters), or None."""
    _ema: float | None = None
    _epoch_times: tuple[float, float, int] | None = None
    """(first, last, how many) epoch ends of this run on the caller's clock, for the ETA."""
    _last_epoch: int = 0
    _best: float | None = None
    _watch: OverfittingWatch = field(default_factory=OverfittingWatch)

    def add(self, event: object, now: float | None = None) -> None:
        """Fold one core event into the history; now: the caller's clock, for the ETA."""
        if isinstance(event, Inspection):
            self.inspection = event
        elif isinstance(event, RunStarted):
            self.started = event
            self.status = "running"
        elif isinstance(event, BatchEnd):
            self.last_batch = event
            x = event.epoch - 1 + event.batch / max(1, event.batches)
            self._ema = event.loss if self._ema is None else SMOOTHING * event.loss + (1 - SMOOTHING) * self._ema
            self.batch_loss.add(x, self._ema)
            self.raw_batch_loss.add(x, event.loss)
            self.lr.add(x, event.lr)
        elif isinstance(event, BoundaryMap):
            self.boundary = event
        elif isinstance(event, LrChanged):
            self.lr_changes.append(event)
            self.lr.add(self.change_x(event), event.lr)
        elif isinstance(event, EpochEnd):
            self._keep_epoch(event)
            if now is not None:
                first, _, count = self._epoch_times or (now, now, 0)
                self._epoch_times = (first, now, count + 1)
            self.overfitting = self._watch.add(event)
            shares = predicted_shares(event.report.confusion)
            self.stuck = stuck_at_chance(self.epochs, shares, event.report.class_names)
            self.peak = accuracy_peak([self.best, event]) if self.best is not None else None
        elif isinstance(event, RunEnded):
            self.ended = dataclasses.replace(event, history=()) if event.history else event
            self.status = event.status
            self.reason, self.hint = event.reason, event.hint

    def change_x(self, change: LrChanged) -> float:
        """Where a change of the rate lies on the plots' x axis (fractional epochs)."""
        batches = self.started.batches_per_epoch if self.started is not None else 0
        return change.epoch - 1 + (change.batch - 1) / max(1, batches)

    @property
    def current_lr(self) -> float:
        """The learning rate in force as last reported (the experiment's before the first batch)."""
        latest = [(self.last_batch.step, self.last_batch.lr)] if self.last_batch is not None else []
        latest += [(c.step + 0.5, c.lr) for c in self.lr_changes[-1:]]
        return max(latest)[1] if latest else self.experiment.train.lr

    def _keep_epoch(self, event: EpochEnd) -> None:
        self._last_epoch = event.epoch
        if self._best is None or event.val_accuracy > self._best:
            self._best = event.val_accuracy
            self.best = event
        self.epochs.append(event)
        if len(self.epochs) > MAX_EPOCHS:
            kept = self.epochs[::2]
            if kept[-1] is not event:
                kept.append(event)
            self.epochs = kept

    def compact(self) -> None:
        """Keep only what the runs table shows (a run no plot draws any more): its curves and epochs go."""
        self.batch_loss, self.raw_batch_loss, self.lr = Series(), Series(), Series()
        self.boundary = None
        self.epochs = []
        self.inspection = None

    @property
    def done(self) -> bool:
        """True once the run has ended."""
        return self.ended is not None

    @property
    def last_epoch(self) -> int:
        """The last epoch done, counting a resumed run's epochs before this session (0 before the first)."""
        if self._last_epoch:
            return self._last_epoch
        return self.started.start_epoch - 1 if self.started is not None else 0

    @property
    def epochs_done(self) -> int:
        """Epochs the run has trained, a resumed run's earlier ones included (as the Runs tab counts them)."""
        return max(self.last_epoch, self.ended.epochs_done if self.ended is not None else 0)

    @property
    def best_val_accuracy(self) -> float | None:
        """Best validation accuracy so far (once ended, a resumed run's earlier epochs included)."""
        values = [] if self._best is None else [self._best]
        if self.ended is not None and self.ended.best_val_accuracy is not None:
            values.append(self.ended.best_val_accuracy)
        return max(values, default=None)

    def eta_seconds(self, now: float | None = None) -> float | None:
        """Seconds left (None before the first batch). From two epoch ends on, the wall time per epoch as
        this session saw it (training, evaluation, checkpoints: everything an epoch costs), less the time
        since the last one; before, the training pace (a resumed run's steps and seconds count from its
        first epoch, as BatchEnd reports them)."""
        b, s = self.last_batch, self.started
        if b is None or s is None:
            return None
        if self._epoch_times is not None and self._epoch_times[2] >= 2:
            first, last, count = self._epoch_times
            per_epoch = (last - first) / (count - 1)
            since = max(0.0, now - last) if now is not None else 0.0
            return max(0.0, (s.epochs - self._last_epoch) * per_epoch - since)
        if self.epochs and self.epochs[-1].seconds > 0:  # one epoch's own time (training and evaluation)
            done = max(self.epochs[-1].epoch, b.epoch - 1 + b.batch / max(1, b.batches))
            return max(0.0, (s.epochs - done) * self.epochs[-1].seconds)
        if b.step == 0:
            return None
        total = s.epochs * s.batches_per_epoch
        return max(0.0, (total - b.step) * b.elapsed_s / b.step)


def format_duration(seconds: float | None) -> str:
    """ "1:05", "12:00:03" or "--:--"."""
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
