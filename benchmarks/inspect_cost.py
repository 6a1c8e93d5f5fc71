"""What the inspection costs training: epochs with RunRequest.inspect on and off, interleaved, as a throughput ratio.

The inspection (per-sample losses and probabilities from the validation pass, the wrong samples' images,
the first convolution's filters and one sample's feature maps, pickled as the child sends it to the app)
runs where training runs, after each epoch. This times whole epochs (training, validation, inspection) of
the same run with inspect on and off, alternating run by run in one process (separate runs on a shared
machine differ by far more than the cost), and prints the ratio of their samples per second: 1.00 costs
nothing, 0.95 is the issue's limit. The view itself redraws in the app's process, once per new inspection.

    python benchmarks/inspect_cost.py [--rounds 5] [--epochs 2] [--json]
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CONFIGS = {
    # name: (layers, input shape, training samples, validation samples, batch size)
    "lenet_digits28": ("lenet", (1, 28, 28), 1_437, 360, 32),
    "lenet_mnist": ("lenet", (1, 28, 28), 12_000, 3_000, 64),
    "mlp_mnist": ("mlp", (1, 28, 28), 12_000, 3_000, 64),
}


def bundle(shape: tuple[int, ...], n_train: int, n_val: int):
    """Generated MNIST-shaped tensors with learnable labels (benchmarks/_loops.make_bundle's recipe)."""
    import torch

    from tui_trainer.core.data.bundle import DataBundle

    g = torch.Generator().manual_seed(0)
    x = torch.randn(n_train + n_val, *shape, generator=g)
    projection = torch.randn(x[0].numel(), 10, generator=g)
    y = (x.flatten(1) @ projection).argmax(1)
    return DataBundle(
        "generated", x[:n_train], y[:n_train], x[n_train:], y[n_train:], tuple(map(str, range(10))), tuple(shape)
    )


def one_run(layers_name: str, data, batch: int, epochs: int, inspect: bool, threads: int) -> float:
    """Samples per second of one run's epochs (epoch wall time: training, validation and the inspection)."""
    from _loops import layers

    from tui_trainer.core.pipeline.execute import run
    from tui_trainer.core.pipeline.request import RunRequest
    from tui_trainer.core.spec.events import EpochEnd
    from tui_trainer.core.spec.experiment import DataSpec, Experiment, TrainSpec

    train = TrainSpec(batch_size=batch, epochs=epochs, lr=0.01, device="cpu", threads=threads)
    experiment = Experiment(name="bench", data=DataSpec(name="digits28"), layers=layers(layers_name), train=train)
    stamps: list[float] = []
    sent = [0]

    def on_event(event) -> None:
        if type(event).__name__ == "Inspection":
            sent[0] += len(pickle.dumps(event))  # what the child does before sending it over the pipe
        if isinstance(event, EpochEnd) or type(event).__name__ == "RunStarted":
            stamps.append(time.perf_counter())

    run(RunRequest(experiment, runs_dir=None, inspect=inspect), on_event=on_event, should_stop=lambda: False, data=data)
    end = time.perf_counter()
    # the epoch's time runs from one EpochEnd to the next: an inspection falls after its EpochEnd
    seconds = end - stamps[0]
    return epochs * len(data.train_x) / seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs with inspect on and off each (alternating)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app's child on 2 cores: 1)")
    parser.add_argument("--only", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--json", action="store_true", help="one JSON object as the last line")
    args = parser.parse_args()
    results = {}
    for name in args.only:
        layers_name, shape, n_train, n_val, batch = CONFIGS[name]
        data = bundle(shape, n_train, n_val)
        ratios, on_speeds, off_speeds = [], [], []
        for round_ in range(args.rounds + 1):  # round 0 warms up, unrecorded
            order = (False, True) if round_ % 2 else (True, False)
            speeds = {flag: one_run(layers_name, data, batch, args.epochs, flag, args.threads) for flag in order}
            if round_:
                ratios.append(speeds[True] / speeds[False])
                on_speeds.append(speeds[True])
                off_speeds.append(speeds[False])
            print(f"{name} round {round_}: off {speeds[False]:,.0f}/s on {speeds[True]:,.0f}/s", file=sys.stderr)
        results[name] = {
            "ratio_median": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
            "samples_per_s_off": statistics.median(off_speeds),
            "samples_per_s_on": statistics.median(on_speeds),
            "val_samples": n_val,
        }
    print(f"{'config':<16} {'off /s':>9} {'on /s':>9}  ratio on/off (median, min-max of {args.rounds} pairs)")
    for name, r in results.items():
        print(
            f"{name:<16} {r['samples_per_s_off']:>9,.0f} {r['samples_per_s_on']:>9,.0f}  "
            f"{r['ratio_median']:.3f} ({r['ratio_min']:.3f}-{r['ratio_max']:.3f})"
        )
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
