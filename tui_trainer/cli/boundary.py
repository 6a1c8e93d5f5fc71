"""`tui-trainer boundary`: a saved 2-D run's decision map as text (or JSON), computed from its checkpoint."""

from __future__ import annotations

import argparse
import json

from tui_trainer.cli.parser import UsageError


def cmd_boundary(args: argparse.Namespace) -> int:
    """Print the predicted class over a grid of the run's plane, one character per cell (--json: one object)."""
    from tui_trainer.core.data import DatasetError
    from tui_trainer.core.runs import RunError
    from tui_trainer.core.spec.boundary import boundary_text
    from tui_trainer.core.training.boundary import boundary_of_run

    try:
        boundary = boundary_of_run(args.run_dir, f"{args.checkpoint}.pt")
    except (RunError, DatasetError) as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        print(json.dumps({"run": str(args.run_dir), "boundary": boundary.to_dict()}))
    else:
        print(f"decision boundary of {args.run_dir} at epoch {boundary.epoch} ({args.checkpoint}.pt)")
        print(boundary_text(boundary, columns=args.columns, rows=args.rows))
    return 0
