"""Every script under examples/ runs, so the README's weekly batch cannot rot."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
pytestmark = pytest.mark.slow


def test_the_weekly_batch_goes_from_a_database_to_the_action_list(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MPLBACKEND": "Agg",
        "GIT_PYTHON_REFRESH": "quiet",
    }
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "weekly_batch.py"), str(tmp_path / "work")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "the extract is valid" in done.stdout
    actions = pd.read_csv(tmp_path / "work" / "actions.csv")
    assert len(actions) == 20
    assert set(actions["action"]) <= {"release_to_pool", "assign", "coach"}
    assert actions["rank"].tolist() == list(range(1, 21))
