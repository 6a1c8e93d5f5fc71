"""The Sweep tab's watcher: on a thread, open a sweep (waiting while a starting one writes its folder and study),
then read its study about every poll_s and post a message only when something changed."""

from __future__ import annotations

import threading
from collections.abc import Callable

from textual.message import Message

from tui_trainer.core.spec.experiment import ConfigError
from tui_trainer.core.sweep.background import BackgroundSweep
from tui_trainer.core.sweep.results import StudyResult
from tui_trainer.core.sweep.space import SpaceError
from tui_trainer.core.sweep.spec import SweepSpec
from tui_trainer.core.sweep.study import SweepError
from tui_trainer.core.sweep.watch import SweepSource


class SweepOpened(Message):
    """The watcher opened a sweep."""

    def __init__(self, generation: int, spec: SweepSpec, folder: str) -> None:
        super().__init__()
        self.generation, self.spec, self.folder = generation, spec, folder


class SweepPolled(Message):
    """The study changed (or the sweep's own process ended)."""

    def __init__(self, generation: int, result: StudyResult, pids: list[int], process_running: bool | None) -> None:
        super().__init__()
        self.generation, self.result, self.pids, self.process_running = generation, result, pids, process_running


class SweepWatchFailed(Message):
    """The sweep could not be opened or read."""

    def __init__(self, generation: int, text: str) -> None:
        super().__init__()
        self.generation, self.text = generation, text


def watch_sweep(
    source: SweepSource,
    *,
    generation: int,
    stop: threading.Event,
    own: BackgroundSweep | None,
    poll_s: float,
    post: Callable[[Message], object],
    cancelled: Callable[[], bool],
) -> None:
    """Open the source, then read it until stop is set, the worker is cancelled or the app's own sweep process
    ended; every message carries generation (the pane ignores those of a watch it replaced)."""
    while True:
        try:
            spec, folder = source.open()
            break
        except (SweepError, ConfigError, SpaceError) as exc:
            if own is None or not own.running():
                post(SweepWatchFailed(generation, (own.last_line() if own is not None else "") or str(exc)))
                return
        if stop.wait(poll_s) or cancelled():
            return
    post(SweepOpened(generation, spec, folder))
    last = None
    while not cancelled() and not stop.is_set():
        running = own.running() if own is not None else None
        try:
            state = (source.read(), source.worker_pids(), running)
        except Exception as exc:  # noqa: BLE001 (a storage gone, a file cut: said, and the watch ends)
            post(SweepWatchFailed(generation, f"cannot read the sweep: {exc}"))
            return
        if state != last:
            last = state
            post(SweepPolled(generation, *state))
        if running is False:
            return
        stop.wait(poll_s)
