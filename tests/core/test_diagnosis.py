"""The rules that read a run's epochs: overfitting (held, never flickering) and stuck at chance."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tui_trainer.core.spec.diagnosis import OverfittingWatch, overfitting_at, predicted_shares, stuck_at_chance


@dataclass(frozen=True)
class E:
    epoch: int
    train_loss: float
    val_loss: float


def epochs(val_losses: list[float]) -> list[E]:
    """Epochs whose training loss keeps falling."""
    return [E(i + 1, 1.0 / (i + 1), v) for i, v in enumerate(val_losses)]


def test_a_run_that_keeps_improving_never_overfits():
    assert overfitting_at(epochs([1.0 / n for n in range(1, 50)])) is None


def test_noise_around_the_best_is_not_overfitting():
    assert overfitting_at(epochs([0.5, 0.4, 0.3, 0.31, 0.305, 0.32, 0.31, 0.32])) is None  # under 10 % above


def test_divergence_shows_once_and_stays_while_the_loss_wobbles():
    """The issue's case: a 400-epoch run whose val loss rose from 0.05 to 1.19 with noise on the way."""
    vals = [1.0 / n for n in range(1, 21)] + [0.05 + 0.003 * k * (1 + 0.5 * math.sin(k)) for k in range(380)]
    watch = OverfittingWatch()
    shown = [watch.add(e) is not None for e in epochs(vals)]
    onset = shown.index(True)
    assert all(shown[onset:])  # never off again: no flicker
    sign = watch.sign
    assert sign.best_epoch == 20 and sign.since_epoch == onset + 1 and sign.val_loss > 1.1 * sign.best_val_loss


def test_a_new_best_clears_it():
    watch = OverfittingWatch()
    for e in epochs([0.5, 0.3, 0.4, 0.45, 0.5, 0.55]):
        watch.add(e)
    assert watch.sign is not None
    assert watch.add(E(7, 0.1, 0.2)) is None


def test_a_long_run_needs_the_best_to_be_a_tenth_of_the_run_old():
    vals = [1.0 / n for n in range(1, 101)] + [0.02, 0.02, 0.02, 0.02]  # 4 epochs past the best of a 104-epoch run
    assert overfitting_at(epochs(vals)) is None


def test_stuck_at_chance_names_the_one_class_predicted():
    names = tuple(str(d) for d in range(10))
    confusion = [[0] * 10 for _ in range(10)]
    for t in range(10):
        confusion[t][1] = 36
    words = stuck_at_chance(epochs([2.31, 2.30, 2.302]), predicted_shares(confusion), names)
    assert words is not None and "ln(10) = 2.30" in words and "100% of the samples are predicted '1'" in words


def test_a_learning_run_is_not_stuck():
    names = ("a", "b")
    assert stuck_at_chance(epochs([0.69, 0.6, 0.5]), [0.5, 0.5], names) is None  # loss left ln(2)
    assert stuck_at_chance(epochs([0.69, 0.69, 0.69]), [0.6, 0.4], names) is None  # not one class
    assert stuck_at_chance(epochs([0.69, 0.69]), [1.0, 0.0], names) is None  # too early to say


def test_the_cli_says_each_diagnosis_once(capsys):
    from tui_trainer.cli.report import EventPrinter
    from tui_trainer.core.spec.events import EpochEnd
    from tui_trainer.core.spec.experiment import Experiment
    from tui_trainer.core.spec.metrics import report_from_confusion

    stuck = report_from_confusion([[0, 5], [0, 5]], ("a", "b"))  # everything predicted "b"
    printer = EventPrinter(Experiment(), tty=False)
    for epoch in range(1, 6):
        printer(EpochEnd(epoch, 5, 0.69, 0.5, 0.693, 0.5, 0.1, 1.0, stuck))
    out = capsys.readouterr().out
    assert out.count("note: stuck at chance") == 1 and "predicted 'b'" in out
