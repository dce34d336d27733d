"""Session-wide test settings: no MLflow telemetry, a headless matplotlib, quiet git lookups.

Set before any test module imports MLflow (its telemetry client starts at import). At the root so
that they hold for the docstring examples under ``src/`` (``--doctest-modules``) as for ``tests/``.
"""

from __future__ import annotations

import os

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Set the environment every test runs in, before test modules are imported."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
