"""User image folders (folder:PATH): one sub-folder per class, images resized to a square with PIL."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.data.prepare import RawData
from tui_trainer.core.data.registry import user_path

if TYPE_CHECKING:
    import numpy as np

    from tui_trainer.core.spec.experiment import DataSpec

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def _images_in(folder: Path) -> list[Path]:
    """Image files directly in a folder (by suffix, any case), sorted, hidden files skipped."""
    return sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
    )


def find_classes(root: Path) -> list[tuple[str, list[Path]]]:
    """(class name, image files) for each non-hidden sub-folder holding images, sorted by name.

    Raises DatasetError when the folder is missing or holds fewer than 2 classes with images.
    """
    if not root.exists():
        raise DatasetError(f"image folder {root} does not exist: check the path after folder:")
    if not root.is_dir():
        raise DatasetError(
            f"{root} is not a folder: folder: needs a folder with one sub-folder of images "
            "per class (use csv: for CSV files)"
        )
    try:
        subs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        classes = [(sub.name, _images_in(sub)) for sub in subs]
        loose = _images_in(root)
    except OSError as exc:
        raise DatasetError(f"cannot read {root}: {exc.strerror or exc}") from None
    classes = [(name, files) for name, files in classes if files]
    kinds = "/".join(s.lstrip(".") for s in IMAGE_SUFFIXES)
    if not classes:
        hint = f" ({len(loose)} images lie in {root} itself)" if loose else ""
        raise DatasetError(
            f"{root} has no images in sub-folders{hint}: put the images of each class into "
            f"their own sub-folder, e.g. {root}/cat/1.png and {root}/dog/1.png ({kinds})"
        )
    if len(classes) < 2:
        raise DatasetError(
            f"{root} has images only in {classes[0][0]}/: a classifier needs at least 2 "
            "classes, each in its own sub-folder"
        )
    return classes


def _read(path: Path, size: int, mode: str) -> np.ndarray:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.seek(0)
            if image.mode in ("RGBA", "LA", "P") and mode == "RGB":
                # Transparent pixels become white, not black.
                background = Image.new("RGBA", image.size, (255, 255, 255, 255))
                image = Image.alpha_composite(background, image.convert("RGBA"))
            image = image.convert(mode).resize((size, size), Image.Resampling.BILINEAR)
            return np.asarray(image, dtype=np.uint8)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as exc:
        raise DatasetError(
            f"cannot read image {path}: {' '.join(str(exc).split()) or type(exc).__name__} (remove or replace the file)"
        ) from None


def load_image_folder(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """All images under folder:PATH as (C, image_size, image_size) uint8 arrays; class = sub-folder."""
    import numpy as np

    root = Path(user_path(spec.name)).expanduser()
    if not 4 <= spec.image_size <= 1024:
        raise DatasetError(f"image_size must be between 4 and 1024 pixels, not {spec.image_size}")
    classes = find_classes(root)
    mode = "L" if spec.grayscale else "RGB"
    channels = 1 if spec.grayscale else 3
    total = sum(len(files) for _, files in classes)
    x = np.empty((total, spec.image_size, spec.image_size, channels), dtype=np.uint8)
    y = np.empty(total, dtype=np.int64)
    i = 0
    for label, (_, files) in enumerate(classes):
        for path in files:
            x[i] = _read(path, spec.image_size, mode).reshape(spec.image_size, spec.image_size, channels)
            y[i] = label
            i += 1
    names = tuple(name for name, _ in classes)
    colour = "grey" if spec.grayscale else "colour"
    description = (
        f"{root.name or root}: {total} {colour} images, {spec.image_size}x{spec.image_size}, {len(names)} classes"
    )
    return RawData(x.transpose(0, 3, 1, 2), y, names, description)
