"""Experiment config: TOML round trips, field-by-field validation, readable errors for bad input."""

from __future__ import annotations

import dataclasses

import pytest
from helpers import MLP
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tui_trainer.core.spec.experiment import (
    ConfigError,
    DataSpec,
    Experiment,
    LayerSpec,
    Problem,
    TrainSpec,
    check_field,
    dumps,
    experiment_from_dict,
    experiment_to_dict,
    field_help,
    field_label,
    field_title,
    field_type,
    load,
    loads,
    parse_value,
    save,
    spec_fields,
    validate,
)
from tui_trainer.core.spec.presets import list_presets, load_preset

PRESET_NAMES = [p.name for p in list_presets() if p.builtin]


def good() -> Experiment:
    return Experiment(name="t", data=DataSpec(name="iris"), layers=MLP, train=TrainSpec(device="cpu"))


def fields_of(problems: list[Problem]) -> list[str]:
    return [p.field for p in problems]


# ---------------------------------------------------------------- presets and round trips


def test_builtin_presets_are_all_there():
    assert set(PRESET_NAMES) >= {"perceptron", "mlp", "deep-mlp", "lenet5", "cnn-bn", "cifar-cnn"}


@pytest.mark.parametrize("name", PRESET_NAMES)
def test_every_preset_is_valid_and_round_trips_through_toml(name):
    experiment = load_preset(name)
    assert experiment.name == name
    assert experiment.layers, "a preset has layers"
    assert validate(experiment) == []
    text = dumps(experiment)
    again = loads(text)
    assert again == experiment
    assert dumps(again) == text
    assert experiment_from_dict(experiment_to_dict(experiment)) == experiment


def test_save_and_load_file_round_trip(tmp_path):
    experiment = load_preset("lenet5").with_train(lr=0.123, epochs=3).with_data(name="digits")
    path = tmp_path / "exp.toml"
    save(experiment, path)
    assert load(path) == experiment
    assert not (tmp_path / "exp.toml.tmp").exists()


def test_dumps_leaves_out_none_layer_arguments():
    # None means "use the default" (an auto out_features): valid, and TOML has no null
    experiment = good().replace_layers(
        [LayerSpec("Flatten"), LayerSpec("Linear", {"out_features": None, "bias": False})]
    )
    assert validate(experiment) == []
    assert loads(dumps(experiment)).layers == (LayerSpec("Flatten"), LayerSpec("Linear", {"bias": False}))


def test_loads_fills_defaults_and_converts_int_to_float():
    experiment = loads('[train]\nlr = 1\n[[model.layers]]\ntype = "Linear"\n')
    assert experiment.train.lr == 1.0 and isinstance(experiment.train.lr, float)
    assert experiment.data == DataSpec()
    assert experiment.train == dataclasses.replace(TrainSpec(), lr=1.0)
    assert experiment.layers == (LayerSpec("Linear", {}),)
    assert experiment.name == "experiment"


def test_with_helpers_replace_and_keep_the_original():
    base = good()
    changed = base.with_train(lr=0.5).with_data(val_fraction=0.3).replace_layers([LayerSpec("Linear")])
    assert (changed.train.lr, changed.data.val_fraction, changed.layers) == (0.5, 0.3, (LayerSpec("Linear"),))
    assert base.train.lr == TrainSpec().lr and base.layers == MLP
    assert LayerSpec("Linear", {"out_features": 3}).with_args(out_features=None, bias=False) == LayerSpec(
        "Linear", {"bias": False}
    )


def _in_range(spec_type: type, name: str):
    """A hypothesis strategy for valid values of one config field."""
    f = spec_fields(spec_type)[name]
    meta = f.metadata
    tp = field_type(spec_type, name)
    if meta.get("choices"):
        return st.sampled_from(meta["choices"])
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(int(meta["min"]), int(meta["max"]))
    if tp is float:
        return st.floats(
            meta["min"], meta["max"], allow_nan=False, allow_infinity=False, exclude_min=bool(meta["min_exclusive"])
        )
    if name == "device":
        return st.sampled_from(["auto", "cpu", "cuda", "mps", "cuda:0", "cuda:3"])
    return st.text(max_size=20)


