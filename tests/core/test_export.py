"""Exported scripts: the same data, model and training as the engine, standalone, and they train."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import MLP
from helpers import experiment as base_experiment

from tui_trainer.cli import main
from tui_trainer.core import export as export_module
from tui_trainer.core.data import load_dataset
from tui_trainer.core.export import ExportError, ExportSource, export_script, load_source
from tui_trainer.core.pipeline.execute import run
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.experiment import DataSpec, Experiment, LayerSpec, dumps
from tui_trainer.core.training.model import build_model

L = LayerSpec
SMALL_CNN = (
    L("Conv2d", {"out_channels": 6, "kernel_size": 3}),
    L("ReLU"),
    L("MaxPool2d", {"kernel_size": 2}),
    L("Flatten"),
    L("Linear", {"out_features": 32}),
    L("ReLU"),
    L("Linear"),
)


def experiment(dataset: str = "moons", layers=MLP, data: dict | None = None, **train) -> Experiment:
    return base_experiment(layers, name="exported", dataset=dataset, data=data, **{"batch_size": 32, **train})


def engine_run(exp: Experiment):
    """The same experiment trained by the pipeline (unsaved): what the script must print."""
    return run(RunRequest(exp, runs_dir=None), on_event=lambda e: None, should_stop=lambda: False)


def script_for(exp: Experiment, tmp_path: Path, name: str = "train.py") -> Path:
    bundle_shape = load_dataset(exp.data)
    source = ExportSource(exp, bundle_shape.input_shape, bundle_shape.n_classes, "a test")
    path = tmp_path / name
    path.write_text(export_script(source, name))
    return path


def import_script(path: Path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same_data(module, spec: DataSpec) -> None:
    train_x, train_y, val_x, val_y, test_x, test_y, classes = module.load_data()
    bundle = load_dataset(spec)
    assert torch.equal(train_x, bundle.train_x) and torch.equal(val_x, bundle.val_x)
    assert torch.equal(train_y, bundle.train_y) and torch.equal(val_y, bundle.val_y)
    assert tuple(classes) == bundle.class_names
    assert (test_x is None) == (bundle.test_x is None)
    if test_x is not None:
        assert torch.equal(test_x, bundle.test_x) and torch.equal(test_y, bundle.test_y)


# ---------------------------------------------------------------- the data


OFFLINE = [
    "digits",
    "digits28",
    "iris",
    "wine",
    "breast-cancer",
    "moons",
    "circles",
    "spirals",
    "xor",
    "blobs",
    "lecture-5x4",
    "shapes",
]


@pytest.mark.parametrize("name", OFFLINE)
def test_exported_data_is_the_engines(tmp_path, name):
    data = (
        {"n_samples": 120, "noise": 0.3, "data_seed": 3} if name in ("shapes", "spirals", "xor") else {"data_seed": 3}
    )
    if name in ("digits", "digits28", "iris", "wine", "breast-cancer"):
        data = {"data_seed": 3, "val_fraction": 0.3}
    exp = experiment(name, data=data)
    assert_same_data(import_script(script_for(exp, tmp_path)), exp.data)


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_exported_user_and_torchvision_data_is_the_engines(tmp_path):
    from PIL import Image

    raw = tmp_path / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 40), ("t10k", 12)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)
    csv_path = tmp_path / "points.csv"
    csv_path.write_text("kind;a;b\n" + "".join(f"{i % 3 * 5};{i * 0.5};{(i * 7) % 11}\n" for i in range(30)))
    for label, count in {"dog": 5, "cat": 4}.items():
        (tmp_path / "pics" / label).mkdir(parents=True)
        for i in range(count):
            Image.fromarray(rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)).save(
                tmp_path / "pics" / label / f"{i}.png"
            )
    cases = [
        experiment("fashion-mnist", data={"data_dir": str(tmp_path / "data")}),
        experiment(f"csv:{csv_path}", data={"label_column": "KIND"}),
        experiment(f"folder:{tmp_path / 'pics'}", data={"image_size": 6, "grayscale": False, "val_fraction": 0.3}),
        experiment(f"folder:{tmp_path / 'pics'}", data={"image_size": 5}),
    ]
    for i, exp in enumerate(cases):
        assert_same_data(import_script(script_for(exp, tmp_path, f"case{i}.py")), exp.data)


def test_an_unsupported_dataset_raises_a_clear_error_in_the_script(tmp_path, monkeypatch):
    monkeypatch.setattr(export_module, "_OWN_SECTIONS", ())
    monkeypatch.setattr(export_module, "_TABLES", {})
    module = import_script(script_for(experiment("iris"), tmp_path))
    with pytest.raises(NotImplementedError, match="loading of dataset 'iris' is not supported yet"):
        module.load_data()


# ---------------------------------------------------------------- the model


def test_the_model_is_written_in_the_lectures_style(tmp_path):
    text = export_script(load_source("lenet5"))
    for line in (
        "nn.Conv2d(1, 6, kernel_size=5),",
        "nn.MaxPool2d(kernel_size=2, stride=2),",
        "nn.Conv2d(6, 16, kernel_size=5),",
        "nn.Linear(16 * 4 * 4, 120),",
        "nn.Linear(120, 84),",
        "nn.Linear(84, 10),",
        "# -> 6x24x24",
        "44,426 parameters",
    ):
        assert line in text, line
    assert "tui_trainer" not in text and "class Step" not in text
    step = dataclasses.replace(load_source("perceptron"), experiment=experiment("blobs", (L("Linear"), L("Step"))))
    assert "class Step(nn.Module):" in export_script(step) and "class Sign" not in export_script(step)


EVERY_LAYER = (
    L("Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}),
    L("BatchNorm"),
    L("LeakyReLU", {"negative_slope": 0.2}),
    L("AvgPool2d", {"kernel_size": 2, "stride": 1}),
    L("GELU"),
    L("MaxPool2d", {"kernel_size": 2}),
    L("Identity"),
    L("Flatten"),
    L("Dropout", {"p": 0.1}),
    L("Linear", {"out_features": 12, "bias": False}),
    L("BatchNorm"),
    L("Sign"),
    L("Tanh"),
    L("Linear", {"out_features": 8}),
    L("Step"),
    L("Sigmoid"),
    L("ReLU"),
    L("Linear"),
)


def test_every_layer_type_builds_the_same_model(tmp_path):
    exp = experiment("digits", layers=EVERY_LAYER)
    module = import_script(script_for(exp, tmp_path))
    exported = module.build_model()
    ours = build_model(exp.layers, (1, 8, 8), 10)
    assert [type(m).__name__ for m in exported] == [type(m).__name__ for m in ours]
    assert [repr(m) for m in exported] == [repr(m) for m in ours]
    exported.load_state_dict(ours.state_dict())  # tui-trainer's checkpoints load into the exported model
    x = torch.randn(5, 1, 8, 8)
    assert torch.equal(exported.eval()(x), ours.eval()(x))
    assert "nn.Linear(4 * 1 * 1, 12, bias=False)" in script_for(exp, tmp_path).read_text()


# ---------------------------------------------------------------- training


def _printed(text: str) -> list[tuple[str, str]]:
    return re.findall(r"val loss (\S+) acc\s+(\S+)", text)


@pytest.mark.parametrize(
    "options",
    [
        {"optimizer": "sgd", "schedule": "cosine", "nesterov": True, "init": "normal", "init_std": 0.1},
        {"optimizer": "adam", "lr": 0.01, "schedule": "onecycle", "label_smoothing": 0.1, "init": "kaiming"},
        {"optimizer": "adamw", "lr": 0.01, "schedule": "step", "step_size": 1, "grad_clip": 0.5, "init": "xavier"},
        {"optimizer": "rmsprop", "lr": 0.001, "schedule": "plateau", "step_size": 0, "weight_decay": 0.01},
        {"optimizer": "sgd", "schedule": "exponential", "gamma": 0.7, "patience": 1, "epochs": 6, "lr": 0.5},
    ],
    ids=lambda o: f"{o['optimizer']}-{o['schedule']}",
)
def test_the_script_trains_exactly_as_the_engine(tmp_path, capsys, options):
    exp = experiment("iris", batch_size=16, **{"epochs": 3, **options})
    if exp.train.step_size == 0:
        exp = exp.with_train(step_size=1)
    module = import_script(script_for(exp, tmp_path))
    module.main()
    printed = capsys.readouterr().out
    end = engine_run(exp)
    assert end.status == "finished", end.reason
    assert _printed(printed) == [(f"{e.val_loss:.4f}", f"{e.val_accuracy:.2%}") for e in end.history]
    assert ("early stopping" in printed) == ("early stopping" in end.reason)


@pytest.mark.parametrize(
    ("dataset", "layers", "options"),
    [
        ("digits", SMALL_CNN, {"channels_last": True}),
        ("digits", SMALL_CNN, {"mixed_precision": True, "channels_last": True, "grad_clip": 1.0}),
        ("iris", MLP, {"mixed_precision": True, "channels_last": True}),  # channels-last: no Conv2d, no effect
    ],
    ids=["cnn-channels-last", "cnn-amp-channels-last-clip", "mlp-amp"],
)
def test_the_script_with_speed_ups_trains_as_the_engine(tmp_path, capsys, dataset, layers, options):
    """Mixed precision and channels-last are written into the script, and it prints the engine's numbers."""
    exp = experiment(dataset, layers=layers, batch_size=16, **options)
    path = script_for(exp, tmp_path)
    text = path.read_text()
    assert ("torch.autocast(" in text) == bool(options.get("mixed_precision"))
    assert ("channels_last" in text) == (layers is SMALL_CNN)
    import_script(path).main()
    end = engine_run(exp)
    assert end.status == "finished", end.reason
    assert _printed(capsys.readouterr().out) == [(f"{e.val_loss:.4f}", f"{e.val_accuracy:.2%}") for e in end.history]


