#!/usr/bin/env python
"""What the live decision boundary costs: the engine on 2-D data with and without its BoundaryMaps.

    python benchmarks/boundary_cost.py [--samples N] [--epochs E] [--rounds R] [--json]

The mlp preset on moons (N generated samples, 1 torch thread, CPU) trained by core.training.engine.fit,
interleaved round by round in three ways: no maps (boundary_interval None), the default cap (a map at an
epoch's end at most once a second, and the last epoch's), and a map after every epoch (interval 0, the worst
case). Each figure is training samples per second over the whole fit (evaluation and maps included); the
ratios are medians over the rounds of each way against "off" in the same round (each way goes first in one
round, after a warm-up fit). Then the time one map takes by itself, which on a busy machine says more than
ratios of whole fits: cost = maps x that time / the fit's time.
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


def probe_ms(experiment, data, calls: int = 50) -> float:
    """Milliseconds one BoundaryMap costs on the trained-size model (median of calls)."""
    import torch

    from tui_trainer.core.training.boundary import BoundaryProbe
    from tui_trainer.core.training.model import build_model

    torch.manual_seed(0)
    model = build_model(experiment.layers, data.input_shape, data.n_classes)
    probe = BoundaryProbe(data.train_x, data.train_y, data.class_names)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        probe(model, 1)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


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
    one_fit(experiment.with_train(epochs=1), data, None)  # warm-up: the first fit pays torch's first calls
    ways = list(WAYS.items())
    for round_ in range(args.rounds):
        for way, interval in ways[round_ % len(ways) :] + ways[: round_ % len(ways)]:  # each way goes first once
            speed, maps[way] = one_fit(experiment, data, interval)
            speeds[way].append(speed)
    map_ms = probe_ms(experiment, data)
    result = {
        "samples": args.samples,
        "epochs": args.epochs,
        "rounds": args.rounds,
        "samples_per_s": {way: statistics.median(v) for way, v in speeds.items()},
        "maps_per_fit": maps,
        "map_ms": map_ms,
        "ratio": {
            way: statistics.median(a / b for a, b in zip(speeds[way], speeds["off"], strict=True))
            for way in WAYS
            if way != "off"
        },
    }
    for way in WAYS:
        ratio = f"  ratio {result['ratio'][way]:.3f}" if way in result["ratio"] else ""
        print(f"{way:12s} {result['samples_per_s'][way]:10,.0f} samples/s  {maps[way]} maps/fit{ratio}")
    print(f"one map (64x48 grid through the model, to plain values): {map_ms:.2f} ms (median of 50)")
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
