"""The search space: --param parsing, each field's own limits, applying values to an experiment, sweep.toml."""

from __future__ import annotations

import pytest

from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.sweep.space import SpaceError, apply, check_space, corners, parse_param
from tui_trainer.core.sweep.spec import SweepSpec, dumps, loads


@pytest.fixture
def mlp():
    return load_preset("mlp")


def test_ranges_and_choices_take_each_fields_type(mlp):
    lr = parse_param("lr=1e-4..1e-1:log", mlp)
    assert (lr.kind, lr.low, lr.high, lr.log) == ("float", 1e-4, 1e-1, True)
    bs = parse_param("batch_size=16,32,64", mlp)
    assert (bs.kind, bs.choices) == ("choice", (16, 32, 64))
    epochs = parse_param("train.epochs=2..8", mlp)
    assert (epochs.kind, epochs.low, epochs.high, epochs.log) == ("int", 2, 8, False)
    width = parse_param("layers.2.out_features=8..128:log", mlp)
    assert (width.kind, width.low, width.high) == ("int", 8, 128)
    act = parse_param("layers.3.type=ReLU,Tanh", mlp)
    assert act.choices == ("ReLU", "Tanh")
    assert parse_param("val_fraction=0.1..0.3", mlp).kind == "float"
    assert parse_param("optimizer=sgd,adam", mlp).choices == ("sgd", "adam")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("foo=1..2", "unknown parameter 'foo'"),
        ("lr=0.1..0.1", "is empty"),
        ("lr=0.1..0.01", "is reversed"),
        ("lr=1e-3..1000", "lr must be at most 100, not 1000"),
        ("lr=0..0.1", "lr must be greater than 0"),
        ("batch_size=0,16", "batch_size must be at least 1, not 0"),
        ("batch_size=8..16.5", "must be an integer"),
        ("optimizer=sgd,lbfgs", "must be one of sgd, adam"),
        ("optimizer=0.1..0.2", "is not a number"),
        ("layers.9.out_features=2..8", "the model has layers 1 to 6, not 9"),
        ("layers.1.out_features=2..8", "layer 1 Flatten has no argument 'out_features'"),
        ("layers.2.out_features=0..8", "must be at least 1, not 0"),
        ("layers.3.type=ReLU,Foo", "must be a layer type"),
        ("momentum=0.5..0.9:cubic", "the scale after ':' is log or linear"),
        ("weight_decay=0..0.1:log", "a log range needs a low end above 0"),
        ("lr=..0.1", "a range needs both ends"),
        ("lr", "--param needs NAME=LOW..HIGH"),
        ("device=cpu,cuda", "cannot be searched"),
    ],
)
def test_bad_parameters_say_why(mlp, text, says):
    with pytest.raises(SpaceError, match=None) as caught:
        parse_param(text, mlp)
    assert says in str(caught.value)


def test_the_space_as_a_whole(mlp):
    lr = parse_param("lr=1e-3..1e-1:log", mlp)
    with pytest.raises(SpaceError, match="searched twice"):
        check_space((lr, parse_param("train.lr=0.1,0.2", mlp)), "tpe")
    with pytest.raises(SpaceError, match="the grid sampler needs choices"):
        check_space((lr,), "grid")
    big = (parse_param("batch_size=1..100", mlp), parse_param("epochs=1..20", mlp))
    with pytest.raises(SpaceError, match="the grid has 2000 points"):
        check_space(big, "grid")
    with pytest.raises(SpaceError, match="nothing to search"):
        check_space((), "tpe")


def test_apply_sets_fields_and_layers(mlp):
    out = apply(mlp, {"lr": 0.01, "batch_size": 16, "layers.2.out_features": 7, "layers.3.type": "LeakyReLU"})
    assert out.train.lr == 0.01 and out.train.batch_size == 16
    assert out.layers[1].args["out_features"] == 7
    assert out.layers[2].type == "LeakyReLU"
    assert out.layers[0] == mlp.layers[0] and out.layers[3:] == mlp.layers[3:]
    assert mlp.train.lr == 0.05  # the base stays as it was
    assert apply(mlp, {"val_fraction": 0.3}).data.val_fraction == 0.3


def test_corners_are_each_end(mlp):
    params = (parse_param("lr=1e-3..1e-1:log", mlp), parse_param("batch_size=16,32", mlp))
    assert corners(params) == [{"lr": 1e-3}, {"lr": 1e-1}, {"batch_size": 16}, {"batch_size": 32}]


