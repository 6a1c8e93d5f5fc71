"""SweepSpec: an experiment plus a search space, budget, sampler, pruner and objective; TOML in and out (the
experiment's tables with a [sweep] table beside them). Torch-free and Optuna-free."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_trainer.core.spec.experiment import ConfigError, Experiment, experiment_from_dict, experiment_to_dict
from tui_trainer.core.sweep.space import Param, SpaceError, check_space, parse_param

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
OBJECTIVES: dict[str, str] = {
    "best_val_accuracy": "maximize",
    "final_val_accuracy": "maximize",
    "final_val_loss": "minimize",
    "best_val_loss": "minimize",
}
"""Each objective and its direction."""
MAX_TRIALS = 10_000


@dataclass(frozen=True)
class SweepSpec:
    """What a sweep searches and how: everything its workers need besides the storage."""

    experiment: Experiment
    """The base experiment every trial starts from."""
    params: tuple[Param, ...]
    """The search space."""
    trials: int = 20
    """The global budget: trials over all workers together."""
    sampler: str = "tpe"
    """tpe (Optuna's default, multivariate), random or grid."""
    pruner: str = "median"
    """median (stop a trial whose epoch is worse than the median of earlier trials at that epoch), hyperband, none."""
    objective: str = "best_val_accuracy"
    """best_val_accuracy, final_val_accuracy (maximised), final_val_loss, best_val_loss (minimised)."""
    study_name: str = ""
    """The Optuna study's name in its storage."""
    seed: int = 0
    """The sampler's seed."""
    storage: str = ""
    """A database URL Optuna accepts (PostgreSQL for several machines); "" = the journal file in the sweep folder."""

    @property
    def direction(self) -> str:
        """maximize or minimize."""
        return OBJECTIVES[self.objective]


def check_options(trials: int, sampler: str, pruner: str, objective: str) -> None:
    """SpaceError for a budget or name outside what a sweep takes."""
    if not 1 <= trials <= MAX_TRIALS:
        raise SpaceError(f"--trials must be 1 to {MAX_TRIALS}, not {trials}")
    for what, value, known in (("sampler", sampler, SAMPLERS), ("pruner", pruner, PRUNERS)):
        if value not in known:
            raise SpaceError(f"{what} must be one of {', '.join(known)}, not {value!r}")
    if objective not in OBJECTIVES:
        raise SpaceError(f"objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}")


def sweep_to_dict(spec: SweepSpec) -> dict[str, Any]:
    """The experiment's tables and a [sweep] table: what sweep.toml holds."""
    doc = experiment_to_dict(spec.experiment)
    doc["sweep"] = {
        "study_name": spec.study_name,
        "trials": spec.trials,
        "sampler": spec.sampler,
        "pruner": spec.pruner,
        "objective": spec.objective,
        "seed": spec.seed,
        "storage": spec.storage,
        "params": {p.name: p.value_text for p in spec.params},
    }
    return doc


def split_sweep_table(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the experiment's part, the [sweep] table or None) of a parsed TOML document."""
    rest = {k: v for k, v in doc.items() if k != "sweep"}
    sweep = doc.get("sweep")
    if sweep is not None and not isinstance(sweep, dict):
        raise ConfigError("[sweep] must be a table")
    return rest, sweep


def params_from_table(table: Any, experiment: Experiment) -> tuple[Param, ...]:
    """The [sweep.params] table (NAME = "LOW..HIGH[:log]" or "A,B,C") as parameters; SpaceError when bad."""
    if not isinstance(table, dict):
        raise SpaceError('[sweep.params] must be a table of NAME = "LOW..HIGH[:log]" or "A,B,C"')
    return tuple(parse_param(f"{name}={value}", experiment) for name, value in table.items())


def sweep_from_dict(doc: dict[str, Any]) -> SweepSpec:
    """A SweepSpec from a parsed sweep.toml; ConfigError (bad structure) or SpaceError (bad space)."""
    rest, table = split_sweep_table(doc)
    if table is None:
        raise ConfigError("no [sweep] table: this is an experiment, not a sweep")
    try:
        experiment = experiment_from_dict(rest)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None
    known = {"study_name", "trials", "sampler", "pruner", "objective", "seed", "storage", "params"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"unknown key sweep.{unknown[0]} (known: {', '.join(sorted(known))})")
    params = params_from_table(table.get("params", {}), experiment)
    spec = SweepSpec(
        experiment,
        params,
        trials=int(table.get("trials", 20)),
        sampler=str(table.get("sampler", "tpe")),
        pruner=str(table.get("pruner", "median")),
        objective=str(table.get("objective", "best_val_accuracy")),
        study_name=str(table.get("study_name", "")),
        seed=int(table.get("seed", 0)),
        storage=str(table.get("storage", "")),
    )
    check_options(spec.trials, spec.sampler, spec.pruner, spec.objective)
    check_space(spec.params, spec.sampler)
    return spec


def dumps(spec: SweepSpec) -> str:
    """sweep.toml's text."""
    import tomli_w

    return tomli_w.dumps(sweep_to_dict(spec))


def loads(text: str) -> SweepSpec:
    """A SweepSpec from sweep.toml's text; ConfigError or SpaceError with a readable message."""
    try:
        return sweep_from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}") from None


def load(path: str | Path) -> SweepSpec:
    """Read a sweep TOML file; ConfigError when missing or malformed, SpaceError when its space is bad."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return loads(text)
    except (ConfigError, SpaceError) as exc:
        raise type(exc)(f"{path}: {exc}") from None


def save(spec: SweepSpec, path: str | Path) -> None:
    """Write sweep.toml atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(spec), encoding="utf-8")
    tmp.replace(path)
