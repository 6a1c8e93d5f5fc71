"""The edited experiment as files: the PyTorch script (c, then w) and a user preset (w on Model)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fakes import make_app
from helpers import message_texts, wait_until
from textual.widgets import Input

from tui_trainer.core.spec.presets import list_presets, load_preset
from tui_trainer.ui.screens.code_view import CodeView
from tui_trainer.ui.screens.dialogs import AskText


@pytest.fixture(autouse=True)
def _own_presets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "presets"
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


async def test_code_view_shows_and_writes_the_script(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.set_experiment(app.experiment.with_train(lr=0.0123))
        await pilot.press("2")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CodeView))
        assert isinstance(app.screen, CodeView)
        code = app.screen.code
        ast.parse(code)
        assert "nn.Linear(16 * 4 * 4, 120)" in code or "nn.Linear(256, 120)" in code
        assert "0.0123" in code
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, AskText) and app.screen.query(Input))
        field = app.screen.query_one(Input)
        field.value = "mine.py"
        await pilot.press("enter")
        await wait_until(pilot, lambda: (tmp_path / "mine.py").exists())
        await wait_until(pilot, lambda: any(m.startswith("wrote mine.py") for m in message_texts(app)))
    assert (tmp_path / "mine.py").read_text() == code


async def test_save_as_preset_appears_beside_the_built_ins(_own_presets: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        app.set_experiment(app.experiment.with_train(epochs=3))
        await pilot.press("2")
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, AskText) and app.screen.query(Input))
        app.screen.query_one(Input).value = "lenet-short"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.preset_name == "lenet-short")
        assert app.preset_name == "lenet-short"
    assert (_own_presets / "lenet-short.toml").exists()
    assert "lenet-short" in [p.name for p in list_presets()]
    assert load_preset("lenet-short").train.epochs == 3
