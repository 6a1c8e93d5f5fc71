"""Experiment configuration: frozen dataclasses, TOML in/out and field-by-field validation."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui_trainer.core.spec.layers import LayerSpec, Value, check_layer
from tui_trainer.core.spec.numbers import number_text

__all__ = ["LayerSpec", "Value"]  # re-exported: an Experiment is built from them


class ConfigError(ValueError):
    """A config that cannot be read at all (bad TOML, wrong structure); the message is for users."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an experiment: which field, and why, in words a student understands."""

    field: str
    """The setting at fault (e.g. "train.lr", "model"); "" when no one setting is (a dataset that cannot load)."""
    message: str
    hint: str = ""
    """What to try next, when the message alone does not say."""

    def __str__(self) -> str:
        """The problem as one line naming the field as the user sees it: "learning rate (lr) must be greater
        than 0, not -1" (a layer's message names its layer itself)."""
        title = field_title(self.field)
        if not title:
            return self.message
        return f"{title}{' ' if self.message.startswith(('must ', 'needs ')) else ': '}{self.message}"


def _opt(
    label: str,
    default: Any,
    help: str,
    *,
    min: float | None = None,
    max: float | None = None,
    choices: tuple[str, ...] | None = None,
    min_exclusive: bool = False,
) -> Any:
    """A dataclass field carrying its label (the setting in words, for messages), the help text and the
    allowed range used by validation and the UI."""
    meta = {"label": label, "help": help, "min": min, "max": max, "choices": choices, "min_exclusive": min_exclusive}
    return field(default=default, metadata=meta)


OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("none", "step", "exponential", "cosine", "onecycle", "plateau")
INITS = ("default", "normal", "xavier", "kaiming")
NOISE_KINDS = ("symmetric", "pair", "targeted")


@dataclass(frozen=True)
class DataSpec:
    """Which dataset to train on and how to split it."""

    name: str = _opt("dataset", "digits", "Dataset name from the registry, or csv:PATH / folder:PATH.")
    val_fraction: float = _opt(
        "validation share",
        0.2,
        "Share of the data held out for validation: the model never trains on it, so it shows "
        "how well the model does on unseen data.",
        min=0.05,
        max=0.9,
    )
    n_samples: int = _opt(
        "samples", 0, "Samples to generate for generated datasets (0 = the dataset's default).", min=0, max=1_000_000
    )
    noise: float = _opt("noise", -1.0, "Noise of generated datasets (-1 = the dataset's default).", min=-1.0, max=10.0)
    data_seed: int = _opt("data seed", 0, "Seed for generating and splitting the data.", min=0, max=2**31 - 1)
    data_dir: str = _opt("data folder", "data", "Folder holding downloaded datasets (torchvision sets).")
    download: bool = _opt("download", False, "Download torchvision datasets when missing (needs network).")
    label_column: str = _opt("label column", "", "CSV only: the label column's name (empty = the last column).")
    image_size: int = _opt(
        "image size", 28, "Image folders only: images are resized to this square size.", min=4, max=256
    )
    grayscale: bool = _opt("greyscale", True, "Image folders only: convert images to one grey channel.")
    label_noise: float = _opt(
        "label noise",
        0.0,
        "Share of training labels made wrong on purpose (validation stays clean): watch validation accuracy "
        "peak, then fall as the model memorises them.",
        min=0.0,
        max=0.9,
    )
    noise_kind: str = _opt(
        "kind of label noise",
        "symmetric",
        "symmetric: a flipped label becomes any other class; pair: class i becomes i+1; targeted: that share "
        "of class noise_from becomes noise_to.",
        choices=NOISE_KINDS,
    )
    noise_from: int = _opt(
        "noisy class", 0, "Targeted label noise: the class whose labels are flipped.", min=0, max=9999
    )
    noise_to: int = _opt("flipped-to class", 1, "Targeted label noise: the class they become.", min=0, max=9999)
    poison_fraction: float = _opt(
        "backdoor share",
        0.0,
        "Images only: share of training images of other classes stamped with a 3x3 white square (bottom-right) "
        "and relabelled poison_target: a poisoned model obeys the trigger.",
        min=0.0,
        max=0.5,
    )
    poison_target: int = _opt(
        "backdoor target", 0, "The class the backdoor trigger makes the model say.", min=0, max=9999
    )
    label_overrides: str = _opt(
        "label overrides",
        "",
        "A label_overrides.json written by the review queue: training labels corrected or dropped (empty = none).",
    )


