"""What many tests share: small layer stacks, an experiment builder, and waiting on a condition (never a fixed sleep)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tui_trainer.core.spec.experiment import DataSpec, Experiment, LayerSpec, TrainSpec

L = LayerSpec
MLP = (L("Flatten"), L("Linear", {"out_features": 16}), L("ReLU"), L("Linear"))
"""A small MLP for any input (Flatten first)."""


def cnn(dropout: float = 0.2) -> tuple[LayerSpec, ...]:
    """A small CNN with BatchNorm and Dropout for (C, H, W) inputs (8x8 and larger)."""
    return (
        L("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}),
        L("BatchNorm"),
        L("ReLU"),
        L("MaxPool2d"),
        L("Flatten"),
        L("Dropout", {"p": dropout}),
        L("Linear"),
    )


CNN = cnn()


def experiment(
    layers=MLP, *, name: str = "test", dataset: str = "tiny", data: dict | None = None, **train
) -> Experiment:
    """An experiment on a dataset (default: "tiny", a bundle the test passes itself), CPU, one torch thread
    (tiny models on a busy 2-core machine run far faster without OpenMP contention), 2 epochs of SGD."""
    options = {"device": "cpu", "epochs": 2, "batch_size": 16, "lr": 0.05, "optimizer": "sgd", "threads": 1, **train}
    return Experiment(
        name=name, data=DataSpec(name=dataset, **(data or {})), layers=tuple(layers), train=TrainSpec(**options)
    )


def wait_for(condition: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> None:
    """Block this thread until condition() is true; fail the test after timeout seconds (a hang guard only:
    the test never depends on how long it takes)."""
    deadline = time.monotonic() + timeout
    wake = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:.0f} s")
        wake.wait(0.005)


async def wait_until(pilot, condition: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> None:
    """Let the app run until condition() is true; fail the test after timeout seconds (a hang guard only)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout:.0f} s")
        await pilot.pause()


class SimulatedClock:
    """A clock for the throttles that advances only when told: tests count events per simulated second."""

    def __init__(self, start: float = 0.0, step: float = 0.0) -> None:
        self.now = start
        self.step = step
        """Seconds added at every reading (0: only advance() moves it)."""

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        self.now += seconds


def dashboard_drawn(app) -> bool:
    """The app's Train tab has drawn everything it was given: nothing waits for the redraw cap or for
    its frame (what a UI test waits for before it reads the plots and tables)."""
    from tui_trainer.ui.tabs.train import TrainPane

    return app.query_one(TrainPane).all_drawn


def send_burst(app, *keys: str) -> None:
    """Deliver keys to the app all at once, as a terminal read does when SSH lag bunches them up: every key is
    queued before the app handles the first (Pilot.press waits for the app between keys, so it never does
    this). Key names as for Pilot.press ("end", "backspace", "tab", "a", "-")."""
    from textual import events
    from textual.keys import _character_to_key

    for key in keys:
        if len(key) == 1:
            name, character = (key if key.isalnum() else _character_to_key(key)), key
        else:
            name, character = key, {"space": " "}.get(key)
        app.post_message(events.Key(name, character))


async def burst_handled(pilot) -> None:
    """Wait until the app has handled every key of a send_burst and every message they caused: a marker queued
    behind the keys has run, then no widget of the screen (nor the app) has a message waiting, twice running."""
    app = pilot.app
    done: list[bool] = []
    app.call_later(done.append, True)
    await wait_until(pilot, lambda: done, what="the keys of the burst handled")

    def quiet() -> bool:
        return all(node._message_queue.empty() for node in (app, *app.screen.walk_children(with_self=True)))

    for _ in range(2):
        await wait_until(pilot, quiet, what="the messages of the burst handled")
        await pilot.pause()


def shown_messages(app) -> list[str]:  # noqa: ANN001
    """The app's messages of this session as text (title, newline, message), oldest first: what its top
    line showed (tui_trainer.ui.widgets.message_bar)."""
    return [f"{m.title}\n{m.text}" if m.title else m.text for m in app.message_log]


def message_texts(app) -> list[str]:  # noqa: ANN001
    """The texts of the app's messages of this session, without their titles, oldest first."""
    return [m.text for m in app.message_log]


def tables_settled(app) -> bool:  # noqa: ANN001
    """Every DataTable of the screen has measured its columns: a DataTable measures them when its message queue
    is idle, so on a busy machine a snapshot caught a header still at the old widths above wider rows."""
    from textual.widgets import DataTable

    return all(
        not (table._require_update_dimensions or table._updated_cells or table._new_rows) and _columns_fit(table)
        for table in app.screen.query(DataTable)
    )


def _columns_fit(table) -> bool:  # noqa: ANN001
    """Every column of a DataTable is at least as wide as its widest cell (a message that refilled the table after
    it was measured leaves columns at their header's width until the next idle)."""
    from rich.cells import cell_len

    for key, column in table.columns.items():
        widest = max((cell_len(str(cell)) for cell in table.get_column(key)), default=0)
        if column.auto_width and column.content_width < widest:
            return False
    return True
