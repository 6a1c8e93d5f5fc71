"""A real PostgreSQL server shared by two workers: `sweep --storage URL` and a `sweep-worker URL` joining it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from tests.helpers import wait_for
from tui_trainer.core.sweep.study import url_storage

CLI = [sys.executable, "-m", "tui_trainer"]
PG_DIRS = ["/usr/local/bin", *sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin"))]


def _binary(name: str) -> str | None:
    for folder in PG_DIRS:
        if os.access(Path(folder) / name, os.X_OK):
            return str(Path(folder) / name)
    return shutil.which(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """initdb a temporary data folder, start the server on a free loopback port (its unix socket in that folder),
    yield its URL, stop it and remove the folder. As root the server runs as the postgres user."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: PostgreSQL refuses to run as root")
        as_user = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="tt-pg-"))
    data = base / "data"
    port = _free_port()
    try:
        data.mkdir()
        if as_user:
            shutil.chown(base, "postgres")
            shutil.chown(data, "postgres")
        subprocess.run(
            [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
        subprocess.run(
            [*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(data / "log"), "-w", "start"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run(
                [*as_user, pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], capture_output=True, timeout=120
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.process
def test_two_workers_share_a_postgresql_study(tmp_path, postgres_url):
    args = ["--dataset", "moons", "--preset", "mlp", "--set", "n_samples=600", "--set", "epochs=12"]
    args += ["--param", "lr=0.01..0.2:log", "--param", "batch_size=16,32", "--trials", "5", "--pruner", "none"]
    sweep = subprocess.Popen(
        [*CLI, "sweep", *args, "--storage", postgres_url, "--sweep-dir", str(tmp_path / "here")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # url_storage: the sweep may be creating the tables right now (a plain RDBStorage here raced it in CI)
        wait_for(
            lambda: optuna.get_all_study_names(url_storage(postgres_url)) == ["here"], timeout=900, what="the study"
        )
        joined = subprocess.run(
            [*CLI, "sweep-worker", postgres_url, "--sweep-dir", str(tmp_path / "there"), "--threads", "1"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        stdout, stderr = sweep.communicate(timeout=900)
    finally:
        if sweep.poll() is None:  # a failed test: SIGTERM stops the sweep's workers (in sessions of their own) too
            sweep.terminate()
            try:
                sweep.wait(timeout=60)
            except subprocess.TimeoutExpired:
                sweep.kill()
    assert joined.returncode == 0, joined.stderr
    assert sweep.returncode == 0, stderr
    study = optuna.load_study(study_name="here", storage=postgres_url)
    trials = study.get_trials()
    assert len(trials) == 5
    assert all(t.state == TrialState.COMPLETE and t.value is not None for t in trials)
    where = {Path(t.user_attrs["run_dir"]).parents[2].name for t in trials}
    assert where == {"here", "there"}  # both workers ran trials, each writing its runs in its own sweep folder
    ran_there = sum(line.startswith("trial ") for line in joined.stdout.splitlines())
    assert ran_there == sum(Path(t.user_attrs["run_dir"]).parents[2].name == "there" for t in trials) >= 1


def test_workers_starting_together_on_postgresql_run_exactly_the_budget(tmp_path, postgres_url):
    """The budget's tickets on a database: each claimed by one worker (a row locked while its state changes)."""
    from tests.core.sweep_race import race_claims
    from tui_trainer.core.spec.presets import load_preset
    from tui_trainer.core.sweep.space import parse_param
    from tui_trainer.core.sweep.spec import SweepSpec
    from tui_trainer.core.sweep.study import create_study

    base = load_preset("mlp").with_data(name="moons", n_samples=200)
    spec = SweepSpec(base, (parse_param("lr=0.01..0.1:log", base),), trials=16, study_name="race", storage=postgres_url)
    create_study(spec, url_storage(postgres_url))
    ran = race_claims(lambda: url_storage(postgres_url), "race", workers=4)
    assert sorted(n for r in ran for n in r) == list(range(16))
    trials = optuna.load_study(study_name="race", storage=postgres_url).get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 16
