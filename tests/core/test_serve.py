"""`tui-trainer serve`'s checks before it listens: loopback only unless asked, the app's options passed on."""

from __future__ import annotations

import shlex
import socket
import sys

import pytest

from tui_trainer.cli import main
from tui_trainer.cli.parser import parse_command_line
from tui_trainer.cli.serve import app_command, is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.org", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert captured.out == ""
    return lines[0]


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10"])
def test_a_host_others_can_reach_is_refused_without_allow_remote(host, capsys):
    assert main(["serve", "--host", host, "--port", "8123"]) == 2
    line = one_error_line(capsys)
    assert f"--host {host}" in line and "--allow-remote" in line and "ssh -L 8123:localhost:8123" in line


def test_a_port_in_use_is_refused(capsys):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    assert f"cannot listen on 127.0.0.1:{port}" in one_error_line(capsys)


def test_bad_app_options_are_refused_before_serving(capsys):
    assert main(["serve", "--dataset", "nope"]) == 2
    assert "unknown dataset 'nope'" in one_error_line(capsys)
    assert main(["serve", "--preset", "nope"]) == 2
    assert "unknown preset 'nope'" in one_error_line(capsys)


def test_each_tab_runs_the_app_with_the_options_given():
    args = parse_command_line(["serve", "--dataset", "iris", "--preset", "mlp", "--runs-dir", "my runs"])
    assert shlex.split(app_command(args)) == [
        sys.executable,
        "-m",
        "tui_trainer",
        "app",
        "--dataset",
        "iris",
        "--preset",
        "mlp",
        "--runs-dir",
        "my runs",
    ]


def test_allow_remote_serves_every_interface_under_this_machine_s_name():
    from tui_trainer.cli.serve import check_serve_args

    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    args = parse_command_line(["serve", "--host", "0.0.0.0", "--port", str(port), "--allow-remote"])
    assert check_serve_args(args) == f"http://{socket.getfqdn()}:{port}"
    args = parse_command_line(["serve", "--port", str(port), "--public-url", "https://lab.example.org/app/"])
    assert check_serve_args(args) == "https://lab.example.org/app"
