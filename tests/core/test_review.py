"""Who decides the label: confident learning on out-of-sample probabilities, the review of a saved run, and a
retrain on the corrected labels (label_overrides)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.helpers import MLP, experiment
from tui_trainer.cli import main
from tui_trainer.core.data import DatasetError, load_dataset
from tui_trainer.core.pipeline.execute import run
from tui_trainer.core.pipeline.request import ReviewRequest, RunRequest
from tui_trainer.core.pipeline.review import review
from tui_trainer.core.runs.review_file import read_review, write_overrides
from tui_trainer.core.spec.experiment import DataSpec
from tui_trainer.core.training.confident import flag_labels, fold_positions


def test_confident_learning_against_a_hand_computation():
    probs = np.array(
        [
            [0.9, 0.1, 0.0],  # labelled 0, believed 0
            [0.7, 0.3, 0.0],  # labelled 0
            [0.1, 0.9, 0.0],  # labelled 0, but class 1 above its threshold: flagged
            [0.2, 0.8, 0.0],  # labelled 1
            [0.6, 0.4, 0.0],  # labelled 1: p(1) = 0.4 < t1, p(0) = 0.6 >= t0 = 0.567: flagged
            [0.0, 0.2, 0.8],  # labelled 2
            [0.3, 0.3, 0.4],  # labelled 2: below t2 = 0.6 but no other class above its threshold: kept
        ]
    )
    labels = np.array([0, 0, 0, 1, 1, 2, 2])
    flags = flag_labels(probs, labels)
    t = [probs[labels == j, j].mean() for j in range(3)]
    assert flags.thresholds == pytest.approx(t)
    assert flags.flagged == (2, 4)  # ranked by p(given): 0.1, then 0.4
    assert flags.suggested == (1, 0)
    assert flags.self_confidence == pytest.approx((0.1, 0.4))


def test_folds_are_disjoint_and_cover_the_training_split():
    parts = fold_positions(103, 5, seed=0)
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(103)) and {len(p) for p in parts} == {20, 21}


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    """A noisy run on digits (a small MLP), reviewed with 3 folds."""
    root = tmp_path_factory.mktemp("runs")
    exp = experiment(MLP, dataset="digits", data={"label_noise": 0.2}, epochs=4, lr=0.1)
    end = run(RunRequest(exp, runs_dir=str(root)), on_event=lambda e: None, should_stop=lambda: False)
    assert end.status == "finished"
    (run_dir,) = root.iterdir()
    result = review(ReviewRequest(str(run_dir), folds=3), on_event=lambda e: None, should_stop=lambda: False)
    return exp, run_dir, result


def test_the_review_flags_labels_and_scores_them_against_the_flips(reviewed):
    exp, run_dir, result = reviewed
    flipped = set(json.loads((run_dir / "label_noise.json").read_text())["flipped"])
    flagged = [f.index for f in result.flagged]
    assert flagged and len(set(flagged)) == len(flagged)
    hits = len(set(flagged) & flipped)
    assert result.n_flipped == len(flipped)
    assert result.precision == pytest.approx(hits / len(flagged))
    assert result.recall == pytest.approx(hits / len(flipped))
    assert result.precision > 0.3  # above the 20 % of flipped labels a random pick scores
    confidences = [f.self_confidence for f in result.flagged]
    assert confidences == sorted(confidences)
    assert read_review(run_dir).as_dict() == result.as_dict()
    assert len(result.flagged[0].image) == 8  # digits drawn as 8x8 grey rows


def test_the_corrected_labels_retrain(reviewed, tmp_path):
    exp, run_dir, result = reviewed
    relabel = {f.index: f.suggested for f in result.flagged[:20]}
    drop = [f.index for f in result.flagged[20:25]]
    path = write_overrides(run_dir, result, relabel, drop)
    noisy = load_dataset(exp.data)
    fixed_spec = DataSpec(**{**vars(exp.data), "label_overrides": str(path)})
    fixed = load_dataset(fixed_spec)
    assert len(fixed.train_y) == len(noisy.train_y) - 5
    keep = [i for i in range(len(noisy.train_y)) if i not in set(drop)]
    expected = noisy.train_y.clone()
    for index, label in relabel.items():
        expected[index] = label
    assert torch.equal(fixed.train_y, expected[keep])
    assert torch.equal(fixed.val_y, noisy.val_y)
    assert fixed.tampering.relabelled == sum(1 for i, v in relabel.items() if noisy.train_y[i] != v)
    # the flips still wrong after the corrections, at their positions after the drop
    truth = dict(zip(noisy.tampering.flipped, noisy.tampering.true_labels, strict=True))
    still = {keep.index(i) for i in truth if i in keep and int(expected[i]) != truth[i]}
    assert set(fixed.tampering.flipped) == still
    retrain = exp.with_data(label_overrides=str(path))
    end = run(RunRequest(retrain, runs_dir=str(tmp_path)), on_event=lambda e: None, should_stop=lambda: False)
    assert end.status == "finished"
    (new_dir,) = tmp_path.iterdir()
    summary = json.loads((new_dir / "summary.json").read_text())
    assert summary["label_overrides"]["dropped"] == 5
    assert summary["label_noise"]["flipped"] == len(still)


def test_overrides_that_do_not_fit_the_data_are_refused(tmp_path):
    path = tmp_path / "o.json"
    path.write_text(json.dumps({"n_train": 5, "relabel": {}, "drop": []}))
    with pytest.raises(DatasetError, match="training split of 5 samples"):
        load_dataset(DataSpec(name="digits", label_overrides=str(path)))
    with pytest.raises(DatasetError, match="cannot read label_overrides"):
        load_dataset(DataSpec(name="digits", label_overrides=str(tmp_path / "missing.json")))


def test_review_bad_input_is_one_error_line(capsys, tmp_path):
    assert main(["review", str(tmp_path)]) == 2
    assert "is not a run directory" in capsys.readouterr().err
    assert main(["review", str(tmp_path), "--folds", "1"]) == 2
    assert "--folds must be 2 to 20, not 1" in capsys.readouterr().err


def test_a_review_runs_where_training_runs(reviewed):
    """The thread backend (the UI tests' and the fallback) reviews through the pipeline's run, as the child does."""
    from tui_trainer.core.backend.thread import ThreadBackend
    from tui_trainer.core.spec.events import RunEnded, RunPhase

    _, run_dir, _ = reviewed
    (run_dir / "review.json").unlink()
    backend = ThreadBackend()
    try:
        handle = backend.start(RunRequest(None, review=ReviewRequest(str(run_dir), folds=2, epochs=1)))
        events = list(handle.events())
    finally:
        backend.close()
    assert any(isinstance(e, RunPhase) and e.message.startswith("review fold 2/2") for e in events)
    end = events[-1]
    assert isinstance(end, RunEnded) and end.status == "finished" and end.reason.startswith("review: ")
    assert read_review(run_dir).folds == 2