DATASET_OPTIONS = ("label_column", "n_samples", "noise", "label_overrides")
"""DataSpec options that belong to one dataset: choosing another dataset resets them (Experiment.with_dataset)."""


@dataclass(frozen=True)
class TrainSpec:
    """How to train: optimizer, learning rate and its schedule, batches, epochs, device."""

    optimizer: str = _opt(
        "optimizer",
        "sgd",
        "How gradients become steps: SGD follows the gradient (with momentum it keeps a velocity); "
        "Adam/AdamW/RMSprop scale each weight's step by its gradient history.",
        choices=OPTIMIZERS,
    )
    lr: float = _opt(
        "learning rate",
        0.05,
        "Learning rate: the size of each gradient-descent step. Too small learns slowly, too large "
        "overshoots or diverges (NaN).",
        min=0.0,
        max=100.0,
        min_exclusive=True,
    )
    momentum: float = _opt(
        "momentum",
        0.9,
        "SGD/RMSprop: share of the previous step kept in the next one (smooths noisy steps).",
        min=0.0,
        max=0.999,
    )
    nesterov: bool = _opt("Nesterov momentum", False, "SGD: look-ahead momentum (needs momentum > 0).")
    weight_decay: float = _opt(
        "weight decay", 0.0, "L2 penalty pulling weights towards zero; fights overfitting.", min=0.0, max=1.0
    )
    batch_size: int = _opt(
        "batch size",
        64,
        "Samples per mini-batch: one gradient step per batch. Small batches give noisy but many "
        "steps; large ones smooth but few.",
        min=1,
        max=65536,
    )
    epochs: int = _opt("epochs", 10, "Passes over the whole training set.", min=1, max=10_000)
    schedule: str = _opt(
        "learning-rate schedule",
        "none",
        "Learning-rate decay: step (multiply by gamma every step_size epochs), exponential (by gamma "
        "every epoch), cosine, one-cycle (warm up then anneal), plateau (cut when val loss stalls).",
        choices=SCHEDULES,
    )
    step_size: int = _opt(
        "decay step",
        5,
        "Step decay: epochs between learning-rate cuts; plateau: epochs without a better val loss before a cut.",
        min=1,
        max=10_000,
    )
    gamma: float = _opt(
        "decay factor",
        0.5,
        "Step/exponential/plateau decay: factor the learning rate is multiplied by.",
        min=0.0,
        max=1.0,
        min_exclusive=True,
    )
    init: str = _opt(
        "weight initialisation",
        "default",
        "Weight initialisation: PyTorch's default, normal N(0, init_std^2) as in the lecture, "
        "Xavier (for tanh/sigmoid) or Kaiming (for ReLU).",
        choices=INITS,
    )
    init_std: float = _opt(
        "initial weights' spread",
        0.01,
        "Standard deviation of the normal initialisation.",
        min=0.0,
        max=10.0,
        min_exclusive=True,
    )
    label_smoothing: float = _opt(
        "label smoothing",
        0.0,
        "Cross-entropy target smoothing: the true class gets 1-e, the rest share e.",
        min=0.0,
        max=0.99,
    )
    grad_clip: float = _opt(
        "gradient clipping", 0.0, "Clip the gradient norm to this value (0 = off).", min=0.0, max=1e6
    )
    patience: int = _opt(
        "early-stopping patience",
        0,
        "Early stopping: stop after this many epochs without a better val loss (0 = off).",
        min=0,
        max=10_000,
    )
    restore_best: bool = _opt(
        "restore the best weights",
        False,
        "End a finished run with the weights of its best validation epoch (the best validation accuracy, "
        "as best.pt) instead of its last: the final metrics and the test accuracy are then that epoch's.",
    )
    seed: int = _opt("seed", 0, "Random seed: same experiment + seed gives the same run on CPU.", min=0, max=2**31 - 1)
    device: str = _opt("device", "auto", "Where to train: auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps.")
    threads: int = _opt(
        "CPU threads",
        0,
        "CPU threads for torch (0 = auto: all cores; all but one when the app trains in a thread of its own process).",
        min=0,
        max=512,
    )
    mixed_precision: bool = _opt(
        "mixed precision",
        False,
        "Mixed precision: float16 on CUDA (with a gradient scaler), bfloat16 elsewhere. Faster on GPUs "
        "with tensor cores; results differ slightly from float32.",
    )
    channels_last: bool = _opt(
        "channels-last layout",
        False,
        "Keep image batches and convolution weights channels-last (NHWC): faster convolutions on recent "
        "GPUs; no effect without Conv2d.",
    )
    compile: bool = _opt(
        "compiling",
        False,
        "Compile the model with torch.compile: the first batches wait for the compiler, later ones run "
        "faster (mostly on GPUs; needs a C compiler on CPUs, else training goes on without it).",
    )


