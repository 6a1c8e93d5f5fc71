"""Snapshots of the label-noise and backdoor views at 80x24 and 120x40: the Data tab's options, the Train tab's
best epoch with the peak-then-fall of validation accuracy and a backdoor's end line, the review queue."""

from __future__ import annotations

import pytest
from fakes import CLASSES, FakeEngine, make_app, scripted_report
from helpers import wait_until
from labels_fixtures import reviewed_run
from test_snapshots import settle

from tui_trainer.core.spec.events import BackdoorResult, EpochEnd, RunEnded, RunStarted
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.review import ReviewQueue
from tui_trainer.ui.tabs.train import TrainPane

SIZES = [(80, 24), (120, 40)]
VAL = [0.60, 0.80, 0.90, 0.93, 0.90, 0.87, 0.84, 0.82]
"""Validation accuracy of a run on noisy labels: it rises, peaks at epoch 4, then falls..."""
TRAIN = [0.40, 0.55, 0.65, 0.72, 0.80, 0.86, 0.91, 0.95]
"""...while the training accuracy climbs on (the wrong labels memorised)."""


def snapshot_app() -> TrainerApp:
    return make_app(FakeEngine(epochs=4))


def noisy_run_events() -> list:
    """A finished backdoored run on noisy labels, as plain events."""
    events: list = [RunStarted("cpu", 1234, 300, 60, 0, len(VAL), 4, 32, CLASSES, (2,))]
    for epoch, (val, train) in enumerate(zip(VAL, TRAIN, strict=True), start=1):
        events.append(
            EpochEnd(
                epoch,
                len(VAL),
                1.2 - 0.1 * epoch,
                train,
                0.5 + 0.05 * abs(epoch - 4),
                val,
                0.01,
                0.2,
                scripted_report(epoch),
                is_best=epoch <= 4,
            )
        )
    backdoor = BackdoorResult(target=0, fraction=0.1, clean_accuracy=0.82, attack_success_rate=0.97, attacked=40)
    events.append(
        RunEnded("finished", "trained 8 epochs", "", len(VAL), 2.0, best_val_accuracy=0.93, backdoor=backdoor)
    )
    return events


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_data_tab_with_noise_and_backdoor_options(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        app.set_experiment(app.experiment.with_data(label_noise=0.2, noise_kind="targeted", noise_to=12))
        await settle(pilot)
        app.show_field("data.noise_to")
        await settle(pilot)

    assert snap_compare(snapshot_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_train_tab_peak_then_fall_and_backdoor(snap_compare, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        pane = app.query_one(TrainPane)
        await settle(pilot)
        await pilot.press("4")
        pane.begin_run(app.experiment.with_data(label_noise=0.4, poison_fraction=0.1), 1)
        for event in noisy_run_events():
            pane.handle_event(event)
        await settle(pilot)

    assert snap_compare(snapshot_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_queue(snap_compare, size: tuple[int, int], tmp_path) -> None:
    async def run_before(pilot) -> None:
        app = pilot.app
        await settle(pilot)
        run_dir, _ = reviewed_run(tmp_path, app.experiment.with_dataset("digits"), n=8)
        app.open_review(run_dir, app.experiment)
        await wait_until(
            pilot, lambda: isinstance(app.screen, ReviewQueue) and bool(app.screen.query("#review-sample"))
        )
        await pilot.press("r", "d")
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=size, run_before=run_before)
