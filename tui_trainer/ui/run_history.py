"""What the Train tab remembers of a run: bounded curve points, epochs, status (pure Python)."""

from __future__ import annotations

import dataclasses
from collections import deque
from dataclasses import dataclass, field

from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunEnded, RunStarted
from tui_trainer.core.spec.experiment import Experiment

MAX_POINTS = 300
"""Batch-level series are halved (pairs averaged) past this many points: redraws stay cheap."""
MAX_EPOCHS = MAX_POINTS
"""Epochs kept for the plots: past this many, every second one is dropped (the newest always stays)."""
RECENT_EPOCHS = 8
"""The newest epochs kept in full (what the overfitting warning looks at)."""
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
    lr: Series = field(default_factory=Series)
    epochs: list[EpochEnd] = field(default_factory=list)
    """The epochs the plots show: all of them up to MAX_EPOCHS, then thinned (every second one dropped
    whenever there are more; the first and the newest always stay), so a long run keeps a bounded
    history: one EpochEnd carries a whole ClassReport."""
    epochs_done: int = 0
    """Epochs this run has trained (in this session)."""
    best_val_accuracy: float | None = None
    """Best validation accuracy so far."""
    recent: deque[EpochEnd] = field(default_factory=lambda: deque(maxlen=RECENT_EPOCHS))
    """The newest epochs, every one."""
    ended: RunEnded | None = None
    """The run's end, without its history (the epochs above are what is kept of it)."""
    _ema: float | None = None

    def add(self, event: object) -> None:
        """Fold one core event into the history."""
        if isinstance(event, RunStarted):
            self.started = event
            self.status = "running"
        elif isinstance(event, BatchEnd):
            self.last_batch = event
            x = event.epoch - 1 + event.batch / max(1, event.batches)
            self._ema = event.loss if self._ema is None else SMOOTHING * event.loss + (1 - SMOOTHING) * self._ema
            self.batch_loss.add(x, self._ema)
            self.lr.add(x, event.lr)
        elif isinstance(event, EpochEnd):
            self.epochs_done += 1
            if self.best_val_accuracy is None or event.val_accuracy > self.best_val_accuracy:
                self.best_val_accuracy = event.val_accuracy
            self.recent.append(event)
            self.epochs.append(event)
            if len(self.epochs) > MAX_EPOCHS:
                kept = self.epochs[::2]
                if kept[-1] is not event:
                    kept.append(event)
                self.epochs = kept
        elif isinstance(event, RunEnded):
            self.ended = dataclasses.replace(event, history=()) if event.history else event
            self.status = event.status
            self.reason, self.hint = event.reason, event.hint

    def compact(self) -> None:
        """Keep only what the runs table shows (a run no plot draws any more): its curves and epochs go."""
        if self.batch_loss.xs or self.lr.xs or self.epochs:
            self.batch_loss, self.lr = Series(), Series()
            self.epochs = []
            self.recent.clear()

    @property
    def done(self) -> bool:
        """True once the run has ended."""
        return self.ended is not None

    def overfitting(self, window: int = 2) -> bool:
        """True when val loss rose for `window` epochs in a row while train loss fell."""
        if len(self.recent) < window + 1:
            return False
        recent = list(self.recent)[-(window + 1) :]
        val_up = all(b.val_loss > a.val_loss for a, b in zip(recent, recent[1:]))
        train_down = all(b.train_loss < a.train_loss for a, b in zip(recent, recent[1:]))
        return val_up and train_down

    def eta_seconds(self) -> float | None:
        """Seconds left, from the training pace so far (None before the first batch)."""
        b, s = self.last_batch, self.started
        if b is None or s is None or b.step == 0:
            return None
        total = s.epochs * s.batches_per_epoch
        done_steps = (s.start_epoch - 1) * s.batches_per_epoch
        steps = max(1, b.step)
        return max(0.0, (total - done_steps - steps) * b.elapsed_s / steps)


def format_duration(seconds: float | None) -> str:
    """ "1:05", "12:00:03" or "--:--"."""
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
