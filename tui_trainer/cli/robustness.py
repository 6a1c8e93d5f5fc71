"""`tui-trainer robustness RUN_DIR`: a saved run's accuracy under adversarial attacks and corrupted data, as tables."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from tui_trainer.cli.parser import UsageError
from tui_trainer.cli.report import table
from tui_trainer.core.spec.robustness import SEVERITIES, RobustnessInputError, RobustnessResult


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def attack_table(result: RobustnessResult) -> str:
    """Accuracy by attack (rows) and eps (columns)."""
    eps = sorted({a.eps for a in result.attacks})
    rows = []
    for name in dict.fromkeys(a.name for a in result.attacks):
        by_eps = {a.eps: a.accuracy for a in result.attacks if a.name == name}
        rows.append([name, *(_pct(by_eps.get(e)) for e in eps)])
    return table(["attack", *(f"eps {e:g}" for e in eps)], rows, right=set(range(1, len(eps) + 1)))


def corruption_table(result: RobustnessResult) -> str:
    """Accuracy by corruption (rows) and severity (columns), the clean accuracy beside."""
    rows = []
    for name in dict.fromkeys(c.name for c in result.corruptions):
        by_severity = {c.severity: c.accuracy for c in result.corruptions if c.name == name}
        rows.append([name, _pct(result.clean_accuracy), *(_pct(by_severity.get(s)) for s in SEVERITIES)])
    headers = ["corruption", "clean", *(f"sev {s}" for s in SEVERITIES)]
    return table(headers, rows, right=set(range(1, len(SEVERITIES) + 2)))


def report(result: RobustnessResult) -> str:
    """The plain-text report: what was evaluated, the clean accuracy, then the two tables."""
    lines = [f"robustness of {result.run_dir}", *result.notes]
    lines.append(
        f"{result.n_samples:,} validation samples of {result.dataset} on {result.device}, {result.seconds:.1f} s"
    )
    lines += ["", f"clean accuracy {_pct(result.clean_accuracy)}"]
    if result.backdoor is not None:
        lines.append(result.backdoor.words())
    if result.attacks:
        lines += ["", attack_table(result)]
    if result.corruptions:
        lines += ["", corruption_table(result)]
    if result.stopped:
        lines += ["", "stopped: the tables hold what was evaluated before the stop"]
    return "\n".join(lines)


def cmd_robustness(args: argparse.Namespace) -> int:
    """Evaluate a run's checkpoint: clean, under each attack at each eps, under each corruption at severities 1-5."""
    from tui_trainer.core.analysis.request import robustness_request

    try:
        request = robustness_request(
            args.run_dir, attacks=args.attacks, eps=args.eps, corruptions=args.corruptions, checkpoint=args.checkpoint
        )
    except RobustnessInputError as exc:
        raise UsageError(str(exc)) from None
    from tui_trainer.core.analysis.robustness import evaluate_robustness

    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda _sig, _frame: stop.set())
    tty = sys.stderr.isatty()

    def progress(p) -> None:  # noqa: ANN001
        if tty and p.total:
            print(f"\r{p.done}/{p.total} {p.what:<32}", end="", file=sys.stderr, flush=True)

    try:
        result = evaluate_robustness(request, progress, stop.is_set)
    finally:
        signal.signal(signal.SIGINT, previous)
        if tty:
            print("\r" + " " * 48 + "\r", end="", file=sys.stderr, flush=True)
    if result.problem:
        raise UsageError(result.problem)
    print(report(result))
    if args.json:
        print(json.dumps(result.to_json()))
    return 130 if result.stopped else 0
