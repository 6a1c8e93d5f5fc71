"""User strings reach the screen exactly as typed, never read as Textual markup.

Dataset names, preset names, class names, file names, paths and error texts are the user's: one with
brackets (`folder:imgs[/b]x`, `csv:runs[old]/x.csv`) must neither raise MarkupError nor lose a
bracketed part, in Statics, DataTable cells and notifications alike.
"""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from helpers import shown_messages, wait_until
from textual.geometry import Region
from textual.widgets import DataTable, Input, Static

from tui_trainer.core.backend.thread import ThreadBackend
from tui_trainer.core.runs.writer import RunWriter
from tui_trainer.core.spec.events import EpochEnd, RunEnded, RunPhase, RunStarted, RunStatus
from tui_trainer.core.spec.experiment import save
from tui_trainer.core.spec.metrics import report_from_confusion
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.screens.code_view import CodeView
from tui_trainer.ui.screens.dialogs import AskText, Confirm

FOLDER = "folder:imgs[/b]x"
CSV = "csv:runs[old]/x.csv"
PRESET = "mine[/b]x[old]"
"""The name inside the user's preset file (what the app then calls the preset)."""
PRESET_FILE = "own[old]"
"""That file's stem (what the presets table lists and loads it by)."""
CLASSES = ("cat[/b]", "[old]dog", "bird")
SIZE = (200, 50)


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path (relative dataset paths start there) with the user's presets in a folder with brackets."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    presets = tmp_path / "presets[old]"
    presets.mkdir()
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(presets))
    return presets


def own_preset(presets: Path) -> Path:
    """The user's preset file: the mlp preset under a name with brackets."""
    path = presets / f"{PRESET_FILE}.toml"
    save(dataclasses.replace(load_preset("mlp"), name=PRESET), path)
    return path


