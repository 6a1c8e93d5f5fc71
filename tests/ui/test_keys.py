"""Keys that never surprise: typing past a text field does nothing, the focus always shows, bursts of keys
keep every key in order, Enter applies the layer form from any field."""

from __future__ import annotations

from fakes import make_app
from helpers import burst_handled, message_texts, send_burst, wait_until
from textual.widgets import Input, Select, Switch, Tabs

from tui_trainer.core.spec.experiment import LayerSpec
from tui_trainer.ui.app import TABS, TrainerApp
from tui_trainer.ui.screens.layer_form import LayerForm
from tui_trainer.ui.tabs.hparams import HparamsPane
from tui_trainer.ui.widgets.field_form import FieldRow
from tui_trainer.ui.widgets.switch_state import SwitchState


def notes(app: TrainerApp) -> list[str]:
    """The messages of the notifications shown so far."""
    return message_texts(app)


async def data_form_mounted(pilot) -> None:
    await wait_until(pilot, lambda: bool(pilot.app.query("#data-form")), what="the Data options form")


async def test_typing_past_the_data_field_starts_nothing(fake_engine) -> None:
    """The reported case: one tab too many after the own-data field, then a csv: path typed. Its letters
    were shortcuts: s started a run, p paused it, x stopped it, 2 showed the Model tab, i opened a form."""
    app = make_app(fake_engine, runs_dir=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await data_form_mounted(pilot)
        field = app.query_one("#custom-dataset", Input)
        field.focus()
        await pilot.pause()
        await pilot.press(*"csv:")
        await pilot.press("tab")
        assert isinstance(app.focused, Tabs)
        path = "/tmp/sp2ix/r.csv"
        await pilot.press(*path)
        assert fake_engine.calls == [] and not app.runs.running
        assert app.query_one("TabbedContent").active == "data"
        assert not isinstance(app.screen, LayerForm)
        assert field.value == "csv:"
        assert app.typing_guard.swallowed == len(path)
        assert [n for n in notes(app) if n.startswith("Typing went past the text field")] == [
            "Typing went past the text field: the focus is on the tab bar, so those keys did nothing. "
            "esc (or an arrow key, or a click) brings the single-key shortcuts back."
        ]
        # esc: the shortcuts work again at once.
        await pilot.press("escape", "2")
        assert app.query_one("TabbedContent").active == "model"
        # Going back into a field and leaving it with tab arms the guard again; a click disarms it.
        app.action_show_tab("data")
        await pilot.pause()
        field.focus()
        await pilot.pause()
        await pilot.press("tab", "s")
        assert fake_engine.calls == [] and app.typing_guard.armed
        await pilot.click(Tabs)
        assert not app.typing_guard.armed
        await pilot.press("s")
        await wait_until(pilot, lambda: fake_engine.calls, what="the run started by s")
        await app.workers.wait_for_complete()


async def test_tab_in_a_form_past_a_switch_does_not_fire_shortcuts(fake_engine) -> None:
    """Hyperparams: tab from momentum lands on the nesterov switch; letters there are not shortcuts (q does
    not quit, s does not start), space still toggles the switch, enter disarms."""
    app = make_app(fake_engine, runs_dir=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: app.query_one(HparamsPane).form is not None)
        app.query_one("#input-momentum", Input).focus()
        await pilot.pause()
        await pilot.press("tab")
        switch = app.query_one("#input-nesterov", Switch)
        assert app.focused is switch
        await pilot.press("q", "s", "4")
        assert app.is_running and fake_engine.calls == []
        assert app.query_one("TabbedContent").active == "hparams"
        await pilot.press("space")
        await wait_until(pilot, lambda: app.experiment.train.nesterov is True)
        assert app.typing_guard.armed
        await pilot.press("enter")  # a deliberate key (it toggles the switch back)
        await wait_until(pilot, lambda: app.experiment.train.nesterov is False)
        assert not app.typing_guard.armed
        await pilot.press("4")
        assert app.query_one("TabbedContent").active == "train"


# ------------------------------------------------------------ the focus shows


def _colour_distance(a, b) -> float:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True)) ** 0.5


