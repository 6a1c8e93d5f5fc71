"""GPU check (issue 5): engine vs limit vs naive for LeNet-5 on MNIST-shaped data, and time to 99 %.

Run on a CUDA machine: `python benchmarks/gpu_check.py [--json]`. Needs only torch and tui_trainer's
core (no Textual). Loops alternate in rounds in one process; figures are medians of samples/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from tui_trainer.core.data import load_dataset
from tui_trainer.core.data.bundle import DataBundle
from tui_trainer.core.spec.events import EpochEnd, RunEnded
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.training.engine import fit
from tui_trainer.core.training.model import build_model

N = 60_000
LENET = load_preset("lenet5")


def sync() -> None:
    """Wait for queued GPU work (timings would measure only the launches otherwise)."""
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def model_and_opt(device: str):
    torch.manual_seed(0)
    model = build_model(LENET.layers, (1, 28, 28), 10).to(device)
    return model, torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def step(model, opt, xb, yb):
    loss = F.cross_entropy(model(xb), yb)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss


def limit(x, y, bs, n_batches, device):
    model, opt = model_and_opt(device)
    batches = [(x[i * bs : (i + 1) * bs], y[i * bs : (i + 1) * bs]) for i in range(n_batches)]
    sync()
    start = time.perf_counter()
    for xb, yb in batches:
        step(model, opt, xb, yb)
    sync()
    return n_batches * bs / (time.perf_counter() - start)


def naive(x_cpu, y_cpu, bs, n_batches, device):
    """The lecture's loop: DataLoader over CPU tensors, .to(device) per batch, .item() every batch."""
    model, opt = model_and_opt(device)
    loader = DataLoader(TensorDataset(x_cpu, y_cpu), batch_size=bs, shuffle=True)
    sync()
    start = time.perf_counter()
    done = 0
    for xb, yb in loader:
        step(model, opt, xb.to(device), yb.to(device)).item()
        done += 1
        if done == n_batches:
            break
    sync()
    return done * bs / (time.perf_counter() - start)


def engine(x_cpu, y_cpu, bs, n_batches, device, **speedups):
    """The engine's samples/s over one epoch; with speed-ups (TrainSpec's mixed_precision,
    channels_last, compile) it trains two and times the second (compiling happens in the first)."""
    n = n_batches * bs
    data = DataBundle("bench", x_cpu[:n], y_cpu[:n], x_cpu[:512], y_cpu[:512], tuple("0123456789"), (1, 28, 28))
    exp = LENET.with_train(
        epochs=2 if speedups else 1,
        batch_size=bs,
        optimizer="sgd",
        lr=0.01,
        momentum=0.9,
        schedule="none",
        device=device,
        **speedups,
    )
    epochs: list[EpochEnd] = []
    fit(exp, data, on_event=lambda e: epochs.append(e) if isinstance(e, EpochEnd) else None, should_stop=lambda: False)
    return n / epochs[-1].seconds


SPEEDUPS = {
    "engine_amp_channels_last": {"mixed_precision": True, "channels_last": True},
    "engine_compile": {"compile": True},
}
"""The opt-in speed-ups, each measured against the plain engine in the same rounds."""


def ratios(device: str, rounds: int) -> dict:
    g = torch.Generator().manual_seed(0)
    x_cpu, y_cpu = torch.randn(N, 1, 28, 28, generator=g), torch.randint(0, 10, (N,), generator=g)
    x, y = x_cpu.to(device), y_cpu.to(device)
    out = {}
    for bs in (64, 512):
        n_batches = min(N // bs, 20_000 // bs * 3)
        for fn in (limit, naive, engine):  # warm-up (cuDNN autotune, allocator)
            fn(x if fn is limit else x_cpu, y if fn is limit else y_cpu, bs, 20, device)
        rates: dict[str, list[float]] = {"limit": [], "naive": [], "engine": [], **{k: [] for k in SPEEDUPS}}
        for _ in range(rounds):
            rates["limit"].append(limit(x, y, bs, n_batches, device))
            rates["naive"].append(naive(x_cpu, y_cpu, bs, n_batches, device))
            rates["engine"].append(engine(x_cpu, y_cpu, bs, n_batches, device))
            for key, options in SPEEDUPS.items():
                rates[key].append(engine(x_cpu, y_cpu, bs, n_batches, device, **options))
        med = {k: statistics.median(v) for k, v in rates.items()}
        out[f"lenet_bs{bs}"] = {
            "samples_per_s": med,
            "engine_vs_limit": med["engine"] / med["limit"],
            "engine_vs_naive": med["engine"] / med["naive"],
            **{f"{key}_vs_engine": med[key] / med["engine"] for key in SPEEDUPS},
        }
    return out


def time_to_99(device: str) -> dict:
    """The lenet5 preset (its own hyperparameters) on 60,000 `shapes` images (1x28x28, 6 classes)."""
    exp = LENET.with_data(name="shapes", n_samples=N + N // 5, val_fraction=1 / 6).with_train(device=device, epochs=15)
    data = load_dataset(exp.data)
    start = time.perf_counter()
    reached: list[float] = []
    end: list[RunEnded] = []

    def on_event(e) -> None:
        if isinstance(e, EpochEnd) and e.val_accuracy >= 0.99 and not reached:
            reached.append(time.perf_counter() - start)
        if isinstance(e, RunEnded):
            end.append(e)

    fit(exp, data, on_event=on_event, should_stop=lambda: bool(reached))
    return {
        "seconds_to_99": reached[0] if reached else None,
        "epochs": end[0].epochs_done,
        "n_train": len(data.train_y),
    }


def main() -> None:
    global N
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--n", type=int, default=60_000, help="samples (smaller for a smoke test)")
    args = parser.parse_args()
    N = args.n
    result = {
        "card": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "torch": torch.__version__,
        **ratios(args.device, args.rounds),
        "lenet5_shapes_to_99": time_to_99(args.device),
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
