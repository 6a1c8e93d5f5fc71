"""Robustness: FGSM / PGD in raw pixel scale against hand computations, corruptions, a trained run, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from helpers import CNN, experiment
from torch import nn

from tui_trainer.cli.main import main
from tui_trainer.core.analysis.attacks import InputScale, fgsm, pgd
from tui_trainer.core.analysis.corruptions import CorruptionError, corrupt
from tui_trainer.core.analysis.request import robustness_request
from tui_trainer.core.analysis.robustness import evaluate_robustness
from tui_trainer.core.data.bundle import DataBundle
from tui_trainer.core.spec.robustness import (
    CORRUPTIONS,
    SEVERITIES,
    RobustnessInputError,
    RobustnessRequest,
    corruptions_for,
    parse_attacks,
    parse_corruptions,
    parse_eps,
)


def image_bundle(mean: float, std: float, pixel_scale: float) -> DataBundle:
    x = torch.zeros(2, 1, 2, 2)
    return DataBundle(
        "t", x, torch.zeros(2, dtype=torch.long), x, torch.zeros(2, dtype=torch.long), ("a", "b"), (1, 2, 2),
        input_mean=(mean,), input_std=(std,), pixel_scale=pixel_scale,
    )  # fmt: skip


def tiny_linear() -> nn.Module:
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    with torch.no_grad():
        model[1].weight.copy_(torch.tensor([[1.0, -2.0, 0.5, 0.0], [-1.0, 1.0, 3.0, -0.5]]))
        model[1].bias.zero_()
    return model.eval()


def test_fgsm_is_x_plus_eps_sign_grad_in_raw_pixel_scale():
    """A linear model's input gradient is known in closed form: raw pixels move by eps * sign, clamped to [0, 1]."""
    pixel_scale, mean, std = 16.0, 4.0, 5.0  # raw values 0..16 like scikit-learn's digits
    scale = InputScale.of(image_bundle(mean, std, pixel_scale))
    model = tiny_linear()
    raw = torch.tensor([[[[0.0, 8.0], [16.0, 12.0]]]])  # in the loader's units
    x = (raw - mean) / std  # what the model sees
    y = torch.tensor([0])
    eps = 0.1
    # by hand: logits = W @ x; dL/dx = (softmax - onehot) @ W; dL/du = dL/dx * pixel_scale / std (same sign)
    logits = model(x)
    p = torch.softmax(logits, 1)[0]
    grad_x = (p - torch.tensor([1.0, 0.0])) @ model[1].weight
    u = raw.flatten() / pixel_scale
    expected_u = (u + eps * grad_x.sign()).clamp(0, 1)
    adv = fgsm(model, x, y, eps, scale)
    adv_u = (adv * std + mean).flatten() / pixel_scale
    torch.testing.assert_close(adv_u, expected_u)
    assert (adv_u - u).abs().max() <= eps + 1e-6
    assert adv_u[2] == 1.0  # the full pixel cannot get brighter: clamped, not pushed past 1


def test_eps_0_leaves_every_input_exactly_as_it_was():
    scale = InputScale.of(image_bundle(0.3, 0.2, 1.0))
    model = tiny_linear()
    x = (torch.rand(5, 1, 2, 2, generator=torch.Generator().manual_seed(1)) - 0.3) / 0.2
    y = torch.tensor([0, 1, 0, 1, 1])
    assert torch.equal(fgsm(model, x, y, 0.0, scale), x)
    assert torch.equal(pgd(model, x, y, 0.0, scale, torch.Generator().manual_seed(0)), x)


def test_pgd_stays_in_the_eps_ball_and_the_pixel_range_and_beats_its_start():
    scale = InputScale.of(image_bundle(0.5, 0.25, 1.0))
    model = tiny_linear()
    u = torch.rand(64, 1, 2, 2, generator=torch.Generator().manual_seed(2))
    x = (u - 0.5) / 0.25
    y = model(x).argmax(1)  # every input classified correctly
    adv = pgd(model, x, y, 0.2, scale, torch.Generator().manual_seed(0))
    adv_u = adv * 0.25 + 0.5
    assert (adv_u - u).abs().max() <= 0.2 + 1e-5
    assert adv_u.min() >= -1e-6 and adv_u.max() <= 1 + 1e-6
    loss = nn.functional.cross_entropy
    assert loss(model(adv), y) > loss(model(fgsm(model, x, y, 0.0, scale)), y)