def test_compile_is_written_into_the_script(tmp_path):
    text = script_for(experiment("iris", compile=True), tmp_path).read_text()
    assert "forward = torch.compile(model)" in text and "logits = forward(xb)" in text
    plain = script_for(experiment("iris"), tmp_path, "plain.py").read_text()
    assert "torch.compile" not in plain and "autocast" not in plain and "logits = model(xb)" in plain


@pytest.mark.process
def test_exported_scripts_run_standalone_and_train(tmp_path):
    """`tui-trainer export`, then the scripts run as __main__ in a clean interpreter: moons and 8x8 digits."""
    cases = {
        "moons": experiment("moons", epochs=2),
        "digits": experiment("digits", layers=SMALL_CNN, epochs=2, optimizer="adam", lr=0.01, schedule="cosine"),
    }
    for name, exp in cases.items():
        (tmp_path / f"{name}.toml").write_text(dumps(exp))
        assert main(["export", str(tmp_path / f"{name}.toml"), "-o", str(tmp_path / f"{name}.py")]) == 0
        assert "tui_trainer" not in (tmp_path / f"{name}.py").read_text()
    # one interpreter runs both scripts (as `python moons.py; python digits.py` would): torch loads once
    run_both = "import runpy, sys\nfor path in sys.argv[1:]:\n    runpy.run_path(path, run_name='__main__')"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", run_both, "moons.py", "digits.py"],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    finals = [float(v) / 100 for v in re.findall(r"final validation accuracy (\S+)%", out.stdout)]
    assert len(finals) == 2, out.stdout
    for (name, exp), final in zip(cases.items(), finals, strict=True):
        assert final > (0.5 if name == "moons" else 0.1) + 0.3, out.stdout  # well above chance
        end = engine_run(exp)
        assert abs(final - end.history[-1].val_accuracy) < 0.0001  # the engine's run, to the printed digit


