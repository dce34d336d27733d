"""A throwaway MLflow store in a working folder, for the tests that run the CLI end to end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def working_store(folder: Path) -> Iterator[Path]:
    """Work in ``folder`` with a throwaway MLflow store inside it, as a user's job would.

    The CLI reads ``MLFLOW_TRACKING_URI`` and writes relative paths in the current folder; both
    are restored on exit, so module-scoped fixtures can train once and leave no trace.
    """
    old_cwd, old_env = Path.cwd(), dict(os.environ)
    os.chdir(folder)
    os.environ.update(
        MLFLOW_TRACKING_URI=f"sqlite:///{folder / 'mlflow.db'}",
        MLFLOW_DISABLE_TELEMETRY="true",
        MPLBACKEND="Agg",
        GIT_PYTHON_REFRESH="quiet",
    )
    try:
        yield folder
    finally:
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