def make_csv(tmp_path: Path) -> Path:
    """The file behind CSV: two features, a label column, two classes."""
    folder = tmp_path / "runs[old]"
    folder.mkdir(exist_ok=True)
    path = folder / "x.csv"
    rows = ["a,b,label"] + [f"{i % 7},{i % 3},{i % 2}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def nothing(request, *, on_event, should_stop):
    """A run function for tests that never train."""


def make_app(run=nothing, **kwargs) -> TrainerApp:
    return TrainerApp(backend=ThreadBackend(run=run, devices=("auto", "cpu")), **kwargs)


def static_text(app: TrainerApp, selector: str) -> str:
    """The text a Static shows (its content as rendered, markup applied)."""
    return str(app.screen.query_one(selector, Static).render())


def table_text(app: TrainerApp, selector: str) -> str:
    """The lines a table (a DataTable, the per-class metrics) draws on screen, as text (cells through the table's
    own formatting)."""
    table = app.screen.query_one(selector)
    width, height = table.size
    return "\n".join(strip.text for strip in table.render_lines(Region(0, 0, width, height)))


def toasted(app: TrainerApp, text: str) -> bool:
    return any(text in message for message in shown_messages(app))


async def pick(pilot, table_id: str, key: str) -> None:
    """Move a table's cursor to a row and press enter, as a user does."""
    table = pilot.app.query_one(f"#{table_id}", DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(key))
    await pilot.press("enter")
    await pilot.pause()


async def test_dataset_and_preset_names_on_the_data_model_and_hyperparams_tabs(tmp_path: Path, _here: Path) -> None:
    app = make_app(dataset=FOLDER, preset=str(own_preset(_here)))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: app.query("#data-form"), what="the options form")
        assert static_text(app, "#options-title") == f"Options of {FOLDER}"
        assert static_text(app, "#preview-title") == f"Preview of {FOLDER}"
        await wait_until(pilot, lambda: FOLDER in table_text(app, "#datasets"), what="#datasets drawn")
        await wait_until(pilot, lambda: PRESET_FILE in table_text(app, "#presets"), what="#presets drawn")

        await pilot.press("2")
        await wait_until(pilot, lambda: app.screen.focused is app.query_one("#layers"), what="the Model tab")
        assert static_text(app, "#model-title") == f"Layers of {PRESET} on {FOLDER} (shape not known yet)"
        await wait_until(pilot, lambda: FOLDER in table_text(app, "#layers"), what="#layers drawn")
        assert FOLDER in static_text(app, "#model-problems")
        # Notifications built from the preset's name and its layer types.
        app.query_one("#layers", DataTable).move_cursor(row=1)
        await pilot.press("d")
        await wait_until(pilot, lambda: toasted(app, "Deleted layer 1 (Flatten): u undoes it."))
        await pilot.press("r")
        await wait_until(pilot, lambda: toasted(app, f"Layers reset to the preset {PRESET}: u undoes it."))

        await pilot.press("3")
        await wait_until(pilot, lambda: app.query("#input-optimizer"), what="the hyperparameter form")
        assert f"Hyperparameters (from the preset {PRESET})." in static_text(app, "#hparams-intro")

        # Your own data: a path that does not exist yet is refused in words, with the path as typed.
        await pilot.press("1")
        await pilot.pause()
        field = app.query_one("#custom-dataset", Input)
        field.focus()
        field.value = CSV
        await pilot.press("enter")
        await wait_until(pilot, lambda: "is not a file" in static_text(app, "#custom-error"))
        assert static_text(app, "#custom-error").startswith("runs[old]/x.csv is not a file")
        make_csv(tmp_path)
        field.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.experiment.data.name == CSV)
        await wait_until(pilot, lambda: static_text(app, "#options-title") == f"Options of {CSV}")
        assert static_text(app, "#preview-title") == f"Preview of {CSV}"
        await wait_until(pilot, lambda: CSV in table_text(app, "#datasets"), what="#datasets drawn")

        # Picking a preset row notifies with its name (the table lists only the current one of the own datasets).
        await pick(pilot, "presets", "lenet5")
        await wait_until(pilot, lambda: app.preset_name == "lenet5")
        await pick(pilot, "presets", PRESET_FILE)
        await wait_until(pilot, lambda: toasted(app, f"Preset {PRESET_FILE}: layers and hyperparameters loaded"))
        assert app.preset_name == PRESET
        await pilot.press("2")
        await wait_until(pilot, lambda: static_text(app, "#model-title").startswith(f"Layers of {PRESET} on {CSV}"))


async def test_an_unreadable_preset_says_so_with_its_path(_here: Path) -> None:
    broken = _here / "broken[old].toml"
    broken.write_text("name = [unclosed\n", encoding="utf-8")
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: "broken[old]" in table_text(app, "#presets"))
        await pick(pilot, "presets", "broken[old]")
        await wait_until(pilot, lambda: toasted(app, str(broken)))


def scripted(go: threading.Event):
    """A run that waits for go, starts with bracketed class names, notes a phase and fails with the dataset's name."""

    def run(request, *, on_event, should_stop):
        name = request.experiment.data.name
        go.wait(60)
        on_event(RunStarted("cpu", 123, 30, 10, 0, 2, 3, 16, CLASSES, (2,)))
        on_event(RunPhase(f"torch.compile failed on [{name}]; training without it"))
        report = report_from_confusion([[1, 5, 0], [2, 3, 0], [0, 0, 4]], CLASSES)
        on_event(EpochEnd(1, 2, 1.0, 0.5, 1.1, report.accuracy, 0.01, 0.1, report, is_best=True))
        end = RunEnded(RunStatus.FAILED, f"cannot read {name}: [Errno 2] no such file", "check [the] path")
        on_event(end)
        return end

    return run


