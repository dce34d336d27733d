"""Time the ranked action list on the large simulated company (1,000 reps, 100,000 customers).

Run with ``make benchmark-score`` or ``python benchmarks/score_large.py``. It simulates the
company once (cached under ``benchmarks/out/company-10M``, shared with the feature benchmark),
trains both models on it with ``stagnation train`` into a temporary MLflow store, then scores
one ``as_of`` in a fresh process, so that the peak memory is the scoring run's own. It prints
the time of each step of that run (load, features, predictions with reasons, matching, ranking,
write), the whole run's wall time and its peak memory. The issue's floor: under 60 s and 8 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"
COMPANY = OUT / "company-10M"
AS_OF = "2026-01-01"


class StepClock:
    """Time named steps: each :meth:`start` ends the step before it."""

    def __init__(self, first: str) -> None:
        self.began = self.last = time.perf_counter()
        self.current = first
        self.seconds: dict[str, float] = {}

    def start(self, step: str) -> None:
        now = time.perf_counter()
        self.seconds[self.current] = self.seconds.get(self.current, 0.0) + now - self.last
        self.current, self.last = step, now


def measure(folder: Path, as_of: str, out: Path) -> dict[str, object]:
    """Load, score and write in this process; return the step times and the peak memory."""
    from stagnation.crm import load_crm, write_table
    from stagnation.scoring import score_with_drift

    clock = StepClock("load and validate the extract")
    crm = load_crm(folder)
    result = score_with_drift(crm, as_of, progress=clock.start)
    clock.start("write the action list and the drift table")
    write_table(result.actions, out)
    write_table(result.drift, out.with_name(f"{out.stem}.drift{out.suffix}"))
    clock.start("done")
    counts = result.actions["action"].value_counts()
    return {
        "steps": clock.seconds,
        "total_s": clock.last - clock.began,
        "actions": {str(k): int(v) for k, v in counts.items()},
        "activities": 0 if crm.activities is None else len(crm.activities),
        "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--as-of", default=AS_OF)
    parser.add_argument("--measure", nargs=2, type=Path, help=argparse.SUPPRESS)  # child
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], args.as_of, args.measure[1])))
        return

    try:
        from benchmarks._companies import large_company
    except ModuleNotFoundError:  # run as a script from anywhere
        from _companies import large_company  # type: ignore[no-redef]

    large_company()
    stagnation = Path(sys.executable).with_name("stagnation")
    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {
            "MLFLOW_TRACKING_URI": f"sqlite:///{tmp}/mlflow.db",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
        started = time.perf_counter()
        subprocess.run([stagnation, "train", str(COMPANY)], check=True, env=env, cwd=tmp)
        print(f"trained both models in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--as-of",
                args.as_of,
                "--measure",
                str(COMPANY),
                f"{tmp}/actions.parquet",
            ],
            check=True,
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
    run = json.loads(child.stdout.splitlines()[-1])
    print(
        f"\nstagnation scoring benchmark: {run['activities']:,} activities, as_of {args.as_of}; "
        f"machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    width = max(len(k) for k in run["steps"])
    for name, seconds in run["steps"].items():
        print(f"  {name:<{width}}  {seconds:>6.1f} s")
    print(f"  {'total (in the process)':<{width}}  {run['total_s']:>6.1f} s")
    print(f"  {'wall, with interpreter start':<{width}}  {wall:>6.1f} s")
    print(f"  {'peak memory':<{width}}  {run['peak_gb']:>6.2f} GB")
    print("  actions: " + ", ".join(f"{v:,} {k}" for k, v in run["actions"].items()))


if __name__ == "__main__":
    main()
