"""Layer catalogue and model summary: every layer runs, and the arithmetic summary matches PyTorch."""

from __future__ import annotations

import random

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from tui_trainer.core.spec.experiment import LayerSpec
from tui_trainer.core.spec.layers import CATALOGUE, check_layer, describe_args, layer_type, resolved_args
from tui_trainer.core.spec.presets import list_presets, load_preset
from tui_trainer.core.spec.summary import ModelError, format_shape, summarize
from tui_trainer.core.training.model import build_layer, build_model

L = LayerSpec
PRESET_NAMES = [p.name for p in list_presets() if p.builtin]
# Built-in dataset shapes and class counts the presets are meant for (checked against the registry
# in test_registry_shapes_match below once the datasets package is there).
DATASET_SHAPES = {
    "digits": ((1, 8, 8), 10),
    "digits28": ((1, 28, 28), 10),
    "iris": ((4,), 3),
    "moons": ((2,), 2),
    "cifar10": ((3, 32, 32), 10),
}


def meta_trace(layers, input_shape, n_classes):
    """(module per layer, per-layer output shape without batch, per-layer params) from PyTorch on meta."""
    with torch.device("meta"):
        model = build_model(layers, input_shape, n_classes)
    x = torch.empty(2, *input_shape, device="meta")
    shapes, params = [], []
    for module in model:
        x = module(x)
        assert x.shape[0] == 2
        shapes.append(tuple(x.shape[1:]))
        params.append(sum(p.numel() for p in module.parameters()))
    return list(model), shapes, params


def assert_summary_matches_torch(layers, input_shape, n_classes):
    summary = summarize(layers, input_shape, n_classes)
    assert summary.ok, summary.problems
    modules, shapes, params = meta_trace(layers, input_shape, n_classes)
    assert len(modules) == len(layers) == len(summary.rows)
    assert [r.output_shape for r in summary.rows] == shapes
    assert [r.params for r in summary.rows] == params
    assert summary.total_params == sum(params)
    assert shapes[-1] == (n_classes,)
    assert all(r.error is None for r in summary.rows)
    assert [r.index for r in summary.rows] == list(range(1, len(layers) + 1))
    return summary


# ---------------------------------------------------------------- the catalogue


def _input_for(kind: str) -> tuple[int, ...]:
    return (4,) if CATALOGUE[kind].input == "features" else (3, 8, 8)


@pytest.mark.parametrize("kind", sorted(CATALOGUE))
def test_each_layer_type_builds_and_runs_forward_and_backward(kind):
    torch.manual_seed(0)
    shape = _input_for(kind)
    spec = L(kind)
    assert check_layer(spec) == []
    module = build_layer(spec, shape, out_features=5)
    assert isinstance(module, nn.Module)
    module.train()
    x = torch.randn(6, *shape, requires_grad=True)
    y = module(x)
    assert y.shape[0] == 6 and torch.isfinite(y).all()
    (y * torch.randn_like(y)).sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
    for p in module.parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all()
    if kind in ("Step", "Sign"):
        assert torch.count_nonzero(x.grad) == 0
    elif kind not in ("Dropout",):
        assert torch.count_nonzero(x.grad) > 0


def test_catalogue_entries_are_complete():
    groups = {"dense", "conv", "pool", "shape", "norm", "regularise", "activation"}
    for name, lt in CATALOGUE.items():
        assert lt.name == name and layer_type(name) is lt
        assert lt.group in groups and lt.help and lt.input in ("features", "image", "any")
        for a in lt.args:
            assert a.help and a.type in (int, float, bool)
            if a.default is not None:
                assert isinstance(a.default, a.type)
            assert lt.arg(a.name) is a
    with pytest.raises(KeyError):
        layer_type("Dense")
    with pytest.raises(KeyError):
        CATALOGUE["Linear"].arg("in_features")


