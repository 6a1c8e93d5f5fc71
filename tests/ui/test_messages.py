"""Messages go to the top line (never a toast over the content they explain), expire, and stay in a log.

Messages the tests wait for get long timeouts: Textual expires notifications by the wall clock, and a loaded
machine can take longer than the default 5 s to draw one."""

from __future__ import annotations

from fakes import make_app
from helpers import message_texts, wait_until
from textual.widgets import Tabs

from tui_trainer.core.pipeline.checks import default_preset
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.dialogs import Confirm, MessageLog
from tui_trainer.ui.widgets.message_bar import APP_NAME, MessageBar

LONG = (
    "layer 1 Conv2d: needs an image (channels x height x width) but its input is 2 features: put it before "
    "Flatten, or choose an image dataset"
)


def bar_text(app: TrainerApp) -> str:
    return str(app.query_one(MessageBar).render())


async def test_a_message_takes_the_top_line_and_pushes_the_content_down() -> None:
    app = make_app(runs_dir=None)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        bar, tabs = app.query_one(MessageBar), app.query_one("#tabs Tabs", Tabs)
        assert bar_text(app) == APP_NAME and bar.region.height == 1 and tabs.region.y == 1
        app.notify("Dataset: spirals", title="Data", timeout=600, markup=False)
        await wait_until(pilot, lambda: "Data: Dataset: spirals" in bar_text(app), what="the message on the top line")
        assert not app.screen.query("Toast"), "no toast lies over the content"
        assert bar.region.y == 0 and tabs.region.y == 1 and not bar.has_class("-idle")

        app.notify(LONG, title="Cannot train yet", severity="error", timeout=600, markup=False)
        await wait_until(pilot, lambda: bar.region.height == 3, what="the long error wrapped")
        await wait_until(pilot, lambda: tabs.region.y == 3, what="the tab bar below the error")
        assert bar.has_class("-error") and "Cannot train yet: layer 1 Conv2d" in bar_text(app)
        assert message_texts(app) == ["Dataset: spirals", LONG]


async def test_a_message_expires_and_the_top_line_shows_the_app_again() -> None:
    app = make_app(runs_dir=None)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        bar = app.query_one(MessageBar)
        app.notify("brief", title="Keys", timeout=600, markup=False)
        app.notify("bad", severity="error", timeout=1, markup=False)
        await wait_until(pilot, lambda: "bad" in bar_text(app), what="the error")
        brief, bad = list(app._notifications)
        assert bad.timeout == app.ERROR_TIMEOUT_S, "an error stays longer than asked"
        app._expire(bad)  # what its timer does
        await wait_until(pilot, lambda: "Keys: brief" in bar_text(app), what="the older message again")
        app._expire(brief)
        await wait_until(pilot, lambda: bar_text(app) == APP_NAME, what="the messages expired")
        assert bar.has_class("-idle") and message_texts(app) == ["brief", "bad"]  # the log keeps them


async def test_the_log_lists_every_message_newest_first() -> None:
    app = make_app(runs_dir=None)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.notify("first", title="Model", markup=False)
        app.notify("second [b]not markup[/b]", title="Export", severity="warning", markup=False)
        await wait_until(pilot, lambda: len(app.message_log) == 2, what="two messages")
        app.action_messages()
        await wait_until(pilot, lambda: bool(app.screen.query("#message-log-text")), what="the log")
        text = str(app.screen.query_one("#message-log-text").render())
        assert text.index("warning: Export: second [b]not markup[/b]") < text.index("Model: first")
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, MessageLog), what="the log closed")


async def test_a_message_raised_over_a_dialog_is_shown_on_that_dialog() -> None:
    app = make_app(runs_dir=None)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.push_screen(Confirm("Delete it?"))
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), what="the dialog")
        app.notify("while the dialog is open", timeout=600, markup=False)
        await wait_until(pilot, lambda: bool(app.screen.query("Toast")), what="a toast on the dialog")


def test_a_dataset_named_without_a_preset_starts_on_a_preset_that_fits_it() -> None:
    """`tui-trainer --dataset moons` started on LeNet-5, which cannot train on 2-D points."""
    assert default_preset(None) == "lenet5" and default_preset("digits28") == "lenet5"
    assert default_preset("moons") == "mlp" and default_preset("iris") == "mlp" and default_preset("digits") == "mlp"
    assert default_preset("csv:/tmp/x.csv") == "mlp" and default_preset("folder:/tmp/imgs") == "lenet5"
    app = TrainerApp(dataset="moons", runs_dir=None, backend=make_app(runs_dir=None).backend)
    assert app.preset_name == "mlp" and app.experiment.data.name == "moons"
