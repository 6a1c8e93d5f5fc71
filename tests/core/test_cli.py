"""The headless CLI: listings, summary, training with --json, and one clean error line for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tui_trainer.cli import main

FAST = ["--set", "threads=1"]


def runs(tmp_path) -> list[str]:
    """Every `train` in these tests writes its run directory under tmp_path, never into the repo."""
    return ["--runs-dir", str(tmp_path / "runs")]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No user presets from the real home, and a scratch working directory (./data stays empty)."""
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path / "user-presets"))
    monkeypatch.chdir(tmp_path)


def assert_usage_error(capsys, argv, *words):
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err and "Traceback" not in out
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["train", "--dataset", "no-such-set"], ["unknown dataset 'no-such-set'", "moons"]),
        (["summary", "--dataset", "no-such-set"], ["unknown dataset"]),
        (["train", "--dataset", "moons", "--preset", "no-such-preset"], ["unknown preset 'no-such-preset'", "lenet5"]),
        (["train", "--dataset", "moons", "--set", "bogus=1"], ["unknown setting 'bogus'", "lr"]),
        (["train", "--dataset", "moons", "--set", "lr"], ["KEY=VALUE"]),
        (["train", "--dataset", "moons", "--set", "lr=-1"], ["learning rate (lr) must be greater than 0, not -1"]),
        (["train", "--dataset", "moons", "--set", "epochs=0"], ["epochs must be at least 1, not 0"]),
        (["train", "--dataset", "moons", "--set", "lr=fast"], ["learning rate (lr) must be a number, not 'fast'"]),
        (["train", "--dataset", "moons", "--set", "epochs=2.5"], ["epochs must be an integer"]),
        (["train", "--dataset", "moons", "--set", "optimizer=lbfgs"], ["optimizer must be one of sgd"]),
        (["train", "--dataset", "moons", "--set", "device=gpu"], ["device must be auto, cpu"]),
        (["train", "--dataset", "iris", "--preset", "lenet5"], ["lenet5 does not fit iris", "layer 1 Conv2d"]),
        (["summary", "--dataset", "digits", "--preset", "lenet5"], ["layer 4 Conv2d", "kernel 5"]),
        (["train", "--dataset", "moons", "--config", "missing.toml"], ["cannot read missing.toml"]),
        (["train", "--dataset", "moons", "--preset", "missing.toml"], ["missing.toml", "does not exist"]),
        (["train", "--bogus"], ["unrecognized arguments: --bogus"]),
        (["frobnicate"], ["invalid choice"]),
        (["train", "--dataset", "csv:missing.csv"], ["missing.csv"]),
        (["train", "--dataset", "moons", "--set", "n_samples=3"], ["n_samples"]),
    ],
)
def test_bad_input_exits_2_with_one_error_line(capsys, tmp_path, argv, words):
    assert_usage_error(capsys, [*argv, *runs(tmp_path)] if argv[0] == "train" else argv, *words)
    assert not (tmp_path / "runs").exists()  # bad input writes no run directory


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[train\nlr = 1", ["is not valid TOML"]),
        ("[train]\nbogus = 1\n", ["unknown key train.bogus"]),
        ("[train]\nlr = 'x'\n", ["learning rate (lr) must be a number"]),
        ("[model]\nlayers = 5\n", ["model.layers"]),
        ("data = 3\n", ["[data] must be a table"]),
        ('[[model.layers]]\ntype = "Dense"\n', ["unknown layer type"]),
        ('[[model.layers]]\ntype = "Flatten"\n', ["no weights"]),
        (b"name = \xff\xfe", ["not UTF-8"]),
        ("a = " + "[" * 5000, ["not valid TOML"]),
    ],
    ids=lambda v: repr(v)[:24] if isinstance(v, (str, bytes)) else None,
)
def test_bad_config_file(capsys, tmp_path, text, words):
    path = tmp_path / "exp.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert_usage_error(capsys, ["train", "--dataset", "moons", "--config", str(path), *runs(tmp_path)], *words)
    assert_usage_error(capsys, ["summary", "--dataset", "moons", "--config", str(path)])


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without CUDA")
def test_unavailable_device_is_a_usage_error(capsys, tmp_path):
    assert_usage_error(
        capsys, ["train", "--dataset", "moons", "--set", "device=cuda", *runs(tmp_path)], "not available"
    )