def _cells(app: TrainerApp, region) -> list[tuple[tuple[int, int, int], tuple[int, int, int]]]:
    """(foreground, background) of every cell of a screen region, as drawn now."""
    strips = app.screen._compositor.render_strips()
    cells = []
    for y in range(region.y, region.bottom):
        row = []
        for segment in strips[y]:
            style = segment.style
            fg = style.color.get_truecolor() if style and style.color else (0, 0, 0)
            bg = style.bgcolor.get_truecolor() if style and style.bgcolor else (0, 0, 0)
            row.extend([(tuple(fg), tuple(bg))] * len(segment.text))
        cells.extend(row[region.x : region.right])
    return cells


STRONG = 60
"""A colour change (RGB distance) that reads at a glance; Textual's own 5% focus tints are ~10."""


FOCUS_TRIES = 3
"""Captures of a widget focused and blurred before its focus is said not to show."""


async def assert_focus_shows(pilot, what: str) -> None:
    """Every focusable widget of the screen looks clearly different when it has the focus: at least 3 of
    its cells change colour by STRONG or more (one per row in view of a widget scrolled partly out of view)."""
    app = pilot.app
    for field in app.screen.query(Input):
        field.cursor_blink = False
    for widget in list(app.screen.focus_chain):
        for _ in range(FOCUS_TRIES):  # a loaded machine once painted the focused frame after the capture
            widget.focus()
            await pilot.pause()
            region = widget.region.intersection(app.screen.region)
            focused = _cells(app, region)
            app.screen.set_focus(None)
            await pilot.pause()
            blurred = _cells(app, region)
            changed = sum(
                1
                for (f_fg, f_bg), (b_fg, b_bg) in zip(focused, blurred, strict=True)
                if max(_colour_distance(f_fg, b_fg), _colour_distance(f_bg, b_bg)) >= STRONG
            )
            clipped = region.height < widget.outer_size.height
            needed = min(3, region.height if clipped else len(focused))
            if changed >= needed:
                break
        assert changed >= needed, f"{what}: the focus on {widget!r} does not show ({changed} cells)"


async def test_the_focus_shows_on_every_focusable_widget() -> None:
    app = make_app(runs_dir=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await data_form_mounted(pilot)
        for tab in TABS:
            app.action_show_tab(tab)
            if tab == "hparams":
                await wait_until(pilot, lambda: app.query_one(HparamsPane).form is not None)
            await pilot.pause()
            await assert_focus_shows(pilot, f"the {tab} tab")
        app.action_show_tab("model")
        app.query_one("#layers").move_cursor(row=8)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, LayerForm) and app.screen.query("#arg-bias"))
        await assert_focus_shows(pilot, "the layer form")


# ------------------------------------------------------------ bursts of keys


async def test_a_burst_of_keys_into_a_field_keeps_every_key_in_order() -> None:
    """As SSH lag delivers them: end, 7 backspaces and "abc" at once gave "0" (the backspaces ran after the
    letters), "1e-3" came back as "0.001" (the form wrote the value of an older key over the text)."""
    app = make_app(runs_dir=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: app.query_one(HparamsPane).form is not None)
        lr = app.query_one("#input-lr", Input)
        momentum = app.query_one("#input-momentum", Input)
        lr_row = app.query_one("#hparams-form #field-lr", FieldRow)
        for attempt in range(8):
            lr.focus()
            lr.value = "0.002"
            await wait_until(pilot, lambda: app.experiment.train.lr == 0.002 and not app.invalid_fields)
            send_burst(app, "end", *["backspace"] * 7, "a", "b", "c")
            await burst_handled(pilot)
            assert lr.value == "abc", f"try {attempt}"
            assert lr_row.error == "learning rate (lr) must be a number, not 'abc'"
            assert "train.lr" in app.invalid_fields and app.experiment.train.lr == 0.002

            send_burst(app, "end", *["backspace"] * 3, "1", "e", "-", "3")
            await burst_handled(pilot)
            assert lr.value == "1e-3", f"try {attempt}"
            assert app.experiment.train.lr == 0.001 and not app.invalid_fields

            # A tab inside the burst: the keys after it go to the next field.
            send_burst(app, "end", *["backspace"] * 4, "0", ".", "5", "tab", "end", *["backspace"] * 4, "0", ".", "8")
            await burst_handled(pilot)
            assert (lr.value, momentum.value) == ("0.5", "0.8"), f"try {attempt}"
            assert (app.experiment.train.lr, app.experiment.train.momentum) == (0.5, 0.8)
            assert app.focused is momentum
            momentum.value = "0.9"


# ------------------------------------------------------------ the layer form


