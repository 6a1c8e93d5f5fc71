"""Tests of the dataset registry and loaders (offline only: no test touches the network)."""

from __future__ import annotations

import dataclasses
import os
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_trainer.core.data import (
    DataBundle,
    DatasetError,
    DatasetInfo,
    dataset_info,
    is_available,
    list_datasets,
    load_dataset,
)
from tui_trainer.core.spec.experiment import DataSpec

REPO = Path(__file__).resolve().parents[2]

OFFLINE = {
    # name: (input_shape, n_classes, default total samples)
    "digits": ((1, 8, 8), 10, 1797),
    "digits28": ((1, 28, 28), 10, 1797),
    "iris": ((4,), 3, 150),
    "wine": ((13,), 3, 178),
    "breast-cancer": ((30,), 2, 569),
    "moons": ((2,), 2, 1000),
    "circles": ((2,), 2, 1000),
    "spirals": ((2,), 3, 1500),
    "xor": ((2,), 2, 1000),
    "blobs": ((2,), 4, 1000),
    "lecture-5x4": ((5,), 4, 1000),
    "shapes": ((1, 28, 28), 6, 6000),
}
GENERATED = ["moons", "circles", "spirals", "xor", "blobs", "lecture-5x4", "shapes"]
TORCHVISION = ["mnist", "fashion-mnist", "kmnist", "cifar10"]
MNIST_FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def check_bundle(bundle: DataBundle, shape: tuple[int, ...], n_classes: int) -> None:
    """Shapes, dtypes, label range and a train split normalised to mean ~0 / std ~1."""
    assert bundle.input_shape == shape
    assert bundle.n_classes == n_classes == len(bundle.class_names)
    for x, y in ((bundle.train_x, bundle.train_y), (bundle.val_x, bundle.val_y)):
        assert x.dtype == torch.float32 and y.dtype == torch.int64
        assert x.device.type == "cpu" and y.device.type == "cpu"
        assert tuple(x.shape[1:]) == shape and len(x) == len(y) > 0
        assert 0 <= int(y.min()) and int(y.max()) < n_classes
        assert torch.isfinite(x).all()
    dims = [d for d in range(bundle.train_x.dim()) if d != 1]
    mean = bundle.train_x.mean(dim=dims)
    std = bundle.train_x.std(dim=dims, correction=0)
    assert mean.abs().max() < 1e-4
    assert ((std - 1).abs() < 1e-3).all()
    assert len(bundle.train_y.unique()) == n_classes


# ---------------------------------------------------------------- registry


def test_registry_lists_everything_in_order() -> None:
    infos = list_datasets()
    names = [info.name for info in infos]
    assert names == list(OFFLINE) + TORCHVISION
    for info in infos:
        assert isinstance(info, DatasetInfo)
        assert info.kind in ("image", "tabular", "2d")
        assert info.source in ("scikit-learn", "generated", "torchvision")
        assert info.description and "\n" not in info.description
        assert dataset_info(info.name) == info
        fields = {f.name for f in dataclasses.fields(DataSpec)}
        assert set(info.options) <= fields
    for name, (shape, n_classes, n) in OFFLINE.items():
        info = dataset_info(name)
        assert (info.input_shape, info.n_classes, info.n_samples) == (shape, n_classes, n)
    assert dataset_info("moons").options == ("n_samples", "noise", "data_seed")
    assert dataset_info("cifar10").input_shape == (3, 32, 32)
    assert "download" in dataset_info("mnist").options


def test_unknown_dataset_names_the_known_ones() -> None:
    with pytest.raises(DatasetError) as err:
        dataset_info("nope")
    message = str(err.value)
    assert "nope" in message
    for name in ("digits", "moons", "mnist", "csv:", "folder:"):
        assert name in message
    with pytest.raises(DatasetError, match="unknown dataset"):
        load_dataset(DataSpec(name="nope"))


def test_user_data_infos_and_availability(tmp_path: Path) -> None:
    csv_info = dataset_info(f"csv:{tmp_path}/x.csv")
    assert (csv_info.kind, csv_info.source, csv_info.input_shape) == ("tabular", "user", None)
    assert "label_column" in csv_info.options
    folder_info = dataset_info(f"folder:{tmp_path}")
    assert (folder_info.kind, folder_info.source, folder_info.input_shape) == ("image", "user", None)
    assert "image_size" in folder_info.options
    with pytest.raises(DatasetError, match="no path"):
        dataset_info("csv:")
    assert not is_available(f"csv:{tmp_path}/x.csv", "data")
    (tmp_path / "x.csv").write_text("a,b\n1,x\n")
    assert is_available(f"csv:{tmp_path}/x.csv", "data")
    assert is_available(f"folder:{tmp_path}", "data")
    assert not is_available(f"folder:{tmp_path}/missing", "data")
    assert all(is_available(name, str(tmp_path)) for name in OFFLINE)
    assert not any(is_available(name, str(tmp_path)) for name in TORCHVISION)
    assert not is_available("nope", "data")


