"""The Optuna side of a sweep: its storage (the journal file, or a database URL), sampler, pruner and study."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui_trainer.core.sweep.spec import SweepSpec

if TYPE_CHECKING:
    import optuna
    from optuna.storages import BaseStorage


class SweepError(ValueError):
    """Bad input for a sweep (a storage that cannot be reached, a folder that is not a sweep): one line."""


JOURNAL = "journal.log"
"""The default storage's file in the sweep folder."""
SPEC_ATTR = "sweep_toml"
"""The study's user attribute holding sweep.toml's text (a worker joining by URL reads the sweep from it)."""


def quiet_optuna() -> None:
    """Optuna logs only warnings (the sweep prints its own line per trial)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)


def journal_storage(path: str | Path) -> BaseStorage:
    """Optuna's JournalStorage on a file: several processes on one machine share it (a file lock)."""
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(path)))


def url_storage(url: str) -> BaseStorage:
    """Optuna's RDBStorage on a database URL, connected once now; SweepError when it cannot be reached."""
    from optuna.storages import RDBStorage

    engine_kwargs = {"connect_args": {"connect_timeout": 10}} if url.startswith("postgresql") else {}
    for attempt in range(1, SCHEMA_TRIES + 1):
        try:
            return RDBStorage(url, engine_kwargs=engine_kwargs)
        except Exception as exc:  # SQLAlchemy's, the driver's, Optuna's: all mean "not this storage"
            if attempt < SCHEMA_TRIES and schema_race(exc):
                time.sleep(0.2 * attempt)  # another process is creating the tables: they exist in a moment
                continue
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise SweepError(f"cannot reach the storage {shown_url(url)}: {first}") from None
    raise AssertionError("unreachable")


SCHEMA_TRIES = 5
"""Attempts to open a database storage while another process creates its tables (a new study's first workers)."""


def schema_race(exc: BaseException) -> bool:
    """Whether exc is two processes creating Optuna's tables at once: PostgreSQL refuses the second CREATE TYPE or
    CREATE TABLE with a unique violation ("pg_type_typname_nsp_index") or "already exists"."""
    text = str(exc)
    return type(exc).__name__ == "IntegrityError" or "already exists" in text or "duplicate key" in text


def storage_for(spec: SweepSpec, folder: Path) -> BaseStorage:
    """The sweep's storage: its URL, else the journal file in its folder."""
    return url_storage(spec.storage) if spec.storage else journal_storage(folder / JOURNAL)


def storage_text(spec: SweepSpec, folder: Path) -> str:
    """The storage as the report names it: the URL (its password as ***), or the journal file's path."""
    return shown_url(spec.storage) if spec.storage else str(folder / JOURNAL)


def shown_url(url: str) -> str:
    """A database URL with its password replaced by *** (for output; sweep.toml keeps the URL as given)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def sampler_for(spec: SweepSpec, seed: int | None) -> optuna.samplers.BaseSampler:
    """tpe (multivariate, a few random trials first), random or grid; seed None: a fresh random seed."""
    import optuna

    if spec.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if spec.sampler == "grid":  # every point is enqueued when the study is made (create_study): nothing to sample
        return optuna.samplers.RandomSampler(seed=seed)
    startup = min(10, max(3, spec.trials // 3))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=True, constant_liar=True)


def pruner_for(spec: SweepSpec) -> optuna.pruners.BasePruner:
    """median (after a few trials finished), hyperband over the experiment's epochs, or none."""
    import optuna

    if spec.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=min(5, max(2, spec.trials // 4)), n_warmup_steps=1)
    if spec.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=spec.experiment.train.epochs)
    return optuna.pruners.NopPruner()


def create_study(spec: SweepSpec, storage: BaseStorage, first: Sequence[dict] = ()) -> optuna.Study:
    """A new study in the storage holding the sweep's TOML and its budget's tickets; SweepError when the name is
    taken. first: parameter values to try before the sampler's (each one ticket of the budget, in order)."""
    import optuna

    from tui_trainer.core.sweep.spec import dumps

    try:
        study = optuna.create_study(
            storage=storage, study_name=spec.study_name, direction=spec.direction, load_if_exists=False
        )
    except optuna.exceptions.DuplicatedStudyError:
        raise SweepError(
            f"the storage already holds a study {spec.study_name!r}: --resume continues it, or choose another --sweep-dir"
        ) from None
    study.set_user_attr(SPEC_ATTR, dumps(spec))
    for params in first[: spec.trials]:
        study.enqueue_trial(dict(params))
    top_up(study, spec)
    return study


def top_up(study: optuna.Study, spec: SweepSpec) -> int:
    """Make the study's tickets (waiting trials) up to the sweep's budget, counting every trial it holds; returns how
    many were added. A worker runs a trial only on a ticket it claimed, so the budget holds however many workers
    start at once. The grid sampler's tickets are its points (each point once: Optuna's GridSampler lets workers
    that start together pick the same one); the others' are empty and the sampler fills them in."""
    trials = study.get_trials(deepcopy=False)
    wanted = spec.trials - len(trials)
    if wanted <= 0:
        return 0
    if spec.sampler == "grid":
        names = [p.name for p in spec.params]
        made = {tuple(t.system_attrs.get("fixed_params", t.params).get(n) for n in names) for t in trials}
        points = (pt for pt in itertools.product(*(p.grid or () for p in spec.params)) if pt not in made)
        tickets = [dict(zip(names, pt)) for pt in itertools.islice(points, wanted)]
    else:
        tickets = [{} for _ in range(wanted)]
    for params in tickets:
        study.enqueue_trial(params)
    return len(tickets)


def load_study(
    spec: SweepSpec, storage: BaseStorage, *, seed: int | None = None, with_pruner: bool = True
) -> optuna.Study:
    """The sweep's existing study, with its sampler and pruner; SweepError when the storage lacks it."""
    import optuna

    try:
        return optuna.load_study(
            study_name=spec.study_name,
            storage=storage,
            sampler=sampler_for(spec, seed),
            pruner=pruner_for(spec) if with_pruner else None,
        )
    except KeyError:
        raise SweepError(f"the storage holds no study {spec.study_name!r}") from None


def spec_of_study(storage: BaseStorage, study_name: str | None) -> SweepSpec:
    """The sweep a study in a storage was created with (for `sweep-worker URL`); SweepError when there is none,
    or several and no name."""
    import optuna

    from tui_trainer.core.sweep.spec import loads

    names = optuna.get_all_study_names(storage)
    if study_name is None:
        if len(names) != 1:
            listed = ", ".join(names) or "none"
            raise SweepError(f"name the study with --study (the storage holds: {listed})")
        study_name = names[0]
    if study_name not in names:
        raise SweepError(f"the storage holds no study {study_name!r} (it holds: {', '.join(names) or 'none'})")
    study = optuna.load_study(study_name=study_name, storage=storage)
    text = study.user_attrs.get(SPEC_ATTR)
    if not isinstance(text, str):
        raise SweepError(f"the study {study_name!r} was not made by tui-trainer sweep (it has no {SPEC_ATTR})")
    return loads(text)
