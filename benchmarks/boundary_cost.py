#!/usr/bin/env python
"""What the live decision boundary costs: the engine on 2-D data with and without its BoundaryMaps.

    python benchmarks/boundary_cost.py [--samples N] [--epochs E] [--rounds R] [--json]

The mlp preset on moons (N generated samples, 1 torch thread, CPU) trained by core.training.engine.fit,
interleaved round by round in three ways: no maps (boundary_interval None), the default cap (a map at an
epoch's end at most once a second, and the last epoch's), and a map after every epoch (interval 0, the worst
case). Each figure is training samples per second over the whole fit (evaluation and maps included); the
ratios are medians over the rounds of each way against "off" in the same round.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a clean checkout runs without installing

WAYS = {"off": None, "capped": 1.0, "every epoch": 0.0}


def one_fit(experiment, data, interval) -> tuple[float, int]:
    """(training samples per second of the whole fit, maps sent)."""
    from tui_trainer.core.spec.boundary import BoundaryMap
    from tui_trainer.core.training.engine import fit

    maps = 0

    def sink(event) -> None:
        nonlocal maps
        maps += isinstance(event, BoundaryMap)

    start = time.perf_counter()
    fit(experiment, data, on_event=sink, should_stop=lambda: False, boundary_interval=interval)
    seconds = time.perf_counter() - start
    return experiment.train.epochs * int(data.train_x.shape[0]) / seconds, maps


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--samples", type=int, default=20_000, help="moons samples generated (default 20000)")
    p.add_argument("--epochs", type=int, default=5, help="epochs per fit (default 5)")
    p.add_argument("--rounds", type=int, default=5, help="rounds, each fitting every way once (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    args = p.parse_args(argv)

    import torch

    from tui_trainer.core.data import load_dataset
    from tui_trainer.core.spec.presets import load_preset

    torch.set_num_threads(1)
    experiment = (
        load_preset("mlp")
        .with_data(name="moons", n_samples=args.samples)
        .with_train(epochs=args.epochs, threads=1, device="cpu")
    )
    data = load_dataset(experiment.data)
    speeds: dict[str, list[float]] = {way: [] for way in WAYS}
    maps: dict[str, int] = {}
    for _ in range(args.rounds):
        for way, interval in WAYS.items():
            speed, maps[way] = one_fit(experiment, data, interval)
            speeds[way].append(speed)
    result = {
        "samples": args.samples,
        "epochs": args.epochs,
        "rounds": args.rounds,
        "samples_per_s": {way: statistics.median(v) for way, v in speeds.items()},
        "maps_per_fit": maps,
        "ratio": {
            way: statistics.median(a / b for a, b in zip(speeds[way], speeds["off"], strict=True))
            for way in WAYS
            if way != "off"
        },
    }
    for way in WAYS:
        ratio = f"  ratio {result['ratio'][way]:.3f}" if way in result["ratio"] else ""
        print(f"{way:12s} {result['samples_per_s'][way]:10,.0f} samples/s  {maps[way]} maps/fit{ratio}")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