TRAIN_SPECS = st.builds(TrainSpec, **{name: _in_range(TrainSpec, name) for name in spec_fields(TrainSpec)})
DATA_SPECS = st.builds(DataSpec, **{name: _in_range(DataSpec, name) for name in spec_fields(DataSpec)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(train=TRAIN_SPECS, data=DATA_SPECS, name=st.text(max_size=30), description=st.text(max_size=60))
def test_any_in_range_experiment_validates_and_round_trips(train, data, name, description):
    assume(not (train.nesterov and train.optimizer == "sgd" and train.momentum <= 0))
    experiment = Experiment(name=name, description=description, data=data, layers=MLP, train=train)
    assert validate(experiment) == []
    assert loads(dumps(experiment)) == experiment


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"lr": 0.0}, "train.lr", "greater than 0"),
        ({"lr": -1.0}, "train.lr", "greater than 0"),
        ({"lr": 1000.0}, "train.lr", "at most 100"),
        ({"lr": float("nan")}, "train.lr", "finite"),
        ({"lr": float("inf")}, "train.lr", "finite"),
        ({"epochs": 0}, "train.epochs", "at least 1"),
        ({"batch_size": 100_000}, "train.batch_size", "at most 65536"),
        ({"momentum": 1.0}, "train.momentum", "at most 0.999"),
        ({"gamma": 0.0}, "train.gamma", "greater than 0"),
        ({"label_smoothing": -0.1}, "train.label_smoothing", "at least 0"),
        ({"epochs": 2.5}, "train.epochs", "must be an integer"),
        ({"epochs": True}, "train.epochs", "must be an integer"),
        ({"epochs": "10"}, "train.epochs", "must be an integer"),
        ({"lr": "fast"}, "train.lr", "must be a number"),
        ({"nesterov": 1}, "train.nesterov", "true or false"),
        ({"device": 0}, "train.device", "must be text"),
        ({"optimizer": "lbfgs"}, "train.optimizer", "must be one of sgd, adam, adamw, rmsprop"),
        ({"schedule": "linear"}, "train.schedule", "must be one of"),
        ({"init": "zeros"}, "train.init", "must be one of"),
        ({"device": "gpu"}, "train.device", "auto, cpu, cuda, cuda:N or mps"),
        ({"device": "cuda:"}, "train.device", "cuda:N"),
        ({"device": "cuda:x"}, "train.device", "cuda:N"),
        ({"device": "CPU"}, "train.device", "cuda:N"),
    ],
)
def test_validate_reports_bad_train_values(change, field, words):
    experiment = dataclasses.replace(good(), train=dataclasses.replace(good().train, **change))
    problems = validate(experiment)
    assert fields_of(problems) == [field], problems
    assert words in problems[0].message
    assert str(problems[0]).startswith(field_title(field))


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"val_fraction": 0.0}, "data.val_fraction", "at least 0.05"),
        ({"val_fraction": 0.95}, "data.val_fraction", "at most 0.9"),
        ({"n_samples": -5}, "data.n_samples", "at least 0"),
        ({"image_size": 2}, "data.image_size", "at least 4"),
        ({"name": 3}, "data.name", "must be text"),
        ({"download": "yes"}, "data.download", "true or false"),
    ],
)
def test_validate_reports_bad_data_values(change, field, words):
    experiment = good().with_data(**change)
    problems = validate(experiment)
    assert fields_of(problems) == [field], problems
    assert words in problems[0].message


def test_valid_edges_are_accepted():
    experiment = good().with_train(lr=100.0, momentum=0.0, epochs=1, batch_size=1, device="cuda:12", gamma=1.0)
    assert validate(experiment.with_data(val_fraction=0.05)) == []
    assert validate(good().with_train(lr=1e-12)) == []
    assert validate(good().with_train(epochs=3.0)) != []  # an integer field takes no float, even a whole one
    assert validate(good().with_train(lr=1)) == []  # a float field takes an int


