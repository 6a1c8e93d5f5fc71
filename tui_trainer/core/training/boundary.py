"""Computing a decision boundary: the model's predicted class over a grid spanning the training points."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_trainer.core.spec.boundary import GRID_COLUMNS, GRID_ROWS, POINTS, BoundaryMap, grid_axes, padded

if TYPE_CHECKING:
    import torch
    from torch import nn


def grid_points(xs: tuple[float, ...], ys: tuple[float, ...]) -> torch.Tensor:
    """Every (x, y) of the grid, row by row (ys outer, xs inner), as a (len(ys) * len(xs), 2) tensor."""
    import torch

    gy, gx = torch.meshgrid(torch.tensor(ys), torch.tensor(xs), indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


class BoundaryProbe:
    """A grid over the training points' (padded) range, made once; each call evaluates a model on it."""

    def __init__(
        self,
        train_x: torch.Tensor,
        train_y: torch.Tensor,
        class_names: tuple[str, ...],
        *,
        device: str | torch.device = "cpu",
        columns: int = GRID_COLUMNS,
        rows: int = GRID_ROWS,
        points: int = POINTS,
        feature_names: tuple[str, ...] = (),
    ) -> None:
        flat = train_x.reshape(train_x.shape[0], -1).float().cpu()
        (x_low, y_low), (x_high, y_high) = flat.min(0).values.tolist(), flat.max(0).values.tolist()
        self.xs = grid_axes(*padded(x_low, x_high), columns)
        self.ys = tuple(reversed(grid_axes(*padded(y_low, y_high), rows)))
        self.shape = (rows, columns)
        self.grid = grid_points(self.xs, self.ys).reshape(-1, *train_x.shape[1:]).to(device)
        step = max(1, flat.shape[0] // max(1, points))
        kept = flat[::step][:points].tolist()
        labels = train_y[::step][:points].cpu().tolist()
        self.points = tuple((x, y, int(label)) for (x, y), label in zip(kept, labels, strict=True))
        self.class_names = tuple(class_names)
        self.feature_names = tuple(feature_names[:2]) if len(feature_names) >= 2 else ("x1", "x2")

    def __call__(self, model: nn.Module, epoch: int = 0) -> BoundaryMap:
        """The model's predicted class at every grid point (its mode is put back as it was)."""
        import torch

        was_training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                predicted = model(self.grid).argmax(1).cpu()
        finally:
            model.train(was_training)
        classes = tuple(tuple(row) for row in predicted.reshape(self.shape).tolist())
        return BoundaryMap(epoch, self.xs, self.ys, classes, self.class_names, self.points, self.feature_names)


def boundary_of_run(run_dir: str, checkpoint: str = "best.pt") -> BoundaryMap:
    """The boundary of a saved run's checkpoint (best.pt, else last.pt) over its training data as the run saw
    it (the same split and normalisation). RunError / DatasetError / ValueError with a reason when it cannot."""
    from pathlib import Path

    from tui_trainer.core.data import load_dataset
    from tui_trainer.core.runs.checkpoint import load_checkpoint
    from tui_trainer.core.runs.files import RunError
    from tui_trainer.core.spec.boundary import is_plane
    from tui_trainer.core.training.model import build_model

    path = Path(run_dir) / checkpoint
    if not path.is_file():
        path = Path(run_dir) / "last.pt"
    state = load_checkpoint(path)
    if not is_plane(state.input_shape):
        shape = "x".join(str(d) for d in state.input_shape)
        raise RunError(f"{run_dir} trained on samples of shape {shape}: a decision boundary needs 2 features")
    data = load_dataset(state.experiment.data)
    model = build_model(state.experiment.layers, state.input_shape, len(state.class_names))
    model.load_state_dict(state.model)
    probe = BoundaryProbe(data.train_x, data.train_y, state.class_names, feature_names=data.feature_names)
    return probe(model, state.epoch)
