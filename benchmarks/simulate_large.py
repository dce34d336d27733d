"""Time the simulator, the writer and the validator on a large simulated company.

Run with ``make benchmark`` or ``python benchmarks/simulate_large.py [--reps N --customers N]``.
Prints one table of what it measured: wall time of each stage, rows written, bytes on disk and
the peak resident memory of this process.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import tempfile
import time
from pathlib import Path

from stagnation.crm import load_crm, validate_extract
from stagnation.simulator import SimConfig, simulate, write_sample


def peak_rss_gb() -> float:
    """Return this process's peak resident memory so far, in GB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    cfg = SimConfig(seed=args.seed, reps=args.reps, customers=args.customers, months=args.months)

    rows: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    sim = simulate(cfg)
    t_sim = time.perf_counter() - t0
    rows.append(("simulate", f"{t_sim:.1f} s"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "company"
        t0 = time.perf_counter()
        write_sample(sim, out)
        rows.append(("write parquet (tables + truth)", f"{time.perf_counter() - t0:.1f} s"))
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        del sim
        t0 = time.perf_counter()
        crm = load_crm(out, validate=False)
        rows.append(("load", f"{time.perf_counter() - t0:.1f} s"))
        t0 = time.perf_counter()
        report = validate_extract(out)
        rows.append(("validate (from folder)", f"{time.perf_counter() - t0:.1f} s"))
        rows.append(("validation errors", str(len(report.errors))))
        rows.append(("validation warnings", str(len(report.warnings))))
    for name, frame in crm.tables():
        rows.append((f"rows: {name}", f"{len(frame):,}"))
    rows.append(("on disk", f"{size / 1e6:.0f} MB"))
    rows.append(("peak memory", f"{peak_rss_gb():.2f} GB"))

    print(
        f"stagnation simulator benchmark: {cfg.reps} reps, {cfg.customers:,} customers, "
        f"{cfg.months} months, seed {cfg.seed}"
    )
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value:>12}")


if __name__ == "__main__":
    main()
