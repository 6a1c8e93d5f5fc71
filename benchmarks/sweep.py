"""Sweep throughput: trials per hour with 2 workers x 1 torch thread against 1 worker x 2 threads (alternating
rounds of the same small study on a shared machine), printing the ratio; --devices for one worker per GPU."""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIGS = {
    "mlp": ["--dataset", "digits", "--preset", "mlp", "--set", "epochs=8"],
    "lenet5": ["--dataset", "digits28", "--preset", "lenet5", "--set", "epochs=3"],
}


def trials_per_hour(sweep_dir: Path) -> tuple[float, int]:
    """Finished trials per hour from the first trial's start to the last trial's end (start-up excluded)."""
    import optuna

    storage = optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(str(sweep_dir / "journal.log")))
    (name,) = optuna.get_all_study_names(storage)
    trials = [t for t in optuna.load_study(study_name=name, storage=storage).get_trials() if t.datetime_complete]
    start = min(t.datetime_start for t in trials)
    end = max(t.datetime_complete for t in trials)
    return len(trials) * 3600.0 / (end - start).total_seconds(), len(trials)


def one(model: str, workers: int, threads: int, trials: int, root: Path, devices: str | None) -> float:
    """One sweep (random sampler, no pruning: every trial trains all its epochs); its trials per hour."""
    sweep_dir = Path(tempfile.mkdtemp(dir=root)) / "sw"
    cmd = [sys.executable, "-m", "tui_trainer", "sweep", *CONFIGS[model], "--set", f"threads={threads}"]
    cmd += ["--param", "lr=0.01..0.1:log", "--trials", str(trials), "--sampler", "random", "--pruner", "none"]
    cmd += ["--sweep-dir", str(sweep_dir)]
    cmd += ["--devices", devices] if devices else ["--workers", str(workers)]
    subprocess.run(cmd, check=True, capture_output=True, cwd=root)
    rate, _ = trials_per_hour(sweep_dir)
    print(f"  {model}: {workers} worker(s) x {threads} thread(s): {rate:.0f} trials/hour", file=sys.stderr)
    return rate


def main() -> int:
    """Alternate the two set-ups for --rounds rounds; print the median ratio (2x1 over 1x2) per model."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--models", nargs="+", default=["mlp", "lenet5"], choices=sorted(CONFIGS))
    parser.add_argument("--devices", default=None, help="cuda:0,cuda:1,...: also time one worker per GPU against one")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for model in args.models:
            ratios, two, one_two = [], [], []
            for _ in range(args.rounds):
                a = one(model, 2, 1, args.trials, root, None)
                b = one(model, 1, 2, args.trials, root, None)
                two.append(a)
                one_two.append(b)
                ratios.append(a / b)
            out[model] = {
                "two_workers_1_thread_per_hour": statistics.median(two),
                "one_worker_2_threads_per_hour": statistics.median(one_two),
                "ratio": statistics.median(ratios),
                "ratios": ratios,
            }
            print(
                f"{model}: 2 workers x 1 thread / 1 worker x 2 threads = {out[model]['ratio']:.2f} "
                f"(median of {args.rounds} rounds: {', '.join(f'{r:.2f}' for r in ratios)}; "
                f"{out[model]['two_workers_1_thread_per_hour']:.0f} vs {out[model]['one_worker_2_threads_per_hour']:.0f} "
                "trials/hour)"
            )
            if args.devices:
                n = len(args.devices.split(","))
                many = one(model, n, 1, args.trials * n, root, args.devices)
                single = one(model, 1, 1, args.trials, root, args.devices.split(",")[0])
                out[model]["gpu_scaling"] = many / single / n
                print(f"{model}: {n} GPUs: {many / single / n:.2f} x N times one GPU's trials/hour")
    if args.json:
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