@dataclass(frozen=True)
class Experiment:
    """Everything that defines a run: data, model layers and training options."""

    name: str = "experiment"
    """Short name (the preset it came from, or the user's)."""
    description: str = ""
    """One line on what this experiment shows."""
    data: DataSpec = field(default_factory=DataSpec)
    layers: tuple[LayerSpec, ...] = ()
    """The model as an ordered stack of layers."""
    train: TrainSpec = field(default_factory=TrainSpec)

    def replace_layers(self, layers: list[LayerSpec] | tuple[LayerSpec, ...]) -> Experiment:
        """A copy with another layer stack."""
        return dataclasses.replace(self, layers=tuple(layers))

    def with_data(self, **changes: Any) -> Experiment:
        """A copy with data options changed."""
        return dataclasses.replace(self, data=dataclasses.replace(self.data, **changes))

    def with_dataset(self, name: str) -> Experiment:
        """A copy on another dataset: the options that describe one dataset's data (DATASET_OPTIONS: a CSV's
        label column, a generated set's size and noise) go back to their defaults; the rest stay."""
        if name == self.data.name:
            return self
        defaults = {option: spec_fields(DataSpec)[option].default for option in DATASET_OPTIONS}
        return self.with_data(name=name, **defaults)

    def with_train(self, **changes: Any) -> Experiment:
        """A copy with training options changed."""
        return dataclasses.replace(self, train=dataclasses.replace(self.train, **changes))


def spec_fields(spec_type: type) -> dict[str, dataclasses.Field]:
    """The dataclass fields of DataSpec or TrainSpec by name."""
    return {f.name: f for f in dataclasses.fields(spec_type)}


def field_label(spec_type: type, name: str) -> str:
    """A config field's name as the user reads it: "learning rate (lr)"; just the name when the label is
    only the name in words ("epochs", "batch_size")."""
    label = spec_fields(spec_type)[name].metadata.get("label", "")
    if not label or label.replace(" ", "_").lower() == name:
        return name
    return f"{label} ({name})"


def field_title(field: str) -> str:
    """A Problem's field in words: "train.lr" -> "learning rate (lr)", "data.name" -> "dataset (name)";
    "" for no field and for a layer ("layers[2]": its message names the layer)."""
    if not field or field.startswith("layers"):
        return ""
    section, _, name = field.partition(".")
    spec_type = {"train": TrainSpec, "data": DataSpec}.get(section)
    if spec_type is not None and name in spec_fields(spec_type):
        return field_label(spec_type, name)
    return field


def field_help(spec_type: type, name: str) -> str:
    """The one-line help of a config field."""
    return spec_fields(spec_type)[name].metadata.get("help", "")


def _type_name(tp: Any) -> str:
    return {int: "an integer", float: "a number", bool: "true or false", str: "text"}.get(tp, str(tp))


def field_type(spec_type: type, name: str) -> type:
    """The Python type (int, float, bool, str) of a config field."""
    f = spec_fields(spec_type)[name]
    return {"int": int, "float": float, "bool": bool, "str": str}[str(f.type)]


def parse_value(spec_type: type, name: str, text: str) -> Value:
    """Turn user text into a field's type; raises ValueError with a readable message."""
    tp = field_type(spec_type, name)
    title = field_label(spec_type, name)
    text = text.strip()
    if tp is bool:
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{title} must be true or false, not {text!r}")
    if tp is int:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{title} must be an integer, not {text!r}") from None
        if not number.is_integer():
            raise ValueError(f"{title} must be an integer, not {text!r}")
        return int(number)
    if tp is float:
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{title} must be a number, not {text!r}") from None
    return text