def test_nesterov_needs_momentum():
    problems = validate(good().with_train(optimizer="sgd", nesterov=True, momentum=0.0))
    assert fields_of(problems) == ["train.nesterov"]
    assert "momentum" in problems[0].message
    assert validate(good().with_train(optimizer="sgd", nesterov=True, momentum=0.5)) == []
    # nesterov is an SGD option: other optimizers ignore it
    assert validate(good().with_train(optimizer="adam", nesterov=True, momentum=0.0)) == []


def test_several_problems_are_all_reported():
    experiment = good().with_train(lr=-1.0, epochs=0, optimizer="x").with_data(val_fraction=2.0)
    assert set(fields_of(validate(experiment))) == {"train.lr", "train.epochs", "train.optimizer", "data.val_fraction"}


def test_empty_stack_is_a_problem():
    problems = validate(good().replace_layers([]))
    assert fields_of(problems) == ["layers"]
    assert "no layers" in problems[0].message


@pytest.mark.parametrize(
    ("layer", "words"),
    [
        (LayerSpec("Dense"), "unknown layer type"),
        (LayerSpec("linear"), "unknown layer type"),
        (LayerSpec("Linear", {"out_features": 0}), "out_features must be at least 1"),
        (LayerSpec("Linear", {"out_features": 10**6}), "out_features must be at most 65536"),
        (LayerSpec("Linear", {"out_features": 2.5}), "out_features must be an integer"),
        (LayerSpec("Linear", {"out_features": True}), "out_features must be an integer"),
        (LayerSpec("Linear", {"bias": 1}), "bias must be true or false"),
        (LayerSpec("Linear", {"in_features": 3}), "unknown argument 'in_features'"),
        (LayerSpec("Conv2d", {"kernel_size": 0}), "kernel_size must be at least 1"),
        (LayerSpec("Conv2d", {"padding": -1}), "padding must be at least 0"),
        (LayerSpec("Dropout", {"p": 1.0}), "p must be at most 0.99"),
        (LayerSpec("Dropout", {"p": "half"}), "p must be a number"),
        (LayerSpec("ReLU", {"inplace": True}), "unknown argument 'inplace' (arguments: none)"),
        (LayerSpec("LeakyReLU", {"negative_slope": -0.5}), "negative_slope must be at least 0"),
    ],
)
def test_bad_layers_are_problems_naming_the_layer(layer, words):
    layers = (LayerSpec("Flatten"), layer, LayerSpec("Linear"))
    problems = validate(good().replace_layers(layers))
    assert fields_of(problems) == ["layers[2]"], problems
    assert problems[0].message.startswith(f"layer 2 {layer.type}: ")
    assert words in problems[0].message


def test_validate_never_raises_on_garbage_values():
    weird = Experiment(
        name="x",
        data=DataSpec(name=None, val_fraction=None),  # type: ignore[arg-type]
        layers=(LayerSpec("Linear", {"out_features": None, "bias": [1]}),),  # type: ignore[dict-item]
        train=TrainSpec(lr=None, device=None, optimizer=None, nesterov="x"),  # type: ignore[arg-type]
    )
    problems = validate(weird)
    assert {
        "data.name",
        "data.val_fraction",
        "train.lr",
        "train.optimizer",
        "train.nesterov",
        "train.device",
        "layers[1]",
    } <= set(fields_of(problems))


def test_check_field_and_help():
    assert check_field(TrainSpec, "lr", 0.1) is None
    assert check_field(TrainSpec, "lr", 0) == "must be greater than 0, not 0"
    assert check_field(TrainSpec, "batch_size", 0) == "must be at least 1, not 0"
    assert "learning rate" in field_help(TrainSpec, "lr").lower()
    for spec_type in (TrainSpec, DataSpec):
        for name in spec_fields(spec_type):
            assert field_help(spec_type, name), f"{spec_type.__name__}.{name} has no help"
            # defaults are valid, except the device which validate() checks separately
            assert check_field(spec_type, name, getattr(spec_type(), name)) is None


