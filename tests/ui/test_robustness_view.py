"""The Robustness view: reached from the Runs and Train tabs, keys start evaluations in the backend, results drawn."""

from __future__ import annotations

from pathlib import Path

from helpers import experiment, wait_until
from rich.console import Console
from robustness_fakes import FakeEvaluation, robustness_app, with_best
from saved_runs import saved_run
from textual.widgets import Static

from tui_trainer.core.spec.robustness import DEFAULT_EPS, corruptions_for
from tui_trainer.ui.screens.robustness import RobustnessScreen, corruption_table
from tui_trainer.ui.tabs.runs import RunsPane


def status(screen: RobustnessScreen) -> str:
    return str(screen.query_one("#robustness-status", Static).render())


async def open_from_runs_tab(pilot, tmp_path: Path) -> RobustnessScreen:
    pane = pilot.app.query_one(RunsPane)
    await pilot.press("5")
    await wait_until(pilot, lambda: len(pane.records) == 1)
    await pilot.press("t")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, RobustnessScreen))
    return pilot.app.screen


async def test_keys_start_each_evaluation_in_the_backend_and_draw_its_results(tmp_path: Path) -> None:
    path, _ = saved_run(tmp_path, experiment(name="lenet5", dataset="digits28"), epochs_done=2)
    with_best(path)
    evaluation = FakeEvaluation()
    app = robustness_app(evaluation, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_from_runs_tab(pilot, tmp_path)
        assert screen.run_dir == str(path)
        evaluation.hold()
        await pilot.press("f")
        await wait_until(pilot, lambda: "clean (1/" in status(screen), what="the progress shown")
        await pilot.press("g")  # one at a time
        assert "an evaluation is going" in status(screen)
        evaluation.release()
        # the result, not the fake's last progress line ("done (N/N)"): the view has merged it once "done (359 ..."
        await wait_until(pilot, lambda: status(screen).startswith("done (359"), what="the result")
        assert [r.attacks for r in evaluation.requests] == [("fgsm",)]
        assert evaluation.requests[0].eps == DEFAULT_EPS and evaluation.requests[0].corruptions == ()
        assert screen.attacks[("fgsm", 0.0)] == screen.clean == 0.95
        await pilot.press("c")
        await wait_until(pilot, lambda: len(evaluation.requests) == 2 and screen.evaluation is None)
        assert evaluation.requests[1].corruptions is None  # every corruption that applies to the data
        assert {n for n, _ in screen.corruptions} == set(corruptions_for("image"))
        assert screen.attacks  # the FGSM points stay
        console = Console(width=120)
        with console.capture() as capture:
            console.print(screen.query_one("#robustness-table", Static).content)
        table = capture.get()
        assert "gaussian_noise" in table and "sev 5" in table
        text = str(screen.query_one("#robustness-adv-text", Static).render())
        assert "fgsm eps 0.3" in text and "attacked: 3 60.0%" in text
        await pilot.press("e")  # the next attack / eps: wraps to eps 0
        assert "fgsm eps 0 " in str(screen.query_one("#robustness-adv-text", Static).render())
        await pilot.press("n")  # another sample: the last evaluation again for it
        await wait_until(
            pilot,
            lambda: len(evaluation.requests) == 3 and screen.evaluation is None,
            timeout=5,
            what=lambda: status(screen),
        )
        assert evaluation.requests[2].sample == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, RobustnessScreen))


async def test_x_stops_an_evaluation_and_a_run_without_best_pt_is_refused(tmp_path: Path) -> None:
    path, _ = saved_run(tmp_path, experiment(name="lenet5", dataset="digits28"), epochs_done=2)
    evaluation = FakeEvaluation()
    app = robustness_app(evaluation, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunsPane)
        await pilot.press("5")
        await wait_until(pilot, lambda: len(pane.records) == 1)
        await pilot.press("t")
        await pilot.pause()
        assert not isinstance(app.screen, RobustnessScreen)  # no best.pt: a warning instead
        with_best(path)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, RobustnessScreen))
        screen = app.screen
        evaluation.hold()
        await pilot.press("a")
        await wait_until(pilot, evaluation.waiting.is_set)
        await pilot.press("x")
        await wait_until(pilot, lambda: status(screen).startswith("stopped"))
        assert screen.evaluation is None


async def test_a_failed_evaluation_says_why_and_the_view_stays(tmp_path: Path) -> None:
    from tui_trainer.core.spec.robustness import RobustnessResult

    def broken(request, on_progress, should_stop):
        return RobustnessResult(request.run_dir, problem="there is no checkpoint x/best.pt")

    app = robustness_app(broken, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(RobustnessScreen(tmp_path / "x", "a run"))
        await pilot.pause()
        await pilot.press("a")
        screen = app.screen
        await wait_until(pilot, lambda: status(screen).startswith("cannot evaluate: there is no checkpoint"))


def test_the_corruption_table_marks_drops_in_the_theme_colours() -> None:
    table = corruption_table(0.9, {("blur", 1): 0.89, ("blur", 2): 0.8, ("blur", 3): 0.5}, "#ff0", "#f00")
    (name, clean, *cells) = table.columns
    assert [c._cells[0] for c in (name, clean)] == ["blur", "90.0%"]
    styles = [c._cells[0].style for c in cells[:3]]
    assert styles == ["", "#ff0", "#f00"]


async def test_t_on_the_train_tab_opens_the_run_that_ended(tmp_path: Path) -> None:
    from fakes import DEVICES, FakeEngine, run_drawn

    from tui_trainer.core.backend.thread import ThreadBackend
    from tui_trainer.ui.app import TrainerApp

    backend = ThreadBackend(run=FakeEngine(epochs=2), devices=DEVICES, evaluate=FakeEvaluation())
    app = TrainerApp(backend=backend, runs_dir=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4", "t")  # nothing trained yet: a warning, no view
        await pilot.pause()
        assert not isinstance(app.screen, RobustnessScreen)
        await pilot.press("s")
        await wait_until(pilot, lambda: run_drawn(app) and not app.runs.running)
        path, _ = saved_run(tmp_path, app.experiment, epochs_done=2)  # what the real pipeline would have saved
        with_best(path)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, RobustnessScreen))
        assert app.screen.run_dir == str(path)
