"""Export an experiment as a standalone PyTorch script: same data split, model, optimizer, schedule and seed."""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

from tui_trainer.core.data import DatasetError, dataset_info
from tui_trainer.core.spec.experiment import ConfigError, Experiment, LayerSpec, validate
from tui_trainer.core.spec.layers import resolved_args
from tui_trainer.core.spec.lr_change import read_changes, steps_and_rates
from tui_trainer.core.spec.poisoning import tampers
from tui_trainer.core.spec.summary import Shape, format_shape, summarize

_TEMPLATE = Path(__file__).with_name("export_template.txt")
_TABLES = {"iris": "load_iris", "wine": "load_wine", "breast-cancer": "load_breast_cancer"}
_RULE = "\n\n# ---------------------------------------------------------------- {}\n\n"
_OWN_SECTIONS = ("digits", "digits28", "moons", "circles", "blobs", "lecture-5x4", "spirals", "xor", "shapes")
_SKLEARN = ("digits", "digits28", "moons", "circles", "blobs", "lecture-5x4", *_TABLES)


class ExportError(Exception):
    """An experiment that cannot be exported (invalid, or its layers do not fit its data); for users."""


@dataclass(frozen=True)
class ExportSource:
    """What an export needs: the experiment, the shape of one sample and the class count."""

    experiment: Experiment
    input_shape: Shape
    n_classes: int
    origin: str
    """Where it came from, for the script's docstring ("run directory runs/...")."""
    checkpoint: Path | None = None
    """The run's best.pt, when exported from a run directory that has one."""
    lr_changes: tuple[tuple[int, float], ...] = ()
    """(optimizer steps done, new rate) of each change of the learning rate by hand while the run trained."""


