"""Faults and concurrency, in real processes: two trainings on a new store, two scorings to one
file, Ctrl-C at start-up and mid-work, temporaries left by a killed run, ids kept out of MLflow.

The company is small (``stagnation sample --reps 20 --customers 4000 --months 40``) so that both
models train in about 20 s; the two trainings run at the same time on a store that does not
exist yet, which used to corrupt it for good (both exited 1, the store could not be opened).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from tests._privacy import extract_ids, ids_in_files

from stagnation.crm import load_crm
from stagnation.crm._io import STALE_AFTER_S

pytestmark = pytest.mark.slow

STAGNATION = Path(sys.executable).with_name("stagnation")
COMPANY = ["--reps", "20", "--customers", "4000", "--months", "40", "--seed", "3"]
AS_OF = "2024-05-01"
NAMES = ("stagnation-rep-passivity", "stagnation-customer-recycling")


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'store' / 'mlflow.db'}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MPLBACKEND": "Agg",
        "GIT_PYTHON_REFRESH": "quiet",
    }


def _start(args: list[str], folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(STAGNATION), *args],
        cwd=folder,
        env=_env(folder),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(process: subprocess.Popen[str], timeout: float = 300) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def _run(args: list[str], folder: Path) -> tuple[int, str]:
    return _finish(_start(args, folder))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A small company, then two `train` started together on a store that does not exist."""
    folder = tmp_path_factory.mktemp("faults")
    code, output = _run(["sample", "company", *COMPANY, "--start", "2021-01-01"], folder)
    assert code == 0, output
    assert not (folder / "store").exists()
    began = time.perf_counter()
    first, second = (_start(["train", "company"], folder) for _ in range(2))
    trainings = [_finish(first), _finish(second)]
    return {"folder": folder, "trainings": trainings, "seconds": time.perf_counter() - began}


def test_two_trainings_on_a_new_store_both_register(world: dict[str, object]) -> None:
    from mlflow import MlflowClient

    folder = world["folder"]
    assert isinstance(folder, Path)
    for code, output in world["trainings"]:  # type: ignore[attr-defined]
        assert code == 0, output
        assert "Traceback" not in output
    client = MlflowClient(tracking_uri=_env(folder)["MLFLOW_TRACKING_URI"])
    for name in NAMES:
        versions = {str(v.version) for v in client.search_model_versions(f"name = '{name}'")}
        assert versions == {"1", "2"}  # both trainings registered, none lost
        aliases = client.get_registered_model(name).aliases
        assert set(aliases) == {"champion", "challenger"}
    assert (folder / "store" / "mlflow.db.lock").exists()  # the lock beside the database
    code, output = _run(["promote", "--model", "customer-recycling"], folder)
    assert code == 0, output  # the store is healthy afterwards


def test_no_id_of_the_company_is_in_any_mlflow_artifact(world: dict[str, object]) -> None:
    folder = world["folder"]
    assert isinstance(folder, Path)
    crm = load_crm(folder / "company", validate=False)
    assert crm.reps is not None
    ids = extract_ids(crm.customers["customer_id"], crm.reps["rep_id"])
    artifacts = folder / "store" / "mlruns"
    assert len(list(artifacts.rglob("holdout.parquet"))) == 4  # 2 trainings x 2 models
    assert ids_in_files(artifacts, ids) == {}


def test_two_scorings_to_one_out_leave_one_complete_file(world: dict[str, object]) -> None:
    folder = world["folder"]
    assert isinstance(folder, Path)
    args = ["score", "company", "--as-of", AS_OF, "--out", "out/actions.csv"]
    runs = [_finish(p) for p in [_start(args, folder), _start(args, folder)]]
    for code, output in runs:
        assert code == 0, output
    actions = pd.read_csv(folder / "out" / "actions.csv")
    assert list(actions["rank"]) == list(range(1, len(actions) + 1))  # whole, not interleaved
    assert f"{len(actions):,} actions" in runs[0][1] and f"{len(actions):,} actions" in runs[1][1]
    assert sorted(p.name for p in (folder / "out").iterdir()) == [
        "actions.csv",
        "actions.drift.csv",
    ]  # no temporaries left


def _handlers_installed(pid: int) -> bool:
    """Return whether ``pid`` catches SIGTERM: stagnation's handlers are in place."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(
        next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16
    )
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def _interrupt(args: list[str], folder: Path, *, after_s: float) -> tuple[int, str]:
    process = _start(args, folder)
    deadline = time.monotonic() + 30
    while not _handlers_installed(process.pid):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(after_s)
    assert process.poll() is None, "finished before the interrupt"
    process.send_signal(signal.SIGINT)
    return _finish(process, timeout=60)


@pytest.mark.parametrize(
    ("when", "after_s"), [("at start-up", 0.0), ("mid-work", 3.0)], ids=["start-up", "mid-work"]
)
def test_ctrl_c_says_nothing_written_and_exits_130(
    world: dict[str, object], when: str, after_s: float
) -> None:
    folder = world["folder"]
    assert isinstance(folder, Path)
    out = folder / "interrupted" / "actions.csv"
    out.parent.mkdir(exist_ok=True)
    code, output = _interrupt(
        ["score", "company", "--as-of", AS_OF, "--out", str(out)], folder, after_s=after_s
    )
    assert code == 130, output
    assert "interrupted, nothing written" in output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output
    assert list(out.parent.iterdir()) == []  # no output, no temporary


def test_a_later_run_removes_temporaries_a_killed_run_left(world: dict[str, object]) -> None:
    folder = world["folder"]
    assert isinstance(folder, Path)
    out = folder / "killed"
    out.mkdir()
    stale = out / ".actions.csv.k2j4x_9q"  # what SIGKILL mid-write leaves: a 0-byte temporary
    fresh = out / ".actions.csv.a1b2c3d4"  # another writer still at work
    other = out / ".notes.txt.abcdefgh"  # not ours
    for path in (stale, fresh, other):
        path.touch()
    old = time.time() - STALE_AFTER_S - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    features = ["features", "company", "--entity", "rep", "--as-of", AS_OF]
    code, output = _run([*features, "--out", str(out / "features.csv")], folder)
    assert code == 0, output
    assert not stale.exists()
    assert fresh.exists() and other.exists()
    assert (out / "features.csv").is_file()