async def test_a_run_shows_names_reasons_and_class_names_as_they_are(tmp_path: Path, _here: Path) -> None:
    make_csv(tmp_path)
    go = threading.Event()
    app = make_app(scripted(go), dataset=CSV, preset=str(own_preset(_here)), runs_dir=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: app.runs.running)
        await wait_until(pilot, lambda: static_text(app, "#status") == f"starting run 1: {PRESET} on {CSV}")
        go.set()
        reason = f"failed: cannot read {CSV}: [Errno 2] no such file - try: check [the] path"
        await wait_until(pilot, lambda: static_text(app, "#status") == reason, what="the failure")
        await wait_until(pilot, lambda: toasted(app, f"torch.compile failed on [{CSV}]; training without it"))
        await wait_until(pilot, lambda: "most confused" in static_text(app, "#metrics-summary"))
        assert "[old]dog->cat[/b] (2)" in static_text(app, "#metrics-summary")
        assert "cat[/b]->[old]dog (5)" in static_text(app, "#metrics-summary")
        await wait_until(pilot, lambda: CSV in table_text(app, "RunsTable"), what="the session's runs table")
        await wait_until(pilot, lambda: PRESET in table_text(app, "RunsTable"), what="RunsTable drawn")
        await wait_until(
            pilot, lambda: "[old]" in str(app.query_one("#confusion").render()), what="#confusion drawn"
        )  # the matrix clips class names to 6 characters
        await wait_until(pilot, lambda: "[old]dog" in table_text(app, "#class-metrics"), what="the class table drawn")
        await wait_until(pilot, lambda: "cat[/b]" in table_text(app, "#class-metrics"), what="#class-metrics drawn")


async def test_why_training_cannot_start_names_the_dataset_as_typed(_here: Path) -> None:
    app = make_app(dataset="nope[/b]x", runs_dir=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("s")
        await wait_until(pilot, lambda: "nope[/b]x" in static_text(app, "#blocked"), what="the blocked note")
        await wait_until(pilot, lambda: toasted(app, "nope[/b]x"))


async def test_the_runs_tab_shows_saved_runs_and_their_folder_as_they_are(tmp_path: Path, _here: Path) -> None:
    root = tmp_path / "saved[old]" / "r[/b]uns"
    experiment = dataclasses.replace(load_preset("mlp").with_data(name=CSV), name=PRESET)
    writer = RunWriter.create(root, experiment)
    writer.on_event(RunStarted("cpu", 123, 30, 10, 0, 2, 3, 16, CLASSES, (2,)))
    writer.on_event(RunEnded(RunStatus.STOPPED, "stopped by the user"))
    app = make_app(runs_dir=str(root))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("5")
        await wait_until(pilot, lambda: app.query_one("#runs-list", DataTable).row_count == 1, what="the listing")
        await wait_until(pilot, lambda: static_text(app, "#runs-note") == f"1 runs in {root}, by date")
        # the row is drawn at the next refresh after it is added: wait for the drawing, then read it
        await wait_until(pilot, lambda: CSV in table_text(app, "#runs-list"), what="the row drawn")
        listed = table_text(app, "#runs-list")
        assert CSV in listed and PRESET in listed
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm))
        await pilot.press("y")
        await wait_until(pilot, lambda: toasted(app, f"Deleted {writer.path.name}"))
        await wait_until(pilot, lambda: static_text(app, "#runs-note").startswith(f"No runs in {root} yet"))


async def test_export_and_save_preset_notify_with_the_file_names(tmp_path: Path, _here: Path) -> None:
    app = make_app(runs_dir=None)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("2")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CodeView))
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, AskText))
        app.screen.query_one(Input).value = "gone[/b]x.py"  # in a folder "gone[" that does not exist
        await pilot.press("enter")
        await wait_until(pilot, lambda: toasted(app, "cannot write gone[/b]x.py: No such file or directory"))
        await pilot.press("2")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CodeView))
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, AskText))
        app.screen.query_one(Input).value = "script[old].py"
        await pilot.press("enter")
        await wait_until(pilot, lambda: toasted(app, "wrote script[old].py: run it with python script[old].py"))
        assert (tmp_path / "script[old].py").is_file()
        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, AskText))
        app.screen.query_one(Input).value = "kept"
        await pilot.press("enter")
        await wait_until(pilot, lambda: toasted(app, f"saved {_here / 'kept.toml'}"))