def _sections() -> dict[str, str]:
    text = _TEMPLATE.read_text(encoding="utf-8")
    parts = re.split(r"^#### (\S+)\n", text, flags=re.M)
    return {name: body.rstrip() + "\n" for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def _section(name: str, **values: Any) -> str:
    return Template(_sections()[name]).substitute(values)


# ---------------------------------------------------------------- the model


def _layer_code(layer: LayerSpec, shape: Shape, n_classes: int, flat: str | None) -> str:
    """One nn.Sequential entry in the lecture's style: in_features / in_channels written out."""
    a = resolved_args(layer)
    kind = layer.type
    if kind == "Linear":
        out = a["out_features"] or n_classes
        return f"nn.Linear({flat or shape[0]}, {out}{'' if a['bias'] else ', bias=False'})"
    if kind == "Conv2d":
        extra = "".join(f", {k}={a[k]}" for k, default in (("stride", 1), ("padding", 0)) if a[k] != default)
        return f"nn.Conv2d({shape[0]}, {a['out_channels']}, kernel_size={a['kernel_size']}{extra})"
    if kind in ("MaxPool2d", "AvgPool2d"):
        stride = f", stride={a['stride']}" if a["stride"] is not None else ""
        return f"nn.{kind}(kernel_size={a['kernel_size']}{stride})"
    if kind == "BatchNorm":
        return f"nn.BatchNorm{'2d' if len(shape) == 3 else '1d'}({shape[0]})"
    if kind == "Dropout":
        return f"nn.Dropout(p={a['p']})"
    if kind == "LeakyReLU":
        return f"nn.LeakyReLU(negative_slope={a['negative_slope']})"
    if kind in ("Step", "Sign"):
        return f"{kind}()"
    return f"nn.{kind}()"


def model_code(experiment: Experiment, input_shape: Shape, n_classes: int) -> str:
    """The build_model() function (plus Step / Sign classes when used) for the experiment's layers."""
    summary = summarize(experiment.layers, input_shape, n_classes)
    if not summary.ok:
        raise ExportError(f"{experiment.name} does not fit {experiment.data.name}: {summary.problems[0]}")
    lines, shape, flat = [], tuple(input_shape), None
    for layer, row in zip(experiment.layers, summary.rows, strict=True):
        code = _layer_code(layer, shape, n_classes, flat)
        if layer.type == "Flatten" and len(shape) == 3:
            flat = " * ".join(str(d) for d in shape)
        elif row.output_shape != shape:
            flat = None
        shape = row.output_shape or shape
        lines.append(f"        {code + ',':<42}  # -> {format_shape(shape)}")
    used = {layer.type for layer in experiment.layers}
    classes = "".join(_section(k.lower()) + "\n\n" for k in ("Step", "Sign") if k in used)
    doc = (
        f"The {experiment.name} model: input {format_shape(tuple(input_shape))}, {n_classes} classes, "
        f"{summary.total_params:,} parameters (the loss applies the softmax)."
    )
    return classes + _section("model", model_doc=doc, layers="\n".join(lines))


# ---------------------------------------------------------------- the data


def _shapes_source() -> str:
    from tui_trainer.core.data import shapes

    parts = [
        f"SHAPES = {shapes.SHAPES!r}",
        f"SIZE = {shapes.SIZE}",
        f"_CHUNK = {shapes._CHUNK}",
        f"_MAX_TILT = {shapes._MAX_TILT}",
    ]
    for function in (shapes._box, shapes._triangle, shapes._distance, shapes.draw_shapes):
        parts.append(inspect.getsource(function).replace("    import numpy as np\n\n", ""))
    return "\n".join(parts[:4]) + "\n\n\n" + "\n\n".join(parts[4:]).rstrip()


def _data(experiment: Experiment) -> tuple[str, dict[str, Any], str]:
    """(load_raw code, extra settings, what the script needs) for the experiment's dataset."""
    from tui_trainer.core.data.loading import resolve_options
    from tui_trainer.core.data.registry import find_entry, user_path
    from tui_trainer.core.data.torchvision_sets import SETS

    d = experiment.data
    entry = find_entry(d.name)
    name, source = entry.info.name, entry.info.source
    if source == "generated":
        n_samples, noise = resolve_options(entry, d)
        values = {"N_SAMPLES": n_samples, "NOISE": noise, "DATA_SEED": d.data_seed}
    else:
        values = {"DATA_SEED": d.data_seed}
    needs = "torch, numpy and scikit-learn" if name in _SKLEARN else "torch and numpy"
    if name in _OWN_SECTIONS:
        extra = {"shapes_source": _shapes_source()} if name == "shapes" else {}
        return _section(name, **extra), values, needs
    if name in _TABLES:
        return _section("table", loader=_TABLES[name]), values, needs
    if name in SETS:
        tv = SETS[name]
        classes = "[str(d) for d in range(10)]" if name == "mnist" else "[str(c) for c in train.classes]"
        code = _section("torchvision", tv_class=tv.class_name, tv_classes=classes, title_name=tv.title)
        return code, {"DATA_DIR": d.data_dir, "DOWNLOAD": d.download, **values}, "torch, torchvision and numpy"
    if name.startswith("csv:"):
        return _section("csv"), {"CSV_PATH": user_path(name), "LABEL_COLUMN": d.label_column, **values}, needs
    if name.startswith("folder:"):
        settings = {"IMAGE_FOLDER": user_path(name), "IMAGE_SIZE": d.image_size, "GRAYSCALE": d.grayscale}
        return _section("folder"), {**settings, **values}, "torch, numpy and pillow"
    message = (
        f"exporting the loading of dataset {name!r} is not supported yet: write load_raw() to return "
        "x (N, features) or (N, channels, height, width), y (N,) class ids, the class names, None, None"
    )
    return _section("unsupported", message=repr(message)), values, needs


# ---------------------------------------------------------------- training


def _settings(experiment: Experiment, data_values: dict[str, Any]) -> str:
    t, d = experiment.train, experiment.data
    values: dict[str, Any] = {"DATASET": d.name, "VAL_FRACTION": d.val_fraction, **data_values}
    values.update(EPOCHS=t.epochs, BATCH_SIZE=t.batch_size, LR=t.lr)
    if t.optimizer in ("sgd", "rmsprop"):
        values["MOMENTUM"] = t.momentum
    if t.optimizer == "sgd":
        values["NESTEROV"] = t.nesterov
    values["WEIGHT_DECAY"] = t.weight_decay
    if t.schedule in ("step", "plateau"):
        values["STEP_SIZE"] = t.step_size
    if t.schedule in ("step", "exponential", "plateau"):
        values["GAMMA"] = t.gamma
    if t.init == "normal":
        values["INIT_STD"] = t.init_std
    values.update(LABEL_SMOOTHING=t.label_smoothing, GRAD_CLIP=t.grad_clip, PATIENCE=t.patience, SEED=t.seed)
    if t.threads:
        values["THREADS"] = t.threads
    lines = [f"{key} = {json.dumps(value) if isinstance(value, str) else repr(value)}" for key, value in values.items()]
    lines.append(f"DEVICE = {_device(t.device)}")
    return "\n".join(lines)


def _lr_changes_setting(lr_changes: tuple[tuple[int, float], ...]) -> str:
    """LR_CHANGES = {steps done: new rate}: the learning rate as it was changed by hand ("" without changes)."""
    if not lr_changes:
        return ""
    pairs = ", ".join(f"{step}: {lr!r}" for step, lr in lr_changes)
    return (
        "\n# the learning rate as it was changed by hand while the run trained: {optimizer steps done: new rate}\n"
        f"LR_CHANGES = {{{pairs}}}"
    )


def _device(device: str) -> str:
    if device == "auto":
        return '"cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"'
    return repr("cuda:0" if device == "cuda" else device)


_OPTIMIZERS = {
    "sgd": "torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, nesterov=NESTEROV, weight_decay=WEIGHT_DECAY)",
    "adam": "torch.optim.Adam(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)",
    "adamw": "torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)",
    "rmsprop": "torch.optim.RMSprop(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)",
}
_SCHEDULES = {
    "none": "",
    "step": "scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=STEP_SIZE, gamma=GAMMA)  # per epoch",
    "exponential": "scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=GAMMA)  # per epoch",
    "cosine": "scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * n_batches)  # per batch",
    "onecycle": "scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=LR, total_steps=EPOCHS * n_batches)",
    "plateau": "scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=GAMMA, patience=STEP_SIZE)",
}
_INITS = {
    "normal": (
        "Weights drawn from N(0, INIT_STD^2) as in the lecture; biases zero.",
        "nn.init.normal_(module.weight, 0.0, INIT_STD)",
    ),
    "xavier": ("Xavier (Glorot) uniform weights; biases zero.", "nn.init.xavier_uniform_(module.weight)"),
    "kaiming": (
        "Kaiming (He) normal weights for ReLU; biases zero.",
        'nn.init.kaiming_normal_(module.weight, nonlinearity="relu")',
    ),
}


def _speed(experiment: Experiment) -> dict[str, str]:
    """The training step and its set-up, with the opt-in speed-ups written out (the plain step when off).

    channels-last applies to models with Conv2d layers only, as in the engine."""
    t = experiment.train
    i = " " * 12
    clip = f"{i}torch.nn.utils.clip_grad_norm_(model.parameters(), GRAD_CLIP)\n" if t.grad_clip else ""
    amp = t.mixed_precision
    cl = t.channels_last and any(layer.type == "Conv2d" for layer in experiment.layers)
    setup = ""
    if amp:
        setup += (
            "    # mixed precision: float16 with a gradient scaler on CUDA, bfloat16 (no scaler needed) elsewhere\n"
            "    amp_device = torch.device(DEVICE).type\n"
            "    amp_dtype = torch.float16 if amp_device == 'cuda' else torch.bfloat16\n"
            "    scaler = torch.amp.GradScaler(amp_device, enabled=amp_device == 'cuda')\n"
        )
    if cl:
        setup += "    model.to(memory_format=torch.channels_last)  # NHWC: faster convolutions on recent GPUs\n"
    if t.compile:
        setup += "    forward = torch.compile(model)  # the first batches wait for the compiler\n"
    inputs = f"{i}xb = xb.contiguous(memory_format=torch.channels_last)\n" if cl else ""
    call = "forward(xb)" if t.compile else "model(xb)"
    if not amp:
        step = (
            f"{inputs}{i}logits = {call}\n"
            f"{i}loss = F.cross_entropy(logits, yb, label_smoothing=LABEL_SMOOTHING)\n"
            f"{i}optimizer.zero_grad(set_to_none=True)\n"
            f"{i}loss.backward()\n{clip}{i}optimizer.step()\n"
        )
    else:
        unscale = f"{i}scaler.unscale_(optimizer)\n" if t.grad_clip else ""
        step = (
            f"{inputs}{i}with torch.autocast(amp_device, dtype=amp_dtype):\n"
            f"{i}    logits = {call}\n"
            f"{i}    loss = F.cross_entropy(logits, yb, label_smoothing=LABEL_SMOOTHING)\n"
            f"{i}optimizer.zero_grad(set_to_none=True)\n"
            f"{i}scaler.scale(loss).backward()\n{unscale}{clip}"
            f"{i}scaler.step(optimizer)\n{i}scaler.update()\n"
        )
    return {
        "step": step,
        "speed_setup": setup,
        "eval_autocast": (
            ", torch.autocast(torch.device(DEVICE).type, "
            "dtype=torch.float16 if torch.device(DEVICE).type == 'cuda' else torch.bfloat16)"
        )
        if amp
        else "",
        "eval_format": ".contiguous(memory_format=torch.channels_last)" if cl else "",
    }


def _train(experiment: Experiment, checkpoint: Path | None, lr_changes: tuple[tuple[int, float], ...] = ()) -> str:
    t = experiment.train
    batch = {
        "cosine": "            scheduler.step()\n",
        "onecycle": "            if step + 1 < EPOCHS * n_batches:  # stepping past the last step would restart the cycle\n"
        "                scheduler.step()\n",
    }.get(t.schedule, "")
    epoch = {
        "step": "        scheduler.step()\n",
        "exponential": "        scheduler.step()\n",
        "plateau": "        scheduler.step(val_loss)\n",
    }.get(t.schedule, "")
    save = "# model.load_state_dict(torch.load(PATH, weights_only=True)['model']) loads tui-trainer's checkpoints"
    if checkpoint is not None:
        save = f"# the run's best weights: model.load_state_dict(torch.load({str(checkpoint)!r}, weights_only=True)['model'])"
    return _section(
        "train",
        threads="    torch.set_num_threads(THREADS)\n" if t.threads else "",
        init="    init_weights(model)\n" if t.init != "default" else "",
        **_speed(experiment),
        optimizer=_OPTIMIZERS[t.optimizer],
        scheduler_line=_SCHEDULES[t.schedule]
        or ("scheduler = None  # no learning-rate schedule" if lr_changes else "# no learning-rate schedule"),
        batch_schedule=batch,
        epoch_schedule=epoch,
        save_comment=save,
        **_restore_best(t.restore_best),
        **_hand_lr(lr_changes),
    )


def _restore_best(on: bool) -> dict[str, str]:
    """The lines that keep and restore the best epoch's weights (restore_best), or nothing."""
    if not on:
        return {"best_init": "", "best_track": "", "best_restore": ""}
    return {
        "best_init": "    best_epoch, best_accuracy, best_weights = None, -1.0, None\n",
        "best_track": (
            "        if best_epoch is None or val_accuracy > best_accuracy:  # restore_best: keep the best epoch's weights\n"
            "            best_epoch, best_accuracy = epoch, val_accuracy\n"
            "            best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}\n"
        ),
        "best_restore": (
            "    model.load_state_dict(best_weights)  # restore_best\n"
            "    val_accuracy = best_accuracy\n"
            '    print(f"restored the weights of epoch {best_epoch} (its best validation accuracy)")\n'
        ),
    }


def _hand_lr(lr_changes: tuple[tuple[int, float], ...]) -> dict[str, str]:
    """The script's lines that apply the learning rates changed by hand at the steps they were (none without)."""
    if not lr_changes:
        return {"lr_helper": "", "hand_lr": "", "hand_lr_epoch": "", "hand_lr_epoch_end": ""}
    return {
        "lr_helper": _section("lr_helper"),
        "hand_lr": "            if step in LR_CHANGES:  # changed by hand while the run trained\n"
        "                set_lr(optimizer, scheduler, LR_CHANGES[step])\n"
        "                hand_lr = LR_CHANGES[step]\n",
        "hand_lr_epoch": "        hand_lr = None\n",
        "hand_lr_epoch_end": "        lr = hand_lr if hand_lr is not None else lr  # as tui-trainer's metrics.csv\n",
    }


def export_script(source: ExportSource, filename: str = "train.py") -> str:
    """The standalone training script for an experiment (ExportError when it is invalid or does not fit)."""
    from tui_trainer import __version__

    experiment = source.experiment
    problems = validate(experiment)
    if problems:
        raise ExportError(str(problems[0]))
    try:
        data_code, data_values, needs = _data(experiment)
    except DatasetError as exc:
        raise ExportError(str(exc)) from None
    model = model_code(experiment, source.input_shape, source.n_classes)
    parts = [
        _section(
            "header",
            title=f"{experiment.name} on {experiment.data.name}: a standalone PyTorch training script."
            + (
                "\nNote: it trains on the clean labels: label_noise, poison_fraction and label_overrides are not "
                "reproduced here."
                if tampers(experiment.data)
                else ""
            ),
            version=__version__,
            origin=source.origin,
            needs=needs,
            filename=filename,
            dataset=experiment.data.name,
            settings=_settings(experiment, data_values) + _lr_changes_setting(source.lr_changes),
        ),
        _RULE.format("data"),
        data_code,
        "\n\n",
        _section("prepare"),
        _RULE.format("model"),
        model,
    ]
    if experiment.train.init != "default":
        doc, call = _INITS[experiment.train.init]
        parts += ["\n\n", _section("init", init_doc=doc, init_call=call)]
    parts += [_RULE.format("training"), _train(experiment, source.checkpoint, source.lr_changes)]
    return "".join(parts)


# ---------------------------------------------------------------- where the experiment comes from


def load_source(source: str | Path) -> ExportSource:
    """A run directory, an experiment TOML file or a preset name, with its data's shape; ExportError when unusable."""
    from tui_trainer.core.runs import RunError, read_experiment, read_summary
    from tui_trainer.core.spec.presets import load_preset

    path = Path(source)
    shape = classes = None
    checkpoint = None
    changes: tuple[tuple[int, float], ...] = ()
    try:
        if path.is_dir():
            experiment, origin = read_experiment(path), f"run directory {path}"
            try:
                summary = read_summary(path)
                shape, classes = summary.get("input_shape"), summary.get("class_names")
                changes = tuple(steps_and_rates(read_changes(summary)).items())
            except RunError:
                pass
            checkpoint = path / "best.pt" if (path / "best.pt").is_file() else None
        else:
            experiment, origin = load_preset(str(source)), f"experiment {source}"
    except (RunError, ConfigError) as exc:
        raise ExportError(str(exc)) from None
    if isinstance(shape, list) and isinstance(classes, list) and shape and classes:
        return ExportSource(experiment, tuple(int(d) for d in shape), len(classes), origin, checkpoint, changes)
    input_shape, n_classes = _data_shape(experiment)
    return ExportSource(experiment, input_shape, n_classes, origin, checkpoint, changes)


def _data_shape(experiment: Experiment) -> tuple[Shape, int]:
    """The dataset's sample shape and class count (user data is loaded to find them)."""
    try:
        info = dataset_info(experiment.data.name)
        if info.input_shape is not None and info.n_classes is not None:
            return tuple(info.input_shape), info.n_classes
        from tui_trainer.core.data import load_dataset

        bundle = load_dataset(experiment.data)
        return tuple(bundle.input_shape), bundle.n_classes
    except DatasetError as exc:
        raise ExportError(str(exc)) from None
