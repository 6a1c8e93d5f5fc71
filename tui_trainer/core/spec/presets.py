"""Presets: TOML experiments shipped in presets/ plus the user's own; find, list, load and save."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tui_trainer.core.spec.experiment import ConfigError, Experiment, LayerSpec, load, save


class PresetError(ConfigError):
    """An unknown or unreadable preset; the message is for users."""


@dataclass(frozen=True)
class PresetInfo:
    """A preset as listed: its name, one-line description, file and whether it ships with the tool."""

    name: str
    description: str
    path: Path
    builtin: bool


def builtin_presets_dir() -> Path:
    """Presets shipped with the package (inside the wheel), or the repo's presets/ in a checkout."""
    package = Path(__file__).resolve().parents[2]  # tui_trainer/
    packaged = package / "presets"
    if packaged.is_dir():
        return packaged
    return package.parent / "presets"


def user_presets_dir() -> Path:
    """Where the user's own presets live ($TUI_TRAINER_PRESETS, else ~/.config/tui-trainer/presets)."""
    override = os.environ.get("TUI_TRAINER_PRESETS")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "tui-trainer" / "presets"


def _describe(path: Path) -> str:
    try:
        return str(tomllib.loads(path.read_text(encoding="utf-8")).get("description", ""))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return "(unreadable preset file)"


def list_presets() -> list[PresetInfo]:
    """Built-in presets first (sorted as shipped), then the user's; a user preset can shadow none."""
    found: dict[str, PresetInfo] = {}
    for directory, builtin in ((builtin_presets_dir(), True), (user_presets_dir(), False)):
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            if path.stem not in found:
                found[path.stem] = PresetInfo(path.stem, _describe(path), path, builtin)
    order = ["perceptron", "mlp", "deep-mlp", "lenet5", "cnn-bn", "cifar-cnn"]
    return sorted(found.values(), key=lambda p: (not p.builtin, order.index(p.name) if p.name in order else 99, p.name))


def load_preset(name_or_path: str) -> Experiment:
    """A preset by name, or any experiment TOML file by path; raises PresetError when not found."""
    candidate = Path(name_or_path)
    if name_or_path.endswith(".toml") or candidate.is_file():
        if not candidate.is_file():
            raise PresetError(f"preset file {name_or_path} does not exist")
        return load(candidate)
    for directory in (builtin_presets_dir(), user_presets_dir()):
        path = directory / f"{name_or_path}.toml"
        if path.is_file():
            return load(path)
    names = ", ".join(p.name for p in list_presets())
    raise PresetError(f"unknown preset {name_or_path!r} (presets: {names})")


STACK_WORDS = 8
"""The most layers a saved preset's description names one by one."""


def stack_text(layers: tuple[LayerSpec, ...] | list[LayerSpec]) -> str:
    """A layer stack in words: "Flatten Linear(64) ReLU Linear" (the arguments set, by value)."""
    words = [
        f"{layer.type}({', '.join(str(v) for v in layer.args.values())})" if layer.args else layer.type
        for layer in layers
    ]
    if len(words) > STACK_WORDS:
        words = [*words[: STACK_WORDS - 1], f"... ({len(words)} layers)"]
    return " ".join(words) or "no layers"


def saved_description(experiment: Experiment) -> str:
    """A saved preset's own description: its layers and the preset it was saved from."""
    return f"{stack_text(experiment.layers)}: saved from {experiment.name}"


def save_user_preset(experiment: Experiment, name: str) -> Path:
    """Save an experiment as a user preset called name, described by its own layers (saved_description,
    not the source preset's description, which need not fit the edited stack); returns its path."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise PresetError("a preset name uses letters, digits, '-', '_' and '.', starting with a letter or digit")
    if any(p.name == name and p.builtin for p in list_presets()):
        raise PresetError(f"{name!r} is a built-in preset: choose another name")
    directory = user_presets_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.toml"
        from dataclasses import replace

        save(replace(experiment, name=name, description=saved_description(experiment)), path)
    except OSError as exc:
        raise PresetError(f"cannot save preset in {directory}: {exc.strerror or exc}") from None
    return path
