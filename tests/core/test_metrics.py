"""Classification metrics agree with scikit-learn, including classes never predicted or never present."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from tui_trainer.core.spec.metrics import ClassReport, report_from_confusion
from tui_trainer.core.training.evaluation import classification_report, confusion_counts


@st.composite
def labelled(draw):
    """(n_classes, y_true, y_pred) with skew, so some classes are never predicted or never true."""
    n = draw(st.integers(1, 7))
    size = draw(st.integers(1, 60))
    true_pool = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    pred_pool = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    y_true = draw(st.lists(st.sampled_from(true_pool), min_size=size, max_size=size))
    y_pred = draw(st.lists(st.sampled_from(pred_pool), min_size=size, max_size=size))
    return n, y_true, y_pred


@pytest.mark.filterwarnings("ignore::UserWarning")  # sklearn notes single-label inputs; labels= is given
@settings(max_examples=100, deadline=None)
@given(labelled())
def test_report_matches_sklearn(case):
    n, y_true, y_pred = case
    labels = list(range(n))
    names = tuple(f"class {i}" for i in labels)
    report = classification_report(torch.tensor(y_true), torch.tensor(y_pred), names)

    assert report.class_names == names
    expected_cm = skm.confusion_matrix(y_true, y_pred, labels=labels)
    assert np.array_equal(np.array(report.confusion), expected_cm)
    assert all(type(c) is int for row in report.confusion for c in row)

    p, r, f, s = skm.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    assert report.precision == pytest.approx(p.tolist(), abs=1e-12)
    assert report.recall == pytest.approx(r.tolist(), abs=1e-12)
    assert report.f1 == pytest.approx(f.tolist(), abs=1e-12)
    assert list(report.support) == s.tolist()
    assert report.accuracy == pytest.approx(skm.accuracy_score(y_true, y_pred), abs=1e-12)

    for average, got in (("macro", report.macro), ("weighted", report.weighted)):
        ep, er, ef, _ = skm.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=average, zero_division=0
        )
        assert (got.precision, got.recall, got.f1) == pytest.approx((ep, er, ef), abs=1e-12), average

    # plain values only: JSON-able as is
    json.dumps(report.to_dict())


def test_classes_never_predicted_and_never_present():
    # class 2 is never predicted, class 3 never appears in y_true (but is predicted once)
    y_true = torch.tensor([0, 0, 1, 1, 2, 2])
    y_pred = torch.tensor([0, 1, 1, 1, 0, 3])
    report = classification_report(y_true, y_pred, ("a", "b", "c", "d"))
    assert report.confusion == ((1, 1, 0, 0), (0, 2, 0, 0), (1, 0, 0, 1), (0, 0, 0, 0))
    assert report.support == (2, 2, 2, 0)
    assert report.precision == pytest.approx((0.5, 2 / 3, 0.0, 0.0))
    assert report.recall == pytest.approx((0.5, 1.0, 0.0, 0.0))
    assert report.f1[2] == 0.0 and report.f1[3] == 0.0
    assert report.accuracy == pytest.approx(0.5)
    assert report.macro.recall == pytest.approx((0.5 + 1.0) / 4)
    assert report.weighted.recall == pytest.approx((0.5 * 2 + 1.0 * 2) / 6)


def test_confusion_counts_is_a_tensor_on_the_input_device():
    counts = confusion_counts(torch.tensor([0, 1, 1]), torch.tensor([1, 1, 0]), 3)
    assert counts.dtype == torch.int64 and counts.shape == (3, 3)
    assert counts.tolist() == [[0, 1, 0], [1, 1, 0], [0, 0, 0]]


def test_empty_inputs_give_zeros_not_errors():
    report = report_from_confusion([[0, 0], [0, 0]], ("x", "y"))
    assert report.accuracy == 0.0 and report.support == (0, 0)
    assert (report.macro.f1, report.weighted.f1) == (0.0, 0.0)


def test_most_confused_ordering():
    confusion = [
        [5, 3, 0, 1],
        [3, 7, 4, 0],
        [0, 9, 2, 1],
        [1, 0, 0, 0],
    ]
    report = report_from_confusion(confusion, ("a", "b", "c", "d"))
    # largest count first; ties by true class, then predicted class; the diagonal never counts
    assert report.most_confused(10) == [
        ("c", "b", 9),
        ("b", "c", 4),
        ("a", "b", 3),
        ("b", "a", 3),
        ("a", "d", 1),
        ("c", "d", 1),
        ("d", "a", 1),
    ]
    assert report.most_confused() == report.most_confused(10)[:3]
    assert report.most_confused(1) == [("c", "b", 9)]
    perfect = report_from_confusion([[4, 0], [0, 5]], ("a", "b"))
    assert perfect.most_confused() == []


def test_to_dict_shape():
    report = report_from_confusion([[2, 1], [0, 3]], ("cat", "dog"))
    d = report.to_dict()
    assert d["classes"] == ["cat", "dog"]
    assert d["confusion_matrix"] == [[2, 1], [0, 3]]
    assert d["per_class"][0] == {
        "class": "cat",
        "precision": 1.0,
        "recall": pytest.approx(2 / 3),
        "f1": pytest.approx(0.8),
        "support": 3,
    }
    assert set(d["macro"]) == {"precision", "recall", "f1"} and set(d["weighted"]) == {"precision", "recall", "f1"}
    assert d["accuracy"] == pytest.approx(5 / 6)
    assert isinstance(report, ClassReport)
