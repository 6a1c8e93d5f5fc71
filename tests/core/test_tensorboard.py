"""TensorBoard event files: read back with TensorBoard's own reader, they hold the run directory's numbers."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import experiment
from PIL import Image

from tui_trainer.cli import main
from tui_trainer.core.runs import RunWriter
from tui_trainer.core.runs.delete import delete_run
from tui_trainer.core.runs.files import TENSORBOARD_PREFIX
from tui_trainer.core.runs.tensorboard import ENV, TAGS
from tui_trainer.core.spec.experiment import load
from tui_trainer.core.training.engine import fit

pytest.importorskip("tensorboard", reason="the tensorboard extra is not installed")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402


def train(root: Path, data, *, tensorboard: bool | None, epochs: int = 3) -> Path:
    """Train a small run with a RunWriter (TensorBoard as asked); returns its run directory."""
    exp = experiment(epochs=epochs, batch_size=8)
    writer = RunWriter.create(root, exp)
    writer.tensorboard = tensorboard
    fit(exp, data, on_event=writer.wrap(), should_stop=lambda: False, checkpoint=writer.checkpoint)
    return writer.path


def read_back(path: Path) -> EventAccumulator:
    """Every event TensorBoard would show for the run directory (nothing sampled away)."""
    accumulator = EventAccumulator(str(path), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    accumulator.Reload()
    return accumulator


def check_against_files(path: Path) -> None:
    """The events equal metrics.csv (per epoch), events.jsonl (the batches it kept) and summary.json (the
    confusion matrix of the last epoch, the HParams' final metrics)."""
    tb = read_back(path)
    rows = list(csv.DictReader((path / "metrics.csv").open()))
    assert len(rows) == 3
    for field, tag in TAGS.items():
        got = [(e.step, e.value) for e in tb.Scalars(tag)]
        assert [s for s, _ in got] == [int(r["epoch"]) for r in rows]
        np.testing.assert_allclose([v for _, v in got], [float(r[field]) for r in rows], rtol=1e-6)  # float32
    lines = [json.loads(line) for line in (path / "events.jsonl").read_text().splitlines()]
    batches = [(d["step"], d["loss"]) for d in lines if d["type"] == "BatchEnd"]
    got = [(e.step, e.value) for e in tb.Scalars("batch/loss")]
    assert batches and [s for s, _ in got] == [s for s, _ in batches]
    np.testing.assert_allclose([v for _, v in got], [v for _, v in batches], rtol=1e-6)

    summary = json.loads((path / "summary.json").read_text())
    confusion = np.array(summary["val_report"]["confusion_matrix"], dtype=float)
    image = tb.Images("confusion_matrix/val")[-1]
    assert image.step == 3
    pixels = np.asarray(Image.open(io.BytesIO(image.encoded_image_string)).convert("L"), dtype=float)
    cells = pixels[8::16, 8::16]  # the middle of each 16-pixel cell
    expected = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1) * 255
    np.testing.assert_allclose(cells, expected, atol=1.0)
    text = tb.Tensors("confusion_matrix/val/text_summary")[-1].tensor_proto.string_val[0].decode()
    for row in confusion.astype(int):
        assert " | ".join(str(v) for v in row) in text

    content = tb.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    hparams = start.session_start_info.hparams
    settings = load(path / "experiment.toml").train
    assert hparams["lr"].number_value == pytest.approx(settings.lr)
    assert hparams["batch_size"].number_value == settings.batch_size
    assert hparams["status"].string_value == "finished"
    final = float(rows[-1]["val_accuracy"])
    assert tb.Scalars("hparams/val_accuracy")[-1].value == pytest.approx(final, rel=1e-6)
    assert tb.Scalars("hparams/best_val_accuracy")[-1].value == pytest.approx(summary["best_val_accuracy"], rel=1e-6)


def event_files(path: Path) -> list[Path]:
    return sorted(path.glob(TENSORBOARD_PREFIX + "*"))


@pytest.fixture
def data(tiny_bundle):
    return tiny_bundle((4,), 3, n_train=64, n_val=30)


def test_a_run_writes_event_files_with_its_numbers(tmp_path, data):
    path = train(tmp_path / "runs", data, tensorboard=True)
    assert len(event_files(path)) == 1
    check_against_files(path)
    delete_run(path)  # the event files are the run's own: deleting the run takes them along
    assert not path.exists()


def test_off_by_default_and_on_by_the_environment(tmp_path, data, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    assert event_files(train(tmp_path / "off", data, tensorboard=None, epochs=1)) == []
    monkeypatch.setenv(ENV, "1")
    assert len(event_files(train(tmp_path / "on", data, tensorboard=None, epochs=1))) == 1
    assert event_files(train(tmp_path / "no", data, tensorboard=False, epochs=1)) == []


def test_export_tensorboard_converts_an_existing_run(tmp_path, data, capsys):
    path = train(tmp_path / "runs", data, tensorboard=False)
    assert event_files(path) == []
    assert main(["export-tensorboard", str(path)]) == 0
    assert f"wrote {path}" in capsys.readouterr().out
    check_against_files(path)
    assert main(["export-tensorboard", str(path)]) == 0  # again: the earlier file is replaced, not doubled
    assert len(event_files(path)) == 1
    check_against_files(path)


def test_export_tensorboard_refuses_a_folder_that_is_no_run(tmp_path, data, capsys):
    run = train(tmp_path / "runs", data, tensorboard=False, epochs=1)
    (tmp_path / "other").mkdir()
    assert main(["export-tensorboard", str(run), str(tmp_path / "other")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "not a run directory" in err[0]
    assert event_files(run) == []  # nothing written, not even for the good one


@pytest.mark.process
def test_train_tensorboard_on_the_command_line(tmp_path):
    runs = tmp_path / "runs"
    cmd = [sys.executable, "-m", "tui_trainer", "train", "--dataset", "iris", "--set", "epochs=3"]
    subprocess.run(
        [*cmd, "--set", "threads=1", "--runs-dir", str(runs), "--tensorboard"], check=True, capture_output=True
    )
    (path,) = runs.iterdir()
    check_against_files(path)


def test_the_app_option_turns_it_on_for_every_run(monkeypatch):
    """`tui-trainer --tensorboard` (and `serve --tensorboard`) set the variable the run writer reads, which the
    training process and each browser tab's app inherit."""
    from tui_trainer.cli.app import enable_tensorboard
    from tui_trainer.cli.parser import parse_command_line
    from tui_trainer.core.runs.tensorboard import tensorboard_wanted

    monkeypatch.setenv(ENV, "0")  # recorded, so that the test's end restores it (absent, as a rule)
    assert parse_command_line(["--tensorboard"]).tensorboard is True
    assert parse_command_line([]).tensorboard is None
    assert parse_command_line(["serve", "--tensorboard"]).tensorboard is True
    assert not tensorboard_wanted(None)
    enable_tensorboard()
    assert tensorboard_wanted(None) and not tensorboard_wanted(False)
