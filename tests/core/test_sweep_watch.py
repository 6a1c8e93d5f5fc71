"""Watching a sweep from outside: the form's draft checked with the CLI's rules, a study read with importances
recomputed only when another trial completed, best so far, the sweep folders newest first, a background sweep's
command line."""

from __future__ import annotations

import os
from pathlib import Path

import optuna

from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.sweep.background import sweep_command
from tui_trainer.core.sweep.draft import (
    SweepDraft,
    check_draft,
    corner_problems,
    draft_from_spec,
    searchable,
    suggest,
)
from tui_trainer.core.sweep.folder import create_folder, list_folders
from tui_trainer.core.sweep.results import StudyResult, TrialResult
from tui_trainer.core.sweep.space import parse_param
from tui_trainer.core.sweep.spec import SweepSpec
from tui_trainer.core.sweep.study import create_study, journal_storage
from tui_trainer.core.sweep.watch import StudySource, best_so_far, progress_line

MLP = load_preset("mlp").with_data(name="moons")


def test_searchable_fields_are_the_hyperparams_and_the_layers_arguments_and_each_suggestion_is_valid() -> None:
    names = searchable(MLP)
    assert "lr" in names and "device" not in names and "threads" not in names
    assert "layers.2.out_features" in names and "layers.3.type" in names and "layers.1.out_features" not in names
    for name in names:
        draft = SweepDraft(trials="4").with_param(name, suggest(MLP, name))
        assert check_draft(draft, MLP).errors == {}, name


def test_a_draft_reports_each_error_at_its_row_and_makes_the_cli_s_spec() -> None:
    bad = SweepDraft(trials="x", workers="0").with_param("lr", "1..0.1").with_param("layers.9.out_features", "1..4")
    errors = check_draft(bad, MLP).errors
    assert "reversed" in errors["param:lr"] and "layers 1 to 6" in errors["param:layers.9.out_features"]
    assert "whole number" in errors["trials"] and "1 to 64" in errors["workers"]
    assert check_draft(SweepDraft(), MLP).errors == {
        "space": "nothing to search: add a field (its range, or its choices)"
    }
    good = SweepDraft(trials="50", sampler="grid").with_param("batch_size", "16,32").with_param("optimizer", "sgd,adam")
    checked = check_draft(good, MLP)
    assert checked.errors == {} and checked.spec is not None
    assert checked.spec.trials == 4  # a grid of 4 points: at most 4 trials, as the CLI does
    assert [p.text for p in checked.spec.params] == ["batch_size=16,32", "optimizer=sgd,adam"]
    assert draft_from_spec(checked.spec).params == good.params


def test_corner_problems_name_the_end_the_start_checks_refuse() -> None:
    spec = SweepSpec(MLP.with_train(epochs=2), (parse_param("layers.3.type=ReLU,Linear", MLP),))
    problems = corner_problems(spec)
    assert list(problems) == ["param:layers.3.type"] and problems["param:layers.3.type"].startswith(
        "layers.3.type=Linear"
    )
    assert corner_problems(SweepSpec(MLP, (parse_param("lr=1e-3..1e-1:log", MLP),))) == {}


def _study(tmp_path: Path) -> tuple[Path, optuna.Study]:
    spec = SweepSpec(MLP, (parse_param("lr=1e-3..1e-1:log", MLP), parse_param("batch_size=16,32", MLP)), study_name="w")
    folder = create_folder(tmp_path / "w", spec)
    study = create_study(spec, journal_storage(folder.journal))
    return folder.path, study


def test_a_study_read_from_its_folder_computes_importances_only_when_another_trial_completed(tmp_path: Path) -> None:
    path, study = _study(tmp_path)
    source = StudySource(path)
    spec, folder = source.open()
    assert spec.study_name == "w" and folder == str(path)
    assert source.read().trials == () and source.importance_runs == 1
    for i, value in enumerate((0.5, 0.7, 0.9)):
        trial = study.ask()
        trial.suggest_float("lr", 1e-3, 1e-1, log=True)
        trial.suggest_categorical("batch_size", [16, 32])
        trial.report(value / 2, 1)
        study.tell(trial, value)
        result = source.read()
        assert source.importance_runs == i + 2  # a trial completed: computed again
        source.read()
        assert source.importance_runs == i + 2  # nothing completed since: not computed again
    assert set(result.importances) == {"lr", "batch_size"} and result.best is not None and result.best.value == 0.9
    running = study.ask()
    running.set_user_attr("worker", {"host": os.uname().nodename, "pid": 1})
    result = source.read()
    assert source.importance_runs == 4 and result.count("running") == 1


def _result(*pairs: tuple[str, float | None], direction: str = "maximize") -> StudyResult:
    trials = tuple(TrialResult(i, s, {}, v, 1, "") for i, (s, v) in enumerate(pairs))
    return StudyResult("s", direction, trials, {})


def test_best_so_far_follows_the_complete_trials_in_number_order() -> None:
    result = _result(("complete", 0.5), ("pruned", 0.9), ("complete", 0.4), ("complete", 0.8), ("running", None))
    assert best_so_far(result) == ([0, 2, 3], [0.5, 0.5, 0.8])
    losses = _result(("complete", 0.5), ("complete", 0.3), ("complete", 0.4), direction="minimize")
    assert best_so_far(losses) == ([0, 1, 2], [0.5, 0.3, 0.3])
    assert progress_line(result, 10) == "4/10 trials: 1 running, 3 complete, 1 pruned"


def test_sweep_folders_are_listed_newest_first_and_the_background_command_is_the_cli_s(tmp_path: Path) -> None:
    for i, name in enumerate(("b", "a", "c")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "sweep.toml").write_text("")
        os.utime(tmp_path / name / "sweep.toml", (1000 + i, 1000 + i))
    (tmp_path / ".launch").mkdir()
    assert [p.name for p in list_folders(tmp_path)] == ["c", "a", "b"]
    assert list_folders(tmp_path / "missing") == []
    command = sweep_command(Path("x.toml"), Path("sweeps/s"), 2)
    assert command[1:] == [
        "-m",
        "tui_trainer",
        "sweep",
        "--config",
        "x.toml",
        "--sweep-dir",
        "sweeps/s",
        "--workers",
        "2",
    ]
