"""The app's command line takes --config and --set like `train` does, and refuses a bad one in one line."""

from __future__ import annotations

import pytest

from tui_trainer.cli.parser import parse_command_line
from tui_trainer.ui.launch import LaunchError, _edited_experiment


def test_the_bare_command_takes_set_and_config() -> None:
    args = parse_command_line(["--dataset", "moons", "--set", "epochs=200", "--set", "lr=0.05"])
    assert args.command == "app" and args.set == ["epochs=200", "lr=0.05"] and args.dataset == "moons"
    assert parse_command_line(["app", "--set", "epochs=2"]).set == ["epochs=2"]


def test_the_app_starts_on_the_settings_given(tmp_path) -> None:
    config = tmp_path / "exp.toml"
    config.write_text("[train]\nbatch_size = 16\nepochs = 9\n")
    experiment = _edited_experiment("moons", None, str(config), ["epochs=200", "lr=0.05"])
    assert experiment.data.name == "moons" and experiment.name == "mlp"  # the preset that fits moons
    assert (experiment.train.batch_size, experiment.train.epochs, experiment.train.lr) == (16, 200, 0.05)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (["epochs=abc"], "epochs must be an integer, not 'abc'"),
        (["nope=1"], "unknown setting 'nope'"),
        (["lr=-1"], "learning rate (lr) must be greater than 0, not -1"),
    ],
)
def test_a_bad_setting_is_one_line(settings: list[str], message: str) -> None:
    with pytest.raises(LaunchError, match=None) as caught:
        _edited_experiment("moons", None, None, settings)
    assert message in str(caught.value) and "\n" not in str(caught.value)
