"""Time point-in-time features and training snapshots, and how they grow with the event count.

Run with ``make benchmark-features`` or ``python benchmarks/features_scaling.py``. For each
company size (about 1M, 3M and 10M activities) it simulates the extract once (cached under
``benchmarks/out/``), then, in a fresh process so that peak memory is that run's own, measures:

* the one pass over the raw events (``FeatureContext.build``),
* features for every rep and every customer at one ``as_of``,
* a 12-month training grid for both entities (``rep_snapshots`` + ``customer_snapshots``).

It prints one table; the README quotes it.
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


def measure(folder: Path) -> dict[str, float]:
    """Measure one extract in this process and return the numbers."""
    from stagnation.crm import load_crm
    from stagnation.features import FeatureContext, customer_features, rep_features
    from stagnation.snapshots import as_of_grid, customer_snapshots, rep_snapshots

    crm = load_crm(folder, validate=False)
    assert crm.activities is not None
    out: dict[str, float] = {"activities": len(crm.activities)}
    t0 = time.perf_counter()
    ctx = FeatureContext.build(crm)
    out["context_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    created = crm.customers.loc[crm.customers["created_at"] < AS_OF, "customer_id"]
    customer_features(ctx, pd.DataFrame({"customer_id": created, "as_of": AS_OF}))
    reps = pd.DataFrame({"rep_id": ctx.reps.to_numpy(), "as_of": AS_OF})
    rep_features(ctx, reps.astype({"rep_id": "string", "as_of": "datetime64[ns]"}))
    out["one_as_of_s"] = time.perf_counter() - t0
    out["one_as_of_rows"] = len(created) + len(reps)

    t0 = time.perf_counter()
    rep_grid = as_of_grid(crm, horizon_days=90)[-12:]
    cust_grid = as_of_grid(crm, horizon_days=180)[-12:]
    r = rep_snapshots(ctx, rep_grid)
    c = customer_snapshots(ctx, cust_grid)
    out["grid_s"] = time.perf_counter() - t0
    out["grid_rows"] = len(r) + len(c)
    out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return

    OUT.mkdir(exist_ok=True)
    rows = []
    for size in args.sizes:
        reps, customers = SIZES[size]
        folder = OUT / f"company-{size}"
        if not (folder / "truth" / "settings.json").exists():
            from stagnation.simulator import SimConfig, simulate, write_sample

            write_sample(simulate(SimConfig(reps=reps, customers=customers)), folder)
        result = subprocess.run(
            [sys.executable, __file__, "--measure", str(folder)],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append({"size": size, **json.loads(result.stdout.splitlines()[-1])})

    print(
        f"stagnation feature benchmark, as_of {AS_OF:%Y-%m-%d}; machine: {os.cpu_count()} "
        f"cores, {platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}"
    )
    header = (
        f"{'activities':>12} {'context':>9} {'one as_of':>10} {'rows':>9} "
        f"{'12-month grid':>14} {'rows':>10} {'peak':>8}"
    )
    print(header)
    for r in rows:
        print(
            f"{int(r['activities']):>12,} {r['context_s']:>8.1f}s {r['one_as_of_s']:>9.1f}s "
            f"{int(r['one_as_of_rows']):>9,} {r['grid_s']:>13.1f}s {int(r['grid_rows']):>10,} "
            f"{r['peak_gb']:>6.2f}GB"
        )


if __name__ == "__main__":
    main()
