"""The training controller: one Textual thread worker per run, a stop flag, pause, and a done signal."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from textual.app import App

from tui_trainer.core.config import Experiment
from tui_trainer.core.events import RunEnded, TrainingEvent
from tui_trainer.core.runs import DEFAULT_ROOT
from tui_trainer.core.trainer_process import TrainerProcess, auto_threads
from tui_trainer.ui.messages import TrainingEventMessage, TrainingThreadDone

Engine = Callable[..., object]
"""run_experiment(experiment, *, on_event, should_stop) -> RunEnded; a fake one in tests."""


def default_engine(
    experiment: Experiment,
    *,
    on_event,
    should_stop,
    runs_dir: str | Path | None = DEFAULT_ROOT,
    resume: str | Path | None = None,
) -> object:
    """The real engine on this (worker) thread, imported lazily so the first frame never waits for torch.

    The app trains in a TrainerProcess by default (real_engine); this is its in-process
    fallback (`tui-trainer app --train-in thread`). The run is saved under runs_dir (None: not
    saved), or with resume continues that run directory. With threads = 0 (auto) torch gets all
    cores but one: the UI thread keeps a core to itself. Measured on 2 cores: LeNet on digits28 with
    2 torch threads beside the live dashboard ran ~20x slower than headless (OpenMP threads
    spin-waiting on a core the UI uses); with 1 thread it ran at headless speed.
    """
    import torch

    from tui_trainer.core.runs.session import train_and_save

    if experiment.train.threads == 0:
        torch.set_num_threads(auto_threads())
    return train_and_save(experiment, on_event=on_event, should_stop=should_stop, runs_dir=runs_dir, resume=resume)


def real_engine(
    process: TrainerProcess | None, runs_dir: Callable[[], str | Path | None], resume: str | Path | None = None
) -> Engine:
    """The app's real engine: in the training process when there is one, else on the worker thread.

    runs_dir is read when a run starts (the Runs tab can change it); resume continues that run directory.
    """

    def engine(experiment: Experiment, *, on_event, should_stop) -> object:
        if process is not None:
            return process.train(
                experiment, on_event=on_event, should_stop=should_stop, runs_dir=runs_dir(), resume=resume
            )
        return default_engine(
            experiment, on_event=on_event, should_stop=should_stop, runs_dir=runs_dir(), resume=resume
        )

    return engine


def follow_engine(run_dir: str | Path, poll_s: float = 0.25) -> Engine:
    """An engine that trains nothing: it replays and then follows the events another process writes."""

    def follow(experiment: Experiment, *, on_event, should_stop) -> object:
        from tui_trainer.core.runs import EventFollower, current_events, load_run

        follower = EventFollower(run_dir)
        for event in current_events(follower.poll()):
            on_event(event)
        last_check = time.monotonic()
        while not follower.ended:
            if should_stop():
                end = RunEnded("stopped", "stopped following (the run goes on in its own process)")
                on_event(end)
                return end
            time.sleep(poll_s)
            for event in follower.poll():
                on_event(event)
            if not follower.ended and time.monotonic() - last_check > 2.0:
                last_check = time.monotonic()
                if load_run(run_dir).status == "interrupted":
                    end = RunEnded("stopped", "the training process ended without finishing its run")
                    on_event(end)
                    return end
        return None

    return follow


class RunControl:
    """should_stop for one run: calling it blocks while paused (in-thread engines park there);
    stop_requested and paused read the flags without blocking (the process engine forwards them)."""

    def __init__(self, stop: threading.Event, resume: threading.Event) -> None:
        self._stop, self._resume = stop, resume

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    def __call__(self) -> bool:
        while not self._resume.is_set() and not self._stop.is_set():
            self._resume.wait(0.1)
        return self._stop.is_set()


class TrainingController:
    """Owns the training thread worker of the current run; events go to `target` by post_message.

    Only one thread trains at a time: a new run waits until the previous thread has returned.
    Pausing blocks the engine inside its should_stop poll, so it takes effect within one batch.
    """

    def __init__(self, target: App, engine: Engine) -> None:
        self.target = target
        self.engine = engine
        self.run_id = 0
        self._stop = threading.Event()
        self._resume = threading.Event()
        self._resume.set()
        self._done = threading.Event()
        self._done.set()

    @property
    def running(self) -> bool:
        """True until the current run's thread has returned (cancelling a worker does not end it)."""
        return not self._done.is_set()

    @property
    def paused(self) -> bool:
        """True while the current run is paused."""
        return not self._resume.is_set()

    def start(self, experiment: Experiment, engine: Engine | None = None) -> int:
        """Start a run in a new thread (the caller checked none is running); returns its run id.

        engine overrides the controller's engine for this run (resume, or following another process).
        """
        if self.running:
            raise RuntimeError("a run is still going: stop it and wait for it to end")
        self.run_id += 1
        run_id = self.run_id
        self._stop = threading.Event()
        self._resume.set()
        self._done = done = threading.Event()
        control = RunControl(self._stop, self._resume)
        target = self.target

        def post(event: TrainingEvent) -> None:
            target.post_message(TrainingEventMessage(event, run_id))

        def body() -> None:
            try:
                (engine or self.engine)(experiment, on_event=post, should_stop=control)
            except Exception as exc:  # a bug or an unexpected failure: show it, keep the app alive
                post(RunEnded("failed", f"{type(exc).__name__}: {exc}", "this looks like a bug: please report it"))
            finally:
                done.set()
                target.post_message(TrainingThreadDone(run_id))

        target.run_worker(body, name=f"training-run-{run_id}", group="training", thread=True, exit_on_error=False)
        return run_id

    def pause(self) -> None:
        """Pause the current run at its next batch."""
        self._resume.clear()

    def resume(self) -> None:
        """Resume a paused run."""
        self._resume.set()

    def stop(self) -> None:
        """Ask the current run to stop at its next batch (also ends a pause)."""
        self._stop.set()
        self._resume.set()

    def join(self, timeout: float = 5.0) -> bool:
        """Stop and wait for the thread to return; True when it did within timeout."""
        self.stop()
        return self._done.wait(timeout)
