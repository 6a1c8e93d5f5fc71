"""The checks before a run that need no torch and no data: settings, dataset name, layers against its shape,
the memory training needs against this machine's (on the CPU); and the preset that fits a dataset."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.data.registry import DataShape, dataset_info, shape_of
from tui_trainer.core.spec.experiment import DataSpec, Experiment, Problem, validate
from tui_trainer.core.spec.memory import AvailableMemory, estimate_memory, memory_problem
from tui_trainer.core.spec.poisoning import poisoning_problems
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.spec.summary import ModelSummary, summarize

FIT_HINT = "edit the layers so they fit the data"
SETTING_HINT = "fix the setting and start again"
DATASET_HINT = "check the dataset options"
MEMINFO = Path("/proc/meminfo")
"""Linux's memory counters; MemAvailable is what a new process may use without swapping."""

APP_PRESET = "lenet5"
"""The preset the app starts with when none is named (on digits28, its default dataset)."""
FALLBACK_PRESET = "mlp"
"""The preset for a dataset the app's preset does not fit (2-D points, tabular rows)."""

MemoryProbe = Callable[[], AvailableMemory | None]
"""Reads the memory a CPU run may use now; None when it cannot be known."""


def _mem_available() -> int | None:
    """MemAvailable from /proc/meminfo in bytes, or None where there is none (not Linux, or an old kernel)."""
    try:
        lines = MEMINFO.read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name == "MemAvailable" and value.split()[-1:] == ["kB"]:
            return int(value.split()[0]) * 1024
    return None


def machine_memory() -> AvailableMemory | None:
    """The memory a CPU run may use on this machine: what it has free (MemAvailable), else its physical RAM;
    None when neither can be read."""
    available = _mem_available()
    if available is not None:
        return AvailableMemory(available, "free on this machine")
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return AvailableMemory(total, "this machine has") if total > 0 else None


def cpu_memory(memory: MemoryProbe | None = None) -> AvailableMemory | None:
    """What memory() reads; None (the default) reads this machine's (machine_memory)."""
    return (memory or machine_memory)()


def training_device(setting: str, devices: Sequence[str] | None = None) -> str:
    """The device a device setting trains on, given the devices the training process found (None: not known
    yet); "auto" stays "auto" while they are not known. Mirrors resolve_device: CUDA, then MPS, then the CPU."""
    if setting != "auto" or devices is None:
        return setting
    return next((d for d in devices if d.startswith("cuda")), "mps" if "mps" in devices else "cpu")


def cpu_memory_problem(
    summary: ModelSummary, experiment: Experiment, memory: MemoryProbe | None = None
) -> Problem | None:
    """The refusal of a CPU run that needs more memory than this machine's (memory: see cpu_memory), before
    its data is loaded: training alone, the evaluation left out, so that a small validation split is never
    refused for the full evaluation chunk the summary shows; prepare checks it all once the data is loaded."""
    return memory_problem(estimate_memory(summary, experiment.train, eval_samples=0), cpu_memory(memory))


def model_summary(experiment: Experiment, known: Mapping[str, DataShape] | None = None) -> ModelSummary | None:
    """The layer table on the experiment's dataset, or None while its shape is unknown (csv:/folder: unloaded)."""
    shape = shape_of(experiment.data, known)
    if shape is None:
        return None
    return summarize(experiment.layers, shape[0], shape[1])


def fit_problems(summary: ModelSummary) -> list[Problem]:
    """The layer stack's problems on a dataset, as Problems of the field "model"."""
    return [Problem("model", message, FIT_HINT) for message in summary.problems]


def setting_problems(experiment: Experiment) -> list[Problem]:
    """validate()'s problems, each with a hint."""
    return [Problem(p.field, p.message, p.hint or SETTING_HINT) for p in validate(experiment)]


def start_problems(
    experiment: Experiment,
    known: Mapping[str, DataShape] | None = None,
    *,
    device: str | None = None,
    memory: MemoryProbe | None = None,
) -> list[Problem]:
    """Every reason the experiment cannot train that shows without loading data; empty when none does.

    device: where it will train when the caller knows (training_device); None: the experiment's setting.
    On the CPU, a model that needs more memory than memory() reads (None: this machine's) is refused;
    elsewhere prepare checks the device's memory once it is resolved."""
    problems = setting_problems(experiment)
    try:
        info = dataset_info(experiment.data.name)
    except DatasetError as exc:
        return [*problems, Problem("data.name", str(exc), DATASET_HINT)]
    shape = shape_of(experiment.data, known)
    for problem in poisoning_problems(experiment.data, info.kind, shape[1] if shape else None):
        problems.append(Problem(problem.field, problem.message, DATASET_HINT))
    summary = model_summary(experiment, known)
    if summary is not None:
        problems += [p for p in fit_problems(summary) if p not in problems]
        on_cpu = (device or experiment.train.device) == "cpu"
        if on_cpu and not problems and (problem := cpu_memory_problem(summary, experiment, memory)):
            problems.append(problem)
    return problems


def default_preset(dataset: str | None) -> str:
    """The preset the app starts with when none is named: LeNet-5, unless the dataset given is not an image
    it fits (`tui-trainer --dataset moons` then starts on the MLP instead of a LeNet that cannot train)."""
    if dataset is None:
        return APP_PRESET
    shape = shape_of(DataSpec(name=dataset), {})
    if shape is None:  # own data: a folder of images or a CSV, known after the first run
        return APP_PRESET if dataset.startswith("folder:") else FALLBACK_PRESET
    fits = summarize(load_preset(APP_PRESET).layers, shape[0], shape[1]).ok
    return APP_PRESET if fits else FALLBACK_PRESET
