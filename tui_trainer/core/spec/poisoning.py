"""The label-noise and backdoor options checked against a dataset's kind and classes (torch-free)."""

from __future__ import annotations

from tui_trainer.core.spec.experiment import DataSpec, Problem

TRIGGER_SIZE = 3
"""The backdoor trigger: a TRIGGER_SIZE x TRIGGER_SIZE square in the bottom-right corner of each image."""

POISONING_FIELDS = frozenset(
    f"data.{name}"
    for name in ("label_noise", "noise_kind", "noise_from", "noise_to", "poison_fraction", "poison_target")
)
"""The options poisoning_problems judges against the data."""


def poisoning_options(data: DataSpec, kind: str | None) -> tuple[str, ...]:
    """The noise and poison options the Data tab shows for a dataset of this kind: label noise always (the
    classes of targeted noise only for it), the backdoor for images (and unknown kinds), the overrides file."""
    options = ["label_noise", "noise_kind"]
    if data.noise_kind == "targeted":
        options += ["noise_from", "noise_to"]
    if kind in (None, "image"):
        options += ["poison_fraction", "poison_target"]
    return (*options, "label_overrides")


def tampers(data: DataSpec) -> bool:
    """Whether the data options corrupt the training split at all (noise, a backdoor or overrides)."""
    return data.label_noise > 0 or data.poison_fraction > 0 or bool(data.label_overrides)


def poisoning_problems(data: DataSpec, kind: str | None, n_classes: int | None) -> list[Problem]:
    """What the noise and backdoor options cannot do on this dataset: a class id it does not have, a backdoor
    on data that is not images. kind ("image", "tabular", "2d") and n_classes: None while unknown (csv:/folder:
    before loading), then those checks wait for the data (make_bundle raises the same words)."""
    problems = []
    classes = f"0 to {n_classes - 1}" if n_classes else ""
    if data.label_noise > 0 and data.noise_kind == "targeted" and n_classes is not None:
        for name in ("noise_from", "noise_to"):
            value = getattr(data, name)
            if value >= n_classes:
                problems.append(Problem(f"data.{name}", f"must be a class of {data.name} ({classes}), not {value}"))
    if data.poison_fraction > 0:
        if kind is not None and kind != "image":
            problems.append(
                Problem(
                    "data.poison_fraction",
                    f"needs an image dataset: {data.name} is {kind} data, with no pixels to stamp a trigger on "
                    "(set it to 0)",
                )
            )
        elif n_classes is not None and data.poison_target >= n_classes:
            problems.append(
                Problem(
                    "data.poison_target",
                    f"must be a class of {data.name} ({classes}), not {data.poison_target}",
                )
            )
    return problems
