"""What a CNN's layers learned: its first convolution's filters and one sample's feature maps after each Conv2d / pooling layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui_trainer.core.analysis.samples import image_bytes
from tui_trainer.core.spec.inspection import MAX_CHANNELS, FeatureMap, LayerView

if TYPE_CHECKING:
    import torch
    from torch import nn

MAPPED = ("Conv2d", "MaxPool2d", "AvgPool2d")
"""The layers whose output is drawn as feature maps."""


def _channel_bytes(out: torch.Tensor) -> bytes:
    """(C, H, W) activations as bytes, each channel stretched to 0-255 over its own range."""
    import torch

    lo = out.amin(dim=(1, 2), keepdim=True)
    hi = out.amax(dim=(1, 2), keepdim=True)
    scaled = ((out - lo) / (hi - lo).clamp_min(1e-6) * 255).round().to(torch.uint8)
    return scaled.cpu().contiguous().numpy().tobytes()


def layer_view(model: nn.Module, sample: torch.Tensor, index: int) -> LayerView | None:
    """The filters of the model's first Conv2d and the feature maps of one input sample (C, H, W) after each
    Conv2d / pooling layer; None for a model without a Conv2d. The model is evaluated in eval mode (no dropout,
    BatchNorm's running statistics untouched) and left in the mode it was in."""
    import torch
    from torch import nn

    modules = list(model.children()) if isinstance(model, nn.Sequential) else []
    first = next((i for i, m in enumerate(modules) if isinstance(m, nn.Conv2d)), None)
    if first is None:
        return None
    conv = modules[first]
    weight = conv.weight.detach()[:MAX_CHANNELS].float().cpu()
    maps: list[FeatureMap] = []
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            x = sample.unsqueeze(0).to(conv.weight.device)
            for i, module in enumerate(modules):
                x = module(x)
                name = type(module).__name__
                if name in MAPPED and x.dim() == 4:
                    out = x[0, :MAX_CHANNELS].float()
                    c, h, w = (int(d) for d in x.shape[1:])
                    maps.append(FeatureMap(f"{i + 1} {name}", (c, h, w), _channel_bytes(out)))
    finally:
        model.train(was_training)
    pixels, shape = image_bytes(sample.unsqueeze(0))
    return LayerView(
        layer=f"{first + 1} Conv2d",
        filter_shape=tuple(int(d) for d in conv.weight.shape),
        weights=tuple(float(v) for v in weight.flatten().tolist()),
        sample=index,
        maps=tuple(maps),
        pixels=pixels,
        pixel_shape=shape,
    )
