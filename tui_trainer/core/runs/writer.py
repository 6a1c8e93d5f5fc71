"""RunWriter: turns one run's events and checkpoints into its run directory, on the training thread."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_trainer.core.runs.files import (
    BACKDOOR,
    BEST,
    EVENTS,
    EXPERIMENT,
    FORMAT_VERSION,
    LABEL_NOISE,
    LAST,
    METRICS,
    SUMMARY,
    DiskFull,
    RunError,
    atomic_write,
    atomic_write_text,
    is_disk_full,
    json_line,
    json_safe,
    library_versions,
    make_run_dir,
)
from tui_trainer.core.runs.integrity import cut_partial_line
from tui_trainer.core.spec.boundary import BoundaryMap
from tui_trainer.core.spec.diagnosis import OverfittingWatch, accuracy_peak
from tui_trainer.core.spec.events import (
    METRIC_COLUMNS,
    BatchEnd,
    EpochEnd,
    LrChanged,
    RunEnded,
    RunPhase,
    RunStarted,
    RunStatus,
    TrainingEvent,
    event_to_dict,
)
from tui_trainer.core.spec.experiment import Experiment, dumps
from tui_trainer.core.spec.inspection import Inspection
from tui_trainer.core.spec.lr_change import change_dict, read_changes
from tui_trainer.core.spec.throttle import Clock

if TYPE_CHECKING:
    from tui_trainer.core.data.poison import Tampering
    from tui_trainer.core.runs.checkpoint import CheckpointState
    from tui_trainer.core.runs.tensorboard import TensorBoardLog

EventSink = Callable[[TrainingEvent], None]

BATCH_MIN_INTERVAL_S = 0.5
"""events.jsonl keeps a BatchEnd at most this often (wall clock)..."""
BATCH_POINTS_PER_RUN = 500
"""...and at most about this many per run (by optimizer steps)."""


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data` to the file descriptor (os.write may write less than asked, e.g. as the disk fills up)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class RunWriter:
    """Writes a run directory: experiment.toml, metrics.csv, events.jsonl, summary.json, last.pt, best.pt.

    Use `on_event=writer.wrap(sink)` and `checkpoint=writer.checkpoint` with engine.fit or
    run_experiment. Every file but the append-only events.jsonl is replaced atomically, and a failed append
    is cut back off, so every file holds whole records. A write that finds the disk full (or the quota used
    up) ends the run: the hook raises DiskFull (the engine ends the run "failed" with its message), the end
    passed on is "failed" with that reason, and summary.json is still tried so that it says so. Any other
    write that fails (folder removed, I/O error) never stops the training: `problem` says what went wrong
    and the writer stops writing.
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
        """Why the run directory stopped being updated (a failed write other than a full disk), or None."""
        self.failure: DiskFull | None = None
        """The full disk that ended the run, or None."""
        self.ended: RunEnded | None = None
        """The RunEnded passed on (a full disk makes it "failed"), once the run ended."""
        self.notes: list[str] = []
        """Notes for the user about the run directory, passed on (once) as RunPhase events after the RunStarted."""
        self.tensorboard: bool | None = None
        """Write TensorBoard event files too: True, False, or None (as TUI_TRAINER_TENSORBOARD says: runs/tensorboard.py)."""
        self.tensorboard_problem: str | None = None
        """Why the TensorBoard event file stopped being written (it never stops the run), or None."""
        self._tensorboard: TensorBoardLog | None = None
        self._ending = False
        self._history = list(history)
        self._overfitting = OverfittingWatch()
        """Overfitting as the dashboard shows it, recorded in summary.json."""
        for epoch in self._history:
            self._overfitting.add(epoch)
        self._events: int | None = None
        """The file descriptor events.jsonl is appended through, while open."""
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
        if "lr_changes" in summary:  # the changes the checkpoint's weights went through (a later one was lost)
            summary["lr_changes"] = [c for c in read_changes(summary) if c["step"] <= state.step]
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
            writer._repair_events()
            atomic_write_text(writer.path / EXPERIMENT, dumps(experiment))
            writer._write_metrics()
            writer._write_summary()
        except OSError as exc:
            raise RunError(f"cannot write in the run directory {path}: {exc.strerror or exc}") from None
        return writer

    def record_tampering(self, tampering: Tampering | None) -> None:
        """Record what the data options did to the training split: label_noise.json (the flipped positions with
        their true and given labels), backdoor.json (the stamped images), and the settings with their counts in
        summary.json. Nothing for a run without them; a failed write becomes `problem`, as for any file."""
        if tampering is None:
            return
        d = self.experiment.data
        if d.label_noise > 0:
            self.summary["label_noise"] = {
                "fraction": d.label_noise,
                "kind": d.noise_kind,
                **({"from": d.noise_from, "to": d.noise_to} if d.noise_kind == "targeted" else {}),
                "flipped": len(tampering.flipped),
                "file": LABEL_NOISE,
            }
            doc = {"flipped": list(tampering.flipped), "true_labels": list(tampering.true_labels)}
            self._write(LABEL_NOISE, atomic_write_text, self.path / LABEL_NOISE, json.dumps(doc) + "\n")
        if d.poison_fraction > 0:
            self.summary["backdoor"] = {
                "fraction": d.poison_fraction,
                "target": d.poison_target,
                "poisoned": len(tampering.poisoned),
                "trigger": f"3x3 square of {tampering.trigger_value:g} (raw pixel scale), bottom-right",
                "file": BACKDOOR,
            }
            doc = {"poisoned": list(tampering.poisoned), "target": d.poison_target}
            self._write(BACKDOOR, atomic_write_text, self.path / BACKDOOR, json.dumps(doc) + "\n")
        if d.label_overrides:
            self.summary["label_overrides"] = {
                "path": d.label_overrides,
                "relabelled": tampering.relabelled,
                "dropped": tampering.dropped,
            }
        self._write(SUMMARY, self._write_summary)

    # ---------------------------------------------------------------- the engine's two hooks

    def wrap(self, sink: EventSink | None = None) -> EventSink:
        """An on_event callback that writes each event here, then passes it on to sink (the end as on_event
        returns it, and the writer's notes after the RunStarted)."""

        def on_event(event: TrainingEvent) -> None:
            for passed in self.on_event(event):
                if sink is not None:
                    sink(passed)

        return on_event

    def on_event(self, event: TrainingEvent) -> list[TrainingEvent]:
        """Record one event: every one goes to events.jsonl (BatchEnds down-sampled); epochs and the end
        also update metrics.csv and summary.json. Returns the events to pass on: the event itself (a
        RunEnded made "failed" when the disk filled up), after a RunStarted also the writer's notes.
        Raises DiskFull when the disk is full (never for a RunEnded)."""
        if isinstance(event, RunEnded):
            return [self._end(event)]
        if isinstance(event, (Inspection, BoundaryMap)):  # live views only: recomputed from a checkpoint when asked
            return [event]
        if isinstance(event, BatchEnd) and not self._keep_batch(event):
            return [event]
        self._write(EVENTS, self._append_event, event)
        if isinstance(event, RunStarted):
            self._open_tensorboard()
        self._to_tensorboard(event)
        if isinstance(event, RunStarted):
            self._started(event)
        elif isinstance(event, EpochEnd):
            self._history.append(event)
            self._epoch_summary()
            self._write(METRICS, self._write_metrics)
        elif isinstance(event, LrChanged):
            self.summary.setdefault("lr_changes", []).append(
                change_dict(event.epoch, event.batch, event.step, event.old_lr, event.lr)
            )
        if isinstance(event, (RunStarted, EpochEnd, LrChanged)):
            self._write(SUMMARY, self._write_summary)
        if isinstance(event, RunStarted) and self.notes:
            notes = [RunPhase(note) for note in self.notes]
            self.notes = []
            for note in notes:
                self._write(EVENTS, self._append_event, note)
            return [event, *notes]
        return [event]

    def checkpoint(self, state: CheckpointState) -> None:
        """Save last.pt (and best.pt when this epoch has the best validation accuracy so far); DiskFull when
        the disk is full (the previous file of that name stays, whole)."""
        from tui_trainer.core.runs.checkpoint import checkpoint_bytes

        if self.problem is not None or self.failure is not None:
            return
        data = checkpoint_bytes(state)
        names = (LAST, BEST) if state.is_best else (LAST,)
        for name in names:
            self._write(name, atomic_write, self.path / name, lambda handle: handle.write(data))

    def close(self) -> None:
        """Close events.jsonl (a later event reopens it) and the TensorBoard event file."""
        if self._events is not None:
            os.close(self._events)
            self._events = None
        if self._tensorboard is not None:
            tensorboard, self._tensorboard = self._tensorboard, None
            try:
                tensorboard.close()
            except Exception:
                pass

    # ---------------------------------------------------------------- TensorBoard

    def _open_tensorboard(self) -> None:
        """Start this session's TensorBoard event file when asked (self.tensorboard, else the environment)."""
        from tui_trainer.core.runs.tensorboard import TensorBoardLog, tensorboard_available, tensorboard_wanted

        if not tensorboard_wanted(self.tensorboard) or self._tensorboard is not None or self.problem is not None:
            return
        if not tensorboard_available():
            self.tensorboard_problem = "tensorboard is not installed: pip install 'tui-trainer[tensorboard]'"
            return
        try:
            self._tensorboard = TensorBoardLog(self.path, self.experiment)
        except Exception as exc:
            self.tensorboard_problem = f"cannot write TensorBoard event files: {exc}"

    def _to_tensorboard(self, event: TrainingEvent) -> None:
        """Log one event the run directory kept to TensorBoard; a failure only stops the TensorBoard log."""
        if self._tensorboard is None:
            return
        try:
            self._tensorboard.add(event)
        except Exception as exc:
            self.tensorboard_problem = f"cannot write TensorBoard event files: {exc}"
            self._tensorboard = None

    # ---------------------------------------------------------------- the end

    def _end(self, event: RunEnded) -> RunEnded:
        """Write the end to events.jsonl and summary.json, then close. A full disk, now or before, makes an end
        that did not fail already "failed" with its reason; both files are tried even then (the failed write's
        temporary file is gone, and the little they need may fit), so summary.json says so when it can."""
        self._ending = True
        try:
            event = self._disk_full_end(event)
            self._write(EVENTS, self._append_event, event)
            event = self._disk_full_end(event)
            self._ended(event)
            self._write(SUMMARY, self._write_summary)
            event = self._disk_full_end(event)
            self._to_tensorboard(event)
        finally:
            self._ending = False
            self.close()
        self.ended = event
        return event

    def _disk_full_end(self, event: RunEnded) -> RunEnded:
        """The end as the run directory tells it: "failed" with the full disk's reason when the disk filled up
        and the run had not failed already for another reason."""
        if self.failure is None or event.status == RunStatus.FAILED:
            return event
        return replace(event, status=RunStatus.FAILED, reason=str(self.failure), hint=self.failure.hint)

    # ---------------------------------------------------------------- the files

    def _write(self, name: str, write: Callable[..., None], *args: Any) -> None:
        """Run one write of the run file `name`. A full disk raises DiskFull (recorded in `failure`; while the
        run ends, it is only recorded); any other OSError becomes `problem` and later writes are skipped."""
        if self.problem is not None or (self.failure is not None and not self._ending):
            return
        try:
            write(*args)
        except OSError as exc:
            self.close()
            if not is_disk_full(exc):
                self.problem = (
                    f"cannot write the run directory {self.path}: {exc.strerror or exc}; it stopped being updated"
                )
                return
            if self.failure is None:
                self.failure = DiskFull(self.path / name, self._disk_full_hint())
            if not self._ending:
                raise self.failure from None

    def _disk_full_hint(self) -> str:
        """What to do about a full disk: free space, then resume from the last whole checkpoint (or train again)."""
        if (self.path / LAST).is_file():
            return (
                "free some space, then resume the run from its last checkpoint "
                f"(tui-trainer train --resume {self.path}, or R on the Runs tab)"
            )
        return "free some space (or choose another runs folder), then train again"

    def _keep_batch(self, event: BatchEnd) -> bool:
        now = self._clock()
        if now - self._last_batch_time < BATCH_MIN_INTERVAL_S or event.step - self._last_batch_step < self._batch_every:
            return False
        self._last_batch_time, self._last_batch_step = now, event.step
        return True

    def _append_event(self, event: TrainingEvent) -> None:
        """Append one line to events.jsonl; when the write fails, the part of the line written is cut back off."""
        if self._events is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
            self._events = os.open(self.path / EVENTS, flags, 0o666)
        line = json_line({"time": round(time.time(), 3), **event_to_dict(event)}).encode("utf-8")
        start = os.lseek(self._events, 0, os.SEEK_END)
        try:
            write_all(self._events, line)
        except OSError:
            os.ftruncate(self._events, start)
            raise

    def _repair_events(self) -> None:
        """Cut a half-written last line off events.jsonl (a crash mid-append) before appending to it, with a note."""
        cut = cut_partial_line(self.path / EVENTS)
        if cut:
            note = (
                f"note: {self.path / EVENTS} ended with a half-written line ({cut} bytes, never a whole event): "
                "cut it off before resuming"
            )
            self.notes.append(note)
            self.summary["resumed"][-1]["repaired"] = note

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
        sign = self._overfitting.add(last)
        peak = accuracy_peak([best, last])
        self.summary.update(
            overfitting=sign.as_dict() if sign is not None else None,
            accuracy_peak=peak.as_dict() if peak is not None else None,
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
        if event.backdoor is not None and "backdoor" in self.summary:
            self.summary["backdoor"].update(event.backdoor.as_dict())
        restored = event.restored_epoch
        self.summary["restored_epoch"] = restored
        kept = next((e for e in self._history if e.epoch == restored), None)
        if kept is not None:  # restore_best: the run ended with this epoch's weights, so its metrics are final
            self.summary.update(final=vars(kept.metrics), val_report=kept.report.to_dict())
        if self.problem is not None:
            self.summary["problem"] = self.problem
