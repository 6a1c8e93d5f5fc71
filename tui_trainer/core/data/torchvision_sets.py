"""torchvision datasets (MNIST, Fashion-MNIST, KMNIST, CIFAR-10) read from data_dir as whole tensors."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_trainer.core.data.errors import DatasetError
from tui_trainer.core.data.prepare import RawData

if TYPE_CHECKING:
    from tui_trainer.core.spec.experiment import DataSpec

_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
_CIFAR_FILES = (
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
    "batches.meta",
)
_CIFAR_ARCHIVE = "cifar-10-python.tar.gz"


@dataclass(frozen=True)
class TorchvisionSet:
    """Where a torchvision dataset keeps its files under data_dir, and what it is called."""

    class_name: str
    """The torchvision.datasets class."""
    title: str
    """The name users know it by."""
    folder: tuple[str, ...]
    """Folder holding the files, relative to data_dir."""
    files: tuple[str, ...]


SETS = {
    "mnist": TorchvisionSet("MNIST", "MNIST", ("MNIST", "raw"), _IDX_FILES),
    "fashion-mnist": TorchvisionSet("FashionMNIST", "Fashion-MNIST", ("FashionMNIST", "raw"), _IDX_FILES),
    "kmnist": TorchvisionSet("KMNIST", "KMNIST", ("KMNIST", "raw"), _IDX_FILES),
    "cifar10": TorchvisionSet("CIFAR10", "CIFAR-10", ("cifar-10-batches-py",), _CIFAR_FILES),
}


DOWNLOAD = "--download, or the download option on the Data tab"
"""How a user asks for a download, from the command line or the app (messages serve both)."""


def files_folder(name: str, data_dir: str) -> Path:
    """The folder that must hold the dataset's files."""
    return Path(data_dir).expanduser().joinpath(*SETS[name].folder)


def missing_files(name: str, data_dir: str) -> list[str]:
    """The dataset's required files that are not in its folder under data_dir (names only)."""
    folder = files_folder(name, data_dir)
    return [f for f in SETS[name].files if not (folder / f).is_file()]


def _missing_message(name: str, data_dir: str, missing: list[str]) -> str:
    tv = SETS[name]
    folder = files_folder(name, data_dir)
    if name == "cifar10":
        put = (
            f"put {', '.join(tv.files)} there (unpack {_CIFAR_ARCHIVE} from "
            f"https://www.cs.toronto.edu/~kriz/cifar.html into {Path(data_dir).expanduser()})"
        )
        archives = [_CIFAR_ARCHIVE] if (Path(data_dir).expanduser() / _CIFAR_ARCHIVE).is_file() else []
    else:
        put = f"put {', '.join(tv.files)} there (uncompressed)"
        archives = [f + ".gz" for f in missing if (folder / (f + ".gz")).is_file()]
    text = f"{tv.title} is not in {folder}: {put}, or download them on a machine with network ({DOWNLOAD})"
    if 0 < len(missing) < len(tv.files):
        text += f" (missing: {', '.join(missing)})"
    if archives:
        text += (
            f"; found {', '.join(archives)}: unpack {'it' if len(archives) == 1 else 'them'}, or download ({DOWNLOAD}), which unpacks the "
            "archive without network when it is intact"
        )
    return text


def _unreadable_message(name: str, data_dir: str) -> str | None:
    """The message "cannot read FILE: permission denied" for the first of the dataset's files this user may not
    read, or None.

    Opening each file is the one true test (os.access is wrong for root and for ACLs); a missing file is left to
    missing_files.
    """
    folder = files_folder(name, data_dir)
    for file in SETS[name].files:
        try:
            with open(folder / file, "rb"):
                pass
        except PermissionError:
            return _permission_message(folder / file)
        except OSError:
            continue
    return None


def _permission_message(path: Path | str) -> str:
    """What to say about a dataset file this user may not read (not damaged: its permissions are the matter)."""
    return f"cannot read {path}: permission denied (give your user read access to it)"


def _denied(exc: BaseException) -> OSError | None:
    """The permission error behind an exception (torchvision may wrap it), or None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.EACCES, errno.EPERM):
            return current
        current = current.__cause__ or current.__context__
    return None


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _open(tv: TorchvisionSet, cls: Any, root: str, train: bool, download: bool, name: str) -> Any:
    """Construct the torchvision dataset, turning its failures into DatasetErrors."""
    try:
        return cls(root, train=train, download=download)
    except Exception as exc:  # torchvision raises RuntimeError, URLError, OSError, AssertionError...
        still_missing = missing_files(name, root)
        if download and still_missing:
            raise DatasetError(
                f"downloading {tv.title} into {files_folder(name, root)} failed: {_one_line(exc)}. "
                f"Check the network, or put the files there yourself: {', '.join(tv.files)}"
            ) from None
        if still_missing:
            raise DatasetError(_missing_message(name, root, still_missing)) from None
        denied = _denied(exc)
        if denied is not None:
            raise DatasetError(_permission_message(denied.filename or files_folder(name, root))) from None
        raise DatasetError(
            f"the {tv.title} files in {files_folder(name, root)} could not be read ({_one_line(exc)}): "
            f"they may be damaged or incomplete; delete them and put fresh copies there (or download: {DOWNLOAD})"
        ) from None


def load_torchvision(spec: DataSpec, n_samples: int, noise: float) -> RawData:
    """Train split (to be split into train/val) and official test split of a torchvision dataset.

    Reads the dataset objects' .data/.targets directly (no per-sample PIL transforms).
    """
    name = spec.name if spec.name in SETS else spec.name.strip().lower().replace("_", "-")
    tv = SETS[name]
    root = str(Path(spec.data_dir).expanduser())
    unreadable = _unreadable_message(name, root)
    if unreadable:
        raise DatasetError(unreadable)
    missing = missing_files(name, root)
    if missing and not spec.download:
        raise DatasetError(_missing_message(name, spec.data_dir, missing))
    try:
        import torchvision.datasets as tv_datasets
    except ImportError as exc:
        raise DatasetError(
            f"{tv.title} needs torchvision, which could not be imported ({_one_line(exc)}): "
            "install it with pip install torchvision"
        ) from None
    cls = getattr(tv_datasets, tv.class_name)
    train = _open(tv, cls, root, True, spec.download, name)
    test = _open(tv, cls, root, False, False, name)
    train_x, test_x = _images(train.data), _images(test.data)
    classes = tuple(str(d) for d in range(10)) if name == "mnist" else tuple(str(c) for c in train.classes)
    description = f"{tv.title}: {len(train_x):,} training and {len(test_x):,} test images from {root}"
    return RawData(train_x, _targets(train.targets), classes, description, test_x, _targets(test.targets))


def _images(data: Any) -> Any:
    """(N, H, W) or (N, H, W, C) uint8 images -> a contiguous (N, C, H, W) uint8 tensor."""
    import torch

    x = data if isinstance(data, torch.Tensor) else torch.from_numpy(data)
    if x.dim() == 3:
        return x.unsqueeze(1)
    return x.permute(0, 3, 1, 2).contiguous()


def _targets(targets: Any) -> Any:
    import torch

    return torch.as_tensor(targets, dtype=torch.int64)
