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
        choices=TRAIN_IN,
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