def test_tabular_eps_is_in_standard_deviations_and_unclamped():
    bundle = DataBundle("t", torch.zeros(1, 4), torch.zeros(1), torch.zeros(1, 4), torch.zeros(1), ("a", "b"), (4,))
    scale = InputScale.of(bundle)
    model = tiny_linear()
    x = torch.tensor([[3.0, -3.0, 0.5, 9.0]])
    adv = fgsm(model, x, torch.tensor([1]), 0.5, scale)
    assert torch.allclose((adv - x).abs(), torch.tensor([0.5, 0.5, 0.5, 0.5]))


@pytest.mark.parametrize("name", corruptions_for("image"))
def test_image_corruptions_keep_shape_and_range_and_severity_0_is_the_identity(name):
    u = torch.rand(6, 3, 12, 10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(corrupt(name, u, 0, torch.Generator().manual_seed(0)), u)
    previous = None
    for severity in SEVERITIES:
        out = corrupt(name, u, severity, torch.Generator().manual_seed(0))
        assert out.shape == u.shape and out.dtype == u.dtype
        assert out.min() >= 0.0 and out.max() <= 1.0
        assert not torch.equal(out, u)
        again = corrupt(name, u, severity, torch.Generator().manual_seed(0))
        assert torch.equal(out, again)  # seeded
        change = (out - u).abs().mean()
        if previous is not None and name not in ("shot_noise",):
            assert change >= previous * 0.8  # stronger with the severity (noise draws may wobble a little)
        previous = change


@pytest.mark.parametrize("name", corruptions_for("2d"))
def test_point_corruptions_keep_shape_and_severity_0_is_the_identity(name):
    u = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(corrupt(name, u, 0, torch.Generator()), u)
    out = corrupt(name, u, 3, torch.Generator().manual_seed(0))
    assert out.shape == u.shape and torch.isfinite(out).all() and not torch.equal(out, u)
    if name == "rotation":  # a rotation about the origin keeps each point's distance to it
        torch.testing.assert_close(out.norm(dim=1), u.norm(dim=1))


def test_a_corruption_that_cannot_apply_is_a_clear_error():
    with pytest.raises(CorruptionError, match="rotation cannot apply to rows of 4 features"):
        corrupt("rotation", torch.zeros(3, 4), 2, torch.Generator())
    with pytest.raises(CorruptionError, match="blur cannot apply"):
        corrupt("blur", torch.zeros(3, 2), 2, torch.Generator())
    with pytest.raises(RobustnessInputError, match="rotation cannot apply to tabular data"):
        parse_corruptions("rotation", "features")
    assert parse_corruptions("all", "features") == ("feature_noise", "shift")
    assert set(parse_corruptions("all", "image")) | {"feature_noise", "shift"} == set(CORRUPTIONS)


def test_parsing_eps_and_attacks():
    assert parse_eps("0.3, 0,0.1,0.1") == (0.0, 0.1, 0.3)
    for bad in ("-0.1", "x", "", "nan"):
        with pytest.raises(RobustnessInputError):
            parse_eps(bad)
    assert parse_attacks("PGD,fgsm") == ("pgd", "fgsm")
    with pytest.raises(RobustnessInputError, match="unknown attack 'cw'"):
        parse_attacks("fgsm,cw")


# ---------------------------------------------------------------- a trained run


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    """A small CNN trained a few epochs on the 8x8 digits (seconds on the CPU)."""
    from tui_trainer.core.pipeline.execute import run
    from tui_trainer.core.pipeline.request import RunRequest

    root = tmp_path_factory.mktemp("runs")
    exp = experiment(CNN, dataset="digits", epochs=4, lr=0.1, batch_size=32)
    end = run(RunRequest(exp, runs_dir=str(root)), on_event=lambda e: None, should_stop=lambda: False)
    assert end.status == "finished", end.reason
    (run_dir,) = root.iterdir()
    return run_dir


def test_fgsm_accuracy_falls_with_eps_and_eps_0_is_the_clean_accuracy(trained_run):
    request = RobustnessRequest(
        str(trained_run), attacks=("fgsm", "pgd"), eps=(0.0, 0.05, 0.1, 0.2, 0.3), corruptions=()
    )
    progress = []
    result = evaluate_robustness(request, progress.append)
    assert result.problem == ""
    # the clean accuracy recomputed with plain torch from the checkpoint and the data
    from tui_trainer.core.data import load_dataset
    from tui_trainer.core.training.state import load_model

    ckpt = torch.load(trained_run / "best.pt", weights_only=True)
    bundle = load_dataset(experiment(CNN, dataset="digits").data)
    with torch.no_grad():
        correct = int((load_model(trained_run / "best.pt")(bundle.val_x).argmax(1) == bundle.val_y).sum())
    assert result.clean_accuracy == correct / len(bundle.val_y)
    assert result.clean_accuracy == pytest.approx(ckpt["best_val_accuracy"], abs=1e-9)
    fgsm_acc = [a.accuracy for a in result.attacks if a.name == "fgsm"]
    pgd_acc = [a.accuracy for a in result.attacks if a.name == "pgd"]
    assert fgsm_acc[0] == result.clean_accuracy and pgd_acc[0] == result.clean_accuracy
    assert all(later <= earlier for earlier, later in zip(fgsm_acc, fgsm_acc[1:]))
    assert fgsm_acc[-1] < result.clean_accuracy - 0.3
    assert all(p <= f + 0.02 for p, f in zip(pgd_acc, fgsm_acc))  # PGD is at least about as strong
    assert progress[-1].done == progress[-1].total > 0
    sample = result.sample
    assert sample is not None and len(sample.adversarial) == 10
    assert sample.adversarial[0].attacked == sample.adversarial[0].clean  # eps 0: the same prediction


def test_corruption_table_and_sample_strip(trained_run):
    request = RobustnessRequest(str(trained_run), attacks=(), corruptions=("blur", "inversion"))
    result = evaluate_robustness(request)
    assert [(c.name, c.severity) for c in result.corruptions] == [
        (n, s) for n in ("blur", "inversion") for s in SEVERITIES
    ]
    inverted = [c.accuracy for c in result.corruptions if c.name == "inversion"]
    assert inverted[-1] < result.clean_accuracy - 0.3
    assert len(result.sample.corrupted) == 10 and len(result.sample.original) == 8  # 8x8 digits drawn as they are


def test_stop_returns_what_was_done(trained_run):
    calls = []

    def stop_after_two() -> bool:
        calls.append(1)
        return len(calls) > 2

    result = evaluate_robustness(RobustnessRequest(str(trained_run)), should_stop=stop_after_two)
    assert result.stopped and result.sample is None


def test_cli_tables_and_json(trained_run, capsys):
    status = main(["robustness", str(trained_run), "--eps", "0,0.1", "--corruptions", "blur", "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    doc = json.loads(out.splitlines()[-1])
    assert {a["name"] for a in doc["attacks"]} == {"fgsm", "pgd"} and [a["eps"] for a in doc["attacks"]] == [0, 0.1] * 2
    assert doc["attacks"][0]["accuracy"] == doc["clean_accuracy"]
    assert [c["severity"] for c in doc["corruptions"]] == list(SEVERITIES)
    assert "attack  eps 0  eps 0.1" in out and "corruption  clean  sev 1" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--eps", "-0.1"], "eps must be 0 or more"),
        (["--attacks", "deepfool"], "unknown attack 'deepfool'"),
        (["--corruptions", "fog"], "unknown corruption 'fog'"),
    ],
)
def test_cli_bad_input_is_one_error_line(trained_run, capsys, args, message):
    assert main(["robustness", str(trained_run), *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_cli_refuses_rotation_on_tabular_data_and_a_run_without_checkpoint(tmp_path, capsys):
    from tui_trainer.core.spec.experiment import save

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    save(experiment(dataset="iris"), run_dir / "experiment.toml")
    assert main(["robustness", str(run_dir)]) == 2
    assert "has no best.pt" in capsys.readouterr().err
    (run_dir / "best.pt").write_bytes(b"")
    assert main(["robustness", str(run_dir), "--corruptions", "rotation"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the corruption rotation cannot apply to tabular data")
    assert robustness_request(run_dir).corruptions == ("feature_noise", "shift")


# ---------------------------------------------------------------- where training runs


def _drain(handle, stop_at: int | None = None):
    events = []
    for event in handle.events():
        events.append(event)
        if stop_at is not None and len(events) == stop_at:
            handle.stop()
    return events


def test_the_thread_backend_evaluates_with_progress_and_refuses_a_second(trained_run):
    from tui_trainer.core.backend import BackendError
    from tui_trainer.core.backend.thread import ThreadBackend

    backend = ThreadBackend(devices=("auto", "cpu"))
    request = RobustnessRequest(str(trained_run), eps=(0.0, 0.1), corruptions=("blur",))
    handle = backend.evaluate(request)
    with pytest.raises(BackendError, match="evaluation is going"):
        backend.evaluate(request)
    events = _drain(handle)
    direct = evaluate_robustness(request)
    assert events[-1].attacks == direct.attacks and events[-1].corruptions == direct.corruptions
    assert len(events) > 3
    backend.close()


@pytest.mark.process
def test_the_training_process_evaluates_and_stops(trained_run):
    from tui_trainer.core.backend.process.parent import ProcessBackend
    from tui_trainer.core.spec.robustness import RobustnessResult

    backend = ProcessBackend(threads=1)
    try:
        request = RobustnessRequest(str(trained_run), eps=(0.0, 0.1), corruptions=("blur",))
        result = _drain(backend.evaluate(request))[-1]
        assert isinstance(result, RobustnessResult) and result.attacks == evaluate_robustness(request).attacks
        stopped = _drain(backend.evaluate(RobustnessRequest(str(trained_run))), stop_at=3)[-1]
        assert stopped.stopped and stopped.sample is None
        missing = _drain(backend.evaluate(RobustnessRequest(str(trained_run / "nope"))))[-1]
        assert "there is no checkpoint" in missing.problem
    finally:
        backend.close()


# ---------------------------------------------------------------- the raw scale the data carries


def test_bundles_carry_their_normalisation_and_pixel_scale():
    from tui_trainer.core.data import load_dataset
    from tui_trainer.core.data.prepare import RawData, make_bundle
    from tui_trainer.core.spec.experiment import DataSpec

    digits = load_dataset(DataSpec(name="digits"))
    assert digits.pixel_scale == 16.0  # scikit-learn's digits are 0..16
    raw = torch.arange(10, dtype=torch.float32).reshape(10, 1) ** 2
    scale = InputScale.of(digits)
    torch.testing.assert_close(scale.raw(digits.val_x) * 16, load_raw_digits_val())
    images = RawData(torch.full((10, 1, 2, 2), 255, dtype=torch.uint8), [0, 1] * 5, ("a", "b"), "")
    assert make_bundle(DataSpec(name="x", val_fraction=0.2), images).pixel_scale == 255.0
    rows = make_bundle(DataSpec(name="x", val_fraction=0.2), RawData(raw, [0, 1] * 5, ("a", "b"), ""))
    assert rows.pixel_scale is None and len(rows.input_mean) == 1
    from tui_trainer.core.data.prepare import split_indices

    train, _ = split_indices(torch.tensor([0, 1] * 5).numpy(), 0.2, DataSpec(name="x").data_seed)
    kept = raw[torch.from_numpy(train)]
    assert rows.input_mean[0] == pytest.approx(float(kept.mean()))  # the training split's own mean and std
    assert rows.input_std[0] == pytest.approx(float(kept.std(correction=0)))


def load_raw_digits_val() -> torch.Tensor:
    """The validation images of digits in the loader's own 0..16 values, split as the bundle does."""
    import numpy as np
    from sklearn.datasets import load_digits

    from tui_trainer.core.data.prepare import split_indices

    bunch = load_digits()
    _, val = split_indices(bunch.target, 0.2, 0)
    return torch.from_numpy(bunch.images.reshape(-1, 1, 8, 8)[np.asarray(val)].astype("float32"))


def test_a_two_d_run_is_attacked_in_standard_deviations_and_rotated(tmp_path):
    from tui_trainer.core.pipeline.execute import run
    from tui_trainer.core.pipeline.request import RunRequest

    exp = experiment(dataset="moons", epochs=3, lr=0.2, data={"n_samples": 200})
    end = run(RunRequest(exp, runs_dir=str(tmp_path)), on_event=lambda e: None, should_stop=lambda: False)
    assert end.status == "finished"
    (run_dir,) = tmp_path.iterdir()
    request = robustness_request(run_dir, eps="0,0.5,2")
    assert request.corruptions == ("rotation", "feature_noise", "shift")
    result = evaluate_robustness(request)
    assert result.problem == "" and result.kind == "2d"
    fgsm_acc = [a.accuracy for a in result.attacks if a.name == "fgsm"]
    assert fgsm_acc[0] == result.clean_accuracy and fgsm_acc[-1] < fgsm_acc[0]
    assert len(result.corruptions) == 15 and result.sample.corrupted == () and result.sample.original == ()