# ---------------------------------------------------------------- reading malformed TOML


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("name = ", "not valid TOML"),
        ("[train\nlr = 1", "not valid TOML"),
        ("a = 1\na = 2", "not valid TOML"),
        ("bogus = 1", "unknown top-level key 'bogus'"),
        ("[training]\nlr = 0.1", "unknown top-level key 'training'"),
        ("[train]\nlearning_rate = 0.1", "unknown key train.learning_rate"),
        ("[data]\nfile = 'x.csv'", "unknown key data.file"),
        ("data = 5", "[data] must be a table"),
        ("train = 'fast'", "[train] must be a table"),
        ("model = 3", "[model]"),
        ("[model]\nlayers = 5", "layers"),
        ("[model]\nlayers = 'Linear'", "layers"),
        ("[model]\nlayers = [1, 2]", "model.layers[1] needs a type"),
        ('[[model.layers]]\ntype = "Linear"\n[[model.layers]]\nkind = "ReLU"', "model.layers[2] needs a type"),
        ("[model]\nlayer = []", "model.layer"),
        ('[model]\nlayers = []\noptimizer = "sgd"', "model.optimizer"),
        ("a = " + "[" * 5000, "not valid TOML"),
    ],
    ids=lambda v: v[:30] if isinstance(v, str) else None,
)
def test_malformed_toml_raises_config_error(text, words):
    with pytest.raises(ConfigError) as info:
        loads(text)
    assert words in str(info.value)
    assert "\n" not in str(info.value)  # one line, for the CLI's single "error:" line


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("[]{}=\"'.,\n #abtrainmodelyesdt01.5-_")), max_size=80))
def test_loads_of_random_text_raises_only_config_error(text):
    try:
        experiment = loads(text)
    except ConfigError:
        return
    assert isinstance(experiment, Experiment)
    validate(experiment)  # never raises either


def test_load_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path)
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load(bad)
    assert str(bad) in str(info.value) and "not valid TOML" in str(info.value)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"name = \xff\xfe\x00\x81")
    with pytest.raises(ConfigError, match="UTF-8"):
        load(binary)


# ---------------------------------------------------------------- parse_value


@pytest.mark.parametrize(
    ("spec_type", "name", "text", "value"),
    [
        (TrainSpec, "lr", " 0.01 ", 0.01),
        (TrainSpec, "lr", "1e-3", 0.001),
        (TrainSpec, "epochs", "5", 5),
        (TrainSpec, "epochs", "5.0", 5),
        (TrainSpec, "epochs", "1e3", 1000),
        (TrainSpec, "nesterov", "TRUE", True),
        (TrainSpec, "nesterov", "yes", True),
        (TrainSpec, "nesterov", "off", False),
        (TrainSpec, "nesterov", "0", False),
        (TrainSpec, "optimizer", " adam ", "adam"),
        (DataSpec, "name", "digits", "digits"),
        (DataSpec, "download", "1", True),
    ],
)
def test_parse_value_converts(spec_type, name, text, value):
    parsed = parse_value(spec_type, name, text)
    assert parsed == value
    assert type(parsed) is type(value)


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("lr", "fast", "learning rate (lr) must be a number, not 'fast'"),
        ("lr", "", "learning rate (lr) must be a number"),
        ("epochs", "2.5", "epochs must be an integer, not '2.5'"),
        ("epochs", "ten", "epochs must be an integer"),
        ("epochs", "nan", "epochs must be an integer"),
        ("epochs", "inf", "epochs must be an integer"),
        ("nesterov", "maybe", "Nesterov momentum (nesterov) must be true or false, not 'maybe'"),
        ("nesterov", "2", "Nesterov momentum (nesterov) must be true or false"),
    ],
)
def test_parse_value_errors_are_readable(name, text, words):
    with pytest.raises(ValueError) as info:
        parse_value(TrainSpec, name, text)
    assert str(info.value) == words or str(info.value).startswith(words)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(spec_fields(TrainSpec))), text=st.text(max_size=30))
def test_parse_value_raises_only_value_error(name, text):
    try:
        value = parse_value(TrainSpec, name, text)
    except ValueError as exc:
        assert name in str(exc)
        return
    assert type(value) is field_type(TrainSpec, name)


# ---------------------------------------------------------------- presets


