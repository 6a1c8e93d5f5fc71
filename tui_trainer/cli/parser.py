"""The argument parser of every command, and UsageError: bad input that becomes one `error:` line."""

from __future__ import annotations

import argparse
from typing import NoReturn

from tui_trainer.core.backend.choose import TRAIN_IN


class UsageError(Exception):
    """Bad user input: printed as one `error:` line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


APP_OPTIONS = ("dataset", "preset", "runs_dir", "train_in")
"""The app's options: `tui-trainer --dataset moons` is `tui-trainer app --dataset moons`."""
BARE = "bare_"
"""Prefix of the app's options given without a command (argparse lets a command's defaults overwrite
options of the same name given before it, so they are kept apart until parse_command_line merges them)."""


def _app_args(p: argparse.ArgumentParser | argparse._ArgumentGroup, prefix: str = "") -> None:
    """The app's options (prefix: their names in the namespace, see BARE)."""
    p.add_argument(
        "--dataset",
        dest=f"{prefix}dataset",
        default=None,
        metavar="NAME",
        help="dataset to select at start (see `tui-trainer datasets`), csv:PATH or folder:PATH",
    )
    p.add_argument(
        "--preset",
        dest=f"{prefix}preset",
        default=None,
        metavar="NAME",
        help="preset to select at start (see `tui-trainer presets`) or a TOML file",
    )
    p.add_argument(
        "--runs-dir",
        dest=f"{prefix}runs_dir",
        default=None if prefix else "runs",
        metavar="DIR",
        help="where runs are saved (default ./runs)",
    )
    p.add_argument(
        "--train-in",
        dest=f"{prefix}train_in",
        choices=TRAIN_IN,
        default=None,
        help="train in a child process (the default on Linux and macOS: the live UI never slows it) "
        "or in a thread of the app",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command; without a command it takes the app's options."""
    parser = _Parser(
        prog="tui-trainer",
        usage="tui-trainer [--dataset NAME] [--preset NAME] [--runs-dir DIR] [--train-in {process,thread}]\n"
        "       tui-trainer COMMAND [options]",
        description="Train and inspect neural networks from the terminal. Without a command: open the app.",
        epilog="`tui-trainer COMMAND --help` tells a command's options.",
    )
    _app_args(parser.add_argument_group("the app (tui-trainer alone, or tui-trainer app)"), prefix=BARE)
    sub = parser.add_subparsers(
        dest="command", parser_class=_Parser, metavar="COMMAND", title="commands", prog="tui-trainer"
    )

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

    _app_args(sub.add_parser("app", help="open the terminal app (the default: the same as no command)"))
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
    lr_find = sub.add_parser(
        "lr-find", help="sweep the learning rate (1e-7 to 10, ~100 batches) and suggest one (fastai's lr_find)"
    )
    data_args(lr_find, required=False)
    lr_find.add_argument(
        "--rule",
        choices=("valley", "steep"),
        default="valley",
        help="how the rate is suggested: fastai's valley (default) or the steepest descent",
    )
    boundary = sub.add_parser("boundary", help="a 2-D run's decision boundary as text, from its checkpoint")
    boundary.add_argument("run_dir", metavar="RUN_DIR", help="the run directory (see `tui-trainer runs`)")
    boundary.add_argument(
        "--checkpoint", choices=("best", "last"), default="best", help="which weights (default best.pt)"
    )
    boundary.add_argument("--columns", type=int, default=64, metavar="N", help="characters across (default 64)")
    boundary.add_argument("--rows", type=int, default=24, metavar="N", help="lines down (default 24)")
    boundary.add_argument("--json", action="store_true", help="print one JSON object with the whole grid")
    runs = sub.add_parser("runs", help="list past runs")
    runs.add_argument("--runs-dir", default="runs", metavar="DIR", help="the runs folder (default ./runs)")
    runs.add_argument("--json", action="store_true", help="print one JSON list")
    sub.add_parser("datasets", help="list the datasets")
    sub.add_parser("presets", help="list the presets")
    return parser


def parse_command_line(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; without a command it is `app` with the options given.

    The app's options belong to it alone: given before another command they are refused (one `error:` line)
    rather than silently overwritten by that command's own defaults."""
    args = build_parser().parse_args(argv)
    given = [name for name in APP_OPTIONS if getattr(args, BARE + name) is not None]
    if args.command is None:
        args.command = "app"
        for name in APP_OPTIONS:
            setattr(args, name, getattr(args, BARE + name))
        args.runs_dir = args.runs_dir or "runs"
    elif given:
        option = "--" + given[0].replace("_", "-")
        raise UsageError(f"{option} goes after the command: tui-trainer {args.command} {option} ...")
    return args
