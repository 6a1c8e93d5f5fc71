"""The training engine: fit() runs one experiment and reports through plain-value events."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui_trainer.core.spec.boundary import INTERVAL_S as BOUNDARY_INTERVAL_S
from tui_trainer.core.spec.boundary import is_plane
from tui_trainer.core.spec.events import (
    BatchEnd,
    EpochEnd,
    LrChanged,
    RunEnded,
    RunPhase,
    RunStarted,
    RunStatus,
    TrainingEvent,
)
from tui_trainer.core.spec.memory import MemoryEstimate, estimate_memory
from tui_trainer.core.spec.summary import summarize
from tui_trainer.core.spec.throttle import Clock, Throttle
from tui_trainer.core.training.devices import resolve_device
from tui_trainer.core.training.evaluation import StopRequested, evaluate
from tui_trainer.core.training.failures import describe_failure
from tui_trainer.core.training.optim import init_weights, make_optimizer, make_schedule
from tui_trainer.core.training.tally import EpochTally

if TYPE_CHECKING:
    import torch
    from torch import nn

    from tui_trainer.core.data.bundle import DataBundle
    from tui_trainer.core.runs.checkpoint import CheckpointState
    from tui_trainer.core.spec.experiment import Experiment, TrainSpec
    from tui_trainer.core.training.batches import TensorBatches
    from tui_trainer.core.training.distributed import Distributed
    from tui_trainer.core.training.speedups import SpeedUps

EventSink = Callable[[TrainingEvent], None]
StopFlag = Callable[[], bool | str]
"""True (or a reason, e.g. "pruned at epoch 3": the stopped run's reason) to stop at the next batch."""
LrRequests = Callable[[], "float | None"]
"""A new learning rate asked for by hand since the last call (None: none): `should_stop.take_lr` when the
run's controls have one (the backends' RunControl and the child's Controls do); checked before every batch."""
CheckpointHook = Callable[["CheckpointState"], None]
"""Called on the training thread after each epoch with the state to save (e.g. RunWriter.checkpoint)."""
InspectHook = Callable[..., Any]
"""Called after each EpochEnd with (model, validation logits, val_x, val_y, epoch); what it returns is sent as
the next event (core.analysis.live.LiveInspector: an Inspection)."""

EMIT_INTERVAL_S = 0.1
"""At most this often a BatchEnd is emitted (and the loss read back from the device)."""


_Stop = StopRequested
"""Raised inside the loop when should_stop() turned true: a normal way out, not an error."""


class _Diverged(Exception):
    """The loss became NaN or infinite."""


def run_speedups(t: TrainSpec) -> bool:
    """Whether the run asks for an opt-in speed-up (mixed precision, channels-last, compile)."""
    return bool(t.mixed_precision or t.channels_last or t.compile)


def _current_lr(optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


@dataclass
class _Run:
    """What one fit() call trains with, and the counters that carry over epochs (and into checkpoints)."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    schedule_when: str
    batches: TensorBatches
    generator: torch.Generator
    device: str
    speed: SpeedUps | None = None
    """The opt-in speed-ups (mixed precision, channels-last, compile); None: the plain step."""
    distributed: Distributed | None = None
    """This process's rank in a torchrun job; None: one process trains alone."""
    train_model: nn.Module | None = None
    """What the training step calls: the model, or in a distributed run its DistributedDataParallel wrapper
    (`model` stays the plain module: evaluation and checkpoints use it)."""
    clock: Clock = time.perf_counter
    """What epoch times and the BatchEnd rate cap count in (tests pass a simulated clock)."""
    step: int = 0
    train_seconds: float = 0.0
    best_val_loss: float = math.inf
    best_val_accuracy: float = -1.0
    stale_epochs: int = 0
    best_weights: dict[str, Any] | None = None
    """A copy of the weights of the best validation epoch so far (restore_best only)."""
    best_epoch: int | None = None
    """The epoch best_weights were copied at."""
    take_lr: LrRequests | None = None
    """Where rates changed by hand come from (None: they cannot be)."""
    hand_lr: float | None = None
    """The rate set by hand during the current epoch (its EpochEnd.lr), None when none was."""


def _setup(
    experiment: Experiment,
    data: DataBundle,
    device: str,
    resume: CheckpointState | None,
    distributed: Distributed | None = None,
) -> _Run:
    """Seed, build and initialise the model, batches, optimizer and schedule; restore a resumed run."""
    import torch

    from tui_trainer.core.training.batches import TensorBatches
    from tui_trainer.core.training.model import build_model

    t = experiment.train
    if t.threads:
        torch.set_num_threads(t.threads)
    torch.manual_seed(t.seed)
    model = build_model(experiment.layers, data.input_shape, data.n_classes)
    init_weights(model, t.init, t.init_std)
    model.to(device)
    generator = torch.Generator().manual_seed(t.seed)
    shard = distributed.shard if distributed is not None else None
    batches = TensorBatches(
        data.train_x.to(device), data.train_y.to(device), t.batch_size, generator=generator, shard=shard
    )
    optimizer = make_optimizer(model.parameters(), t)
    scheduler, schedule_when = make_schedule(optimizer, t, len(batches))
    run = _Run(model, optimizer, scheduler, schedule_when, batches, generator, device, distributed=distributed)
    if resume is not None:
        from tui_trainer.core.training.state import restore

        restore(resume, experiment, model, optimizer, scheduler, generator, device)
        run.step, run.train_seconds, run.stale_epochs = resume.step, resume.train_seconds, resume.stale_epochs
        run.best_val_loss, run.best_val_accuracy = resume.best_val_loss, resume.best_val_accuracy
        if t.restore_best and resume.is_best:  # the weights just loaded are the best so far
            _keep_best(run, resume.epoch)
    if t.mixed_precision or t.channels_last or t.compile:
        from tui_trainer.core.training.speedups import SpeedUps

        run.speed = SpeedUps(model, t, device)
    run.train_model = distributed.wrap(model, device) if distributed is not None else model
    return run


def _train_epoch(
    run: _Run, t: TrainSpec, epoch: int, on_event: EventSink, should_stop: StopFlag
) -> tuple[float, float]:
    """One pass over the training batches; returns (mean loss, accuracy) of the epoch."""
    import torch
    import torch.nn.functional as F

    if run.distributed is not None:
        return _train_epoch_distributed(run, t, epoch, on_event, should_stop)
    model, optimizer, scheduler, batches = run.model, run.optimizer, run.scheduler, run.batches
    per_batch_schedule = run.schedule_when == "batch"
    total_steps = t.epochs * len(batches)
    step = run.step
    clock = run.clock
    epoch_start = clock()
    tally = EpochTally(run.device, len(batches))
    last_emit = epoch_start
    model.train()
    speed = run.speed
    for batch, (xb, yb) in enumerate(batches, start=1):
        if why := should_stop():
            raise _Stop(why if isinstance(why, str) else "")
        if run.take_lr is not None and (new_lr := run.take_lr()) is not None:
            _change_lr(run, new_lr, epoch, batch, step, on_event)
        if speed is None:  # the lecture's step, exactly
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=t.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if t.grad_clip:
                torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
            optimizer.step()
        else:
            with speed.autocast():
                logits = speed.forward(speed.inputs(xb), on_event)
                loss = F.cross_entropy(logits, yb, label_smoothing=t.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            speed.backward_step(loss, optimizer, t.grad_clip)
        if per_batch_schedule and (t.schedule != "onecycle" or step + 1 < total_steps):
            scheduler.step()  # one-cycle stepped past its last step would restart the cycle
        step += 1
        tally.add(loss, logits, yb)
        now = clock()
        if now - last_emit >= EMIT_INTERVAL_S or batch == len(batches):
            samples = tally.window_samples
            mean_loss = tally.read_window()
            if not math.isfinite(mean_loss):
                raise _Diverged(f"the training loss became {mean_loss} at epoch {epoch}, batch {tally.first_bad()}")
            on_event(
                BatchEnd(
                    epoch,
                    batch,
                    len(batches),
                    step,
                    mean_loss,
                    _current_lr(optimizer),
                    samples / max(now - last_emit, 1e-9),
                    run.train_seconds + now - epoch_start,
                )
            )
            last_emit = now
    run.step = step
    return tally.epoch_result()


def _change_lr(run: _Run, lr: float, epoch: int, batch: int, step: int, on_event: EventSink) -> None:
    """Apply a rate changed by hand from this batch on, and say so (an LrChanged event); a rate that is not a
    positive finite number is refused with a note (the UI checks first: core.spec.lr_change.parse_lr)."""
    from tui_trainer.core.spec.lr_change import parse_lr
    from tui_trainer.core.training.optim import set_lr

    try:
        lr = parse_lr(lr)
    except ValueError as exc:
        on_event(RunPhase(f"note: {exc}: the rate stays {_current_lr(run.optimizer):.3g}"))
        return
    old = set_lr(run.optimizer, run.scheduler, lr)
    run.hand_lr = lr
    on_event(LrChanged(epoch, batch, step, old, lr))


def _train_epoch_distributed(
    run: _Run, t: TrainSpec, epoch: int, on_event: EventSink, should_stop: StopFlag
) -> tuple[float, float]:
    """One pass of a distributed run: this rank trains its shard of every global batch through
    DistributedDataParallel; returns (mean loss, accuracy) over every rank's samples.

    Each rank's loss is its shard's summed loss times world_size / the global batch's size, so the averaged
    gradients are those of the global batch's mean loss (exact also for an uneven last batch): the same steps
    as one process with the same batch_size. Every SYNC_EVERY batches and at the epoch's last batch the ranks
    add up the window's loss, a stop asked for on any of them and a loss that is not finite (one all-reduce,
    at the same batch everywhere): they stop or fail together."""
    import torch
    import torch.nn.functional as F

    from tui_trainer.core.training.distributed import SYNC_EVERY

    dist = run.distributed
    assert dist is not None and run.train_model is not None
    model, optimizer, scheduler, batches = run.train_model, run.optimizer, run.scheduler, run.batches
    per_batch_schedule = run.schedule_when == "batch"
    total_steps = t.epochs * len(batches)
    step = run.step
    clock = run.clock
    epoch_start = last_emit = clock()
    totals = torch.zeros(3, dtype=torch.float64, device=run.device)
    """This rank's summed loss, correct predictions and samples in the epoch."""
    window = torch.zeros(4, dtype=torch.float64, device=run.device)
    """Since the last sync: summed loss, samples, a stop asked for, losses that were not finite."""
    model.train()
    for batch, (xb, yb) in enumerate(batches, start=1):
        logits = model(xb)
        loss_sum = F.cross_entropy(logits, yb, label_smoothing=t.label_smoothing, reduction="sum")
        loss = loss_sum * (dist.world_size / batches.global_size(batch - 1))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if t.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
        optimizer.step()
        if per_batch_schedule and (t.schedule != "onecycle" or step + 1 < total_steps):
            scheduler.step()
        step += 1
        detached = loss_sum.detach().double()
        n = yb.shape[0]
        totals += torch.stack([detached, (logits.argmax(1) == yb).sum().double(), detached.new_tensor(n)])
        window += torch.stack(
            [detached, detached.new_tensor(n), detached.new_zeros(()), (~torch.isfinite(detached)).double()]
        )
        if batch % SYNC_EVERY and batch != len(batches):
            continue
        window[2] = float(bool(should_stop()))
        synced = dist.sum(window).tolist()
        window.zero_()
        if synced[3]:
            raise _Diverged(
                f"the training loss became {synced[0] / max(1.0, synced[1])} at epoch {epoch}, batch {batch}"
            )
        if synced[2]:
            raise _Stop
        now = clock()
        on_event(
            BatchEnd(
                epoch,
                batch,
                len(batches),
                step,
                synced[0] / max(1.0, synced[1]),
                _current_lr(optimizer),
                synced[1] / max(now - last_emit, 1e-9),
                run.train_seconds + now - epoch_start,
            )
        )
        last_emit = now
    run.step = step
    loss_total, correct, seen = dist.sum(totals).tolist()
    return loss_total / max(1.0, seen), correct / max(1.0, seen)


def _after_epoch(run: _Run, val_loss: float) -> None:
    """Step an epoch or plateau schedule and count epochs without a better validation loss."""
    if run.schedule_when == "epoch" and run.scheduler is not None:
        run.scheduler.step()
    elif run.schedule_when == "plateau":
        run.scheduler.step(val_loss)
    if val_loss < run.best_val_loss - 1e-12:
        run.best_val_loss, run.stale_epochs = val_loss, 0
    else:
        run.stale_epochs += 1


def _state(run: _Run, experiment: Experiment, data: DataBundle, history: list[EpochEnd]) -> CheckpointState:
    """The run after its latest epoch, for the checkpoint hook (live tensors on the training device)."""
    from tui_trainer.core.runs.checkpoint import CheckpointState
    from tui_trainer.core.training.state import capture_rng

    last = history[-1]
    return CheckpointState(
        experiment=experiment,
        epoch=last.epoch,
        model=run.model.state_dict(),
        optimizer=run.optimizer.state_dict(),
        scheduler=run.scheduler.state_dict() if run.scheduler is not None else None,
        rng=capture_rng(run.generator, run.device),
        step=run.step,
        train_seconds=run.train_seconds,
        best_val_loss=run.best_val_loss,
        best_val_accuracy=run.best_val_accuracy,
        stale_epochs=run.stale_epochs,
        input_shape=tuple(data.input_shape),
        class_names=tuple(data.class_names),
        history=tuple(history),
        is_best=last.is_best,
    )


def fit(
    experiment: Experiment,
    data: DataBundle,
    *,
    on_event: EventSink,
    should_stop: StopFlag,
    checkpoint: CheckpointHook | None = None,
    resume: CheckpointState | None = None,
    device: str | None = None,
    clock: Clock = time.perf_counter,
    boundary_interval: float | None = BOUNDARY_INTERVAL_S,
    distributed: Distributed | None = None,
    inspect: InspectHook | None = None,
) -> RunEnded:
    """Train the experiment's model on the data; every event goes to on_event, the last is RunEnded.

    should_stop is polled before every batch, and so is its take_lr when it has one (LrRequests: a rate
    changed by hand, applied from that batch on and reported as an LrChanged); a missing device or divergence ends in a "failed"
    RunEnded. The experiment must be valid (config.validate) and its layers must fit the data
    (otherwise ModelError): the pipeline's prepare checks both. device: where to train (default:
    resolved from the experiment); clock: what times and the BatchEnd cap count in (simulated in tests);
    boundary_interval: on 2-D data, a BoundaryMap (the predicted class over a grid) follows an epoch's EpochEnd
    at most this often on the clock, and always the last epoch's (None: never). checkpoint, when given, is called on
    this thread after every epoch (after its EpochEnd) with the state to save. resume, a state saved
    that way, continues that run at its next epoch: same weights, optimizer, schedule and random
    streams, so on CPU the result equals an uninterrupted run; RunStarted.start_epoch says where.
    distributed: this process's rank in a torchrun job (its process group joined): it trains its shard of
    every batch through DistributedDataParallel and metrics are summed over the ranks, so every rank sees the
    numbers of one process with the same batch_size; only rank 0 should be given a checkpoint hook.
    inspect, when given, turns each epoch's validation pass into one more event after its EpochEnd (the
    samples the model gets wrong, its filters); if it fails, a RunPhase says so once and training goes on.
    """

    t = experiment.train
    started = clock()
    history: list[EpochEnd] = list(resume.history) if resume is not None else []

    def ended(status: RunStatus, reason: str = "", hint: str = "", **extra) -> RunEnded:
        best = max((e.val_accuracy for e in history), default=None)
        event = RunEnded(
            status,
            reason,
            hint,
            len(history),
            clock() - started,
            best_val_accuracy=best,
            history=tuple(history),
            **extra,
        )
        on_event(event)
        return event

    try:
        device = device or resolve_device(t.device)
    except ValueError as exc:
        return ended(RunStatus.FAILED, str(exc), "choose device auto or cpu")
    if resume is not None:
        from tui_trainer.core.runs.checkpoint import resume_problem

        problem = resume_problem(resume, experiment, data)
        if problem:
            return ended(RunStatus.FAILED, problem, "start a new run to change that")
    if distributed is not None and run_speedups(t):
        return ended(
            RunStatus.FAILED,
            "mixed precision, channels-last and compiling do not work across several processes yet",
            "turn them off for a run with --nproc / torchrun",
        )
    run = _setup(experiment, data, device, resume, distributed)
    run.clock = clock
    run.take_lr = getattr(should_stop, "take_lr", None)
    val_x, val_y = data.val_x.to(device), data.val_y.to(device)
    params = sum(p.numel() for p in run.model.parameters())
    n_test = 0 if data.test_x is None else int(data.test_x.shape[0])
    first_epoch = resume.epoch + 1 if resume is not None else 1
    on_event(
        RunStarted(
            device=device,
            params=params,
            n_train=int(data.train_x.shape[0]),
            n_val=int(val_x.shape[0]),
            n_test=n_test,
            epochs=t.epochs,
            batches_per_epoch=len(run.batches),
            batch_size=t.batch_size,
            class_names=tuple(data.class_names),
            input_shape=tuple(data.input_shape),
            start_epoch=first_epoch,
            speedups=run.speed.description if run.speed is not None else "",
        )
    )
    boundary = _boundary_probe(data, device, boundary_interval, clock)
    n_train = int(data.train_x.shape[0])
    if t.batch_size > n_train:
        on_event(
            RunPhase(
                f"note: batch_size {t.batch_size} is larger than the {n_train} training samples: each epoch is one batch of {n_train}"
            )
        )
    try:
        for epoch in range(first_epoch, t.epochs + 1):
            epoch_start = clock()
            epoch_lr = _current_lr(run.optimizer)
            run.hand_lr = None
            train_loss, train_accuracy = _train_epoch(run, t, epoch, on_event, should_stop)
            epoch_lr = run.hand_lr if run.hand_lr is not None else epoch_lr
            logits: list[torch.Tensor] | None = [] if inspect is not None and distributed is None else None
            if distributed is not None:
                val_loss, report = distributed.evaluate(run.model, val_x, val_y, data.class_names)
            else:
                val_loss, report = evaluate(run.model, val_x, val_y, data.class_names, should_stop, run.speed, logits)
            if not math.isfinite(val_loss):
                raise _Diverged(f"the validation loss became {val_loss} at epoch {epoch}")
            is_best = report.accuracy > run.best_val_accuracy
            run.best_val_accuracy = max(run.best_val_accuracy, report.accuracy)
            seconds = clock() - epoch_start
            run.train_seconds += seconds
            event = EpochEnd(
                epoch=epoch,
                epochs=t.epochs,
                train_loss=train_loss,
                train_accuracy=train_accuracy,
                val_loss=val_loss,
                val_accuracy=report.accuracy,
                lr=epoch_lr,
                seconds=seconds,
                report=report,
                is_best=is_best,
            )
            history.append(event)
            if is_best and t.restore_best:
                _keep_best(run, epoch)
            on_event(event)
            if inspect is not None and logits is not None:
                inspect = _inspect(inspect, run.model, logits, val_x, val_y, epoch, on_event)
            if boundary is not None and (boundary[1].ready() or epoch == t.epochs):
                on_event(boundary[0](run.model, epoch))
            _after_epoch(run, val_loss)
            if checkpoint is not None:
                checkpoint(_state(run, experiment, data, history))
            if t.patience and run.stale_epochs >= t.patience and epoch < t.epochs:
                reason = f"early stopping: val loss did not improve for {t.patience} epochs"
                restore = history if t.restore_best else None
                return _finish(ended, experiment, run, data, should_stop, reason, restore, distributed)
    except _Stop as stop:
        return ended(RunStatus.STOPPED, str(stop) or "stopped by the user")
    except _Diverged as exc:
        return ended(RunStatus.FAILED, str(exc), "lower the learning rate (or clip gradients, or use Adam)")
    except Exception as exc:  # out of memory, or anything else: the run ends "failed" in one line, never a traceback
        return ended(RunStatus.FAILED, *describe_failure(exc, _memory(experiment, data), device))
    restore = history if t.restore_best else None
    return _finish(ended, experiment, run, data, should_stop, f"trained {t.epochs} epochs", restore, distributed)


def _boundary_probe(data: DataBundle, device: str, interval: float | None, clock: Clock):
    """(BoundaryProbe, Throttle) for data in a plane, None otherwise (or with interval None)."""
    if interval is None or not is_plane(data.input_shape):
        return None
    from tui_trainer.core.training.boundary import BoundaryProbe

    probe = BoundaryProbe(data.train_x, data.train_y, data.class_names, device=device, feature_names=data.feature_names)
    return probe, Throttle(interval, clock)


def _memory(experiment: Experiment, data: DataBundle) -> MemoryEstimate:
    """The memory estimate of a run whose model was built (its stack fits the data)."""
    summary = summarize(experiment.layers, data.input_shape, data.n_classes)
    return estimate_memory(summary, experiment.train, data.evaluated_samples)


def _inspect(inspect: InspectHook, model, logits: list, val_x, val_y, epoch: int, on_event: EventSink):  # noqa: ANN001
    """Send the epoch's inspection; the hook to use next epoch (None once it failed: said once, training goes on)."""
    import torch

    try:
        found = inspect(model, torch.cat(logits), val_x, val_y, epoch)
    except Exception as exc:  # noqa: BLE001 - looking inside the model never ends the run
        on_event(
            RunPhase(f"note: the inspection of epoch {epoch} failed ({type(exc).__name__}: {exc}); no more this run")
        )
        return None
    if found is not None:
        on_event(found)
    return inspect


def _keep_best(run: _Run, epoch: int) -> None:
    """Copy the weights of this best epoch (on their device) for restore_best."""
    run.best_weights = {name: value.detach().clone() for name, value in run.model.state_dict().items()}
    run.best_epoch = epoch


def _restore_best(run: _Run, history: list[EpochEnd]) -> int | None:
    """Load the best epoch's weights back into the model (restore_best); the epoch they come from, or None when
    they are not in memory (a resumed run whose best epoch came before the resume: they are in best.pt)."""
    if run.best_weights is None or run.best_epoch is None:
        return None
    if history and run.best_epoch != history[-1].epoch:
        run.model.load_state_dict(run.best_weights)
    return run.best_epoch


def _finish(
    ended,
    experiment: Experiment,
    run: _Run,
    data: DataBundle,
    should_stop: StopFlag,
    reason: str,
    restore: list[EpochEnd] | None,
    distributed: Distributed | None = None,
) -> RunEnded:
    """End a completed run, evaluating the test split when the dataset has one (over the ranks when
    distributed), and a backdoored run's trigger. restore: the run's epochs when it ends with its best epoch's
    weights (restore_best), else None."""
    restored = _restore_best(run, restore) if restore is not None else None
    extra: dict = {"restored_epoch": restored}
    device = run.device
    try:
        if data.val_triggered_x is not None:
            from tui_trainer.core.training.backdoor import backdoor_report

            d = experiment.data
            extra["backdoor"] = backdoor_report(
                run.model, data, d.poison_target, d.poison_fraction, device, should_stop
            )
        if data.test_x is None or data.test_y is None:
            return ended(RunStatus.FINISHED, reason, **extra)
        x, y = data.test_x.to(device), data.test_y.to(device)
        if distributed is not None:
            _, report = distributed.evaluate(run.model, x, y, data.class_names)
        else:
            _, report = evaluate(run.model, x, y, data.class_names, should_stop, run.speed)
    except _Stop:
        return ended(RunStatus.STOPPED, "stopped by the user during the test evaluation")
    return ended(RunStatus.FINISHED, reason, test_accuracy=report.accuracy, test_report=report, **extra)
