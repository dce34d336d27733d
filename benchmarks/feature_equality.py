"""Prove a speed-up changed no feature value: compare feature rows against a saved reference.

Run ``python benchmarks/feature_equality.py save DIR`` with the code before a change, then
``python benchmarks/feature_equality.py check DIR`` with the code after it. Both compute the
features of every rep and every customer (not only the eligible ones) at several ``as_of``
dates on the large company (``benchmarks/out/company-10M``, see ``read_floor.py``), plus the
eligible populations of ``features --entity all``; ``check`` fails, naming the first differing
table and column, unless every row is equal (NaN equal to NaN, same dtypes, same order).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

COMPANY = Path(__file__).resolve().parent / "out" / "company-10M"
AS_OF = ("2024-09-15", "2025-06-01", "2025-11-20 13:30")


def tables(folder: Path) -> dict[str, pd.DataFrame]:
    """Return every feature table to compare, by name."""
    from stagnation.crm import load_crm
    from stagnation.features import FeatureContext, customer_features, rep_features
    from stagnation.snapshots import features_at

    started = time.perf_counter()
    crm = load_crm(folder)
    ctx = FeatureContext.build(crm)
    print(f"load + index: {time.perf_counter() - started:.1f} s")
    out = {}
    for at in AS_OF:
        when = pd.Timestamp(at)
        reps = pd.DataFrame({"rep_id": ctx.reps, "as_of": when})
        customers = pd.DataFrame({"customer_id": ctx.customers, "as_of": when})
        out[f"rep-all-{when:%Y%m%d%H%M}"] = rep_features(ctx, reps)
        out[f"customer-all-{when:%Y%m%d%H%M}"] = customer_features(ctx, customers)
        for entity in ("rep", "customer"):
            out[f"{entity}-eligible-{when:%Y%m%d%H%M}"] = features_at(ctx, entity, when)  # type: ignore[arg-type]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=("save", "check"))
    parser.add_argument("reference", type=Path, help="folder of the reference feature tables")
    parser.add_argument("--data", type=Path, default=COMPANY, help="extract folder")
    args = parser.parse_args()
    computed = tables(args.data)
    if args.mode == "save":
        args.reference.mkdir(parents=True, exist_ok=True)
        for name, frame in computed.items():
            frame.to_pickle(args.reference / f"{name}.pkl")  # keeps dtypes exactly
        print(f"saved {len(computed)} tables ({sum(map(len, computed.values())):,} rows)")
        return
    for name, frame in computed.items():
        expected = pd.read_pickle(args.reference / f"{name}.pkl")
        try:
            pd.testing.assert_frame_equal(frame, expected, check_exact=True)
        except AssertionError as exc:
            sys.exit(f"{name}: differs from the reference\n{exc}")
        print(f"{name}: {len(frame):,} rows x {frame.shape[1]} columns equal")
    print(f"all {len(computed)} tables equal, row for row")


if __name__ == "__main__":
    main()
