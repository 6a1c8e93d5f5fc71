"""Sweeps for real: two workers on one journal file, the best trial retrained, the median pruner stopping a bad
trial, a SIGKILLed worker's trial failed while the study completes, bad input writing nothing."""

from __future__ import annotations

import csv
import json
import os
import signal
import statistics
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.helpers import wait_for
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.sweep.folder import create_folder
from tui_trainer.core.sweep.space import parse_param
from tui_trainer.core.sweep.spec import SweepSpec
from tui_trainer.core.sweep.study import create_study, journal_storage
from tui_trainer.core.sweep.worker import work

CLI = [sys.executable, "-m", "tui_trainer"]
SMALL = ["--dataset", "moons", "--preset", "mlp", "--set", "n_samples=300", "--set", "epochs=3"]


def _journal_study(path: Path) -> optuna.Study:
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path / "journal.log")))
    (name,) = optuna.get_all_study_names(storage)
    return optuna.load_study(study_name=name, storage=storage)


def _has_study(path: Path) -> bool:
    """The sweep's journal holds its study (the file appears a moment before the study is written into it)."""
    if not (path / "journal.log").is_file():
        return False
    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(path / "journal.log")))
    return bool(optuna.get_all_study_names(storage))


def _stop(proc: subprocess.Popen) -> None:
    """A sweep a failed test leaves: SIGTERM stops its workers (in sessions of their own) before it exits."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


def _metrics(run_dir: str) -> list[dict[str, float]]:
    with open(Path(run_dir) / "metrics.csv") as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]


@pytest.mark.process
def test_two_workers_share_one_journal_and_the_best_retrains_the_same(tmp_path):
    sweep = tmp_path / "sw"
    args = [*SMALL, "--param", "lr=1e-3..0.5:log", "--param", "batch_size=16,32,64", "--trials", "8"]
    out = subprocess.run(
        [*CLI, "sweep", *args, "--workers", "2", "--sweep-dir", str(sweep), "--json"],
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    doc = json.loads(lines[-1])
    assert sum(line.startswith("trial ") for line in lines) == 8  # a line per finished trial

    study = _journal_study(sweep)
    trials = study.get_trials()
    assert len(trials) == 8
    assert {t.user_attrs["worker"]["pid"] for t in trials} and len({t.user_attrs["worker"]["pid"] for t in trials}) == 2
    by_number = {t["number"]: t for t in doc["trials"]}
    for t in trials:
        assert t.state in (TrialState.COMPLETE, TrialState.PRUNED)
        epochs = _metrics(t.user_attrs["run_dir"])
        assert len(epochs) == by_number[t.number]["epochs"]
        if t.state == TrialState.COMPLETE:
            # the objective is the best validation accuracy the run directory recorded, recomputed here
            assert t.value == pytest.approx(max(e["val_accuracy"] for e in epochs))
            assert by_number[t.number]["value"] == pytest.approx(t.value)
            assert by_number[t.number]["state"] == "complete"
        else:
            assert by_number[t.number]["state"] == "pruned"
            summary = json.loads((Path(t.user_attrs["run_dir"]) / "summary.json").read_text())
            assert summary["reason"] == f"pruned at epoch {len(epochs)}"
    best = study.best_trial
    assert doc["best"]["number"] == best.number and doc["best"]["value"] == pytest.approx(best.value)
    assert doc["study_name"] == study.study_name and doc["storage"] == str(sweep / "journal.log")

    # the best trial's settings, trained again with `tui-trainer train`, give the same accuracy (CPU determinism)
    retrain = subprocess.run(
        [*CLI, "train", "--config", str(Path(doc["best"]["run_dir"]) / "experiment.toml")]
        + ["--runs-dir", str(tmp_path / "again"), "--json"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert retrain.returncode == 0, retrain.stderr
    again = json.loads(retrain.stdout.strip().splitlines()[-1])
    assert max(e["val_accuracy"] for e in again["epochs"]) == pytest.approx(best.value, abs=1e-12)


def test_the_median_pruner_stops_a_clearly_bad_trial(tmp_path):
    base = load_preset("mlp").with_data(name="moons", n_samples=400).with_train(epochs=4, threads=1)
    spec = SweepSpec(base, (parse_param("lr=1e-6..0.5:log", base),), trials=4, study_name="prune")
    folder = create_folder(tmp_path / "sw", spec)
    storage = journal_storage(folder.journal)
    # three good (equal) trials, then one that cannot learn in 4 epochs
    study = create_study(spec, storage, first=[{"lr": lr} for lr in (0.1, 0.1, 0.1, 1e-6)])
    assert work(folder, storage=storage, seed=0) == 4
    trials = study.get_trials()
    assert [t.state for t in trials[:3]] == [TrialState.COMPLETE] * 3
    bad = trials[3]
    assert bad.state == TrialState.PRUNED
    step = max(bad.intermediate_values)
    assert step < base.train.epochs
    # pruned because its value at that epoch is worse than the median of the earlier trials' values there
    median = statistics.median(t.intermediate_values[step] for t in trials[:3])
    assert bad.intermediate_values[step] < median
    summary = json.loads((Path(bad.user_attrs["run_dir"]) / "summary.json").read_text())
    assert (summary["status"], summary["reason"]) == ("stopped", f"pruned at epoch {step}")
    assert len(_metrics(bad.user_attrs["run_dir"])) == step


@pytest.mark.process
def test_a_sigkilled_worker_leaves_its_trial_failed_and_the_study_completes(tmp_path):
    sweep = tmp_path / "sw"
    args = ["--dataset", "moons", "--preset", "mlp", "--set", "n_samples=2000", "--set", "epochs=60"]
    args += ["--param", "lr=0.01..0.1:log", "--trials", "4", "--pruner", "none", "--workers", "2"]
    proc = subprocess.Popen(
        [*CLI, "sweep", *args, "--sweep-dir", str(sweep), "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        victim: dict = {}

        def running_trial() -> bool:
            if not _has_study(sweep):
                return False
            for t in _journal_study(sweep).get_trials(states=(TrialState.RUNNING,)):
                if "worker" in t.user_attrs and "val_accuracy" not in t.user_attrs:
                    victim.update(number=t.number, pid=t.user_attrs["worker"]["pid"])
                    return True
            return False

        wait_for(running_trial, timeout=900, what="a running trial")
        os.kill(victim["pid"], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=280)
    finally:
        _stop(proc)
    assert proc.returncode == 0, stderr
    study = _journal_study(sweep)
    trials = study.get_trials()
    assert len(trials) == 4
    killed = trials[victim["number"]]
    assert killed.state == TrialState.FAIL
    assert killed.user_attrs["reason"] == "its worker died (killed or lost)"
    others = [t for t in trials if t.number != victim["number"]]
    assert all(t.state == TrialState.COMPLETE for t in others)
    assert all(t.user_attrs["worker"]["pid"] != victim["pid"] for t in others if t.number > victim["number"])
    doc = json.loads(stdout.strip().splitlines()[-1])
    assert [t["state"] for t in doc["trials"]].count("failed") == 1


@pytest.mark.process
@pytest.mark.parametrize(
    "extra",
    [
        ["--param", "nope=1..2"],
        ["--param", "lr=0.2..0.1"],
        ["--param", "lr=1e-3..1e3"],
        ["--param", "batch_size=1..5000", "--sampler", "grid"],
        ["--param", "lr=0.01..0.1", "--storage", "sqlite:////no/such/folder/s.db"],
    ],
)
def test_bad_input_is_one_error_line_and_writes_nothing(tmp_path, extra):
    out = subprocess.run(
        [*CLI, "sweep", *SMALL, *extra, "--sweep-dir", str(tmp_path / "sw")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "sw").exists()


@pytest.mark.process
def test_a_folder_that_is_not_a_sweep(tmp_path):
    for argv in (["sweep-worker", str(tmp_path)], ["sweep", "--resume", "--sweep-dir", str(tmp_path)]):
        out = subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=900)
        assert out.returncode == 2
        assert out.stderr == f"error: {tmp_path} is not a sweep folder: it has no sweep.toml\n"
    assert list(tmp_path.iterdir()) == []


def test_a_grid_sweep_tries_each_point_once(tmp_path):
    base = load_preset("mlp").with_data(name="moons", n_samples=200).with_train(epochs=1, threads=1)
    params = (parse_param("batch_size=16,32", base), parse_param("optimizer=sgd,adam", base))
    spec = SweepSpec(base, params, trials=4, sampler="grid", pruner="none", study_name="grid")
    folder = create_folder(tmp_path / "sw", spec)
    storage = journal_storage(folder.journal)
    study = create_study(spec, storage)
    assert [t.state for t in study.get_trials()] == [TrialState.WAITING] * 4  # each point waits for one worker
    assert work(folder, storage=storage, seed=0) == 4
    points = {(t.params["batch_size"], t.params["optimizer"]) for t in study.get_trials()}
    assert points == {(16, "sgd"), (16, "adam"), (32, "sgd"), (32, "adam")}
    assert all(t.state == TrialState.COMPLETE for t in study.get_trials())


def test_layer_arguments_by_position_reach_the_trained_model(tmp_path):
    from tui_trainer.core.spec.experiment import load

    base = load_preset("mlp").with_data(name="moons", n_samples=200).with_train(epochs=1, threads=1)
    params = (parse_param("layers.2.out_features=4..32:log", base), parse_param("layers.3.type=ReLU,Tanh", base))
    spec = SweepSpec(base, params, trials=2, pruner="none", study_name="layers")
    folder = create_folder(tmp_path / "sw", spec)
    storage = journal_storage(folder.journal)
    study = create_study(spec, storage)
    assert work(folder, storage=storage, seed=0) == 2
    for t in study.get_trials():
        assert t.state == TrialState.COMPLETE
        trained = load(Path(t.user_attrs["run_dir"]) / "experiment.toml")
        assert trained.layers[1].args["out_features"] == t.params["layers.2.out_features"]
        assert trained.layers[2].type == t.params["layers.3.type"]
        assert trained.layers[3:] == base.layers[3:]
        summary = json.loads((Path(t.user_attrs["run_dir"]) / "summary.json").read_text())
        # the model that trained has the width the sampler chose: 2 inputs -> w (Linear), w -> 32, 32 -> 2
        w = t.params["layers.2.out_features"]
        assert summary["params"] == (2 * w + w) + (w * 32 + 32) + (32 * 2 + 2)


def test_a_storage_whose_tables_another_process_is_creating_is_opened_on_a_retry(monkeypatch):
    """Two processes opening a new PostgreSQL study at once race on CREATE TYPE (seen in CI): the loser retries."""
    import optuna.storages

    from tui_trainer.core.sweep import study as study_module

    class IntegrityError(Exception):
        pass

    calls, naps = [], []

    def rdb(url, engine_kwargs=None):
        calls.append(url)
        if len(calls) < 3:
            raise IntegrityError('duplicate key value violates unique constraint "pg_type_typname_nsp_index"')
        return "storage"

    monkeypatch.setattr(optuna.storages, "RDBStorage", rdb)
    monkeypatch.setattr(study_module.time, "sleep", naps.append)
    assert study_module.url_storage("postgresql://u@127.0.0.1/db") == "storage"
    assert len(calls) == 3 and len(naps) == 2
    calls.clear()

    def unreachable(url, engine_kwargs=None):
        calls.append(url)
        raise OSError("connection refused")

    monkeypatch.setattr(optuna.storages, "RDBStorage", unreachable)
    with pytest.raises(study_module.SweepError, match="connection refused"):
        study_module.url_storage("postgresql://u@127.0.0.1/db")
    assert len(calls) == 1  # not a race: said at once