@pytest.mark.process
def test_import_loads_nothing_heavy() -> None:
    code = textwrap.dedent("""
        import sys
        import tui_trainer.core.data as d
        d.list_datasets(); d.dataset_info("moons"); d.dataset_info("csv:x.csv")
        d.is_available("mnist", "data"); d.is_available("digits", "data")
        heavy = [m for m in ("torch", "torchvision", "sklearn", "numpy", "PIL") if m in sys.modules]
        print(",".join(heavy))
    """)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------- offline built-ins


@pytest.mark.parametrize("name", list(OFFLINE))
def test_offline_dataset_loads(name: str) -> None:
    shape, n_classes, n = OFFLINE[name]
    bundle = load_dataset(DataSpec(name=name, val_fraction=0.2))
    check_bundle(bundle, shape, n_classes)
    assert bundle.name == name
    assert len(bundle.train_x) + len(bundle.val_x) == n
    assert len(bundle.val_x) == round(n * 0.2)
    assert bundle.test_x is None and bundle.test_y is None
    assert bundle.description


def test_class_names() -> None:
    assert load_dataset(DataSpec(name="digits")).class_names == tuple("0123456789")
    assert load_dataset(DataSpec(name="iris")).class_names == ("setosa", "versicolor", "virginica")
    assert load_dataset(DataSpec(name="breast-cancer")).class_names == ("malignant", "benign")


def test_digits28_is_digits_upscaled() -> None:
    small = load_dataset(DataSpec(name="digits", data_seed=3))
    big = load_dataset(DataSpec(name="digits28", data_seed=3))
    assert torch.equal(small.train_y, big.train_y) and torch.equal(small.val_y, big.val_y)


@pytest.mark.parametrize("name", GENERATED)
def test_generated_deterministic_per_seed(name: str) -> None:
    spec = DataSpec(name=name, n_samples=120, data_seed=1)
    a, b = load_dataset(spec), load_dataset(spec)
    other = load_dataset(dataclasses.replace(spec, data_seed=2))
    assert torch.equal(a.train_x, b.train_x) and torch.equal(a.train_y, b.train_y)
    assert torch.equal(a.val_x, b.val_x)
    assert not torch.equal(a.train_x, other.train_x)


@pytest.mark.parametrize("name", GENERATED)
def test_n_samples_and_noise_respected(name: str) -> None:
    a = load_dataset(DataSpec(name=name, n_samples=240, noise=0.0, data_seed=5))
    assert len(a.train_x) + len(a.val_x) == 240
    b = load_dataset(DataSpec(name=name, n_samples=240, noise=0.3, data_seed=5))
    assert not torch.equal(a.train_x, b.train_x) or not torch.equal(a.train_y, b.train_y)


def test_noise_is_used_as_documented() -> None:
    from tui_trainer.core.data.generated import make_xor

    def wrong_quadrant(noise: float) -> float:
        raw = make_xor(DataSpec(name="xor", data_seed=0), 2000, noise)
        same_sign = (np.sign(raw.x[:, 0]) * np.sign(raw.x[:, 1]) > 0).astype(np.int64)
        return float(np.mean(same_sign != raw.y))

    assert wrong_quadrant(0.0) == 0.0
    assert wrong_quadrant(0.3) > 0.05
    default = load_dataset(DataSpec(name="xor", data_seed=0))
    explicit = load_dataset(DataSpec(name="xor", data_seed=0, noise=dataset_default_noise("xor")))
    assert torch.equal(default.train_x, explicit.train_x)


def dataset_default_noise(name: str) -> float:
    from tui_trainer.core.data.registry import find_entry

    noise = find_entry(name).default_noise
    assert noise is not None
    return noise


def test_generated_option_errors() -> None:
    with pytest.raises(DatasetError, match="n_samples"):
        load_dataset(DataSpec(name="spirals", n_samples=4))
    with pytest.raises(DatasetError, match="negative"):
        load_dataset(DataSpec(name="moons", noise=-0.5))
    with pytest.raises(DatasetError, match="0 to 1"):
        load_dataset(DataSpec(name="lecture-5x4", noise=2.0))


