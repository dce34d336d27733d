"""Time rep and customer features at one ``as_of`` on pandas and on Spark local mode.

Run with ``make benchmark-spark`` or ``python benchmarks/spark_scaling.py [--sizes 1M 3M 10M]``.
For each company size (the companies of ``benchmarks/features_scaling.py``, about 1M, 3M and
11M activities, simulated once and cached under ``benchmarks/out/``; ``company-10M`` may be a
symlink to an existing one) it runs, each in a fresh process: the pandas path (``load_crm``,
then ``features_at`` for reps and customers on one ``FeatureContext``) and the Spark engine on
``local[2]`` (session start and ``read_extract``, then ``spark_features_at`` for both), and
prints one table with the largest relative difference between the two engines' rows; the
README quotes it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
SIZES = {"1M": (100, 10_000), "3M": (300, 30_000), "10M": (1_000, 100_000)}
AS_OF = pd.Timestamp("2025-06-01")
ENTITIES = ("rep", "customer")


def measure(folder: Path, engine: str) -> dict[str, float]:
    """Time one engine on one extract in this process; write its rows beside the company."""
    t0 = time.perf_counter()
    if engine == "pandas":
        from stagnation.crm import load_crm
        from stagnation.features import FeatureContext
        from stagnation.snapshots import features_at

        crm = load_crm(folder, validate=False)
        out = {"read_s": time.perf_counter() - t0}
        t1 = time.perf_counter()
        ctx = FeatureContext.build(crm)
        rows = {e: features_at(ctx, e, AS_OF) for e in ENTITIES}
    else:
        from stagnation.spark import read_extract, spark_features_at, spark_session

        spark = spark_session("local[2]", shuffle_partitions=8, driver_memory="4g")
        extract = read_extract(spark, folder)
        out = {"read_s": time.perf_counter() - t0}
        t1 = time.perf_counter()
        rows = spark_features_at(extract, ENTITIES, AS_OF)
    out["features_s"] = time.perf_counter() - t1
    out["total_s"] = time.perf_counter() - t0
    for entity, frame in rows.items():
        out[f"{entity}_rows"] = len(frame)
        frame.to_parquet(OUT / f"spark-bench-{folder.name}-{engine}-{entity}.parquet")
    out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return out


def largest_difference(got: pd.DataFrame, want: pd.DataFrame) -> float:
    """Return the largest relative difference of two frames' numeric columns (inf if the rows
    or the other columns differ)."""
    if list(got.columns) != list(want.columns) or len(got) != len(want):
        return float("inf")
    numeric = [c for c in want.columns if want[c].dtype == np.float64]
    other = [c for c in want.columns if c not in numeric]
    if not got[other].astype(str).equals(want[other].astype(str)):
        return float("inf")
    a, b = got[numeric].to_numpy(), want[numeric].to_numpy()
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return float("inf")
    both = ~np.isnan(b)
    scale = np.maximum(np.abs(b[both]), 1e-12)
    return float(np.max(np.abs(a[both] - b[both]) / scale, initial=0.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.measure:
        folder, engine = args.measure
        print(json.dumps(measure(Path(folder), engine)))
        return

    OUT.mkdir(exist_ok=True)
    print(
        f"rep + customer features at {AS_OF:%Y-%m-%d}, pandas vs Spark local[2]; machine: "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    )
    print(
        f"{'size':>5} {'activities':>12} {'engine':>7} {'read':>7} {'features':>9} {'total':>8} "
        f"{'reps':>6} {'customers':>10} {'driver peak':>12} {'largest rel. diff':>18}"
    )
    import pyarrow.parquet as pq

    for size in args.sizes:
        reps, customers = SIZES[size]
        folder = OUT / f"company-{size}"
        if not (folder / "customers.parquet").exists():
            from stagnation.simulator import SimConfig, simulate, write_sample

            write_sample(simulate(SimConfig(reps=reps, customers=customers)), folder)
        n = pq.read_metadata(folder / "activities.parquet").num_rows
        for engine in ("pandas", "spark"):
            result = subprocess.run(
                [sys.executable, __file__, "--measure", str(folder), engine],
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                print(result.stderr[-3000:], file=sys.stderr)
                result.check_returncode()
            r = json.loads(result.stdout.splitlines()[-1])
            diff = ""
            if engine == "spark":
                worst = max(
                    largest_difference(
                        *(
                            pd.read_parquet(OUT / f"spark-bench-{folder.name}-{e}-{entity}.parquet")
                            for e in ("spark", "pandas")
                        )
                    )
                    for entity in ENTITIES
                )
                diff = f"{worst:.1e}"
            print(
                f"{size:>5} {n:>12,} {engine:>7} {r['read_s']:>6.1f}s {r['features_s']:>8.1f}s "
                f"{r['total_s']:>7.1f}s {int(r['rep_rows']):>6,} {int(r['customer_rows']):>10,} "
                f"{r['peak_gb']:>10.2f}GB {diff:>18}",
                flush=True,
            )


if __name__ == "__main__":
    main()