async def open_layer_form(pilot, row: int, key: str = "e") -> LayerForm:
    app = pilot.app
    app.action_show_tab("model")
    await pilot.pause()
    app.query_one("#layers").move_cursor(row=row)
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(app.screen, LayerForm) and app.screen.shown_type is not None)
    return app.screen


async def test_enter_applies_the_layer_form_from_any_field() -> None:
    app = make_app(runs_dir=None)
    async with app.run_test(size=(120, 40)) as pilot:
        before = app.experiment.layers
        assert before[7] == LayerSpec("Linear", {"out_features": 120})
        # Enter on the bias switch applies the form: it does not toggle the switch (a bias-less Linear).
        form = await open_layer_form(pilot, 8)
        bias = form.query_one("#arg-bias", Switch)
        state = form.query_one("#argrow-bias SwitchState", SwitchState)
        assert str(state.render()) == "on"
        bias.focus()
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LayerForm))
        assert app.experiment.layers == before
        # Space toggles it (the word beside it says so); enter then applies.
        form = await open_layer_form(pilot, 8)
        form.query_one("#arg-bias", Switch).focus()
        await pilot.pause()
        await pilot.press("space")
        state = form.query_one("#argrow-bias SwitchState", SwitchState)
        await wait_until(pilot, lambda: str(state.render()) == "off")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LayerForm))
        assert app.experiment.layers[7] == LayerSpec("Linear", {"out_features": 120, "bias": False})
        # Enter on the closed type list applies too (it does not reopen the list).
        form = await open_layer_form(pilot, 1, "a")
        form.query_one("#layer-type", Select).focus()
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LayerForm))
        assert app.experiment.layers[1] == LayerSpec("Linear") and len(app.experiment.layers) == len(before) + 1
        # Space opens the list; there enter picks a type, and the form stays for its arguments.
        form = await open_layer_form(pilot, 1, "a")
        select = form.query_one("#layer-type", Select)
        select.focus()
        await pilot.pause()
        await pilot.press("space")
        await wait_until(pilot, lambda: select.expanded)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: form.shown_type != "Linear")
        assert app.screen is form and not select.expanded
        picked = form.shown_type
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LayerForm))
        assert app.experiment.layers[1].type == picked
        # On the Cancel button, enter cancels.
        layers = app.experiment.layers
        form = await open_layer_form(pilot, 1 + layers.index(LayerSpec("Linear", {"out_features": 120, "bias": False})))
        form.query_one("#arg-out_features", Input).value = "7"
        form.query_one("#layer-cancel").focus()
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, LayerForm))
        assert app.experiment.layers == layers


async def test_switches_say_on_or_off() -> None:
    app = make_app(runs_dir=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_until(pilot, lambda: app.query_one(HparamsPane).form is not None)
        row = app.query_one("#hparams-form #field-nesterov", FieldRow)
        state = row.query_one(SwitchState)
        assert str(state.render()) == "off"
        row.query_one(Switch).value = True
        await wait_until(pilot, lambda: app.experiment.train.nesterov is True)
        assert str(state.render()) == "on" and state.has_class("-on")
        # Set from elsewhere (a preset), the word follows too.
        app.set_experiment(app.experiment.with_train(nesterov=False))
        await pilot.pause()
        assert str(state.render()) == "off" and not row.query_one(Switch).value


async def test_the_own_data_field_keeps_what_is_being_typed(tmp_path) -> None:
    """A change of the experiment while the own-data field is being typed in (a run teaching the app the
    shape of the csv: data in use) put the current dataset's name back over the typed text."""
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n1,2,0\n3,4,1\n")
    app = make_app(runs_dir=None, dataset=f"csv:{path}", preset="mlp")
    async with app.run_test(size=(120, 40)) as pilot:
        await data_form_mounted(pilot)
        field = app.query_one("#custom-dataset", Input)
        assert field.value == f"csv:{path}"
        field.focus()
        await pilot.pause()
        await pilot.press("end", *"-2")
        app.learn_shape(app.experiment, (2,), 2)
        await pilot.pause()
        assert field.value == f"csv:{path}-2"
        # Another dataset chosen: the field shows it.
        app.select_dataset("moons")
        await pilot.pause()
        assert field.value == f"csv:{path}-2"
        app.select_dataset(f"csv:{path}")
        await pilot.pause()
        assert field.value == f"csv:{path}"
