"""Following a run directory that another process writes (`tui-trainer watch`, attach): a RunHandle that trains nothing."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tui_trainer.core.runs.files import RunError
from tui_trainer.core.runs.follow import EventFollower, current_events
from tui_trainer.core.runs.listing import RunRecord, load_run, read_summary
from tui_trainer.core.runs.lock import holder_of
from tui_trainer.core.spec.events import RunEnded, RunStatus, TrainingEvent

POLL_S = 0.25
"""How often events.jsonl is read for new lines."""
ALIVE_CHECK_S = 2.0
"""How often the writing process is checked for being alive (a killed one never writes RunEnded)."""
LEFT_PREFIX = "not following any more"
"""How the reason of the last event starts when stop() ended the following while the run goes on."""


class FollowRun:
    """Replays the events written so far, then follows new ones until the run ends or stop() is called.

    The run belongs to another process (`trainer` names it): pause() and resume() do nothing, and stop()
    only stops following. The last event is then a RunEnded with the run's true status as its files tell
    it (RUNNING while its process trains it on), its epochs and time; a process that died without ending
    the run gives INTERRUPTED.
    """

    def __init__(
        self, run_dir: str | Path, *, poll_s: float = POLL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.run_dir = Path(run_dir)
        self.poll_s = poll_s
        self.clock = clock
        self.replaying = False
        """True while the events written before attaching are handed out: they come in one burst, and none
        of them is a stale progress update that a newer one may replace."""
        self._stop = threading.Event()

    def events(self) -> Iterator[TrainingEvent]:
        follower = EventFollower(self.run_dir)
        self.replaying = True
        try:
            yield from current_events(follower.poll())
        finally:
            self.replaying = False
        last_check = self.clock()
        while not follower.ended:
            stopping = self._stop.wait(self.poll_s)
            yield from follower.poll()
            if follower.ended:
                return
            if stopping:
                yield self._left(load_run(self.run_dir))
                return
            if self.clock() - last_check > ALIVE_CHECK_S:
                last_check = self.clock()
                record = load_run(self.run_dir)
                if record.status == RunStatus.INTERRUPTED:
                    yield self._ended(
                        record, RunStatus.INTERRUPTED, "the training process ended without finishing its run"
                    )
                    return

    def _left(self, record: RunRecord) -> RunEnded:
        """The last event after stop(): the run goes on (as a rule), or how its files say it ended."""
        if record.status == RunStatus.RUNNING:
            return self._ended(record, RunStatus.RUNNING, f"{LEFT_PREFIX}; the run goes on in {self.trainer}")
        status = record.status if isinstance(record.status, RunStatus) else RunStatus.FAILED
        return self._ended(record, status, record.reason or f"{LEFT_PREFIX}; the run is {record.status}")

    @staticmethod
    def _ended(record: RunRecord, status: RunStatus, reason: str) -> RunEnded:
        """A RunEnded telling the run as its files do."""
        hint = "R on the Runs tab resumes it from its last checkpoint" if status == RunStatus.INTERRUPTED else ""
        return RunEnded(
            status,
            reason,
            hint,
            epochs_done=record.epochs_done,
            seconds=record.seconds or 0.0,
            best_val_accuracy=record.best_val_accuracy,
        )

    @property
    def trainer(self) -> str:
        """The process that trains the run, in words: "process 123" ("process 123 on HOST" on another host,
        "another process" when its files do not say)."""
        found = holder_of(self.run_dir)
        if found is None:
            try:
                summary = read_summary(self.run_dir)
                found = int(summary["pid"]), str(summary.get("host", ""))
            except (RunError, KeyError, TypeError, ValueError):
                return "another process"
        pid, host = found
        return f"process {pid}" if host in ("", socket.gethostname()) else f"process {pid} on {host}"

    def stop(self) -> None:
        """Stop following (the run goes on in its own process)."""
        self._stop.set()

    def pause(self) -> None:
        """Nothing: the run belongs to another process."""

    def resume(self) -> None:
        """Nothing: the run belongs to another process."""

    @property
    def paused(self) -> bool:
        """Always False: this handle never pauses the run."""
        return False

    def set_lr(self, lr: float) -> str:
        """Refused: the run trains in another process, which reads no requests from here."""
        return f"this run is trained by {self.trainer}: its learning rate cannot be changed from here"
