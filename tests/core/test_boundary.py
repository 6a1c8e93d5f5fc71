"""The decision boundary of 2-D runs: the grid's classes are the model's predictions there (recomputed with plain
torch from the checkpoint), live maps at a capped rate that the run directory does not keep, and the command."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from tui_trainer.cli import main
from tui_trainer.core.data import load_dataset
from tui_trainer.core.pipeline.execute import run
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.runs import RunError
from tui_trainer.core.spec.boundary import BoundaryMap, boundary_text
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.training.boundary import boundary_of_run
from tui_trainer.core.training.engine import fit


def mlp(dataset: str = "moons", **train):
    options = {"epochs": 3, "threads": 1, "device": "cpu", **train}
    return load_preset("mlp").with_data(name=dataset).with_train(**options)


def trained(tmp_path, experiment) -> tuple[object, list]:
    events: list = []
    end = run(RunRequest(experiment, runs_dir=str(tmp_path)), on_event=events.append, should_stop=lambda: False)
    assert end.status == "finished", end.reason
    return next(tmp_path.iterdir()), events


def plain_torch_classes(run_dir, boundary: BoundaryMap, checkpoint: str = "best.pt") -> list[list[int]]:
    """The predictions at the map's grid points by a hand-built nn.Sequential with the checkpoint's weights."""
    weights = torch.load(run_dir / checkpoint, weights_only=True)["model"]
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(2, 64),
        nn.ReLU(),
        nn.Linear(64, 32),
        nn.ReLU(),
        nn.Linear(32, weights["5.bias"].numel()),
    )
    model.load_state_dict(weights)
    model.eval()
    rows = []
    with torch.no_grad():
        for y in boundary.ys:
            points = torch.tensor([[x, y] for x in boundary.xs])
            rows.append(model(points).argmax(1).tolist())
    return rows


@pytest.mark.parametrize("dataset", ["moons", "spirals"])
def test_the_grid_is_the_models_prediction_at_each_point(tmp_path, dataset):
    run_dir, _ = trained(tmp_path, mlp(dataset))
    boundary = boundary_of_run(run_dir)
    assert [list(row) for row in boundary.classes] == plain_torch_classes(run_dir, boundary)
    assert len(set(c for row in boundary.classes for c in row)) > 1  # a boundary, not one colour
    data = load_dataset(mlp(dataset).data)
    low, high = data.train_x.min(0).values, data.train_x.max(0).values
    assert boundary.xs[0] < low[0] and boundary.xs[-1] > high[0]  # every training point lies on the grid
    assert boundary.ys[-1] < low[1] and boundary.ys[0] > high[1]
    assert boundary.points and all(0 <= label < len(boundary.class_names) for _, _, label in boundary.points)


def test_live_maps_follow_epochs_at_a_capped_rate_and_the_run_directory_keeps_none(tmp_path):
    run_dir, events = trained(tmp_path, mlp(epochs=4))
    maps = [e for e in events if isinstance(e, BoundaryMap)]
    assert [m.epoch for m in maps][-1] == 4  # the last epoch's always comes
    assert "BoundaryMap" not in (run_dir / "events.jsonl").read_text()
    last = boundary_of_run(run_dir, "last.pt")
    assert maps[-1].classes == last.classes and maps[-1].xs == last.xs and maps[-1].ys == last.ys


def count_maps(interval: float | None, epochs: int = 4) -> list[int]:
    exp = mlp(epochs=epochs)
    data = load_dataset(exp.data)
    events: list = []
    ticks = iter(range(10**9))
    fit(
        exp,
        data,
        on_event=events.append,
        should_stop=lambda: False,
        clock=lambda: next(ticks) * 1e-9,  # simulated: far less than a second for the whole run
        boundary_interval=interval,
    )
    return [e.epoch for e in events if isinstance(e, BoundaryMap)]


def test_the_throttle_lets_one_map_through_per_interval_of_the_engines_clock():
    assert count_maps(0.0) == [1, 2, 3, 4]
    assert count_maps(1.0) == [1, 4]  # the first, then none within the interval but the last
    assert count_maps(None) == []


def test_data_off_the_plane_has_no_boundary(tmp_path):
    run_dir, events = trained(tmp_path, mlp("iris", epochs=1))
    assert not [e for e in events if isinstance(e, BoundaryMap)]
    with pytest.raises(RunError, match="needs 2 features"):
        boundary_of_run(run_dir)


def test_the_command_prints_the_map_and_json(tmp_path, capsys):
    run_dir, _ = trained(tmp_path, mlp(epochs=2))
    assert main(["boundary", str(run_dir), "--columns", "30", "--rows", "10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + 10 + 1 and all(len(line) == 30 and set(line) <= {"0", "1"} for line in lines[1:11])
    assert lines[-1].startswith("0 = upper, 1 = lower")
    assert main(["boundary", str(run_dir), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["boundary"]
    boundary = boundary_of_run(run_dir)
    assert doc["x"] == list(boundary.xs) and doc["y"] == list(boundary.ys)
    assert doc["classes"] == plain_torch_classes(run_dir, boundary)
    assert boundary_text(boundary).count("\n") == 24
    assert main(["boundary", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:")


def test_inspect_boundary_adds_the_same_map_and_refuses_runs_off_the_plane(tmp_path, capsys):
    run_dir, _ = trained(tmp_path / "moons", mlp(epochs=2))
    assert main(["inspect", str(run_dir), "--top", "2", "--boundary", "--json"]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out.strip().splitlines()[-1])
    boundary = boundary_of_run(run_dir)
    assert doc["boundary"]["classes"] == plain_torch_classes(run_dir, boundary) and len(doc["samples"]) == 2
    assert boundary_text(boundary) in out
    iris_dir, _ = trained(tmp_path / "iris", mlp("iris", epochs=1))
    assert main(["inspect", str(iris_dir), "--boundary"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "needs 2 features" in err[0]


@pytest.mark.process
def test_the_child_draws_a_saved_runs_boundary(tmp_path):
    from tui_trainer.core.backend.process import ProcessBackend

    run_dir, _ = trained(tmp_path, mlp(epochs=1))
    backend = ProcessBackend(threads=1)
    try:
        there = backend.boundary(str(run_dir))
        missing = backend.boundary(str(tmp_path / "nope"))
    finally:
        backend.close()
    assert there == boundary_of_run(run_dir)
    assert isinstance(missing, str) and "no checkpoint" in missing
