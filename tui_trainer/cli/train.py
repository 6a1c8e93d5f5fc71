"""`tui-trainer train`: a run (or --resume) through the pipeline, one plain line per epoch, then the metrics."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

from tui_trainer.cli.experiment_args import experiment_from_args, problem_line, with_settings
from tui_trainer.cli.parser import UsageError
from tui_trainer.core.spec.events import RunStatus
from tui_trainer.core.spec.experiment import Experiment, Problem, validate


def _resume_experiment(args: argparse.Namespace):
    """(Resumable, experiment) for train --resume: the run's own experiment with --set changes applied."""
    from tui_trainer.core.runs import RunError, open_resumable

    for flag, value in (("--preset", args.preset), ("--config", args.config), ("--dataset", args.dataset)):
        if value:
            raise UsageError(
                f"{flag} cannot be used with --resume: a resumed run keeps its experiment (its layers and dataset); "
                "--set changes epochs and the other resumable settings"
            )
    if args.no_save:
        raise UsageError("--resume continues writing the run directory: drop --no-save")
    try:
        resumable = open_resumable(args.resume)
    except RunError as exc:
        raise UsageError(str(exc)) from None
    changes: dict[str, Any] = {"data_dir": args.data_dir} if args.data_dir else {}
    experiment = resumable.experiment.with_data(**changes, **({"download": True} if args.download else {}))
    experiment = with_settings(experiment, args.set)
    problems = validate(experiment)  # with the field named; whether the run may continue so: prepare says
    if problems:
        raise UsageError(str(problems[0]))
    return resumable, experiment


def _prepare(args: argparse.Namespace, experiment: Experiment, resumable, write: bool = True):
    """The prepared run; any problem is a UsageError (exit 2) before training starts. write=False: no run
    directory (a distributed run's ranks but 0)."""
    from tui_trainer.core.pipeline.prepare import prepare
    from tui_trainer.core.pipeline.request import RunRequest

    request = RunRequest(
        experiment,
        runs_dir=None if args.no_save else args.runs_dir,
        resume=args.resume,
        must_save=True,
        tensorboard=args.tensorboard,
    )
    prepared = prepare(request, resumable=resumable, write=write)
    if isinstance(prepared, Problem):
        raise UsageError(problem_line(prepared, experiment))
    return prepared


def cmd_train(args: argparse.Namespace) -> int:
    """Headless training (or --resume): one line per epoch, then the final table (and JSON with --json);
    the run directory is written under --runs-dir unless --no-save."""
    from tui_trainer.cli.report import EventPrinter, final_report, run_json
    from tui_trainer.core.training.distributed import Distributed

    distributed = Distributed.from_env()
    resumable = None
    if args.resume:
        resumable, experiment = _resume_experiment(args)
    else:
        experiment = experiment_from_args(args)
    if getattr(args, "nproc", None) is not None and distributed is None:
        from tui_trainer.cli.distributed import launch

        return launch(args)  # the settings were checked above: a bad one is one error line, not one per rank
    if distributed is not None and not distributed.is_main:
        return _train_rank(args, experiment, resumable, distributed)
    prepared = _prepare(args, experiment, resumable)
    writer = prepared.writer
    printer = EventPrinter(experiment, tty=sys.stdout.isatty(), run_dir=writer.path if writer else None)
    stop = threading.Event()
    end = _execute(prepared, printer, stop, distributed)
    print(final_report(end), flush=True)
    if writer is not None and writer.problem:
        print(f"warning: {writer.problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(run_json(end, printer.params, printer.device, writer.path if writer else None)), flush=True)
    if end.status == RunStatus.FAILED:
        print(f"error: {end.reason}" + (f" ({end.hint})" if end.hint else ""), file=sys.stderr)
        return 1
    return _stopped_status(end, distributed)


def _stopped_status(end, distributed) -> int:
    """130 for a stopped run, 0 otherwise; under torchrun a stopped run exits 0 (torchrun reports any other
    status as a failed worker, with a traceback, though nothing failed)."""
    return 130 if end.status == RunStatus.STOPPED and distributed is None else 0


def _execute(prepared, on_event, stop: threading.Event, distributed):
    """Execute the prepared run, SIGINT and SIGTERM stopping it (resumable); a distributed run first joins its
    process group and trains on this rank's device, and leaves the group at the end."""
    from tui_trainer.core.pipeline.execute import execute

    def interrupt(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if distributed is not None:
            prepared.device = distributed.device(prepared.device)
            distributed.start(prepared.device)
        try:
            return execute(prepared, on_event=on_event, should_stop=stop.is_set, distributed=distributed)
        finally:
            if distributed is not None:
                distributed.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _train_rank(args: argparse.Namespace, experiment: Experiment, resumable, distributed) -> int:
    """A rank other than 0 of a distributed run: the same run with no run directory and nothing printed (rank 0
    writes and prints); its status follows the run's."""
    prepared = _prepare(args, experiment, resumable, write=False)
    end = _execute(prepared, lambda event: None, threading.Event(), distributed)
    return 1 if end.status == RunStatus.FAILED else _stopped_status(end, distributed)