def test_presets_lists_every_preset(capsys):
    assert main(["presets"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    for name in ("perceptron", "mlp", "deep-mlp", "lenet5", "cnn-bn", "cifar-cnn"):
        assert any(line.split()[0] == name for line in out.splitlines() if line.strip()), name
    assert "built-in" in out


def test_datasets_lists_every_dataset(capsys):
    from tui_trainer.core.data import list_datasets

    assert main(["datasets"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    for info in list_datasets():
        assert info.name in names
    assert {"digits", "digits28", "iris", "moons", "mnist", "cifar10"} <= set(names)
    assert "csv:PATH" in out


def test_summary_json_lenet5(capsys):
    assert main(["summary", "--dataset", "digits28", "--preset", "lenet5", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["total_params"] == 44426
    assert doc["input_shape"] == [1, 28, 28] and doc["classes"] == 10 and doc["problems"] == []
    assert [layer["output_shape"] for layer in doc["layers"]][:3] == [[6, 24, 24], [6, 24, 24], [6, 12, 12]]
    assert sum(layer["params"] for layer in doc["layers"]) == 44426
    memory = doc["memory"]  # bytes: float32 weights, their gradients, Adam's two moments, the larger pass
    assert (memory["weights"], memory["gradients"], memory["optimizer_state"]) == (4 * 44426, 4 * 44426, 8 * 44426)
    assert memory["total"] == 16 * 44426 + max(memory["activations"], memory["evaluation"])


def test_summary_text(capsys):
    assert main(["summary", "--dataset", "digits28", "--preset", "lenet5"]) == 0
    out, _ = capsys.readouterr()
    assert "lenet5 on digits28" in out
    assert "total parameters: 44,426  (10 classes)" in out
    assert "6x24x24" in out and "in_features=84, out_features=10" in out
    assert out.splitlines()[-1].startswith("memory to train: ~") and "adam state" in out


def test_summary_json_of_a_stack_that_does_not_fit(capsys):
    assert main(["summary", "--dataset", "iris", "--preset", "lenet5", "--json"]) == 2
    out, err = capsys.readouterr()
    doc = json.loads(out.strip().splitlines()[-1])
    assert doc["problems"] and doc["layers"][0]["error"] and doc["memory"] is None
    assert err.count("\n") == 1 and err.startswith("error: ")


TRAIN_KEYS = {
    "status",
    "val_accuracy",
    "test_accuracy",
    "epochs",
    "classes",
    "confusion_matrix",
    "per_class",
    "macro",
    "weighted",
    "params",
    "device",
}
EPOCH_KEYS = {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"}


def test_train_json(capsys, tmp_path):
    status = main(
        ["train", "--dataset", "moons", "--preset", "mlp", "--set", "epochs=2", "--json", *FAST, *runs(tmp_path)]
    )
    out, err = capsys.readouterr()
    assert status == 0, err
    assert "\r" not in out  # not a TTY: plain lines only
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith("training mlp on moons: 800 train / 200 val samples")
    assert lines[1].startswith(f"run directory {tmp_path / 'runs'}")
    assert lines[2].startswith("epoch 1/2") and lines[3].startswith("epoch 2/2")
    assert "finished: trained 2 epochs" in out and "confusion matrix" in out
    doc = json.loads(lines[-1])
    assert TRAIN_KEYS <= set(doc)
    assert doc["status"] == "finished"
    assert [e["epoch"] for e in doc["epochs"]] == [1, 2]
    for e in doc["epochs"]:
        assert set(e) >= EPOCH_KEYS
        assert e["lr"] == 0.05 and 0 <= e["val_accuracy"] <= 1 and e["train_loss"] > 0
    assert doc["val_accuracy"] == doc["epochs"][-1]["val_accuracy"]
    assert doc["val_accuracy"] > 0.7  # moons is easy
    assert doc["test_accuracy"] is None  # moons has no test split
    assert doc["classes"] and len(doc["confusion_matrix"]) == len(doc["classes"]) == len(doc["per_class"])
    assert sum(map(sum, doc["confusion_matrix"])) == 200
    assert sum(c["support"] for c in doc["per_class"]) == 200
    assert set(doc["macro"]) == set(doc["weighted"]) == {"precision", "recall", "f1"}
    assert doc["params"] == 2 * 64 + 64 + 64 * 32 + 32 + 32 * 2 + 2
    from tui_trainer.core.training.devices import resolve_device

    assert doc["device"] == resolve_device("auto")  # the presets train on device auto


def test_train_settings_and_config_override_the_preset(capsys, tmp_path):
    config = tmp_path / "exp.toml"
    config.write_text("[train]\nlr = 0.02\nepochs = 1\n", encoding="utf-8")
    argv = [
        "train",
        "--dataset",
        "iris",
        "--preset",
        "mlp",
        "--config",
        str(config),
        "--set",
        "train.batch_size=50",
        "--set",
        "data.val_fraction=0.4",
        "--json",
        *FAST,
        *runs(tmp_path),
    ]
    assert main(argv) == 0
    out, _ = capsys.readouterr()
    doc = json.loads(out.splitlines()[-1])
    assert [e["lr"] for e in doc["epochs"]] == [0.02]
    assert sum(c["support"] for c in doc["per_class"]) == 60  # 40% of iris' 150 flowers
    assert "90 train / 60 val samples" in out
    assert doc["classes"] == ["setosa", "versicolor", "virginica"]


def test_train_nan_run_exits_1_with_the_reason(capsys, tmp_path):
    argv = [
        "train",
        "--dataset",
        "moons",
        "--preset",
        "mlp",
        "--json",
        "--set",
        "epochs=2",
        "--set",
        "lr=100",
        "--set",
        "momentum=0",
        "--set",
        "weight_decay=1",
        *FAST,
        *runs(tmp_path),
    ]
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "nan" in lines[0] or "inf" in lines[0]
    assert "learning rate" in lines[0]
    doc = json.loads(out.splitlines()[-1])
    assert doc["status"] == "failed" and ("nan" in doc["reason"] or "inf" in doc["reason"])


@pytest.mark.process
def test_entry_point_in_a_subprocess(tmp_path):
    env = {**os.environ, "TUI_TRAINER_PRESETS": os.devnull}
    ok = subprocess.run(
        [sys.executable, "-m", "tui_trainer", "summary", "--dataset", "digits28", "--preset", "lenet5", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout.strip().splitlines()[-1])["total_params"] == 44426
    bad = subprocess.run(
        [sys.executable, "-m", "tui_trainer", "train", "--dataset", "moons", "--set", "lr=-1", *runs(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == ["error: learning rate (lr) must be greater than 0, not -1"]
    assert bad.stdout == ""


@pytest.fixture
def opened(monkeypatch) -> list[dict]:
    """open_app replaced: what each call was given (no app starts)."""
    import tui_trainer.ui.launch as launch

    calls: list[dict] = []
    monkeypatch.setattr(launch, "open_app", lambda **options: calls.append(options) or 0)
    return calls


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        ([], {"dataset": None, "preset": None, "runs_dir": "runs", "train_in": None, "config": None, "settings": []}),
        (
            ["--runs-dir", "elsewhere"],
            {
                "dataset": None,
                "preset": None,
                "runs_dir": "elsewhere",
                "train_in": None,
                "config": None,
                "settings": [],
            },
        ),
        (
            ["--dataset", "moons"],
            {"dataset": "moons", "preset": None, "runs_dir": "runs", "train_in": None, "config": None, "settings": []},
        ),
        (
            ["--dataset", "moons", "--preset", "mlp", "--runs-dir", "r", "--train-in", "thread"],
            {
                "dataset": "moons",
                "preset": "mlp",
                "runs_dir": "r",
                "train_in": "thread",
                "config": None,
                "settings": [],
            },
        ),
        (
            ["--dataset", "moons", "--set", "epochs=200", "--config", "e.toml"],
            {
                "dataset": "moons",
                "preset": None,
                "runs_dir": "runs",
                "train_in": None,
                "config": "e.toml",
                "settings": ["epochs=200"],
            },
        ),
        (
            ["app", "--dataset", "iris", "--runs-dir", "r"],
            {"dataset": "iris", "preset": None, "runs_dir": "r", "train_in": None, "config": None, "settings": []},
        ),
    ],
)
def test_the_bare_command_is_the_app_with_its_options(opened, argv, options):
    assert main(argv) == 0
    assert opened == [options]


def test_app_options_before_another_command_are_refused(opened, capsys, tmp_path):
    line = assert_usage_error(capsys, ["--runs-dir", "x", "train", "--dataset", "moons"], "--runs-dir")
    assert line == "error: --runs-dir goes after the command: tui-trainer train --runs-dir ..."
    assert_usage_error(capsys, ["--train-in", "fork"], "invalid choice: 'fork'")
    assert opened == [] and not (tmp_path / "x").exists()


def test_help_names_the_app_options_and_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert out.startswith("usage: tui-trainer [--dataset NAME] [--preset NAME] [--config FILE] [--set KEY=VALUE]...")
    assert "tui-trainer COMMAND [options]" in out
    for words in (
        "--runs-dir DIR",
        "--set KEY=VALUE",
        "--train-in {process,thread}",
        "train ",
        "watch ",
        "runs ",
        "COMMAND --help",
    ):
        assert words in out, words
    assert "BARE" not in out
