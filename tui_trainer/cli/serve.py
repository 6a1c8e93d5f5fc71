"""`tui-trainer serve`: the app in a browser, served by textual-serve (one app process per browser tab)."""

from __future__ import annotations

import argparse
import importlib.util
import ipaddress
import os
import shlex
import socket
import sys

from tui_trainer.cli.parser import UsageError

SERVE_APP_OPTIONS = ("dataset", "preset", "runs_dir", "train_in")
"""The app options `serve` passes on to each tab's app (`--tensorboard` travels as the environment variable)."""


def is_loopback(host: str) -> bool:
    """True for a host name or address that only this machine can reach (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """True for 0.0.0.0 and ::, which listen on every interface (browsers cannot open them)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def app_command(args: argparse.Namespace) -> str:
    """The shell command textual-serve starts for every browser tab: this interpreter running `tui-trainer app`
    with the serve command's app options."""
    command = [sys.executable, "-m", "tui_trainer", "app"]
    for name in SERVE_APP_OPTIONS:
        value = getattr(args, name, None)
        if value is not None:
            command += ["--" + name.replace("_", "-"), str(value)]
    return shlex.join(command)


def check_serve_args(args: argparse.Namespace) -> str:
    """Check the options before anything listens; returns the public URL. UsageError: a host that others can
    reach without --allow-remote, a port in use, a dataset or preset that does not exist."""
    host, port = args.host, args.port
    if not 0 < port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, not {port}")
    if not is_loopback(host) and not args.allow_remote:
        raise UsageError(
            f"--host {host} would serve the app, with no password, to anyone who can reach this machine: "
            f"keep the default 127.0.0.1 and use `ssh -L {port}:localhost:{port} SERVER`, or pass --allow-remote"
        )
    if importlib.util.find_spec("textual_serve") is None:
        raise UsageError("serve needs textual-serve: pip install 'tui-trainer[serve]'")
    if args.dataset:
        from tui_trainer.core.data import DatasetError, dataset_info

        try:
            dataset_info(args.dataset)
        except DatasetError as exc:
            raise UsageError(str(exc)) from None
    if args.preset:
        from tui_trainer.core.spec.presets import PresetError, load_preset

        try:
            load_preset(args.preset)
        except PresetError as exc:
            raise UsageError(str(exc)) from None
    try:
        with socket.create_server((host.strip("[]"), port)):
            pass
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (pick another --port)") from None
    if args.public_url:
        return args.public_url.rstrip("/")
    if is_wildcard(host):
        return f"http://{socket.getfqdn()}:{port}"
    return f"http://{host if ':' not in host else f'[{host}]'}:{port}"


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the app over HTTP until Ctrl+C: every browser tab gets an app process of its own; closing the tab
    quits that app (a run it trains ends "stopped", resumable)."""
    url = check_serve_args(args)
    if args.tensorboard:
        from tui_trainer.cli.app import enable_tensorboard

        enable_tensorboard()
    from textual_serve.server import Server

    print(f"tui-trainer in a browser: open {url}", flush=True)
    if is_loopback(args.host):
        print(
            f"from another machine: ssh -L {args.port}:localhost:{args.port} {socket.gethostname()}, "
            f"then open http://localhost:{args.port}",
            flush=True,
        )
    else:
        print("warning: served without a password to anyone who can reach this machine", file=sys.stderr, flush=True)
    os.environ.pop("TEXTUAL_DRIVER", None)  # textual-serve sets the web driver for each app itself
    Server(app_command(args), host=args.host, port=args.port, title="tui-trainer", public_url=url).serve()
    return 0
