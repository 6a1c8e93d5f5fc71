"""The global trial budget holds however many workers start at once (tickets claimed one by one through the
storage), grows on `sweep --resume --trials N` and never shrinks."""

from __future__ import annotations

import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState

from tests.core.sweep_race import race_claims
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.sweep.folder import create_folder
from tui_trainer.core.sweep.space import parse_param
from tui_trainer.core.sweep.spec import SweepSpec
from tui_trainer.core.sweep.study import create_study, journal_storage
from tui_trainer.core.sweep.worker import claim

CLI = [sys.executable, "-m", "tui_trainer"]


def _spec(trials: int, name: str = "budget") -> SweepSpec:
    base = load_preset("mlp").with_data(name="moons", n_samples=200).with_train(epochs=1, threads=1)
    return SweepSpec(base, (parse_param("lr=0.01..0.1:log", base),), trials=trials, study_name=name)


def test_a_new_study_holds_one_waiting_ticket_per_trial_of_the_budget(tmp_path):
    folder = create_folder(tmp_path / "sw", _spec(5))
    study = create_study(folder.spec, journal_storage(folder.journal))
    assert [t.state for t in study.get_trials()] == [TrialState.WAITING] * 5


def test_workers_starting_together_on_one_journal_run_exactly_the_budget(tmp_path):
    folder = create_folder(tmp_path / "sw", _spec(24))
    create_study(folder.spec, journal_storage(folder.journal))
    ran = race_claims(lambda: journal_storage(folder.journal), "budget", workers=6)
    numbers = sorted(n for r in ran for n in r)
    assert numbers == list(range(24))  # each ticket run once, by one worker, and no trial beyond them
    study = optuna.load_study(study_name="budget", storage=journal_storage(folder.journal))
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 24
    assert claim(study) is None


def test_a_claimed_ticket_is_not_claimed_again(tmp_path):
    folder = create_folder(tmp_path / "sw", _spec(2))
    create_study(folder.spec, journal_storage(folder.journal))
    one = optuna.load_study(study_name="budget", storage=journal_storage(folder.journal))
    two = optuna.load_study(study_name="budget", storage=journal_storage(folder.journal))
    first = claim(one)
    second = claim(two)
    assert first is not None and second is not None and first.number != second.number
    assert claim(one) is None and claim(two) is None  # both tickets are running: nothing left, nothing made
    assert len(one.get_trials()) == 2


@pytest.mark.process
def test_resume_raises_the_budget_to_exactly_the_new_count_and_refuses_to_lower_it(tmp_path):
    sweep = tmp_path / "sw"
    args = ["--dataset", "moons", "--preset", "mlp", "--set", "n_samples=200", "--set", "epochs=1"]
    args += ["--param", "lr=0.01..0.1:log", "--pruner", "none", "--sweep-dir", str(sweep)]
    first = subprocess.run([*CLI, "sweep", *args, "--trials", "2"], capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr
    more = ["--resume", "--sweep-dir", str(sweep)]
    resumed = subprocess.run(
        [*CLI, "sweep", *more, "--trials", "4", "--workers", "2"], capture_output=True, text=True, timeout=900
    )
    assert resumed.returncode == 0, resumed.stderr
    study = optuna.load_study(study_name="sw", storage=journal_storage(sweep / "journal.log"))
    assert sorted(t.number for t in study.get_trials()) == [0, 1, 2, 3]
    assert all(t.state == TrialState.COMPLETE for t in study.get_trials())
    assert "trials: 4 (4 complete, 0 pruned, 0 failed)" in resumed.stdout
    lower = subprocess.run([*CLI, "sweep", *more, "--trials", "3"], capture_output=True, text=True, timeout=900)
    assert (lower.returncode, lower.stderr) == (
        2,
        "error: --trials can only raise a resumed sweep's budget (it is 4)\n",
    )
    assert len(study.get_trials()) == 4
