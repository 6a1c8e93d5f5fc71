"""Command line: no arguments opens the app; watch follows a run; train / summary / export / runs / datasets /
presets run headless."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

from tui_trainer.cli_lists import cmd_datasets, cmd_presets
from tui_trainer.core.config import ConfigError, DataSpec, Experiment, TrainSpec, parse_value, spec_fields, validate


class UsageError(Exception):
    """Bad user input: printed as one `error:` line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = _Parser(prog="tui-trainer", description="Train and inspect neural networks from the terminal.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    def data_args(p: argparse.ArgumentParser, required: bool) -> None:
        p.add_argument(
            "--dataset", required=required, help="dataset name (see `tui-trainer datasets`), csv:PATH or folder:PATH"
        )
        p.add_argument("--preset", default=None, help="preset name (see `tui-trainer presets`) or a TOML file")
        p.add_argument("--config", default=None, help="experiment TOML whose values override the preset's")
        p.add_argument(
            "--set", action="append", default=[], metavar="KEY=VALUE", help="override one setting, e.g. lr=0.01"
        )
        p.add_argument("--data-dir", default=None, help="folder of downloaded datasets (default ./data)")
        p.add_argument("--download", action="store_true", help="download torchvision datasets when missing")
        p.add_argument("--json", action="store_true", help="print one JSON object as the last line")

    app = sub.add_parser("app", help="open the terminal app (the default)")
    app.add_argument("--dataset", default=None, help="dataset to select at start")
    app.add_argument("--preset", default=None, help="preset to select at start")
    app.add_argument("--runs-dir", default="runs", metavar="DIR", help="where runs are saved (default ./runs)")
    app.add_argument(
        "--train-in",
        choices=("process", "thread"),
        default=None,
        help="train in a child process (the default on Linux and macOS: the live UI never slows it) "
        "or in a thread of the app",
    )
    watch = sub.add_parser("watch", help="follow a run another process is writing, on the live dashboard")
    watch.add_argument("run_dir", metavar="RUN_DIR", help="the run directory (see `tui-trainer runs`)")
    train = sub.add_parser("train", help="train headless: one line per epoch, then the metrics")
    data_args(train, required=False)
    train.add_argument("--runs-dir", default="runs", metavar="DIR", help="where run directories go (default ./runs)")
    train.add_argument("--no-save", action="store_true", help="write no run directory")
    train.add_argument("--resume", default=None, metavar="RUN_DIR", help="continue a run from its last.pt")
    data_args(sub.add_parser("summary", help="the model's per-layer table for a dataset"), required=False)
    export = sub.add_parser("export", help="write a standalone PyTorch script for a run or an experiment")
    export.add_argument(
        "source", metavar="RUN_DIR|EXPERIMENT.toml|PRESET", help="a run directory, experiment TOML or preset"
    )
    export.add_argument(
        "-o", "--output", default=None, metavar="FILE", help="write the script here (default: print it)"
    )
    export.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one setting")
    runs = sub.add_parser("runs", help="list past runs")
    runs.add_argument("--runs-dir", default="runs", metavar="DIR", help="the runs folder (default ./runs)")
    runs.add_argument("--json", action="store_true", help="print one JSON list")
    sub.add_parser("datasets", help="list the datasets")
    sub.add_parser("presets", help="list the presets")
    return parser


# ---------------------------------------------------------------- building the experiment


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "model":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply_setting(experiment: Experiment, assignment: str) -> Experiment:
    """Apply one --set KEY=VALUE (KEY of the train or data options, optionally prefixed)."""
    if "=" not in assignment:
        raise UsageError(f"--set needs KEY=VALUE, not {assignment!r}")
    key, _, text = assignment.partition("=")
    key = key.strip().removeprefix("train.").removeprefix("data.")
    for spec_type, apply in ((TrainSpec, experiment.with_train), (DataSpec, experiment.with_data)):
        if key in spec_fields(spec_type):
            try:
                return apply(**{key: parse_value(spec_type, key, text)})
            except ValueError as exc:
                raise UsageError(str(exc)) from None
    known = ", ".join([*spec_fields(TrainSpec), *spec_fields(DataSpec)])
    raise UsageError(f"unknown setting {key!r} (settings: {known})")


def experiment_from_args(args: argparse.Namespace) -> Experiment:
    """Preset, then --config, then --dataset/--data-dir/--download, then each --set; validated."""
    import tomllib

    from tui_trainer.core.config import experiment_from_dict, experiment_to_dict
    from tui_trainer.core.presets import load_preset

    try:
        experiment = load_preset(args.preset or "mlp")
        if args.config:
            try:
                with open(args.config, "rb") as fh:
                    doc = tomllib.load(fh)
            except OSError as exc:
                raise UsageError(f"cannot read {args.config}: {exc.strerror or exc}") from None
            except tomllib.TOMLDecodeError as exc:
                raise UsageError(f"{args.config} is not valid TOML: {exc}") from None
            except UnicodeDecodeError:
                raise UsageError(f"{args.config} is not valid TOML: it is not UTF-8 text") from None
            except RecursionError:
                raise UsageError(f"{args.config} is not valid TOML: arrays or tables nested too deeply") from None
            experiment = experiment_from_dict(_merge(experiment_to_dict(experiment), doc))
    except (ConfigError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    changes: dict[str, Any] = {}
    if args.dataset:
        changes["name"] = args.dataset
    if args.data_dir:
        changes["data_dir"] = args.data_dir
    if args.download:
        changes["download"] = True
    experiment = experiment.with_data(**changes)
    for assignment in args.set:
        experiment = apply_setting(experiment, assignment)
    problems = validate(experiment)
    if problems:
        raise UsageError(str(problems[0]))
    return experiment


def _load_data(experiment: Experiment):
    from tui_trainer.core.datasets import DatasetError, load_dataset

    try:
        return load_dataset(experiment.data)
    except DatasetError as exc:
        raise UsageError(str(exc)) from None


def _checked_summary(experiment: Experiment, input_shape: tuple[int, ...], n_classes: int):
    from tui_trainer.core.model import summarize

    summary = summarize(experiment.layers, input_shape, n_classes)
    if not summary.ok:
        raise UsageError(f"preset {experiment.name} does not fit {experiment.data.name}: {summary.problems[0]}")
    return summary


# ---------------------------------------------------------------- commands


def _check_before_loading(experiment: Experiment) -> None:
    """The cheap checks (layers against the dataset's known shape, the device) before loading any data."""
    from tui_trainer.core.datasets import DatasetError, dataset_info
    from tui_trainer.core.engine import resolve_device

    try:
        info = dataset_info(experiment.data.name)
    except DatasetError as exc:
        raise UsageError(str(exc)) from None
    if info.input_shape is not None and info.n_classes is not None:
        _checked_summary(experiment, info.input_shape, info.n_classes)
    try:
        resolve_device(experiment.train.device)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


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
    for assignment in args.set:
        experiment = apply_setting(experiment, assignment)
    problem = next(iter(validate(experiment)), None) or resumable.problem(experiment)
    if problem:
        raise UsageError(str(problem))
    return resumable, experiment


def _open_writer(args: argparse.Namespace, experiment: Experiment, resumable):
    """The RunWriter for this run (None with --no-save); one error line when it cannot write."""
    from tui_trainer.core.runs import RunError, RunWriter

    try:
        if resumable is not None:
            return resumable.writer(experiment)
        return None if args.no_save else RunWriter.create(args.runs_dir, experiment)
    except RunError as exc:
        raise UsageError(str(exc)) from None


def cmd_train(args: argparse.Namespace) -> int:
    """Headless training (or --resume): one line per epoch, then the final table (and JSON with --json);
    the run directory is written under --runs-dir unless --no-save."""
    from tui_trainer.core.engine import fit
    from tui_trainer.core.runs import resume_problem, root_problem
    from tui_trainer.textreport import EventPrinter, final_report, run_json

    resumable = None
    if args.resume:
        resumable, experiment = _resume_experiment(args)
    else:
        experiment = experiment_from_args(args)
    _check_before_loading(experiment)
    data = _load_data(experiment)
    _checked_summary(experiment, data.input_shape, data.n_classes)
    if resumable is None and not args.no_save and (problem := root_problem(Path(args.runs_dir))):
        raise UsageError(problem)
    if resumable is not None and (problem := resume_problem(resumable.state, experiment, data)):
        raise UsageError(problem)
    writer = _open_writer(args, experiment, resumable)
    printer = EventPrinter(experiment, tty=sys.stdout.isatty(), run_dir=writer.path if writer else None)
    stop = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        end = fit(
            experiment,
            data,
            on_event=writer.wrap(printer) if writer else printer,
            should_stop=stop.is_set,
            checkpoint=writer.checkpoint if writer else None,
            resume=resumable.state if resumable else None,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(final_report(end), flush=True)
    if writer is not None and writer.problem:
        print(f"warning: {writer.problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(run_json(end, printer.params, printer.device, writer.path if writer else None)), flush=True)
    if end.status == "failed":
        print(f"error: {end.reason}" + (f" ({end.hint})" if end.hint else ""), file=sys.stderr)
        return 1
    return 130 if end.status == "stopped" else 0


def cmd_summary(args: argparse.Namespace) -> int:
    """The per-layer table of a preset on a dataset."""
    from tui_trainer.core.datasets import DatasetError, dataset_info
    from tui_trainer.core.model import summarize
    from tui_trainer.textreport import summary_json, summary_table

    experiment = experiment_from_args(args)
    try:
        info = dataset_info(experiment.data.name)
    except DatasetError as exc:
        raise UsageError(str(exc)) from None
    if info.input_shape is not None and info.n_classes is not None:
        shape, n_classes = info.input_shape, info.n_classes
    else:
        data = _load_data(experiment)
        shape, n_classes = data.input_shape, data.n_classes
    summary = summarize(experiment.layers, shape, n_classes)
    if args.json:
        print(json.dumps(summary_json(summary, experiment.name, experiment.data.name)))
    else:
        print(f"{experiment.name} on {experiment.data.name}")
        print(summary_table(summary))
    if not summary.ok:
        print(
            f"error: preset {experiment.name} does not fit {experiment.data.name}: {summary.problems[0]}",
            file=sys.stderr,
        )
        return 2
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write (or print) the standalone PyTorch script of a run directory, experiment TOML or preset."""
    import dataclasses

    from tui_trainer.core.export import ExportError, export_script, load_source

    try:
        source = load_source(args.source)
        experiment = source.experiment
        for assignment in args.set:
            experiment = apply_setting(experiment, assignment)
        script = export_script(dataclasses.replace(source, experiment=experiment), Path(args.output or "train.py").name)
    except ExportError as exc:
        raise UsageError(str(exc)) from None
    if args.output is None:
        sys.stdout.write(script)
        return 0
    try:
        Path(args.output).write_text(script, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from None
    print(f"wrote {args.output}: run it with python {args.output}")
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """List the runs under --runs-dir, newest first, with a problem line for each damaged one."""
    from tui_trainer.core.runs import list_runs, listing_problem
    from tui_trainer.textreport import record_json, runs_table

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


def cmd_app(args: argparse.Namespace) -> int:
    """Open the Textual app (`tui-trainer` alone does the same)."""
    from tui_trainer.ui.launch import LaunchError, open_app

    try:
        return open_app(
            dataset=getattr(args, "dataset", None),
            preset=getattr(args, "preset", None),
            runs_dir=getattr(args, "runs_dir", "runs"),
            train_in=getattr(args, "train_in", None),
        )
    except LaunchError as exc:
        raise UsageError(str(exc)) from None


def cmd_watch(args: argparse.Namespace) -> int:
    """Open the Train dashboard on a run directory that another process writes, following it live."""
    from tui_trainer.ui.launch import LaunchError, watch_run

    try:
        return watch_run(args.run_dir)
    except LaunchError as exc:
        raise UsageError(str(exc)) from None


COMMANDS = {
    "train": cmd_train,
    "summary": cmd_summary,
    "export": cmd_export,
    "runs": cmd_runs,
    "datasets": cmd_datasets,
    "presets": cmd_presets,
    "app": cmd_app,
    "watch": cmd_watch,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the tui-trainer command; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command or "app"](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 1