def test_resolved_and_described_args():
    conv = L("Conv2d", {"out_channels": 6, "kernel_size": 5})
    assert resolved_args(conv) == {"out_channels": 6, "kernel_size": 5, "stride": 1, "padding": 0}
    assert describe_args(conv) == "out_channels=6, kernel_size=5"
    assert describe_args(L("Linear")) == "out_features=auto"
    assert describe_args(L("MaxPool2d")) == "kernel_size=2, stride=auto"
    assert describe_args(L("Dropout", {"p": 0.3})) == "p=0.3"


def test_built_layers_are_the_pytorch_classes():
    assert isinstance(build_layer(L("BatchNorm"), (3, 8, 8)), nn.BatchNorm2d)
    assert isinstance(build_layer(L("BatchNorm"), (7,)), nn.BatchNorm1d)
    lin = build_layer(L("Linear", {"bias": False}), (7,), out_features=3)
    assert (lin.in_features, lin.out_features, lin.bias) == (7, 3, None)
    assert build_layer(L("Linear", {"out_features": 9}), (7,), out_features=3).out_features == 9
    conv = build_layer(L("Conv2d", {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}), (3, 9, 9))
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding) == (
        3,
        4,
        (3, 3),
        (2, 2),
        (1, 1),
    )
    assert build_layer(L("LeakyReLU", {"negative_slope": 0.2}), (3,)).negative_slope == 0.2
    assert build_layer(L("Dropout", {"p": 0.25}), (3,)).p == 0.25


@pytest.mark.parametrize("kind", ["Step", "Sign"])
def test_step_and_sign_stop_gradients_to_earlier_layers(kind):
    """The lesson: with a step-like activation, the layers before it get no gradient and cannot learn."""
    torch.manual_seed(0)
    layers = [L("Linear", {"out_features": 8}), L(kind), L("Linear")]
    model = build_model(layers, (4,), 3)
    x, y = torch.randn(16, 4), torch.randint(0, 3, (16,))
    nn.functional.cross_entropy(model(x), y).backward()
    first, last = model[0], model[2]
    assert torch.count_nonzero(first.weight.grad) == 0 and torch.count_nonzero(first.bias.grad) == 0
    assert torch.count_nonzero(last.weight.grad) > 0
    # the same stack with ReLU does pass gradients back
    relu = build_model([layers[0], L("ReLU"), layers[2]], (4,), 3)
    nn.functional.cross_entropy(relu(x), y).backward()
    assert torch.count_nonzero(relu[0].weight.grad) > 0


def test_step_and_sign_values():
    x = torch.tensor([-2.0, 0.0, 3.0])
    assert build_layer(L("Step"), (3,))(x).tolist() == [0.0, 0.5, 1.0]
    assert build_layer(L("Sign"), (3,))(x).tolist() == [-1.0, 0.0, 1.0]


# ---------------------------------------------------------------- summary vs PyTorch


def test_lenet5_has_44426_parameters():
    layers = load_preset("lenet5").layers
    summary = assert_summary_matches_torch(layers, (1, 28, 28), 10)
    assert summary.total_params == 44_426
    assert sum(p.numel() for p in build_model(layers, (1, 28, 28), 10).parameters()) == 44_426
    assert [format_shape(r.output_shape) for r in summary.rows][:7] == [
        "6x24x24",
        "6x24x24",
        "6x12x12",
        "16x8x8",
        "16x8x8",
        "16x4x4",
        "256",
    ]
    assert summary.rows[0].args == "in_channels=1, out_channels=6, kernel_size=5"
    assert summary.rows[-1].args == "in_features=84, out_features=10"


def _torch_oracle(layers, input_shape, n_classes):
    """Index (1-based) of the first layer PyTorch itself cannot build or run, 0 when all run, and the output shape."""
    shape = tuple(input_shape)
    x = torch.empty(2, *shape, device="meta")
    for i, layer in enumerate(layers, start=1):
        try:
            with torch.device("meta"):
                module = build_layer(layer, shape, n_classes)
            x = module(x)
        except Exception:
            return i, None
        if layer.type == "Linear" and len(shape) != 1:
            return i, None  # torch may broadcast a Linear over the last image axis; the model may not
        shape = tuple(x.shape[1:])
    return 0, shape