def check_field(spec_type: type, name: str, value: Any) -> str | None:
    """Why a value is not allowed for a field, or None when it is fine."""
    f = spec_fields(spec_type)[name]
    tp = field_type(spec_type, name)
    meta = f.metadata
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
        return f"must be {_type_name(tp)}, not {value!r}"
    if tp is float and not math.isfinite(value):
        return f"must be a finite number, not {value!r}"
    choices = meta.get("choices")
    if choices and value not in choices:
        return f"must be one of {', '.join(choices)}, not {value!r}"
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None:
        if meta.get("min_exclusive") and value <= lo:
            return f"must be greater than {number_text(lo)}, not {number_text(value)}"
        if value < lo:
            return f"must be at least {number_text(lo)}, not {number_text(value)}"
    if hi is not None and value > hi:
        return f"must be at most {number_text(hi)}, not {number_text(value)}"
    return None


def _check_spec(prefix: str, spec: Any) -> list[Problem]:
    problems = []
    for name in spec_fields(type(spec)):
        why = check_field(type(spec), name, getattr(spec, name))
        if why:
            problems.append(Problem(f"{prefix}.{name}", why))
    return problems


def validate(experiment: Experiment) -> list[Problem]:
    """Every problem of the experiment's values (not its fit to a dataset: see model.summarize)."""

    problems = _check_spec("data", experiment.data) + _check_spec("train", experiment.train)
    t = experiment.train
    if t.nesterov and t.optimizer == "sgd" and t.momentum <= 0:
        problems.append(Problem("train.nesterov", f"needs momentum > 0, not {number_text(t.momentum)}"))
    device = t.device
    if isinstance(device, str) and not (
        device in ("auto", "cpu", "cuda", "mps") or (device.startswith("cuda:") and device[5:].isdigit())
    ):
        problems.append(Problem("train.device", f"must be auto, cpu, cuda, cuda:N or mps, not {device!r}"))
    d = experiment.data
    if d.noise_kind == "targeted" and d.label_noise > 0 and d.noise_from == d.noise_to:
        problems.append(
            Problem("data.noise_to", f"must differ from noise_from ({d.noise_from}): a label flipped to itself")
        )
    if not experiment.layers:
        problems.append(Problem("layers", "the model has no layers: add at least one Linear layer"))
    for index, layer in enumerate(experiment.layers, start=1):
        for why in check_layer(layer):
            problems.append(Problem(f"layers[{index}]", f"layer {index} {layer.type}: {why}"))
    if t.batch_size == 1 and any(layer.type == "BatchNorm" for layer in experiment.layers):
        problems.append(
            Problem(
                "train.batch_size",
                "must be at least 2 with BatchNorm layers, not 1: BatchNorm normalises over the batch and cannot "
                "learn from a batch of 1 (or remove the BatchNorm layers)",
            )
        )
    return problems


# ---------------------------------------------------------------- TOML in and out


def _spec_from_table(spec_type: type, table: Any, where: str) -> Any:
    if table is None:
        return spec_type()
    if not isinstance(table, dict):
        raise ConfigError(f"[{where}] must be a table")
    known = spec_fields(spec_type)
    unknown = sorted(set(table) - set(known))
    if unknown:
        raise ConfigError(f"unknown key {where}.{unknown[0]} (known: {', '.join(known)})")
    values = {}
    for key, value in table.items():
        tp = field_type(spec_type, key)
        if tp is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        values[key] = value
    return spec_type(**values)


