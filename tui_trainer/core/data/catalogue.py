"""The built-in dataset catalogue: what each dataset is, and which loader builds it (by name only)."""

from __future__ import annotations

from dataclasses import dataclass

GENERATED_OPTIONS = ("n_samples", "noise", "data_seed")
REAL_OPTIONS = ("data_seed",)
TORCHVISION_OPTIONS = ("data_dir", "download", "data_seed")
CSV_OPTIONS = ("label_column", "data_seed")
FOLDER_OPTIONS = ("image_size", "grayscale", "data_seed")


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset is, before loading it (cheap: no torch, no files read)."""

    name: str
    kind: str
    """"image", "tabular" or "2d"."""
    source: str
    """"scikit-learn", "generated", "torchvision" or "user"."""
    description: str
    """One line on what the data is."""
    input_shape: tuple[int, ...] | None
    """Shape of one sample; None when it depends on the files (csv:/folder:)."""
    n_classes: int | None
    n_samples: int | None
    """Default total number of samples (train + validation + test)."""
    options: tuple[str, ...]
    """DataSpec field names that change what this dataset loads (besides val_fraction)."""


@dataclass(frozen=True)
class Entry:
    """A registry row: the public info plus how to load it."""

    info: DatasetInfo
    loader: str
    """"module:function" inside this package; the function takes (spec, n_samples, noise)."""
    default_noise: float | None = None
    """Noise used when spec.noise is -1 (generated sets only)."""
    max_noise: float | None = None
    noise_help: str = ""
    """What noise means for this dataset, for error messages."""


def _real(name: str, kind: str, description: str, shape: tuple[int, ...], classes: int, n: int) -> Entry:
    info = DatasetInfo(name, kind, "scikit-learn", description, shape, classes, n, REAL_OPTIONS)
    return Entry(info, f"sklearn_sets:load_{name.replace('-', '_')}")


def _gen(
    name: str,
    kind: str,
    description: str,
    shape: tuple[int, ...],
    classes: int,
    n: int,
    noise: float,
    noise_help: str,
    max_noise: float | None = None,
    module: str = "generated",
) -> Entry:
    info = DatasetInfo(name, kind, "generated", description, shape, classes, n, GENERATED_OPTIONS)
    return Entry(info, f"{module}:make_{name.replace('-', '_')}", noise, max_noise, noise_help)


def _tv(name: str, description: str, shape: tuple[int, ...], n: int) -> Entry:
    info = DatasetInfo(name, "image", "torchvision", description, shape, 10, n, TORCHVISION_OPTIONS)
    return Entry(info, "torchvision_sets:load_torchvision")


ENTRIES: tuple[Entry, ...] = (
    _real(
        "digits",
        "image",
        "1,797 handwritten digits as 8x8 grey images (scikit-learn's bundled copy)",
        (1, 8, 8),
        10,
        1797,
    ),
    _real(
        "digits28",
        "image",
        "the 1,797 digits upscaled to 28x28, so MNIST models such as LeNet-5 run unchanged",
        (1, 28, 28),
        10,
        1797,
    ),
    _real("iris", "tabular", "150 iris flowers: 4 measurements, 3 species", (4,), 3, 150),
    _real("wine", "tabular", "178 wines: 13 chemical measurements, 3 cultivars", (13,), 3, 178),
    _real(
        "breast-cancer",
        "tabular",
        "569 breast tumour biopsies: 30 cell measurements, malignant or benign",
        (30,),
        2,
        569,
    ),
    _gen(
        "moons",
        "2d",
        "two interleaving half circles (2-D points, 2 classes)",
        (2,),
        2,
        1000,
        0.2,
        "the standard deviation of the points' jitter",
    ),
    _gen(
        "circles",
        "2d",
        "a small circle inside a large one (2-D points, 2 classes)",
        (2,),
        2,
        1000,
        0.1,
        "the standard deviation of the points' jitter",
    ),
    _gen(
        "spirals",
        "2d",
        "three interleaved spiral arms (2-D points, 3 classes)",
        (2,),
        3,
        1500,
        0.2,
        "the jitter of each point's angle",
    ),
    _gen(
        "xor",
        "2d",
        "points in a square, class = same or opposite signs of x and y (XOR, 2 classes)",
        (2,),
        2,
        1000,
        0.1,
        "the standard deviation of the points' jitter across the quadrant borders",
    ),
    _gen(
        "blobs",
        "2d",
        "four Gaussian clusters (2-D points, 4 classes)",
        (2,),
        4,
        1000,
        1.0,
        "the standard deviation of each cluster",
    ),
    _gen(
        "lecture-5x4",
        "tabular",
        "5 features, 4 classes: the lecture's small MLP example (synthetic)",
        (5,),
        4,
        1000,
        0.02,
        "the share of labels flipped at random",
        max_noise=1.0,
    ),
    _gen(
        "shapes",
        "image",
        "28x28 drawings of circles, squares, triangles, crosses and bars, jittered",
        (1, 28, 28),
        6,
        6000,
        0.1,
        "the standard deviation of the pixel noise",
        module="shapes",
    ),
    _tv(
        "mnist",
        "70,000 handwritten digits, 28x28 grey (torchvision; needs the files or a download)",
        (1, 28, 28),
        70000,
    ),
    _tv("fashion-mnist", "70,000 Zalando clothing photos, 28x28 grey, 10 kinds (torchvision)", (1, 28, 28), 70000),
    _tv(
        "kmnist",
        "70,000 handwritten cursive Japanese (Kuzushiji) characters, 28x28 grey (torchvision)",
        (1, 28, 28),
        70000,
    ),
    _tv(
        "cifar10",
        "60,000 small colour photos, 32x32, 10 classes such as cat, ship, truck (torchvision)",
        (3, 32, 32),
        60000,
    ),
)
