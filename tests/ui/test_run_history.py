"""What the Train tab keeps of a run: the ETA counts whole epochs (training, evaluation, checkpoints), resumed runs too."""

from __future__ import annotations

from fakes import CLASSES, scripted_report

from tui_trainer.core.spec.events import BatchEnd, EpochEnd, RunStarted
from tui_trainer.core.spec.experiment import Experiment
from tui_trainer.ui.run_history import RunHistory

BATCHES = 4


def started(epochs: int, start_epoch: int = 1) -> RunHistory:
    run = RunHistory(1, Experiment())
    run.add(RunStarted("cpu", 10, 100, 20, 0, epochs, BATCHES, 25, CLASSES, (2,), start_epoch=start_epoch))
    return run


def epoch_end(epoch: int, epochs: int, seconds: float) -> EpochEnd:
    report = scripted_report(epoch)
    return EpochEnd(epoch, epochs, 0.5, 0.8, 0.6, report.accuracy, 0.01, seconds, report)


def batch(epoch: int, batch_no: int, step: int, elapsed: float) -> BatchEnd:
    return BatchEnd(epoch, batch_no, BATCHES, step, 0.5, 0.01, 100.0, elapsed)


def test_the_eta_counts_the_wall_time_of_whole_epochs():
    run = started(epochs=10)
    for epoch, now in [(1, 10.0), (2, 20.0), (3, 30.0)]:  # 10 s an epoch, of which 1 s trains
        run.add(batch(epoch, BATCHES, epoch * BATCHES, elapsed=1.0 * epoch))
        run.add(epoch_end(epoch, 10, seconds=10.0), now=now)
    assert run.eta_seconds(now=30.0) == 70.0  # 7 epochs left at 10 s each, not 7 s of training
    assert run.eta_seconds(now=34.0) == 66.0


def test_after_one_epoch_the_eta_uses_that_epochs_own_time():
    run = started(epochs=10)
    run.add(batch(1, BATCHES, BATCHES, elapsed=1.0))
    run.add(epoch_end(1, 10, seconds=5.0), now=5.0)
    run.add(batch(2, 2, BATCHES + 2, elapsed=1.5))
    assert run.eta_seconds(now=6.0) == (10 - 1.5) * 5.0


def test_a_resumed_run_has_an_eta_before_its_first_epoch():
    run = started(epochs=30, start_epoch=21)
    steps = 20 * BATCHES + 2  # BatchEnd counts the steps and seconds of the whole run, resumed part included
    run.add(batch(21, 2, steps, elapsed=82.0))
    assert run.eta_seconds(now=0.0) == (30 * BATCHES - steps) * 82.0 / steps  # 38 steps at 1 s, not 0:00


def test_raw_batch_losses_are_kept_beside_the_smoothed_ones():
    run = started(epochs=2)
    for step, loss in enumerate([1.0, 3.0, 1.0, 3.0], start=1):
        run.add(BatchEnd(1, step, BATCHES, step, loss, 0.01, 100.0, 0.1 * step))
    assert run.raw_batch_loss.ys == [1.0, 3.0, 1.0, 3.0]
    assert max(run.batch_loss.ys) < 3.0 and min(run.batch_loss.ys[1:]) > 1.0


def test_an_end_says_its_status_once():
    from tui_trainer.core.spec.events import RunEnded, ended_line

    assert RunEnded("stopped", "stopped by the user").headline == "stopped by the user"
    assert ended_line("finished", "trained 3 epochs") == "finished: trained 3 epochs"
    assert ended_line("failed", "") == "failed"
