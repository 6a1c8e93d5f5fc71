"""Data tab: dataset and preset tables, the preview worker, dataset options and your own data."""

from __future__ import annotations

from pathlib import Path

from fakes import make_app
from helpers import wait_until
from textual.widgets import Input
from textual_plotext import PlotextPlot

from tui_trainer.core.data import list_datasets
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.spec.summary import format_shape
from tui_trainer.ui.app import TrainerApp
from tui_trainer.ui.tabs.data import DataPane
from tui_trainer.ui.widgets.field_form import FieldRow
from tui_trainer.ui.widgets.preview import DatasetPreview, ImageStrip


async def settle(pilot) -> None:
    """Let the preview worker finish and its message be drawn."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def cell(app: TrainerApp, table_id: str, row: str, column: int) -> str:
    table = app.query_one(f"#{table_id}")
    return str(table.get_row(row)[column])


async def pick(pilot, table_id: str, key: str) -> None:
    """Move the cursor of a table to a row and press enter, as a user does."""
    table = pilot.app.query_one(f"#{table_id}")
    table.focus()
    table.move_cursor(row=table.get_row_index(key))
    await pilot.press("enter")
    await settle(pilot)


async def test_renders_then_picks_a_dataset_and_a_preset() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        datasets = app.query_one("#datasets")
        assert datasets.row_count == len(list_datasets())
        assert cell(app, "datasets", "digits28", 0) == "●"
        assert cell(app, "datasets", "digits28", 2) == "image"
        assert cell(app, "datasets", "digits28", 3) == "1x28x28"
        assert cell(app, "datasets", "digits", 6) == "yes"
        assert datasets.cursor_row == datasets.get_row_index("digits28")
        # Presets: parameter count for the chosen dataset; the current one marked.
        assert cell(app, "presets", "lenet5", 0) == "●"
        assert cell(app, "presets", "lenet5", 3) == "44,426"
        assert cell(app, "presets", "lenet5", 4) == "yes"
        # The preview: 8 half-block images (28x28 shown at 14x14) and their labels.
        strip = app.query_one(ImageStrip)
        assert strip.display and len(strip.data.images) == 8
        assert len(strip.data.images[0]) == 14 and len(strip.data.images[0][0]) == 14
        assert "1,438 train" in str(app.query_one("#preview-summary").render())
        assert "▀" in str(strip.render())
        # Picking a dataset and a preset changes the experiment.
        await pick(pilot, "datasets", "moons")
        assert app.experiment.data.name == "moons"
        assert cell(app, "datasets", "moons", 0) == "●"
        # 2-D data: a scatter plot; generated data: n_samples and noise become editable.
        preview = app.query_one(DatasetPreview)
        assert app.query_one(PlotextPlot).display
        assert preview.data is not None and preview.data.kind == "2d"
        assert 0 < len(preview.data.points) <= 600 and set(preview.data.labels) == {0, 1}
        assert app.query_one("#field-noise", FieldRow).display
        assert not app.query_one("#field-data_dir", FieldRow).display
        # LeNet-5 needs images: marked with the reason; the MLP fits.
        assert cell(app, "presets", "lenet5", 4).startswith("no: layer 1 Conv2d: needs")
        assert cell(app, "presets", "lenet5", 3) == "?"
        assert (
            "Does not fit moons: layer 1 Conv2d: needs an image"
            in app.screen.query_one(DataPane).notes["presets", "lenet5"]
        )
        assert cell(app, "presets", "mlp", 4) == "yes"
        await pick(pilot, "presets", "mlp")
        assert app.preset_name == "mlp"
        assert app.experiment.layers == load_preset("mlp").layers
        assert app.experiment.train == load_preset("mlp").train
        assert app.experiment.data.name == "moons"  # the dataset stays
        assert cell(app, "presets", "mlp", 0) == "●"


async def test_tabular_and_missing_torchvision_previews(tmp_path: Path) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pick(pilot, "datasets", "iris")
        text = str(app.query_one("#preview-text").render())
        assert "setosa" in text and "a few rows" in text
        app.set_experiment(app.experiment.with_data(data_dir=str(tmp_path)))
        await pick(pilot, "datasets", "mnist")
        assert app.experiment.data.name == "mnist"
        assert cell(app, "datasets", "mnist", 6) == "no files"
        preview = app.query_one(DatasetPreview)
        text = str(app.query_one("#preview-text").render())
        assert preview.has_class("-error")
        assert "MNIST is not in" in text and "train-images-idx3-ubyte" in text
        assert app.query_one("#field-download", FieldRow).display
        # A DatasetError raised while loading shows its message.
        app.set_experiment(app.experiment.with_data(name="lecture-5x4", noise=5.0))
        await settle(pilot)
        assert "noise for lecture-5x4" in str(app.query_one("#preview-text").render())


async def test_dataset_options_and_own_data(tmp_path: Path) -> None:
    app = make_app(preset="mlp")  # on moons
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        row = app.query_one("#field-n_samples", FieldRow)
        field = row.query_one(Input)
        field.value = "12x"
        await pilot.pause()
        assert row.has_class("-invalid")
        assert "samples (n_samples) must be an integer" in str(row.query_one(".field-error").render())
        assert "data.n_samples" in app.invalid_fields
        assert "samples (n_samples) must be an integer, not '12x'" in app.blockers()
        field.value = "120"
        await settle(pilot)
        assert app.experiment.data.n_samples == 120
        assert "data.n_samples" not in app.invalid_fields
        assert not row.has_class("-invalid")
        assert "120 validation" not in str(app.query_one("#preview-summary").render())
        assert "96 train, 24 validation" in str(app.query_one("#preview-summary").render())
        # Text typed for an option the next dataset does not have cannot block it.
        noise = app.query_one("#field-noise", FieldRow).query_one(Input)
        noise.value = "lots"
        await pilot.pause()
        assert "data.noise" in app.invalid_fields
        app.select_dataset("iris")
        await settle(pilot)
        assert "data.noise" not in app.invalid_fields
        assert app.blockers() == []
        # Your own data: a csv: path that is not there is refused, an existing one picked.
        custom = app.query_one("#custom-dataset", Input)
        custom.focus()
        await pilot.press(*"csv:nowhere.csv", "enter")
        await pilot.pause()
        assert app.experiment.data.name == "iris"
        assert "nowhere.csv is not a file" in str(app.query_one("#custom-error").render())
        assert custom.value == "csv:nowhere.csv"  # kept for fixing
        path = tmp_path / "points.csv"
        rows = ["a,b,label"] + [f"{i % 7},{i % 3},{i % 2}" for i in range(40)]
        path.write_text("\n".join(rows) + "\n")
        custom.value = f"csv:{path}"
        await pilot.press("enter")
        await settle(pilot)
        assert app.experiment.data.name == f"csv:{path}"
        assert str(app.query_one("#custom-error").render()) == ""
        assert app.query_one("#field-label_column", FieldRow).display
        assert cell(app, "presets", "mlp", 4) == "known after the first run"
        assert cell(app, "datasets", f"csv:{path}", 0) == "●"


async def test_own_data_shows_its_shape_and_columns_and_its_label_column_stays_behind(tmp_path: Path) -> None:
    """A csv: row's shape once a run learnt it, the preview headed by the file's columns, and a CSV's
    label column reset when another dataset is chosen."""
    path = tmp_path / "people.csv"
    rows = ["kind,height,weight,age"] + [f"{'ab'[i % 2]},{i % 7},{i % 3},{i % 5}" for i in range(40)]
    path.write_text("\n".join(rows) + "\n")
    name = f"csv:{path}"
    app = make_app(preset="mlp")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.select_dataset(name)
        app.set_experiment(app.experiment.with_data(label_column="kind"))
        await settle(pilot)
        assert cell(app, "datasets", name, 3) == "?"
        text = str(app.query_one("#preview-text").render())
        assert "height" in text and "weight" in text and "age" in text and "x1" not in text
        app.learn_shape(app.experiment, (3,), 2)  # as a run's start does
        await wait_until(pilot, lambda: cell(app, "datasets", name, 3) == format_shape((3,)))
        assert cell(app, "datasets", name, 4) == "2"
        await pick(pilot, "datasets", "iris")
        assert app.experiment.data.name == "iris" and app.experiment.data.label_column == ""


async def test_a_csv_of_two_features_is_scattered_on_its_column_names(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text("\n".join(["width,depth,label"] + [f"{i % 7},{i % 3},{i % 2}" for i in range(40)]) + "\n")
    app = make_app(preset="mlp")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.select_dataset(f"csv:{path}")
        await settle(pilot)
        preview = app.query_one(DatasetPreview)
        assert preview.data is not None and preview.data.kind == "2d"
        assert preview.data.axes == ("width", "depth")
        plot = app.query_one(PlotextPlot)
        assert plot.display
        drawn = str(plot.render())
        assert "width" in drawn and "depth" in drawn


async def test_the_preview_shows_without_scrolling_at_100x30() -> None:
    """At 100x30 the Data tab keeps two columns: each kind of preview lies wholly on screen, unscrolled."""
    app = make_app(preset="mlp")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for name, part in (("moons", "#preview-plot"), ("digits28", "#preview-images"), ("iris", "#preview-text")):
            app.select_dataset(name)
            await settle(pilot)
            preview = app.query_one(DatasetPreview)
            assert preview.data is not None and preview.data.kind != "message", name
            screen = app.screen.region
            for widget in (preview, app.query_one(part)):
                region = widget.region
                assert region.height > 0 and screen.contains_region(region), (name, widget, region)
            assert app.query_one("#data-right").scroll_y == 0
            assert app.query_one("#data-left").region.right <= preview.region.x  # beside the tables
