"""Help tab: the keys of every tab and the lecture's concepts mapped to controls."""

from __future__ import annotations

from fakes import make_app
from textual.widgets import Markdown

CONCEPTS = [
    "perceptron",
    "Identity",
    "Step",
    "Sign",
    "Sigmoid",
    "Tanh",
    "ReLU",
    "zero gradient",
    "softmax",
    "cross-entropy",
    "no Softmax layer",
    "label_smoothing",
    "gradient-descent step",
    "backpropagation",
    "batch_size",
    "lr",
    "step",
    "exponential",
    "cosine",
    "onecycle",
    "plateau",
    "SGD",
    "Momentum",
    "Nesterov",
    "Adam",
    "AdamW",
    "RMSprop",
    "Accuracy",
    "Precision** = TP / (TP + FP)",
    "Recall** = TP / (TP + FN)",
    "F1** = 2PR / (P + R)",
    "Macro average",
    "weighted average",
    "rows = the **true** class",
    "val_fraction",
    "Overfitting",
    "validation loss rises",
    "Dropout",
    "weight_decay",
    "patience",
    "Conv2d",
    "MaxPool2d",
    "Flatten",
    "LeNet-5",
    "16*4*4",
    "44,426 parameters",
    "unseen data",
    "adversarial",
    "flipped",
]


async def test_help_mentions_every_concept_and_tab_keys_and_scrolls() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.query_one("#tabs").active == "help"
        source = app.query_one("#help-text", Markdown).source
        missing = [c for c in CONCEPTS if c not in source]
        assert not missing, missing
        # Keys: the global ones and every pane's own, read from their bindings.
        for text in (
            "`s` Start",
            "`q` Quit",
            "`ctrl+p`",
            "1 Data",
            "`⏎` Pick",
            "2 Model",
            "`a` Add a layer after the cursor",
            "`d` Delete",
            "`K` Move the layer up",
            "`r` Put the preset's layers back",
            "5 Runs",
            "`+` Train a run more epochs",
            "`c` One column per setting that differs among the runs",
        ):
            assert text in source, text
        # It scrolls with the keyboard.
        scroll = app.query_one("#help-scroll")
        assert app.focused is scroll
        await pilot.press("pagedown")
        await pilot.pause()
        assert scroll.scroll_y > 0


async def test_the_palette_names_the_tabs_as_the_tab_bar_does() -> None:
    from fakes import make_app
    from textual.widgets import Tab

    from tui_trainer.ui.app import TABS

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        labels = {str(tab.label) for tab in app.query(Tab)}
        commands = [c for c in app.get_system_commands(app.screen) if c.title.startswith("Go to ")]
        assert len(commands) == len(TABS)
        for command in commands:
            name = command.title.removeprefix("Go to ")
            key = command.help.rsplit("(", 1)[1].rstrip(")")
            assert f"{key} {name}" in labels, (command.title, labels)
