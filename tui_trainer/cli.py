"""Command line: no arguments opens the app; train / summary / datasets / presets run headless."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any, NoReturn

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
        p.add_argument("--dataset", required=required, help="dataset name (see `tui-trainer datasets`), csv:PATH or folder:PATH")
        p.add_argument("--preset", default=None, help="preset name (see `tui-trainer presets`) or a TOML file")
        p.add_argument("--config", default=None, help="experiment TOML whose values override the preset's")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override one setting, e.g. lr=0.01")
        p.add_argument("--data-dir", default=None, help="folder of downloaded datasets (default ./data)")
        p.add_argument("--download", action="store_true", help="download torchvision datasets when missing")
        p.add_argument("--json", action="store_true", help="print one JSON object as the last line")

    app = sub.add_parser("app", help="open the terminal app (the default)")
    app.add_argument("--dataset", default=None, help="dataset to select at start")
    app.add_argument("--preset", default=None, help="preset to select at start")
    data_args(sub.add_parser("train", help="train headless: one line per epoch, then the metrics"), required=False)
    data_args(sub.add_parser("summary", help="the model's per-layer table for a dataset"), required=False)
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


def cmd_train(args: argparse.Namespace) -> int:
    """Headless training: one line per epoch, then the final table (and JSON with --json)."""
    from tui_trainer.core.datasets import dataset_info, DatasetError
    from tui_trainer.core.engine import fit, resolve_device
    from tui_trainer.core.events import BatchEnd, EpochEnd, RunStarted
    from tui_trainer.textreport import epoch_line, final_report, run_json

    experiment = experiment_from_args(args)
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
    data = _load_data(experiment)
    _checked_summary(experiment, data.input_shape, data.n_classes)

    tty = sys.stdout.isatty()
    stop = threading.Event()
    started: dict[str, Any] = {}

    def on_event(event: object) -> None:
        if isinstance(event, RunStarted):
            started.update(params=event.params, device=event.device)
            print(
                f"training {experiment.name} on {experiment.data.name}: {event.n_train} train / {event.n_val} val"
                f" samples, {event.params:,} parameters, device {event.device}",
                flush=True,
            )
        elif isinstance(event, BatchEnd) and tty:
            print(f"\repoch {event.epoch} batch {event.batch}/{event.batches} loss {event.loss:.4f}", end="", flush=True)
        elif isinstance(event, EpochEnd):
            print(("\r\x1b[K" if tty else "") + epoch_line(event), flush=True)

    def interrupt(signum: int, frame: object) -> None:
        stop.set()

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        end = fit(experiment, data, on_event=on_event, should_stop=stop.is_set)
    finally:
        signal.signal(signal.SIGINT, previous)
    print(final_report(end), flush=True)
    if args.json:
        print(json.dumps(run_json(end, started.get("params"), started.get("device"))), flush=True)
    if end.status == "failed":
        print(f"error: {end.reason}" + (f" ({end.hint})" if end.hint else ""), file=sys.stderr)
        return 1
    return 130 if end.status == "stopped" else 0


def cmd_summary(args: argparse.Namespace) -> int:
    """The per-layer table of a preset on a dataset."""
    from tui_trainer.core.datasets import DatasetError, dataset_info
    from tui_trainer.core.model import summarize
    from tui_trainer.textreport import summary_table

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
        print(json.dumps({
            "preset": experiment.name,
            "dataset": experiment.data.name,
            "input_shape": list(summary.input_shape),
            "classes": summary.n_classes,
            "layers": [
                {"index": r.index, "type": r.type, "args": r.args,
                 "output_shape": list(r.output_shape) if r.output_shape else None, "params": r.params, "error": r.error}
                for r in summary.rows
            ],
            "total_params": summary.total_params,
            "problems": list(summary.problems),
        }))
    else:
        print(f"{experiment.name} on {experiment.data.name}")
        print(summary_table(summary))
    if not summary.ok:
        print(f"error: preset {experiment.name} does not fit {experiment.data.name}: {summary.problems[0]}", file=sys.stderr)
        return 2
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    """List the datasets with kind, shape, classes, size, availability and description."""
    from tui_trainer.core.datasets import is_available, list_datasets
    from tui_trainer.core.model import format_shape
    from tui_trainer.textreport import table

    rows = []
    for d in list_datasets():
        shape = format_shape(d.input_shape) if d.input_shape else "-"
        available = "yes" if is_available(d.name, "data") else "no (needs files)"
        rows.append([d.name, d.kind, shape, str(d.n_classes or "-"), str(d.n_samples or "-"), available, d.description])
    print(table(["name", "kind", "shape", "classes", "samples", "offline", "description"], rows, right={3, 4}))
    print("\nyour own data: csv:PATH (numeric columns + a label column) or folder:PATH (one sub-folder per class)")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    """List the presets with their descriptions."""
    from tui_trainer.core.presets import list_presets
    from tui_trainer.textreport import table

    rows = [[p.name, "built-in" if p.builtin else str(p.path), p.description] for p in list_presets()]
    print(table(["name", "source", "description"], rows))
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    """Open the Textual app."""
    from tui_trainer.ui.app import run_app

    return run_app(dataset=getattr(args, "dataset", None), preset=getattr(args, "preset", None))


COMMANDS = {"train": cmd_train, "summary": cmd_summary, "datasets": cmd_datasets, "presets": cmd_presets, "app": cmd_app}


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
