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


APP_OPTIONS = ("dataset", "preset", "config", "set", "runs_dir", "train_in", "tensorboard")
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
        "--config",
        dest=f"{prefix}config",
        default=None,
        metavar="FILE",
        help="experiment TOML whose values override the preset's",
    )
    p.add_argument(
        "--set",
        dest=f"{prefix}set",
        action="append",
        default=None,
        metavar="KEY=VALUE",
        help="override one setting at start, e.g. epochs=200 (repeatable)",
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
    p.add_argument(
        "--tensorboard",
        dest=f"{prefix}tensorboard",
        action="store_true",
        default=None,
        help="every run also writes TensorBoard event files (needs tui-trainer[tensorboard])",
    )


def _robustness_args(sub) -> None:  # noqa: ANN001 - argparse's sub-parser action
    """`robustness RUN_DIR`: attacks, eps, corruptions, checkpoint."""
    p = sub.add_parser("robustness", help="a saved run's accuracy under FGSM / PGD attacks and corrupted (unseen) data")
    p.add_argument("run_dir", metavar="RUN_DIR", help="the run directory (see `tui-trainer runs`)")
    p.add_argument("--attacks", default="fgsm,pgd", metavar="NAMES", help="fgsm, pgd, both (default) or none")
    p.add_argument(
        "--eps",
        default="0,0.05,0.1,0.2,0.3",
        metavar="LIST",
        help="perturbation sizes: pixels in [0, 1], features in standard deviations (default 0,0.05,0.1,0.2,0.3)",
    )
    p.add_argument(
        "--corruptions", default="all", metavar="all|NAME,...", help="corruptions at severities 1-5 (default all)"
    )
    p.add_argument("--checkpoint", default="best", choices=("best", "last"), help="best.pt (default) or last.pt")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command; without a command it takes the app's options."""
    parser = _Parser(
        prog="tui-trainer",
        usage="tui-trainer [--dataset NAME] [--preset NAME] [--config FILE] [--set KEY=VALUE]... [--runs-dir DIR]\n"
        "                   [--train-in {process,thread}]\n"
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
    serve = sub.add_parser(
        "serve", help="serve the app in a browser (textual-serve): one app per tab, on this machine only by default"
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument(
        "--public-url", default=None, metavar="URL", help="the URL browsers use, when it differs (a proxy, a host name)"
    )
    serve.add_argument(
        "--allow-remote",
        action="store_true",
        help="let a --host that other machines can reach through (textual-serve has no password)",
    )
    _app_args(serve.add_argument_group("the app in each tab"))
    watch = sub.add_parser("watch", help="follow a run another process is writing, on the live dashboard")
    watch.add_argument("run_dir", metavar="RUN_DIR", help="the run directory (see `tui-trainer runs`)")
    train = sub.add_parser("train", help="train headless: one line per epoch, then the metrics")
    data_args(train, required=False)
    train.add_argument("--runs-dir", default="runs", metavar="DIR", help="where run directories go (default ./runs)")
    train.add_argument("--no-save", action="store_true", help="write no run directory")
    train.add_argument("--resume", default=None, metavar="RUN_DIR", help="continue a run from its last.pt")
    train.add_argument(
        "--nproc",
        type=int,
        default=None,
        metavar="N",
        help="train one run in N processes with DistributedDataParallel (launches torchrun; gloo on the CPU, "
        "one GPU each on CUDA)",
    )
    train.add_argument(
        "--tensorboard",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also write TensorBoard event files into the run directory (needs tui-trainer[tensorboard]; "
        "default: as TUI_TRAINER_TENSORBOARD says, off)",
    )
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
    sweep = sub.add_parser(
        "sweep", help="search hyperparameters with Optuna: worker processes, a line per trial, the ranked table"
    )
    data_args(sweep, required=False)
    sweep.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=RANGE",
        help="a searched setting: lr=1e-4..1e-1:log, epochs=2..8, batch_size=16,32,64, layers.2.out_features=16..128, "
        "layers.3.type=ReLU,Tanh",
    )
    sweep.add_argument("--trials", type=int, default=None, help="trials over all workers together (default 20)")
    sweep.add_argument(
        "--workers", type=int, default=1, help="worker processes here (the CPU cores split between them)"
    )
    sweep.add_argument(
        "--devices", default=None, metavar="cuda:0,...", help="one worker per GPU (CUDA_VISIBLE_DEVICES)"
    )
    sweep.add_argument("--sampler", default=None, help="tpe (default), random or grid")
    sweep.add_argument("--pruner", default=None, help="median (default), hyperband or none")
    sweep.add_argument(
        "--objective",
        default=None,
        help="best_val_accuracy (default), final_val_accuracy, final_val_loss or best_val_loss",
    )
    sweep.add_argument(
        "--storage", default=None, metavar="URL", help="a database URL (default: a journal file in the sweep folder)"
    )
    sweep.add_argument(
        "--sweep-dir", default=None, metavar="DIR", help="the sweep folder (default sweeps/<time>_<preset>_<dataset>)"
    )
    sweep.add_argument(
        "--resume", action="store_true", help="continue the sweep in --sweep-dir (--trials raises its budget)"
    )
    worker = sub.add_parser("sweep-worker", help="join a sweep from another shell or machine")
    worker.add_argument("target", metavar="SWEEP_DIR_OR_URL", help="a sweep folder, or the storage URL of its study")
    worker.add_argument("--study", default=None, help="the study's name (with a URL holding several)")
    worker.add_argument(
        "--sweep-dir", default=None, metavar="DIR", help="with a URL: where this machine's trial runs go"
    )
    worker.add_argument("--threads", type=int, default=0, help="torch threads per trial (0 = the experiment's)")
    worker.add_argument("--device", default=None, help="the trials' device (default: the experiment's)")
    worker.add_argument("--seed", type=int, default=None, help="the sampler's seed (default: random)")
    review = sub.add_parser("review", help="who decides the label: flag a run's suspicious training labels")
    review.add_argument("run_dir", metavar="RUN_DIR", help="the run directory whose training labels to review")
    review.add_argument("--folds", type=int, default=5, metavar="K", help="k-fold cross-validation (default 5)")
    review.add_argument("--epochs", type=int, default=0, metavar="N", help="epochs per fold (default: the run's)")
    review.add_argument("--top", type=int, default=10, metavar="N", help="flagged labels listed (default 10)")
    review.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    inspect = sub.add_parser(
        "inspect", help="a saved run's highest-loss validation samples and the classes it confuses most"
    )
    inspect.add_argument("run_dir", metavar="RUN_DIR", help="the run directory (see `tui-trainer runs`)")
    inspect.add_argument("--top", type=int, default=10, metavar="K", help="how many samples to print (default 10)")
    inspect.add_argument(
        "--checkpoint", choices=("best", "last"), default="best", help="which weights: best.pt (default) or last.pt"
    )
    inspect.add_argument(
        "--boundary", action="store_true", help="also the decision map of a run on 2-D data (as `boundary` prints it)"
    )
    inspect.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    runs = sub.add_parser("runs", help="list past runs")
    runs.add_argument("--runs-dir", default="runs", metavar="DIR", help="the runs folder (default ./runs)")
    runs.add_argument("--json", action="store_true", help="print one JSON list")
    tensorboard = sub.add_parser(
        "export-tensorboard", help="write TensorBoard event files for existing runs (from their events.jsonl)"
    )
    tensorboard.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run directories (see `tui-trainer runs`)")
    _robustness_args(sub)
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
