"""`tui-trainer sweep` (start or --resume a study, its workers here, a line per finished trial, the ranked table)
and `tui-trainer sweep-worker` (join a study from any shell or machine)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
import threading
import time
import tomllib
from pathlib import Path
from typing import Any

from tui_trainer.cli.experiment_args import with_data_args
from tui_trainer.cli.parser import UsageError
from tui_trainer.core.spec.experiment import (
    ConfigError,
    Experiment,
    experiment_from_dict,
    experiment_to_dict,
    merge_tables,
)
from tui_trainer.core.sweep.folder import (
    SweepFolder,
    adopt_folder,
    create_folder,
    default_folder,
    open_folder,
    problem_with_folder,
)
from tui_trainer.core.sweep.space import Param, SpaceError, apply, check_space, corners, grid_size, parse_param
from tui_trainer.core.sweep.spec import SweepSpec, check_options, params_from_table, save, split_sweep_table
from tui_trainer.core.sweep.study import SweepError

POLL_S = 0.5
"""How often `sweep` reads the storage for finished trials while its workers train."""


def _base(args: argparse.Namespace) -> tuple[Experiment, dict[str, Any] | None]:
    """The experiment (preset -> --config -> --dataset/--data-dir -> --set) and the config's [sweep] table."""
    from tui_trainer.core.spec.presets import load_preset

    table = None
    try:
        experiment = load_preset(args.preset or "mlp")
        if args.config:
            try:
                with open(args.config, "rb") as fh:
                    doc = tomllib.load(fh)
            except OSError as exc:
                raise ConfigError(f"cannot read {args.config}: {exc.strerror or exc}") from None
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{args.config} is not valid TOML: {exc}") from None
            rest, table = split_sweep_table(doc)
            experiment = experiment_from_dict(merge_tables(experiment_to_dict(experiment), rest))
    except (ConfigError, TypeError) as exc:
        raise UsageError(str(exc)) from None
    return with_data_args(experiment, args), table


def _check_corners(experiment: Experiment, params: tuple[Param, ...]) -> None:
    """Each parameter's ends applied to the experiment must pass the pipeline's start checks (a width the
    layers cannot take, a batch size BatchNorm refuses, the memory a CPU run may use)."""
    from tui_trainer.core.pipeline.checks import start_problems

    for values in corners(params):
        problems = start_problems(apply(experiment, values))
        if problems:
            name, value = next(iter(values.items()))
            raise UsageError(f"{name}={value}: {problems[0]}")


def _new_spec(args: argparse.Namespace) -> tuple[SweepSpec, Path]:
    """The sweep the command line defines, checked, and its folder (not yet written)."""
    experiment, table = _base(args)
    table = table or {}
    try:
        from_file = {p.name: p for p in params_from_table(table.get("params", {}), experiment)}
        given = {p.name: p for p in (parse_param(text, experiment) for text in args.param)}
        params = tuple({**from_file, **given}.values())
        trials = args.trials if args.trials is not None else int(table.get("trials", 20))
        sampler = args.sampler or str(table.get("sampler", "tpe"))
        pruner = args.pruner or str(table.get("pruner", "median"))
        objective = args.objective or str(table.get("objective", "best_val_accuracy"))
        check_options(trials, sampler, pruner, objective)
        check_space(params, sampler)
    except SpaceError as exc:
        raise UsageError(str(exc)) from None
    if sampler == "grid":
        trials = min(trials, grid_size(params))
    _check_corners(experiment, params)
    folder = Path(args.sweep_dir) if args.sweep_dir else default_folder(SweepSpec(experiment, params))
    if problem := problem_with_folder(folder):
        raise UsageError(problem)
    spec = SweepSpec(
        experiment,
        params,
        trials=trials,
        sampler=sampler,
        pruner=pruner,
        objective=objective,
        study_name=folder.name,
        seed=int(table.get("seed", 0)),
        storage=args.storage or str(table.get("storage", "")),
    )
    return spec, folder


def _start(args: argparse.Namespace) -> SweepFolder:
    """A new sweep: checked first, then the storage reached, then its folder, sweep.toml and study written."""
    import optuna

    from tui_trainer.core.sweep.study import create_study, quiet_optuna, storage_for, url_storage

    quiet_optuna()
    spec, path = _new_spec(args)
    try:
        if spec.storage:
            storage = url_storage(spec.storage)
            if spec.study_name in optuna.get_all_study_names(storage):
                raise SweepError(
                    f"the storage already holds a study {spec.study_name!r}: --resume continues it, "
                    "or choose another --sweep-dir"
                )
        folder = create_folder(path, spec)
        create_study(spec, storage_for(spec, folder.path))
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    return folder


def _resume(args: argparse.Namespace) -> SweepFolder:
    """An existing sweep (--resume --sweep-dir DIR), its budget raised to --trials when given."""
    if not args.sweep_dir:
        raise UsageError("--resume needs --sweep-dir DIR: the sweep folder to continue")
    for flag, value in (("--preset", args.preset), ("--config", args.config), ("--dataset", args.dataset)):
        if value:
            raise UsageError(f"{flag} cannot be used with --resume: a resumed sweep keeps its experiment")
    if args.param or args.set:
        raise UsageError("--param and --set cannot be used with --resume: a resumed sweep keeps its search space")
    try:
        folder = open_folder(args.sweep_dir)
        if args.trials is not None and args.trials < folder.spec.trials:
            raise SweepError(f"--trials can only raise a resumed sweep's budget (it is {folder.spec.trials})")
        if args.trials is not None and args.trials != folder.spec.trials:
            check_options(args.trials, folder.spec.sampler, folder.spec.pruner, folder.spec.objective)
            trials = min(args.trials, grid_size(folder.spec.params)) if folder.spec.sampler == "grid" else args.trials
            folder = SweepFolder(folder.path, dataclasses.replace(folder.spec, trials=trials))
            _check_storage(folder)
            save(folder.spec, folder.path / "sweep.toml")
        else:
            _check_storage(folder)
        _update_study_spec(folder)
    except (SweepError, SpaceError) as exc:
        raise UsageError(str(exc)) from None
    return folder