def test_preset_order_and_user_presets(tmp_path, monkeypatch):
    from tui_trainer.core.spec.presets import PresetError, save_user_preset

    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path / "mine"))
    names = [p.name for p in list_presets()]
    assert names[:6] == ["perceptron", "mlp", "deep-mlp", "lenet5", "cnn-bn", "cifar-cnn"]
    assert all(p.description for p in list_presets())

    experiment = load_preset("lenet5").with_train(lr=0.01)
    path = save_user_preset(experiment, "my-lenet")
    assert path == tmp_path / "mine" / "my-lenet.toml"
    infos = {p.name: p for p in list_presets()}
    assert infos["my-lenet"].builtin is False and names == [p.name for p in list_presets()][:-1]
    loaded = load_preset("my-lenet")
    assert loaded.name == "my-lenet" and loaded.train.lr == 0.01 and loaded.layers == experiment.layers
    assert load_preset(str(path)) == loaded

    with pytest.raises(PresetError, match="built-in"):
        save_user_preset(experiment, "lenet5")
    with pytest.raises(PresetError, match="letters, digits"):
        save_user_preset(experiment, "../escape")
    with pytest.raises(PresetError, match="unknown preset 'nope'"):
        load_preset("nope")
    with pytest.raises(PresetError, match="does not exist"):
        load_preset(str(tmp_path / "missing.toml"))
    assert issubclass(PresetError, ConfigError)


def test_unreadable_user_preset_is_listed_but_fails_to_load(tmp_path, monkeypatch):
    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path))
    (tmp_path / "broken.toml").write_text("[train\n", encoding="utf-8")
    info = next(p for p in list_presets() if p.name == "broken")
    assert info.description == "(unreadable preset file)"
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_preset("broken")


def test_a_saved_preset_is_described_by_its_own_layers(tmp_path, monkeypatch):
    from tui_trainer.core.spec.presets import save_user_preset

    monkeypatch.setenv("TUI_TRAINER_PRESETS", str(tmp_path / "mine"))
    edited = load_preset("mlp").replace_layers(
        [LayerSpec("Flatten"), LayerSpec("Linear", {"out_features": 64}), LayerSpec("ReLU"), LayerSpec("Linear")]
    )
    save_user_preset(edited, "small")
    infos = {p.name: p for p in list_presets()}
    assert infos["small"].description == "Flatten Linear(64) ReLU Linear: saved from mlp"
    assert load_preset("small").description == "Flatten Linear(64) ReLU Linear: saved from mlp"
    long = edited.replace_layers([LayerSpec("ReLU")] * 12)
    save_user_preset(long, "long")
    assert load_preset("long").description == "ReLU ReLU ReLU ReLU ReLU ReLU ReLU ... (12 layers): saved from mlp"


def test_problems_name_fields_as_the_user_sees_them_with_the_bad_value():
    assert [str(p) for p in validate(good().with_train(lr=-1.0))] == [
        "learning rate (lr) must be greater than 0, not -1"
    ]
    assert [str(p) for p in validate(good().with_data(val_fraction=0.0))] == [
        "validation share (val_fraction) must be at least 0.05, not 0"
    ]
    assert [str(p) for p in validate(good().with_train(momentum=0.0, nesterov=True))] == [
        "Nesterov momentum (nesterov) needs momentum > 0, not 0"
    ]
    assert str(validate(good().with_train(epochs=0))[0]) == "epochs must be at least 1, not 0"  # no "epochs (epochs)"
    layer = validate(good().replace_layers([LayerSpec("Linear", {"out_features": 0})]))[0]
    assert str(layer) == "layer 1 Linear: out_features must be at least 1, not 0"
    assert str(Problem("", "the dataset cannot load")) == "the dataset cannot load"
    with pytest.raises(ValueError, match=r"^learning rate \(lr\) must be a number, not 'fast'$"):
        parse_value(TrainSpec, "lr", "fast")
    for spec_type, section in ((TrainSpec, "train"), (DataSpec, "data")):
        for name in spec_fields(spec_type):
            assert spec_fields(spec_type)[name].metadata["label"], name
            assert field_title(f"{section}.{name}") == field_label(spec_type, name)
