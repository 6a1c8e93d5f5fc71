"""RunWriter: turns one run's events and checkpoints into its run directory, on the training thread."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_trainer.core.runs.files import (
    BEST,
    EVENTS,
    EXPERIMENT,
    FORMAT_VERSION,
    LAST,
    METRICS,
    SUMMARY,
    RunError,
    atomic_write,
    atomic_write_text,
    json_line,
    json_safe,
    library_versions,
    make_run_dir,
)
from tui_trainer.core.spec.events import (
    METRIC_COLUMNS,
    BatchEnd,
    EpochEnd,
    RunEnded,
    RunStarted,
    RunStatus,
    TrainingEvent,
    event_to_dict,
)
from tui_trainer.core.spec.experiment import Experiment, dumps
from tui_trainer.core.spec.throttle import Clock

if TYPE_CHECKING:
    from tui_trainer.core.runs.checkpoint import CheckpointState

EventSink = Callable[[TrainingEvent], None]

BATCH_MIN_INTERVAL_S = 0.5
"""events.jsonl keeps a BatchEnd at most this often (wall clock)..."""
BATCH_POINTS_PER_RUN = 500
"""...and at most about this many per run (by optimizer steps)."""


class RunWriter:
    """Writes a run directory: experiment.toml, metrics.csv, events.jsonl, summary.json, last.pt, best.pt.

    Use `on_event=writer.wrap(sink)` and `checkpoint=writer.checkpoint` with engine.fit or
    run_experiment. Every file but the append-only events.jsonl is replaced atomically. A write that
    fails (disk full, folder removed) never stops the training: `problem` says what went wrong and
    the writer stops writing.
    """

    def __init__(
        self,
        path: Path,
        experiment: Experiment,
        *,
        history: tuple[EpochEnd, ...] = (),
        summary: dict[str, Any] | None = None,
        created: datetime | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        """clock: what the BatchEnd cap of events.jsonl counts in (tests pass a simulated one)."""
        self.path = Path(path)
        self._clock = clock
        self.experiment = experiment
        self.problem: str | None = None
        self._history = list(history)
        self._events: io.TextIOWrapper | None = None
        self._last_batch_time = -float("inf")
        self._last_batch_step = -(10**12)
        self._batch_every = 1
        self._session_start = time.time()
        now = datetime.now().isoformat(timespec="seconds")
        self.summary: dict[str, Any] = summary or {
            "created": (created or datetime.now()).isoformat(timespec="seconds"),
            "seconds": 0.0,
            "resumed": [],
        }
        self._previous_seconds = float(self.summary.get("seconds") or 0.0)
        self.summary.update(
            format=FORMAT_VERSION,
            status=RunStatus.RUNNING,
            reason="",
            hint="",
            name=experiment.name,
            dataset=experiment.data.name,
            epochs=experiment.train.epochs,
            pid=os.getpid(),
            host=socket.gethostname(),
            updated=now,
        )

    # ---------------------------------------------------------------- opening

    @classmethod
    def create(
        cls, root: str | Path, experiment: Experiment, *, when: datetime | None = None, clock: Clock = time.monotonic
    ) -> RunWriter:
        """A new run directory under root, named by time, experiment and dataset; RunError when it cannot be made."""
        when = when or datetime.now()
        try:
            path = make_run_dir(Path(root), experiment.name, experiment.data.name, when)
            writer = cls(path, experiment, created=when, clock=clock)
            atomic_write_text(path / EXPERIMENT, dumps(experiment))
            writer._write_summary()
        except OSError as exc:
            raise RunError(f"cannot create a run directory in {root}: {exc.strerror or exc}") from None
        return writer

    @classmethod
    def reopen(
        cls, path: str | Path, experiment: Experiment, state: CheckpointState, summary: dict[str, Any] | None = None
    ) -> RunWriter:
        """Continue writing a run directory from a checkpoint (resume): metrics.csv is rebuilt from the
        checkpoint's epochs, events.jsonl is appended to, experiment.toml holds the new settings."""
        summary = dict(summary or {})
        summary.setdefault("resumed", [])
        summary["resumed"] = [
            *summary["resumed"],
            {
                "at": datetime.now().isoformat(timespec="seconds"),
                "from_epoch": state.epoch,
                "epochs": [state.experiment.train.epochs, experiment.train.epochs],
            },
        ]
        writer = cls(Path(path), experiment, history=state.history, summary=summary)
        try:
            atomic_write_text(writer.path / EXPERIMENT, dumps(experiment))
            writer._write_metrics()
            writer._write_summary()
        except OSError as exc:
            raise RunError(f"cannot write in the run directory {path}: {exc.strerror or exc}") from None
        return writer

    # ---------------------------------------------------------------- the engine's two hooks

    def wrap(self, sink: EventSink | None = None) -> EventSink:
        """An on_event callback that writes each event here, then passes it on to sink."""

        def on_event(event: TrainingEvent) -> None:
            self.on_event(event)
            if sink is not None:
                sink(event)

        return on_event

    def on_event(self, event: TrainingEvent) -> None:
        """Record one event: every one goes to events.jsonl (BatchEnds down-sampled); epochs and the end
        also update metrics.csv and summary.json."""
        if isinstance(event, BatchEnd) and not self._keep_batch(event):
            return
        self._guard(self._append_event, event)
        if isinstance(event, RunStarted):
            self._started(event)
        elif isinstance(event, EpochEnd):
            self._history.append(event)
            self._epoch_summary()
            self._guard(self._write_metrics)
        elif isinstance(event, RunEnded):
            self._ended(event)
        if isinstance(event, (RunStarted, EpochEnd, RunEnded)):
            self._guard(self._write_summary)
        if isinstance(event, RunEnded):
            self.close()

    def checkpoint(self, state: CheckpointState) -> None:
        """Save last.pt (and best.pt when this epoch has the best validation accuracy so far)."""
        from tui_trainer.core.runs.checkpoint import checkpoint_bytes

        if self.problem is not None:
            return
        data = checkpoint_bytes(state)
        names = (LAST, BEST) if state.is_best else (LAST,)
        for name in names:
            self._guard(atomic_write, self.path / name, lambda handle: handle.write(data))

    def close(self) -> None:
        """Close events.jsonl (a later event reopens it)."""
        if self._events is not None:
            self._events.close()
            self._events = None

    # ---------------------------------------------------------------- the files

    def _guard(self, write: Callable[..., None], *args: Any) -> None:
        if self.problem is not None:
            return
        try:
            write(*args)
        except OSError as exc:
            self.problem = (
                f"cannot write the run directory {self.path}: {exc.strerror or exc}; it stopped being updated"
            )
            self.close()

    def _keep_batch(self, event: BatchEnd) -> bool:
        now = self._clock()
        if now - self._last_batch_time < BATCH_MIN_INTERVAL_S or event.step - self._last_batch_step < self._batch_every:
            return False
        self._last_batch_time, self._last_batch_step = now, event.step
        return True

    def _append_event(self, event: TrainingEvent) -> None:
        if self._events is None:
            self._events = open(self.path / EVENTS, "a", encoding="utf-8")
        self._events.write(json_line({"time": round(time.time(), 3), **event_to_dict(event)}))
        self._events.flush()

    def _write_metrics(self) -> None:
        out = io.StringIO()
        rows = csv.writer(out, lineterminator="\n")
        rows.writerow(METRIC_COLUMNS)
        for e in self._history:
            rows.writerow([e.epoch, *(repr(float(getattr(e, c))) for c in METRIC_COLUMNS[1:])])
        atomic_write_text(self.path / METRICS, out.getvalue())

    def _write_summary(self) -> None:
        self.summary["updated"] = datetime.now().isoformat(timespec="seconds")
        text = json.dumps(json_safe(self.summary), indent=2, allow_nan=False) + "\n"
        atomic_write_text(self.path / SUMMARY, text)

    # ---------------------------------------------------------------- the summary

    def _started(self, event: RunStarted) -> None:
        total_steps = event.epochs * event.batches_per_epoch
        self._batch_every = max(1, total_steps // BATCH_POINTS_PER_RUN)
        self.summary.update(
            device=event.device,
            params=event.params,
            n_train=event.n_train,
            n_val=event.n_val,
            n_test=event.n_test,
            epochs=event.epochs,
            batch_size=event.batch_size,
            input_shape=list(event.input_shape),
            class_names=list(event.class_names),
            versions=library_versions(),
        )

    def _epoch_summary(self) -> None:
        last = self._history[-1]
        best = max(self._history, key=lambda e: e.val_accuracy)
        self.summary.update(
            epochs_done=len(self._history),
            final=vars(last.metrics),
            best=vars(best.metrics),
            best_val_accuracy=best.val_accuracy,
            val_report=last.report.to_dict(),
            train_seconds=sum(e.seconds for e in self._history),
            seconds=self._previous_seconds + time.time() - self._session_start,
        )

    def _ended(self, event: RunEnded) -> None:
        self.summary.update(
            status=event.status,
            reason=event.reason,
            hint=event.hint,
            epochs_done=len(self._history),
            test_accuracy=event.test_accuracy,
            test_report=event.test_report.to_dict() if event.test_report is not None else None,
            seconds=self._previous_seconds + time.time() - self._session_start,
        )
        if self.problem is not None:
            self.summary["problem"] = self.problem
