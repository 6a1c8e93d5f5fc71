"""`tui-trainer review RUN_DIR`: out-of-sample confidences by k-fold cross-validation, the flagged labels."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from tui_trainer.cli.parser import UsageError
from tui_trainer.core.runs.files import REVIEW
from tui_trainer.core.spec.experiment import Problem


def cmd_review(args: argparse.Namespace) -> int:
    """Review a run's training labels: progress lines, the flagged labels least believed first, the precision
    and recall against the injected noise; review.json in the run directory (and JSON with --json)."""
    from tui_trainer.cli.report import table
    from tui_trainer.core.pipeline.request import ReviewRequest
    from tui_trainer.core.pipeline.review import request_problem, review
    from tui_trainer.core.spec.events import RunPhase
    from tui_trainer.core.training.evaluation import StopRequested

    request = ReviewRequest(args.run_dir, folds=args.folds, epochs=args.epochs)
    if args.top < 0:
        raise UsageError(f"--top must be at least 0, not {args.top}")
    if problem := request_problem(request):
        raise UsageError(str(problem))
    stop = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        stop.set()

    def progress(event: object) -> None:
        if isinstance(event, RunPhase):
            print(event.message, flush=True)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        result = review(request, on_event=progress, should_stop=stop.is_set)
    except StopRequested:
        print("review stopped by the user: nothing written", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if isinstance(result, Problem):
        raise UsageError(str(result))
    print(result.words())
    names = result.class_names
    rows = [
        [
            str(rank),
            str(f.index),
            names[f.given],
            f"{f.self_confidence:.3f}",
            names[f.suggested],
            f"{f.suggested_confidence:.3f}",
            "" if f.flipped is None else ("yes" if f.flipped else "no"),
        ]
        for rank, f in enumerate(result.flagged[: args.top], start=1)
    ]
    if rows:
        print(
            table(["rank", "sample", "given", "p(given)", "suggested", "p(sugg.)", "flipped"], rows, right={0, 1, 3, 5})
        )
    print(f"written: {Path(args.run_dir) / REVIEW} (the review queue: L on the Runs tab of tui-trainer)")
    if args.json:
        doc = result.as_dict()
        for item in doc["flagged"]:
            item.pop("image", None)
            item.pop("features", None)
        print(json.dumps(doc), flush=True)
    return 0