def test_split_problems_are_dataset_errors() -> None:
    with pytest.raises(DatasetError, match="val_fraction"):
        load_dataset(DataSpec(name="moons", n_samples=4, val_fraction=0.05))
    with pytest.raises(DatasetError, match="val_fraction"):
        load_dataset(DataSpec(name="iris", val_fraction=1.0))
    with pytest.raises(DatasetError, match="val_fraction"):
        load_dataset(DataSpec(name="iris", val_fraction=0.0))


def test_split_is_stratified_and_seeded() -> None:
    a = load_dataset(DataSpec(name="iris", data_seed=0, val_fraction=0.2))
    assert torch.bincount(a.val_y).tolist() == [10, 10, 10]
    b = load_dataset(DataSpec(name="iris", data_seed=1, val_fraction=0.2))
    assert not torch.equal(a.val_x, b.val_x)
    again = load_dataset(DataSpec(name="iris", data_seed=0, val_fraction=0.2))
    assert torch.equal(a.val_x, again.val_x)


@settings(max_examples=200, deadline=None)
@given(
    labels=st.lists(st.integers(0, 5), min_size=2, max_size=80),
    val_fraction=st.floats(0.05, 0.9),
    seed=st.integers(0, 2**31 - 1),
)
def test_split_indices_partition(labels: list[int], val_fraction: float, seed: int) -> None:
    from tui_trainer.core.data.prepare import split_indices

    y = np.array(labels)
    n_val = round(len(y) * val_fraction)
    if n_val < 1 or n_val >= len(y):
        with pytest.raises(DatasetError, match="val_fraction"):
            split_indices(y, val_fraction, seed)
        return
    train, val = split_indices(y, val_fraction, seed)
    assert len(val) == n_val
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(len(y)))
    for c in np.unique(y):  # stratified: each class's share of val is within one sample of its quota
        assert abs(np.sum(y[val] == c) - np.sum(y == c) * val_fraction) < 1 + 1e-9


def test_shapes_generation_is_fast(monkeypatch) -> None:
    """Fast because vectorised: the signed distances are computed once per shape per chunk of images, never
    per image (counted, not timed)."""
    import math

    from tui_trainer.core.data import shapes
    from tui_trainer.core.data.shapes import make_shapes

    calls: list[int] = []
    real = shapes._distance

    def counting(shape, u, v):
        calls.append(len(u))
        return real(shape, u, v)

    monkeypatch.setattr(shapes, "_distance", counting)
    raw = make_shapes(DataSpec(name="shapes"), 6000, 0.1)
    assert len(calls) <= len(shapes.SHAPES) * math.ceil(6000 / shapes._CHUNK)  # 18 calls for 6,000 images
    assert sum(calls) == 6000  # every image drawn, in those few calls
    assert raw.x.shape == (6000, 1, 28, 28) and raw.x.min() >= 0 and raw.x.max() <= 1
    assert np.bincount(raw.y).tolist() == [1000] * 6


# ---------------------------------------------------------------- torchvision, offline


