"""Real datasets bundled with scikit-learn (offline): digits, digits28, iris, wine, breast-cancer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tui_trainer.core.data.prepare import RawData

if TYPE_CHECKING:
    from tui_trainer.core.spec.experiment import DataSpec


def _digits() -> tuple[Any, Any]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.reshape(-1, 1, 8, 8).astype("float32"), bunch.target


def load_digits(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """The 1,797 8x8 handwritten digits as (1, 8, 8) images, classes "0".."9"."""
    x, y = _digits()
    names = tuple(str(d) for d in range(10))
    return RawData(x, y, names, "1,797 handwritten digits, 8x8 grey images (scikit-learn)", pixel_scale=16.0)


def load_digits28(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """The same digits upscaled (bilinear) to (1, 28, 28), so MNIST-sized models run unchanged."""
    import torch
    import torch.nn.functional as F

    x, y = _digits()
    big = F.interpolate(torch.from_numpy(x), size=(28, 28), mode="bilinear", align_corners=False)
    names = tuple(str(d) for d in range(10))
    description = "1,797 handwritten digits upscaled from 8x8 to 28x28 (scikit-learn)"
    return RawData(big, y, names, description, pixel_scale=16.0)


def _table(loader_name: str, description: str) -> RawData:
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader_name)()
    names = tuple(str(name) for name in bunch.target_names)
    return RawData(bunch.data.astype("float32"), bunch.target, names, description)


def load_iris(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """150 iris flowers, 4 features, 3 species."""
    return _table("load_iris", "150 iris flowers: 4 measurements, 3 species (scikit-learn)")


def load_wine(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """178 wines, 13 features, 3 cultivars."""
    return _table("load_wine", "178 wines: 13 chemical measurements, 3 cultivars (scikit-learn)")


def load_breast_cancer(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """569 tumour biopsies, 30 features, malignant or benign."""
    return _table("load_breast_cancer", "569 breast tumour biopsies: 30 features, malignant or benign (scikit-learn)")
