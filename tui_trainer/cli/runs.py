"""`tui-trainer runs`: the runs of a runs folder, newest first, with a problem line for each damaged one."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tui_trainer.cli.parser import UsageError


def cmd_runs(args: argparse.Namespace) -> int:
    """List the runs under --runs-dir, newest first, with a problem line for each damaged one."""
    from tui_trainer.cli.report import record_json, runs_table
    from tui_trainer.core.runs import list_runs, listing_problem

    root = Path(args.runs_dir)
    problem = listing_problem(root)
    if problem and root.exists():
        raise UsageError(problem)
    records = list_runs(root)
    if args.json:
        print(json.dumps([record_json(r) for r in records]))
    else:
        print(runs_table(records) if records else (problem or f"there are no runs in {root}"))
    return 0
