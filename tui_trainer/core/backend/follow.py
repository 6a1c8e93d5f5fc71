"""Following a run directory that another process writes (`tui-trainer watch`, attach): a RunHandle that trains nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tui_trainer.core.runs.follow import EventFollower, current_events
from tui_trainer.core.runs.listing import load_run
from tui_trainer.core.spec.events import RunEnded, RunStatus, TrainingEvent

POLL_S = 0.25
"""How often events.jsonl is read for new lines."""
ALIVE_CHECK_S = 2.0
"""How often the writing process is checked for being alive (a killed one never writes RunEnded)."""


class FollowRun:
    """Replays the events written so far, then follows new ones until the run ends or stop() is called.

    Pause does nothing to the run (it belongs to another process); the handle only reports it.
    """

    def __init__(
        self, run_dir: str | Path, *, poll_s: float = POLL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.run_dir = Path(run_dir)
        self.poll_s = poll_s
        self.clock = clock
        self._stop = threading.Event()
        self._paused = False

    def events(self) -> Iterator[TrainingEvent]:
        follower = EventFollower(self.run_dir)
        yield from current_events(follower.poll())
        last_check = self.clock()
        while not follower.ended:
            if self._stop.wait(self.poll_s):
                yield RunEnded(RunStatus.STOPPED, "stopped following (the run goes on in its own process)")
                return
            yield from follower.poll()
            if not follower.ended and self.clock() - last_check > ALIVE_CHECK_S:
                last_check = self.clock()
                if load_run(self.run_dir).status == RunStatus.INTERRUPTED:
                    yield RunEnded(RunStatus.STOPPED, "the training process ended without finishing its run")
                    return

    def stop(self) -> None:
        self._stop.set()

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused
