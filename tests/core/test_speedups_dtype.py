"""The mixed-precision dtype per device: float16 with a gradient scaler on CUDA, bfloat16 everywhere else
(as the README, the help and the mixed_precision option say). Checked without the devices themselves."""

from __future__ import annotations

import pytest
import torch

from tui_trainer.core.spec.experiment import TrainSpec
from tui_trainer.core.training.speedups import SpeedUps, amp_dtype_name, scaled_amp


@pytest.mark.parametrize(
    ("device", "dtype", "scaled"),
    [
        ("cuda", "float16", True),
        ("cuda:0", "float16", True),
        ("cuda:3", "float16", True),
        ("cpu", "bfloat16", False),
        ("mps", "bfloat16", False),
        ("mps:0", "bfloat16", False),
        ("xpu", "bfloat16", False),
    ],
)
def test_the_dtype_and_the_scaler_follow_the_device(device, dtype, scaled):
    assert amp_dtype_name(device) == dtype
    assert scaled_amp(device) is scaled


@pytest.mark.parametrize("device", ["mps", "cpu"])
def test_a_step_off_cuda_autocasts_to_bfloat16_without_a_scaler(device):
    """SpeedUps only parses the device string here (nothing is moved to it), so MPS needs no Mac."""
    step = SpeedUps(torch.nn.Linear(4, 3), TrainSpec(mixed_precision=True), device)
    assert step.amp_dtype is torch.bfloat16
    assert step.scaler is None
    assert step.description == "mixed precision (bfloat16)"


def test_the_dtype_names_are_torch_dtypes():
    assert getattr(torch, amp_dtype_name("cuda")) is torch.float16
    assert getattr(torch, amp_dtype_name("mps")) is torch.bfloat16


@pytest.mark.parametrize("device", ["cuda", "mps", "cpu", "xpu"])
def test_the_exported_script_picks_the_same_dtype_as_the_engine(device):
    """The script's own choice of dtype (training and evaluation), evaluated for each device type, equals
    amp_dtype_name's: the exported script runs what the engine runs."""
    import re

    from helpers import MLP, experiment

    from tui_trainer.core.export import ExportSource, export_script

    script = export_script(ExportSource(experiment(MLP, dataset="moons", mixed_precision=True), (2,), 2, "a test"))
    train_choice = re.search(r"amp_dtype = (.+)", script).group(1)
    eval_choice = re.search(r"dtype=(torch\.\w+ if torch\.device\(DEVICE\)\.type == '\w+' else torch\.\w+)", script)
    assert eval_choice is not None
    expected = getattr(torch, amp_dtype_name(device))
    assert eval(train_choice, {"torch": torch, "amp_device": device}) is expected
    eval_text = eval_choice.group(1).replace("torch.device(DEVICE).type", repr(device))
    assert eval(eval_text, {"torch": torch}) is expected
