"""Time customer features at one ``as_of`` on pandas and on Spark local mode, side by side.

Run with ``make benchmark-spark`` or ``python benchmarks/spark_scaling.py [--sizes 1M 3M 10M]``.
For each company size (the companies of ``benchmarks/features_scaling.py``, about 1M, 3M and
11M activities, simulated once and cached under ``benchmarks/out/``) it runs, each in a fresh
process: the pandas path (``load_crm`` + ``features_at(crm, "customer", as_of)``) and the Spark
engine on ``local[2]`` (session start, ``read_extract``, ``spark_customer_features``), checks
that both give the same rows, and prints one table; the README quotes it.
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

import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
SIZES = {"1M": (100, 10_000), "3M": (300, 30_000), "10M": (1_000, 100_000)}
AS_OF = pd.Timestamp("2025-06-01")


def measure(folder: Path, engine: str, rows_out: Path) -> dict[str, float]:
    """Time one engine on one extract in this process and write its rows to ``rows_out``."""
    t0 = time.perf_counter()
    if engine == "pandas":
        from stagnation.crm import load_crm
        from stagnation.snapshots import features_at

        crm = load_crm(folder, validate=False)
        out = {"load_s": time.perf_counter() - t0}
        t1 = time.perf_counter()
        rows = features_at(crm, "customer", AS_OF)
    else:
        from stagnation.spark import read_extract, spark_customer_features, spark_session

        spark = spark_session("local[2]", shuffle_partitions=8)
        extract = read_extract(spark, folder)
        out = {"load_s": time.perf_counter() - t0}
        t1 = time.perf_counter()
        rows = spark_customer_features(extract, AS_OF)
    out["features_s"] = time.perf_counter() - t1
    out["total_s"] = time.perf_counter() - t0
    out["rows"] = len(rows)
    out["driver_peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    rows.to_parquet(rows_out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.measure:
        folder, engine, rows_out = args.measure
        print(json.dumps(measure(Path(folder), engine, Path(rows_out))))
        return

    OUT.mkdir(exist_ok=True)
    print(
        f"customer features at {AS_OF:%Y-%m-%d}, pandas vs Spark local[2]; machine: "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    )
    print(
        f"{'size':>5} {'activities':>12} {'engine':>7} {'read':>7} {'features':>9} "
        f"{'total':>8} {'rows':>7} {'driver peak':>12}"
    )
    for size in args.sizes:
        reps, customers = SIZES[size]
        folder = OUT / f"company-{size}"
        if not (folder / "customers.parquet").exists():
            from stagnation.simulator import SimConfig, simulate, write_sample

            write_sample(simulate(SimConfig(reps=reps, customers=customers)), folder)
        import pyarrow.parquet as pq

        n = pq.read_metadata(folder / "activities.parquet").num_rows
        frames = {}
        for engine in ("pandas", "spark"):
            rows_out = OUT / f"spark-bench-{size}-{engine}.parquet"
            result = subprocess.run(
                [sys.executable, __file__, "--measure", str(folder), engine, str(rows_out)],
                check=True,
                capture_output=True,
                text=True,
            )
            r = json.loads(result.stdout.splitlines()[-1])
            frames[engine] = pd.read_parquet(rows_out)
            print(
                f"{size:>5} {n:>12,} {engine:>7} {r['load_s']:>6.1f}s {r['features_s']:>8.1f}s "
                f"{r['total_s']:>7.1f}s {int(r['rows']):>7,} {r['driver_peak_gb']:>10.2f}GB",
                flush=True,
            )
        pd.testing.assert_frame_equal(frames["spark"], frames["pandas"], rtol=1e-9, atol=1e-6)
        print(f"{size:>5} same rows on both engines", flush=True)


if __name__ == "__main__":
    main()
