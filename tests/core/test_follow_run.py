"""FollowRun ends with the followed run's true status: running after stop() (naming its process), interrupted when
its process died; it marks the replay, and pausing it does nothing."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import SimulatedClock, experiment

from tui_trainer.core.backend.follow import ALIVE_CHECK_S, FollowRun
from tui_trainer.core.runs.lock import RunLock
from tui_trainer.core.runs.writer import RunWriter
from tui_trainer.core.spec.events import BatchEnd, RunEnded, RunStarted, RunStatus

FOLLOWED = experiment(name="mlp", dataset="moons", epochs=5)


def started_run(root: Path) -> Path:
    """A run directory whose run started and trained two batches (not ended)."""
    writer = RunWriter.create(root, FOLLOWED, clock=SimulatedClock(step=1.0))
    writer.on_event(RunStarted("cpu", 10, 30, 10, 0, 5, 2, 16, ("a", "b"), (2,)))
    for step in (1, 2):
        writer.on_event(BatchEnd(1, step, 2, step, 0.5, 0.01, 100.0, 0.1 * step))
    return writer.path


def test_stop_ends_with_the_run_still_running_in_its_process(tmp_path: Path) -> None:
    run_dir = started_run(tmp_path)
    lock = RunLock.acquire(run_dir)
    try:
        follow = FollowRun(run_dir, poll_s=0.001)
        events = follow.events()
        first = next(events)
        assert isinstance(first, RunStarted) and follow.replaying
        assert [type(next(events)) for _ in range(2)] == [BatchEnd, BatchEnd]
        follow.pause()
        assert not follow.paused, "a followed run belongs to another process"
        follow.stop()
        (last,) = list(events)
        assert not follow.replaying
        assert isinstance(last, RunEnded) and last.status == RunStatus.RUNNING
        assert last.reason == f"not following any more; the run goes on in process {os.getpid()}"
        assert follow.trainer == f"process {os.getpid()}"
    finally:
        lock.release()


def test_a_dead_training_process_ends_the_following_interrupted(tmp_path: Path) -> None:
    run_dir = started_run(tmp_path)
    RunLock.acquire(run_dir).release()  # "running" in its summary, and its trainer gave the lock back: it died
    clock = SimulatedClock(step=ALIVE_CHECK_S)
    events = FollowRun(run_dir, poll_s=0.001, clock=clock).events()
    ended = [e for _, e in zip(range(10), events) if isinstance(e, RunEnded)]
    assert [(e.status, e.reason) for e in ended] == [
        (RunStatus.INTERRUPTED, "the training process ended without finishing its run")
    ]
    assert "resumes it" in ended[0].hint
