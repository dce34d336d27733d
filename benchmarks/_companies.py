"""The companies the benchmarks measure: the sample, a held-out one, and the large company."""

from __future__ import annotations

import time
from pathlib import Path

from stagnation.simulator import SimConfig, simulate, write_sample

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
HELD_OUT_SEED = 11  # never used to choose any setting
#: The large company of the speed benchmarks (1,000 reps, 100,000 customers, about 11.3M
#: activities), simulated once and cached: ``read_floor.py``, ``score_large.py`` and
#: ``feature_equality.py`` read the same folder.
LARGE_COMPANY = Path(__file__).resolve().parent / "out" / "company-10M"


def default_companies(tmp: Path) -> list[Path]:
    """Return the bundled sample and a company simulated with the held-out seed into ``tmp``."""
    held_out = tmp / f"seed-{HELD_OUT_SEED}"
    started = time.perf_counter()
    write_sample(simulate(SimConfig(seed=HELD_OUT_SEED)), held_out)
    print(f"simulated the seed-{HELD_OUT_SEED} company in {time.perf_counter() - started:.1f} s")
    return [SAMPLE, held_out]


def large_company() -> Path:
    """Return :data:`LARGE_COMPANY`, simulating it first if no earlier run did (about 2 min)."""
    if not (LARGE_COMPANY / "truth" / "settings.json").exists():
        print(f"simulating the large company once into {LARGE_COMPANY} (about 2 min)")
        write_sample(simulate(SimConfig(reps=1_000, customers=100_000)), LARGE_COMPANY)
    return LARGE_COMPANY