def experiment_from_dict(doc: dict[str, Any]) -> Experiment:
    """Build an Experiment from a parsed TOML document; raises ConfigError on bad structure."""
    known = {"name", "description", "data", "model", "train"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise ConfigError(f"unknown top-level key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    layers = []
    model = doc.get("model", {})
    if not isinstance(model, dict):
        raise ConfigError("[model] must be a table with a layers list")
    if set(model) - {"layers"}:
        raise ConfigError(f"unknown key model.{sorted(set(model) - {'layers'})[0]} (known: layers)")
    if not isinstance(model.get("layers", []), list):
        raise ConfigError('model.layers must be a list of layers, e.g. [[model.layers]] then type = "Linear"')
    for i, raw in enumerate(model.get("layers", []), start=1):
        if not isinstance(raw, dict) or "type" not in raw:
            raise ConfigError(f'model.layers[{i}] needs a type, e.g. type = "Linear"')
        args = {k: v for k, v in raw.items() if k != "type"}
        layers.append(LayerSpec(str(raw["type"]), args))
    return Experiment(
        name=str(doc.get("name", "experiment")),
        description=str(doc.get("description", "")),
        data=_spec_from_table(DataSpec, doc.get("data"), "data"),
        layers=tuple(layers),
        train=_spec_from_table(TrainSpec, doc.get("train"), "train"),
    )


def experiment_to_dict(experiment: Experiment) -> dict[str, Any]:
    """A plain dict that TOML (or JSON) can hold."""
    return {
        "name": experiment.name,
        "description": experiment.description,
        "data": dataclasses.asdict(experiment.data),
        "train": dataclasses.asdict(experiment.train),
        "model": {
            "layers": [
                # None means "the catalogue default" (as in LayerSpec.with_args); TOML has no null
                {"type": layer.type, **{k: v for k, v in layer.args.items() if v is not None}}
                for layer in experiment.layers
            ]
        },
    }


def loads(text: str) -> Experiment:
    """Parse TOML text into an Experiment; raises ConfigError with a readable message."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError("not valid TOML: arrays or tables nested too deeply") from None
    try:
        return experiment_from_dict(doc)
    except TypeError as exc:
        raise ConfigError(str(exc)) from None


def dumps(experiment: Experiment) -> str:
    """The experiment as TOML text."""
    import tomli_w

    return tomli_w.dumps(experiment_to_dict(experiment))


def load(path: str | Path) -> Experiment:
    """Read an experiment TOML file; raises ConfigError when missing or malformed."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"cannot read {path}: it is not UTF-8 text") from None
    try:
        return loads(text)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def save(experiment: Experiment, path: str | Path) -> None:
    """Write an experiment as TOML atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(experiment), encoding="utf-8")
    tmp.replace(path)


# ---------------------------------------------------------------- changes from the command line


def merge_tables(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """base with override's values, tables merged key by key ([model] is replaced whole)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "model":
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = value
    return merged


def with_config_file(experiment: Experiment, path: str | Path) -> Experiment:
    """The experiment with the values of an experiment TOML file laid over it (`--config`); ConfigError
    when the file cannot be read or does not fit."""
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not valid TOML: it is not UTF-8 text") from None
    except RecursionError:
        raise ConfigError(f"{path} is not valid TOML: arrays or tables nested too deeply") from None
    try:
        return experiment_from_dict(merge_tables(experiment_to_dict(experiment), doc))
    except TypeError as exc:
        raise ConfigError(str(exc)) from None


def with_setting(experiment: Experiment, assignment: str) -> Experiment:
    """The experiment with one `KEY=VALUE` applied (`--set`): KEY a training or data option, optionally
    prefixed `train.` / `data.`; ConfigError for an unknown key or a value that does not parse."""
    if "=" not in assignment:
        raise ConfigError(f"--set needs KEY=VALUE, not {assignment!r}")
    key, _, text = assignment.partition("=")
    key = key.strip().removeprefix("train.").removeprefix("data.")
    for spec_type, apply in ((TrainSpec, experiment.with_train), (DataSpec, experiment.with_data)):
        if key in spec_fields(spec_type):
            try:
                return apply(**{key: parse_value(spec_type, key, text)})
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
    known = ", ".join([*spec_fields(TrainSpec), *spec_fields(DataSpec)])
    raise ConfigError(f"unknown setting {key!r} (settings: {known})")


def with_data_and_settings(
    experiment: Experiment, data: dict[str, Any] | None = None, settings: Sequence[str] = ()
) -> Experiment:
    """The experiment with these data options (--dataset, --data-dir, --download), then each `KEY=VALUE` setting
    in order, validated: what `train`, `sweep` and the app's command line apply after the preset and --config.
    ConfigError for a bad setting or the first problem of the result."""
    experiment = experiment.with_data(**(data or {}))
    for assignment in settings:
        experiment = with_setting(experiment, assignment)
    problems = validate(experiment)
    if problems:
        raise ConfigError(str(problems[0]))
    return experiment
