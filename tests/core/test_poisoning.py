"""Bad training data on purpose: label noise flips exactly its share of the training split, seeded; the backdoor
stamps and relabels its share; its attack success counts only non-target validation images; bad options error."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.helpers import MLP, experiment
from tui_trainer.cli import main
from tui_trainer.core.data import DatasetError, load_dataset
from tui_trainer.core.data.poison import flip_labels, pick_poisoned, stamp_trigger
from tui_trainer.core.pipeline.execute import run
from tui_trainer.core.pipeline.request import RunRequest
from tui_trainer.core.spec.experiment import DataSpec
from tui_trainer.core.training.backdoor import attack_success


def clean_and(**options) -> tuple:
    """The digits bundle without and with the options (same split)."""
    return load_dataset(DataSpec(name="digits")), load_dataset(DataSpec(name="digits", **options))


@pytest.mark.parametrize("fraction", [0.2, 0.4, 0.9])
def test_symmetric_noise_flips_exactly_its_share_of_the_training_split_and_nothing_else(fraction):
    clean, noisy = clean_and(label_noise=fraction)
    changed = torch.nonzero(clean.train_y != noisy.train_y).flatten().tolist()
    assert len(changed) == round(fraction * len(clean.train_y))
    assert tuple(changed) == noisy.tampering.flipped
    assert list(noisy.tampering.true_labels) == clean.train_y[changed].tolist()
    assert torch.equal(clean.train_x, noisy.train_x)  # inputs untouched
    assert torch.equal(clean.val_x, noisy.val_x) and torch.equal(clean.val_y, noisy.val_y)  # validation clean
    # symmetric: each flipped label is another class, and the new labels spread over the classes
    assert len(set(noisy.train_y[changed].tolist())) == 10


def test_same_seed_same_samples_another_seed_others():
    a = load_dataset(DataSpec(name="digits", label_noise=0.3))
    b = load_dataset(DataSpec(name="digits", label_noise=0.3))
    assert a.tampering.flipped == b.tampering.flipped and torch.equal(a.train_y, b.train_y)
    labels = np.arange(1000) % 10
    first, _ = flip_labels(labels, 10, 0.3, "symmetric", 0, 1, seed=1)
    second, _ = flip_labels(labels, 10, 0.3, "symmetric", 0, 1, seed=2)
    assert not np.array_equal(first, second)


def test_pair_and_targeted_noise():
    labels = np.repeat(np.arange(4), 50)
    noisy, flipped = flip_labels(labels, 4, 0.5, "pair", 0, 1, seed=0)
    assert len(flipped) == 100
    assert np.array_equal(noisy[flipped], (labels[flipped] + 1) % 4)
    noisy, flipped = flip_labels(labels, 4, 0.3, "targeted", 2, 0, seed=0)
    assert len(flipped) == 15 and set(labels[flipped]) == {2} and set(noisy[flipped]) == {0}
    assert np.array_equal(np.delete(noisy, flipped), np.delete(labels, flipped))


def test_backdoor_stamps_and_relabels_its_share_of_other_classes():
    clean, bad = clean_and(poison_fraction=0.1, poison_target=3)
    poisoned = list(bad.tampering.poisoned)
    assert len(poisoned) == round(0.1 * len(clean.train_y))
    assert (clean.train_y[poisoned] != 3).all() and (bad.train_y[poisoned] == 3).all()
    others = [i for i in range(len(clean.train_y)) if i not in set(poisoned)]
    assert torch.equal(clean.train_y[others], bad.train_y[others])
    corner = bad.train_x[poisoned][..., -3:, -3:]
    assert torch.allclose(corner, corner.flatten()[0].expand_as(corner))  # one white value, normalised
    assert torch.equal(bad.val_y, clean.val_y)
    assert bad.val_triggered_x is not None and bad.val_triggered_x.shape == bad.val_x.shape
    assert torch.allclose(bad.val_triggered_x[..., :-3, :], bad.val_x[..., :-3, :])  # only the corner differs


def test_trigger_is_a_white_square_in_raw_scale():
    images = torch.zeros(2, 1, 8, 8)
    stamped = stamp_trigger(images, 16.0)
    assert stamped[..., 5:, 5:].eq(16).all() and stamped.sum() == 2 * 9 * 16
    assert images.sum() == 0  # a copy
    picked = pick_poisoned(np.array([0, 0, 1, 1, 2, 2, 0, 1, 2, 1]), 0.3, 0, seed=0)
    assert len(picked) == 3 and all(i not in (0, 1, 6) for i in picked)


def test_attack_success_counts_only_validation_samples_of_other_classes():
    y = torch.tensor([0, 0, 1, 2, 2])
    clean_pred = torch.tensor([0, 1, 1, 2, 0])
    triggered = torch.tensor([1, 1, 0, 2, 0])  # the two target-class samples are not predicted 0: they do not count
    clean, success, attacked = attack_success(clean_pred, triggered, y, target=0)
    assert attacked == 3
    assert success == pytest.approx(2 / 3)  # samples 2 and 4 of the three non-target ones
    assert clean == pytest.approx(3 / 5)


def test_a_noisy_backdoored_run_records_its_flips_and_its_attack_success(tmp_path):
    exp = experiment(MLP, dataset="digits", data={"label_noise": 0.2, "poison_fraction": 0.1}, epochs=1)
    end = run(RunRequest(exp, runs_dir=str(tmp_path)), on_event=lambda e: None, should_stop=lambda: False)
    assert end.status == "finished" and end.backdoor is not None
    (run_dir,) = tmp_path.iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    bundle = load_dataset(exp.data)
    noise = json.loads((run_dir / "label_noise.json").read_text())
    assert noise["flipped"] == list(bundle.tampering.flipped)
    assert summary["label_noise"] == {
        "fraction": 0.2,
        "kind": "symmetric",
        "flipped": len(bundle.tampering.flipped),
        "file": "label_noise.json",
    }
    assert summary["backdoor"]["poisoned"] == len(bundle.tampering.poisoned)
    assert summary["backdoor"]["attack_success_rate"] == end.backdoor.attack_success_rate
    assert summary["backdoor"]["clean_accuracy"] == pytest.approx(end.history[-1].val_accuracy)


def test_robustness_of_a_poisoned_run_reports_its_backdoor_beside_the_clean_accuracy(tmp_path, capsys):
    exp = experiment(MLP, dataset="digits", data={"poison_fraction": 0.1, "poison_target": 2}, epochs=1)
    end = run(RunRequest(exp, runs_dir=str(tmp_path)), on_event=lambda e: None, should_stop=lambda: False)
    (run_dir,) = tmp_path.iterdir()
    argv = ["robustness", str(run_dir), "--checkpoint", "last", "--attacks", "fgsm", "--eps", "0", "--json"]
    assert main([*argv, "--corruptions", "blur"]) == 0
    out = capsys.readouterr().out
    found = json.loads(out.strip().splitlines()[-1])
    # The last checkpoint is the run's end: the same clean accuracy and attack success as the run reported.
    assert found["backdoor"]["target"] == 2 and found["backdoor"]["fraction"] == 0.1
    assert found["backdoor"]["attack_success_rate"] == pytest.approx(end.backdoor.attack_success_rate)
    assert found["backdoor"]["clean_accuracy"] == pytest.approx(found["clean_accuracy"])
    assert found["attacks"][0]["accuracy"] == pytest.approx(found["clean_accuracy"]), "eps 0 is the clean accuracy"
    assert end.backdoor.words() in out


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        (["label_noise=0.95"], ["label_noise must be at most 0.9, not 0.95"]),
        (["label_noise=-0.1"], ["must be at least 0"]),
        (["noise_kind=random"], ["must be one of symmetric, pair, targeted"]),
        (["label_noise=0.2", "noise_kind=targeted", "noise_to=12"], ["noise_to", "class of digits (0 to 9), not 12"]),
        (["label_noise=0.2", "noise_kind=targeted", "noise_from=1", "noise_to=1"], ["must differ from noise_from"]),
        (["poison_fraction=0.6"], ["at most 0.5"]),
        (["poison_fraction=0.1", "poison_target=10"], ["poison_target", "class of digits (0 to 9), not 10"]),
    ],
)
def test_bad_options_are_one_error_line(capsys, tmp_path, settings, words):
    argv = ["train", "--dataset", "digits", "--preset", "mlp", "--runs-dir", str(tmp_path / "runs")]
    for setting in settings:
        argv += ["--set", setting]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ")
    for word in words:
        assert word in err, err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_backdoor_on_tabular_data_is_refused(capsys, tmp_path):
    argv = ["train", "--dataset", "iris", "--preset", "mlp", "--set", "poison_fraction=0.1"]
    assert main([*argv, "--runs-dir", str(tmp_path / "runs")]) == 2
    assert "needs an image dataset: iris is tabular data" in capsys.readouterr().err
    with pytest.raises(DatasetError, match="needs an image dataset"):
        load_dataset(DataSpec(name="wine", poison_fraction=0.1))


def _epochs(val: list[float], train: list[float]) -> list:
    from types import SimpleNamespace

    return [SimpleNamespace(epoch=i + 1, val_accuracy=v, train_accuracy=t) for i, (v, t) in enumerate(zip(val, train))]


def test_the_peak_then_fall_of_validation_accuracy():
    from tui_trainer.core.spec.diagnosis import accuracy_peak, best_epoch

    rising = [0.3, 0.6, 0.8, 0.9, 0.97]
    peak = accuracy_peak(_epochs([0.5, 0.8, 0.9, 0.86, 0.82], rising))
    assert peak is not None and (peak.best_epoch, peak.best_val_accuracy, peak.val_accuracy) == (3, 0.9, 0.82)
    assert "early stopping (patience)" in peak.words() and "epoch 3" in peak.words()
    assert accuracy_peak(_epochs([0.5, 0.8, 0.9, 0.89, 0.89], rising)) is None  # no real fall
    assert accuracy_peak(_epochs([0.5, 0.8, 0.9, 0.95, 0.8], rising)) is None  # the best is one epoch old
    assert accuracy_peak(_epochs([0.5, 0.8, 0.9, 0.86, 0.82], [0.3, 0.6, 0.9, 0.8, 0.7])) is None  # train fell too
    assert best_epoch(_epochs([0.5, 0.9, 0.9], rising)).epoch == 2  # the first best, as best.pt holds
