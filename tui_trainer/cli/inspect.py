"""`tui-trainer inspect`: a saved run's highest-loss validation samples and its most confused pairs of classes."""

from __future__ import annotations

import argparse
import json
from typing import Any

from tui_trainer.cli.parser import UsageError
from tui_trainer.core.spec.inspection import Inspection, sample_json

MOST_CONFUSED = 10
"""The most confused pairs printed (all of them in --json)."""


def inspection_text(ins: Inspection, top: int, run_dir: str) -> str:
    """The plain-text report: what was inspected, the top-loss samples as a table, the most confused pairs."""
    from tui_trainer.cli.report import table

    names = ins.class_names
    share = ins.n_wrong / ins.n_val if ins.n_val else 0.0
    lines = [
        f"inspecting {run_dir} with {ins.source}: {ins.n_val} validation samples, {ins.n_wrong} misclassified "
        f"({share:.2%})"
    ]
    samples = ins.top(top)
    rows = [
        [
            str(s.index),
            names[s.true],
            names[s.pred],
            f"{s.p_true:.3f}",
            f"{s.p_pred:.3f}",
            f"{s.loss:.4f}",
            "" if s.wrong else "right",
        ]
        for s in samples
    ]
    lines += [
        "",
        f"the {len(samples)} validation samples with the highest loss (index into the validation split):",
        table(["index", "true", "predicted", "p(true)", "p(predicted)", "loss", ""], rows, right={0, 3, 4, 5}),
    ]
    pairs = ins.most_confused(MOST_CONFUSED)
    lines += ["", "most confused (true -> predicted: samples):"]
    lines += [f"  {names[t]} -> {names[p]}: {count}" for t, p, count in pairs] or ["  none: every sample is right"]
    return "\n".join(lines)


def inspection_json(ins: Inspection, top: int, run_dir: str, checkpoint: str) -> dict[str, Any]:
    """The --json object: `samples` (the top losses: index, true, pred, loss, probs; classes as indices into
    `classes`) and `most_confused` (true, pred, count)."""
    return {
        "run_dir": run_dir,
        "checkpoint": checkpoint,
        "epoch": ins.epoch,
        "classes": list(ins.class_names),
        "n_val": ins.n_val,
        "n_wrong": ins.n_wrong,
        "samples": [sample_json(s) for s in ins.top(top)],
        "most_confused": [{"true": t, "pred": p, "count": count} for t, p, count in ins.most_confused()],
    }


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print the run's `--top` highest-loss validation samples and its most confused pairs (JSON with --json).

    --boundary adds a 2-D run's decision map (as `tui-trainer boundary` prints it; JSON `boundary`)."""
    from tui_trainer.core.analysis.saved import InspectError, inspect_run

    if args.top < 1:
        raise UsageError(f"--top must be at least 1, not {args.top}")
    try:
        ins = inspect_run(args.run_dir, args.checkpoint, top=args.top)
    except InspectError as exc:
        raise UsageError(str(exc)) from None
    boundary = _boundary(args.run_dir, args.checkpoint) if args.boundary else None
    print(inspection_text(ins, args.top, args.run_dir), flush=True)
    if boundary is not None:
        from tui_trainer.core.spec.boundary import boundary_text

        print(f"\ndecision boundary at epoch {boundary.epoch} (one character per cell: the predicted class)")
        print(boundary_text(boundary), flush=True)
    if args.json:
        answer = inspection_json(ins, args.top, args.run_dir, args.checkpoint)
        if boundary is not None:
            answer["boundary"] = boundary.to_dict()
        print(json.dumps(answer), flush=True)
    return 0


def _boundary(run_dir: str, checkpoint: str):  # noqa: ANN202 - a BoundaryMap (imported with torch)
    """A 2-D run's decision map from the same checkpoint; UsageError for a run that is not on 2-D data."""
    from tui_trainer.core.data import DatasetError
    from tui_trainer.core.runs import RunError
    from tui_trainer.core.training.boundary import boundary_of_run

    try:
        return boundary_of_run(run_dir, f"{checkpoint}.pt")
    except (RunError, DatasetError, ValueError) as exc:
        raise UsageError(str(exc)) from None