@pytest.mark.parametrize("dataset", sorted(DATASET_SHAPES))
@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_every_preset_on_every_builtin_shape(preset, dataset):
    layers = load_preset(preset).layers
    shape, n_classes = DATASET_SHAPES[dataset]
    summary = summarize(layers, shape, n_classes)
    failing, out = _torch_oracle(layers, shape, n_classes)
    if failing == 0 and out == (n_classes,):
        assert summary.ok, summary.problems
        assert_summary_matches_torch(layers, shape, n_classes)
    else:
        assert not summary.ok
        assert failing, "PyTorch ran the whole stack, so only the width could be wrong"
        assert summary.problems[0].startswith(f"layer {failing} {layers[failing - 1].type}: ")
        assert summary.rows[failing - 1].error and summary.rows[failing - 1].output_shape is None
        with pytest.raises(ModelError, match=f"^layer {failing} "):
            build_model(layers, shape, n_classes)


def test_which_presets_fit_which_datasets():
    fits = {
        (preset, dataset)
        for preset in PRESET_NAMES
        for dataset, (shape, n) in DATASET_SHAPES.items()
        if summarize(load_preset(preset).layers, shape, n).ok
    }
    expected = {(p, d) for p in ("perceptron", "mlp", "deep-mlp") for d in DATASET_SHAPES}
    expected |= {(p, d) for p in ("cnn-bn", "cifar-cnn") for d in ("digits", "digits28", "cifar10")}
    expected |= {("lenet5", "digits28"), ("lenet5", "cifar10")}
    assert fits == expected
    problems = summarize(load_preset("lenet5").layers, (1, 8, 8), 10).problems
    assert problems == (
        "layer 4 Conv2d: kernel 5 is larger than its 2x2 input: remove a pooling layer or use a smaller kernel",
    )


