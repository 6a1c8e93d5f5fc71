"""Shared fixtures: small seeded DataBundles built straight from random tensors."""

from __future__ import annotations

import pytest


def make_bundle(
    input_shape: tuple[int, ...] = (4,),
    n_classes: int = 3,
    n_train: int = 48,
    n_val: int = 16,
    n_test: int | None = 16,
    seed: int = 0,
    separable: bool = True,
):
    """A DataBundle of seeded random inputs; with separable=True the label is learnable from the input."""
    import torch

    from tui_trainer.core.data.bundle import DataBundle

    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(n_classes, *input_shape, generator=g) * 2

    def split(n: int):
        y = torch.randint(0, n_classes, (n,), generator=g)
        x = torch.randn(n, *input_shape, generator=g)
        if separable:
            x = x + centres[y]
        return x.float(), y.long()

    train_x, train_y = split(n_train)
    val_x, val_y = split(n_val)
    test_x, test_y = split(n_test) if n_test else (None, None)
    return DataBundle(
        name="tiny",
        train_x=train_x,
        train_y=train_y,
        val_x=val_x,
        val_y=val_y,
        class_names=tuple(f"c{i}" for i in range(n_classes)),
        input_shape=tuple(input_shape),
        description="seeded random tensors for tests",
        test_x=test_x,
        test_y=test_y,
    )


@pytest.fixture
def tiny_bundle():
    """Factory fixture: tiny_bundle(input_shape=(4,), n_classes=3, ...) -> DataBundle (tabular or e.g. (1, 8, 8))."""
    return make_bundle
