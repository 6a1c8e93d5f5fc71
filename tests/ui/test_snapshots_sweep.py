"""Snapshots of the Sweep tab at 80x24 and 120x40: the define view with a field in error, and the watch view of a
scripted study (a pruned trial dimmed, the best so far, the importances) (pytest-textual-snapshot)."""

from __future__ import annotations

import pytest
from fakes import FakeEngine, make_app
from helpers import tables_settled, wait_until
from sweep_fakes import FakeSource, fake_spec, four_trials
from textual.widgets import Input

from tui_trainer.ui.tabs.sweep import SweepPane
from tui_trainer.ui.widgets.trials_table import TrialsTable

SIZES = [(80, 24), (120, 40)]


def sweep_app():
    return make_app(FakeEngine(), dataset="moons", preset="mlp")


async def on_sweep_tab(pilot) -> SweepPane:
    app = pilot.app
    await wait_until(pilot, lambda: bool(app.query("#data-form")), what="the deferred forms")
    await pilot.press("6")
    await wait_until(pilot, lambda: app.query_one("#tabs").active == "sweep", what="the Sweep tab")
    return app.query_one(SweepPane)


def queues_empty(app) -> bool:  # noqa: ANN001
    """No widget of the screen has a message waiting (a SweepPolled still queued refills the trials table)."""
    return all(node._message_queue.empty() for node in app.screen.walk_children(with_self=True))


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()  # the watcher's thread has ended: its last message is posted...
    # ... and handled: a trials table refilled after the tables looked settled was caught at its headers' widths
    # (CI, twice), so every queue must be empty with the tables measured, on two looks in a row.
    for _ in range(2):
        await wait_until(
            pilot, lambda: queues_empty(pilot.app) and tables_settled(pilot.app), what="the messages handled, measured"
        )
        await pilot.pause()
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sweep_tab_defining(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        pane = await on_sweep_tab(pilot)
        for name, text in (("lr", "1e-3..0.3:log"), ("batch_size", "16,32,0")):
            pane.query_one("#sweep-add").value = name
            await wait_until(pilot, lambda name=name: name in dict(pane.draft.params), what=f"{name}'s row")
            row = pane.query_one(f"#sweep-param-{name}")
            row.query_one(Input).value = text
            await wait_until(
                pilot, lambda name=name, text=text: dict(pane.draft.params)[name] == text, what="the text checked"
            )
        pane.query_one("#sweep-add").focus()
        await settle(pilot)

    assert snap_compare(sweep_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_sweep_tab_watching(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        pane = await on_sweep_tab(pilot)
        source = FakeSource(fake_spec(pilot.app.experiment.with_train(epochs=3)))
        source.push(*four_trials(), importances={"lr": 0.74, "batch_size": 0.26})
        pane.open_source = lambda target: source
        pane.poll_s = 0.01
        pane.attach("sweeps/fake")
        table = pane.query_one(TrialsTable)
        await wait_until(pilot, lambda: table.row_count == 4, what="the trials")
        pane._stop_watch.set()  # nothing changes any more: the watcher ends
        await settle(pilot)

    assert snap_compare(sweep_app(), terminal_size=size, run_before=run_before)