def _random_valid_stack(rng: random.Random):
    """A random stack that should fit: (layers, input shape, class count)."""
    n_classes = rng.randint(2, 6)
    layers = []
    if rng.random() < 0.6:
        shape = [rng.randint(1, 3), rng.randint(4, 20), rng.randint(4, 20)]
        input_shape = tuple(shape)
        for _ in range(rng.randint(0, 4)):
            _, h, w = shape
            kind = rng.choice(["Conv2d", "MaxPool2d", "AvgPool2d", "BatchNorm", "ReLU", "Dropout", "Step", "GELU"])
            if kind == "Conv2d":
                pad = rng.randint(0, 2)
                k = rng.randint(1, min(h, w) + 2 * pad)
                stride = rng.randint(1, 3)
                oc = rng.randint(1, 5)
                layers.append(L(kind, {"out_channels": oc, "kernel_size": k, "stride": stride, "padding": pad}))
                shape = [oc, (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1]
            elif kind in ("MaxPool2d", "AvgPool2d"):
                k = rng.randint(1, min(h, w, 3))
                args = {"kernel_size": k}
                if rng.random() < 0.5:
                    args["stride"] = rng.randint(1, 3)
                layers.append(L(kind, args))
                stride = args.get("stride", k)
                shape = [shape[0], (h - k) // stride + 1, (w - k) // stride + 1]
            elif kind == "Dropout":
                layers.append(L(kind, {"p": round(rng.random() * 0.9, 2)}))
            else:
                layers.append(L(kind))
        layers.append(L("Flatten"))
    else:
        shape = [rng.randint(1, 12)]
        input_shape = tuple(shape)
        if rng.random() < 0.3:
            layers.append(L("Flatten"))
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(
            ["Linear", "Linear", "BatchNorm", "Tanh", "Sigmoid", "LeakyReLU", "Identity", "Sign", "Dropout"]
        )
        if kind == "Linear":
            layers.append(L("Linear", {"out_features": rng.randint(1, 9), "bias": rng.random() < 0.7}))
        elif kind == "LeakyReLU":
            layers.append(L(kind, {"negative_slope": 0.1}))
        else:
            layers.append(L(kind))
    last = {"bias": False} if rng.random() < 0.2 else {}
    if rng.random() < 0.3:
        last["out_features"] = n_classes
    layers.append(L("Linear", last))
    if rng.random() < 0.3:
        layers.append(L(rng.choice(["ReLU", "Dropout", "Identity"])))
    return layers, input_shape, n_classes


@pytest.mark.parametrize("seed", range(40))
def test_random_valid_stacks_match_torch(seed):
    layers, input_shape, n_classes = _random_valid_stack(random.Random(seed))
    assert_summary_matches_torch(layers, input_shape, n_classes)


SMALL_LAYERS = st.one_of(
    st.builds(
        lambda oc, k, s, p: L("Conv2d", {"out_channels": oc, "kernel_size": k, "stride": s, "padding": p}),
        st.integers(1, 4),
        st.integers(1, 6),
        st.integers(1, 3),
        st.integers(0, 2),
    ),
    st.builds(
        lambda k, s: L("MaxPool2d", {"kernel_size": k, "stride": s}),
        st.integers(1, 4),
        st.sampled_from([None, 1, 2, 3]),
    ),
    st.builds(lambda k: L("AvgPool2d", {"kernel_size": k}), st.integers(1, 4)),
    st.builds(lambda n, b: L("Linear", {"out_features": n, "bias": b}), st.integers(1, 12), st.booleans()),
    st.just(L("Linear")),
    st.sampled_from([L(k) for k in ("Flatten", "BatchNorm", "ReLU", "Tanh", "Dropout", "Step", "Identity")]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    layers=st.lists(SMALL_LAYERS, min_size=1, max_size=7),
    input_shape=st.one_of(
        st.tuples(st.integers(1, 3), st.integers(1, 12), st.integers(1, 12)), st.tuples(st.integers(1, 12))
    ),
    n_classes=st.integers(2, 5),
)
def test_summary_agrees_with_torch_on_arbitrary_stacks(layers, input_shape, n_classes):
    summary = summarize(layers, input_shape, n_classes)
    if summary.ok:
        assert_summary_matches_torch(layers, input_shape, n_classes)
        return
    # every problem names a layer, or the model's end
    assert all(p.startswith("layer ") or p.startswith("the model") for p in summary.problems)
    first_bad = next((r for r in summary.rows if r.error), None)
    failing, out = _torch_oracle(layers, input_shape, n_classes)
    if failing:
        # PyTorch fails at a layer: the summary flags that layer or one before it (e.g. an empty out_features)
        assert first_bad is not None and first_bad.index <= failing
    elif first_bad is None:
        # no layer error: only the model's final output can be wrong, and PyTorch agrees it is
        assert out != (n_classes,) or all(r.params == 0 for r in summary.rows)
    with pytest.raises(ModelError):
        build_model(layers, input_shape, n_classes)


# ---------------------------------------------------------------- error messages


def test_linear_on_an_image_says_add_a_flatten():
    summary = summarize([L("Linear")], (1, 8, 8), 10)
    assert summary.problems == ("layer 1 Linear: its input is a 1x8x8 image: add a Flatten layer before it",)
    assert summary.rows[0].error and "add a Flatten" in summary.rows[0].error


def test_conv_on_features_says_it_needs_an_image():
    summary = summarize([L("Conv2d"), L("Flatten"), L("Linear")], (4,), 3)
    assert len(summary.problems) == 1
    assert summary.problems[0].startswith("layer 1 Conv2d: needs an image")
    assert "4 features" in summary.problems[0]
    assert summarize([L("MaxPool2d"), L("Linear")], (4,), 3).problems[0].startswith("layer 1 MaxPool2d: needs an image")


def test_kernel_larger_than_input():
    layers = [L("MaxPool2d"), L("MaxPool2d"), L("Conv2d", {"kernel_size": 5}), L("Flatten"), L("Linear")]
    problems = summarize(layers, (1, 16, 16), 3).problems
    assert len(problems) == 1
    assert problems[0].startswith("layer 3 Conv2d: kernel 5 is larger than its 4x4 input")
    padded = summarize([L("Conv2d", {"kernel_size": 9, "padding": 1}), L("Flatten"), L("Linear")], (1, 6, 6), 3)
    assert "kernel 9 is larger than its 6x6 input (padding 1)" in padded.problems[0]
    # padding can make it fit: 4 + 2*1 >= 5
    assert summarize([L("Conv2d", {"kernel_size": 5, "padding": 1}), L("Flatten"), L("Linear")], (1, 4, 4), 3).ok


def test_wrong_final_width_names_the_class_count():
    problems = summarize([L("Flatten"), L("Linear", {"out_features": 7})], (4,), 10).problems
    assert len(problems) == 1 and "out_features=10" in problems[0] and "7" in problems[0]
    ends_image = summarize([L("Conv2d")], (1, 8, 8), 10).problems
    assert len(ends_image) == 1 and "Flatten" in ends_image[0] and "10 outputs" in ends_image[0]


def test_empty_out_features_only_on_the_last_linear():
    problems = summarize([L("Flatten"), L("Linear"), L("ReLU"), L("Linear")], (4,), 3).problems
    assert len(problems) == 1
    assert problems[0].startswith("layer 2 Linear: out_features is empty")
    summary = summarize([L("Flatten"), L("Linear", {"out_features": 5}), L("ReLU"), L("Linear")], (4,), 3)
    assert summary.ok and summary.rows[-1].output_shape == (3,)


def test_invalid_layers_and_empty_stack_are_problems():
    summary = summarize([L("Flatten"), L("Dense"), L("Linear")], (4,), 3)
    assert summary.problems[0].startswith("layer 2 Dense: unknown layer type")
    assert summary.rows[2].output_shape is None  # unknown after an error
    bad_arg = summarize([L("Linear", {"out_features": 0})], (4,), 3)
    assert bad_arg.problems == ("layer 1 Linear: out_features must be at least 1, not 0",)
    empty = summarize([], (4,), 3)
    assert not empty.ok and "no layers" in empty.problems[0] and empty.total_params == 0


def test_a_stack_without_weights_is_a_problem():
    # moons has 2 features and 2 classes: a lone Flatten "fits" but has nothing to learn
    summary = summarize([L("Flatten")], (2,), 2)
    assert not summary.ok
    with pytest.raises(ModelError):
        build_model([L("Flatten"), L("ReLU")], (2,), 2)


def test_build_model_raises_model_error_naming_the_layer():
    with pytest.raises(ModelError, match="^layer 1 Linear: .*add a Flatten"):
        build_model([L("Linear")], (1, 8, 8), 10)
    model = build_model([L("Flatten"), L("Linear", {"out_features": 6}), L("ReLU"), L("Linear")], (1, 8, 8), 10)
    assert isinstance(model, nn.Sequential)
    assert model(torch.randn(3, 1, 8, 8)).shape == (3, 10)


def test_format_shape():
    assert format_shape((1, 28, 28)) == "1x28x28"
    assert format_shape((120,)) == "120"
    assert format_shape(None) == "?"


def test_registry_shapes_match():
    """The shapes assumed above are the registry's."""
    from tui_trainer.core.data import dataset_info

    for name, (shape, n_classes) in DATASET_SHAPES.items():
        info = dataset_info(name)
        assert (info.input_shape, info.n_classes) == (shape, n_classes), name