def test_sweep_toml_round_trip(mlp):
    params = (parse_param("lr=0.0001..0.1:log", mlp), parse_param("layers.3.type=ReLU,Tanh", mlp))
    spec = SweepSpec(mlp, params, trials=12, sampler="random", pruner="hyperband", objective="final_val_loss")
    spec = SweepSpec(**{**spec.__dict__, "study_name": "s1"})
    text = dumps(spec)
    assert "[sweep]" in text and 'lr = "0.0001..0.1:log"' in text
    back = loads(text)
    assert back == spec
    assert back.direction == "minimize"


def test_workers_split_the_cores_or_take_one_gpu_each():
    from tui_trainer.core.sweep.launch import parse_devices, plan_workers

    assert [(p.threads, p.device, p.visible) for p in plan_workers(2, cores=2)] == [(1, None, None)] * 2
    assert [p.threads for p in plan_workers(3, cores=16)] == [5, 5, 5]
    assert [p.threads for p in plan_workers(4, cores=2)] == [1, 1, 1, 1]
    gpus = plan_workers(2, parse_devices("cuda:0,cuda:3"), cores=16)
    assert [(p.device, p.visible, p.threads) for p in gpus] == [("cuda", "0", 8), ("cuda", "3", 8)]
    for bad, says in (("cuda:0,cuda:0", "names a GPU twice"), ("gpu1", "cuda:N or cpu"), (",", "needs cuda:N")):
        with pytest.raises(ValueError, match=says):
            parse_devices(bad)


def test_a_running_trial_is_stale_when_its_worker_is_gone():
    import datetime
    import os
    import subprocess
    import sys

    from optuna.distributions import FloatDistribution
    from optuna.trial import TrialState, create_trial

    from tui_trainer.core.sweep.stale import STALE_S, is_stale

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    start = datetime.datetime(2026, 12, 1, 12, 0, 0)

    def trial(host: str, pid: int, beat: float):
        return create_trial(
            state=TrialState.RUNNING,
            params={"lr": 0.1},
            distributions={"lr": FloatDistribution(1e-3, 1.0)},
            user_attrs={"worker": {"host": host, "pid": pid}, "heartbeat": beat},
        )

    now = start.timestamp() + 1000
    assert is_stale(trial("here", dead_pid, now), now, host="here")  # its process is gone on this host
    assert not is_stale(trial("here", os.getpid(), now), now, host="here")
    assert not is_stale(
        trial("elsewhere", dead_pid, now - STALE_S + 1), now, host="here"
    )  # another machine's: by its heartbeat
    assert is_stale(trial("elsewhere", dead_pid, now - STALE_S - 1), now, host="here")


@pytest.mark.process
def test_reading_a_study_never_imports_torch(tmp_path):
    """What a UI process would use to watch a sweep (the space, sweep.toml, the storage, the results with Optuna's
    importances) pulls in no torch: Optuna imports it only for its GP sampler, which sweeps do not use."""
    import subprocess
    import sys

    code = f"""
import sys
import optuna
from optuna.distributions import FloatDistribution
from tui_trainer.core.spec.presets import load_preset
from tui_trainer.core.sweep.folder import create_folder, open_folder
from tui_trainer.core.sweep.results import study_result
from tui_trainer.core.sweep.space import parse_param
from tui_trainer.core.sweep.spec import SweepSpec
from tui_trainer.core.sweep.study import create_study, journal_storage, load_study
base = load_preset("mlp")
spec = SweepSpec(base, (parse_param("lr=1e-3..1e-1:log", base),), trials=3, study_name="s")
folder = create_folder(__import__("pathlib").Path({str(tmp_path)!r}) / "sw", spec)
study = create_study(spec, journal_storage(folder.journal))
for i, (lr, value) in enumerate([(0.001, 0.5), (0.01, 0.8), (0.1, 0.9)]):
    study.add_trial(optuna.trial.create_trial(params={{"lr": lr}}, distributions={{"lr": FloatDistribution(1e-3, 1e-1, log=True)}}, value=value))
again = open_folder(folder.path)
result = study_result(load_study(again.spec, journal_storage(again.journal)))
assert result.best.value == 0.9 and set(result.importances) == {{"lr"}}, result
print("torch" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_a_storage_url_is_shown_without_its_password():
    from tui_trainer.core.sweep.study import shown_url

    assert shown_url("postgresql://bob:s3cret@db.lan:5432/sweeps") == "postgresql://bob:***@db.lan:5432/sweeps"
    assert shown_url("postgresql://postgres@127.0.0.1:5433/postgres") == "postgresql://postgres@127.0.0.1:5433/postgres"