def write_idx(path: Path, array: np.ndarray) -> None:
    """An uncompressed IDX file: big-endian magic (0x0000, type 0x08 = uint8, ndim), dims, bytes."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(root: Path, folder: str = "MNIST", n_train: int = 50, n_test: int = 20) -> None:
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(raw / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", np.arange(n) % 10)


def test_mnist_from_idx_files(tmp_path: Path) -> None:
    write_mnist(tmp_path)
    assert is_available("mnist", str(tmp_path))
    bundle = load_dataset(DataSpec(name="mnist", data_dir=str(tmp_path), val_fraction=0.2))
    check_bundle(bundle, (1, 28, 28), 10)
    assert (len(bundle.train_x), len(bundle.val_x)) == (40, 10)
    assert bundle.test_x is not None and bundle.test_y is not None
    assert bundle.test_x.shape == (20, 1, 28, 28) and bundle.test_x.dtype == torch.float32
    assert bundle.test_y.dtype == torch.int64 and bundle.test_y.tolist() == [i % 10 for i in range(20)]
    assert bundle.class_names == tuple("0123456789")


def test_fashion_mnist_uses_its_own_folder_and_names(tmp_path: Path) -> None:
    write_mnist(tmp_path, "FashionMNIST")
    bundle = load_dataset(DataSpec(name="fashion-mnist", data_dir=str(tmp_path)))
    assert bundle.class_names[0] == "T-shirt/top" and bundle.test_x is not None


def test_missing_mnist_names_folder_and_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as err:
        load_dataset(DataSpec(name="mnist", data_dir=str(tmp_path), download=False))
    message = str(err.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    for file in MNIST_FILES:
        assert file in message
    assert "--download" in message


def test_partly_missing_mnist_says_which(tmp_path: Path) -> None:
    write_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    assert not is_available("mnist", str(tmp_path))
    with pytest.raises(DatasetError, match="missing: t10k-labels-idx1-ubyte"):
        load_dataset(DataSpec(name="mnist", data_dir=str(tmp_path)))


def test_corrupt_mnist_is_a_dataset_error(tmp_path: Path) -> None:
    write_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"garbage!")
    with pytest.raises(DatasetError, match="could not be read"):
        load_dataset(DataSpec(name="mnist", data_dir=str(tmp_path)))


@pytest.mark.parametrize("where", ["chmod", "before-loading", "inside-torchvision"])
def test_unreadable_mnist_says_permission_denied_not_damaged(tmp_path: Path, monkeypatch, where: str) -> None:
    """A file this user may not read is named as such (fix its permissions), never as damaged (delete it).

    chmod 000 blocks reads except for root; "before-loading" and "inside-torchvision" deny the file by
    simulation instead: from its first open, or only once torchvision opens it (after the readability check).
    """
    write_mnist(tmp_path)
    locked = tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    if where == "chmod":
        if os.geteuid() == 0:
            pytest.skip("root reads a file whatever its mode")
        locked.chmod(0)
    else:
        real_open, opened = open, {"n": 0}

        def denying_open(file, *args, **kwargs):
            if os.fspath(file) == str(locked):
                opened["n"] += 1
                if where == "before-loading" or opened["n"] > 1:
                    raise PermissionError(13, "Permission denied", str(locked))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr("builtins.open", denying_open)
    with pytest.raises(DatasetError) as err:
        load_dataset(DataSpec(name="mnist", data_dir=str(tmp_path)))
    message = str(err.value)
    assert message.startswith(f"cannot read {locked}: permission denied") and "\n" not in message
    assert "damaged" not in message and "delete" not in message


def test_damaged_mnist_stays_damaged(tmp_path: Path) -> None:
    write_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00")  # cut short
    with pytest.raises(DatasetError) as err:
        load_dataset(DataSpec(name="mnist", data_dir=str(tmp_path)))
    assert "may be damaged or incomplete; delete them" in str(err.value) and "permission" not in str(err.value)


def test_failed_download_is_a_dataset_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torchvision.datasets

    def no_network(self: object) -> None:
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz: name resolution failed")

    monkeypatch.setattr(torchvision.datasets.KMNIST, "download", no_network)
    with pytest.raises(DatasetError) as err:
        load_dataset(DataSpec(name="kmnist", data_dir=str(tmp_path), download=True))
    assert "downloading KMNIST" in str(err.value) and "name resolution failed" in str(err.value)


def test_missing_cifar_names_folder_and_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as err:
        load_dataset(DataSpec(name="cifar10", data_dir=str(tmp_path)))
    message = str(err.value)
    assert str(tmp_path / "cifar-10-batches-py") in message
    assert "data_batch_1" in message and "test_batch" in message and "batches.meta" in message


def test_cifar10_from_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    import torchvision.datasets.cifar

    # The real files are checked by md5; tiny stand-ins only need to exist.
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda path, md5=None: os.path.isfile(path))
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for file, n in [(f"data_batch_{i}", 10) for i in range(1, 6)] + [("test_batch", 8)]:
        images = np.zeros((n, 3, 32, 32), dtype=np.uint8)
        images[:, 0] = rng.integers(0, 256, (n, 32, 32))  # only the red channel varies
        batch = {"data": images.reshape(n, -1), "labels": [i % 10 for i in range(n)]}
        (folder / file).write_bytes(pickle.dumps(batch))
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": names}))
    assert is_available("cifar10", str(tmp_path))
    bundle = load_dataset(DataSpec(name="cifar10", data_dir=str(tmp_path)))
    assert bundle.input_shape == (3, 32, 32) and bundle.class_names == tuple(names)
    assert (len(bundle.train_x), len(bundle.val_x)) == (40, 10)
    assert bundle.test_x is not None and bundle.test_x.shape == (8, 3, 32, 32)
    assert bundle.train_x[:, 0].std() > 0.5  # channels stay channels (HWC -> CHW)
    assert bundle.train_x[:, 1:].abs().max() == 0 and bundle.test_x[:, 1:].abs().max() == 0


# ---------------------------------------------------------------- CSV files


def write_csv(path: Path, text: str) -> str:
    path.write_text(textwrap.dedent(text).lstrip())
    return f"csv:{path}"


def test_csv_label_by_default_last_column(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i * 0.5},{'cat' if i % 2 else 'dog'}\n" for i in range(20))
    name = write_csv(tmp_path / "pets.csv", "a,b,kind\n" + rows)
    bundle = load_dataset(DataSpec(name=name, val_fraction=0.25))
    check_bundle(bundle, (2,), 2)
    assert bundle.class_names == ("cat", "dog")
    assert bundle.name == name
    assert len(bundle.train_x) + len(bundle.val_x) == 20


def test_csv_label_by_name_with_numbers(tmp_path: Path) -> None:
    rows = "".join(f"{i % 3 * 5},{i},{i * i}\n" for i in range(30))
    name = write_csv(tmp_path / "n.csv", "label,x,y\n" + rows)
    bundle = load_dataset(DataSpec(name=name, label_column="label"))
    check_bundle(bundle, (2,), 3)
    assert bundle.class_names == ("0", "5", "10")  # sorted by value, not as text


def test_csv_semicolons_and_one_feature(tmp_path: Path) -> None:
    rows = "".join(f"{i};{'yes' if i > 5 else 'no'}\n" for i in range(12))
    bundle = load_dataset(DataSpec(name=write_csv(tmp_path / "s.csv", "x;answer\n" + rows)))
    check_bundle(bundle, (1,), 2)
    assert bundle.class_names == ("no", "yes")


def test_csv_errors(tmp_path: Path) -> None:
    def error(text: str, **changes: object) -> str:
        name = write_csv(tmp_path / "bad.csv", text)
        with pytest.raises(DatasetError) as err:
            load_dataset(DataSpec(name=name, **changes))
        return str(err.value)

    bad_value = error("a,b,label\n1,2,x\n3,oops,y\n")
    assert "row 3" in bad_value and "'b'" in bad_value and "oops" in bad_value and "bad.csv" in bad_value
    assert "no column 'kind'" in error("a,b,label\n1,2,x\n3,4,y\n", label_column="kind")
    assert "a, b, label" in error("a,b,label\n1,2,x\n3,4,y\n", label_column="kind")
    assert "empty" in error("")
    assert "no data rows" in error("a,b,label\n")
    assert "at least 2 classes" in error("a,b,label\n1,2,x\n3,4,x\n5,6,x\n")
    assert "row 2 has 2 values" in error("a,b,label\n1,2\n")
    assert "is empty" in error("a,b,label\n1,,x\n3,4,y\n")
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(DataSpec(name=f"csv:{tmp_path}/none.csv"))


# ---------------------------------------------------------------- image folders


def write_images(root: Path, classes: dict[str, int], mode: str = "RGB", size: int = 12) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for label, count in classes.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            shape = (size, size + 3, 3) if mode == "RGB" else (size, size + 3)
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(root / label / f"{i}.png")


def test_image_folder_grayscale_and_rgb(tmp_path: Path) -> None:
    write_images(tmp_path / "pics", {"dog": 6, "cat": 5, "bird": 4})
    (tmp_path / "pics" / "notes.txt").write_text("not an image")
    grey = load_dataset(DataSpec(name=f"folder:{tmp_path}/pics", image_size=8, grayscale=True))
    check_bundle(grey, (1, 8, 8), 3)
    assert grey.class_names == ("bird", "cat", "dog")
    assert len(grey.train_x) + len(grey.val_x) == 15
    rgb = load_dataset(DataSpec(name=f"folder:{tmp_path}/pics", image_size=10, grayscale=False))
    check_bundle(rgb, (3, 10, 10), 3)


def test_image_folder_errors(tmp_path: Path) -> None:
    def error(path: Path) -> str:
        with pytest.raises(DatasetError) as err:
            load_dataset(DataSpec(name=f"folder:{path}"))
        return str(err.value)

    assert "does not exist" in error(tmp_path / "none")
    (tmp_path / "empty" / "a").mkdir(parents=True)
    assert "no images" in error(tmp_path / "empty")
    write_images(tmp_path / "one", {"only": 3}, mode="L")
    assert "at least 2" in error(tmp_path / "one")
    write_images(tmp_path / "broken", {"a": 3, "b": 3}, mode="L")
    (tmp_path / "broken" / "b" / "bad.png").write_bytes(b"not a png")
    message = error(tmp_path / "broken")
    assert "bad.png" in message and "cannot read image" in message
