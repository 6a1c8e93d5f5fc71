"""A robustness evaluation as plain values: the request (attacks, eps, corruptions), its checks, progress and result.

Torch-free: the app's process builds requests and draws results; core/analysis computes them where training runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from tui_trainer.core.spec.events import BackdoorResult

ATTACKS = ("fgsm", "pgd")
"""The adversarial attacks: FGSM (one signed-gradient step) and PGD (L-infinity, random start, PGD_STEPS steps)."""
PGD_STEPS = 10
"""PGD's steps (Madry et al. 2018 use 7-40; 10 is the common MNIST/CIFAR evaluation)."""
PGD_STEP_FRACTION = 0.25
"""PGD's step size as a share of eps (2.5 * eps / steps with 10 steps: Madry et al.'s rule), so the steps can
cross the eps-ball from the random start."""
DEFAULT_EPS = (0.0, 0.05, 0.1, 0.2, 0.3)
"""Perturbation sizes, in the data's raw scale: pixels in [0, 1], features in standard deviations."""
SEVERITIES = (1, 2, 3, 4, 5)
"""The corruptions' severities (0 is the clean data)."""
CHECKPOINTS = ("best", "last")

IMAGE = "image"
FEATURES = "features"
POINTS = "2d"

CORRUPTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "gaussian_noise": ("gaussian", (IMAGE,), "normal noise added to every pixel"),
    "shot_noise": ("shot", (IMAGE,), "Poisson (photon-count) noise"),
    "impulse_noise": ("impulse", (IMAGE,), "salt-and-pepper pixels"),
    "blur": ("blur", (IMAGE,), "Gaussian blur"),
    "rotation": ("rotate", (IMAGE, POINTS), "rotated images; 2-D points rotated about the training mean"),
    "translation": ("translate", (IMAGE,), "the image shifted"),
    "scale": ("scale", (IMAGE,), "the image shrunk about its centre"),
    "brightness": ("bright", (IMAGE,), "every pixel brighter"),
    "contrast": ("contrast", (IMAGE,), "pixels pulled towards the image's mean"),
    "inversion": ("invert", (IMAGE,), "pixels blended towards their negative"),
    "occlusion": ("occlude", (IMAGE,), "a black square over part of the image"),
    "feature_noise": ("noise", (FEATURES, POINTS), "normal noise added to every feature (in standard deviations)"),
    "shift": ("shift", (FEATURES, POINTS), "every sample moved the same way (a shifted distribution)"),
}
"""Each corruption: its short label (drawn under a sample), the data kinds it applies to, what it does."""


def data_kind(catalogue_kind: str, input_shape: tuple[int, ...] | None = None) -> str:
    """The kind a corruption applies to: image, 2d (two features) or features (any other feature rows)."""
    if catalogue_kind == "image" or (input_shape is not None and len(input_shape) == 3):
        return IMAGE
    if catalogue_kind == "2d" or (input_shape is not None and tuple(input_shape) == (2,)):
        return POINTS
    return FEATURES


def corruptions_for(kind: str) -> tuple[str, ...]:
    """The corruptions that apply to a data kind, in catalogue order."""
    return tuple(name for name, (_, kinds, _) in CORRUPTIONS.items() if kind in kinds)


def short_label(name: str) -> str:
    """A corruption's short label ("gaussian" for gaussian_noise)."""
    return CORRUPTIONS[name][0] if name in CORRUPTIONS else name


class RobustnessInputError(ValueError):
    """Bad input for an evaluation: the message is one line for users."""


def parse_eps(text: str) -> tuple[float, ...]:
    """ "0,0.05,0.1" -> (0.0, 0.05, 0.1): sorted, without repeats; RobustnessInputError for a bad or negative value."""
    values = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise RobustnessInputError(
                f"eps must be numbers separated by commas (e.g. 0,0.1,0.3), not {part!r}"
            ) from None
        if not math.isfinite(value) or value < 0:
            raise RobustnessInputError(f"eps must be 0 or more (a perturbation size), not {part}")
        values.append(value)
    if not values:
        raise RobustnessInputError("give at least one eps, e.g. --eps 0,0.1,0.3")
    return tuple(sorted(set(values)))


def parse_attacks(text: str) -> tuple[str, ...]:
    """ "fgsm,pgd" -> ("fgsm", "pgd"); "" or "none" -> (); RobustnessInputError for an unknown attack."""
    names = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    if names == ("none",):
        return ()
    for name in names:
        if name not in ATTACKS:
            raise RobustnessInputError(f"unknown attack {name!r}: choose from {', '.join(ATTACKS)} (or none)")
    return names


