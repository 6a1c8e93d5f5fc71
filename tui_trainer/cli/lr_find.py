"""`tui-trainer lr-find`: sweep the learning rate on a preset's fresh model and print the suggested rate."""

from __future__ import annotations

import argparse
import json

from tui_trainer.cli.experiment_args import experiment_from_args, problem_line
from tui_trainer.cli.parser import UsageError
from tui_trainer.core.spec.experiment import Problem
from tui_trainer.core.spec.lr_finding import LrFinding

TABLE_ROWS = 12
"""About this many (rate, loss) rows in the plain-text output."""


def finding_text(finding: LrFinding, what: str) -> str:
    """The plain-text answer: the sweep in a few rows, then the suggestion and why."""
    lines = [f"lr-find {what}: {len(finding.lrs)} batches, lr {finding.lrs[0]:.1e} to {finding.lrs[-1]:.1e}"]
    if finding.stopped:
        lines.append(f"stopped early: {finding.stopped}")
    every = max(1, len(finding.lrs) // TABLE_ROWS)
    lines.append(f"{'lr':>9}  smoothed loss")
    picks = list(range(0, len(finding.lrs), every))
    if picks[-1] != len(finding.lrs) - 1:
        picks.append(len(finding.lrs) - 1)
    lines += [f"{finding.lrs[i]:9.1e}  {finding.losses[i]:.4f}" for i in picks]
    if finding.suggestion is None:
        lines.append(f"no suggestion: {finding.why}")
    else:
        rule = "fastai's valley" if finding.rule == "valley" else "the steepest descent"
        lines.append(f"suggestion: lr {finding.suggestion:.2e} by {rule}: {finding.why}")
        if finding.rule == "valley" and finding.steepest is not None:
            lines.append(f"steepest descent: lr {finding.steepest:.2e}")
    return "\n".join(lines)


def cmd_lr_find(args: argparse.Namespace) -> int:
    """Sweep from 1e-7 to 10 over about 100 batches and print the suggested rate (--json: one object)."""
    from tui_trainer.core.pipeline.lr_find import find_lr

    experiment = experiment_from_args(args)
    finding = find_lr(experiment, rule=args.rule)
    if isinstance(finding, Problem):
        raise UsageError(problem_line(finding, experiment))
    what = f"{experiment.name} on {experiment.data.name}"
    if args.json:
        print(json.dumps({"preset": experiment.name, "dataset": experiment.data.name, **finding.to_dict()}))
    else:
        print(finding_text(finding, what))
    return 0