# ---------------------------------------------------------------- the command


def test_export_command(tmp_path, capsys):
    assert main(["export", "mlp", "--set", "epochs=3"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and out.startswith('"""mlp on moons') and "EPOCHS = 3" in out and 'DATASET = "moons"' in out
    assert (
        main(
            [
                "train",
                "--dataset",
                "iris",
                "--preset",
                "mlp",
                "--set",
                "epochs=1",
                "--set",
                "threads=1",
                "--runs-dir",
                str(tmp_path / "runs"),
            ]
        )
        == 0
    )
    (run,) = (tmp_path / "runs").iterdir()
    capsys.readouterr()
    assert main(["export", str(run), "-o", str(tmp_path / "iris.py")]) == 0
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / 'iris.py'}")
    text = (tmp_path / "iris.py").read_text()
    assert f"from run directory {run}" in text and str(run / "best.pt") in text and "nn.Linear(4, 64)" in text

    for argv, words in (
        (["export", str(tmp_path / "none.toml")], "does not exist"),
        (["export", "no-such-preset"], "unknown preset"),
        (["export", "lenet5", "--set", "dataset=iris"], "unknown setting"),
        (["export", "lenet5", "--set", "lr=-1"], "learning rate (lr)"),
        (["export", str(tmp_path)], "experiment.toml"),
        (["export", "mlp", "-o", str(tmp_path / "missing" / "x.py")], "cannot write"),
    ):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and words in err, err
    bad = dataclasses.replace(load_source("lenet5"), input_shape=(4,), n_classes=3)
    with pytest.raises(ExportError, match="layer 1 Conv2d"):
        export_script(bad)