def parse_corruptions(text: str, kind: str) -> tuple[str, ...]:
    """ "all" -> every corruption for the kind; "blur,rotation" -> those; "none" -> (). RobustnessInputError for an
    unknown name or one that cannot apply to the data (rotation on tabular data)."""
    names = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    if names == ("all",):
        return corruptions_for(kind)
    if names == ("none",) or not names:
        return ()
    fits = corruptions_for(kind)
    for name in names:
        if name not in CORRUPTIONS:
            raise RobustnessInputError(f"unknown corruption {name!r}: choose from all, none, {', '.join(CORRUPTIONS)}")
        if name not in fits:
            what = {IMAGE: "images", POINTS: "2-D points", FEATURES: "tabular data"}[kind]
            raise RobustnessInputError(
                f"the corruption {name} cannot apply to {what}: for {what} use {', '.join(fits)} (or all)"
            )
    return names


@dataclass(frozen=True)
class RobustnessRequest:
    """One evaluation of a saved run's model on its validation split."""

    run_dir: str
    attacks: tuple[str, ...] = ATTACKS
    eps: tuple[float, ...] = DEFAULT_EPS
    """Perturbation sizes in the raw scale (pixels in [0, 1], features in standard deviations); 0 = clean."""
    corruptions: tuple[str, ...] | None = None
    """Names from CORRUPTIONS; None: every one that applies to the data."""
    checkpoint: str = "best"
    """Which checkpoint: best.pt (best validation accuracy) or last.pt."""
    sample: int = 0
    """Which validation sample is drawn: the sample-th one the model classifies right (modulo their number)."""
    seed: int = 0
    """Seeds the corruptions' noise and PGD's random start."""
    device: str = ""
    """Where to compute ("" = the run's own device setting)."""


@dataclass(frozen=True)
class RobustnessProgress:
    """How far an evaluation is: done of total steps, and what it computes now."""

    done: int
    total: int
    what: str


@dataclass(frozen=True)
class AttackPoint:
    """Accuracy under one attack at one eps."""

    name: str
    eps: float
    accuracy: float


@dataclass(frozen=True)
class CorruptionPoint:
    """Accuracy under one corruption at one severity."""

    name: str
    severity: int
    accuracy: float


Pixels = tuple[tuple[tuple[int, int, int], ...], ...]
"""One image as rows of RGB pixels (0-255)."""


@dataclass(frozen=True)
class Prediction:
    """What the model says about one input: its class, that class's probability, and the true class's."""

    label: int
    probability: float
    true_probability: float


@dataclass(frozen=True)
class AdversarialSample:
    """One validation sample under one attack at one eps: the three images and both predictions."""

    attack: str
    eps: float
    original: Pixels
    perturbation: Pixels
    """The change to each pixel, grey = none, lighter = brighter, darker = darker (scaled to +-eps)."""
    adversarial: Pixels
    clean: Prediction
    attacked: Prediction


@dataclass(frozen=True)
class SampleViews:
    """The drawn sample: its class, the original, each corruption at each severity, and the adversarial versions."""

    index: int
    label: int
    original: Pixels = ()
    corrupted: tuple[tuple[str, int, Pixels], ...] = ()
    """(corruption, severity, image) for images; empty for feature rows."""
    adversarial: tuple[AdversarialSample, ...] = ()


@dataclass(frozen=True)
class RobustnessResult:
    """What an evaluation found (problem set and nothing else when it could not run; stopped when stopped)."""

    run_dir: str
    checkpoint: str = "best"
    dataset: str = ""
    kind: str = ""
    class_names: tuple[str, ...] = ()
    n_samples: int = 0
    """Validation samples evaluated."""
    clean_accuracy: float | None = None
    attacks: tuple[AttackPoint, ...] = ()
    corruptions: tuple[CorruptionPoint, ...] = ()
    sample: SampleViews | None = None
    backdoor: BackdoorResult | None = None
    """A poisoned run (poison_fraction): clean accuracy and the trigger's attack success on its validation split."""
    device: str = ""
    seconds: float = 0.0
    problem: str = ""
    stopped: bool = False
    notes: tuple[str, ...] = field(default=())
    """Lines worth telling (e.g. the checkpoint's epoch and its recorded validation accuracy)."""

    def to_json(self) -> dict[str, object]:
        """The CLI's --json object: clean_accuracy, attacks [{name, eps, accuracy}], corruptions [{name, severity,
        accuracy}], and for a poisoned run `backdoor` ({target, fraction, clean_accuracy, attack_success_rate})."""
        answer: dict[str, object] = {
            "run_dir": self.run_dir,
            "checkpoint": self.checkpoint,
            "dataset": self.dataset,
            "samples": self.n_samples,
            "clean_accuracy": self.clean_accuracy,
            "attacks": [{"name": a.name, "eps": a.eps, "accuracy": a.accuracy} for a in self.attacks],
            "corruptions": [{"name": c.name, "severity": c.severity, "accuracy": c.accuracy} for c in self.corruptions],
            "device": self.device,
            "seconds": round(self.seconds, 3),
        }
        if self.backdoor is not None:
            answer["backdoor"] = self.backdoor.as_dict()
        return answer


RobustnessEvent = RobustnessProgress | RobustnessResult
"""What an evaluation sends: progress, then one result last."""
