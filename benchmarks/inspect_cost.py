"""What the inspection costs training: epochs with RunRequest.inspect on and off, interleaved, as a throughput ratio.

The inspection (per-sample losses and probabilities from the validation pass, the wrong samples' images,
the first convolution's filters and one sample's feature maps, pickled as the child sends it to the app)
runs where training runs, after each epoch. This times whole epochs (training, validation, inspection) of
the same run with inspect on and off, alternating run by run in one process, and prints the ratio of their
samples per second (1.00 costs nothing, 0.95 is the issue's limit); on a shared machine runs differ by more
than that, so it also prints the time spent inside the inspection (the hook and pickling its result) as a
share of the epochs it ran in: a ratio from the same runs, immune to the noise between runs. The view itself
redraws in the app's process, once per new inspection.

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

    def on_event(event) -> None:
        if type(event).__name__ == "Inspection":
            started = time.perf_counter()
            pickle.dumps(event)  # what the child does before sending it over the pipe
            INSPECTING[0] += time.perf_counter() - started
        if isinstance(event, EpochEnd) or type(event).__name__ == "RunStarted":
            stamps.append(time.perf_counter())

    run(RunRequest(experiment, runs_dir=None, inspect=inspect), on_event=on_event, should_stop=lambda: False, data=data)
    seconds = time.perf_counter() - stamps[0]
    TOTAL[0] += seconds
    return epochs * len(data.train_x) / seconds


INSPECTING = [0.0]
"""Seconds spent in the inspection hook and pickling its result, over the runs with inspect on."""
TOTAL = [0.0]
"""Seconds of those runs' epochs (training, validation, inspection)."""


def timed_inspector() -> None:
    """Count the time inside LiveInspector (what the engine adds to each epoch for the inspection)."""
    from tui_trainer.core.analysis import live

    call = live.LiveInspector.__call__

    def timed(self, *args):
        started = time.perf_counter()
        try:
            return call(self, *args)
        finally:
            INSPECTING[0] += time.perf_counter() - started

    live.LiveInspector.__call__ = timed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs with inspect on and off each (alternating)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the app's child on 2 cores: 1)")
    parser.add_argument("--only", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--json", action="store_true", help="one JSON object as the last line")
    args = parser.parse_args()
    timed_inspector()
    results = {}
    for name in args.only:
        layers_name, shape, n_train, n_val, batch = CONFIGS[name]
        data = bundle(shape, n_train, n_val)
        ratios, on_speeds, off_speeds = [], [], []
        for round_ in range(args.rounds + 1):  # round 0 warms up, unrecorded
            order = (False, True) if round_ % 2 else (True, False)
            if round_ == 1:
                INSPECTING[0] = TOTAL[0] = 0.0
            speeds = {}
            for flag in order:
                total = TOTAL[0]
                speeds[flag] = one_run(layers_name, data, batch, args.epochs, flag, args.threads)
                if not flag:
                    TOTAL[0] = total  # only the runs with the inspection on count
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
            "inspection_share": INSPECTING[0] / TOTAL[0] if TOTAL[0] else 0.0,
            "inspection_ms_per_epoch": 1000 * INSPECTING[0] / (args.rounds * args.epochs),
        }
    print(
        f"{'config':<16} {'off /s':>9} {'on /s':>9}  {'on/off (median, min-max of ' + str(args.rounds) + ' pairs)':<34} "
        "inspection: ms/epoch, share of the epoch"
    )
    for name, r in results.items():
        ratio = f"{r['ratio_median']:.3f} ({r['ratio_min']:.3f}-{r['ratio_max']:.3f})"
        print(
            f"{name:<16} {r['samples_per_s_off']:>9,.0f} {r['samples_per_s_on']:>9,.0f}  {ratio:<34} "
            f"{r['inspection_ms_per_epoch']:.0f} ms, {r['inspection_share']:.1%} (throughput kept "
            f"{1 - r['inspection_share']:.3f})"
        )
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
