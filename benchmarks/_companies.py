"""The companies the quality benchmarks measure by default: the sample and a held-out one."""

from __future__ import annotations

import time
from pathlib import Path

from stagnation.simulator import SimConfig, simulate, write_sample

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
HELD_OUT_SEED = 11  # never used to choose any setting


def default_companies(tmp: Path) -> list[Path]:
    """Return the bundled sample and a company simulated with the held-out seed into ``tmp``."""
    held_out = tmp / f"seed-{HELD_OUT_SEED}"
    started = time.perf_counter()
    write_sample(simulate(SimConfig(seed=HELD_OUT_SEED)), held_out)
    print(f"simulated the seed-{HELD_OUT_SEED} company in {time.perf_counter() - started:.1f} s")
    return [SAMPLE, held_out]
