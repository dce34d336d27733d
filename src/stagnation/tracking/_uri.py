"""Where MLflow lives: tracking URI resolution, clients, experiments, scoped fluent state."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

import mlflow
from filelock import FileLock
from filelock import Timeout as LockTimeout
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.tracking._model_registry import utils as _registry_utils
from mlflow.tracking._tracking_service import utils as _tracking_utils
from sqlalchemy.exc import SQLAlchemyError

from stagnation.errors import StoreError, StoreLocked
from stagnation.training import REGISTERED_NAMES

#: MLflow's own local default store (CONTRACT.md section 3), relative to the working folder.
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
_ENV_VARS = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
#: Longest wait for another process holding the store's lock (creation, a registration).
LOCK_TIMEOUT_S = 600.0


def resolve_tracking_uri(tracking_uri: str | None = None) -> str:
    """Return the tracking URI to use: the argument, else ``MLFLOW_TRACKING_URI``, else the default.

    The default is ``sqlite:///mlflow.db`` in the current folder (made absolute, so that a later
    change of folder does not move the store); its artifacts go to ``./mlruns`` beside it.
    ``mlflow.set_tracking_uri`` also sets ``MLFLOW_TRACKING_URI``, so a URI set that way is
    honoured too.

    Parameters
    ----------
    tracking_uri
        An explicit URI; wins over everything else when given.

    Returns
    -------
    str
        The tracking URI (also used as the model registry URI).

    Examples
    --------
    >>> resolve_tracking_uri("sqlite:////tmp/x/mlflow.db")
    'sqlite:////tmp/x/mlflow.db'
    """
    if tracking_uri:
        return tracking_uri
    if env := os.environ.get("MLFLOW_TRACKING_URI"):
        return env
    return f"sqlite:///{Path('mlflow.db').resolve().as_posix()}"


def sqlite_path(tracking_uri: str) -> Path | None:
    """Return the database file of a ``sqlite:///`` URI, or ``None`` for other stores.

    Examples
    --------
    >>> sqlite_path("sqlite:////tmp/x/mlflow.db").as_posix()
    '/tmp/x/mlflow.db'
    >>> sqlite_path("http://localhost:5000") is None
    True
    """
    if not tracking_uri.startswith("sqlite:///"):
        return None
    db = unquote(tracking_uri.removeprefix("sqlite:///").split("?", 1)[0])
    if not db or db == ":memory:":
        return None
    return Path(db)


@contextmanager
def store_lock(tracking_uri: str) -> Iterator[None]:
    """Hold the inter-process lock of a sqlite store (``<db>.lock`` beside it); else do nothing.

    MLflow's sqlite store is not safe to create or migrate from two processes at once, and its
    registry writes can collide; everything that creates the store, an experiment or a model
    version runs under this lock. Other stores (a tracking server) serialise on their own.

    Raises
    ------
    TimeoutError
        When another process holds the lock longer than :data:`LOCK_TIMEOUT_S`.
    """
    db = sqlite_path(tracking_uri)
    if db is None:
        yield
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(f"{db}.lock", timeout=LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except LockTimeout as err:
        raise StoreLocked(
            f"the MLflow store {db} stayed locked by another process for {LOCK_TIMEOUT_S:.0f} s "
            f"(lock file {db}.lock); wait for it to finish, or remove the lock file if no "
            "stagnation process is running"
        ) from err
    try:
        yield
    finally:
        lock.release()


def open_store(tracking_uri: str | None = None) -> str:
    """Open the tracking store, creating or migrating its schema now, one process at a time.

    Call it before expensive work that ends in logging (``train``): a store that cannot be
    opened fails in seconds, not after training, and two processes starting on a new sqlite
    store no longer run MLflow's schema set-up at the same moment (which corrupted the store
    for good). Creation is serialised by :func:`store_lock`.

    Parameters
    ----------
    tracking_uri
        Resolved as in :func:`resolve_tracking_uri`.

    Returns
    -------
    str
        The resolved tracking URI.

    Raises
    ------
    ValueError
        When the store cannot be opened (a folder that cannot be created, a file that is not
        an MLflow database); the message names the store.
    """
    uri = resolve_tracking_uri(tracking_uri)
    try:
        with store_lock(uri):
            mlflow_client = client(uri)  # MLflow sets up a new store's schema right here
            mlflow_client.search_experiments(max_results=1)  # creates/migrates tracking tables
            mlflow_client.search_registered_models(max_results=1)  # and the registry's
    except (MlflowException, SQLAlchemyError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise StoreError(f"cannot open the MLflow store {uri}: {first}") from err
    return uri


def artifact_root(tracking_uri: str) -> str | None:
    """Return the artifact folder URI for experiments of a sqlite store, else ``None``.

    With sqlite, MLflow would put artifacts in ``./mlruns`` of whatever folder the process runs
    in (DESIGN.md section 4); we pin them to ``mlruns`` beside the database file instead. Other
    stores (a tracking server, Databricks) choose their own artifact location.
    """
    db = sqlite_path(tracking_uri)
    return None if db is None else (db.resolve().parent / "mlruns").as_uri()


def registered_name(name: str) -> str:
    """Return the registered model name for a short name (``customer-recycling``) or itself."""
    return REGISTERED_NAMES.get(name, name)


def client(tracking_uri: str) -> MlflowClient:
    """Return a client bound to ``tracking_uri`` for both tracking and the registry."""
    return MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)


def experiment_id(mlflow_client: MlflowClient, name: str, tracking_uri: str) -> str:
    """Return the id of experiment ``name``, creating it (with a pinned artifact root) if needed."""
    found = mlflow_client.get_experiment_by_name(name)
    if found is not None:
        if found.lifecycle_stage == "deleted":
            mlflow_client.restore_experiment(found.experiment_id)
        return str(found.experiment_id)
    root = artifact_root(tracking_uri)
    location = f"{root}/{name}" if root else None
    try:
        return str(mlflow_client.create_experiment(name, artifact_location=location))
    except MlflowException:  # created concurrently by another process
        found = mlflow_client.get_experiment_by_name(name)
        if found is None:
            raise
        return str(found.experiment_id)


@contextmanager
def using(tracking_uri: str) -> Iterator[None]:
    """Point MLflow's fluent API (runs, ``log_model``, ``load_model``) at ``tracking_uri``.

    MLflow keeps the tracking and registry URIs in module globals and mirrors them into
    environment variables; both are restored on exit, so callers see no change. Not thread-safe
    (neither is MLflow's fluent API).
    """
    env_before = {key: os.environ.get(key) for key in _ENV_VARS}
    tracking_before = _tracking_utils._tracking_uri
    registry_before = _registry_utils._registry_uri
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(tracking_before)  # type: ignore[arg-type]  # None unsets
        _registry_utils._registry_uri = registry_before
        for key, value in env_before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
