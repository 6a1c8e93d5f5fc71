"""The learning-rate finder in the app: f on the Train tab opens it, the backend computes the sweep, a applies it."""

from __future__ import annotations

import math

from fakes import fake_backend
from helpers import wait_until
from textual.widgets import Input

from tui_trainer.core.spec.lr_finding import suggest, sweep_rates
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.lr_finder import LrFinderScreen


def synthetic_finding():
    """A finding of a made-up sweep: flat, falling around 1e-3, rising past 0.3 (no torch in the UI tests)."""
    lrs = sweep_rates(1e-7, 10.0, 90)
    losses = []
    for lr in lrs:
        x = math.log10(lr)
        losses.append(1.0 - 0.4 * math.tanh(1.5 * (x + 3)) + (4 * (x + 0.5) ** 2 if x > -0.5 else 0.0))
    return suggest(lrs, losses)


def finder_app(seen: list) -> TrainerApp:
    def finder(experiment):
        seen.append(experiment)
        return synthetic_finding()

    return TrainerApp(backend=fake_backend(lr_finder=finder))


async def test_f_runs_the_finder_and_a_applies_its_suggestion() -> None:
    seen: list = []
    app = finder_app(seen)
    finding = synthetic_finding()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "f")
        await wait_until(pilot, lambda: isinstance(app.screen, LrFinderScreen) and app.screen.finding is not None)
        assert seen == [app.experiment]  # the edited experiment, computed by the backend
        why = str(app.screen.query_one("#lr-find-why").render())
        assert f"{finding.suggestion:.3g}" in why and "fastai's valley" in why
        await pilot.press("a")
        await wait_until(pilot, lambda: not isinstance(app.screen, LrFinderScreen))
        expected = float(f"{finding.suggestion:.3g}")
        assert app.experiment.train.lr == expected
        await pilot.press("3")
        await wait_until(pilot, lambda: app.query("#field-lr") or app.query(Input))
        values = [field.value for field in app.query(Input) if field.id and "lr" in field.id]
        assert any(float(v) == expected for v in values if v), values


async def test_a_problem_is_said_on_the_screen() -> None:
    app = TrainerApp(backend=fake_backend(lr_finder=lambda experiment: "dataset nope is not known"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "f")
        await wait_until(
            pilot,
            lambda: (
                isinstance(app.screen, LrFinderScreen)
                and "dataset nope" in str(app.screen.query_one("#lr-find-status").render())
            ),
        )
        lr = app.experiment.train.lr
        await pilot.press("a")  # nothing to apply: said, the screen stays
        assert isinstance(app.screen, LrFinderScreen) and app.experiment.train.lr == lr
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LrFinderScreen))