def _check_storage(folder: SweepFolder) -> None:
    from tui_trainer.core.sweep.study import load_study, quiet_optuna, storage_for

    quiet_optuna()
    load_study(folder.spec, storage_for(folder.spec, folder.path), with_pruner=False)


def _update_study_spec(folder: SweepFolder) -> None:
    """The study holds the folder's sweep.toml, and tickets up to its budget (a raised one, or a study made
    before tickets)."""
    from tui_trainer.core.sweep.spec import dumps
    from tui_trainer.core.sweep.study import SPEC_ATTR, load_study, storage_for, top_up

    study = load_study(folder.spec, storage_for(folder.spec, folder.path), with_pruner=False)
    study.set_user_attr(SPEC_ATTR, dumps(folder.spec))
    top_up(study, folder.spec)


def _devices(args: argparse.Namespace) -> list[str] | None:
    if not args.devices:
        return None
    from tui_trainer.core.sweep.launch import parse_devices

    try:
        return parse_devices(args.devices)
    except SweepError as exc:
        raise UsageError(str(exc)) from None


def cmd_sweep(args: argparse.Namespace) -> int:
    """Start (or --resume) a sweep: its workers here, a line per finished trial, then the ranked table and the
    importances (and JSON with --json)."""
    from tui_trainer.cli.sweep_report import summary_text, sweep_json, trial_line
    from tui_trainer.core.sweep.launch import plan_workers, start_workers, stop_workers
    from tui_trainer.core.sweep.results import study_result, trial_result
    from tui_trainer.core.sweep.stale import fail_stale
    from tui_trainer.core.sweep.study import load_study, storage_for, storage_text
    from tui_trainer.core.sweep.worker import used

    if args.workers < 1:
        raise UsageError(f"--workers must be at least 1, not {args.workers}")
    devices = _devices(args)
    folder = _resume(args) if args.resume else _start(args)
    spec = folder.spec
    study = load_study(spec, storage_for(spec, folder.path), with_pruner=False)
    print(
        f"sweep {spec.study_name}: {spec.trials} trials of {spec.experiment.name} on {spec.experiment.data.name}, "
        f"{spec.sampler} sampler, {spec.pruner} pruner, {spec.objective}; storage {storage_text(spec, folder.path)}",
        flush=True,
    )
    plans = plan_workers(len(devices) if devices else args.workers, devices)
    seen = {t.number for t in study.get_trials(deepcopy=False) if t.state.is_finished()}
    # a resumed sweep's workers get other seeds: the same ones would sample the same first points again
    procs = start_workers(folder, plans, seed=spec.seed + 100 * used(study))
    stop = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        stop.set()
        stop_workers(procs)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while True:
            running = any(p.poll() is None for p in procs)
            fail_stale(study)
            for frozen in study.get_trials(deepcopy=False):
                if frozen.state.is_finished() and frozen.number not in seen:
                    seen.add(frozen.number)
                    print(trial_line(trial_result(frozen), spec.objective), flush=True)
            if not running:
                break
            time.sleep(POLL_S)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    result = study_result(study)
    print(summary_text(result, spec.objective), flush=True)
    bad = [p.returncode for p in procs if p.returncode not in (0, None)]
    if bad and not stop.is_set():
        print(f"warning: {len(bad)} worker(s) ended abnormally (see {folder.path / 'logs'})", file=sys.stderr)
    if args.json:
        print(json.dumps(sweep_json(result, storage_text(spec, folder.path), str(folder.path))), flush=True)
    if stop.is_set():
        return 130
    return 0 if result.best is not None else 1


def cmd_sweep_worker(args: argparse.Namespace) -> int:
    """Join a sweep (its folder, or a storage URL): trials until the global budget is used; a line per trial."""
    from tui_trainer.cli.sweep_report import trial_line
    from tui_trainer.core.sweep.results import trial_result
    from tui_trainer.core.sweep.study import quiet_optuna, spec_of_study, storage_for, url_storage
    from tui_trainer.core.sweep.worker import work

    quiet_optuna()
    target = args.target
    try:
        if "://" in target:
            storage = url_storage(target)
            spec = spec_of_study(storage, args.study)
            spec = dataclasses.replace(spec, storage=target)
            folder = adopt_folder(Path(args.sweep_dir or Path("sweeps") / spec.study_name), spec)
        else:
            if args.study:
                raise SweepError("--study goes with a storage URL; a sweep folder names its own study")
            folder = open_folder(target)
            storage = storage_for(folder.spec, folder.path)
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    if args.threads < 0:
        raise UsageError(f"--threads must be 0 (auto) or more, not {args.threads}")
    stop = threading.Event()

    def interrupt(signum: int, frame: object) -> None:
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, interrupt)
    objective = folder.spec.objective

    def finished(frozen) -> None:
        print(trial_line(trial_result(frozen), objective), flush=True)

    done = work(
        folder,
        storage=storage,
        threads=args.threads,
        device=args.device,
        seed=args.seed,
        should_stop=stop.is_set,
        on_trial=finished,
    )
    print(f"worker done: {done} trials here", flush=True)
    return 130 if stop.is_set() else 0
