"""The learning-rate finder's sweep: one batch per rate, rising exponentially, on a model restored afterwards."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui_trainer.core.spec.lr_finding import BETA, DIVERGE, END_LR, START_LR, STEPS, LrFinding, suggest, sweep_rates

if TYPE_CHECKING:
    import torch
    from torch import nn

    from tui_trainer.core.data.bundle import DataBundle
    from tui_trainer.core.spec.experiment import Experiment
    from tui_trainer.core.training.batches import TensorBatches


def sweep(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    batches: TensorBatches,
    *,
    label_smoothing: float = 0.0,
    start: float = START_LR,
    end: float = END_LR,
    steps: int = STEPS,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[list[float], list[float], str]:
    """Train one batch at each rate from start to end (log-spaced), recording the smoothed loss; stop once it
    passes DIVERGE times its best or is not finite. The model's weights and the optimizer's state are put
    back as they were. Returns (rates, smoothed losses, why it stopped early or "")."""
    import torch.nn.functional as F

    saved_model = copy.deepcopy(model.state_dict())
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    was_training = model.training
    lrs, losses = [], []
    stopped, average, best = "", 0.0, math.inf
    model.train()
    try:
        rates = iter(sweep_rates(start, end, steps))
        done = False
        while not done:
            for xb, yb in batches:
                lr = next(rates, None)
                if lr is None:
                    done = True
                    break
                if should_stop():
                    stopped, done = "stopped by the user", True
                    break
                for group in optimizer.param_groups:
                    group["lr"] = lr
                loss = F.cross_entropy(model(xb), yb, label_smoothing=label_smoothing)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                value = float(loss.detach())
                average = BETA * average + (1 - BETA) * value
                smoothed = average / (1 - BETA ** (len(lrs) + 1))
                lrs.append(lr)
                losses.append(smoothed)
                if not math.isfinite(smoothed):
                    stopped, done = f"the loss became {smoothed} at lr {lr:.1e}", True
                    break
                best = min(best, smoothed)
                if smoothed > DIVERGE * best:
                    stopped, done = f"the smoothed loss passed {DIVERGE:g}x its best at lr {lr:.1e}", True
                    break
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_optimizer)
        model.train(was_training)
    return lrs, losses, stopped


def find_lr(
    experiment: Experiment,
    data: DataBundle,
    device: str,
    *,
    rule: str = "valley",
    should_stop: Callable[[], bool] = lambda: False,
) -> LrFinding:
    """The sweep on the experiment's freshly initialised model (as a run starts it: same seed, init,
    optimizer), and the rate its rule suggests."""
    import torch

    from tui_trainer.core.training.batches import TensorBatches
    from tui_trainer.core.training.model import build_model
    from tui_trainer.core.training.optim import init_weights, make_optimizer

    t = experiment.train
    if t.threads:
        torch.set_num_threads(t.threads)
    torch.manual_seed(t.seed)
    model = build_model(experiment.layers, data.input_shape, data.n_classes)
    init_weights(model, t.init, t.init_std)
    model.to(device)
    generator = torch.Generator().manual_seed(t.seed)
    batches = TensorBatches(data.train_x.to(device), data.train_y.to(device), t.batch_size, generator=generator)
    optimizer = make_optimizer(model.parameters(), t)
    lrs, losses, stopped = sweep(model, optimizer, batches, label_smoothing=t.label_smoothing, should_stop=should_stop)
    finding = suggest(lrs, losses, rule)
    return LrFinding(**{**vars(finding), "stopped": stopped})
